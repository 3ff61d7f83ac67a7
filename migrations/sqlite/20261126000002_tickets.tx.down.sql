DROP TABLE sla_clocks;
--bun:split
DROP TABLE ticket_actions;
--bun:split
DROP TABLE ticket_messages;
--bun:split
DROP TABLE tickets;
