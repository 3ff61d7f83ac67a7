package billing_test

import (
	"context"
	"math"
	"testing"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// TestAppendManyTxKeepsAppendsRules: a batch of entries is held to
// Append's rules, each entry seeing the ones before it: a stored key and a
// key repeated in the batch return the first entry, an invalid entry, an
// unknown customer, another customer's subscription, a second credit for a
// subscription-month, an overspending debit and a credit past the largest
// balance are refused one by one, and the rest is written.
func TestAppendManyTxKeepsAppendsRules(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		l := billing.NewLedger(db, nil)
		a, b, full := newCustomer(t, db), newCustomer(t, db), newCustomer(t, db)
		subA, subB, subFull := newSubscription(t, db, a), newSubscription(t, db, b), newSubscription(t, db, full)
		stored := mustAppend(t, l, earned(a, subA, "2026-09"))
		if _, _, err := l.Append(ctx, billing.Entry{CustomerID: full, Kind: models.CreditAdjustment, AmountCents: math.MaxInt32 - 50000,
			Reference: "adjustment:big", IdempotencyKey: "adjustment:big", Reason: "big"}); err != nil {
			t.Fatal(err)
		}
		entries := []billing.Entry{
			earned(a, subA, "2026-09"),                  // 0: stored key: the stored entry
			earned(a, subA, "2026-10"),                  // 1: new
			earned(a, subA, "2026-10"),                  // 2: repeated in the batch: entry 1
			{CustomerID: a, Kind: "gift"},               // 3: invalid
			earned("no-such-customer", subA, "2026-11"), // 4: unknown customer
			earned(a, subB, "2026-11"),                  // 5: another customer's subscription
			applied(b, "in_1", -90000),                  // 6: more than b holds
			earned(b, subB, "2026-10"),                  // 7: new
			applied(b, "in_2", -30000),                  // 8: now b holds enough
			earned(full, subFull, "2026-10"),            // 9: past the largest balance
			{CustomerID: a, Kind: models.CreditEarned, AmountCents: 80000, Reference: "x", IdempotencyKey: "earned:other-key",
				SubscriptionID: subA, Month: "2026-10"}, // 10: the month has earned already
		}
		var res []billing.AppendResult
		if err := store.InTx(ctx, db, func(tx bun.Tx) error {
			var err error
			res, err = l.AppendManyTx(ctx, tx, entries)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if res[0].Err != nil || res[0].Created || res[0].Entry.ID != stored.ID {
			t.Errorf("stored key: %+v", res[0])
		}
		if res[1].Err != nil || !res[1].Created {
			t.Errorf("new entry: %+v", res[1])
		}
		if res[2].Err != nil || res[2].Created || res[2].Entry.ID != res[1].Entry.ID {
			t.Errorf("repeated key: %+v", res[2])
		}
		for i, code := range map[int]string{3: models.CodeBadUserInput, 4: models.CodeNotFound, 5: models.CodeNotFound,
			6: models.CodeConflict, 9: models.CodeConflict, 10: models.CodeConflict} {
			if got := models.ErrorCode(res[i].Err); got != code || res[i].Entry != nil {
				t.Errorf("entry %d: %+v (%s), want %s", i, res[i], got, code)
			}
		}
		for _, i := range []int{7, 8} {
			if res[i].Err != nil || !res[i].Created {
				t.Errorf("entry %d: %+v", i, res[i])
			}
		}
		wantBalance(t, l, a, 160000)
		wantBalance(t, l, b, 50000)
		wantBalance(t, l, full, math.MaxInt32-50000)
		if n := countEntries(t, db, ""); n != 5 {
			t.Errorf("%d entries, want 5", n)
		}
	})
}
