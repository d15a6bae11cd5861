-- The case board counts and lists one stage's open cases: with the status
-- in the index that count reads no case rows.
CREATE INDEX cases_stage_status ON cases(tenant, stage, status, updated_at);
