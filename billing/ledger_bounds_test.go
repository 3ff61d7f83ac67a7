package billing_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
)

// TestLedgerBalanceFitsInt32: no entry may take a balance past 2^31-1
// cents, the largest GraphQL Int. The two adjustments of 2^62 cents that
// used to overflow the sum (and make every later read of the balance fail)
// are refused, the balance stays readable through every read path, and
// concurrent credits cannot pass the cap together.
func TestLedgerBalanceFitsInt32(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		l := billing.NewLedger(db, nil)
		admin := as(auth.RoleAdmin)
		ctx := context.Background()

		t.Run("absurd amounts", func(t *testing.T) {
			cust := newCustomer(t, db)
			for _, a := range []int64{1 << 62, 1 << 62, math.MaxInt32 + 1, math.MinInt64, -math.MaxInt32 - 1} {
				_, err := l.Adjust(admin, cust, a, "overflow")
				wantCode(t, fmt.Sprintf("adjust %d", a), err, models.CodeBadUserInput)
			}
			e := earned(cust, newSubscription(t, db, cust), "2026-10")
			e.AmountCents = math.MaxInt64
			_, _, err := l.Append(ctx, e)
			wantCode(t, "earned MaxInt64", err, models.CodeBadUserInput)
			if n := countEntries(t, db, "ce.customer_id = ?", cust); n != 0 {
				t.Fatalf("%d entries written", n)
			}
			wantBalance(t, l, cust, 0)
		})

		t.Run("cap", func(t *testing.T) {
			cust := newCustomer(t, db)
			if _, err := l.Adjust(admin, cust, math.MaxInt32, "largest"); err != nil {
				t.Fatal(err)
			}
			_, err := l.Adjust(admin, cust, 1, "one more")
			wantCode(t, "one cent past the cap", err, models.CodeConflict)
			_, _, err = l.Append(ctx, earned(cust, newSubscription(t, db, cust), "2026-10"))
			wantCode(t, "earned past the cap", err, models.CodeConflict)
			if n := countEntries(t, db, "ce.customer_id = ?", cust); n != 1 {
				t.Fatalf("%d entries, want 1", n)
			}
			wantBalance(t, l, cust, math.MaxInt32)
			got, err := l.BalancesByCustomerIDs(admin, []string{cust})
			if err != nil || got[0].Cents != math.MaxInt32 {
				t.Fatalf("BalancesByCustomerIDs = %v, %v", got, err)
			}
			if page, err := l.Entries(admin, cust, 0, ""); err != nil || page.TotalCount != 1 {
				t.Fatalf("Entries = %+v, %v", page, err)
			}
			// A debit is still allowed, and a credit up to the cap again.
			if _, err := l.Adjust(admin, cust, -100, "correction"); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Adjust(admin, cust, 100, "back to the cap"); err != nil {
				t.Fatal(err)
			}
			wantBalance(t, l, cust, math.MaxInt32)
		})

		t.Run("concurrent credits", func(t *testing.T) {
			cust := newCustomer(t, db)
			if _, err := l.Adjust(admin, cust, math.MaxInt32-100000, "almost full"); err != nil {
				t.Fatal(err)
			}
			const n = 20
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { _, errs[i] = l.Adjust(admin, cust, 40000, fmt.Sprintf("credit %d", i)) })
			}
			wg.Wait()
			ok, conflicts := 0, 0
			for i, err := range errs {
				switch models.ErrorCode(err) {
				case "":
					ok++
				case models.CodeConflict:
					conflicts++
				default:
					t.Errorf("credit %d: %v", i, err)
				}
			}
			if ok != 2 || conflicts != n-2 {
				t.Fatalf("%d credits succeeded and %d conflicted, want 2 and %d", ok, conflicts, n-2)
			}
			wantBalance(t, l, cust, math.MaxInt32-20000)
		})

		t.Run("reasons", func(t *testing.T) {
			cust := newCustomer(t, db)
			_, err := l.Adjust(admin, cust, 100, "good\x00will")
			wantCode(t, "NUL in a reason", err, models.CodeBadUserInput)
			if _, err := l.Adjust(admin, cust, 100, "good\nwill"); err != nil {
				t.Fatalf("line break in a reason: %v", err)
			}
			wantBalance(t, l, cust, 100)
		})
	})
}
