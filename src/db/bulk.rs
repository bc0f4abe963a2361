//! Multi-row `INSERT`s. Diesel's multi-connection cannot express them over both engines, so a
//! bulk insert hands each engine's own connection the same statement: many rows per round trip
//! instead of one, which is what lets an import of 100,000 invoice lines write in seconds.

/// Bound values per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
pub const BINDS_PER_STATEMENT: usize = 30_000;

/// Rows of a table with `columns` columns per multi-row statement.
pub const fn rows_per_statement(columns: usize) -> usize {
    BINDS_PER_STATEMENT / columns
}

/// Inserts a slice of `Insertable` rows (each with `$columns` columns, `None` written as NULL:
/// `treat_none_as_default_value = false`) into `$table` in multi-row statements; evaluates to
/// the number of rows written. Use it inside a function returning `AppResult` or
/// `QueryResult`.
#[macro_export]
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, $columns:expr) => {{
        let conn: &mut $crate::db::DbConnection = $conn;
        let mut written = 0usize;
        for chunk in $rows.chunks($crate::db::bulk::rows_per_statement($columns)) {
            written += match conn {
                $crate::db::DbConnection::Postgresql(pg) => {
                    ::diesel::insert_into($table).values(chunk).execute(pg)?
                }
                $crate::db::DbConnection::Sqlite(lite) => {
                    ::diesel::insert_into($table).values(chunk).execute(lite)?
                }
            };
        }
        written
    }};
}
