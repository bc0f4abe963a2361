-- Contracts: term rules, renewal events and the projects they serve. Ceilings are BIGINT in
-- 1/10,000 units, like every amount.

CREATE TABLE contracts (
    id BIGSERIAL PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    vendor_id BIGINT NOT NULL REFERENCES vendors (id),
    title TEXT NOT NULL,
    contract_type TEXT NOT NULL CHECK (contract_type IN ('fixed_price', 'time_and_materials', 'framework')),
    currency TEXT NOT NULL,
    ceiling_units BIGINT NOT NULL,
    start_date DATE NOT NULL,
    initial_term_months INTEGER NOT NULL,
    renewal_kind TEXT NOT NULL CHECK (renewal_kind IN ('none', 'automatic', 'explicit')),
    renewal_term_months INTEGER,
    max_renewals INTEGER,
    notice_unit TEXT NOT NULL CHECK (notice_unit IN ('months', 'days')),
    notice_value INTEGER NOT NULL,
    document_urls TEXT NOT NULL,
    status TEXT NOT NULL,
    renewals_recorded INTEGER NOT NULL,
    notice_given_on DATE,
    terminated_on DATE,
    termination_reason TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX contracts_by_vendor ON contracts (vendor_id, id);

CREATE TABLE contract_projects (
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    project_id BIGINT NOT NULL REFERENCES projects (id),
    PRIMARY KEY (contract_id, project_id)
);
CREATE INDEX contract_projects_by_project ON contract_projects (project_id, contract_id);
