-- The vendor scorecard selects PO lines by their promised date.
CREATE INDEX purchase_order_lines_by_promised_date ON purchase_order_lines (promised_date);
