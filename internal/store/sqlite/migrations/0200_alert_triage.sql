-- Alert triage: the full alert model, comments, suppressions, entity risk,
-- notification channels, routes and the durable outbox.
ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'detection';
ALTER TABLE alerts ADD COLUMN rule_level TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN contributing TEXT NOT NULL DEFAULT '[]';
ALTER TABLE alerts ADD COLUMN acknowledged_at INTEGER;
ALTER TABLE alerts ADD COLUMN closed_at INTEGER;
ALTER TABLE alerts ADD COLUMN escalations INTEGER NOT NULL DEFAULT 0;
CREATE INDEX alerts_created ON alerts(tenant, status, created_at);
CREATE INDEX alerts_risk ON alerts(tenant, risk_score);

CREATE TABLE alert_comments (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    alert_id   TEXT NOT NULL,
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX alert_comments_alert ON alert_comments(tenant, alert_id, created_at);

CREATE TABLE suppressions (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL REFERENCES tenants(name),
    rule_id    TEXT NOT NULL DEFAULT '',
    conditions TEXT NOT NULL,
    reason     TEXT NOT NULL,
    author     TEXT NOT NULL,
    from_alert TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    hits       INTEGER NOT NULL DEFAULT 0,
    last_hit   INTEGER
);
CREATE INDEX suppressions_tenant ON suppressions(tenant, expires_at);

-- One row per entity: its score as of updated_at (decay is computed on read).
CREATE TABLE entity_risk (
    tenant        TEXT NOT NULL,
    type          TEXT NOT NULL,
    value         TEXT NOT NULL,
    score         REAL NOT NULL,
    updated_at    INTEGER NOT NULL,
    risk_alert_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, type, value)
);

CREATE TABLE entity_risk_log (
    tenant      TEXT NOT NULL,
    type        TEXT NOT NULL,
    value       TEXT NOT NULL,
    alert_id    TEXT NOT NULL,
    rule_id     TEXT NOT NULL,
    points      REAL NOT NULL,
    score_after REAL NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX entity_risk_log_entity ON entity_risk_log(tenant, type, value, at);

CREATE TABLE notify_channels (
    id              TEXT PRIMARY KEY,
    tenant          TEXT NOT NULL REFERENCES tenants(name),
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    config          TEXT NOT NULL,
    rate_per_minute INTEGER NOT NULL DEFAULT 0,
    enabled         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (tenant, name)
);

CREATE TABLE notify_routes (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL REFERENCES tenants(name),
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (tenant, name)
);

-- The outbox: written in the transaction of the alert change it reports.
CREATE TABLE notify_outbox (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    alert_id   TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    routed_at  INTEGER
);
CREATE INDEX notify_outbox_unrouted ON notify_outbox(tenant, routed_at, id);

CREATE TABLE notify_deliveries (
    id              TEXT PRIMARY KEY,
    tenant          TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    channel         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    alert_id        TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    events          TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt    INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    UNIQUE (tenant, idempotency_key)
);
CREATE INDEX notify_deliveries_due ON notify_deliveries(tenant, state, next_attempt);
CREATE INDEX notify_deliveries_channel ON notify_deliveries(tenant, channel, state);

-- What a receiver called the alert (a Jira issue key), per channel.
CREATE TABLE notify_refs (
    tenant   TEXT NOT NULL,
    channel  TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    ref      TEXT NOT NULL,
    PRIMARY KEY (tenant, channel, alert_id)
);
