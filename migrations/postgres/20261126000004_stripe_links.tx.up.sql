ALTER TABLE support_subscriptions ADD COLUMN stripe_subscription_id text;
--bun:split
ALTER TABLE support_subscriptions ADD COLUMN stripe_latest_invoice_id text;
--bun:split
ALTER TABLE support_subscriptions ADD COLUMN stripe_event_at timestamptz;
--bun:split
CREATE UNIQUE INDEX support_subscriptions_stripe_idx ON support_subscriptions (stripe_subscription_id);
--bun:split
ALTER TABLE customers ADD COLUMN closed_at timestamptz;
--bun:split
CREATE TABLE sla_months (
    subscription_id           text NOT NULL REFERENCES support_subscriptions (id),
    month                     text NOT NULL,
    customer_id               text NOT NULL REFERENCES customers (id),
    met                       boolean NOT NULL,
    tickets_received          bigint NOT NULL,
    first_responses           bigint NOT NULL,
    first_responses_met       bigint NOT NULL,
    follow_ups                bigint NOT NULL,
    average_follow_up_seconds bigint,
    credit_entry_id           text,
    evaluated_at              timestamptz NOT NULL,
    PRIMARY KEY (subscription_id, month)
);
