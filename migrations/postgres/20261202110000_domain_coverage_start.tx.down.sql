-- Nothing to undo: the code before this migration never read added_at, and
-- the time each domain was recorded is not kept elsewhere.
SELECT 1;
