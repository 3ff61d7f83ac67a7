package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Job kinds, as stored in river_job.kind. Renaming one strands the jobs
// already queued under the old name.
const (
	kindActivateDue    = "activate_due"
	kindSLAAlerts      = "sla_alerts"
	kindSweepDueMonths = "sweep_due_months"
	kindEvaluateMonth  = "evaluate_month"
	kindEvaluateMonths = "evaluate_months"
	kindSettleStripe   = "settle_stripe"
	kindPollMail       = "poll_mail"
)

// evaluateMonthMaxAttempts is how often an evaluation is tried before River
// discards it; the next sweep then enqueues the month afresh.
const evaluateMonthMaxAttempts = 10

// MonthsPerJob is the most subscription-months one evaluate_months job
// holds: evaluated in one transaction with a fixed number of queries, so a
// sweep over thousands of due months is a few dozen jobs, which the
// replicas' workers share.
const MonthsPerJob = 250

// periodicJob returns the River periodic job that enqueues args every
// period, once at start too. Only River's elected leader enqueues periodic
// jobs; the job is also unique within its period, so a leader handing over
// to another (whose run-on-start lands in the same period) does not double
// it. A failed run is not retried: the next period is its retry.
func periodicJob(every time.Duration, args river.JobArgs) *river.PeriodicJob {
	return river.NewPeriodicJob(
		river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{
				MaxAttempts: 1,
				UniqueOpts:  river.UniqueOpts{ByPeriod: every},
			}
		},
		&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true},
	)
}

// activateDueArgs is the periodic job that calls Tasks.ActivateDue.
type activateDueArgs struct{}

// Kind returns "activate_due".
func (activateDueArgs) Kind() string { return kindActivateDue }

type activateDueWorker struct {
	river.WorkerDefaults[activateDueArgs]
	tasks Tasks
}

func (w *activateDueWorker) Work(ctx context.Context, _ *river.Job[activateDueArgs]) error {
	if err := w.tasks.ActivateDue(ctx); err != nil {
		return fmt.Errorf("activate due: %w", err)
	}
	return nil
}

// slaAlertsArgs is the periodic job that calls Tasks.ScanSLAAlerts.
type slaAlertsArgs struct{}

// Kind returns "sla_alerts".
func (slaAlertsArgs) Kind() string { return kindSLAAlerts }

type slaAlertsWorker struct {
	river.WorkerDefaults[slaAlertsArgs]
	tasks Tasks
}

func (w *slaAlertsWorker) Work(ctx context.Context, _ *river.Job[slaAlertsArgs]) error {
	if err := w.tasks.ScanSLAAlerts(ctx); err != nil {
		return fmt.Errorf("scan sla alerts: %w", err)
	}
	return nil
}

// settleStripeArgs is the periodic job that calls Tasks.SettleStripe.
type settleStripeArgs struct{}

// Kind returns "settle_stripe".
func (settleStripeArgs) Kind() string { return kindSettleStripe }

type settleStripeWorker struct {
	river.WorkerDefaults[settleStripeArgs]
	tasks Tasks
}

func (w *settleStripeWorker) Work(ctx context.Context, _ *river.Job[settleStripeArgs]) error {
	if err := w.tasks.SettleStripe(ctx); err != nil {
		return fmt.Errorf("settle stripe: %w", err)
	}
	return nil
}

// sweepDueMonthsArgs is the periodic job that lists the due months and
// enqueues them in evaluate_months jobs of at most MonthsPerJob each.
type sweepDueMonthsArgs struct{}

// Kind returns "sweep_due_months".
func (sweepDueMonthsArgs) Kind() string { return kindSweepDueMonths }

type sweepDueMonthsWorker struct {
	river.WorkerDefaults[sweepDueMonthsArgs]
	tasks  Tasks
	runner *Runner
}

func (w *sweepDueMonthsWorker) Work(ctx context.Context, _ *river.Job[sweepDueMonthsArgs]) error {
	refs, err := w.tasks.DueMonths(ctx)
	if err != nil {
		return fmt.Errorf("sweep due months: %w", err)
	}
	n, err := w.runner.enqueueEvaluateMonths(ctx, refs)
	if err != nil {
		return fmt.Errorf("sweep due months: %w", err)
	}
	if n > 0 {
		w.runner.log.InfoContext(ctx, "enqueued month evaluations", "due", len(refs), "enqueued", n)
	}
	return nil
}

// evaluateMonthArgs is the job that evaluates one subscription-month, as
// EnqueueEvaluateMonth queues it (and as sweeps queued every due month
// before they queued batches).
type evaluateMonthArgs struct {
	SubscriptionID string `json:"subscription_id"`
	Month          string `json:"month"`
}

// newEvaluateMonthArgs returns the job for one subscription-month, or an
// error when subscriptionID is empty or month is not "YYYY-MM".
func newEvaluateMonthArgs(subscriptionID, month string) (evaluateMonthArgs, error) {
	if subscriptionID == "" {
		return evaluateMonthArgs{}, errors.New("no subscription id")
	}
	if _, err := time.Parse("2006-01", month); err != nil || len(month) != len("2006-01") {
		return evaluateMonthArgs{}, fmt.Errorf("month %q is not YYYY-MM", month)
	}
	return evaluateMonthArgs{SubscriptionID: subscriptionID, Month: month}, nil
}

// Kind returns "evaluate_month".
func (evaluateMonthArgs) Kind() string { return kindEvaluateMonth }

// InsertOpts returns the options every evaluate_month insert gets: up to
// evaluateMonthMaxAttempts tries, and uniqueness by args while the job is
// not yet finalised (completed, cancelled and discarded jobs do not block a
// new one).
func (evaluateMonthArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: evaluateMonthMaxAttempts,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable,
				rivertype.JobStatePending,
				rivertype.JobStateRunning,
				rivertype.JobStateRetryable,
				rivertype.JobStateScheduled,
			},
		},
	}
}

type evaluateMonthWorker struct {
	river.WorkerDefaults[evaluateMonthArgs]
	tasks Tasks
}

func (w *evaluateMonthWorker) Work(ctx context.Context, job *river.Job[evaluateMonthArgs]) error {
	ref := MonthRef{SubscriptionID: job.Args.SubscriptionID, Month: job.Args.Month}
	if err := w.tasks.EvaluateMonths(ctx, []MonthRef{ref}); err != nil {
		return fmt.Errorf("evaluate month %s %s: %w", job.Args.SubscriptionID, job.Args.Month, err)
	}
	return nil
}

// evaluateMonthsArgs is the job that calls Tasks.EvaluateMonths for a batch
// of subscription-months, sorted, at most MonthsPerJob of them.
type evaluateMonthsArgs struct {
	Months []evaluateMonthArgs `json:"months"`
}

// monthBatches returns refs, sorted and without repeats, cut into jobs of at
// most MonthsPerJob months; an error when a ref is malformed (see
// newEvaluateMonthArgs).
func monthBatches(refs []MonthRef) ([]evaluateMonthsArgs, error) {
	all := make([]evaluateMonthArgs, 0, len(refs))
	for _, ref := range refs {
		args, err := newEvaluateMonthArgs(ref.SubscriptionID, ref.Month)
		if err != nil {
			return nil, err
		}
		all = append(all, args)
	}
	slices.SortFunc(all, func(a, b evaluateMonthArgs) int {
		return cmp.Or(cmp.Compare(a.SubscriptionID, b.SubscriptionID), cmp.Compare(a.Month, b.Month))
	})
	all = slices.Compact(all)
	var out []evaluateMonthsArgs
	for b := range slices.Chunk(all, MonthsPerJob) {
		out = append(out, evaluateMonthsArgs{Months: b})
	}
	return out, nil
}

// Kind returns "evaluate_months".
func (evaluateMonthsArgs) Kind() string { return kindEvaluateMonths }

// InsertOpts returns evaluateMonthArgs's options: retries, and uniqueness by
// the batch's months while its job is not yet finalised.
func (evaluateMonthsArgs) InsertOpts() river.InsertOpts {
	return evaluateMonthArgs{}.InsertOpts()
}

type evaluateMonthsWorker struct {
	river.WorkerDefaults[evaluateMonthsArgs]
	tasks Tasks
}

func (w *evaluateMonthsWorker) Work(ctx context.Context, job *river.Job[evaluateMonthsArgs]) error {
	refs := make([]MonthRef, len(job.Args.Months))
	for i, m := range job.Args.Months {
		refs[i] = MonthRef{SubscriptionID: m.SubscriptionID, Month: m.Month}
	}
	if err := w.tasks.EvaluateMonths(ctx, refs); err != nil {
		return fmt.Errorf("evaluate %d months: %w", len(refs), err)
	}
	return nil
}

// pollMailGrace is how long a poll_mail job may outlive its period before
// River cancels it: a run bounds itself to less than the period, but its
// last batch may still be committing.
const pollMailGrace = time.Minute

// pollMailArgs is the periodic job that calls MailTasks.PollMail.
type pollMailArgs struct{}

// Kind returns "poll_mail".
func (pollMailArgs) Kind() string { return kindPollMail }

type pollMailWorker struct {
	river.WorkerDefaults[pollMailArgs]
	tasks    MailTasks
	timeout  time.Duration
	stopping <-chan struct{} // closed when the Runner stops
}

// Timeout lets a run wait for new mail for most of its period (River's
// default would cut it at a minute).
func (w *pollMailWorker) Timeout(*river.Job[pollMailArgs]) time.Duration { return w.timeout }

// Work runs PollMail until it returns or the Runner stops; a run cut short
// by the stop is no failure (its committed messages stay, the next run
// continues).
func (w *pollMailWorker) Work(ctx context.Context, _ *river.Job[pollMailArgs]) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-w.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := w.tasks.PollMail(ctx)
	select {
	case <-w.stopping:
		return nil
	default:
	}
	if err != nil {
		return fmt.Errorf("poll mail: %w", err)
	}
	return nil
}
