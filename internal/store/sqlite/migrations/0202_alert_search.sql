-- Alert queue filters without reading every alert.
--
-- alert_entities holds one row per entity of an alert (an alert has one
-- value per field), so the entity filter reads only the alerts that name
-- the value. alert_text is a trigram full-text index over each alert's
-- rule title, rule id and entity values, so the text filter (a
-- case-insensitive substring) reads only candidate alerts. Both are written
-- in the transaction that writes the alert and deleted with it; text_doc is
-- the alert's row in alert_text (alerts' own rowid is not stable across a
-- VACUUM, so it cannot be the link).
CREATE TABLE alert_entities (
    alert_id TEXT NOT NULL,
    field    TEXT NOT NULL,
    tenant   TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (alert_id, field)
) WITHOUT ROWID;
CREATE INDEX alert_entities_value ON alert_entities(tenant, value, field, alert_id);

INSERT INTO alert_entities(alert_id, field, tenant, value)
    SELECT a.id, j.key, a.tenant, j.value FROM alerts AS a, json_each(a.entities) AS j WHERE j.type = 'text';

-- detail=none keeps the index small: the text filter uses LIKE, which the
-- trigram tokenizer answers from trigrams alone.
CREATE VIRTUAL TABLE alert_text USING fts5(tenant UNINDEXED, alert_id UNINDEXED, body, tokenize = 'trigram', detail = 'none');

ALTER TABLE alerts ADD COLUMN text_doc INTEGER;

INSERT INTO alert_text(rowid, tenant, alert_id, body)
    SELECT a.rowid, a.tenant, a.id, a.rule_title || char(10) || a.rule_id ||
        coalesce((SELECT char(10) || group_concat(j.value, char(10)) FROM json_each(a.entities) AS j WHERE j.type = 'text'), '')
    FROM alerts AS a;
UPDATE alerts SET text_doc = rowid;

-- The queue sorts by last_seen with id as the tie break: indexes that end
-- in (last_seen, id) give pages in order without sorting, and count their
-- rows without reading the alerts. (tenant, status, severity, …) serves the
-- queue's status and severity filters together and the overview's open
-- counts; (tenant, rule_id, …) the overview's links to a rule's alerts.
DROP INDEX alerts_status;
CREATE INDEX alerts_status ON alerts(tenant, status, last_seen, id);
DROP INDEX alerts_severity;
CREATE INDEX alerts_severity ON alerts(tenant, severity, last_seen, id);
DROP INDEX alerts_last_seen;
CREATE INDEX alerts_last_seen ON alerts(tenant, last_seen, id);
CREATE INDEX alerts_status_severity ON alerts(tenant, status, severity, last_seen, id);
CREATE INDEX alerts_rule_seen ON alerts(tenant, rule_id, last_seen, id);
