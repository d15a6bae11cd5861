-- Per-tenant decisions about detection rules (enabled or disabled). A rule
-- without a row is enabled: only changes are stored.
CREATE TABLE rule_states (
    tenant     TEXT NOT NULL REFERENCES tenants(name),
    rule_id    TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, rule_id)
);

-- The rule list counts alerts per rule; this keeps that an index scan.
CREATE INDEX alerts_rule ON alerts(tenant, rule_id);
