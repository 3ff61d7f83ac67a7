-- The message ids each stored message refers to (In-Reply-To and References),
-- so that a message stored after a reply to it joins the reply's ticket.
CREATE TABLE ticket_message_refs (
    ref        text NOT NULL,
    message_id text NOT NULL REFERENCES ticket_messages (message_id),
    ticket_id  text NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (ref, message_id)
);
--bun:split
INSERT INTO ticket_message_refs (ref, message_id, ticket_id)
SELECT DISTINCT r.ref, m.message_id, m.ticket_id
FROM ticket_messages AS m
CROSS JOIN LATERAL unnest(string_to_array(m.in_reply_to || ' ' || m.refs, ' ')) AS r (ref)
WHERE r.ref <> '' AND r.ref <> m.message_id;
