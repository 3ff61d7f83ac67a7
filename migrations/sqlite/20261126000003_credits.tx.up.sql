CREATE TABLE credit_entries (
    id              text PRIMARY KEY,
    customer_id     text NOT NULL REFERENCES customers (id),
    kind            text NOT NULL CHECK (kind IN ('earned', 'applied', 'refunded', 'adjustment')),
    amount_cents    integer NOT NULL,
    currency        text NOT NULL CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
    reference       text NOT NULL CHECK (reference <> ''),
    idempotency_key text NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    reason          text,
    actor           text NOT NULL,
    subscription_id text REFERENCES support_subscriptions (id),
    month           text CHECK (month GLOB '[0-9][0-9][0-9][0-9]-0[1-9]' OR month GLOB '[0-9][0-9][0-9][0-9]-1[0-2]'),
    created_at      text NOT NULL,
    CONSTRAINT credit_entries_sign_check CHECK (
        (kind = 'earned' AND amount_cents > 0)
        OR (kind IN ('applied', 'refunded') AND amount_cents < 0)
        OR (kind = 'adjustment' AND amount_cents <> 0)
    ),
    CONSTRAINT credit_entries_earned_check CHECK (
        (kind = 'earned' AND subscription_id IS NOT NULL AND month IS NOT NULL)
        OR (kind <> 'earned' AND month IS NULL)
    )
);
--bun:split
CREATE INDEX credit_entries_customer_idx ON credit_entries (customer_id, created_at, id);
--bun:split
CREATE UNIQUE INDEX credit_entries_earned_idx ON credit_entries (subscription_id, month) WHERE kind = 'earned';
--bun:split
CREATE TRIGGER credit_entries_no_update BEFORE UPDATE ON credit_entries
BEGIN
    SELECT RAISE(ABORT, 'credit_entries is append-only');
END;
--bun:split
CREATE TRIGGER credit_entries_no_delete BEFORE DELETE ON credit_entries
BEGIN
    SELECT RAISE(ABORT, 'credit_entries is append-only');
END;
