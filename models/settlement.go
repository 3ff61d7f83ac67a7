package models

import (
	"time"

	"github.com/uptrace/bun"
)

// SettlementKind says which Stripe operation a settlement is.
type SettlementKind string

// The settlement kinds.
const (
	// SettlementInvoiceCredit is credit applied to a draft renewal invoice
	// as a negative invoice item; its target is the invoice id.
	SettlementInvoiceCredit SettlementKind = "invoice_credit"
	// SettlementRefund is a refund on a past charge of a leaving customer;
	// its target is the charge id.
	SettlementRefund SettlementKind = "refund"
	// SettlementCreditNote is the early-access opt-out refund, a credit
	// note with a refund amount on the year's paid invoice; its target is
	// the invoice id (empty while no paid invoice is known).
	SettlementCreditNote SettlementKind = "credit_note"
)

// SettlementStatus is where a settlement is: pending until Stripe has
// accepted it, then settled, or failed when Stripe refused it for good.
type SettlementStatus string

// The settlement statuses.
const (
	SettlementPending SettlementStatus = "pending"
	SettlementSettled SettlementStatus = "settled"
	SettlementFailed  SettlementStatus = "failed"
)

// Settlement is one movement of money that Stripe must carry out for us:
// credit on an invoice, a refund, a credit note. It is written (pending)
// before Stripe is called, so a failed or interrupted call stays visible and
// is retried with the same idempotency key; Stripe then never does it twice.
type Settlement struct {
	bun.BaseModel `bun:"table:settlements,alias:st"`

	ID             string           `bun:"id,pk"`
	CustomerID     string           `bun:"customer_id,notnull"`
	SubscriptionID string           `bun:"subscription_id,nullzero"`
	Kind           SettlementKind   `bun:"kind,notnull"`
	Target         string           `bun:"target,notnull"` // the invoice or charge id the operation is on
	AmountCents    int64            `bun:"amount_cents,notnull"`
	Currency       string           `bun:"currency,notnull"`
	LedgerKey      string           `bun:"ledger_key,nullzero"`     // the credit entry it settles; none for opt-out refunds
	IdempotencyKey string           `bun:"idempotency_key,notnull"` // unique; also the key of the Stripe call
	Status         SettlementStatus `bun:"status,notnull"`
	StripeID       string           `bun:"stripe_id,nullzero"` // the invoice item, refund or credit note
	Attempts       int              `bun:"attempts,notnull"`
	FirstAttemptAt time.Time        `bun:"first_attempt_at,nullzero"` // retries stop a day after it: Stripe forgets idempotency keys
	LastError      string           `bun:"last_error,nullzero"`       // short and client-safe: Stripe's code and message
	CreatedAt      time.Time        `bun:"created_at,notnull"`
	UpdatedAt      time.Time        `bun:"updated_at,notnull"`
}

// Amount returns the settlement's amount with its currency.
func (s *Settlement) Amount() Money {
	return Money{Cents: s.AmountCents, Currency: s.Currency}
}
