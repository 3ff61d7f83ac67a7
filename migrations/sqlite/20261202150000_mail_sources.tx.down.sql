DROP TABLE mailbox_progress;
--bun:split
DROP TABLE mail_source_refusals;
--bun:split
DROP TABLE mail_sources;
