-- The budget ledger and forecast: accruals kept per PO line (so the ledger sums them in SQL),
-- budget change requests, estimates to complete, progress for earned value, and HTML alert bodies.
-- Amounts are BIGINT in 1/10,000 units; percentages are canonical decimal text.

-- Received and not yet invoiced, valued at the line's budget amount (see src/ledger/mod.rs);
-- maintained by every change to a line's quantities or value.
ALTER TABLE purchase_order_lines ADD COLUMN accrued_budget_units BIGINT NOT NULL DEFAULT 0;

ALTER TABLE alerts ADD COLUMN html_body TEXT;

CREATE TABLE budget_change_requests (
    id BIGSERIAL PRIMARY KEY,
    budget_line_id BIGINT NOT NULL REFERENCES budget_lines (id),
    status TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected')),
    base_version BIGINT NOT NULL,
    base_amount_units BIGINT NOT NULL,
    base_months TEXT NOT NULL,
    amount_units BIGINT NOT NULL,
    months TEXT NOT NULL,
    reason TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_by_token BIGINT NOT NULL,
    proposed_at TIMESTAMP NOT NULL,
    decided_by TEXT,
    decided_by_token BIGINT,
    decided_at TIMESTAMP,
    decision_reason TEXT
);
CREATE INDEX budget_change_requests_by_line ON budget_change_requests (budget_line_id, id);

CREATE TABLE budget_line_estimates (
    id BIGSERIAL PRIMARY KEY,
    budget_line_id BIGINT NOT NULL REFERENCES budget_lines (id),
    amount_units BIGINT NOT NULL,
    note TEXT,
    entered_by TEXT NOT NULL,
    entered_at TIMESTAMP NOT NULL
);
CREATE INDEX budget_line_estimates_by_line ON budget_line_estimates (budget_line_id, id);

CREATE TABLE progress_records (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    budget_line_id BIGINT REFERENCES budget_lines (id),
    month TEXT NOT NULL,
    percent_complete TEXT NOT NULL,
    note TEXT,
    entered_by TEXT NOT NULL,
    entered_at TIMESTAMP NOT NULL
);
CREATE INDEX progress_records_by_project ON progress_records (project_id, budget_line_id, month, id);

-- The ledger groups actuals by invoice date.
CREATE INDEX invoices_by_status_date ON invoices (status, invoice_date, id);

-- The ledger sums a project's lines: these indexes carry the amounts, so the sums read the
-- index instead of every wide row (measured with benches/forecast.rs: SQLite's forecast at a
-- million invoice lines halves).
DROP INDEX invoice_lines_by_budget_line;
CREATE INDEX invoice_lines_by_budget_line
    ON invoice_lines (budget_line_id, invoice_id, net_budget_units);
CREATE INDEX purchase_order_lines_ledger
    ON purchase_order_lines (po_id, budget_line_id, promised_date, net_budget_units,
                             released_budget_units, accrued_budget_units);
