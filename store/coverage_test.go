package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/prioritysupport/backend/models"
)

// importSub creates a subscription with a start date as sales and fails the
// test on error.
func (f *fixture) importSub(customerID string, start time.Time, domains ...string) *models.SupportSubscription {
	f.t.Helper()
	s, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: customerID, Domains: domains, StartsAt: &start})
	if err != nil {
		f.t.Fatalf("CreateSubscription(%v from %s): %v", domains, start, err)
	}
	return s
}

// TestCoverageFollowsWhenDomainsWereAdded checks that a domain covers mail
// received from when it was put on a subscription, not before, and that a
// subscription created with a past start covers that past.
func TestCoverageFollowsWhenDomainsWereAdded(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Grower")
		start := time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)
		sub := f.importSub(c.ID, start, "grower.example")
		if _, err := f.st.SetSubscriptionDomains(salesCtx, sub.ID, []string{"grower.example", "grower.test"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, from string
			at         time.Time
			covered    bool
		}{
			{"an initial domain at the start", "a@grower.example", start, true},
			{"an initial domain before the start", "a@grower.example", start.Add(-time.Second), false},
			{"an added domain before it was added", "a@grower.test", testNow.Add(-time.Second), false},
			{"an added domain when it was added", "a@grower.test", testNow, true},
		} {
			r := f.ingest(mail(strings.ReplaceAll(tc.name, " ", "-")+"@x", tc.from, tc.at))
			if r.Priority != tc.covered || (r.CustomerID == c.ID) != tc.covered {
				t.Errorf("%s: priority %v, customer %q; want covered %v", tc.name, r.Priority, r.CustomerID, tc.covered)
			}
		}
	})
}

// TestPastStartOverlappingFormerCoverage checks that a subscription cannot
// be given a start before the moment another subscription stopped covering
// an overlapping domain, and that a domain taken off before its
// subscription started covered nothing and blocks nothing.
func TestPastStartOverlappingFormerCoverage(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		holder := f.eligibleCustomer("Holder")
		held := f.importSub(holder.ID, time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC), "held.example")
		moved := testNow.Add(time.Hour)
		f.clk.Set(moved)
		if _, err := f.st.SetSubscriptionDomains(salesCtx, held.ID, []string{"other.example"}); err != nil {
			t.Fatal(err)
		}
		f.clk.Set(moved.Add(time.Hour))

		taker := f.eligibleCustomer("Taker")
		past := time.Date(2026, 10, 1, 4, 0, 0, 0, time.UTC)
		_, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: taker.ID, Domains: []string{"eu.held.example"}, StartsAt: &past})
		wantCode(t, err, models.CodeConflict)
		want := `"eu.held.example" overlaps "held.example", covered by subscription ` + held.ID + " until " + moved.Format(time.RFC3339Nano) + ": start then or later"
		if got := models.ErrorMessage(err); got != want {
			t.Fatalf("message = %q, want %q", got, want)
		}
		f.importSub(taker.ID, moved, "eu.held.example")

		// A pending subscription's domain taken off before its start never
		// covered: an import over that time is free to take it.
		early := f.eligibleCustomer("Early")
		pending := f.subscribe(early.ID, "brief.example", "early.example")
		if _, err := f.st.SetSubscriptionDomains(salesCtx, pending.ID, []string{"early.example"}); err != nil {
			t.Fatal(err)
		}
		other := f.eligibleCustomer("Other")
		f.importSub(other.ID, past, "brief.example")
	})
}

// TestCoverageOfOverlappingRows checks the order in which rows that cover
// one sender at one time are taken, should such rows exist (the overlap
// rules keep new ones from arising): the most specific domain, then the
// domain added first.
func TestCoverageOfOverlappingRows(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		start := time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)
		a := f.eligibleCustomer("A")
		subA := f.importSub(a.ID, start, "wide.example")
		b := f.eligibleCustomer("B")
		subB := f.importSub(b.ID, start, "b.example")
		for _, row := range []*models.SubscriptionDomain{
			{Domain: "eu.wide.example", Live: true, AddedAt: start},
			{Domain: "wide.example", AddedAt: start.Add(time.Hour), RemovedAt: testNow},
		} {
			row.ID, row.SubscriptionID, row.CustomerID = uuid.NewString(), subB.ID, b.ID
			if _, err := f.db.NewInsert().Model(row).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		at := start.Add(2 * time.Hour)
		if r := f.ingest(mail("deep@x", "x@mail.eu.wide.example", at)); r.CustomerID != b.ID {
			t.Errorf("the more specific domain lost: customer %q, want %q", r.CustomerID, b.ID)
		}
		if r := f.ingest(mail("same@x", "x@wide.example", at)); r.CustomerID != a.ID || !r.Priority {
			t.Errorf("of two equal domains the one added first lost: %+v, want customer %q (subscription %s)", r, a.ID, subA.ID)
		}
	})
}
