-- Spreadsheet imports: every import that reached row validation, committed or not, with its
-- report (JSON) and, when rows failed, the workbook with an error column. A file's SHA-256 may
-- be committed once: the partial unique index refuses the second commit of the same bytes.

CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('vendors', 'budget_lines', 'fx_rates', 'purchase_orders',
        'invoices', 'assets', 'sla_measurements')),
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    sheet TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('committed', 'rejected', 'validated')),
    dry_run BOOLEAN NOT NULL,
    rows_read BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    report TEXT NOT NULL,
    error_workbook BLOB,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX imports_committed_once ON imports (sha256) WHERE status = 'committed';
CREATE INDEX imports_by_sha256 ON imports (sha256);
