DROP TABLE sla_months;
--bun:split
ALTER TABLE customers DROP COLUMN closed_at;
--bun:split
DROP INDEX support_subscriptions_stripe_idx;
--bun:split
ALTER TABLE support_subscriptions DROP COLUMN stripe_event_at;
--bun:split
ALTER TABLE support_subscriptions DROP COLUMN stripe_latest_invoice_id;
--bun:split
ALTER TABLE support_subscriptions DROP COLUMN stripe_subscription_id;
