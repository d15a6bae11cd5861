-- Asset inventory (hosts and users) used to enrich events with their
-- criticality. Tags and networks are JSON arrays of strings.
CREATE TABLE assets (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL REFERENCES tenants(name),
    kind        TEXT NOT NULL CHECK (kind IN ('host', 'user')),
    name        TEXT NOT NULL,
    criticality INTEGER NOT NULL CHECK (criticality BETWEEN 1 AND 5),
    owner       TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '[]',
    networks    TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (tenant, kind, name)
);
