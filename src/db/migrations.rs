//! Embedded migrations, one folder per engine with identical names (`migrations/sqlite`,
//! `migrations/postgres`); a test proves both produce the same tables and columns.

use super::{DbConnection, DbSetupError, Engine};
use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// An arbitrary constant key: PostgreSQL instances starting together take this advisory lock so
/// only one runs the migrations.
const MIGRATION_LOCK_KEY: i64 = 0x0050_524f_4355_5241;

/// The migration that adds stored PO line accruals, which [`super::Db::migrate`] fills in.
pub const ACCRUALS_STORED: &str = "20261201000007";

/// Runs pending migrations; returns the versions of those that ran (such as `20261127000001`).
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, DbSetupError> {
    let fail = |engine, cause: String| DbSetupError::Migrate { engine, cause };
    match conn {
        DbConnection::Sqlite(inner) => inner
            .run_pending_migrations(SQLITE)
            .map(|done| done.iter().map(ToString::to_string).collect())
            .map_err(|e| fail(Engine::Sqlite, e.to_string())),
        DbConnection::Postgresql(inner) => {
            inner
                .batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .map_err(|e| fail(Engine::Postgres, e.to_string()))?;
            let outcome = inner
                .run_pending_migrations(POSTGRES)
                .map(|done| done.iter().map(ToString::to_string).collect())
                .map_err(|e| fail(Engine::Postgres, e.to_string()));
            let unlocked = inner
                .batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .map_err(|e| fail(Engine::Postgres, e.to_string()));
            let done = outcome?;
            unlocked?;
            Ok(done)
        }
    }
}

/// Names of the migrations embedded for each engine, in order (for the parity test).
pub fn embedded_names() -> (Vec<String>, Vec<String>) {
    use diesel::migration::MigrationSource;
    let names = |source: EmbeddedMigrations| -> Vec<String> {
        MigrationSource::<diesel::sqlite::Sqlite>::migrations(&source)
            .map(|all| all.iter().map(|m| m.name().to_string()).collect())
            .unwrap_or_default()
    };
    let postgres: Vec<String> = MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES)
        .map(|all| all.iter().map(|m| m.name().to_string()).collect())
        .unwrap_or_default();
    (names(SQLITE), postgres)
}
