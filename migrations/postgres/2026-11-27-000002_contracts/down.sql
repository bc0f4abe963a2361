DROP TABLE contract_projects;
DROP TABLE contracts;
