-- PostgreSQL only (lz4 compression of audit states); SQLite stores them uncompressed.
SELECT 1;
