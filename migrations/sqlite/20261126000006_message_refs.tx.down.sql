DROP TABLE ticket_message_refs;
