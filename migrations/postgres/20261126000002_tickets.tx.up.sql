CREATE TABLE tickets (
    id              text PRIMARY KEY,
    customer_id     text REFERENCES customers (id),
    subscription_id text REFERENCES support_subscriptions (id),
    priority        boolean NOT NULL,
    status          text NOT NULL CHECK (status IN ('open', 'resolved')),
    subject         text NOT NULL,
    requester_email text NOT NULL,
    opened_at       timestamptz NOT NULL,
    resolved_at     timestamptz,
    current_due_at  timestamptz,
    last_message_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
--bun:split
CREATE INDEX tickets_customer_idx ON tickets (customer_id, opened_at, id);
--bun:split
CREATE INDEX tickets_opened_idx ON tickets (opened_at, id);
--bun:split
CREATE INDEX tickets_subscription_idx ON tickets (subscription_id, opened_at);
--bun:split
CREATE INDEX tickets_queue_idx ON tickets (current_due_at) WHERE priority AND status = 'open';
--bun:split
CREATE TABLE ticket_messages (
    id           text PRIMARY KEY,
    ticket_id    text NOT NULL REFERENCES tickets (id),
    customer_id  text REFERENCES customers (id),
    message_id   text NOT NULL UNIQUE,
    direction    text NOT NULL CHECK (direction IN ('customer', 'support')),
    machine      text NOT NULL CHECK (machine IN ('', 'auto_reply', 'bounce')),
    from_address text NOT NULL,
    from_name    text NOT NULL,
    to_addresses text NOT NULL,
    subject      text NOT NULL,
    received_at  timestamptz NOT NULL,
    sent_at      timestamptz,
    in_reply_to  text NOT NULL,
    refs         text NOT NULL,
    body_text    text NOT NULL,
    attachments  bigint NOT NULL,
    size_bytes   bigint NOT NULL,
    created_at   timestamptz NOT NULL
);
--bun:split
CREATE INDEX ticket_messages_ticket_idx ON ticket_messages (ticket_id, received_at);
--bun:split
CREATE TABLE ticket_actions (
    id        text PRIMARY KEY,
    ticket_id text NOT NULL REFERENCES tickets (id),
    kind      text NOT NULL CHECK (kind IN ('resolve', 'reopen')),
    at        timestamptz NOT NULL,
    actor     text NOT NULL
);
--bun:split
CREATE INDEX ticket_actions_ticket_idx ON ticket_actions (ticket_id, at);
--bun:split
CREATE TABLE sla_clocks (
    id               text PRIMARY KEY,
    ticket_id        text NOT NULL REFERENCES tickets (id),
    seq              bigint NOT NULL CHECK (seq > 0),
    subscription_id  text NOT NULL REFERENCES support_subscriptions (id),
    customer_id      text NOT NULL REFERENCES customers (id),
    kind             text NOT NULL CHECK (kind IN ('first_response', 'follow_up')),
    month            text NOT NULL,
    started_at       timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    target_seconds   bigint NOT NULL,
    stopped_at       timestamptz,
    stopped_by       text,
    business_seconds bigint,
    met              boolean,
    alert_level      text NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (ticket_id, seq)
);
--bun:split
CREATE INDEX sla_clocks_month_idx ON sla_clocks (subscription_id, month);
--bun:split
CREATE INDEX sla_clocks_running_idx ON sla_clocks (due_at) WHERE stopped_at IS NULL;
