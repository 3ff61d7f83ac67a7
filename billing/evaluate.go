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

// credit writes the month's earned credit.
func (e *Evaluator) credit(ctx context.Context, tx bun.Tx, sub *models.SupportSubscription, r sla.MonthReport) (string, error) {
	entry, _, err := e.Ledger.AppendTx(ctx, tx, Entry{
		CustomerID: sub.CustomerID, Kind: models.CreditEarned, AmountCents: sub.MonthlyFeeCents, Currency: sub.Currency,
		Reference:      "subscription-month:" + sub.ID + ":" + r.Month,
		IdempotencyKey: "earned:" + sub.ID + ":" + r.Month,
		Reason:         "SLA guarantee missed in " + r.Month, Actor: "system",
		SubscriptionID: sub.ID, Month: r.Month,
	})
	if err != nil {
		return "", err
	}
	return entry.ID, nil
}
