-- Cases are kept on their own schedule (closed cases and their evidence).
ALTER TABLE retention_policies ADD COLUMN case_days INTEGER NOT NULL DEFAULT 1095;
