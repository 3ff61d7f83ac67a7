ALTER TABLE support_subscriptions ADD COLUMN stripe_subscription_id text;
--bun:split
ALTER TABLE support_subscriptions ADD COLUMN stripe_latest_invoice_id text;
--bun:split
ALTER TABLE support_subscriptions ADD COLUMN stripe_event_at text;
--bun:split
CREATE UNIQUE INDEX support_subscriptions_stripe_idx ON support_subscriptions (stripe_subscription_id);
--bun:split
ALTER TABLE customers ADD COLUMN closed_at text;
--bun:split
CREATE TABLE sla_months (
    subscription_id           text NOT NULL REFERENCES support_subscriptions (id),
    month                     text NOT NULL,
    customer_id               text NOT NULL REFERENCES customers (id),
    met                       integer NOT NULL,
    tickets_received          integer NOT NULL,
    first_responses           integer NOT NULL,
    first_responses_met       integer NOT NULL,
    follow_ups                integer NOT NULL,
    average_follow_up_seconds integer,
    credit_entry_id           text,
    evaluated_at              text NOT NULL,
    PRIMARY KEY (subscription_id, month)
);
