package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// Service is billing's orchestration: it links subscriptions to Stripe,
// handles Stripe's webhooks, closes accounts and refunds early-access
// opt-outs, and keeps every movement of money that Stripe must carry out as
// a settlement until Stripe has done it. Stripe is called outside database
// transactions, after the settlement is written, so a failed or interrupted
// call is retried with the same idempotency key rather than lost or doubled.
type Service struct {
	DB     *bun.DB
	Store  *store.Store
	Ledger *Ledger
	// Stripe is the Stripe client; nil means Stripe is disabled.
	Stripe *Stripe
	// WebhookSecret is the signing secret of the webhook endpoint.
	WebhookSecret string
	// Log receives what the service cannot return; nil means slog.Default().
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OptOutFrom is the instant from which early-access customers may opt
	// out (the date of the dashboard and legal agreement); zero means any
	// time.
	OptOutFrom time.Time
}

// Reasons and actors written on subscriptions and ledger entries.
const (
	reasonStripeCanceled = "canceled in Stripe"
	reasonAccountClosed  = "account closed"
	reasonOptOut         = "early access opt-out"
	actorStripe          = "stripe"
	actorWebhook         = "stripe-webhook"
)

// SyncSubscription links a live subscription to Stripe, for jobs (it checks
// no caller): it makes sure the customer has a Stripe customer (storing its
// id on the customer), then creates the yearly Stripe subscription and
// stores its id. The billing cycle is anchored on the subscription's next
// yearly renewal when it is active and started in the past (so Stripe
// bills with the license renewal), else on its start. A subscription that
// is linked already or has ended, a closed customer and a disabled Stripe
// are no-ops; the Stripe calls carry idempotency keys derived from our ids,
// so a retry after a failure creates nothing twice. It returns NOT_FOUND for
// an unknown subscription, CONFLICT when Stripe answers with an id another
// customer or subscription holds, and Stripe's errors.
func (s *Service) SyncSubscription(ctx context.Context, subscriptionID string) error {
	if s.Stripe == nil {
		return nil
	}
	sub, err := findSubscription(ctx, s.DB, subscriptionID)
	if err != nil {
		return fmt.Errorf("sync subscription: %w", err)
	}
	if !sub.Status.Live() || sub.StripeSubscriptionID != "" {
		return nil
	}
	cust, err := findCustomer(ctx, s.DB, sub.CustomerID)
	if err != nil {
		return fmt.Errorf("sync subscription: %w", err)
	}
	if !cust.ClosedAt.IsZero() {
		return nil
	}
	stripeCustomer, err := s.ensureStripeCustomer(ctx, cust)
	if err != nil {
		return fmt.Errorf("sync subscription: %w", err)
	}
	id, err := s.Stripe.CreateYearlySubscription(ctx, stripeCustomer, sub.ID, s.billingAnchor(sub))
	if err != nil {
		return fmt.Errorf("sync subscription: %w", err)
	}
	_, err = s.DB.NewUpdate().Model((*models.SupportSubscription)(nil)).
		Set("stripe_subscription_id = ?", id).Set("updated_at = ?", s.now()).
		Where("id = ? AND stripe_subscription_id IS NULL", sub.ID).
		Exec(ctx)
	switch {
	case store.IsUniqueViolation(err):
		return models.Errorf(models.CodeConflict, "Stripe subscription %s is linked to another subscription", id)
	case err != nil:
		return fmt.Errorf("sync subscription: save stripe id: %w", err)
	}
	return nil
}

// SyncPending runs SyncSubscription for every live subscription of an open
// account that has no Stripe subscription yet, for a periodic job. It goes
// on after a failure and returns every error joined; a disabled Stripe is a
// no-op.
func (s *Service) SyncPending(ctx context.Context) error {
	if s.Stripe == nil {
		return nil
	}
	var ids []string
	err := s.DB.NewSelect().Model((*models.SupportSubscription)(nil)).Column("s.id").
		Join("JOIN customers AS c ON c.id = s.customer_id").
		Where("s.status IN (?)", bun.In([]models.SubscriptionStatus{models.StatusPending, models.StatusActive})).
		Where("s.stripe_subscription_id IS NULL AND c.closed_at IS NULL").
		OrderExpr("s.created_at, s.id").
		Scan(ctx, &ids)
	if err != nil {
		return fmt.Errorf("sync pending: %w", err)
	}
	var errs []error
	for _, id := range ids {
		if err := s.SyncSubscription(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sync pending: %w", err)
	}
	return nil
}

// SettleStripe finishes the Stripe work left pending, for the periodic
// job: it links subscriptions (SyncPending), processes recorded webhook
// events that are not processed (ProcessPendingEvents), retries pending
// settlements (RetrySettlements) and cancels in Stripe what has ended here
// (CancelEndedInStripe). It runs all four and returns their errors joined.
func (s *Service) SettleStripe(ctx context.Context) error {
	return errors.Join(s.SyncPending(ctx), s.ProcessPendingEvents(ctx), s.RetrySettlements(ctx), s.CancelEndedInStripe(ctx))
}

// CloseAccount closes a customer's account (sales, admin): it ends every
// live subscription (canceled, reason "account closed"), cancels the
// customer's Stripe subscriptions, marks the customer closed and refunds
// the remaining credit balance against the customer's past Stripe charges,
// newest first, each refund a ledger debit and a settlement written before
// Stripe is called. It returns the closed customer.
//
// A refund Stripe does not accept leaves its settlement pending (retried by
// RetrySettlements with the same key) or, when Stripe refuses it for good,
// failed with the debit reversed; either way CloseAccount succeeds and the
// settlements show what is left. A balance that no charge can take (no
// Stripe customer, no refundable charge) stays on the closed account and is
// logged, for staff to settle by hand. A failure before the account is
// marked closed (such as Stripe refusing a cancellation) returns the error
// and may be retried by calling CloseAccount again.
//
// It returns UNAUTHENTICATED or FORBIDDEN for other callers, NOT_FOUND for
// an unknown customer, and CONFLICT when the account is closed already or
// when it holds credit but Stripe is not configured (nothing is changed
// then).
func (s *Service) CloseAccount(ctx context.Context, customerID string) (*models.Customer, error) {
	caller, err := auth.Require(ctx, auth.RoleSales, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	cust, err := findCustomer(ctx, s.DB, customerID)
	if err != nil {
		return nil, fmt.Errorf("close account: %w", err)
	}
	if !cust.ClosedAt.IsZero() {
		return nil, models.Errorf(models.CodeConflict, "account %s is closed already", cust.ID)
	}
	balance, err := s.Ledger.Balance(ctx, cust.ID)
	if err != nil {
		return nil, fmt.Errorf("close account: %w", err)
	}
	if balance.Cents > 0 && s.Stripe == nil {
		return nil, models.Errorf(models.CodeConflict, "Stripe is not configured; cannot refund the credit balance of %s", balance)
	}
	var subs []*models.SupportSubscription
	if err := s.DB.NewSelect().Model(&subs).Where("s.customer_id = ?", cust.ID).OrderExpr("s.created_at, s.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("close account: %w", err)
	}
	for _, sub := range subs {
		if !sub.Status.Live() {
			continue
		}
		ended, err := s.Store.EndSubscription(ctx, sub.ID, models.StatusCanceled, reasonAccountClosed, caller.Subject)
		switch {
		case models.ErrorCode(err) == models.CodeConflict: // ended meanwhile
		case err != nil:
			return nil, fmt.Errorf("close account: %w", err)
		default:
			*sub = *ended
		}
	}
	if s.Stripe != nil {
		for _, sub := range subs {
			if sub.StripeSubscriptionID == "" || sub.CancelReason == reasonStripeCanceled {
				continue
			}
			// Idempotent: a subscription canceled already is success.
			if err := s.cancelInStripe(ctx, sub); err != nil {
				return nil, fmt.Errorf("close account: %w", err)
			}
		}
	}
	now := s.now()
	err = s.inTx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*models.Customer)(nil)).
			Set("closed_at = ?", now).Set("updated_at = ?", now).
			Where("id = ? AND closed_at IS NULL", cust.ID).
			Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return models.Errorf(models.CodeConflict, "account %s is closed already", cust.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("close account: %w", err)
	}
	cust.ClosedAt, cust.UpdatedAt = now, now
	if err := s.refundBalance(ctx, cust, caller.Subject); err != nil {
		s.log().WarnContext(ctx, "close account: refund left pending", "customer_id", cust.ID, "err", err)
	}
	return cust, nil
}

// OptOutEarlyAccess ends an early-access subscription at once and refunds
// the unused part of its current yearly period pro rata by day (see
// UnusedDays and ProRataRefund, in the subscription's SLA time zone),
// rounded up to the cent. The caller is the owning customer's user, or
// sales or admin. The refund is a settlement (kind credit_note, key
// "optout:<subscriptionID>") written before the subscription ends; its
// Stripe subscription is canceled and a credit note with that refund is
// issued on the year's paid invoice. Without a known paid invoice, with
// Stripe disabled or when Stripe fails, the settlement stays pending with
// the reason in last_error and RetrySettlements finishes it; the opt-out
// itself has taken effect and the ended subscription is returned.
//
// It returns UNAUTHENTICATED or FORBIDDEN for other callers, NOT_FOUND for
// an unknown subscription or another customer's, and CONFLICT when the
// subscription is not early access, not active, has no billing period, or
// opt-out has not opened yet (before OptOutFrom).
func (s *Service) OptOutEarlyAccess(ctx context.Context, subscriptionID string) (*models.SupportSubscription, error) {
	caller, err := auth.Require(ctx, auth.RoleCustomer, auth.RoleSales, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	sub, err := findSubscription(ctx, s.DB, subscriptionID)
	if err != nil {
		return nil, fmt.Errorf("opt out of early access: %w", err)
	}
	if !caller.Has(auth.RoleSales, auth.RoleAdmin) && (caller.CustomerID == "" || caller.CustomerID != sub.CustomerID) {
		return nil, models.Errorf(models.CodeNotFound, "subscription %q not found", subscriptionID)
	}
	now := s.now()
	loc := s.location(sub.SLATimezone)
	switch status := sub.EffectiveStatus(now); {
	case !sub.EarlyAccess:
		return nil, models.Errorf(models.CodeConflict, "subscription %s is not early access", sub.ID)
	case status != models.StatusActive:
		return nil, models.Errorf(models.CodeConflict, "subscription %s is %s; only an active subscription can opt out", sub.ID, status)
	case now.Before(s.OptOutFrom):
		return nil, models.Errorf(models.CodeConflict, "opt-out opens on %s", s.OptOutFrom.In(loc).Format(time.DateOnly))
	case sub.CurrentPeriodStart.IsZero() || !sub.CurrentPeriodEnd.After(sub.CurrentPeriodStart):
		return nil, models.Errorf(models.CodeConflict, "subscription %s has no current billing period", sub.ID)
	}
	unused, total := UnusedDays(sub.CurrentPeriodStart, sub.CurrentPeriodEnd, now, loc)
	refund := ProRataRefund(models.AnnualFee(sub.MonthlyFee()).Cents, unused, total)

	var st *models.Settlement
	if refund > 0 {
		// Written before the subscription ends: an interruption between
		// the two leaves a pending settlement that a retried opt-out or
		// RetrySettlements finishes, never an ended subscription whose
		// refund is lost. A retry keeps the first amount.
		st, err = s.createSettlement(ctx, &models.Settlement{
			CustomerID: sub.CustomerID, SubscriptionID: sub.ID, Kind: models.SettlementCreditNote,
			Target: sub.StripeLatestInvoiceID, AmountCents: refund, Currency: sub.Currency,
			IdempotencyKey: "optout:" + sub.ID,
		})
		if err != nil {
			return nil, fmt.Errorf("opt out of early access: %w", err)
		}
	}
	ended, err := s.Store.EndSubscription(ctx, sub.ID, models.StatusCanceled, reasonOptOut, caller.Subject)
	if models.ErrorCode(err) == models.CodeConflict {
		// Ended meanwhile: by a concurrent opt-out (then this one is
		// done too), or by something else (then no refund is due).
		cur, ferr := findSubscription(ctx, s.DB, sub.ID)
		if ferr != nil {
			return nil, fmt.Errorf("opt out of early access: %w", ferr)
		}
		if cur.Status != models.StatusCanceled || cur.CancelReason != reasonOptOut {
			if st != nil {
				if ferr := s.failSettlement(ctx, st, "the subscription ended before the opt-out took effect"); ferr != nil {
					return nil, fmt.Errorf("opt out of early access: %w", ferr)
				}
			}
			return nil, err
		}
		ended, err = cur, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opt out of early access: %w", err)
	}
	switch {
	case st != nil:
		// settle cancels the Stripe subscription before it refunds.
		if err := s.settle(ctx, st); err != nil {
			s.log().WarnContext(ctx, "opt-out refund left pending", "subscription_id", sub.ID, "settlement_id", st.ID, "err", err)
		}
	case s.Stripe != nil && ended.StripeSubscriptionID != "":
		if err := s.cancelInStripe(ctx, ended); err != nil {
			s.log().WarnContext(ctx, "opt-out: Stripe subscription not canceled yet; the settle job retries", "subscription_id", sub.ID, "err", err)
		}
	}
	return ended, nil
}

// billingAnchor returns when a new Stripe subscription's yearly billing
// starts: for a subscription that is active and started in the past, its
// next yearly renewal after now (the end of its current period, moved on
// by whole years if that has passed); else its start.
func (s *Service) billingAnchor(sub *models.SupportSubscription) time.Time {
	now := s.now()
	if sub.EffectiveStatus(now) != models.StatusActive || !sub.StartsAt.Before(now) || sub.CurrentPeriodEnd.IsZero() {
		return sub.StartsAt
	}
	anchor := sub.CurrentPeriodEnd
	for years := 1; !anchor.After(now); years++ {
		anchor = sub.CurrentPeriodEnd.AddDate(years, 0, 0)
	}
	return anchor
}

// ensureStripeCustomer returns the customer's Stripe customer id, creating
// the Stripe customer and storing its id when it has none.
func (s *Service) ensureStripeCustomer(ctx context.Context, cust *models.Customer) (string, error) {
	if cust.StripeCustomerID != "" {
		return cust.StripeCustomerID, nil
	}
	id, err := s.Stripe.EnsureCustomer(ctx, cust.ID, cust.Name, "")
	if err != nil {
		return "", err
	}
	res, err := s.DB.NewUpdate().Model((*models.Customer)(nil)).
		Set("stripe_customer_id = ?", id).Set("updated_at = ?", s.now()).
		Where("id = ? AND stripe_customer_id IS NULL", cust.ID).
		Exec(ctx)
	switch {
	case store.IsUniqueViolation(err):
		return "", models.Errorf(models.CodeConflict, "Stripe customer %s belongs to another customer", id)
	case err != nil:
		return "", fmt.Errorf("save stripe customer id: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Linked meanwhile: keep the stored id.
		cur, err := findCustomer(ctx, s.DB, cust.ID)
		if err != nil {
			return "", err
		}
		id = cur.StripeCustomerID
	}
	cust.StripeCustomerID = id
	return id, nil
}

// location returns the time zone of the store's support calendar for zone,
// or UTC (logged) for one that does not load.
func (s *Service) location(zone string) *time.Location {
	cal, err := s.Store.Calendar(zone)
	if err != nil {
		s.log().Error("billing: unknown SLA time zone, using UTC", "zone", zone, "err", err)
		return time.UTC
	}
	return cal.Location()
}

// now returns the service clock in UTC, to the microsecond both databases
// keep.
func (s *Service) now() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().UTC().Truncate(time.Microsecond)
}

// log returns the service logger.
func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// inTx runs fn in one transaction of the service's database.
func (s *Service) inTx(ctx context.Context, fn func(tx bun.Tx) error) error {
	return store.InTx(ctx, s.DB, fn)
}

// findCustomer returns a customer, or NOT_FOUND.
func findCustomer(ctx context.Context, db bun.IDB, id string) (*models.Customer, error) {
	c := new(models.Customer)
	switch err := db.NewSelect().Model(c).Where("c.id = ?", id).Scan(ctx); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, customerNotFound(id)
	case err != nil:
		return nil, fmt.Errorf("find customer: %w", err)
	}
	return c, nil
}

// findSubscription returns a subscription, or NOT_FOUND.
func findSubscription(ctx context.Context, db bun.IDB, id string) (*models.SupportSubscription, error) {
	sub := new(models.SupportSubscription)
	switch err := db.NewSelect().Model(sub).Where("s.id = ?", id).Scan(ctx); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, models.Errorf(models.CodeNotFound, "subscription %q not found", id)
	case err != nil:
		return nil, fmt.Errorf("find subscription: %w", err)
	}
	return sub, nil
}

// subscriptionByStripeID returns our subscription linked to a Stripe
// subscription, locked for the rest of tx on PostgreSQL, or nil.
func subscriptionByStripeID(ctx context.Context, tx bun.Tx, stripeID string) (*models.SupportSubscription, error) {
	if stripeID == "" {
		return nil, nil
	}
	sub := new(models.SupportSubscription)
	q := tx.NewSelect().Model(sub).Where("s.stripe_subscription_id = ?", stripeID)
	if store.IsPostgres(tx) {
		q = q.For("UPDATE")
	}
	switch err := q.Scan(ctx); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("find subscription by stripe id: %w", err)
	}
	return sub, nil
}
