-- Case lists sort by last change: an index in that order (with the id tie
-- break) serves the unfiltered list without reading case bodies, and a
-- (tenant, title) index lets title searches scan small index entries
-- instead of whole rows.
CREATE INDEX cases_updated ON cases(tenant, updated_at, id);
CREATE INDEX cases_title ON cases(tenant, title, id);
