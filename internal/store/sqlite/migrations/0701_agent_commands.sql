-- Containment commands for host agents, signed by the server's key, and
-- their outcome as the agent reported it.
CREATE TABLE agent_commands (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL REFERENCES tenants(name),
    agent_id   TEXT NOT NULL REFERENCES agents(id),
    action     TEXT NOT NULL,
    targets    TEXT NOT NULL DEFAULT '[]',
    signed     BLOB NOT NULL,
    actor      TEXT NOT NULL,
    case_id    TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires    INTEGER NOT NULL,
    done_at    INTEGER,
    ok         INTEGER NOT NULL DEFAULT 0,
    error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX agent_commands_agent ON agent_commands(tenant, agent_id, created_at);

-- The server's command-signing key (ed25519 seed). It signs, it cannot be
-- hashed; whoever reads the state file can sign commands, like whoever
-- reads the TLS key can impersonate the server.
CREATE TABLE agent_signing_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seed       BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
