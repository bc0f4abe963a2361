ALTER TABLE slas DROP COLUMN measurement_period;
