package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
)

// CreateSubscription creates a Priority Support subscription by the
// store's rules (sales, admin) and then links it to Stripe (see
// SyncSubscription). A Stripe failure does not undo the subscription: it is
// logged, and the periodic settle job links it later with the same
// idempotency keys. The errors are the store's.
func (s *Service) CreateSubscription(ctx context.Context, in models.SubscriptionInput) (*models.SupportSubscription, error) {
	sub, err := s.Store.CreateSubscription(ctx, in)
	if err != nil {
		return nil, err
	}
	if s.Stripe == nil {
		return sub, nil
	}
	if err := s.SyncSubscription(ctx, sub.ID); err != nil {
		s.log().WarnContext(ctx, "new subscription not linked to Stripe yet; the settle job retries", "subscription_id", sub.ID, "err", err)
	}
	return sub, nil
}

// CancelSubscription cancels a subscription by the store's rules (sales,
// admin) and then cancels its Stripe subscription, so that it is not
// renewed. A Stripe failure does not undo the cancellation: it is logged,
// and CancelEndedInStripe (the settle job) cancels it in Stripe later. The
// errors are the store's.
func (s *Service) CancelSubscription(ctx context.Context, id, reason string) (*models.SupportSubscription, error) {
	sub, err := s.Store.CancelSubscription(ctx, id, reason)
	if err != nil {
		return nil, err
	}
	if s.Stripe != nil && sub.StripeSubscriptionID != "" {
		if err := s.cancelInStripe(ctx, sub); err != nil {
			s.log().WarnContext(ctx, "subscription canceled here, not yet in Stripe; the settle job retries", "subscription_id", sub.ID, "err", err)
		}
	}
	return sub, nil
}

// CancelEndedInStripe cancels in Stripe the Stripe subscriptions of ended
// (canceled or expired) subscriptions that are still to be canceled there,
// for the periodic job, so that no ended subscription is billed again; one
// that Stripe itself canceled is only marked. It goes on after a failure
// and returns the failures joined; a disabled Stripe is a no-op.
func (s *Service) CancelEndedInStripe(ctx context.Context) error {
	if s.Stripe == nil {
		return nil
	}
	var subs []*models.SupportSubscription
	err := s.DB.NewSelect().Model(&subs).
		Where("s.status IN (?)", bun.In([]models.SubscriptionStatus{models.StatusCanceled, models.StatusExpired})).
		Where("s.stripe_subscription_id IS NOT NULL AND s.stripe_canceled_at IS NULL").
		OrderExpr("s.updated_at, s.id").
		Scan(ctx)
	if err != nil {
		return fmt.Errorf("cancel ended in stripe: %w", err)
	}
	var errs []error
	for _, sub := range subs {
		if err := s.cancelInStripe(ctx, sub); err != nil {
			errs = append(errs, fmt.Errorf("subscription %s: %w", sub.ID, err))
		}
	}
	return errors.Join(errs...)
}

// cancelInStripe cancels an ended subscription's Stripe subscription (an
// idempotent call; skipped when Stripe canceled it) and records when.
func (s *Service) cancelInStripe(ctx context.Context, sub *models.SupportSubscription) error {
	if sub.CancelReason != reasonStripeCanceled {
		if err := s.Stripe.CancelSubscription(ctx, sub.StripeSubscriptionID); err != nil {
			return err
		}
	}
	return s.markCanceledInStripe(ctx, sub.ID)
}

// markCanceledInStripe records that a subscription's Stripe subscription is
// canceled, once.
func (s *Service) markCanceledInStripe(ctx context.Context, subscriptionID string) error {
	now := s.now()
	_, err := s.DB.NewUpdate().Model((*models.SupportSubscription)(nil)).
		Set("stripe_canceled_at = ?", now).Set("updated_at = ?", now).
		Where("id = ? AND stripe_canceled_at IS NULL", subscriptionID).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark canceled in stripe: %w", err)
	}
	return nil
}
