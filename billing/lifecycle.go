package billing

import (
	"context"

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
		return sub, nil
	}
	if linked, err := findSubscription(ctx, s.DB, sub.ID); err == nil {
		sub = linked
	}
	return sub, nil
}

// CancelSubscription cancels a subscription by the store's rules (sales,
// admin) and then cancels its Stripe subscription, so that it is not
// renewed. A Stripe failure does not undo the cancellation: it is logged
// for staff, since a Stripe subscription left running would bill again.
// The errors are the store's.
func (s *Service) CancelSubscription(ctx context.Context, id, reason string) (*models.SupportSubscription, error) {
	sub, err := s.Store.CancelSubscription(ctx, id, reason)
	if err != nil {
		return nil, err
	}
	if s.Stripe != nil && sub.StripeSubscriptionID != "" {
		if err := s.Stripe.CancelSubscription(ctx, sub.StripeSubscriptionID); err != nil {
			s.log().ErrorContext(ctx, "subscription canceled here but not in Stripe; cancel it there by hand", "subscription_id", sub.ID, "err", err)
		}
	}
	return sub, nil
}
