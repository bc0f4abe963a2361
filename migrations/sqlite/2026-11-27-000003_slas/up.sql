-- SLAs under contracts and their measured periods. Thresholds and targets are canonical decimal
-- text (never summed in SQL); fees and credits are BIGINT in 1/10,000 units.

CREATE TABLE slas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    name TEXT NOT NULL,
    metric TEXT NOT NULL CHECK (metric IN ('availability', 'response_time', 'resolution_time', 'custom')),
    direction TEXT NOT NULL CHECK (direction IN ('higher_is_better', 'lower_is_better')),
    unit TEXT NOT NULL,
    target TEXT NOT NULL,
    currency TEXT NOT NULL,
    period_fee_units BIGINT NOT NULL,
    tiers TEXT NOT NULL,
    cap TEXT,
    minimum_credit_units BIGINT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (contract_id, name)
);

CREATE TABLE sla_measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sla_id BIGINT NOT NULL REFERENCES slas (id),
    period TEXT NOT NULL,
    measured_value TEXT,
    downtime_minutes TEXT,
    value TEXT NOT NULL,
    met BOOLEAN NOT NULL,
    tier INTEGER,
    credit_units BIGINT NOT NULL,
    credit_status TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (sla_id, period)
);
