package models

import (
	"time"

	"github.com/uptrace/bun"
)

// CreditKind says why a credit ledger entry was written.
type CreditKind string

// The credit entry kinds.
const (
	CreditEarned     CreditKind = "earned"     // + a month whose SLA was not met, per subscription-month
	CreditApplied    CreditKind = "applied"    // − credit used on an invoice, per Stripe invoice
	CreditRefunded   CreditKind = "refunded"   // − balance paid back to a leaving customer, per Stripe refund
	CreditAdjustment CreditKind = "adjustment" // ± a manual correction by staff, with a reason
)

// Valid reports whether k is one of the kinds above.
func (k CreditKind) Valid() bool {
	switch k {
	case CreditEarned, CreditApplied, CreditRefunded, CreditAdjustment:
		return true
	}
	return false
}

// AllowsAmount reports whether an entry of kind k may carry amountCents:
// earned entries are positive, applied and refunded entries negative, and
// adjustments anything but zero.
func (k CreditKind) AllowsAmount(amountCents int64) bool {
	switch k {
	case CreditEarned:
		return amountCents > 0
	case CreditApplied, CreditRefunded:
		return amountCents < 0
	case CreditAdjustment:
		return amountCents != 0
	}
	return false
}

// CreditEntry is one entry of a customer's append-only credit ledger. The
// customer's balance is the sum of its entries' amounts; no entry is ever
// changed or deleted.
type CreditEntry struct {
	bun.BaseModel `bun:"table:credit_entries,alias:ce"`

	ID             string     `bun:"id,pk"`
	CustomerID     string     `bun:"customer_id,notnull"`
	Kind           CreditKind `bun:"kind,notnull"`
	AmountCents    int64      `bun:"amount_cents,notnull"` // signed: + earned, − applied or refunded, ± adjustment
	Currency       string     `bun:"currency,notnull"`
	Reference      string     `bun:"reference,notnull"`       // what the entry settles: "subscription-month:<id>:2026-11", "invoice:in_…", "refund:re_…"
	IdempotencyKey string     `bun:"idempotency_key,notnull"` // unique: a replay with the same key writes nothing
	Reason         string     `bun:"reason,nullzero"`         // why staff adjusted the balance
	Actor          string     `bun:"actor,notnull"`           // the staff subject, or the job or webhook that wrote it
	SubscriptionID string     `bun:"subscription_id,nullzero"`
	Month          string     `bun:"month,nullzero"` // "YYYY-MM" in the SLA time zone, for earned entries
	CreatedAt      time.Time  `bun:"created_at,notnull"`
}

// Amount returns the entry's signed amount with its currency.
func (e *CreditEntry) Amount() Money {
	return Money{Cents: e.AmountCents, Currency: e.Currency}
}
