-- Foundation: tokens, audit chain, idempotency keys, vendors, projects, budget lines, FX rates.
-- Amounts are BIGINT in 1/10,000 units; rates are canonical decimal text; timestamps are UTC.

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'procurement', 'finance', 'pm', 'evaluator', 'viewer')),
    secret_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_entity ON audit_log (entity, entity_id, seq);
CREATE INDEX audit_log_by_actor ON audit_log (actor, seq);

CREATE TABLE idempotency_keys (
    id BIGSERIAL PRIMARY KEY,
    token_id BIGINT NOT NULL REFERENCES api_tokens (id),
    idempotency_key TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (token_id, idempotency_key)
);

CREATE TABLE vendors (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    tax_id TEXT UNIQUE,
    emails TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'blocked')),
    notes TEXT,
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE vendor_tags (
    vendor_id BIGINT NOT NULL REFERENCES vendors (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (vendor_id, tag)
);
CREATE INDEX vendor_tags_by_tag ON vendor_tags (tag, vendor_id);

CREATE TABLE projects (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    pm_name TEXT,
    pm_email TEXT,
    finance_owner_name TEXT,
    finance_owner_email TEXT,
    start_date DATE,
    end_date DATE,
    alert_thresholds TEXT NOT NULL,
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE budget_lines (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    category TEXT NOT NULL CHECK (category IN ('capex', 'opex')),
    cost_center TEXT NOT NULL,
    description TEXT,
    currency TEXT NOT NULL,
    amount_units BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (project_id, category, cost_center)
);

CREATE TABLE budget_line_months (
    budget_line_id BIGINT NOT NULL REFERENCES budget_lines (id),
    month TEXT NOT NULL,
    amount_units BIGINT NOT NULL,
    PRIMARY KEY (budget_line_id, month)
);

CREATE TABLE fx_rates (
    id BIGSERIAL PRIMARY KEY,
    from_currency TEXT NOT NULL,
    to_currency TEXT NOT NULL,
    rate_date DATE NOT NULL,
    rate TEXT NOT NULL,
    source TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (from_currency, to_currency, rate_date)
);
