DROP TABLE contract_change_orders;
ALTER TABLE contracts DROP COLUMN scope;
