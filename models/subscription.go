package models

import (
	"time"

	"github.com/uptrace/bun"
)

// SubscriptionStatus is where a Priority Support subscription is in its life:
// pending → active → canceled or expired.
type SubscriptionStatus string

// The subscription statuses. Pending and active subscriptions are live: they
// hold their domains.
const (
	StatusPending  SubscriptionStatus = "pending"
	StatusActive   SubscriptionStatus = "active"
	StatusCanceled SubscriptionStatus = "canceled"
	StatusExpired  SubscriptionStatus = "expired"
)

// Live reports whether a subscription in this status holds its domains.
func (s SubscriptionStatus) Live() bool {
	return s == StatusPending || s == StatusActive
}

// Default SLA targets, stored per subscription.
const (
	DefaultFirstResponseTarget = time.Hour
	DefaultFollowUpTarget      = time.Hour
)

// SupportSubscription is a customer's Priority Support subscription: the
// domains it covers, its fee, its billing period and its SLA terms.
type SupportSubscription struct {
	bun.BaseModel `bun:"table:support_subscriptions,alias:s"`

	ID                         string             `bun:"id,pk"`
	CustomerID                 string             `bun:"customer_id,notnull"`
	Status                     SubscriptionStatus `bun:"status,notnull"`
	EarlyAccess                bool               `bun:"early_access,notnull"`
	MonthlyFeeCents            int64              `bun:"monthly_fee_cents,notnull"`
	Currency                   string             `bun:"currency,notnull"`
	StartsAt                   time.Time          `bun:"starts_at,notnull"`
	CurrentPeriodStart         time.Time          `bun:"current_period_start,nullzero"`
	CurrentPeriodEnd           time.Time          `bun:"current_period_end,nullzero"`
	FirstResponseTargetSeconds int64              `bun:"first_response_target_seconds,notnull"`
	FollowUpTargetSeconds      int64              `bun:"follow_up_target_seconds,notnull"`
	SLATimezone                string             `bun:"sla_timezone,notnull"`
	ActivatedAt                time.Time          `bun:"activated_at,nullzero"`
	CanceledAt                 time.Time          `bun:"canceled_at,nullzero"`
	ExpiredAt                  time.Time          `bun:"expired_at,nullzero"`
	CancelReason               string             `bun:"cancel_reason,nullzero"`
	StripeSubscriptionID       string             `bun:"stripe_subscription_id,nullzero"`
	StripeLatestInvoiceID      string             `bun:"stripe_latest_invoice_id,nullzero"` // the last paid yearly invoice
	StripeEventAt              time.Time          `bun:"stripe_event_at,nullzero"`          // creation time of the last Stripe event applied
	StripeCanceledAt           time.Time          `bun:"stripe_canceled_at,nullzero"`       // when its Stripe subscription was canceled, once it has ended
	CreatedAt                  time.Time          `bun:"created_at,notnull"`
	UpdatedAt                  time.Time          `bun:"updated_at,notnull"`
}

// MonthlyFee returns the fee per month.
func (s *SupportSubscription) MonthlyFee() Money {
	return Money{Cents: s.MonthlyFeeCents, Currency: s.Currency}
}

// EffectiveStatus returns the status at now: a pending subscription whose
// start has come reads as active even before the stored status catches up.
func (s *SupportSubscription) EffectiveStatus(now time.Time) SubscriptionStatus {
	if s.Status == StatusPending && !now.Before(s.StartsAt) {
		return StatusActive
	}
	return s.Status
}

// SubscriptionDomain is one domain in a subscription's set. Live is true
// while the domain is in the set of a live subscription; the database keeps
// at most one live row per domain. RemovedAt is set when sales took the
// domain out of the set.
type SubscriptionDomain struct {
	bun.BaseModel `bun:"table:subscription_domains,alias:sd"`

	ID             string    `bun:"id,pk"`
	SubscriptionID string    `bun:"subscription_id,notnull"`
	CustomerID     string    `bun:"customer_id,notnull"`
	Domain         string    `bun:"domain,notnull"`
	Live           bool      `bun:"live,notnull"`
	AddedAt        time.Time `bun:"added_at,notnull"`
	RemovedAt      time.Time `bun:"removed_at,nullzero"`
}

// SubscriptionStatusChange records one move of a subscription's status and
// when it took effect.
type SubscriptionStatusChange struct {
	bun.BaseModel `bun:"table:subscription_status_changes,alias:ssc"`

	ID             string             `bun:"id,pk"`
	SubscriptionID string             `bun:"subscription_id,notnull"`
	FromStatus     SubscriptionStatus `bun:"from_status,nullzero"`
	ToStatus       SubscriptionStatus `bun:"to_status,notnull"`
	ChangedAt      time.Time          `bun:"changed_at,notnull"`
	Actor          string             `bun:"actor,nullzero"`
	Reason         string             `bun:"reason,nullzero"`
}

// SubscriptionInput is what sales gives to create a subscription.
type SubscriptionInput struct {
	CustomerID  string
	Domains     []string
	StartsAt    *time.Time
	EarlyAccess bool
}

// Check checks the input's own bounds: a start date, when given, in the
// window of accepted times (see CheckTime). The domains are checked by a
// DomainPolicy. It returns a BAD_USER_INPUT *Error.
func (in *SubscriptionInput) Check() error {
	if in.StartsAt != nil {
		return CheckTime("startsAt", *in.StartsAt)
	}
	return nil
}

// SubscriptionTerms is the start, status and first billing period of a new
// subscription.
type SubscriptionTerms struct {
	StartsAt    time.Time
	Status      SubscriptionStatus
	PeriodStart time.Time
	PeriodEnd   time.Time
}

// PlanSubscription decides when a new subscription starts and which yearly
// billing period is current, in the subscription's SLA zone loc (nil means
// UTC). Without a start date it starts at the license's next renewal (the
// end of its validity); a given start date may lie in the past, for a
// customer imported with Priority Support already running, in which case
// the subscription is active at once and its current period is the yearly
// period, counted from the start, that contains now. The start is taken as
// SubscriptionStart says, so a start given as a date begins at that date's
// midnight in loc; periods are whole years of loc's calendar from it, and
// all times returned are in UTC.
func PlanSubscription(license *License, startsAt *time.Time, now time.Time, loc *time.Location) SubscriptionTerms {
	if loc == nil {
		loc = time.UTC
	}
	start := license.ValidUntil
	if startsAt != nil {
		start = *startsAt
	}
	start = SubscriptionStart(start, loc)
	years := func(n int) time.Time { return start.In(loc).AddDate(n, 0, 0).UTC() }
	t := SubscriptionTerms{StartsAt: start, Status: StatusPending, PeriodStart: start, PeriodEnd: years(1)}
	if !now.Before(start) {
		t.Status = StatusActive
		for n := 1; !t.PeriodEnd.After(now); n++ {
			t.PeriodStart = t.PeriodEnd
			t.PeriodEnd = years(n + 1)
		}
	}
	return t
}

// SubscriptionStart returns, in UTC, when a subscription given the start t
// begins in its SLA zone loc (nil means UTC). A UTC midnight names a
// calendar date (it is what a date picker or a sales tool sends for "1
// September"), and the subscription begins at the start of that date in
// loc: for a New York subscription 2026-09-01T00:00:00Z means 1 September
// local, 2026-09-01T04:00:00Z, so the subscription neither holds the last
// four hours of August (a month that a missed response could then earn a
// full credit for) nor counts its billing days from 31 August. Any other
// instant, such as a local midnight written with its offset, is kept.
func SubscriptionStart(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	if !isUTCMidnight(t) {
		return t.UTC()
	}
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()
}

// SubscriptionDate returns the calendar date in the SLA zone loc (nil means
// UTC) that a subscription's start or period bound t stands for, at
// midnight UTC, so that subtracting two gives whole days: t's date in loc,
// except that a UTC midnight stands for its UTC date, as in
// SubscriptionStart. Bounds planned by PlanSubscription are midnights of
// loc; the exception reads the same dates from bounds stored as UTC
// midnights, which a New York calendar would otherwise put on the evening
// before (a period ending 2028-03-01T00:00:00Z ends on 1 March, not 29
// February).
func SubscriptionDate(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	local := t.UTC()
	if !isUTCMidnight(t) {
		local = t.In(loc)
	}
	y, m, d := local.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// isUTCMidnight reports whether t is exactly 00:00:00 UTC.
func isUTCMidnight(t time.Time) bool {
	// Truncate counts from the zero time, a UTC midnight, whatever t's zone.
	return t.Equal(t.Truncate(24 * time.Hour))
}
