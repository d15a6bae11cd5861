-- Threat intelligence: indicators of compromise, unique per tenant by type
-- and value, each change numbered in a per-tenant sequence (the change
-- feed), plus per-consumer export thresholds.
CREATE TABLE iocs (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL REFERENCES tenants(name),
    type        TEXT NOT NULL,
    value       TEXT NOT NULL,
    confidence  INTEGER NOT NULL,
    tlp         TEXT NOT NULL,
    tags        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    sources     TEXT NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    expires     INTEGER,
    to_block    INTEGER NOT NULL,
    hits        INTEGER NOT NULL DEFAULT 0,
    last_hit    INTEGER,
    revoked     INTEGER NOT NULL DEFAULT 0,
    lapsed      INTEGER NOT NULL DEFAULT 0, -- expiry announced in the change feed
    seq         INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (tenant, type, value)
);
CREATE INDEX iocs_seq ON iocs(tenant, seq);
CREATE INDEX iocs_expires ON iocs(tenant, lapsed, expires) WHERE expires IS NOT NULL;

CREATE TABLE ioc_heads (
    tenant TEXT PRIMARY KEY REFERENCES tenants(name),
    seq    INTEGER NOT NULL
);

CREATE TABLE intel_consumers (
    tenant         TEXT NOT NULL REFERENCES tenants(name),
    token_id       TEXT NOT NULL,
    min_confidence INTEGER NOT NULL,
    PRIMARY KEY (tenant, token_id)
);
