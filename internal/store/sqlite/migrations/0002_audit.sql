-- The audit trail, hash-chained per tenant. audit_heads keeps the last
-- sequence number and hash of each chain, so that deleting the newest
-- records is detected too.
CREATE TABLE audit (
    tenant    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    time      INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    role      TEXT NOT NULL,
    remote    TEXT NOT NULL,
    action    TEXT NOT NULL,
    object    TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (tenant, seq)
);
CREATE INDEX audit_time ON audit(tenant, time);

CREATE TABLE audit_heads (
    tenant TEXT PRIMARY KEY,
    seq    INTEGER NOT NULL,
    hash   TEXT NOT NULL
);
