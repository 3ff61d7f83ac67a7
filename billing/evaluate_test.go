package billing_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// evalClock is a settable clock shared by the test's stores.
type evalClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *evalClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *evalClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// TestEvaluateMonthCreditsOnce: a breached month evaluated three times, and
// a second one by two workers at once, each earns one credit of the
// month's fee; a met month earns none; a month is not final before its
// cutoff.
func TestEvaluateMonthCreditsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ctx := context.Background()
		clock := &evalClock{t: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}
		newEvaluator := func() *billing.Evaluator {
			db := testdb.Open(t, databaseURL)
			st := store.New(db, store.Options{Now: clock.Now, DomainPolicy: models.DomainPolicy{SupportDomain: "vendor.test"}})
			return &billing.Evaluator{Store: st, Ledger: billing.NewLedger(db, clock.Now)}
		}
		one, two := newEvaluator(), newEvaluator()
		sales := auth.WithCaller(ctx, auth.Caller{Subject: "s", Roles: []auth.Role{auth.RoleSales}})
		c, err := one.Store.CreateCustomer(sales, models.CustomerInput{Name: "Eval"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := one.Store.RecordLicense(sales, models.LicenseInput{CustomerID: c.ID, Key: "K", Paid: true,
			ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ValidUntil: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
		sub, err := one.Store.CreateSubscription(sales, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"eval.example"}, StartsAt: &start})
		if err != nil {
			t.Fatal(err)
		}
		// A first response of 90 minutes in October and in November; none
		// in September.
		for i, opened := range []time.Time{time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)} {
			in := models.InboundEmail{MessageID: "q" + string(rune('a'+i)) + "@eval.example", Direction: models.FromCustomer, From: "a@eval.example", FromDomain: "eval.example", Subject: "Help", ReceivedAt: opened}
			if _, err := one.Store.IngestEmail(ctx, in); err != nil {
				t.Fatal(err)
			}
			reply := models.InboundEmail{MessageID: "r" + string(rune('a'+i)) + "@vendor.test", Direction: models.FromSupport, From: "s@vendor.test", FromDomain: "vendor.test",
				Subject: "Re: Help", ReceivedAt: opened.Add(90 * time.Minute), InReplyTo: []string{in.MessageID}}
			if _, err := one.Store.IngestEmail(ctx, reply); err != nil {
				t.Fatal(err)
			}
		}

		clock.Set(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
		if _, err := one.EvaluateMonth(ctx, sub.ID, "2026-11"); models.ErrorCode(err) != models.CodeConflict {
			t.Fatalf("evaluating November before its cutoff: %v, want CONFLICT", err)
		}
		clock.Set(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
		if r, err := one.EvaluateMonth(ctx, sub.ID, "2026-09"); err != nil || !r.Met {
			t.Fatalf("September: %+v, %v; want met", r, err)
		}
		for range 3 {
			if r, err := one.EvaluateMonth(ctx, sub.ID, "2026-10"); err != nil || r.Met || !r.Final {
				t.Fatalf("October: %+v, %v; want final and missed", r, err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, ev := range []*billing.Evaluator{one, two} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = ev.EvaluateMonth(ctx, sub.ID, "2026-11")
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("concurrent evaluation: %v", err)
			}
		}
		bal, err := one.Ledger.Balance(ctx, c.ID)
		if err != nil || bal.Cents != 2*80000 {
			t.Fatalf("balance = %+v, %v; want two credits of 80000", bal, err)
		}
		earned, err := one.Ledger.EarnedFor(auth.WithCaller(ctx, auth.Caller{Subject: "a", Roles: []auth.Role{auth.RoleAdmin}}), sub.ID, []string{"2026-09", "2026-10", "2026-11"})
		if err != nil || earned[0] != nil || earned[1] == nil || earned[2] == nil || earned[1].AmountCents != 80000 {
			t.Fatalf("earned entries = %+v, %v", earned, err)
		}

		// A frozen month keeps its verdict: a late reply does not change it.
		late := models.InboundEmail{MessageID: "late@eval.example", Direction: models.FromCustomer, From: "a@eval.example", FromDomain: "eval.example", Subject: "Late", ReceivedAt: time.Date(2026, 10, 7, 9, 0, 0, 0, time.UTC)}
		if _, err := one.Store.IngestEmail(ctx, late); err != nil {
			t.Fatal(err)
		}
		if r, err := one.EvaluateMonth(ctx, sub.ID, "2026-10"); err != nil || r.FirstResponses != 1 {
			t.Fatalf("October after late mail: %+v, %v; want the frozen report", r, err)
		}
		if due, err := one.Store.DueMonths(ctx); err != nil || len(due) != 0 {
			t.Fatalf("due months after evaluating all: %v, %v", due, err)
		}
	})
}

// TestDueMonthsLeaveImportedHistoryToStaff: the sweep's list of due months
// holds only months of a subscription's life whose cutoff came after the
// subscription was recorded; imported months and months after its end are
// not there, and an admin can still evaluate the imported ones.
func TestDueMonthsLeaveImportedHistoryToStaff(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ctx := context.Background()
		clock := &evalClock{t: time.Date(2026, 11, 4, 8, 0, 0, 0, time.UTC)}
		db := testdb.Open(t, databaseURL)
		st := store.New(db, store.Options{Now: clock.Now, DomainPolicy: models.DomainPolicy{SupportDomain: "vendor.test"}})
		ev := &billing.Evaluator{Store: st, Ledger: billing.NewLedger(db, clock.Now)}
		sales := auth.WithCaller(ctx, auth.Caller{Subject: "s", Roles: []auth.Role{auth.RoleSales}})
		c, err := st.CreateCustomer(sales, models.CustomerInput{Name: "Imported"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.RecordLicense(sales, models.LicenseInput{CustomerID: c.ID, Key: "K", Paid: true,
			ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ValidUntil: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC)
		sub, err := st.CreateSubscription(sales, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"imported.example"}, StartsAt: &start})
		if err != nil {
			t.Fatal(err)
		}
		due := func() []string {
			t.Helper()
			refs, err := st.DueMonths(ctx)
			if err != nil {
				t.Fatal(err)
			}
			months := []string{}
			for _, r := range refs {
				if r.SubscriptionID == sub.ID {
					months = append(months, r.Month)
				}
			}
			return months
		}
		if got := due(); len(got) != 0 {
			t.Fatalf("due on the day of the import: %v, want none (August to October are imported history)", got)
		}
		clock.Set(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
		if _, err := st.EndSubscription(ctx, sub.ID, models.StatusCanceled, "", "test"); err != nil {
			t.Fatal(err)
		}
		clock.Set(time.Date(2027, 2, 3, 0, 0, 0, 0, time.UTC))
		if got := due(); !slices.Equal(got, []string{"2026-12", "2026-11"}) {
			t.Fatalf("due after the end = %v, want [2026-12 2026-11]", got)
		}
		for _, m := range []string{"2026-08", "2026-09", "2026-10"} {
			if r, err := ev.EvaluateMonth(ctx, sub.ID, m); err != nil || !r.Final {
				t.Fatalf("evaluating imported %s: %+v, %v", m, r, err)
			}
		}
		for _, m := range []string{"2026-07", "2027-01"} {
			if _, err := ev.EvaluateMonth(ctx, sub.ID, m); models.ErrorCode(err) != models.CodeBadUserInput {
				t.Fatalf("evaluating %s outside the life: %v, want BAD_USER_INPUT", m, err)
			}
		}
	})
}
