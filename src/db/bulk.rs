//! Bulk inserts. Diesel's multi-connection cannot express them over both engines, so a bulk
//! insert hands each engine's own connection its fastest form: `COPY` on PostgreSQL, multi-row
//! `INSERT`s on SQLite. Many rows per round trip instead of one is what lets an import of
//! 100,000 invoice lines write in about a second.

/// Bound values per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
pub const BINDS_PER_STATEMENT: usize = 30_000;

/// Rows of a table with `columns` columns per multi-row statement.
pub const fn rows_per_statement(columns: usize) -> usize {
    BINDS_PER_STATEMENT / columns
}

/// Inserts a slice of `Insertable` rows (each with `$columns` columns, `None` written as NULL:
/// `treat_none_as_default_value = false`) into `$table`: on PostgreSQL as one binary `COPY`,
/// on SQLite in multi-row `INSERT`s of at most [`BINDS_PER_STATEMENT`] bound values. Evaluates
/// to the number of rows written. Use it inside a function returning `AppResult` or
/// `QueryResult`.
#[macro_export]
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, $columns:expr) => {{
        let conn: &mut $crate::db::DbConnection = $conn;
        let rows = &$rows[..];
        match conn {
            $crate::db::DbConnection::Postgresql(pg) => {
                if rows.is_empty() {
                    0
                } else {
                    ::diesel::copy_from($table)
                        .from_insertable(rows)
                        .execute(pg)?
                }
            }
            $crate::db::DbConnection::Sqlite(lite) => {
                let mut written = 0usize;
                for chunk in rows.chunks($crate::db::bulk::rows_per_statement($columns)) {
                    written += ::diesel::insert_into($table).values(chunk).execute(lite)?;
                }
                written
            }
        }
    }};
}
