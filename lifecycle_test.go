package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// TestSubscriptionLifecycle walks one subscription through the API as sales
// would: create at the next renewal, change its domains, cancel it, and read
// its terms and status history back.
func TestSubscriptionLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, map[string]string{"PS_SLA_TIMEZONE": "Europe/London"})
		f := s.mustCustomer("Lifecycle Ltd")
		renewal := time.Now().AddDate(0, 11, 0).UTC().Truncate(time.Second)
		s.mustLicense(f.CustomerID, "Lifecycle Ltd-KEY", true, time.Now().AddDate(0, -1, 0), renewal)

		type sub struct {
			ID                    string
			Status                string
			Domains               []string
			EarlyAccess           bool
			MonthlyFee, AnnualFee struct {
				Cents    int
				Currency string
			}
			StartsAt                   time.Time
			CurrentPeriodStart         *time.Time
			CurrentPeriodEnd           *time.Time
			ActivatedAt, CanceledAt    *time.Time
			CancelReason               *string
			FirstResponseTargetSeconds int
			FollowUpTargetSeconds      int
			SlaTimezone                string
			StatusHistory              []struct {
				From   *string
				To     string
				At     time.Time
				Reason *string
			}
		}
		fields := `id status domains earlyAccess monthlyFee { cents currency } annualFee { cents currency } startsAt
			currentPeriodStart currentPeriodEnd activatedAt canceledAt cancelReason firstResponseTargetSeconds
			followUpTargetSeconds slaTimezone statusHistory { from to at reason }`

		var created struct{ CreateSupportSubscription sub }
		s.gql(s.sales(), `mutation($c: ID!) { createSupportSubscription(input: {customerId: $c, domains: ["lifecycle.example"], earlyAccess: true}) { `+fields+` } }`,
			map[string]any{"c": f.CustomerID}).decode(t, &created)
		c := created.CreateSupportSubscription
		if c.Status != "PENDING" || !c.StartsAt.Equal(renewal) || c.CurrentPeriodEnd == nil || !c.CurrentPeriodEnd.Equal(renewal.AddDate(1, 0, 0)) ||
			!c.EarlyAccess || c.MonthlyFee.Cents != 80000 || c.MonthlyFee.Currency != "USD" || c.AnnualFee.Cents != 960000 ||
			c.FirstResponseTargetSeconds != 3600 || c.FollowUpTargetSeconds != 3600 || c.SlaTimezone != "Europe/London" || c.ActivatedAt != nil {
			t.Fatalf("created = %+v", c)
		}
		if len(c.StatusHistory) != 1 || c.StatusHistory[0].From != nil || c.StatusHistory[0].To != "PENDING" {
			t.Fatalf("history = %+v", c.StatusHistory)
		}

		var changed struct{ SetSubscriptionDomains sub }
		s.gql(s.sales(), `mutation($id: ID!) { setSubscriptionDomains(id: $id, domains: ["Lifecycle.example", "lifecycle-eu.example"]) { `+fields+` } }`,
			map[string]any{"id": c.ID}).decode(t, &changed)
		if got := strings.Join(changed.SetSubscriptionDomains.Domains, ","); got != "lifecycle-eu.example,lifecycle.example" {
			t.Fatalf("domains = %s", got)
		}

		var canceled struct{ CancelSupportSubscription sub }
		s.gql(s.sales(), `mutation($id: ID!) { cancelSupportSubscription(id: $id, reason: "moved to another vendor") { `+fields+` } }`,
			map[string]any{"id": c.ID}).decode(t, &canceled)
		x := canceled.CancelSupportSubscription
		if x.Status != "CANCELED" || x.CanceledAt == nil || x.CancelReason == nil || *x.CancelReason != "moved to another vendor" {
			t.Fatalf("canceled = %+v", x)
		}
		var read struct{ SupportSubscription sub }
		s.gql(s.sales(), `query($id: ID!) { supportSubscription(id: $id) { `+fields+` } }`, map[string]any{"id": c.ID}).decode(t, &read)
		h := read.SupportSubscription.StatusHistory
		if len(h) != 2 || h[1].From == nil || *h[1].From != "PENDING" || h[1].To != "CANCELED" || h[1].Reason == nil {
			b, _ := json.Marshal(h)
			t.Fatalf("history = %s", b)
		}
		if got := strings.Join(read.SupportSubscription.Domains, ","); got != "lifecycle-eu.example,lifecycle.example" {
			t.Fatalf("an ended subscription lists %s, want the set it ended with", got)
		}

		t.Run("ended subscriptions cannot change", func(t *testing.T) {
			for _, m := range []string{
				`mutation($id: ID!) { cancelSupportSubscription(id: $id) { id } }`,
				`mutation($id: ID!) { setSubscriptionDomains(id: $id, domains: ["lifecycle.example"]) { id } }`,
			} {
				if res := s.gql(s.sales(), m, map[string]any{"id": c.ID}); res.code() != "CONFLICT" {
					t.Fatalf("got %s", res.Raw)
				}
			}
		})
		t.Run("its domains are free again", func(t *testing.T) {
			other := s.mustCustomer("Successor", "lifecycle.example")
			if other.SubscriptionID == "" {
				t.Fatal("no subscription")
			}
		})
	})
}
