-- Signature tokens of provider webhooks (Mailgun's "token"), each kept until
-- its signature's timestamp leaves the accepted window, so a replayed
-- request is refused on every replica.
CREATE TABLE webhook_tokens (
    provider   text NOT NULL,
    token      text NOT NULL,
    expires_at text NOT NULL,
    PRIMARY KEY (provider, token)
);
--bun:split
CREATE INDEX webhook_tokens_expires_idx ON webhook_tokens (expires_at);
