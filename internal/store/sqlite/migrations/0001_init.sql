-- Tenants, API tokens and alerts: what the core needs from day one.
CREATE TABLE tenants (
    name       TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL REFERENCES tenants(name),
    role       TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    hash       BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used  INTEGER,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_tenant ON tokens(tenant);

CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL REFERENCES tenants(name),
    rule_id     TEXT NOT NULL,
    rule_title  TEXT NOT NULL,
    severity    TEXT NOT NULL,
    risk_score  INTEGER NOT NULL,
    status      TEXT NOT NULL,
    resolution  TEXT NOT NULL DEFAULT '',
    assignee    TEXT NOT NULL DEFAULT '',
    count       INTEGER NOT NULL,
    entities    TEXT NOT NULL,
    tags        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    event_ids   TEXT NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX alerts_fingerprint ON alerts(tenant, fingerprint, last_seen);
CREATE INDEX alerts_last_seen ON alerts(tenant, last_seen);
CREATE INDEX alerts_status ON alerts(tenant, status, last_seen);
