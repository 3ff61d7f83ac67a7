package store_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/events"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

// notifyCounter is a Bun query hook that counts the pg_notify statements
// that ran without error.
type notifyCounter struct{ n atomic.Int64 }

func (c *notifyCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (c *notifyCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if e.Err == nil && strings.Contains(e.Query, "pg_notify(") {
		c.n.Add(1)
	}
}

// TestIngestPublishesOnlyWhatCommits checks that the ticket_updated event
// of an ingestion reaches subscribers only once its transaction committed:
// an ingestion that fails after the point where it published (on
// PostgreSQL, its commit is refused by a deferred trigger after the NOTIFY
// ran; on SQLite, a trigger refuses the message) stores nothing and
// publishes nothing, and the next ingestion's event is the first one a
// subscriber receives.
func TestIngestPublishesOnlyWhatCommits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ctx := context.Background()
		db := testdb.Open(t, databaseURL)
		var bus events.Bus
		if store.IsPostgres(db) {
			b, err := events.NewPostgres(ctx, databaseURL, db, nil)
			if err != nil {
				t.Fatal(err)
			}
			bus = b
			for _, q := range []string{
				`CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$`,
				`CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON ticket_messages DEFERRABLE INITIALLY DEFERRED
				 FOR EACH ROW WHEN (NEW.message_id LIKE 'fail-%') EXECUTE FUNCTION refuse_at_commit()`,
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		} else {
			bus = events.NewMemory()
			if _, err := db.ExecContext(ctx, `CREATE TRIGGER refuse AFTER INSERT ON ticket_messages
				WHEN NEW.message_id LIKE 'fail-%' BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() { bus.Close() })
		notifies := &notifyCounter{}
		store.AddQueryHook(db, notifies)
		st := store.New(db, store.Options{Now: func() time.Time { return testNow }, Events: bus})
		got, cancel := bus.Subscribe(ctx, nil)
		defer cancel()

		at := testNow.Add(-time.Hour)
		if _, err := st.IngestEmail(ctx, mail("fail-1@x.example", "a@x.example", at)); err == nil {
			t.Fatal("ingesting the refused message succeeded")
		}
		if store.IsPostgres(db) && notifies.n.Load() != 1 {
			t.Fatalf("the refused ingestion ran %d NOTIFY statements, want 1 (it should fail after publishing)", notifies.n.Load())
		}
		var n int
		if err := db.NewSelect().Table("tickets").ColumnExpr("count(*)").Scan(ctx, &n); err != nil || n != 0 {
			t.Fatalf("%d tickets stored (%v), want none", n, err)
		}
		ok, err := st.IngestEmail(ctx, mail("ok-1@x.example", "a@x.example", at))
		if err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-got:
			if e.Kind != events.TicketUpdated || e.TicketID != ok.TicketID {
				t.Fatalf("first event %+v, want ticket_updated of %s", e, ok.TicketID)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event for the stored message")
		}
		select {
		case e := <-got:
			t.Fatalf("unexpected event %+v", e)
		case <-time.After(200 * time.Millisecond):
		}

		// A resolution publishes the same way.
		if _, err := st.ResolveTicket(supportCtx, ok.TicketID); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-got:
			if e.TicketID != ok.TicketID {
				t.Fatalf("event %+v, want one for %s", e, ok.TicketID)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event for the resolution")
		}
	})
}
