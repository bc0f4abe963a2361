DROP TABLE sla_measurements;
DROP TABLE slas;
