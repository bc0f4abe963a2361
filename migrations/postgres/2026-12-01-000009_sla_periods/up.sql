-- SLA measurement periods: monthly (the default, as before), quarterly or yearly.
ALTER TABLE slas ADD COLUMN measurement_period TEXT NOT NULL DEFAULT 'monthly';
