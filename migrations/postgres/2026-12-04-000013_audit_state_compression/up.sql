-- Audit states (a whole document as JSON, several KiB for an invoice of many lines) are
-- compressed with lz4 rather than the default pglz: a bulk import writes tens of megabytes of
-- them in one transaction, and pglz spent most of the audit insert compressing them. A server
-- built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE audit_log ALTER COLUMN before_state SET COMPRESSION lz4;
    ALTER TABLE audit_log ALTER COLUMN after_state SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END
$$;
