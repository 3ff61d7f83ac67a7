package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/prioritysupport/backend/models"
)

// TestIngestRewritesClocksInPlace checks how an ingestion rewrites a
// ticket's stored clocks: a clock that still starts at the same time keeps
// its row and, while it keeps running (or stopped), the alert level sent
// for it; one that stops loses it; clocks the replay no longer has are
// deleted, as when an earlier opening message from a sender nobody covered
// makes the ticket an ordinary one.
func TestIngestRewritesClocksInPlace(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		c := f.eligibleCustomer("Acme")
		start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		if _, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"acme.example"}, StartsAt: &start}); err != nil {
			t.Fatal(err)
		}
		clocks := func(ticketID string) []models.Clock {
			t.Helper()
			var out []models.Clock
			if err := f.db.NewSelect().Model(&out).Where("k.ticket_id = ?", ticketID).OrderExpr("k.seq").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			return out
		}

		// Thursday 26 November 2026, 10:00 UTC: a question, its clock
		// alerted at risk, then a second customer message while it runs.
		open := f.ingest(mail("q@x", "a@acme.example", testNow))
		first := clocks(open.TicketID)
		if len(first) != 1 || !first[0].StoppedAt.IsZero() {
			t.Fatalf("clocks after the question: %+v", first)
		}
		if _, err := f.db.NewUpdate().Model((*models.Clock)(nil)).Set("alert_level = ?", "at_risk").Where("id = ?", first[0].ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		more := mail("q2@x", "a@acme.example", testNow.Add(10*time.Minute))
		more.InReplyTo = []string{"q@x"}
		f.clk.Set(testNow.Add(10 * time.Minute))
		f.ingest(more)
		if got := clocks(open.TicketID); len(got) != 1 || got[0].ID != first[0].ID || got[0].AlertLevel != "at_risk" {
			t.Fatalf("clocks after a message while the clock runs: %+v, want the same row, still at_risk", got)
		} else if !got[0].UpdatedAt.Equal(first[0].UpdatedAt) {
			t.Fatalf("the unchanged clock was rewritten: updated at %v, then %v", first[0].UpdatedAt, got[0].UpdatedAt)
		}

		// The answer stops it: same row, the alert level of a running clock
		// no longer applies.
		answer := mail("a@x", "s@vendor.test", testNow.Add(20*time.Minute))
		answer.Direction, answer.FromDomain, answer.InReplyTo = models.FromSupport, "vendor.test", []string{"q2@x"}
		f.clk.Set(testNow.Add(20 * time.Minute))
		f.ingest(answer)
		got := clocks(open.TicketID)
		if len(got) != 1 || got[0].ID != first[0].ID || got[0].AlertLevel != "" || got[0].StoppedAt.IsZero() ||
			got[0].BusinessSeconds == nil || *got[0].BusinessSeconds != 1200 {
			t.Fatalf("clocks after the answer: %+v, want the same row stopped after 1200 s, no alert level", got)
		}
		if !got[0].UpdatedAt.Equal(testNow.Add(20 * time.Minute)) {
			t.Fatalf("the stopped clock's updated_at is %v, want the answer's ingestion", got[0].UpdatedAt)
		}

		// A reply to a parent not yet received opens a priority ticket; the
		// parent then arrives from a stranger, earlier: the ticket becomes
		// ordinary and its clock goes.
		reply := mail("r@x", "b@acme.example", testNow.Add(time.Hour))
		reply.InReplyTo = []string{"p@x"}
		r := f.ingest(reply)
		if !r.Priority || len(clocks(r.TicketID)) != 1 {
			t.Fatalf("reply before its parent: %+v, %d clocks", r, len(clocks(r.TicketID)))
		}
		parent := f.ingest(mail("p@x", "someone@elsewhere.example", testNow.Add(30*time.Minute)))
		if parent.TicketID != r.TicketID || parent.Priority || parent.CustomerID != "" {
			t.Fatalf("parent: %+v, want ticket %s, not priority, no customer", parent, r.TicketID)
		}
		if got := clocks(r.TicketID); len(got) != 0 {
			t.Fatalf("clocks of the ordinary ticket: %+v, want none", got)
		}
		if n := f.count((*models.Message)(nil), "ticket_id = ? AND customer_id IS NOT NULL", r.TicketID); n != 0 {
			t.Fatalf("%d messages of the ordinary ticket still name a customer", n)
		}
	})
}
