// Package jobs owns the background work that must run once per cluster, not
// once per replica: activating due subscriptions, scanning SLA clocks for
// alerts, and evaluating subscription-months whose cutoff has passed. The
// work is queued and scheduled in the application's database by River
// (github.com/riverqueue/river): its riverpgxv5 driver on PostgreSQL and its
// riversqlite driver on SQLite. Periodic jobs are enqueued only by River's
// elected leader, and every job is unique, so replicas starting together do
// not duplicate work. Due months are evaluated in batches, a job each (see
// MonthsPerJob). What the jobs do is the Tasks the service layer
// implements.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/store"
	"github.com/prioritysupport/backend/telemetry"
)

// Defaults for Options.
const (
	// DefaultEvery is the period of the periodic jobs when Options.Every is 0.
	DefaultEvery = time.Minute
	// MinEvery is the shortest period the periodic jobs run at; River advises
	// against sub-second schedules and its unique-by-period window cannot be
	// shorter than a second.
	MinEvery = time.Second
	// DefaultWorkers is the number of jobs a Runner works at once when
	// Options.Workers is 0.
	DefaultWorkers = 4
)

// stopCancelGrace is how long Stop waits for jobs to return after it has
// cancelled them because its context ended.
const stopCancelGrace = 5 * time.Second

// Tasks is the work the jobs run; the service layer implements it. Each
// method must be idempotent: a job may run again after a crash or a lost
// completion, and a sweep may enqueue a month whose evaluation is just
// finishing.
type Tasks interface {
	// ActivateDue moves pending subscriptions whose start has come to active.
	ActivateDue(ctx context.Context) error
	// ScanSLAAlerts finds running clocks close to breaching or breached and publishes alerts once each.
	ScanSLAAlerts(ctx context.Context) error
	// DueMonths lists subscription-months to evaluate automatically: months
	// the subscription was active in, whose cutoff has passed, that are not
	// yet final, and whose cutoff came after the subscription was recorded
	// (imported history is left to staff).
	DueMonths(ctx context.Context) ([]MonthRef, error)
	// EvaluateMonths finalises a batch of subscription-months (and grants
	// the credit of each missed one), at most MonthsPerJob of them. It
	// returns an error when a month could not be finalised, so the job is
	// retried; the months finalised meanwhile stay final.
	EvaluateMonths(ctx context.Context, refs []MonthRef) error
	// SettleStripe finishes Stripe work left pending: subscriptions not yet
	// linked, webhook events not yet processed, refunds and credits not yet
	// settled.
	SettleStripe(ctx context.Context) error
}

// MailTasks is the optional work of reading mailboxes, done by the
// poll_mail job when Options.MailEvery is set.
type MailTasks interface {
	// PollMail reads the configured mailboxes once: new mail, then waiting
	// for more until its run's time is up (less than the period). A failed
	// run is not retried: the next period is its retry.
	PollMail(ctx context.Context) error
}

// MonthRef names one subscription-month.
type MonthRef struct {
	SubscriptionID string
	Month          string // "YYYY-MM"
}

// Options configure a Runner.
type Options struct {
	// DatabaseURL is the URL given to store.Open; it picks the driver.
	DatabaseURL string
	// Tasks is the work the jobs run. Required.
	Tasks Tasks
	// Log receives River's logs; nil means slog.Default().
	Log *slog.Logger
	// Every is the period of the periodic jobs (activate, alerts, due-month
	// sweep); 0 means DefaultEvery, and anything below MinEvery runs at
	// MinEvery.
	Every time.Duration
	// Workers is how many jobs this Runner works at once; 0 means
	// DefaultWorkers.
	Workers int
	// RetryPolicy decides when a failed job runs again; nil means River's
	// default (exponential backoff, attempt^4 seconds). Tests set a short one.
	RetryPolicy river.ClientRetryPolicy
	// MailEvery is the period of the poll_mail job, which calls
	// MailTasks.PollMail (Tasks must implement it); 0 means no such job.
	MailEvery time.Duration
}

// riverClient is the part of river.Client[TTx] a Runner uses, the same for
// both drivers' transaction types.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Runner owns a River client: its workers, its periodic jobs and, on
// PostgreSQL, its connection pool.
type Runner struct {
	client riverClient
	pool   *pgxpool.Pool // nil on SQLite
	log    *slog.Logger
	// stopping is closed when Stop begins, so a poll_mail run waiting for
	// new mail returns at once instead of holding the shutdown.
	stopping chan struct{}
	stopOnce sync.Once
}

// New builds a Runner on db (it does not start workers). On PostgreSQL it
// opens its own pgxpool from opts.DatabaseURL, which Stop closes; on SQLite
// it shares db's *sql.DB. River's schema must be in place (see Migrate). It
// returns an error when opts.Tasks is nil, the pool cannot be opened or
// River rejects its configuration.
func New(ctx context.Context, db *bun.DB, opts Options) (*Runner, error) {
	if opts.Tasks == nil {
		return nil, errors.New("new jobs runner: no tasks")
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	every := opts.Every
	if every == 0 {
		every = DefaultEvery
	}
	every = max(every, MinEvery)
	workers := opts.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}

	r := &Runner{log: log, stopping: make(chan struct{})}
	w := river.NewWorkers()
	if err := river.AddWorkerSafely(w, &activateDueWorker{tasks: opts.Tasks}); err != nil {
		return nil, fmt.Errorf("new jobs runner: %w", err)
	}
	if err := river.AddWorkerSafely(w, &slaAlertsWorker{tasks: opts.Tasks}); err != nil {
		return nil, fmt.Errorf("new jobs runner: %w", err)
	}
	if err := river.AddWorkerSafely(w, &sweepDueMonthsWorker{tasks: opts.Tasks, runner: r}); err != nil {
		return nil, fmt.Errorf("new jobs runner: %w", err)
	}
	if err := river.AddWorkerSafely(w, &evaluateMonthWorker{tasks: opts.Tasks}); err != nil {
		return nil, fmt.Errorf("new jobs runner: %w", err)
	}
	if err := river.AddWorkerSafely(w, &evaluateMonthsWorker{tasks: opts.Tasks}); err != nil {
		return nil, fmt.Errorf("new jobs runner: %w", err)
	}
	if err := river.AddWorkerSafely(w, &settleStripeWorker{tasks: opts.Tasks}); err != nil {
		return nil, fmt.Errorf("new jobs runner: %w", err)
	}
	periodic := []*river.PeriodicJob{
		periodicJob(every, activateDueArgs{}),
		periodicJob(every, slaAlertsArgs{}),
		periodicJob(every, sweepDueMonthsArgs{}),
		periodicJob(every, settleStripeArgs{}),
	}
	if opts.MailEvery > 0 {
		mail, ok := opts.Tasks.(MailTasks)
		if !ok {
			return nil, errors.New("new jobs runner: MailEvery is set but the tasks do not read mail")
		}
		mailEvery := max(opts.MailEvery, MinEvery)
		if err := river.AddWorkerSafely(w, &pollMailWorker{tasks: mail, timeout: mailEvery + pollMailGrace, stopping: r.stopping}); err != nil {
			return nil, fmt.Errorf("new jobs runner: %w", err)
		}
		periodic = append(periodic, periodicJob(mailEvery, pollMailArgs{}))
	}
	cfg := &river.Config{
		Logger:       log,
		Middleware:   []rivertype.Middleware{telemetry.RiverMiddleware()},
		PeriodicJobs: periodic,
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		RetryPolicy:  opts.RetryPolicy,
		Workers:      w,
	}

	var err error
	if store.IsPostgresURL(opts.DatabaseURL) {
		r.pool, err = pgxpool.New(ctx, opts.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("new jobs runner: open pool: %w", err)
		}
		if err := r.pool.Ping(ctx); err != nil {
			r.pool.Close()
			return nil, fmt.Errorf("new jobs runner: ping: %w", err)
		}
		r.client, err = newClient(riverpgxv5.New(r.pool), cfg)
	} else {
		r.client, err = newClient(riversqlite.New(db.DB), cfg)
	}
	if err != nil {
		if r.pool != nil {
			r.pool.Close()
		}
		return nil, fmt.Errorf("new jobs runner: %w", err)
	}
	return r, nil
}

// newClient builds a River client for either driver behind riverClient.
func newClient[TTx any](driver riverdriver.Driver[TTx], cfg *river.Config) (riverClient, error) {
	c, err := river.NewClient[TTx](driver, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Start starts the workers and the periodic jobs, each periodic job also
// once right away (on whichever replica River elects leader). The Runner
// keeps running until Stop, even after ctx ends: ctx only carries values,
// so a cancelled root context does not cut running jobs short. It returns
// River's error when the client cannot start (for example when Migrate has
// not run).
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	return nil
}

// Stop stops fetching jobs, waits for running ones to finish until ctx ends,
// then cancels any still running, and closes the PostgreSQL pool. A stopped
// Runner cannot start again. It returns ctx's error, wrapped, when running
// jobs outlived ctx.
func (r *Runner) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() { close(r.stopping) })
	err := r.client.Stop(ctx)
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopCancelGrace)
		defer cancel()
		if err := r.client.StopAndCancel(cctx); err != nil {
			r.log.WarnContext(ctx, "jobs still running after stop; leaving them", "error", err)
			if r.pool != nil {
				go r.pool.Close() // blocks until the stuck jobs release their connections
			}
			return fmt.Errorf("stop jobs: %w", err)
		}
	}
	if r.pool != nil {
		r.pool.Close()
	}
	if err != nil {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}

// EnqueueEvaluateMonth enqueues the evaluation of one subscription-month.
// The job is unique by (subscription, month) while it is available,
// pending, scheduled, running or retryable, so a second enqueue meanwhile,
// from this replica or another, is skipped without error; once the job has
// completed (or was discarded) the month can be enqueued again. It returns
// an error when subscriptionID is empty, month is not "YYYY-MM" or the
// insert fails.
func (r *Runner) EnqueueEvaluateMonth(ctx context.Context, subscriptionID, month string) error {
	args, err := newEvaluateMonthArgs(subscriptionID, month)
	if err != nil {
		return fmt.Errorf("enqueue evaluate month: %w", err)
	}
	if _, err := r.client.Insert(ctx, args, nil); err != nil {
		return fmt.Errorf("enqueue evaluate month: %w", err)
	}
	return nil
}

// enqueueEvaluateMonths enqueues the evaluation of refs as evaluate_months
// jobs of at most MonthsPerJob months each, in one insert. The months are
// sorted first, so a sweep that finds the same months due cuts the same
// batches, and a batch whose job is still queued or running is skipped as a
// duplicate. It returns how many jobs were new.
func (r *Runner) enqueueEvaluateMonths(ctx context.Context, refs []MonthRef) (int, error) {
	batches, err := monthBatches(refs)
	if err != nil {
		return 0, fmt.Errorf("enqueue evaluate months: %w", err)
	}
	if len(batches) == 0 {
		return 0, nil
	}
	params := make([]river.InsertManyParams, len(batches))
	for i, b := range batches {
		params[i] = river.InsertManyParams{Args: b}
	}
	res, err := r.client.InsertMany(ctx, params)
	if err != nil {
		return 0, fmt.Errorf("enqueue evaluate months: %w", err)
	}
	inserted := 0
	for _, jr := range res {
		if !jr.UniqueSkippedAsDuplicate {
			inserted++
		}
	}
	return inserted, nil
}
