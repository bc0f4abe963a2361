DROP INDEX invoices_by_status_date;
DROP TABLE progress_records;
DROP TABLE budget_line_estimates;
DROP TABLE budget_change_requests;
ALTER TABLE alerts DROP COLUMN html_body;
ALTER TABLE purchase_order_lines DROP COLUMN accrued_budget_units;
