package main

import (
	"context"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/jobs"
)

// TestJobsCreditDueMonthsOnce runs the background jobs as serve does, from
// two runners at once (two replicas), over a breached month whose cutoff
// has passed: the month is finalised and credited once, with no caller.
func TestJobsCreditDueMonthsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-04 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		f := s.mustPriorityCustomer("Late Ltd", utc(t, "2026-11-01 00:00"), "late.example")
		s.mustIngest(email{From: "dee@late.example", Subject: "Export fails", MessageID: "job-1@late.example", Received: utc(t, "2026-11-04 09:00")})
		s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Export fails", MessageID: "job-2@support.vendor.test", InReplyTo: "job-1@late.example", Received: utc(t, "2026-11-04 10:01")})
		clock.Set(utc(t, "2026-12-02 00:00"))

		startJobs(t, s, databaseURL, 2)

		// Until the month is frozen; then a few more sweeps find nothing due.
		deadline := time.Now().Add(60 * time.Second)
		for countRows(t, s, "sla_months", "subscription_id = ? AND month = ?", f.SubscriptionID, "2026-11") == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the month was not finalised by the jobs within a minute\n%s", s.Logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(3 * jobs.MinEvery)
		if n := countRows(t, s, "credit_entries", "customer_id = ? AND kind = 'earned'", f.CustomerID); n != 1 {
			t.Fatalf("%d earned credits, want 1", n)
		}
		if got := s.mustBalance(s.customerToken(f), ""); got != 80000 {
			t.Fatalf("balance = %d, want 80000", got)
		}
	})
}

// startJobs starts n job runners over the server's database, as n replicas
// would, sweeping every jobs.MinEvery; they stop when the test ends.
func startJobs(t *testing.T, s *testServer, databaseURL string, n int) {
	t.Helper()
	for range n {
		startRunner(t, s, databaseURL, jobs.Options{Every: jobs.MinEvery})
	}
}

// startRunner migrates River's tables and starts one job runner over the
// server's database with opts, its database, tasks and log filled in, and
// returns it; it stops when the test ends.
func startRunner(t *testing.T, s *testServer, databaseURL string, opts jobs.Options) *jobs.Runner {
	t.Helper()
	db := s.App.Store.DB()
	if err := jobs.Migrate(t.Context(), db, databaseURL); err != nil {
		t.Fatal(err)
	}
	opts.DatabaseURL, opts.Tasks, opts.Log = databaseURL, tasks{app: s.App, log: s.App.Log}, s.App.Log
	r, err := jobs.New(t.Context(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("stop jobs: %v", err)
		}
	})
	return r
}

// countRows counts the rows of table that match where.
func countRows(t testing.TB, s *testServer, table, where string, args ...any) int {
	t.Helper()
	n, err := s.App.Store.DB().NewSelect().Table(table).Where(where, args...).Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestQueuedEvaluationLeavesImportedMonthsToStaff: an evaluate_month job for
// a month whose cutoff passed before the subscription was recorded (queued
// by an older sweep, or by hand) freezes nothing; one for a later month does.
func TestQueuedEvaluationLeavesImportedMonthsToStaff(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-04 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		f := s.mustPriorityCustomer("Queued Ltd", utc(t, "2026-09-01 00:00"), "queued.example")
		clock.Set(utc(t, "2026-12-02 00:00"))
		run := tasks{app: s.App, log: s.App.Log}
		if err := run.EvaluateMonths(t.Context(), []jobs.MonthRef{{SubscriptionID: f.SubscriptionID, Month: "2026-10"}}); err != nil {
			t.Fatalf("imported October: %v", err)
		}
		if n := countRows(t, s, "sla_months", "subscription_id = ? AND month = ?", f.SubscriptionID, "2026-10"); n != 0 {
			t.Fatalf("imported October frozen by a job (%d rows)", n)
		}
		if err := run.EvaluateMonths(t.Context(), []jobs.MonthRef{{SubscriptionID: f.SubscriptionID, Month: "2026-11"}}); err != nil {
			t.Fatalf("November: %v", err)
		}
		if n := countRows(t, s, "sla_months", "subscription_id = ? AND month = ?", f.SubscriptionID, "2026-11"); n != 1 {
			t.Fatalf("November not frozen by its job (%d rows)", n)
		}
	})
}
