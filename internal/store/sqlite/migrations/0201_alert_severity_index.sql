-- Listing alerts by severity (the queue's severity filter, the overview's
-- open counts) reads only that severity's rows, newest first, instead of
-- every alert of the tenant.
CREATE INDEX alerts_severity ON alerts(tenant, severity, last_seen);
