DROP TABLE settlements;
--bun:split
DROP TABLE stripe_events;
