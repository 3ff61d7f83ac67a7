package billing_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func as(roles ...auth.Role) context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Subject: "staff-" + string(roles[0]), Roles: roles})
}

func asCustomer(customerID string) context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Subject: "user-" + customerID, Roles: []auth.Role{auth.RoleCustomer}, CustomerID: customerID})
}

// newCustomer inserts a customer and returns its id.
func newCustomer(t *testing.T, db *bun.DB) string {
	t.Helper()
	c := &models.Customer{ID: uuid.NewString(), Name: "Acme", SearchName: "acme", CreatedAt: t0, UpdatedAt: t0}
	if _, err := db.NewInsert().Model(c).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// newSubscription inserts an active subscription of the customer and
// returns its id.
func newSubscription(t *testing.T, db *bun.DB, customerID string) string {
	t.Helper()
	s := &models.SupportSubscription{
		ID: uuid.NewString(), CustomerID: customerID, Status: models.StatusActive,
		MonthlyFeeCents: 80000, Currency: "USD", StartsAt: t0,
		FirstResponseTargetSeconds: 3600, FollowUpTargetSeconds: 3600, SLATimezone: "UTC",
		CreatedAt: t0, UpdatedAt: t0,
	}
	if _, err := db.NewInsert().Model(s).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s.ID
}

func earned(customerID, subscriptionID, month string) billing.Entry {
	return billing.Entry{
		CustomerID: customerID, Kind: models.CreditEarned, AmountCents: 80000, Currency: "USD",
		Reference:      "subscription-month:" + subscriptionID + ":" + month,
		IdempotencyKey: "earned:" + subscriptionID + ":" + month,
		Actor:          "sla-job", SubscriptionID: subscriptionID, Month: month,
	}
}

func applied(customerID, invoice string, cents int64) billing.Entry {
	return billing.Entry{
		CustomerID: customerID, Kind: models.CreditApplied, AmountCents: cents, Currency: "USD",
		Reference: "invoice:" + invoice, IdempotencyKey: "applied:" + invoice, Actor: "renewal-job",
	}
}

// mustAppend appends e and fails the test unless a new entry was written.
func mustAppend(t *testing.T, l *billing.Ledger, e billing.Entry) *models.CreditEntry {
	t.Helper()
	entry, created, err := l.Append(context.Background(), e)
	if err != nil || !created {
		t.Fatalf("append %+v: created %v, err %v", e, created, err)
	}
	return entry
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := models.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %s", what, got, err, code)
	}
}

func wantBalance(t *testing.T, l *billing.Ledger, customerID string, cents int64) {
	t.Helper()
	got, err := l.Balance(context.Background(), customerID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (models.Money{Cents: cents, Currency: "USD"}); got != want {
		t.Fatalf("balance %v, want %v", got, want)
	}
}

// countEntries returns how many entries the ledger holds, all customers.
func countEntries(t *testing.T, db *bun.DB, where string, args ...any) int {
	t.Helper()
	q := db.NewSelect().Model((*models.CreditEntry)(nil))
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestLedgerConcurrentDebitsCannotOverspend(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		l := billing.NewLedger(db, nil)
		ctx := context.Background()

		t.Run("exact debits", func(t *testing.T) {
			cust := newCustomer(t, db)
			mustAppend(t, l, earned(cust, newSubscription(t, db, cust), "2026-10"))
			const n = 50
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					_, _, errs[i] = l.Append(ctx, applied(cust, fmt.Sprintf("in_%d", i), -80000))
				})
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
					t.Errorf("debit %d: %v", i, err)
				}
			}
			if ok != 1 || conflicts != n-1 {
				t.Fatalf("%d debits succeeded and %d conflicted, want 1 and %d", ok, conflicts, n-1)
			}
			wantBalance(t, l, cust, 0)
			if got := countEntries(t, db, "ce.customer_id = ? AND ce.kind = ?", cust, models.CreditApplied); got != 1 {
				t.Fatalf("%d applied entries, want 1", got)
			}
		})

		t.Run("debits up to an amount", func(t *testing.T) {
			cust := newCustomer(t, db)
			mustAppend(t, l, earned(cust, newSubscription(t, db, cust), "2026-10"))
			const n = 50
			entries := make([]*models.CreditEntry, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					e := applied(cust, fmt.Sprintf("in_upto_%d", i), 0)
					entries[i], _, errs[i] = l.DebitUpTo(ctx, e, 30000)
				})
			}
			wg.Wait()
			var total int64
			written := 0
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("debit %d: %v", i, errs[i])
				}
				if e := entries[i]; e != nil {
					if e.AmountCents >= 0 || e.AmountCents < -30000 {
						t.Errorf("debit %d wrote %d cents", i, e.AmountCents)
					}
					total += e.AmountCents
					written++
				}
			}
			if total != -80000 || written != 3 {
				t.Fatalf("debited %d cents in %d entries, want -80000 in 3", total, written)
			}
			wantBalance(t, l, cust, 0)
			if got := countEntries(t, db, "ce.customer_id = ? AND ce.kind = ?", cust, models.CreditApplied); got != 3 {
				t.Fatalf("%d applied entries, want 3", got)
			}
		})
	})
}

func TestLedgerIdempotencyKey(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		l := billing.NewLedger(db, nil)
		ctx := context.Background()
		cust := newCustomer(t, db)
		sub := newSubscription(t, db, cust)

		t.Run("twice", func(t *testing.T) {
			e := earned(cust, sub, "2026-09")
			first := mustAppend(t, l, e)
			again, created, err := l.Append(ctx, e)
			if err != nil || created || again.ID != first.ID {
				t.Fatalf("replay: created %v, err %v, entry %+v; want the first entry %s", created, err, again, first.ID)
			}
			if got := countEntries(t, db, "ce.idempotency_key = ?", e.IdempotencyKey); got != 1 {
				t.Fatalf("%d entries with the key, want 1", got)
			}
		})

		t.Run("concurrently", func(t *testing.T) {
			e := earned(cust, sub, "2026-08")
			const n = 10
			entries := make([]*models.CreditEntry, n)
			created := make([]bool, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { entries[i], created[i], errs[i] = l.Append(ctx, e) })
			}
			wg.Wait()
			news := 0
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("append %d: %v", i, errs[i])
				}
				if created[i] {
					news++
				}
				if entries[i].ID != entries[0].ID {
					t.Fatalf("append %d returned entry %s, append 0 entry %s", i, entries[i].ID, entries[0].ID)
				}
			}
			if news != 1 {
				t.Fatalf("%d appends wrote an entry, want 1", news)
			}
			if got := countEntries(t, db, "ce.idempotency_key = ?", e.IdempotencyKey); got != 1 {
				t.Fatalf("%d entries with the key, want 1", got)
			}
		})

		t.Run("reused for a different entry", func(t *testing.T) {
			other := newCustomer(t, db)
			mustAppend(t, l, earned(other, newSubscription(t, db, other), "2026-08"))
			e := applied(cust, "in_reused", -100)
			mustAppend(t, l, e)
			changed := e
			changed.AmountCents = -200
			_, _, err := l.Append(ctx, changed)
			wantCode(t, "another amount", err, models.CodeConflict)
			changed = e
			changed.CustomerID = other
			_, _, err = l.Append(ctx, changed)
			wantCode(t, "another customer", err, models.CodeConflict)
			if got := countEntries(t, db, "ce.idempotency_key = ?", e.IdempotencyKey); got != 1 {
				t.Fatalf("%d entries with the key, want 1", got)
			}
		})

		t.Run("reused by two customers concurrently", func(t *testing.T) {
			a, b := newCustomer(t, db), newCustomer(t, db)
			key := "adjustment:shared"
			const n = 10
			entries := make([]*models.CreditEntry, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				cust := a
				if i%2 == 1 {
					cust = b
				}
				wg.Go(func() {
					entries[i], _, errs[i] = l.Append(ctx, billing.Entry{CustomerID: cust, Kind: models.CreditAdjustment,
						AmountCents: 500, Reference: key, IdempotencyKey: key, Reason: "goodwill"})
				})
			}
			wg.Wait()
			var winner string
			for i := range n {
				switch models.ErrorCode(errs[i]) {
				case "":
					if winner != "" && entries[i].CustomerID != winner {
						t.Fatalf("both customers got an entry under one key")
					}
					winner = entries[i].CustomerID
				case models.CodeConflict:
				default:
					t.Fatalf("append %d: %v", i, errs[i])
				}
			}
			if got := countEntries(t, db, "ce.idempotency_key = ?", key); got != 1 || winner == "" {
				t.Fatalf("%d entries with the key (winner %q), want 1", got, winner)
			}
		})

		t.Run("debit up to an amount replayed after the balance changed", func(t *testing.T) {
			cust := newCustomer(t, db)
			mustAppend(t, l, earned(cust, newSubscription(t, db, cust), "2026-10"))
			e := applied(cust, "in_upto", 0)
			first, created, err := l.DebitUpTo(ctx, e, 30000)
			if err != nil || !created || first.AmountCents != -30000 {
				t.Fatalf("debit: %+v, created %v, err %v", first, created, err)
			}
			mustAppend(t, l, applied(cust, "in_other", -50000))
			again, created, err := l.DebitUpTo(ctx, e, 30000)
			if err != nil || created || again.ID != first.ID || again.AmountCents != -30000 {
				t.Fatalf("replay: %+v, created %v, err %v; want the first entry", again, created, err)
			}
			wantBalance(t, l, cust, 0)
			nothing, created, err := l.DebitUpTo(ctx, applied(cust, "in_empty", 0), 30000)
			if err != nil || created || nothing != nil {
				t.Fatalf("debit of an empty balance: %+v, created %v, err %v; want nothing", nothing, created, err)
			}
		})
	})
}

func TestLedgerEarnedOncePerSubscriptionMonth(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		l := billing.NewLedger(db, nil)
		ctx := context.Background()
		cust := newCustomer(t, db)
		sub := newSubscription(t, db, cust)
		mustAppend(t, l, earned(cust, sub, "2026-10"))

		e := earned(cust, sub, "2026-10")
		e.IdempotencyKey = "another-key"
		_, _, err := l.Append(ctx, e)
		wantCode(t, "second credit for the month", err, models.CodeConflict)
		wantBalance(t, l, cust, 80000)

		// The unique index alone refuses it too, for writers that bypass the
		// ledger's check.
		row := &models.CreditEntry{ID: uuid.NewString(), CustomerID: cust, Kind: models.CreditEarned, AmountCents: 80000,
			Currency: "USD", Reference: "r", IdempotencyKey: "bypass", Actor: "test", SubscriptionID: sub, Month: "2026-10", CreatedAt: t0}
		if _, err := db.NewInsert().Model(row).Exec(ctx); err == nil {
			t.Fatal("the database took a second earned entry for one subscription-month")
		}
		if got := countEntries(t, db, "ce.subscription_id = ?", sub); got != 1 {
			t.Fatalf("%d entries for the subscription, want 1", got)
		}
		// Entries are append-only.
		if _, err := db.NewUpdate().Model((*models.CreditEntry)(nil)).Set("amount_cents = 1").Where("1 = 1").Exec(ctx); err == nil {
			t.Fatal("an entry was updated")
		}
		if _, err := db.NewDelete().Model((*models.CreditEntry)(nil)).Where("1 = 1").Exec(ctx); err == nil {
			t.Fatal("an entry was deleted")
		}
	})
}

func TestLedgerValidationWritesNothing(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		l := billing.NewLedger(db, nil)
		ctx := context.Background()
		cust := newCustomer(t, db)
		sub := newSubscription(t, db, cust)
		other := newCustomer(t, db)
		otherSub := newSubscription(t, db, other)
		mustAppend(t, l, earned(cust, sub, "2026-01"))

		for _, tc := range []struct {
			name   string
			change func(e *billing.Entry)
			code   string
		}{
			{"earned negative", func(e *billing.Entry) { e.AmountCents = -1 }, models.CodeBadUserInput},
			{"applied positive", func(e *billing.Entry) { e.Kind, e.Month, e.SubscriptionID = models.CreditApplied, "", "" }, models.CodeBadUserInput},
			{"refunded zero", func(e *billing.Entry) { e.Kind, e.AmountCents, e.Month = models.CreditRefunded, 0, "" }, models.CodeBadUserInput},
			{"adjustment zero", func(e *billing.Entry) { e.Kind, e.AmountCents, e.Month = models.CreditAdjustment, 0, "" }, models.CodeBadUserInput},
			{"unknown kind", func(e *billing.Entry) { e.Kind = "gift" }, models.CodeBadUserInput},
			{"empty key", func(e *billing.Entry) { e.IdempotencyKey = "" }, models.CodeBadUserInput},
			{"empty reference", func(e *billing.Entry) { e.Reference = " " }, models.CodeBadUserInput},
			{"another currency", func(e *billing.Entry) { e.Currency = "EUR" }, models.CodeBadUserInput},
			{"earned without month", func(e *billing.Entry) { e.Month = "" }, models.CodeBadUserInput},
			{"earned with a bad month", func(e *billing.Entry) { e.Month = "2026-13" }, models.CodeBadUserInput},
			{"month on a debit", func(e *billing.Entry) { e.Kind, e.AmountCents = models.CreditApplied, -1 }, models.CodeBadUserInput},
			{"unknown customer", func(e *billing.Entry) { e.CustomerID = "nobody" }, models.CodeNotFound},
			{"another customer's subscription", func(e *billing.Entry) { e.SubscriptionID = otherSub }, models.CodeNotFound},
			{"overdraft", func(e *billing.Entry) {
				e.Kind, e.AmountCents, e.Month, e.SubscriptionID = models.CreditRefunded, -80001, "", ""
			}, models.CodeConflict},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := earned(cust, sub, "2026-02")
				tc.change(&e)
				before := countEntries(t, db, "")
				_, _, err := l.Append(ctx, e)
				wantCode(t, "append", err, tc.code)
				if after := countEntries(t, db, ""); after != before {
					t.Fatalf("%d entries written", after-before)
				}
			})
		}

		_, _, err := l.DebitUpTo(ctx, earned(cust, sub, "2026-03"), 100)
		wantCode(t, "earned up to", err, models.CodeBadUserInput)
		_, _, err = l.DebitUpTo(ctx, applied(cust, "in_1", 0), 0)
		wantCode(t, "up to zero", err, models.CodeBadUserInput)
		_, err = l.Balance(ctx, "nobody")
		wantCode(t, "balance of nobody", err, models.CodeNotFound)
		wantBalance(t, l, cust, 80000)
	})
}

func TestLedgerAdjust(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		l := billing.NewLedger(db, nil)
		admin := as(auth.RoleAdmin)
		cust := newCustomer(t, db)

		_, err := l.Adjust(as(auth.RoleSales), cust, 5000, "goodwill")
		wantCode(t, "sales", err, models.CodeForbidden)
		_, err = l.Adjust(asCustomer(cust), cust, 5000, "goodwill")
		wantCode(t, "customer", err, models.CodeForbidden)
		_, err = l.Adjust(context.Background(), cust, 5000, "goodwill")
		wantCode(t, "anonymous", err, models.CodeUnauthenticated)
		_, err = l.Adjust(admin, cust, 5000, "  ")
		wantCode(t, "no reason", err, models.CodeBadUserInput)
		_, err = l.Adjust(admin, cust, 5000, strings.Repeat("é", 1001))
		wantCode(t, "long reason", err, models.CodeBadUserInput)
		_, err = l.Adjust(admin, cust, 0, "nothing")
		wantCode(t, "zero", err, models.CodeBadUserInput)
		_, err = l.Adjust(admin, "nobody", 5000, "goodwill")
		wantCode(t, "unknown customer", err, models.CodeNotFound)
		_, err = l.Adjust(admin, cust, -1, "take")
		wantCode(t, "overdraft", err, models.CodeConflict)
		if n := countEntries(t, db, ""); n != 0 {
			t.Fatalf("%d entries written by refused adjustments", n)
		}

		plus, err := l.Adjust(admin, cust, 5000, "  goodwill ")
		if err != nil {
			t.Fatal(err)
		}
		if plus.Kind != models.CreditAdjustment || plus.AmountCents != 5000 || plus.Reason != "goodwill" ||
			plus.Actor != "staff-admin" || !strings.HasPrefix(plus.IdempotencyKey, "adjustment:") {
			t.Fatalf("adjustment %+v", plus)
		}
		_, err = l.Adjust(admin, cust, -5001, "take")
		wantCode(t, "overdraft", err, models.CodeConflict)
		if _, err := l.Adjust(admin, cust, -2000, "correction"); err != nil {
			t.Fatal(err)
		}
		wantBalance(t, l, cust, 3000)

		first, err := l.AdjustWithKey(admin, "req-1", cust, -3000, "refund by hand")
		if err != nil {
			t.Fatal(err)
		}
		again, err := l.AdjustWithKey(admin, "req-1", cust, -3000, "refund by hand")
		if err != nil || again.ID != first.ID {
			t.Fatalf("retried adjustment: %+v, %v; want %s", again, err, first.ID)
		}
		_, err = l.AdjustWithKey(admin, "req-1", cust, -1000, "refund by hand")
		wantCode(t, "key reused", err, models.CodeConflict)
		wantBalance(t, l, cust, 0)
	})
}

func TestLedgerReadScoping(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		l := billing.NewLedger(db, nil)
		a, b := newCustomer(t, db), newCustomer(t, db)
		subA, subB := newSubscription(t, db, a), newSubscription(t, db, b)
		earnedA := mustAppend(t, l, earned(a, subA, "2026-10"))
		mustAppend(t, l, earned(b, subB, "2026-10"))
		mustAppend(t, l, earned(b, subB, "2026-11"))
		usd := func(c int64) models.Money { return models.Money{Cents: c, Currency: "USD"} }

		got, err := l.CustomerBalance(asCustomer(a), "")
		if err != nil || got != usd(80000) {
			t.Fatalf("own balance %v, %v", got, err)
		}
		if got, err := l.CustomerBalance(asCustomer(a), a); err != nil || got != usd(80000) {
			t.Fatalf("own balance by id %v, %v", got, err)
		}
		_, err = l.CustomerBalance(asCustomer(a), b)
		wantCode(t, "another customer's balance", err, models.CodeNotFound)
		_, err = l.Entries(asCustomer(a), b, 0, "")
		wantCode(t, "another customer's entries", err, models.CodeNotFound)
		_, err = l.CustomerBalance(as(auth.RoleSupport), "")
		wantCode(t, "staff without a customer", err, models.CodeBadUserInput)
		_, err = l.Entries(as(auth.RoleSupport), "", 0, "")
		wantCode(t, "staff entries without a customer", err, models.CodeBadUserInput)
		_, err = l.CustomerBalance(as(auth.RoleSupport), "nobody")
		wantCode(t, "unknown customer", err, models.CodeNotFound)
		_, err = l.CustomerBalance(context.Background(), a)
		wantCode(t, "anonymous", err, models.CodeUnauthenticated)
		if got, err := l.CustomerBalance(as(auth.RoleSales), b); err != nil || got != usd(160000) {
			t.Fatalf("staff reads b: %v, %v", got, err)
		}

		page, err := l.Entries(asCustomer(a), "", 0, "")
		if err != nil || page.TotalCount != 1 || len(page.Entries) != 1 || page.Entries[0].ID != earnedA.ID {
			t.Fatalf("own entries %+v, %v", page, err)
		}

		balances, err := l.BalancesByCustomerIDs(asCustomer(a), []string{b, a, "nobody"})
		if err != nil || balances[0] != usd(0) || balances[1] != usd(80000) || balances[2] != usd(0) {
			t.Fatalf("customer a's balances %v, %v", balances, err)
		}
		balances, err = l.BalancesByCustomerIDs(as(auth.RoleSupport), []string{b, a, "nobody"})
		if err != nil || balances[0] != usd(160000) || balances[1] != usd(80000) || balances[2] != usd(0) {
			t.Fatalf("staff balances %v, %v", balances, err)
		}

		months := []string{"2026-09", "2026-11", "2026-10"}
		earnedB, err := l.EarnedFor(as(auth.RoleSupport), subB, months)
		if err != nil || earnedB[0] != nil || earnedB[1] == nil || earnedB[1].Month != "2026-11" || earnedB[2] == nil || earnedB[2].Month != "2026-10" {
			t.Fatalf("staff earned for b %+v, %v", earnedB, err)
		}
		earnedB, err = l.EarnedFor(asCustomer(a), subB, months)
		if err != nil || earnedB[0] != nil || earnedB[1] != nil || earnedB[2] != nil {
			t.Fatalf("customer a sees b's credits: %+v, %v", earnedB, err)
		}
		_, err = l.EarnedFor(context.Background(), subB, months)
		wantCode(t, "anonymous earned", err, models.CodeUnauthenticated)
	})
}

func TestLedgerEntriesPagination(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		clk := &clock{t: t0}
		l := billing.NewLedger(db, clk.now)
		cust := newCustomer(t, db)
		var ids []string
		for i := range 25 {
			key := fmt.Sprintf("adjustment:%d", i)
			e := mustAppend(t, l, billing.Entry{CustomerID: cust, Kind: models.CreditAdjustment, AmountCents: 100,
				Reference: key, IdempotencyKey: key, Reason: "test", Actor: "test"})
			ids = append(ids, e.ID)
			if i%3 == 0 { // some entries share a time: the id orders them
				clk.add(1500 * time.Microsecond)
			}
		}
		ctx := asCustomer(cust)
		var seen []string
		after := ""
		for i, want := range []struct {
			n    int
			more bool
		}{{10, true}, {10, true}, {5, false}} {
			page, err := l.Entries(ctx, "", 10, after)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Entries) != want.n || len(page.Cursors) != want.n || page.HasNextPage != want.more || page.TotalCount != 25 {
				t.Fatalf("page %d: %d entries, %d cursors, hasNextPage %v, totalCount %d; want %d, %v, 25",
					i, len(page.Entries), len(page.Cursors), page.HasNextPage, page.TotalCount, want.n, want.more)
			}
			for _, e := range page.Entries {
				seen = append(seen, e.ID)
			}
			after = page.Cursors[len(page.Cursors)-1]
		}
		for i, id := range seen {
			if want := ids[len(ids)-1-i]; id != want {
				t.Fatalf("entry %d is %s, want %s (newest first)", i, id, want)
			}
		}

		_, err := l.Entries(ctx, "", 101, "")
		wantCode(t, "page too large", err, models.CodeBadUserInput)
		_, err = l.Entries(ctx, "", -1, "")
		wantCode(t, "negative page", err, models.CodeBadUserInput)
		_, err = l.Entries(ctx, "", 10, "not-a-cursor")
		wantCode(t, "bad cursor", err, models.CodeBadUserInput)
		page, err := l.Entries(ctx, "", 0, "")
		if err != nil || len(page.Entries) != 20 {
			t.Fatalf("default page: %v entries, %v", len(page.Entries), err)
		}
	})
}
