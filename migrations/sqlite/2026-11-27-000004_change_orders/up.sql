-- Change orders: the only way an active contract's ceiling, term or scope changes. Each keeps
-- the values it replaced, so the baseline history (original, each change, current) is exact.

ALTER TABLE contracts ADD COLUMN scope TEXT;

CREATE TABLE contract_change_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    sequence INTEGER NOT NULL,
    reason TEXT NOT NULL,
    new_ceiling_units BIGINT,
    new_initial_term_months INTEGER,
    new_scope TEXT,
    before_ceiling_units BIGINT,
    before_initial_term_months INTEGER,
    before_scope TEXT,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected')),
    proposed_by TEXT NOT NULL,
    proposed_at TIMESTAMP NOT NULL,
    decided_by TEXT,
    decided_at TIMESTAMP,
    decision_reason TEXT,
    version BIGINT NOT NULL,
    UNIQUE (contract_id, sequence)
);
