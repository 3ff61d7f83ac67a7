package main

import (
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// Support hours in these tests are 24×5 in New York, with Columbus Day and
// Thanksgiving as holidays. Daylight saving time ends on Sunday 1 November
// 2026 (02:00 EDT becomes 01:00 EST).
var newYorkHolidays = map[string]string{
	"PS_SLA_TIMEZONE": "America/New_York",
	"PS_SLA_HOLIDAYS": "2026-10-12,2026-11-26",
}

// TestCoverageHistory checks SPEC §2's coverage history through the inbound
// endpoint and GraphQL: a message is matched against the domains that
// covered its sender at its received time, so mail delivered late after a
// domain changed hands goes to the customer who held the domain then, and
// only that customer can read it.
func TestCoverageHistory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		now := utc(t, "2026-11-03 15:00") // Tuesday 10:00 EST
		clock := newClock(now)
		s := newTestServerAt(t, databaseURL, clock.Now, newYorkHolidays)

		// S has covered s-audit.com since September (recorded today, with its
		// past start). Today S moves to s-audit.net, and T subscribes, from
		// today, with eu.s-audit.com.
		sAudit := s.mustPriorityCustomer("S Audit", utc(t, "2026-09-01 04:00"), "s-audit.com")
		var moved struct{ SetSubscriptionDomains struct{ Domains []string } }
		s.gql(s.sales(), `mutation($id: ID!) { setSubscriptionDomains(id: $id, domains: ["s-audit.net"]) { domains } }`,
			map[string]any{"id": sAudit.SubscriptionID}).decode(t, &moved)
		tCorp := s.mustPriorityCustomer("T Corp", now, "eu.s-audit.com")

		// answered ingests a customer message and a support reply to it and
		// returns the customer message's answer.
		answered := func(t *testing.T, from, id string, received, reply time.Time) inboundResult {
			t.Helper()
			r := s.mustIngest(email{From: from, Subject: "Audit " + id, MessageID: id, Received: received})
			s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Audit " + id, MessageID: "re-" + id, InReplyTo: id, Received: reply})
			return r
		}
		// owner fails the test unless the ticket is owned by want (nil: by
		// nobody) with the given priority.
		owner := func(t *testing.T, r inboundResult, want *fixture, priority bool) ticketView {
			t.Helper()
			tk := s.mustTicket(r.TicketID)
			switch {
			case r.Priority != priority || tk.Priority != priority:
				t.Errorf("ticket %q: priority %v (answer %v), want %v", tk.Subject, tk.Priority, r.Priority, priority)
			case want == nil && (tk.Customer != nil || tk.Subscription != nil):
				t.Errorf("ticket %q belongs to %+v, %+v; want nobody", tk.Subject, tk.Customer, tk.Subscription)
			case want != nil && (tk.Customer == nil || tk.Customer.ID != want.CustomerID || tk.Subscription == nil || tk.Subscription.ID != want.SubscriptionID):
				t.Errorf("ticket %q belongs to %+v, %+v; want customer %s, subscription %s", tk.Subject, tk.Customer, tk.Subscription, want.CustomerID, want.SubscriptionID)
			}
			return tk
		}

		t.Run("late mail from a subdomain goes to the customer who held the parent then", func(t *testing.T) {
			r := answered(t, "dev@eu.s-audit.com", "oct7@eu.s-audit.com", utc(t, "2026-10-07 14:00"), utc(t, "2026-10-07 14:30"))
			tk := owner(t, r, &sAudit, true)
			if tk.Sla == nil || tk.Sla.FirstResponseBusinessSeconds == nil || *tk.Sla.FirstResponseBusinessSeconds != 1800 || tk.Sla.Breached {
				t.Errorf("sla = %+v, want a first response in 1800 business seconds", tk.Sla)
			}
			if asT := s.gql(s.customerToken(tCorp), `query($id: ID!) { ticket(id: $id) { id messages { body } } }`, map[string]any{"id": r.TicketID}); asT.code() != "NOT_FOUND" || strings.Contains(asT.Raw, "Hello") {
				t.Errorf("the customer who holds the subdomain today reads a message sent while another customer covered it: %s", asT.Raw)
			}
			var asS struct {
				Ticket *struct{ Messages []struct{ Body string } }
			}
			s.gql(s.customerToken(sAudit), `query($id: ID!) { ticket(id: $id) { messages { body } } }`, map[string]any{"id": r.TicketID}).decode(t, &asS)
			if asS.Ticket == nil || len(asS.Ticket.Messages) != 2 || asS.Ticket.Messages[0].Body == "" {
				t.Errorf("the customer who covered the domain then reads %+v, want both messages", asS.Ticket)
			}
		})

		t.Run("late mail on a holiday and across the end of daylight saving time", func(t *testing.T) {
			// Columbus Day counts nothing: 20:00 UTC on the holiday to 00:30 EDT
			// the next day is 30 business minutes.
			holiday := answered(t, "ops@s-audit.com", "holiday@s-audit.com", utc(t, "2026-10-12 20:00"), utc(t, "2026-10-13 04:30"))
			// Saturday 31 October 23:30 EDT (an October clock in New York) to
			// Monday 00:20 EST is 20 business minutes; on EDT it would be 80.
			dst := answered(t, "ops@s-audit.com", "dst@s-audit.com", utc(t, "2026-11-01 03:30"), utc(t, "2026-11-02 05:20"))
			for _, c := range []struct {
				r    inboundResult
				want int
			}{{holiday, 1800}, {dst, 1200}} {
				want := c.want
				tk := owner(t, c.r, &sAudit, true)
				if len(tk.Clocks) != 1 || tk.Clocks[0].Month != "2026-10" || tk.Clocks[0].BusinessSeconds == nil || *tk.Clocks[0].BusinessSeconds != want {
					t.Errorf("ticket %q clocks = %+v, want one October clock of %d business seconds", tk.Subject, tk.Clocks, want)
				}
			}
		})

		t.Run("mail from a domain before it was added is not covered", func(t *testing.T) {
			r := answered(t, "ops@s-audit.net", "before@s-audit.net", utc(t, "2026-10-20 14:00"), utc(t, "2026-10-20 16:00"))
			owner(t, r, nil, false)
		})

		t.Run("mail after the change follows today's domains", func(t *testing.T) {
			after := now.Add(time.Hour)
			owner(t, s.mustIngest(email{From: "ops@s-audit.net", Subject: "After S", MessageID: "after@s-audit.net", Received: after}), &sAudit, true)
			owner(t, s.mustIngest(email{From: "dev@eu.s-audit.com", Subject: "After T", MessageID: "after@eu.s-audit.com", Received: after}), &tCorp, true)
			owner(t, s.mustIngest(email{From: "ops@s-audit.com", Subject: "After none", MessageID: "after@s-audit.com", Received: after}), nil, false)
		})

		t.Run("the month reports count each ticket for the customer who held the domain", func(t *testing.T) {
			r := s.mustReport(s.customerToken(sAudit), sAudit.SubscriptionID, "2026-10")
			want := reportView{Month: "2026-10", Final: true, Met: true, Status: "MET", TicketsReceived: 3, FirstResponses: 3, FirstResponsesMet: 3}
			if r != want {
				t.Errorf("S's October = %+v, want %+v", r, want)
			}
			var tOct struct{ SlaReport *reportView }
			s.gql(s.customerToken(tCorp), `query($s: ID!) { slaReport(subscriptionId: $s, month: "2026-10") { month } }`,
				map[string]any{"s": tCorp.SubscriptionID}).decode(t, &tOct)
			if tOct.SlaReport != nil {
				t.Errorf("T has an October report: %+v", tOct.SlaReport)
			}
		})

		t.Run("a subscription starting later covers from its start", func(t *testing.T) {
			start := utc(t, "2026-12-01 05:00") // midnight EST
			later := s.mustPriorityCustomer("Later Inc", start, "later-inc.example")
			owner(t, s.mustIngest(email{From: "a@later-inc.example", Subject: "Early", MessageID: "early@later-inc.example", Received: now.Add(time.Hour)}), nil, false)
			clock.Set(utc(t, "2026-12-01 15:00"))
			defer clock.Set(now)
			owner(t, s.mustIngest(email{From: "a@later-inc.example", Subject: "Started", MessageID: "started@later-inc.example", Received: utc(t, "2026-12-01 14:00")}), &later, true)
		})

		t.Run("a past start cannot claim mail another subscription covered", func(t *testing.T) {
			var c struct{ CreateCustomer struct{ ID string } }
			s.gql(s.sales(), `mutation { createCustomer(input: {name: "V Ltd"}) { id } }`, nil).decode(t, &c)
			s.mustLicense(c.CreateCustomer.ID, "V-KEY", true, utc(t, "2026-01-01 00:00"), utc(t, "2028-01-01 00:00"))
			create := `mutation($c: ID!, $s: Time) { createSupportSubscription(input: {customerId: $c, domains: ["old.s-audit.com"], startsAt: $s}) { id } }`
			if r := s.gql(s.sales(), create, map[string]any{"c": c.CreateCustomer.ID, "s": "2026-10-01T00:00:00Z"}); r.code() != "CONFLICT" {
				t.Fatalf("an import over a period s-audit.com was covered: %s", r.Raw)
			}
			s.gql(s.sales(), create, map[string]any{"c": c.CreateCustomer.ID, "s": now.Format(time.RFC3339)}).decode(t, &struct{}{})
		})
	})
}
