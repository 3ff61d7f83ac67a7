package perfdata_test

import (
	"context"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/perfdata"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"

	"github.com/uptrace/bun"
)

// TestGenerateWritesWhatIngestionWould: the generated rows have the sizes
// asked for, and are the rows the store itself keeps: a reply ingested
// through the store threads onto its generated ticket, and the store's own
// replay of that ticket's history leaves the generated clocks as they were,
// stopping only the running one.
func TestGenerateWritesWhatIngestionWould(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 18, 15, 4, 5, 0, time.UTC)
		size := perfdata.Size{Customers: 3, Tickets: 120, Messages: 500}
		ds, err := perfdata.Generate(ctx, db, perfdata.Options{Size: size, Now: now, SupportDomain: "support.vendor.test", Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for table, want := range map[string]int{"customers": 3, "support_subscriptions": 3, "tickets": 120, "ticket_messages": 500} {
			if n, err := db.NewSelect().TableExpr(table).Count(ctx); err != nil || int(n) != want {
				t.Fatalf("%s: %d rows (%v), want %d", table, n, err, want)
			}
		}
		if ds.Clocks == 0 || len(ds.Threads) == 0 {
			t.Fatalf("no clocks (%d) or open threads (%d)", ds.Clocks, len(ds.Threads))
		}
		var open int
		if err := db.NewSelect().Model((*models.Ticket)(nil)).ColumnExpr("count(*)").Where("status = 'open' AND current_due_at IS NOT NULL").Scan(ctx, &open); err != nil || open == 0 {
			t.Fatalf("%d open tickets with a running clock (%v), want some", open, err)
		}

		// An open priority ticket waiting on support.
		var th perfdata.Thread
		var before []models.Clock
		for _, cand := range ds.Threads {
			if cand.Customer < 0 {
				continue
			}
			before = nil
			if err := db.NewSelect().Model(&before).Where("ticket_id = ?", cand.TicketID).Order("seq").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(before) > 0 && before[len(before)-1].Running() {
				th = cand
				break
			}
		}
		if th.TicketID == "" {
			t.Fatal("no open priority ticket waiting on support")
		}
		st := store.New(db, store.Options{Now: func() time.Time { return now }, DomainPolicy: models.DomainPolicy{SupportDomain: "support.vendor.test"}})
		res, err := st.IngestEmail(ctx, models.InboundEmail{
			MessageID: "check-reply@support.vendor.test", Direction: models.FromSupport, From: "agent@support.vendor.test",
			FromDomain: "support.vendor.test", To: []string{th.Requester}, Subject: "Re: " + th.Subject,
			ReceivedAt: now, InReplyTo: []string{th.LastMessageID}, References: []string{th.LastMessageID}, BodyText: "Fixed.",
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.TicketID != th.TicketID {
			t.Fatalf("the reply went to ticket %s, want the generated %s", res.TicketID, th.TicketID)
		}
		var after []models.Clock
		if err := db.NewSelect().Model(&after).Where("ticket_id = ?", th.TicketID).Order("seq").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before) {
			t.Fatalf("the store's replay has %d clocks, the generated ticket %d", len(after), len(before))
		}
		for i := range before {
			b, a := before[i], after[i]
			if b.ID != a.ID || b.Kind != a.Kind || b.Month != a.Month || !b.StartedAt.Equal(a.StartedAt) || !b.DueAt.Equal(a.DueAt) || b.TargetSeconds != a.TargetSeconds {
				t.Fatalf("clock %d: generated %+v, replayed %+v", b.Seq, b, a)
			}
			if i < len(before)-1 && (!b.StoppedAt.Equal(a.StoppedAt) || *b.BusinessSeconds != *a.BusinessSeconds || *b.Met != *a.Met || b.StoppedBy != a.StoppedBy) {
				t.Fatalf("stopped clock %d: generated %+v, replayed %+v", b.Seq, b, a)
			}
		}
		if last := after[len(after)-1]; last.Running() || !last.StoppedAt.Equal(now) {
			t.Fatalf("the running clock was not stopped by the reply: %+v", last)
		}
	})
}
