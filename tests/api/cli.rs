//! The `procura` command line, run as a real process: tokens, migrations, connection errors.

use crate::helpers::TestDb;
use procura::auth::service::authenticate;
use procura::auth::Role;
use procura::db::Engine;
use std::process::{Command, Output};

fn procura(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_procura"))
        .env("DATABASE_URL", database_url)
        .env("PROCURA_LOG", "warn")
        .args(args)
        .output()
        .expect("the procura binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs each named `fn name(engine: Engine)` once per engine, as `sqlite::name` and
/// `postgres::name`, skipping PostgreSQL like the rest of the suite when it is unavailable.
macro_rules! cli_on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = $crate::helpers::TestDb::create(procura::db::Engine::Sqlite).await {
                        tokio::task::spawn_blocking(move || super::$name(db)).await.expect("test body");
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = $crate::helpers::TestDb::create(procura::db::Engine::Postgres).await {
                        tokio::task::spawn_blocking(move || super::$name(db)).await.expect("test body");
                    }
                }
            )*
        }
    };
}

fn tokens_from_the_command_line(test_db: TestDb) {
    let created = procura(
        &test_db.url,
        &["token", "create", "--name", "ci-bot", "--role", "finance"],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let stdout = text(&created.stdout);
    let token = stdout.lines().last().expect("a last line").to_string();
    assert!(
        token.starts_with("prc_") && !token.contains(' '),
        "the last line is the token alone: {stdout}"
    );

    let actor = test_db
        .db
        .read_blocking(|conn| authenticate(conn, &token))
        .expect("the printed token authenticates");
    assert_eq!((actor.name.as_str(), actor.role), ("ci-bot", Role::Finance));

    let revoked = procura(&test_db.url, &["token", "revoke", "ci-bot"]);
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    let error = test_db
        .db
        .read_blocking(|conn| authenticate(conn, &token))
        .expect_err("a revoked token no longer authenticates");
    assert_eq!(error.code(), "unauthorized");
    assert!(error.detail().contains("revoked"), "{}", error.detail());

    let listed = text(&procura(&test_db.url, &["token", "list"]).stdout);
    let line = listed
        .lines()
        .find(|l| l.contains("ci-bot"))
        .expect("listed");
    assert!(line.contains("revoked"), "{line}");
    assert!(
        !listed.contains(&token[20..]),
        "token list never prints secrets"
    );

    let again = procura(&test_db.url, &["token", "revoke", "ci-bot"]);
    assert!(!again.status.success(), "revoking twice fails");
    assert!(
        text(&again.stderr).contains("does not exist"),
        "{}",
        text(&again.stderr)
    );

    let bad_role = procura(
        &test_db.url,
        &["token", "create", "--name", "x", "--role", "wizard"],
    );
    assert!(!bad_role.status.success());
    assert!(text(&bad_role.stderr).contains("admin, procurement, finance, pm, evaluator, viewer"));

    // Creating and revoking are audited, with the command line as the actor.
    let rows = test_db
        .db
        .read_blocking(|conn| {
            let filter = procura::audit::repo::AuditFilter {
                entity: Some("token".into()),
                actor: Some("cli".into()),
                ..Default::default()
            };
            procura::audit::service::list(conn, &filter, 0, 100)
        })
        .expect("audit rows");
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["token.create", "token.revoke"]);
}

fn migrate_is_idempotent(test_db: TestDb) {
    let output = procura(&test_db.url, &["migrate"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("schema is up to date"),
        "{}",
        text(&output.stdout)
    );
    let engine = match test_db.db.engine() {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    };
    assert!(text(&output.stdout).starts_with(engine));
}

/// Every run exits cleanly. Before OpenSSL's exit-time cleanup was turned off, about one run in
/// ten on PostgreSQL died with a segmentation fault after doing its work (a pool thread was still
/// inside libpq when the process exited).
fn the_command_line_exits_cleanly(test_db: TestDb) {
    for i in 0..20 {
        let output = procura(
            &test_db.url,
            &[
                "token",
                "create",
                "--name",
                &format!("run-{i}"),
                "--role",
                "viewer",
            ],
        );
        assert!(
            output.status.success(),
            "run {i} ended with {:?}: {}",
            output.status,
            text(&output.stderr)
        );
    }
}

/// `procura import`: a dry run writes nothing, the import writes everything, the same file is
/// refused, and a bad file is listed cell by cell with its error workbook written beside it.
fn imports_from_the_command_line(test_db: TestDb) {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imports");
    let dir = tempfile::tempdir().expect("temporary folder");
    let good = dir.path().join("suppliers.xlsx");
    std::fs::copy(fixtures.join("vendors_openpyxl.xlsx"), &good).expect("copy");
    let good = good.display().to_string();
    let vendors = || {
        let db = test_db.db.clone();
        db.read_blocking(|conn| {
            use diesel::prelude::*;
            Ok(procura::db::schema::vendors::table
                .count()
                .get_result::<i64>(conn)?)
        })
        .expect("count")
    };

    let dry = procura(
        &test_db.url,
        &["import", &good, "--kind", "vendors", "--dry-run"],
    );
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    let out = text(&dry.stdout);
    assert!(
        out.contains("valid (dry run, nothing written): 4 created"),
        "{out}"
    );
    assert!(out.contains("unknown column G `Account Manager`"), "{out}");
    assert_eq!(vendors(), 0, "a dry run writes nothing");

    let real = procura(
        &test_db.url,
        &["import", &good, "--kind", "vendors", "--as", "finance-desk"],
    );
    assert!(real.status.success(), "{}", text(&real.stderr));
    assert!(text(&real.stdout).contains("imported: 4 created, 0 updated, 0 unchanged; 0 error(s)"));
    assert_eq!(vendors(), 4);

    let again = procura(&test_db.url, &["import", &good, "--kind", "vendors"]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already imported"),
        "{}",
        text(&again.stderr)
    );

    let bad = dir.path().join("formula.xlsx");
    std::fs::copy(fixtures.join("vendors_formula_no_cache.xlsx"), &bad).expect("copy");
    let refused = procura(
        &test_db.url,
        &["import", &bad.display().to_string(), "--kind", "vendors"],
    );
    assert!(!refused.status.success());
    let out = text(&refused.stdout);
    assert!(
        out.contains("Suppliers!A4") && out.contains("[formula_without_value]"),
        "{out}"
    );
    let workbook = dir.path().join("formula.errors.xlsx");
    assert!(
        workbook.exists(),
        "the error workbook is written beside the file: {out}"
    );
    assert_eq!(vendors(), 4, "a rejected file writes nothing");
}

cli_on_both_engines!(
    tokens_from_the_command_line,
    migrate_is_idempotent,
    the_command_line_exits_cleanly,
    imports_from_the_command_line
);

#[test]
fn first_migrate_creates_the_sqlite_file_and_its_folder() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("nested/deeper/procura.db");
    let url = format!("sqlite://{}", path.display());
    let output = procura(&url, &["migrate"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("applied"),
        "{}",
        text(&output.stdout)
    );
    assert!(path.exists());
}

#[test]
fn connection_errors_name_the_engine_and_the_cause() {
    let refused = procura(
        "postgres://procura:s3cret@127.0.0.1:1/procura",
        &["migrate"],
    );
    let stderr = text(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("PostgreSQL") && stderr.contains("Connection refused"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cret"),
        "the password is never printed: {stderr}"
    );

    let unknown = procura("mysql://root:s3cret@localhost/procura", &["migrate"]);
    let stderr = text(&unknown.stderr);
    assert!(!unknown.status.success());
    assert!(
        stderr.contains("unknown scheme") && !stderr.contains("s3cret"),
        "{stderr}"
    );

    let unwritable = procura("sqlite:///proc/procura/none.db", &["migrate"]);
    let stderr = text(&unwritable.stderr);
    assert!(!unwritable.status.success());
    assert!(stderr.starts_with("error: SQLite"), "{stderr}");
}

#[test]
fn a_wrong_postgres_role_is_reported_as_such() {
    let admin = std::env::var("PROCURA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| crate::helpers::DEFAULT_POSTGRES_URL.to_string());
    let mut url = url::Url::parse(&admin).expect("a URL");
    if url.set_username("no_such_procura_role").is_err() {
        return;
    }
    let output = procura(url.as_str(), &["migrate"]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    // Refused outright when PostgreSQL is down; otherwise the server names the missing role.
    assert!(stderr.contains("PostgreSQL"), "{stderr}");
    assert!(
        stderr.contains("no_such_procura_role") || stderr.contains("Connection refused"),
        "{stderr}"
    );
}

#[test]
fn openapi_and_help() {
    let spec = procura("sqlite:///nonexistent/never-opened.db", &["openapi"]);
    assert!(spec.status.success());
    let document: serde_json::Value = serde_json::from_slice(&spec.stdout).expect("JSON");
    assert!(document["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.")));
    assert!(document["paths"]["/api/v1/vendors"].is_object());

    let help = text(&procura("sqlite://unused.db", &["serve", "--help"]).stdout);
    for option in ["--bind", "--database-url", "PROCURA_BIND", "DATABASE_URL"] {
        assert!(
            help.contains(option),
            "serve --help mentions {option}: {help}"
        );
    }
}
