DROP TABLE credit_entries;
--bun:split
DROP FUNCTION credit_entries_append_only();
