-- Saved and scheduled hunts (queries of the hunting language), one row per
-- hunt, with the record of the last run.
CREATE TABLE hunts (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL REFERENCES tenants(name),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    query       TEXT NOT NULL,
    interval_ns INTEGER NOT NULL DEFAULT 0,
    lookback_ns INTEGER NOT NULL DEFAULT 0,
    threshold   INTEGER NOT NULL DEFAULT 1,
    severity    TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    last_run    INTEGER,
    last_total  INTEGER NOT NULL DEFAULT 0,
    last_alerts INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    UNIQUE (tenant, name)
);
