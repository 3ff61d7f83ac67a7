ALTER TABLE support_subscriptions DROP COLUMN stripe_canceled_at;
