-- Incident cases and what hangs off them. The case body (stages,
-- escalations, facts) is JSON; the columns are what lists filter on.
CREATE TABLE cases (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL REFERENCES tenants(name),
    title      TEXT NOT NULL,
    playbook   TEXT NOT NULL,
    severity   TEXT NOT NULL,
    status     TEXT NOT NULL,
    stage      INTEGER NOT NULL,
    assignee   TEXT NOT NULL DEFAULT '',
    csirt      INTEGER NOT NULL DEFAULT 0,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cases_list ON cases(tenant, status, updated_at);
CREATE INDEX cases_stage ON cases(tenant, stage, updated_at);
CREATE INDEX cases_severity ON cases(tenant, severity, updated_at);

CREATE TABLE case_entities (
    tenant  TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    entity  TEXT NOT NULL,
    PRIMARY KEY (tenant, entity, case_id)
);

CREATE TABLE case_timeline (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant  TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    actor   TEXT NOT NULL,
    text    TEXT NOT NULL,
    data    TEXT NOT NULL
);
CREATE INDEX case_timeline_case ON case_timeline(tenant, case_id, at);

CREATE TABLE case_evidence (
    id           TEXT PRIMARY KEY,
    tenant       TEXT NOT NULL,
    case_id      TEXT NOT NULL REFERENCES cases(id),
    stage        TEXT NOT NULL,
    requirement  TEXT NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    added_by     TEXT NOT NULL,
    added_at     INTEGER NOT NULL
);
CREATE INDEX case_evidence_case ON case_evidence(tenant, case_id);

CREATE TABLE evidence_custody (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    evidence_id TEXT NOT NULL REFERENCES case_evidence(id),
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    remote      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX evidence_custody_case ON evidence_custody(tenant, case_id);

CREATE TABLE case_tasks (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    case_id    TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    body       TEXT NOT NULL
);
CREATE INDEX case_tasks_case ON case_tasks(tenant, case_id);

CREATE TABLE case_actions (
    id      TEXT PRIMARY KEY,
    tenant  TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    status  TEXT NOT NULL,
    body    TEXT NOT NULL
);
CREATE INDEX case_actions_case ON case_actions(tenant, case_id);
