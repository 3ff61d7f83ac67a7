package store_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prioritysupport/backend/models"
)

// mail returns a customer message from address, received at.
func mail(id, from string, at time.Time) models.InboundEmail {
	domain := from[strings.LastIndexByte(from, '@')+1:]
	return models.InboundEmail{MessageID: id, Direction: models.FromCustomer, From: from, FromDomain: domain, Subject: "s " + id, ReceivedAt: at}
}

// ingest stores a message and fails the test on error.
func (f *fixture) ingest(e models.InboundEmail) models.IngestResult {
	f.t.Helper()
	r, err := f.st.IngestEmail(anonymous, e)
	if err != nil {
		f.t.Fatalf("IngestEmail(%s): %v", e.MessageID, err)
	}
	return r
}

// TestPriorityIsDecidedAtTheOpeningMessage checks the priority rule against
// the subscription and license as they were when the message was received,
// and that the decision is kept.
func TestPriorityIsDecidedAtTheOpeningMessage(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Acme")
		start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		sub, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"acme.example"}, StartsAt: &start})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, from string
			at         time.Time
			priority   bool
			customer   bool
		}{
			{"covered domain while active", "a@acme.example", testNow, true, true},
			{"subdomain", "a@eu.mail.acme.example", testNow, true, true},
			{"look-alike domain", "a@notacme.example", testNow, false, false},
			{"before the subscription started", "a@acme.example", start.Add(-time.Hour), false, false},
			{"support domain", "a@vendor.test", testNow, false, false},
		}
		for i, tc := range cases {
			e := mail(fmt.Sprintf("m%d@x", i), tc.from, tc.at)
			if tc.from == "a@vendor.test" {
				e.Direction = models.FromSupport
			}
			r := f.ingest(e)
			if r.Priority != tc.priority || (r.CustomerID == c.ID) != tc.customer {
				t.Errorf("%s: priority %v customer %q, want %v %v", tc.name, r.Priority, r.CustomerID, tc.priority, tc.customer)
			}
		}

		// The license lapses: new mail is no longer priority, but earlier
		// tickets keep their decision.
		kept := f.ingest(mail("keep@x", "b@acme.example", testNow))
		f.clk.Set(licenseUntil.Add(time.Hour))
		if r := f.ingest(mail("lapsed@x", "b@acme.example", licenseUntil.Add(time.Hour))); r.Priority {
			t.Error("mail after the license lapsed is priority")
		}
		again := mail("keep-2@x", "b@acme.example", licenseUntil.Add(2*time.Hour))
		again.InReplyTo = []string{"keep@x"}
		if r := f.ingest(again); r.TicketID != kept.TicketID || !r.Priority {
			t.Errorf("a reply on a priority ticket: %+v, want the same priority ticket", r)
		}

		// A canceled subscription covers nothing from its cancellation on,
		// but mail received before it still is.
		f.clk.Set(testNow)
		f.cancel(sub.ID)
		if r := f.ingest(mail("after-cancel@x", "c@acme.example", testNow.Add(time.Minute))); r.Priority || r.CustomerID != "" {
			t.Errorf("mail after cancellation: %+v", r)
		}
		if r := f.ingest(mail("late-delivery@x", "c@acme.example", testNow.Add(-time.Hour))); !r.Priority {
			t.Errorf("mail received before the cancellation, delivered late: %+v", r)
		}
	})
}

// TestConcurrentRepliesOnOneTicket: messages on one ticket arriving at once
// all land, and the ticket's clocks reflect all of them.
func TestConcurrentRepliesOnOneTicket(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Acme")
		start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		if _, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"acme.example"}, StartsAt: &start}); err != nil {
			t.Fatal(err)
		}
		open := f.ingest(mail("root@x", "a@acme.example", testNow))
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := mail(fmt.Sprintf("r%d@x", i), "a@acme.example", testNow.Add(time.Duration(i+1)*time.Minute))
				if i%2 == 1 {
					e.Direction, e.From, e.FromDomain = models.FromSupport, "s@vendor.test", "vendor.test"
				}
				e.InReplyTo = []string{"root@x"}
				r, err := f.st.IngestEmail(anonymous, e)
				if err == nil && r.TicketID != open.TicketID {
					err = fmt.Errorf("%s threaded to %s", e.MessageID, r.TicketID)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := f.count((*models.Message)(nil), "ticket_id = ?", open.TicketID); n != 9 {
			t.Fatalf("%d messages, want 9", n)
		}
		// Customer at 0, 1, 3, 5, 7 minutes; support at 2, 4, 6, 8: four
		// clocks, each stopped.
		if n := f.count((*models.Clock)(nil), "ticket_id = ? AND stopped_at IS NOT NULL", open.TicketID); n != 4 {
			t.Fatalf("%d stopped clocks, want 4", n)
		}
	})
}
