package billing

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
	"github.com/prioritysupport/backend/store"
)

// Evaluator finalises SLA months and credits each missed one with that
// month's full fee (also a month the subscription covered only part of),
// exactly once per subscription and month.
type Evaluator struct {
	Store  *store.Store
	Ledger *Ledger
}

// EvaluateMonth finalises one subscription's month (see
// store.FinalizeMonth) and, when the guarantee was missed, writes the
// earned credit in the same transaction. It is idempotent: a month final
// already is returned as it was. It checks no caller (jobs call it).
func (e *Evaluator) EvaluateMonth(ctx context.Context, subscriptionID, month string) (*sla.MonthReport, error) {
	r, _, err := e.Store.FinalizeMonth(ctx, subscriptionID, month, e.credit)
	if err != nil {
		return nil, fmt.Errorf("evaluate month: %w", err)
	}
	return r, nil
}

// EvaluateSLAMonth is EvaluateMonth for an admin: how staff evaluate the
// imported months the background sweep leaves alone (see store.DueMonths)
// once their mail is in. It returns UNAUTHENTICATED or FORBIDDEN for other
// callers, and the codes of store.FinalizeMonth.
func (e *Evaluator) EvaluateSLAMonth(ctx context.Context, subscriptionID, month string) (*sla.MonthReport, error) {
	if _, err := auth.Require(ctx, auth.RoleAdmin); err != nil {
		return nil, err
	}
	return e.EvaluateMonth(ctx, subscriptionID, month)
}

// EvaluateMonths finalises a batch of months (at most
// store.MaxMonthBatch) as the background jobs do (see
// store.FinalizeMonths): one transaction freezes the final reports and
// writes the credits of the missed months, each exactly once per
// subscription and month however often and however concurrently the months
// are evaluated, also with EvaluateMonth. Imported history is left to staff.
// A month that could not be frozen carries its error in its outcome; the
// others are frozen. It checks no caller (jobs call it).
func (e *Evaluator) EvaluateMonths(ctx context.Context, refs []store.MonthRef) ([]store.MonthOutcome, error) {
	out, err := e.Store.FinalizeMonths(ctx, refs, e.credits)
	if err != nil {
		return nil, fmt.Errorf("evaluate months: %w", err)
	}
	return out, nil
}

// credit writes the month's earned credit.
func (e *Evaluator) credit(ctx context.Context, tx bun.Tx, sub *models.SupportSubscription, r sla.MonthReport) (string, error) {
	entry, _, err := e.Ledger.AppendTx(ctx, tx, earnedEntry(sub, r.Month))
	if err != nil {
		return "", err
	}
	return entry.ID, nil
}

// credits writes the earned credits of a batch's missed months.
func (e *Evaluator) credits(ctx context.Context, tx bun.Tx, missed []store.MissedMonth) ([]string, []error, error) {
	entries := make([]Entry, len(missed))
	for i, m := range missed {
		entries[i] = earnedEntry(m.Subscription, m.Report.Month)
	}
	res, err := e.Ledger.AppendManyTx(ctx, tx, entries)
	if err != nil {
		return nil, nil, err
	}
	ids, errs := make([]string, len(res)), make([]error, len(res))
	for i, r := range res {
		if errs[i] = r.Err; r.Err == nil {
			ids[i] = r.Entry.ID
		}
	}
	return ids, errs, nil
}

// earnedEntry is the credit a subscription earns for a missed month: the
// month's full fee, once per subscription and month.
func earnedEntry(sub *models.SupportSubscription, month string) Entry {
	return Entry{
		CustomerID: sub.CustomerID, Kind: models.CreditEarned, AmountCents: sub.MonthlyFeeCents, Currency: sub.Currency,
		Reference:      "subscription-month:" + sub.ID + ":" + month,
		IdempotencyKey: "earned:" + sub.ID + ":" + month,
		Reason:         "SLA guarantee missed in " + month, Actor: "system",
		SubscriptionID: sub.ID, Month: month,
	}
}
