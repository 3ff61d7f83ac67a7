CREATE TABLE stripe_events (
    id           text PRIMARY KEY,
    type         text NOT NULL,
    api_version  text NOT NULL,
    created      timestamptz NOT NULL,
    payload      text NOT NULL,
    received_at  timestamptz NOT NULL,
    processed_at timestamptz,
    locked_until timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text
);
--bun:split
CREATE INDEX stripe_events_unprocessed_idx ON stripe_events (created, id) WHERE processed_at IS NULL;
--bun:split
CREATE TABLE settlements (
    id               text PRIMARY KEY,
    customer_id      text NOT NULL REFERENCES customers (id),
    subscription_id  text REFERENCES support_subscriptions (id),
    kind             text NOT NULL CHECK (kind IN ('invoice_credit', 'refund', 'credit_note')),
    target           text NOT NULL,
    amount_cents     bigint NOT NULL CHECK (amount_cents > 0),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    ledger_key       text,
    idempotency_key  text NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    status           text NOT NULL CHECK (status IN ('pending', 'settled', 'failed')),
    stripe_id        text,
    attempts         integer NOT NULL DEFAULT 0,
    first_attempt_at timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
--bun:split
CREATE INDEX settlements_customer_idx ON settlements (customer_id, created_at, id);
--bun:split
CREATE INDEX settlements_pending_idx ON settlements (created_at, id) WHERE status = 'pending';
--bun:split
CREATE INDEX settlements_stripe_idx ON settlements (stripe_id);
