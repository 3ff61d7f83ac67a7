package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

// summaryMonth is what the tests read of a CustomerSlaMonth (and of the
// SlaMonthReports it sums).
type summaryMonth struct {
	Month                          string
	Final, Met                     bool
	Status                         string
	TicketsReceived                int
	FirstResponses                 int
	FirstResponsesAnswered         *int
	FirstResponsesMet              int
	FirstResponsesMissed           int
	FirstResponsesRunning          *int
	AverageFirstResponseSeconds    *int
	FollowUps                      int
	AverageFollowUpResponseSeconds *int
	CreditEarned                   struct {
		Cents    int
		Currency string
	}
	Credit  *struct{ Amount struct{ Cents int } }
	Reports []summaryMonth
}

const summaryMonthFields = `month final met status ticketsReceived firstResponses firstResponsesAnswered firstResponsesMet firstResponsesMissed
	firstResponsesRunning averageFirstResponseSeconds followUps averageFollowUpResponseSeconds creditEarned { cents currency }`

const reportSumFields = `month final met status ticketsReceived firstResponses firstResponsesAnswered firstResponsesMet firstResponsesMissed
	firstResponsesRunning averageFirstResponseSeconds followUps averageFollowUpResponseSeconds credit { amount { cents } }`

// TestCustomerSLASummary: a customer's month summaries and their totals are
// the sums of its subscriptions' month reports (frozen months as frozen),
// with averages weighted by their counts and the credit the months earned;
// ranges are bounded and checked.
func TestCustomerSLASummary(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		// Sum Ltd's first subscription (sum.example) runs from September
		// to 15 October, its second (sum2.example) from then on.
		clock := newClock(utc(t, "2026-10-15 12:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		f := s.mustPriorityCustomer("Sum Ltd", utc(t, "2026-09-01 00:00"), "sum.example")
		second := s.replaceSubscription(f, "sum2.example")
		other := s.mustPriorityCustomer("Other Ltd", utc(t, "2026-09-01 00:00"), "other.example")
		clock.Set(utc(t, "2026-11-20 12:00"))
		n := 0
		conversation := func(from string, times ...string) {
			n++
			for i, at := range times {
				e := email{From: from, Subject: fmt.Sprintf("case %d", n), MessageID: fmt.Sprintf("sum-%d-%d@x.example", n, i), Received: utc(t, at)}
				if i%2 == 1 {
					e.From = "bob@support.vendor.test"
				}
				if i > 0 {
					e.InReplyTo = fmt.Sprintf("sum-%d-%d@x.example", n, i-1)
				}
				s.mustIngest(e)
			}
		}
		conversation("a@sum.example", "2026-10-06 09:00", "2026-10-06 09:30")
		conversation("b@sum.example", "2026-10-07 09:00", "2026-10-07 11:00")
		conversation("c@sum2.example", "2026-10-20 09:00", "2026-10-20 09:20")
		conversation("d@sum2.example", "2026-11-03 09:00", "2026-11-03 09:40", "2026-11-03 10:00", "2026-11-03 10:30")
		conversation("e@sum2.example", "2026-11-19 10:00")
		conversation("f@other.example", "2026-11-19 10:00")
		var ev struct{ EvaluateSlaMonth struct{ Status string } }
		s.gql(s.admin(), evaluateMutation, map[string]any{"s": f.SubscriptionID, "m": "2026-10"}).decode(t, &ev)
		if ev.EvaluateSlaMonth.Status != "BREACHED" {
			t.Fatalf("October evaluates %s, want BREACHED", ev.EvaluateSlaMonth.Status)
		}

		var out struct {
			Customer struct {
				SlaSummary struct {
					From, To                       string
					Months                         []summaryMonth
					TicketsReceived                int
					FirstResponses                 int
					FirstResponsesMet              int
					FirstResponsesMissed           int
					AverageFirstResponseSeconds    *int
					FollowUps                      int
					AverageFollowUpResponseSeconds *int
					MonthsMet, MonthsBreached      int
					CreditEarned                   struct{ Cents int }
				}
				SlaMonth  *summaryMonth
				NoneMonth *summaryMonth
			}
		}
		s.gql(s.customerToken(f), `query($c: ID!) { customer(id: $c) {
			slaSummary(from: "2026-08", to: "2026-11") { from to months { `+summaryMonthFields+` reports { `+reportSumFields+` } }
				ticketsReceived firstResponses firstResponsesMet firstResponsesMissed averageFirstResponseSeconds followUps
				averageFollowUpResponseSeconds monthsMet monthsBreached creditEarned { cents } }
			slaMonth(month: "2026-10") { `+summaryMonthFields+` }
			noneMonth: slaMonth(month: "2026-08") { month } } }`, map[string]any{"c": f.CustomerID}).decode(t, &out)
		sum := out.Customer.SlaSummary
		if sum.From != "2026-08" || sum.To != "2026-11" || len(sum.Months) != 3 {
			t.Fatalf("summary %s..%s has %d months, want 2026-09..2026-11", sum.From, sum.To, len(sum.Months))
		}
		if out.Customer.NoneMonth != nil {
			t.Errorf("a month without a guarantee: %+v", out.Customer.NoneMonth)
		}

		// Each month against the subscriptions' own reports.
		subs := []string{second, f.SubscriptionID} // newest first, as Customer.supportSubscriptions
		totalFirst, totalAnswered := 0.0, 0
		for i, m := range sum.Months {
			if want := []string{"2026-09", "2026-10", "2026-11"}[i]; m.Month != want {
				t.Fatalf("month %d is %s, want %s", i, m.Month, want)
			}
			var reports []summaryMonth
			for _, id := range subs {
				var r struct{ SlaReport *summaryMonth }
				s.gql(s.support(), `query($s: ID!, $m: String!) { slaReport(subscriptionId: $s, month: $m) { `+reportSumFields+` } }`,
					map[string]any{"s": id, "m": m.Month}).decode(t, &r)
				if r.SlaReport != nil {
					reports = append(reports, *r.SlaReport)
				}
			}
			want := summaryMonth{Month: m.Month, Final: true, Met: true, Status: "MET"}
			rank := map[string]int{"MET": 0, "ON_TRACK": 1, "AT_RISK": 2, "BREACHED": 3}
			answered, running := 0, 0
			var firstSum, followSum float64
			for _, r := range reports {
				want.Final, want.Met = want.Final && r.Final, want.Met && r.Met
				if rank[r.Status] > rank[want.Status] {
					want.Status = r.Status
				}
				want.TicketsReceived += r.TicketsReceived
				want.FirstResponses += r.FirstResponses
				want.FirstResponsesMet += r.FirstResponsesMet
				want.FirstResponsesMissed += r.FirstResponsesMissed
				want.FollowUps += r.FollowUps
				answered += *r.FirstResponsesAnswered
				running += *r.FirstResponsesRunning
				if r.AverageFirstResponseSeconds != nil {
					firstSum += float64(*r.AverageFirstResponseSeconds * *r.FirstResponsesAnswered)
				}
				if r.AverageFollowUpResponseSeconds != nil {
					followSum += float64(*r.AverageFollowUpResponseSeconds * r.FollowUps)
				}
				if r.Credit != nil {
					want.CreditEarned.Cents += r.Credit.Amount.Cents
				}
			}
			want.CreditEarned.Currency = "USD"
			want.FirstResponsesAnswered, want.FirstResponsesRunning = &answered, &running
			if answered > 0 {
				avg := int(math.Round(firstSum / float64(answered)))
				want.AverageFirstResponseSeconds = &avg
				totalFirst += firstSum
				totalAnswered += answered
			}
			if want.FollowUps > 0 {
				avg := int(math.Round(followSum / float64(want.FollowUps)))
				want.AverageFollowUpResponseSeconds = &avg
			}
			if len(m.Reports) != len(reports) {
				t.Errorf("%s has %d reports, want %d", m.Month, len(m.Reports), len(reports))
			}
			if show(m) != show(want) {
				t.Errorf("%s = %s\nwant %s", m.Month, show(m), show(want))
			}
		}

		// The numbers, spelled out.
		oct := sum.Months[1]
		if oct.Status != "BREACHED" || !oct.Final || oct.TicketsReceived != 3 || oct.FirstResponsesMet != 2 || oct.FirstResponsesMissed != 1 ||
			oct.AverageFirstResponseSeconds == nil || *oct.AverageFirstResponseSeconds != (30+120+20)*60/3 || oct.CreditEarned.Cents != 80000 {
			t.Errorf("October = %s", show(oct))
		}
		nov := sum.Months[2]
		if nov.Status != "BREACHED" || nov.Final || nov.TicketsReceived != 2 || *nov.FirstResponsesRunning != 1 || nov.FollowUps != 1 ||
			*nov.AverageFollowUpResponseSeconds != 30*60 {
			t.Errorf("November = %s", show(nov))
		}
		if sum.TicketsReceived != 5 || sum.FirstResponses != 5 || sum.FirstResponsesMet != 3 || sum.FirstResponsesMissed != 2 ||
			sum.MonthsMet != 1 || sum.MonthsBreached != 2 || sum.CreditEarned.Cents != 80000 || sum.FollowUps != 1 ||
			sum.AverageFirstResponseSeconds == nil || *sum.AverageFirstResponseSeconds != int(math.Round(totalFirst/float64(totalAnswered))) {
			t.Errorf("totals = %+v", sum)
		}
		if got := out.Customer.SlaMonth; got == nil || show(*got) != show(oct) {
			t.Errorf("slaMonth(2026-10) = %v, want October of the summary", got)
		}

		t.Run("bounds and scope", func(t *testing.T) {
			q := `query($c: ID!, $f: Month!, $t: Month!) { customer(id: $c) { slaSummary(from: $f, to: $t) { ticketsReceived } } }`
			for name, r := range map[string][2]string{
				"reversed":   {"2026-11", "2026-10"},
				"37 months":  {"2023-11", "2026-11"},
				"bad month":  {"2026-13", "2026-11"},
				"short form": {"2026-1", "2026-11"},
			} {
				if res := s.gql(s.support(), q, map[string]any{"c": f.CustomerID, "f": r[0], "t": r[1]}); res.code() != "BAD_USER_INPUT" {
					t.Errorf("%s: %s", name, res.Raw)
				}
			}
			var ok struct {
				Customer struct{ SlaSummary struct{ TicketsReceived int } }
			}
			s.gql(s.support(), q, map[string]any{"c": f.CustomerID, "f": "2023-12", "t": "2026-11"}).decode(t, &ok)
			if ok.Customer.SlaSummary.TicketsReceived != 5 {
				t.Errorf("36 months: %d tickets", ok.Customer.SlaSummary.TicketsReceived)
			}
			if r := s.gql(s.customerToken(other), `query($c: ID!) { customer(id: $c) { id slaSummary(from: "2026-10", to: "2026-11") { ticketsReceived } } }`,
				map[string]any{"c": f.CustomerID}); r.code() != "NOT_FOUND" || strings.Contains(r.Raw, "ticketsReceived") {
				t.Errorf("another customer reads the summary: %s", r.Raw)
			}
		})
	})
}

// show prints a month summary with its pointers followed.
func show(m summaryMonth) string {
	p := func(v *int) string {
		if v == nil {
			return "nil"
		}
		return fmt.Sprint(*v)
	}
	return fmt.Sprintf("{%s final=%v met=%v %s tickets=%d first=%d answered=%s met=%d missed=%d running=%s avgFirst=%s followUps=%d avgFollow=%s credit=%d %s}",
		m.Month, m.Final, m.Met, m.Status, m.TicketsReceived, m.FirstResponses, p(m.FirstResponsesAnswered), m.FirstResponsesMet,
		m.FirstResponsesMissed, p(m.FirstResponsesRunning), p(m.AverageFirstResponseSeconds), m.FollowUps, p(m.AverageFollowUpResponseSeconds),
		m.CreditEarned.Cents, m.CreditEarned.Currency)
}

// TestCustomerSummaryQueriesDoNotGrow: the summary of a customer with one
// subscription over one month runs as many queries as that of a customer
// with three subscriptions over twelve months, or of a page of customers.
func TestCustomerSummaryQueriesDoNotGrow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		// Big Ltd has three subscriptions one after the other.
		clock := newClock(utc(t, "2026-01-10 12:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil, func(a *App) { a.LoaderWait = 100 * time.Millisecond })
		small := s.mustPriorityCustomer("Small Ltd", utc(t, "2025-06-01 00:00"), "small.example")
		big := s.mustPriorityCustomer("Big Ltd", utc(t, "2025-06-01 00:00"), "big.example")
		s.replaceSubscription(big, "big2.example")
		clock.Set(utc(t, "2026-05-12 12:00"))
		s.replaceSubscription(big, "big3.example")
		clock.Set(utc(t, "2026-11-20 12:00"))
		for i, m := range []struct{ from, at string }{
			{"a@small.example", "2026-11-03 09:00"}, {"b@big.example", "2025-12-03 09:00"},
			{"c@big2.example", "2026-03-03 09:00"}, {"d@big3.example", "2026-07-07 09:00"},
		} {
			if r := s.mustIngest(email{From: m.from, Subject: "q", MessageID: fmt.Sprintf("count-%d@x.example", i), Received: utc(t, m.at)}); !r.Priority {
				t.Fatalf("%s at %s is not priority", m.from, m.at)
			}
		}
		counter := &queryCounter{}
		store.AddQueryHook(s.App.Store.DB(), counter)
		count := func(query string, vars map[string]any) int64 {
			counter.n.Store(0)
			s.gql(s.support(), query, vars).decode(t, &struct{}{})
			return counter.n.Load()
		}
		one := `query($c: ID!, $f: Month!, $t: Month!) { customer(id: $c) { slaSummary(from: $f, to: $t) {
			months { month status creditEarned { cents } reports { month status } } ticketsReceived creditEarned { cents } } } }`
		a := count(one, map[string]any{"c": small.CustomerID, "f": "2026-11", "t": "2026-11"})
		b := count(one, map[string]any{"c": big.CustomerID, "f": "2025-12", "t": "2026-11"})
		page := count(`{ customers(first: 10) { edges { node { slaSummary(from: "2025-12", to: "2026-11") {
			months { month status reports { month } } ticketsReceived } } } } }`, nil)
		if a != b {
			t.Fatalf("one subscription over one month ran %d queries, three over twelve %d", a, b)
		}
		if a < 4 {
			t.Fatalf("the hook counted only %d queries", a)
		}
		// The page adds its count and the page query, and reads the customers
		// from the page instead of by id.
		if page > a+2 {
			t.Fatalf("a page of customers ran %d queries, one customer %d", page, a)
		}
	})
}

// replaceSubscription cancels the customer's subscription now and starts a
// new one now covering domain; it returns the new subscription's id.
func (s *testServer) replaceSubscription(f fixture, domain string) string {
	s.t.Helper()
	var subs struct {
		Customer struct{ SupportSubscriptions []struct{ ID, Status string } }
	}
	s.gql(s.sales(), `query($c: ID!) { customer(id: $c) { supportSubscriptions { id status } } }`, map[string]any{"c": f.CustomerID}).decode(s.t, &subs)
	for _, sub := range subs.Customer.SupportSubscriptions {
		if sub.Status == "ACTIVE" {
			s.gql(s.sales(), `mutation($id: ID!) { cancelSupportSubscription(id: $id, reason: "replaced") { id } }`, map[string]any{"id": sub.ID}).decode(s.t, &struct{}{})
		}
	}
	now := s.App.Store.Now()
	var out struct{ CreateSupportSubscription struct{ ID string } }
	s.gql(s.sales(), `mutation($c: ID!, $d: [String!]!, $s: Time) { createSupportSubscription(input: {customerId: $c, domains: $d, startsAt: $s}) { id } }`,
		map[string]any{"c": f.CustomerID, "d": []string{domain}, "s": now.Format(time.RFC3339)}).decode(s.t, &out)
	return out.CreateSupportSubscription.ID
}
