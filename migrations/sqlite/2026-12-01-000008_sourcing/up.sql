-- Sourcing: RFPs with invited vendors, weighted criteria in sections, assigned evaluators and
-- their declared conflicts, sealed bids with history, evaluator scores, consensus scores and
-- the award. Prices are BIGINT in 1/10,000 units; weights, scores and shares are canonical
-- decimal text (never summed in SQL).

CREATE TABLE rfps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT,
    project_id BIGINT REFERENCES projects (id),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'closed', 'technical_evaluation',
        'prices_opened', 'evaluated', 'awarded', 'cancelled')),
    due_at TIMESTAMP,
    blind BOOLEAN NOT NULL,
    normalisation TEXT NOT NULL CHECK (normalisation IN ('absolute', 'relative_to_best')),
    price_method TEXT NOT NULL CHECK (price_method IN ('lowest_ratio', 'linear')),
    technical_threshold TEXT,
    outlier_share TEXT NOT NULL,
    consensus_required BOOLEAN NOT NULL,
    status_reason TEXT,
    published_at TIMESTAMP,
    closed_at TIMESTAMP,
    prices_opened_at TIMESTAMP,
    evaluated_at TIMESTAMP,
    created_by TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE rfp_invitations (
    rfp_id BIGINT NOT NULL REFERENCES rfps (id),
    vendor_id BIGINT NOT NULL REFERENCES vendors (id),
    invited_at TIMESTAMP NOT NULL,
    PRIMARY KEY (rfp_id, vendor_id)
);

CREATE TABLE rfp_sections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rfp_id BIGINT NOT NULL REFERENCES rfps (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    weight TEXT NOT NULL
);
CREATE INDEX rfp_sections_by_rfp ON rfp_sections (rfp_id, position);

CREATE TABLE rfp_criteria (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rfp_id BIGINT NOT NULL REFERENCES rfps (id),
    section_id BIGINT NOT NULL REFERENCES rfp_sections (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('scored', 'pass_fail', 'price')),
    max_score TEXT,
    weight TEXT NOT NULL
);
CREATE INDEX rfp_criteria_by_rfp ON rfp_criteria (rfp_id, position);

CREATE TABLE rfp_evaluators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rfp_id BIGINT NOT NULL REFERENCES rfps (id),
    name TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    assigned_at TIMESTAMP NOT NULL,
    UNIQUE (rfp_id, name)
);

CREATE TABLE rfp_conflicts (
    evaluator_id BIGINT NOT NULL REFERENCES rfp_evaluators (id),
    vendor_id BIGINT NOT NULL REFERENCES vendors (id),
    note TEXT,
    declared_at TIMESTAMP NOT NULL,
    PRIMARY KEY (evaluator_id, vendor_id)
);

CREATE TABLE bids (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rfp_id BIGINT NOT NULL REFERENCES rfps (id),
    vendor_id BIGINT NOT NULL REFERENCES vendors (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'replaced')),
    replaces_bid_id BIGINT REFERENCES bids (id),
    price_units BIGINT NOT NULL,
    price_lines TEXT NOT NULL,
    valid_until DATE NOT NULL,
    notes TEXT,
    submitted_by TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL
);
CREATE INDEX bids_by_rfp ON bids (rfp_id, status, id);

CREATE TABLE bid_scores (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    criterion_id BIGINT NOT NULL REFERENCES rfp_criteria (id),
    evaluator_id BIGINT NOT NULL REFERENCES rfp_evaluators (id),
    score TEXT NOT NULL,
    comment TEXT,
    scored_at TIMESTAMP NOT NULL,
    UNIQUE (bid_id, criterion_id, evaluator_id)
);

CREATE TABLE bid_consensus (
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    criterion_id BIGINT NOT NULL REFERENCES rfp_criteria (id),
    score TEXT NOT NULL,
    rationale TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (bid_id, criterion_id)
);

CREATE TABLE rfp_awards (
    rfp_id BIGINT PRIMARY KEY NOT NULL REFERENCES rfps (id),
    bid_id BIGINT NOT NULL REFERENCES bids (id),
    contract_id BIGINT NOT NULL UNIQUE REFERENCES contracts (id),
    justification TEXT,
    awarded_by TEXT NOT NULL,
    awarded_at TIMESTAMP NOT NULL
);
