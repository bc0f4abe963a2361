-- Project closeout: waivers of checklist items (one per item, replaced when given again) and
-- the frozen snapshots taken when a project closes (a reopen is recorded on the snapshot it
-- ends; the next close takes a new one). The snapshot is canonical JSON text; its SHA-256 is
-- stored here and written into the audit chain by the close's audit row.

CREATE TABLE closeout_waivers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    item_key TEXT NOT NULL,
    amount_units BIGINT,
    currency TEXT,
    reason TEXT NOT NULL,
    waived_by TEXT NOT NULL,
    waived_at TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX closeout_waivers_by_item ON closeout_waivers (project_id, item_key);

CREATE TABLE project_closeouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    closed_by TEXT NOT NULL,
    closed_at TIMESTAMP NOT NULL,
    snapshot TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    reopened_by TEXT,
    reopened_at TIMESTAMP,
    reopen_reason TEXT
);

CREATE INDEX project_closeouts_by_project ON project_closeouts (project_id, id);
