-- Retention: per-tenant policies, legal holds, and the index of archives.
CREATE TABLE retention_policies (
    tenant            TEXT PRIMARY KEY REFERENCES tenants(name),
    hot_days          INTEGER NOT NULL,
    delete_after_days INTEGER NOT NULL,
    alert_days        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE legal_holds (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL REFERENCES tenants(name),
    case_id     TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL,
    from_time   INTEGER NOT NULL,
    to_time     INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    released_at INTEGER
);
CREATE INDEX legal_holds_tenant ON legal_holds(tenant);

CREATE TABLE archives (
    tenant      TEXT NOT NULL REFERENCES tenants(name),
    day         INTEGER NOT NULL,
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    events      INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    archived_at INTEGER NOT NULL,
    deleted_at  INTEGER,
    PRIMARY KEY (tenant, day)
);
