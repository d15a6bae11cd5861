-- Host agents (cmd/yagura-agent): identity (secret hash), last heartbeat
-- report, and the batch sequence used to deduplicate deliveries.
CREATE TABLE agents (
    id             TEXT PRIMARY KEY,
    tenant         TEXT NOT NULL REFERENCES tenants(name),
    hostname       TEXT NOT NULL,
    os             TEXT NOT NULL DEFAULT '',
    arch           TEXT NOT NULL DEFAULT '',
    secret_hash    BLOB NOT NULL UNIQUE,
    enrolled_at    INTEGER NOT NULL,
    last_seen      INTEGER,
    last_seq       INTEGER NOT NULL DEFAULT 0,
    pending_seq    INTEGER NOT NULL DEFAULT 0,
    heartbeat      TEXT NOT NULL DEFAULT '{}',
    silent_alerted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agents_tenant ON agents(tenant);

-- One collection configuration per tenant; version grows on every change.
CREATE TABLE agent_configs (
    tenant     TEXT PRIMARY KEY REFERENCES tenants(name),
    version    INTEGER NOT NULL,
    config     TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
