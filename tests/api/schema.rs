//! Migration parity between the engines, and drift between the code and the committed OpenAPI
//! document.

use crate::helpers::TestDb;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use procura::db::Engine;
use std::collections::BTreeSet;

/// (table, column, normalised type, not null)
type Column = (String, String, String, bool);

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = BigInt)]
    not_null: i64,
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

/// One name per kind of type, whatever each engine calls it.
fn normalise_type(raw: &str) -> String {
    let lower = raw.trim().to_ascii_lowercase();
    let base = lower.split('(').next().unwrap_or("").trim();
    match base {
        "integer" | "int" | "bigint" | "int8" | "int4" | "smallint" | "bigserial" | "serial" => {
            "int".into()
        }
        "text" | "varchar" | "character varying" | "char" | "character" => "text".into(),
        "date" => "date".into(),
        "boolean" | "bool" => "bool".into(),
        // Diesel's Binary: BLOB on SQLite, BYTEA on PostgreSQL.
        "blob" | "bytea" => "binary".into(),
        other if other.starts_with("timestamp") => "timestamp".into(),
        other => other.into(),
    }
}

fn sqlite_columns(path: &str) -> BTreeSet<Column> {
    let mut conn = SqliteConnection::establish(path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    let rows: Vec<SqliteColumn> = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                CAST(p.\"notnull\" AS BIGINT) AS not_null, CAST(p.pk AS BIGINT) AS pk \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .expect("SQLite catalogue");
    rows.into_iter()
        .map(|c| {
            (
                c.table_name,
                c.column_name,
                normalise_type(&c.data_type),
                c.not_null != 0 || c.pk > 0,
            )
        })
        .collect()
}

fn postgres_columns(url: &str) -> BTreeSet<Column> {
    procura::db::prepare_postgres_client();
    let mut conn = PgConnection::establish(url).unwrap_or_else(|e| panic!("open PostgreSQL: {e}"));
    let rows: Vec<PgColumn> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                data_type::text AS data_type, is_nullable::text AS is_nullable \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .expect("PostgreSQL catalogue");
    rows.into_iter()
        .map(|c| {
            (
                c.table_name,
                c.column_name,
                normalise_type(&c.data_type),
                c.is_nullable == "NO",
            )
        })
        .collect()
}

fn describe(columns: &BTreeSet<Column>) -> String {
    columns
        .iter()
        .map(|(t, c, ty, nn)| format!("  {t}.{c} {ty}{}", if *nn { " NOT NULL" } else { "" }))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_give_both_engines_the_same_columns() {
    let sqlite = TestDb::create(Engine::Sqlite)
        .await
        .expect("SQLite is always available");
    let Some(postgres) = TestDb::create(Engine::Postgres).await else {
        return;
    };
    let (sqlite_target, postgres_url) = (sqlite.target.clone(), postgres.url.clone());
    let (lite, pg) = tokio::task::spawn_blocking(move || {
        (
            sqlite_columns(&sqlite_target),
            postgres_columns(&postgres_url),
        )
    })
    .await
    .expect("catalogue task");

    let tables: BTreeSet<&str> = lite.iter().map(|(t, ..)| t.as_str()).collect();
    for expected in [
        "api_tokens",
        "audit_log",
        "vendors",
        "projects",
        "budget_lines",
        "budget_line_months",
        "fx_rates",
    ] {
        assert!(
            tables.contains(expected),
            "table {expected} missing after SQLite migrations: {tables:?}"
        );
    }
    let only_sqlite: BTreeSet<Column> = lite.difference(&pg).cloned().collect();
    let only_postgres: BTreeSet<Column> = pg.difference(&lite).cloned().collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migrations disagree.\nonly in SQLite:\n{}\nonly in PostgreSQL:\n{}",
        describe(&only_sqlite),
        describe(&only_postgres)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_embed_the_same_migrations() {
    let (sqlite, postgres) = procura::db::migrations::embedded_names();
    assert!(!sqlite.is_empty(), "no SQLite migrations embedded");
    assert_eq!(
        sqlite, postgres,
        "migration folders must hold the same names for both engines"
    );
    // and a fresh database runs exactly these, in this order (reported by version)
    let fresh = TestDb::create(Engine::Sqlite).await.expect("SQLite");
    assert_runs(&fresh.migrations_run, &sqlite);
    if let Some(fresh) = TestDb::create(Engine::Postgres).await {
        assert_runs(&fresh.migrations_run, &postgres);
        // migrating again does nothing
        let db = fresh.db.clone();
        let again = tokio::task::spawn_blocking(move || db.migrate())
            .await
            .expect("task")
            .expect("migrate");
        assert!(again.is_empty(), "{again:?}");
    }
}

/// `ran` (what `Db::migrate` reported) names each of `embedded`, in order.
#[track_caller]
fn assert_runs(ran: &[String], embedded: &[String]) {
    assert_eq!(
        ran.len(),
        embedded.len(),
        "ran {ran:?}, embedded {embedded:?}"
    );
    for (ran, name) in ran.iter().zip(embedded) {
        let digits: String = name.chars().filter(char::is_ascii_digit).collect();
        assert!(
            name == ran || digits.starts_with(ran.as_str()),
            "migration `{name}` was reported as `{ran}`"
        );
    }
}

#[test]
fn openapi_document_matches_the_committed_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let generated = procura::openapi::document_json();
    let committed = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("cannot read {path} ({e}); generate it with `cargo run -- openapi > openapi/openapi.json`")
    });
    if generated != committed {
        let first_difference = generated
            .lines()
            .zip(committed.lines())
            .enumerate()
            .find(|(_, (g, c))| g != c)
            .map(|(i, (g, c))| format!("line {}: code has `{g}`, file has `{c}`", i + 1))
            .unwrap_or_else(|| "one is a prefix of the other".to_string());
        panic!(
            "openapi/openapi.json is out of date ({first_difference}); regenerate it with `cargo run -- openapi > openapi/openapi.json`"
        );
    }
}
