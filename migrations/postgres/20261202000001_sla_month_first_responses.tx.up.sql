-- First-response counts of a frozen month, beside first_responses (clocks
-- started, running ones included). In a final report every first response is
-- met or missed, so the missed count of months frozen before is exact:
-- first_responses - first_responses_met. The other counts cannot be rebuilt
-- from what a frozen month kept (its clocks may have been replayed since by
-- late mail), so they stay NULL on those months.
ALTER TABLE sla_months ADD COLUMN first_responses_missed bigint NOT NULL DEFAULT 0;
UPDATE sla_months SET first_responses_missed = first_responses - first_responses_met;
ALTER TABLE sla_months ADD COLUMN first_responses_answered bigint;
ALTER TABLE sla_months ADD COLUMN first_responses_running bigint;
ALTER TABLE sla_months ADD COLUMN first_responses_by_resolution bigint;
ALTER TABLE sla_months ADD COLUMN average_first_response_seconds bigint;
