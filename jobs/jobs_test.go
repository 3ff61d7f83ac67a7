package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/jobs"
)

// deadline bounds every wait for background work; generous, because
// leader election, fetch polling and -race all add latency.
const deadline = 20 * time.Second

// fakeTasks records the calls the jobs make. DueMonths lists its due months
// until EvaluateMonths has succeeded for them, as the real store does (a
// final month is no longer due); EvaluateMonths fails its first failFirst
// calls.
type fakeTasks struct {
	mu         sync.Mutex
	activate   int
	alerts     int
	settles    int
	dueCalls   int
	due        []jobs.MonthRef
	failFirst  int
	evalCalls  map[jobs.MonthRef]int
	done       map[jobs.MonthRef]bool
	totalEvals int
	batches    int
}

func newFakeTasks(failFirst int, due ...jobs.MonthRef) *fakeTasks {
	return &fakeTasks{
		due:       due,
		failFirst: failFirst,
		evalCalls: map[jobs.MonthRef]int{},
		done:      map[jobs.MonthRef]bool{},
	}
}

func (f *fakeTasks) ActivateDue(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.activate++
	return nil
}

func (f *fakeTasks) ScanSLAAlerts(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alerts++
	return nil
}

func (f *fakeTasks) SettleStripe(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settles++
	return nil
}

func (f *fakeTasks) DueMonths(context.Context) ([]jobs.MonthRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dueCalls++
	var refs []jobs.MonthRef
	for _, ref := range f.due {
		if !f.done[ref] {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

func (f *fakeTasks) EvaluateMonths(_ context.Context, refs []jobs.MonthRef) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches++
	for _, ref := range refs {
		f.evalCalls[ref]++
		f.totalEvals++
	}
	if f.failFirst > 0 {
		f.failFirst--
		return errors.New("fake evaluation failure")
	}
	for _, ref := range refs {
		f.done[ref] = true
	}
	return nil
}

// read runs fn under the fake's lock.
func (f *fakeTasks) read(fn func(f *fakeTasks) bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fn(f)
}

// shortRetry retries a failed job after 100 ms instead of River's
// attempt^4 seconds.
type shortRetry struct{}

func (shortRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

// testLog sends River's warnings and errors to the test's output.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newRunner builds a Runner on db with a 50 ms period (run at MinEvery)
// and stops it when the test ends.
func newRunner(t *testing.T, db *bun.DB, databaseURL string, tasks jobs.Tasks) *jobs.Runner {
	t.Helper()
	r, err := jobs.New(t.Context(), db, jobs.Options{
		DatabaseURL: databaseURL,
		Tasks:       tasks,
		Log:         testLog(t),
		Every:       50 * time.Millisecond,
		RetryPolicy: shortRetry{},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return r
}

// openMigrated opens databaseURL and applies River's migrations.
func openMigrated(t *testing.T, databaseURL string) *bun.DB {
	t.Helper()
	db := testdb.Open(t, databaseURL)
	if err := jobs.Migrate(t.Context(), db, databaseURL); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

// waitFor polls cond until it holds or deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("waited %s for %s", deadline, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		t.Run("twice", func(t *testing.T) {
			db := testdb.Open(t, databaseURL)
			for i := range 2 {
				if err := jobs.Migrate(t.Context(), db, databaseURL); err != nil {
					t.Fatalf("Migrate #%d: %v", i+1, err)
				}
			}
			n, err := db.NewSelect().Table("river_job").Count(t.Context())
			if err != nil || n != 0 {
				t.Fatalf("count river_job = %d, %v; want 0, nil", n, err)
			}
		})
	})
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		dbs := []*bun.DB{testdb.Open(t, databaseURL), testdb.Open(t, databaseURL), testdb.Open(t, databaseURL)}
		errs := make([]error, len(dbs))
		var wg sync.WaitGroup
		for i, db := range dbs {
			wg.Go(func() { errs[i] = jobs.Migrate(t.Context(), db, databaseURL) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Migrate on replica %d: %v", i, err)
			}
		}
	})
}

func TestStartStop(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		db := openMigrated(t, databaseURL)
		r, err := jobs.New(t.Context(), db, jobs.Options{DatabaseURL: databaseURL, Tasks: newFakeTasks(0), Log: testLog(t)})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if err := r.Start(t.Context()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
	})
}

func TestNewNeedsTasks(t *testing.T) {
	t.Parallel()
	db := openMigrated(t, testdb.SQLite(t))
	if _, err := jobs.New(t.Context(), db, jobs.Options{}); err == nil {
		t.Fatal("New without Tasks: want an error")
	}
}

// TestPeriodicJobsOnceAcrossReplicas starts two Runners ("replicas", each
// with a database handle of its own) on one database at once: the periodic
// jobs run, and each due month is evaluated exactly once even as later
// sweeps keep running.
func TestPeriodicJobsOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		refs := []jobs.MonthRef{{SubscriptionID: "sub-a", Month: "2025-01"}, {SubscriptionID: "sub-b", Month: "2025-02"}}
		tasks := newFakeTasks(0, refs...)
		dbA := openMigrated(t, databaseURL)
		dbB := testdb.Open(t, databaseURL)
		runners := []*jobs.Runner{newRunner(t, dbA, databaseURL, tasks), newRunner(t, dbB, databaseURL, tasks)}

		errs := make([]error, len(runners))
		var wg sync.WaitGroup
		for i, r := range runners {
			wg.Go(func() { errs[i] = r.Start(t.Context()) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("Start replica %d: %v", i, err)
			}
		}

		waitFor(t, "activate, alerts, stripe settling and both evaluations", func() bool {
			return tasks.read(func(f *fakeTasks) bool {
				return f.activate > 0 && f.alerts > 0 && f.settles > 0 && f.done[refs[0]] && f.done[refs[1]]
			})
		})
		var sweeps int
		tasks.read(func(f *fakeTasks) bool { sweeps = f.dueCalls; return true })
		waitFor(t, "two more sweeps", func() bool {
			return tasks.read(func(f *fakeTasks) bool { return f.dueCalls >= sweeps+2 })
		})
		tasks.read(func(f *fakeTasks) bool {
			for _, ref := range refs {
				if n := f.evalCalls[ref]; n != 1 {
					t.Errorf("EvaluateMonths%v called %d times, want 1", ref, n)
				}
			}
			if f.totalEvals != len(refs) {
				t.Errorf("EvaluateMonths covered %d months in all, want %d: %v", f.totalEvals, len(refs), f.evalCalls)
			}
			return true
		})
	})
}

// TestEvaluateMonthRetried fails the first evaluation: River retries it
// (after the short test policy) until it succeeds.
func TestEvaluateMonthRetried(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ref := jobs.MonthRef{SubscriptionID: "sub-r", Month: "2025-03"}
		tasks := newFakeTasks(1)
		r := newRunner(t, openMigrated(t, databaseURL), databaseURL, tasks)
		if err := r.EnqueueEvaluateMonth(t.Context(), ref.SubscriptionID, ref.Month); err != nil {
			t.Fatalf("EnqueueEvaluateMonth: %v", err)
		}
		if err := r.Start(t.Context()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		waitFor(t, "the retried evaluation to succeed", func() bool {
			return tasks.read(func(f *fakeTasks) bool { return f.done[ref] })
		})
		tasks.read(func(f *fakeTasks) bool {
			if n := f.evalCalls[ref]; n != 2 {
				t.Errorf("EvaluateMonths called %d times, want 2 (one failure, one success)", n)
			}
			return true
		})
	})
}

// TestEnqueueEvaluateMonthUnique enqueues on a Runner that is not started,
// so the first job stays available.
func TestEnqueueEvaluateMonthUnique(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		db := openMigrated(t, databaseURL)
		r := newRunner(t, db, databaseURL, newFakeTasks(0))
		ctx := t.Context()
		for _, month := range []string{"2025-04", "2025-04", "2025-05"} {
			if err := r.EnqueueEvaluateMonth(ctx, "sub-u", month); err != nil {
				t.Fatalf("EnqueueEvaluateMonth(sub-u, %s): %v", month, err)
			}
		}
		n, err := db.NewSelect().Table("river_job").Where("kind = ?", "evaluate_month").Count(ctx)
		if err != nil {
			t.Fatalf("count jobs: %v", err)
		}
		if n != 2 {
			t.Errorf("evaluate_month jobs = %d, want 2 (2025-04 once, 2025-05 once)", n)
		}

		for _, bad := range []struct{ sub, month string }{{"", "2025-04"}, {"sub-u", "2025-4"}, {"sub-u", "April"}} {
			if err := r.EnqueueEvaluateMonth(ctx, bad.sub, bad.month); err == nil {
				t.Errorf("EnqueueEvaluateMonth(%q, %q): want an error", bad.sub, bad.month)
			}
		}
	})
}

// TestSweepEvaluatesInBatches: many due months are evaluated in
// evaluate_months jobs of at most MonthsPerJob each, every month once, by
// two replicas whose sweeps keep running.
func TestSweepEvaluatesInBatches(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		n := 2*jobs.MonthsPerJob + 7
		refs := make([]jobs.MonthRef, n)
		for i := range refs {
			refs[i] = jobs.MonthRef{SubscriptionID: fmt.Sprintf("sub-%04d", n-i), Month: "2025-06"}
		}
		tasks := newFakeTasks(0, refs...)
		dbA := openMigrated(t, databaseURL)
		dbB := testdb.Open(t, databaseURL)
		for _, r := range []*jobs.Runner{newRunner(t, dbA, databaseURL, tasks), newRunner(t, dbB, databaseURL, tasks)} {
			if err := r.Start(t.Context()); err != nil {
				t.Fatalf("Start: %v", err)
			}
		}
		waitFor(t, "every month evaluated", func() bool {
			return tasks.read(func(f *fakeTasks) bool { return len(f.done) == n })
		})
		var sweeps int
		tasks.read(func(f *fakeTasks) bool { sweeps = f.dueCalls; return true })
		waitFor(t, "two more sweeps", func() bool {
			return tasks.read(func(f *fakeTasks) bool { return f.dueCalls >= sweeps+2 })
		})
		tasks.read(func(f *fakeTasks) bool {
			if f.totalEvals != n {
				t.Errorf("%d months evaluated in all, want %d", f.totalEvals, n)
			}
			if want := (n + jobs.MonthsPerJob - 1) / jobs.MonthsPerJob; f.batches != want {
				t.Errorf("%d batches, want %d", f.batches, want)
			}
			return true
		})
	})
}
