package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// TestFailedIngestionLeavesNothingOpen checks that an ingestion that fails
// after its reads (work given to IngestEmailWith refuses, or the caller's
// context is cancelled before the commit) writes nothing and hands its
// connection back outside any transaction, holding none of its thread
// locks: on a pool of one connection the next statements run on that same
// connection (on PostgreSQL the same server process: the connection was
// rolled back, not dropped and opened again), and the same message is then
// stored once.
func TestFailedIngestionLeavesNothingOpen(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		f.db.SetMaxOpenConns(1)
		at := testNow.Add(-time.Hour)
		opening := f.ingest(mail("open@x.example", "a@x.example", at))
		reply := mail("reply@x.example", "a@x.example", at.Add(time.Minute))
		reply.InReplyTo = []string{"open@x.example"}

		backend := func() int {
			var pid int
			if store.IsPostgres(f.db) {
				if err := f.db.NewSelect().ColumnExpr("pg_backend_pid()").Scan(anonymous, &pid); err != nil {
					t.Fatal(err)
				}
			}
			return pid
		}
		pid := backend()

		refused := errors.New("refused")
		cases := []struct {
			name string
			ctx  func() (context.Context, context.CancelFunc)
			also func(cancel context.CancelFunc) store.AlsoInTx
			want error
		}{
			{
				name: "also refuses",
				ctx:  func() (context.Context, context.CancelFunc) { return context.WithCancel(anonymous) },
				also: func(context.CancelFunc) store.AlsoInTx {
					return func(ctx context.Context, tx bun.IDB, res models.IngestResult) error {
						if _, err := tx.NewUpdate().Table("tickets").Set("subject = 'changed'").Where("id = ?", res.TicketID).Exec(ctx); err != nil {
							return err
						}
						return refused
					}
				},
				want: refused,
			},
			{
				name: "cancelled before the commit",
				ctx:  func() (context.Context, context.CancelFunc) { return context.WithCancel(anonymous) },
				also: func(cancel context.CancelFunc) store.AlsoInTx {
					return func(context.Context, bun.IDB, models.IngestResult) error {
						cancel()
						return nil
					}
				},
				want: context.Canceled,
			},
		}
		for _, c := range cases {
			ctx, cancel := c.ctx()
			_, err := f.st.IngestEmailWith(ctx, reply, c.also(cancel))
			cancel()
			if !errors.Is(err, c.want) {
				t.Fatalf("%s: error %v, want %v", c.name, err, c.want)
			}
			var messages int
			if err := f.db.NewSelect().Table("ticket_messages").ColumnExpr("count(*)").Scan(anonymous, &messages); err != nil {
				t.Fatalf("%s: the connection is not usable after the failure: %v", c.name, err)
			}
			if messages != 1 {
				t.Fatalf("%s: %d messages stored, want the opening alone", c.name, messages)
			}
			var subject string
			if err := f.db.NewSelect().Table("tickets").Column("subject").Where("id = ?", opening.TicketID).Scan(anonymous, &subject); err != nil || subject != "s open@x.example" {
				t.Fatalf("%s: subject %q (%v): the refused work was kept", c.name, subject, err)
			}
			if store.IsPostgres(f.db) {
				var locks int
				if err := f.db.NewSelect().TableExpr("pg_locks").ColumnExpr("count(*)").
					Where("locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").
					Scan(anonymous, &locks); err != nil {
					t.Fatal(err)
				}
				if locks != 0 {
					t.Fatalf("%s: %d advisory locks still held", c.name, locks)
				}
			}
			if now := backend(); now != pid {
				t.Fatalf("%s: the connection was dropped (server process %d, then %d)", c.name, pid, now)
			}
		}

		res := f.ingest(reply)
		if res.TicketID != opening.TicketID || res.Duplicate {
			t.Fatalf("the reply, ingested again: %+v, want it stored on %s", res, opening.TicketID)
		}
	})
}
