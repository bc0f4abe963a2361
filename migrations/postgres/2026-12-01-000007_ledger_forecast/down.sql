DROP INDEX purchase_order_lines_ledger;
DROP INDEX invoice_lines_by_budget_line;
CREATE INDEX invoice_lines_by_budget_line ON invoice_lines (budget_line_id, invoice_id);
DROP INDEX invoices_by_status_date;
DROP TABLE progress_records;
DROP TABLE budget_line_estimates;
DROP TABLE budget_change_requests;
ALTER TABLE alerts DROP COLUMN html_body;
ALTER TABLE purchase_order_lines DROP COLUMN accrued_budget_units;
