-- When the Stripe subscription of an ended subscription was canceled in Stripe;
-- NULL while that is still to do (the settle job does it).
ALTER TABLE support_subscriptions ADD COLUMN stripe_canceled_at timestamptz;
