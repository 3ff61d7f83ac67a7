package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/prioritysupport/backend/jobs"
	"github.com/prioritysupport/backend/store"
)

// tasks is the work of the background jobs, done by the App's services.
type tasks struct {
	app *App
	log *slog.Logger
}

var (
	_ jobs.Tasks     = tasks{}
	_ jobs.MailTasks = tasks{}
)

// ActivateDue activates the pending subscriptions whose start has come.
func (t tasks) ActivateDue(ctx context.Context) error {
	n, err := t.app.Store.ActivateDue(ctx)
	if n > 0 {
		t.log.InfoContext(ctx, "activated subscriptions whose start date has come", "count", n)
	}
	return err
}

// ScanSLAAlerts publishes the alerts of clocks close to or past their target.
func (t tasks) ScanSLAAlerts(ctx context.Context) error {
	_, err := t.app.Store.ScanSLAAlerts(ctx)
	return err
}

// DueMonths lists the subscription-months whose cutoff has passed and that are not final.
func (t tasks) DueMonths(ctx context.Context) ([]jobs.MonthRef, error) {
	due, err := t.app.Store.DueMonths(ctx)
	if err != nil {
		return nil, err
	}
	refs := make([]jobs.MonthRef, len(due))
	for i, d := range due {
		refs[i] = jobs.MonthRef{SubscriptionID: d.SubscriptionID, Month: d.Month}
	}
	return refs, nil
}

// EvaluateMonths finalises a batch of months and credits those that were
// missed, in one transaction. A month of imported history is left to staff,
// even when a job for it was queued before the subscription's import was
// known to the sweep. It returns an error naming the months that could not
// be finalised, so the job is retried; the others stay final.
func (t tasks) EvaluateMonths(ctx context.Context, refs []jobs.MonthRef) error {
	batch := make([]store.MonthRef, len(refs))
	for i, r := range refs {
		batch[i] = store.MonthRef{SubscriptionID: r.SubscriptionID, Month: r.Month}
	}
	out, err := t.app.Evaluator.EvaluateMonths(ctx, batch)
	if err != nil {
		return err
	}
	var errs []error
	frozen, missed := 0, 0
	for _, o := range out {
		switch {
		case o.Err != nil:
			errs = append(errs, fmt.Errorf("%s %s: %w", o.SubscriptionID, o.Month, o.Err))
		case o.LeftToStaff:
			t.log.InfoContext(ctx, "month of imported history left to staff", "subscription_id", o.SubscriptionID, "month", o.Month)
		case o.Fresh:
			frozen++
			if !o.Report.Met {
				missed++
				t.log.InfoContext(ctx, "month missed its guarantee; credited", "subscription_id", o.SubscriptionID, "month", o.Month)
			}
		}
	}
	if frozen > 0 {
		t.log.InfoContext(ctx, "finalised months", "count", frozen, "missed", missed)
	}
	return errors.Join(errs...)
}

// SettleStripe finishes the Stripe work left pending.
func (t tasks) SettleStripe(ctx context.Context) error {
	return t.app.Billing.SettleStripe(ctx)
}

// PollMail reads the IMAP mailbox once (mailbox.Connector.Run). A refused
// login or an unreachable server is logged as an error and fails the run;
// the next period tries again, and the HTTP server is not affected.
func (t tasks) PollMail(ctx context.Context) error {
	_, err := t.app.mailConnector().Run(ctx)
	if err != nil && ctx.Err() == nil {
		t.log.ErrorContext(ctx, "imap mailbox not read; retrying next period", "error", err.Error())
	}
	return err
}
