-- Statements of work under contracts, and their milestones with acceptance.

CREATE TABLE sows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    project_id BIGINT NOT NULL REFERENCES projects (id),
    title TEXT NOT NULL,
    scope TEXT,
    deliverables TEXT NOT NULL,
    value_units BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sows_by_contract ON sows (contract_id, id);

CREATE TABLE milestones (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sow_id BIGINT NOT NULL REFERENCES sows (id),
    name TEXT NOT NULL,
    amount_units BIGINT NOT NULL,
    due_date DATE NOT NULL,
    acceptance_criteria TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'accepted', 'rejected')),
    submitted_at TIMESTAMP,
    decided_by TEXT,
    decided_at TIMESTAMP,
    decision_comment TEXT,
    version BIGINT NOT NULL
);
CREATE INDEX milestones_by_sow ON milestones (sow_id, id);
