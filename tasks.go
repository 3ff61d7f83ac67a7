package main

import (
	"context"
	"log/slog"

	"github.com/prioritysupport/backend/jobs"
)

// tasks is the work of the background jobs, done by the App's services.
type tasks struct {
	app *App
	log *slog.Logger
}

var _ jobs.Tasks = tasks{}

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

// EvaluateMonth finalises a month and credits it when it was missed. A
// month of imported history is left to staff, even when a job for it was
// queued before the subscription's import was known to the sweep.
func (t tasks) EvaluateMonth(ctx context.Context, subscriptionID, month string) error {
	if auto, err := t.app.Store.EvaluatedAutomatically(ctx, subscriptionID, month); err != nil {
		return err
	} else if !auto {
		t.log.InfoContext(ctx, "month of imported history left to staff", "subscription_id", subscriptionID, "month", month)
		return nil
	}
	r, err := t.app.Evaluator.EvaluateMonth(ctx, subscriptionID, month)
	if err == nil && !r.Met {
		t.log.InfoContext(ctx, "month missed its guarantee; credited", "subscription_id", subscriptionID, "month", month)
	}
	return err
}

// SettleStripe finishes the Stripe work left pending.
func (t tasks) SettleStripe(ctx context.Context) error {
	return t.app.Billing.SettleStripe(ctx)
}
