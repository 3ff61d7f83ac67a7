CREATE TABLE customers (
    id                 text PRIMARY KEY,
    name               text NOT NULL,
    search_name        text NOT NULL,
    stripe_customer_id text UNIQUE,
    created_at         text NOT NULL,
    updated_at         text NOT NULL
);
--bun:split
CREATE INDEX customers_name_idx ON customers (name, id);
--bun:split
CREATE TABLE licenses (
    id          text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id),
    key         text NOT NULL UNIQUE,
    paid        integer NOT NULL,
    valid_from  text NOT NULL,
    valid_until text NOT NULL CHECK (valid_until > valid_from),
    created_at  text NOT NULL,
    updated_at  text NOT NULL
);
--bun:split
CREATE INDEX licenses_customer_idx ON licenses (customer_id);
--bun:split
CREATE TABLE support_subscriptions (
    id                            text PRIMARY KEY,
    customer_id                   text NOT NULL REFERENCES customers (id),
    status                        text NOT NULL CHECK (status IN ('pending', 'active', 'canceled', 'expired')),
    early_access                  integer NOT NULL,
    monthly_fee_cents             integer NOT NULL CHECK (monthly_fee_cents >= 0),
    currency                      text NOT NULL,
    starts_at                     text NOT NULL,
    current_period_start          text,
    current_period_end            text,
    first_response_target_seconds integer NOT NULL CHECK (first_response_target_seconds > 0),
    follow_up_target_seconds      integer NOT NULL CHECK (follow_up_target_seconds > 0),
    sla_timezone                  text NOT NULL,
    activated_at                  text,
    canceled_at                   text,
    expired_at                    text,
    cancel_reason                 text,
    created_at                    text NOT NULL,
    updated_at                    text NOT NULL
);
--bun:split
CREATE INDEX support_subscriptions_customer_idx ON support_subscriptions (customer_id);
--bun:split
CREATE UNIQUE INDEX support_subscriptions_one_live_idx ON support_subscriptions (customer_id)
    WHERE status IN ('pending', 'active');
--bun:split
CREATE TABLE subscription_domains (
    id              text PRIMARY KEY,
    subscription_id text NOT NULL REFERENCES support_subscriptions (id),
    customer_id     text NOT NULL REFERENCES customers (id),
    domain          text NOT NULL,
    live            integer NOT NULL,
    added_at        text NOT NULL,
    removed_at      text
);
--bun:split
CREATE UNIQUE INDEX subscription_domains_live_idx ON subscription_domains (domain) WHERE live = 1;
--bun:split
CREATE INDEX subscription_domains_subscription_idx ON subscription_domains (subscription_id);
--bun:split
CREATE INDEX subscription_domains_domain_idx ON subscription_domains (domain);
--bun:split
CREATE TABLE subscription_status_changes (
    id              text PRIMARY KEY,
    subscription_id text NOT NULL REFERENCES support_subscriptions (id),
    from_status     text,
    to_status       text NOT NULL,
    changed_at      text NOT NULL,
    actor           text,
    reason          text
);
--bun:split
CREATE INDEX subscription_status_changes_subscription_idx ON subscription_status_changes (subscription_id, changed_at);
