-- Every source of mail (an IMAP folder, a provider webhook) has one row of
-- intake statistics, keyed by its name ("imap:INBOX", "webhook:mailgun").
CREATE TABLE mail_sources (
    source          text PRIMARY KEY CHECK (source <> ''),
    taken           integer NOT NULL DEFAULT 0,
    refused         integer NOT NULL DEFAULT 0,
    last_message_at text,
    last_intake_at  text,
    lag_seconds     integer,
    last_refused_at text,
    created_at      text NOT NULL,
    updated_at      text NOT NULL
);
--bun:split
-- The last messages a source refused, a few per source, for operators.
CREATE TABLE mail_source_refusals (
    id         text PRIMARY KEY,
    source     text NOT NULL REFERENCES mail_sources (source) ON DELETE CASCADE,
    ref        text NOT NULL,
    reason     text NOT NULL,
    refused_at text NOT NULL
);
--bun:split
CREATE INDEX mail_source_refusals_source_idx ON mail_source_refusals (source, id);
--bun:split
-- How far a mailbox connector has read each folder of each account: the
-- folder's UIDVALIDITY and the highest UID committed.
CREATE TABLE mailbox_progress (
    account      text NOT NULL CHECK (account <> ''),
    folder       text NOT NULL CHECK (folder <> ''),
    uid_validity integer NOT NULL CHECK (uid_validity >= 0),
    last_uid     integer NOT NULL CHECK (last_uid >= 0),
    updated_at   text NOT NULL,
    PRIMARY KEY (account, folder)
);
