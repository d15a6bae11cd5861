-- People: users, their per-tenant role bindings, recovery codes, sessions.
CREATE TABLE users (
    name           TEXT PRIMARY KEY,
    password_hash  TEXT NOT NULL,
    totp_secret    TEXT NOT NULL DEFAULT '',
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER,
    disabled       INTEGER NOT NULL DEFAULT 0,
    language       TEXT NOT NULL DEFAULT 'en',
    time_zone      TEXT NOT NULL DEFAULT 'UTC',
    created_at     INTEGER NOT NULL
);

CREATE TABLE role_bindings (
    user   TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    tenant TEXT NOT NULL REFERENCES tenants(name),
    role   TEXT NOT NULL,
    PRIMARY KEY (user, tenant)
);
CREATE INDEX role_bindings_tenant ON role_bindings(tenant);

CREATE TABLE recovery_codes (
    user    TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    hash    BLOB NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user, hash)
);

CREATE TABLE sessions (
    hash       BLOB PRIMARY KEY,
    user       TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    tenant     TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user);
