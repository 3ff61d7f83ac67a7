package main

import (
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// earlySub is what the refund tests read of a subscription.
type earlySub struct {
	ID                                   string
	StartsAt                             time.Time
	CurrentPeriodStart, CurrentPeriodEnd time.Time
}

// mustEarlyAccess creates a customer with a paid license for 2026–2028 and an
// early-access subscription of domain starting at startsAt, as sent.
func (s *testServer) mustEarlyAccess(name, domain, startsAt string) (fixture, earlySub) {
	s.t.Helper()
	var c struct{ CreateCustomer struct{ ID string } }
	s.gql(s.sales(), `mutation($n: String!) { createCustomer(input: {name: $n}) { id } }`, map[string]any{"n": name}).decode(s.t, &c)
	f := fixture{CustomerID: c.CreateCustomer.ID}
	s.mustLicense(f.CustomerID, name+"-KEY", true, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC))
	var out struct{ CreateSupportSubscription earlySub }
	s.gql(s.sales(), `mutation($c: ID!, $d: [String!]!, $s: Time) {
	  createSupportSubscription(input: {customerId: $c, domains: $d, startsAt: $s, earlyAccess: true}) { id startsAt currentPeriodStart currentPeriodEnd } }`,
		map[string]any{"c": f.CustomerID, "d": []string{domain}, "s": startsAt}).decode(s.t, &out)
	f.SubscriptionID = out.CreateSupportSubscription.ID
	return f, out.CreateSupportSubscription
}

// mustOptOut opts the subscription out as its customer and returns the
// refunds written for it, in cents (pending: the test server has no Stripe).
func (s *testServer) mustOptOut(f fixture) []int64 {
	s.t.Helper()
	var out struct{ OptOutEarlyAccess struct{ Status string } }
	s.gql(s.customerToken(f), `mutation($s: ID!) { optOutEarlyAccess(subscriptionId: $s) { status } }`, map[string]any{"s": f.SubscriptionID}).decode(s.t, &out)
	if out.OptOutEarlyAccess.Status != "CANCELED" {
		s.t.Fatalf("opt-out left the subscription %s", out.OptOutEarlyAccess.Status)
	}
	var cust struct {
		Customer struct {
			Settlements []struct {
				Kind   string
				Amount struct{ Cents int64 }
			}
		}
	}
	s.gql(s.admin(), `query($c: ID!) { customer(id: $c) { settlements { kind amount { cents } } } }`, map[string]any{"c": f.CustomerID}).decode(s.t, &cust)
	var refunds []int64
	for _, st := range cust.Customer.Settlements {
		if st.Kind != "CREDIT_NOTE" {
			s.t.Fatalf("settlement %+v, want only the opt-out's credit note", st)
		}
		refunds = append(refunds, st.Amount.Cents)
	}
	return refunds
}

// TestRefundDaysInTheSLAZone: a start sent as a UTC midnight is that date in
// the subscription's SLA zone, and the early-access refund counts the local
// dates of its period (SPEC §2: annual fee × unused days / days in period,
// rounded up to the cent). In New York a subscription started "2027-03-01"
// and opted out of on the morning of 29 February 2028 gets one day of 366
// back, not nothing; a subscription started "1 September" holds no hours of
// August; the first and last day of a period across a daylight-saving change
// refund the whole fee and one day.
func TestRefundDaysInTheSLAZone(t *testing.T) {
	const annual, oneDayOf365, oneDayOf366 = 960000, 2631, 2623 // 960000/365 = 2630.13…, 960000/366 = 2622.95…
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		local := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, ny) }
		clock := newClock(time.Date(2026, 8, 15, 12, 0, 0, 0, time.UTC))
		s := newTestServerAt(t, databaseURL, clock.Now, map[string]string{"PS_SLA_TIMEZONE": "America/New_York"})

		leap, leapSub := s.mustEarlyAccess("Leap Ltd", "leap.example", "2027-03-01T00:00:00Z")
		august, augustSub := s.mustEarlyAccess("September Ltd", "september.example", "2026-09-01T00:00:00Z")
		first, firstSub := s.mustEarlyAccess("Fall First Ltd", "fall-first.example", "2026-11-01T00:00:00Z")
		last, _ := s.mustEarlyAccess("Fall Last Ltd", "fall-last.example", "2026-11-01T00:00:00Z")

		t.Run("a UTC-midnight start is that date at midnight in New York, and so are its period bounds", func(t *testing.T) {
			for _, c := range []struct {
				sub        earlySub
				start, end time.Time
			}{
				{leapSub, local(2027, 3, 1), local(2028, 3, 1)},
				{augustSub, local(2026, 9, 1), local(2027, 9, 1)},
				{firstSub, local(2026, 11, 1), local(2027, 11, 1)},
			} {
				if !c.sub.StartsAt.Equal(c.start) || !c.sub.CurrentPeriodStart.Equal(c.start) || !c.sub.CurrentPeriodEnd.Equal(c.end) {
					t.Errorf("subscription starts %s, period %s – %s; want %s, %s – %s", c.sub.StartsAt, c.sub.CurrentPeriodStart, c.sub.CurrentPeriodEnd,
						c.start.UTC(), c.start.UTC(), c.end.UTC())
				}
			}
		})

		t.Run("a subscription started on 1 September holds no hours of August", func(t *testing.T) {
			clock.Set(time.Date(2026, 9, 2, 12, 0, 0, 0, time.UTC))
			var out struct{ SlaReport *reportView }
			s.gql(s.support(), `query($s: ID!) { slaReport(subscriptionId: $s, month: "2026-08") { month } }`, map[string]any{"s": august.SubscriptionID}).decode(t, &out)
			if out.SlaReport != nil {
				t.Errorf("August has a report %+v: the subscription starts on 1 September", out.SlaReport)
			}
			// 22:00 on 31 August in New York is 02:00 on 1 September UTC.
			if r := s.mustIngest(email{From: "ann@september.example", Subject: "Late August", MessageID: "aug-31@september.example", Received: time.Date(2026, 9, 1, 2, 0, 0, 0, time.UTC)}); r.Priority {
				t.Errorf("mail of 31 August, New York time, is priority: %+v", r)
			}
			if r := s.mustIngest(email{From: "ann@september.example", Subject: "Early September", MessageID: "sep-1@september.example", Received: time.Date(2026, 9, 1, 4, 30, 0, 0, time.UTC)}); !r.Priority {
				t.Errorf("mail of 1 September 00:30, New York time, is not priority: %+v", r)
			}
		})

		t.Run("opting out on the first day, the 25-hour day summer time ends, refunds the whole fee", func(t *testing.T) {
			clock.Set(time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)) // 01:30 EST, the second 01:30
			if got := s.mustOptOut(first); len(got) != 1 || got[0] != annual {
				t.Errorf("refunds %v, want [%d]", got, annual)
			}
		})

		t.Run("opting out on the last day, before summer time ends, refunds one day", func(t *testing.T) {
			clock.Set(time.Date(2027, 11, 1, 3, 30, 0, 0, time.UTC)) // 23:30 EDT on 31 October
			if got := s.mustOptOut(last); len(got) != 1 || got[0] != oneDayOf365 {
				t.Errorf("refunds %v, want [%d]", got, oneDayOf365)
			}
		})

		t.Run("opting out on the morning of 29 February 2028 refunds one day of 366", func(t *testing.T) {
			clock.Set(time.Date(2028, 2, 29, 14, 0, 0, 0, time.UTC)) // 09:00 EST
			if got := s.mustOptOut(leap); len(got) != 1 || got[0] != oneDayOf366 {
				t.Errorf("refunds %v, want [%d]", got, oneDayOf366)
			}
		})
	})
}

// TestRefundDaysInUTC: a UTC subscription started on a UTC midnight keeps
// its start and period, and opting out on its last day refunds one day.
func TestRefundDaysInUTC(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(time.Date(2026, 8, 15, 12, 0, 0, 0, time.UTC))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		f, sub := s.mustEarlyAccess("UTC Ltd", "utc.example", "2026-09-01T00:00:00Z")
		start, end := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 9, 1, 0, 0, 0, 0, time.UTC)
		if !sub.StartsAt.Equal(start) || !sub.CurrentPeriodStart.Equal(start) || !sub.CurrentPeriodEnd.Equal(end) {
			t.Fatalf("UTC subscription starts %s, period %s – %s; want %s, %s – %s", sub.StartsAt, sub.CurrentPeriodStart, sub.CurrentPeriodEnd, start, start, end)
		}
		clock.Set(time.Date(2027, 8, 31, 23, 0, 0, 0, time.UTC))
		if got := s.mustOptOut(f); len(got) != 1 || got[0] != 2631 { // 960000/365 = 2630.13…
			t.Errorf("UTC subscription, last day: refunds %v, want [%d]", got, 2631)
		}
	})
}
