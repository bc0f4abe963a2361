-- Purchase-to-pay: numbering, purchase orders with approvals, receipts, assets, invoices with
-- matching and payments, match tolerances, and the alert outbox.
-- Amounts are BIGINT in 1/10,000 units; quantities, prices and rates are canonical decimal text.

ALTER TABLE projects ADD COLUMN budget_policy TEXT NOT NULL DEFAULT 'block'
    CHECK (budget_policy IN ('warn', 'block', 'override'));

CREATE TABLE number_sequences (
    name TEXT PRIMARY KEY NOT NULL,
    last_value BIGINT NOT NULL
);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    project_id BIGINT REFERENCES projects (id),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    recipients TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT
);
CREATE INDEX alerts_pending ON alerts (sent_at, next_attempt_at);

CREATE TABLE purchase_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    vendor_id BIGINT NOT NULL REFERENCES vendors (id),
    project_id BIGINT NOT NULL REFERENCES projects (id),
    contract_id BIGINT REFERENCES contracts (id),
    currency TEXT NOT NULL,
    budget_currency TEXT NOT NULL,
    fx_rate TEXT NOT NULL,
    order_date DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'issued',
        'partially_received', 'received', 'closed', 'cancelled')),
    revision BIGINT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_by_token BIGINT NOT NULL,
    notes TEXT,
    net_units BIGINT NOT NULL,
    tax_units BIGINT NOT NULL,
    total_units BIGINT NOT NULL,
    net_budget_units BIGINT NOT NULL,
    approved_net_budget_units BIGINT NOT NULL,
    approvals_required BIGINT NOT NULL,
    status_reason TEXT,
    submitted_at TIMESTAMP,
    approved_at TIMESTAMP,
    issued_at TIMESTAMP,
    closed_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX purchase_orders_by_project ON purchase_orders (project_id, id);
CREATE INDEX purchase_orders_by_vendor ON purchase_orders (vendor_id, id);
CREATE INDEX purchase_orders_by_contract ON purchase_orders (contract_id, id);

CREATE TABLE purchase_order_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    po_id BIGINT NOT NULL REFERENCES purchase_orders (id),
    line_no BIGINT NOT NULL,
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    tax_percent TEXT NOT NULL,
    budget_line_id BIGINT NOT NULL REFERENCES budget_lines (id),
    is_asset BOOLEAN NOT NULL,
    asset_category TEXT,
    promised_date DATE,
    net_units BIGINT NOT NULL,
    tax_units BIGINT NOT NULL,
    net_budget_units BIGINT NOT NULL,
    quantity_received TEXT NOT NULL,
    quantity_invoiced TEXT NOT NULL,
    released_budget_units BIGINT NOT NULL,
    UNIQUE (po_id, line_no)
);
CREATE INDEX purchase_order_lines_by_budget_line ON purchase_order_lines (budget_line_id, po_id);

CREATE TABLE purchase_order_approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    po_id BIGINT NOT NULL REFERENCES purchase_orders (id),
    revision BIGINT NOT NULL,
    approver TEXT NOT NULL,
    approver_token BIGINT NOT NULL,
    role TEXT NOT NULL,
    approved_at TIMESTAMP NOT NULL,
    override_reason TEXT,
    UNIQUE (po_id, revision, approver)
);

CREATE TABLE purchase_order_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    po_id BIGINT NOT NULL REFERENCES purchase_orders (id),
    revision BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'rejected')),
    snapshot TEXT NOT NULL,
    proposal TEXT NOT NULL,
    reason TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_by_token BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    UNIQUE (po_id, revision)
);

CREATE TABLE receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    po_id BIGINT NOT NULL REFERENCES purchase_orders (id),
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'return')),
    reverses_receipt_id BIGINT UNIQUE REFERENCES receipts (id),
    received_on DATE NOT NULL,
    received_by TEXT NOT NULL,
    note TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX receipts_by_po ON receipts (po_id, id);

CREATE TABLE receipt_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_id BIGINT NOT NULL REFERENCES receipts (id),
    po_line_id BIGINT NOT NULL REFERENCES purchase_order_lines (id),
    quantity TEXT NOT NULL
);
CREATE INDEX receipt_lines_by_receipt ON receipt_lines (receipt_id, id);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL,
    normalised_number TEXT NOT NULL,
    vendor_id BIGINT NOT NULL REFERENCES vendors (id),
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_memo')),
    original_invoice_id BIGINT REFERENCES invoices (id),
    sla_measurement_id BIGINT REFERENCES sla_measurements (id),
    invoice_date DATE NOT NULL,
    due_date DATE,
    currency TEXT NOT NULL,
    net_units BIGINT NOT NULL,
    tax_units BIGINT NOT NULL,
    total_units BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'matched', 'on_hold', 'approved', 'paid', 'rejected')),
    hold_reasons TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_by_token BIGINT NOT NULL,
    decided_by TEXT,
    decision_reason TEXT,
    approved_by TEXT,
    approved_at TIMESTAMP,
    paid_units BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (vendor_id, normalised_number)
);
CREATE INDEX invoices_by_vendor_date ON invoices (vendor_id, invoice_date);
CREATE INDEX invoices_by_status ON invoices (status, id);

CREATE TABLE invoice_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    line_no BIGINT NOT NULL,
    po_line_id BIGINT REFERENCES purchase_order_lines (id),
    milestone_id BIGINT REFERENCES milestones (id),
    budget_line_id BIGINT NOT NULL REFERENCES budget_lines (id),
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    tax_percent TEXT NOT NULL,
    net_units BIGINT NOT NULL,
    tax_units BIGINT NOT NULL,
    fx_rate TEXT NOT NULL,
    net_budget_units BIGINT NOT NULL,
    match_result TEXT NOT NULL,
    UNIQUE (invoice_id, line_no)
);
CREATE INDEX invoice_lines_by_po_line ON invoice_lines (po_line_id, invoice_id);
CREATE INDEX invoice_lines_by_budget_line ON invoice_lines (budget_line_id, invoice_id);

CREATE TABLE invoice_payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    amount_units BIGINT NOT NULL,
    paid_on DATE NOT NULL,
    reference TEXT,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX invoice_payments_by_invoice ON invoice_payments (invoice_id, id);

CREATE TABLE match_tolerances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope_key TEXT NOT NULL UNIQUE,
    vendor_id BIGINT REFERENCES vendors (id),
    contract_id BIGINT REFERENCES contracts (id),
    price_percent TEXT,
    price_absolute TEXT,
    quantity_percent TEXT,
    quantity_absolute TEXT,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE assets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tag TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'in_service', 'in_repair', 'retired', 'disposed')),
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    po_line_id BIGINT NOT NULL REFERENCES purchase_order_lines (id),
    receipt_id BIGINT NOT NULL REFERENCES receipts (id),
    vendor_id BIGINT NOT NULL REFERENCES vendors (id),
    project_id BIGINT NOT NULL REFERENCES projects (id),
    contract_id BIGINT REFERENCES contracts (id),
    invoice_line_id BIGINT REFERENCES invoice_lines (id),
    cost_units BIGINT,
    cost_currency TEXT NOT NULL,
    serial_number TEXT,
    site TEXT,
    room TEXT,
    rack TEXT,
    rack_unit TEXT,
    in_service_date DATE,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX assets_by_po_line ON assets (po_line_id, id);
CREATE INDEX assets_by_receipt ON assets (receipt_id, id);
CREATE INDEX assets_by_status ON assets (status, id);

CREATE TABLE asset_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id BIGINT NOT NULL REFERENCES assets (id),
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    location TEXT,
    note TEXT,
    actor TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX asset_events_by_asset ON asset_events (asset_id, id);

CREATE TABLE budget_threshold_states (
    project_id BIGINT NOT NULL REFERENCES projects (id),
    measure TEXT NOT NULL,
    threshold TEXT NOT NULL,
    crossed BOOLEAN NOT NULL,
    crossings BIGINT NOT NULL,
    PRIMARY KEY (project_id, measure, threshold)
);
