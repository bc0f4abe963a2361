//! Human document numbers (`PO-2027-000042`): one gap-free counter per series, taken inside the
//! caller's transaction so a rolled-back document gives its number back.

use crate::db::schema::number_sequences;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use diesel::prelude::*;

/// The next value of the counter named `series` (1 for a new series). The row is locked until the
/// transaction ends (PostgreSQL row lock; SQLite holds the write lock already).
pub fn next_value(conn: &mut DbConnection, series: &str) -> AppResult<i64> {
    if !valid_series_name(series) {
        return Err(AppError::internal(anyhow::anyhow!(
            "invalid number series name {series:?}"
        )));
    }
    // `ON CONFLICT DO NOTHING` reads the same on SQLite and PostgreSQL; on PostgreSQL a concurrent
    // creator of the same series waits here instead of failing on the unique key.
    diesel::sql_query(format!(
        "INSERT INTO number_sequences (name, last_value) VALUES ('{series}', 0) \
         ON CONFLICT (name) DO NOTHING"
    ))
    .execute(conn)?;
    let value = diesel::update(number_sequences::table.find(series))
        .set(number_sequences::last_value.eq(number_sequences::last_value + 1))
        .returning(number_sequences::last_value)
        .get_result(conn)?;
    Ok(value)
}

/// Series names are built by Procura itself (`PO-2027`, `tag:AST-2026-*`); this check keeps the
/// one literal inlined into SQL safe: letters, digits and `- _ . * / :` only.
fn valid_series_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*' | '/' | ':'))
}

/// A document number: `prefix-year-NNNNNN` (six digits, wider when a year passes 999,999).
pub fn document_number(conn: &mut DbConnection, prefix: &str, year: i32) -> AppResult<String> {
    let value = next_value(conn, &format!("{prefix}-{year}"))?;
    Ok(format!("{prefix}-{year}-{value:06}"))
}

#[cfg(test)]
mod tests {
    use super::valid_series_name;

    #[test]
    fn series_names_are_checked_before_they_are_inlined() {
        assert!(valid_series_name("PO-2027"));
        assert!(valid_series_name("tag:AST-2026-*"));
        assert!(!valid_series_name(""));
        assert!(!valid_series_name("x'); DROP TABLE vendors; --"));
        assert!(!valid_series_name("tag:AST 2026"));
    }
}
