package billing_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/jobs"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
	"github.com/prioritysupport/backend/store"
)

// Sizes of BenchmarkEvaluateMonths, from the environment.
const (
	// envBenchSubscriptions is how many subscriptions (each with one month
	// due) the PostgreSQL run generates; 200 when unset, 10000 for the
	// measured figure (1 M clocks).
	envBenchSubscriptions = "PS_BENCH_EVAL_SUBSCRIPTIONS"
	// envBenchSQLiteSubscriptions is the same for SQLite; 200 when unset.
	envBenchSQLiteSubscriptions = "PS_BENCH_EVAL_SQLITE_SUBSCRIPTIONS"
	// envBenchClocks is how many clocks each subscription-month holds; 100
	// when unset.
	envBenchClocks = "PS_BENCH_EVAL_CLOCKS"
	// envBenchWorkers is how many batches are evaluated at once, as that
	// many job workers would; 1 when unset.
	envBenchWorkers = "PS_BENCH_EVAL_WORKERS"
	// envBenchTrace, set to anything, prints each query of the run with its
	// time to standard error.
	envBenchTrace = "PS_BENCH_EVAL_TRACE"
)

// benchEnv returns the positive integer in the environment variable name,
// or def.
func benchEnv(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// BenchmarkEvaluateMonths measures the background evaluation of due months:
// the sweep's list of due months (store.DueMonths), then batches of
// jobs.MonthsPerJob evaluated as the evaluate_months jobs do
// (Evaluator.EvaluateMonths), until every month is final. The data set is
// N subscriptions, each with November 2026 due and about PS_BENCH_EVAL_CLOCKS
// clocks in it, written in bulk as ingestion would write them (the clocks
// come from sla.Replay over each ticket's mail). Each iteration evaluates a
// fresh data set; run it once:
//
//	PS_TEST_DATABASE_URL=postgres://… PS_BENCH_EVAL_SUBSCRIPTIONS=10000 \
//	  go test ./billing -run '^$' -bench EvaluateMonths -benchtime 1x
func BenchmarkEvaluateMonths(b *testing.B) {
	clocks := benchEnv(b, envBenchClocks, 100)
	workers := benchEnv(b, envBenchWorkers, 1)
	for _, d := range []struct {
		name string
		url  func(testing.TB) string
		subs int
	}{
		{"sqlite", testdb.SQLite, benchEnv(b, envBenchSQLiteSubscriptions, 200)},
		{"postgres", testdb.Postgres, benchEnv(b, envBenchSubscriptions, 200)},
	} {
		b.Run(fmt.Sprintf("%s/subscriptions=%d/clocks=%d/workers=%d", d.name, d.subs, clocks, workers), func(b *testing.B) {
			var months, clockRows, queries int64
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				db := testdb.Open(b, d.url(b))
				now := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
				n := writeEvaluationData(b, db, d.subs, clocks, now)
				counter := &queryCounter{}
				store.AddQueryHook(db, counter)
				st := store.New(db, store.Options{Now: func() time.Time { return now }})
				ev := &billing.Evaluator{Store: st, Ledger: billing.NewLedger(db, func() time.Time { return now })}
				ctx := context.Background()
				b.StartTimer()

				start := time.Now()
				due, err := st.DueMonths(ctx)
				if err != nil {
					b.Fatal(err)
				}
				batches := make(chan []store.MonthRef)
				var wg sync.WaitGroup
				var failed atomic.Value
				for range workers {
					wg.Go(func() {
						for batch := range batches {
							out, err := ev.EvaluateMonths(ctx, batch)
							if err != nil {
								failed.Store(err)
								continue
							}
							for _, o := range out {
								if o.Err != nil || !o.Fresh {
									failed.Store(fmt.Errorf("%v: fresh %v, %v", o.MonthRef, o.Fresh, o.Err))
								}
							}
						}
					})
				}
				for i := 0; i < len(due); i += jobs.MonthsPerJob {
					batches <- due[i:min(i+jobs.MonthsPerJob, len(due))]
				}
				close(batches)
				wg.Wait()
				elapsed += time.Since(start)

				b.StopTimer()
				if err, _ := failed.Load().(error); err != nil {
					b.Fatal(err)
				}
				if len(due) != d.subs {
					b.Fatalf("%d months due, want %d", len(due), d.subs)
				}
				if left, err := st.DueMonths(ctx); err != nil || len(left) != 0 {
					b.Fatalf("due after the evaluation: %d, %v", len(left), err)
				}
				months += int64(len(due))
				clockRows += int64(n)
				queries += counter.n.Load()
				b.StartTimer()
			}
			secs := elapsed.Seconds()
			b.ReportMetric(float64(months)/secs, "months/s")
			b.ReportMetric(float64(clockRows)/secs, "clocks/s")
			b.ReportMetric(float64(queries)/float64(months), "queries/month")
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(secs/float64(b.N), "s/op")
		})
	}
}

// queryCounter counts the queries a database runs.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (c *queryCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	c.n.Add(1)
	if os.Getenv(envBenchTrace) != "" {
		q := e.Query
		if len(q) > 90 {
			q = q[:90]
		}
		fmt.Fprintf(os.Stderr, "%8.1fms %s\n", float64(time.Since(e.StartTime).Microseconds())/1000, q)
	}
}

// writeEvaluationData writes subs customers, each with a subscription that
// began on 1 November 2026 and priority tickets whose clocks in November
// number about clocks, and returns how many clocks it wrote. Each ticket's
// mail (a customer's message, support's replies, further questions, now and
// then a resolution or a request left unanswered) is replayed by sla.Replay
// with the subscription's terms, as ingestion does, and its clocks are
// stored as ingestion stores them. Most months are met, some missed.
func writeEvaluationData(b *testing.B, db *bun.DB, subs, clocks int, now time.Time) int {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(subs), uint64(clocks)))
	st := store.New(db, store.Options{})
	cal, err := st.Calendar("UTC")
	if err != nil {
		b.Fatal(err)
	}
	terms := sla.Terms{Calendar: cal, FirstResponse: time.Hour, FollowUp: time.Hour}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	monthLen := 30 * 24 * time.Hour
	var customers []*models.Customer
	var subscriptions []*models.SupportSubscription
	var ticketRows, clockRows [][]any
	for i := range subs {
		c := &models.Customer{ID: uuid.Must(uuid.NewV7()).String(), Name: fmt.Sprintf("Bench %05d", i), CreatedAt: start, UpdatedAt: start}
		c.SearchName = c.Name
		s := &models.SupportSubscription{
			ID: uuid.Must(uuid.NewV7()).String(), CustomerID: c.ID, Status: models.StatusActive,
			MonthlyFeeCents: models.MonthlyFee.Cents, Currency: models.MonthlyFee.Currency, StartsAt: start,
			CurrentPeriodStart: start, CurrentPeriodEnd: start.AddDate(1, 0, 0),
			FirstResponseTargetSeconds: 3600, FollowUpTargetSeconds: 3600, SLATimezone: "UTC",
			ActivatedAt: start, CreatedAt: start, UpdatedAt: start,
		}
		customers, subscriptions = append(customers, c), append(subscriptions, s)
		slow := rng.IntN(4) == 0 // a quarter of the months hold a slow answer
		for n := 0; n < clocks; {
			opened := start.Add(time.Duration(rng.Int64N(int64(monthLen))))
			var evs []sla.Event
			at := opened
			evs = append(evs, sla.Event{At: at, Kind: sla.CustomerMessage})
			rounds := 1 + rng.IntN(4)
			for r := 0; r < rounds; r++ {
				wait := time.Duration(5+rng.IntN(50)) * time.Minute
				if slow && rng.IntN(clocks) == 0 {
					wait = time.Duration(61+rng.IntN(120)) * time.Minute
				}
				at = at.Add(wait)
				switch p := rng.IntN(100); {
				case p < 2 && r == rounds-1: // left unanswered
				case p < 12:
					evs = append(evs, sla.Event{At: at, Kind: sla.Resolve})
				default:
					evs = append(evs, sla.Event{At: at, Kind: sla.SupportReply})
				}
				if r < rounds-1 {
					at = at.Add(time.Duration(10+rng.IntN(600)) * time.Minute)
					evs = append(evs, sla.Event{At: at, Kind: sla.CustomerMessage})
				}
			}
			out := sla.Replay(evs, terms, true)
			t := &models.Ticket{
				ID: uuid.Must(uuid.NewV7()).String(), CustomerID: c.ID, SubscriptionID: s.ID, Priority: true,
				Status: models.TicketOpen, Subject: "Bench ticket", RequesterEmail: "user@bench.example",
				OpenedAt: opened, LastMessageAt: at, CreatedAt: opened, UpdatedAt: at,
			}
			if out.Resolved {
				t.Status, t.ResolvedAt = models.TicketResolved, out.ResolvedAt
			}
			for _, k := range out.Clocks {
				if k.Running() {
					t.CurrentDueAt = k.DueAt
				}
				clockRows = append(clockRows, clockValues(t, k, at))
				if k.Month == "2026-11" {
					n++
				}
			}
			ticketRows = append(ticketRows, []any{t.ID, t.CustomerID, t.SubscriptionID, t.Priority, string(t.Status), t.Subject,
				t.RequesterEmail, t.OpenedAt, nullTime(t.ResolvedAt), nullTime(t.CurrentDueAt), t.LastMessageAt, t.CreatedAt, t.UpdatedAt})
		}
	}
	if _, err := db.NewInsert().Model(&customers).Exec(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := db.NewInsert().Model(&subscriptions).Exec(ctx); err != nil {
		b.Fatal(err)
	}
	bulkInsert(b, db, "tickets", []string{"id", "customer_id", "subscription_id", "priority", "status", "subject",
		"requester_email", "opened_at", "resolved_at", "current_due_at", "last_message_at", "created_at", "updated_at"}, ticketRows)
	bulkInsert(b, db, "sla_clocks", []string{"id", "ticket_id", "seq", "subscription_id", "customer_id", "kind", "month",
		"started_at", "due_at", "target_seconds", "stopped_at", "stopped_by", "business_seconds", "met", "alert_level", "updated_at"}, clockRows)
	if store.IsPostgres(db) {
		if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	return len(clockRows)
}

// clockValues is the sla_clocks row ingestion stores for a ticket's clock
// (store's clockRow): whole business seconds rounded up.
func clockValues(t *models.Ticket, c sla.Clock, now time.Time) []any {
	row := []any{uuid.Must(uuid.NewV7()).String(), t.ID, c.Seq, t.SubscriptionID, t.CustomerID, string(c.Kind), c.Month,
		c.StartedAt.UTC(), c.DueAt.UTC(), int64(c.Target / time.Second), nil, nil, nil, nil, "", now}
	if !c.Running() {
		secs := int64((c.Business + time.Second - 1) / time.Second)
		row[10], row[11], row[12], row[13] = c.StoppedAt.UTC(), c.StoppedBy, secs, c.Met
	}
	return row
}

// nullTime is nil for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// bulkInsert writes rows into table: with COPY on PostgreSQL, in
// multi-row inserts in one transaction on SQLite.
func bulkInsert(b *testing.B, db *bun.DB, table string, cols []string, rows [][]any) {
	b.Helper()
	ctx := context.Background()
	if store.IsPostgres(db) {
		conn, err := db.Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		if err := conn.Raw(func(dc any) error {
			_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
			return err
		}); err != nil {
			b.Fatalf("copy %s: %v", table, err)
		}
		return
	}
	// Bun formats the arguments itself, times as the store writes them.
	err := db.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error {
		row := "(?" + strings.Repeat(", ?", len(cols)-1) + ")"
		per := 30000 / len(cols)
		for i := 0; i < len(rows); i += per {
			chunk := rows[i:min(i+per, len(rows))]
			var q strings.Builder
			q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
			args := make([]any, 0, len(chunk)*len(cols))
			for j, r := range chunk {
				if j > 0 {
					q.WriteString(", ")
				}
				q.WriteString(row)
				args = append(args, r...)
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("insert %s: %v", table, err)
	}
}
