-- The message ids each stored message refers to (In-Reply-To and References),
-- so that a message stored after a reply to it joins the reply's ticket.
CREATE TABLE ticket_message_refs (
    ref        text NOT NULL,
    message_id text NOT NULL REFERENCES ticket_messages (message_id),
    ticket_id  text NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (ref, message_id)
) WITHOUT ROWID;
--bun:split
WITH RECURSIVE split (message_id, ticket_id, ref, rest) AS (
    SELECT message_id, ticket_id, '', in_reply_to || ' ' || refs || ' ' FROM ticket_messages
    UNION ALL
    SELECT message_id, ticket_id, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1)
    FROM split WHERE rest <> ''
)
INSERT OR IGNORE INTO ticket_message_refs (ref, message_id, ticket_id)
SELECT ref, message_id, ticket_id FROM split WHERE ref <> '' AND ref <> message_id;
