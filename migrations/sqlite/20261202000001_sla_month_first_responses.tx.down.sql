ALTER TABLE sla_months DROP COLUMN average_first_response_seconds;
ALTER TABLE sla_months DROP COLUMN first_responses_by_resolution;
ALTER TABLE sla_months DROP COLUMN first_responses_running;
ALTER TABLE sla_months DROP COLUMN first_responses_answered;
ALTER TABLE sla_months DROP COLUMN first_responses_missed;
