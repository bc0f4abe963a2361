//! The proof with real `procura serve` processes: killed with SIGKILL at a random moment while
//! clients approve purchase orders, an import commits and the alert worker delivers, then
//! started again and checked; and two processes on one PostgreSQL database serving one
//! workload. A real SMTP server (aiosmtpd) receives the alerts.

use super::workload::{self, Dice, World};
use super::{invariants, Summary};
use crate::helpers::{issue_tokens, SmtpSink, TestApp, TestDb};
use crate::processes::{message_id_of, Server};
use diesel::prelude::*;
use procura::auth::Role::{Admin, Procurement};
use procura::db::Engine;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Vendors in each round's import (`PROCURA_PROOF_IMPORT_ROWS`, default 600).
fn import_rows() -> usize {
    super::knob("PROCURA_PROOF_IMPORT_ROWS", 600) as usize
}

/// How long alerts may take to be delivered once the last server is up: a kill between an
/// alert's claim and its outcome leaves it leased, and it is sent again only when the lease
/// ends, so the deadline is the lease and a margin.
const DELIVERY_DEADLINE: Duration =
    Duration::from_secs(procura::alerts::delivery::LEASE_SECONDS as u64 + 60);

/// Starts a server and a client of it.
async fn start(
    name: &str,
    test_db: &TestDb,
    smtp_port: u16,
    dir: &Path,
    tokens: &Tokens,
) -> (Server, TestApp) {
    let mut server = Server::spawn(name, &test_db.url, smtp_port, dir);
    server.wait_until_up(&reqwest::Client::new()).await;
    let app = TestApp::attach(
        server.base_url.clone(),
        tokens.clone(),
        test_db.db.clone(),
        engine_of(test_db),
    );
    (server, app)
}

type Tokens = std::collections::HashMap<procura::auth::Role, String>;

fn engine_of(test_db: &TestDb) -> Engine {
    if test_db.url.starts_with("postgres") {
        Engine::Postgres
    } else {
        Engine::Sqlite
    }
}

/// The vendors CSV of round `round`.
fn vendors_csv(round: u64) -> Vec<u8> {
    let mut csv = String::from("name,tax_id\n");
    for i in 0..import_rows() {
        csv.push_str(&format!("Crash r{round} vendor {i},CR{round}X{i:06}\n"));
    }
    csv.into_bytes()
}

/// Uploads round `round`'s import; its answer does not matter (the server may die under it).
async fn upload(app: &TestApp, round: u64) {
    let form = reqwest::multipart::Form::new()
        .text("kind", "vendors")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vendors_csv(round))
                .file_name(format!("crash-{round}.csv")),
        );
    let _ = app
        .client
        .post(app.url("/api/v1/imports"))
        .bearer_auth(app.token(Procurement))
        .multipart(form)
        .send()
        .await;
}

/// After a restart: round `round`'s import is all there with its committed record, or not there
/// at all.
async fn check_import(test_db: &TestDb, round: u64, summary: &Summary) {
    use procura::db::schema::{imports, vendors};
    let db = test_db.db.clone();
    let (rows, committed) = tokio::task::spawn_blocking(move || {
        db.read_blocking(|conn| {
            let rows: i64 = vendors::table
                .filter(vendors::name.like(format!("Crash r{round} vendor %")))
                .count()
                .get_result(conn)?;
            let committed: i64 = imports::table
                .filter(imports::file_name.eq(format!("crash-{round}.csv")))
                .filter(imports::status.eq("committed"))
                .count()
                .get_result(conn)?;
            Ok((rows, committed))
        })
    })
    .await
    .expect("task")
    .expect("counted");
    summary.check(
        (rows == 0 && committed == 0) || (rows == import_rows() as i64 && committed == 1),
        || {
            format!(
                "round {round}: {rows} of {} imported vendors, {committed} committed import records",
                import_rows()
            )
        },
    );
    summary.count(
        "import after the kill",
        if rows == 0 { "absent" } else { "complete" },
    );
}

/// Waits until no alert is pending, then checks that the mail server received each alert of the
/// outbox exactly once (by Message-ID).
async fn check_alerts(app: &TestApp, smtp: &SmtpSink, summary: &Summary) {
    let started = Instant::now();
    loop {
        let pending = app
            .get("/api/v1/alerts?status=pending&limit=1", Admin)
            .await;
        if pending.body["items"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        if started.elapsed() > DELIVERY_DEADLINE {
            summary.violation(format!("alerts still pending after {DELIVERY_DEADLINE:?}"));
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let alerts = app.list_all("/api/v1/alerts", Admin).await;
    let expected: BTreeSet<String> = alerts
        .iter()
        .map(|a| procura::email::message_id(a["dedupe_key"].as_str().unwrap_or_default()))
        .collect();
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for message in smtp.messages() {
        if let Some(id) = message_id_of(&message) {
            *received.entry(id).or_default() += 1;
        }
    }
    summary.count("alerts raised", &alerts.len().to_string());
    // A kill between the SMTP server's acceptance and the record of it sends that alert again,
    // with the same Message-ID (SMTP cannot share a transaction with the database): counted and
    // shown, tolerated only when a kill happened. A lost alert is always a violation.
    let killed = summary.faults.lock().unwrap().values().sum::<u64>() > 0;
    for id in &expected {
        let times = received.get(id).copied().unwrap_or(0);
        summary.check(times >= 1, || format!("alert {id} never delivered"));
        if times > 1 {
            summary.count(
                "alert mailed again after a kill (same Message-ID)",
                &times.to_string(),
            );
        }
        summary.check(times <= 1 || killed, || {
            format!("alert {id} delivered {times} times without a crash")
        });
    }
    for id in received.keys().filter(|id| !expected.contains(*id)) {
        summary.violation(format!("a message {id} no alert accounts for"));
    }
}

/// `rounds` times: clients and an import run against a server that is killed with SIGKILL at a
/// random moment, then started again; after each restart the import is whole or absent and
/// the books are exact; at the end every alert was delivered exactly once.
pub async fn crash_rounds(engine: Engine, rounds: u64, summary: &Summary) -> bool {
    let Some(smtp) = SmtpSink::start().await else {
        return false;
    };
    let Some(test_db) = TestDb::create(engine).await else {
        return false;
    };
    let tokens = issue_tokens(&test_db.db).await;
    let dir = tempfile::tempdir().expect("a log folder");
    let (mut server, mut app) = start("crash-0", &test_db, smtp.port, dir.path(), &tokens).await;
    let world = World::seed(&app).await;
    let mut dice = Dice::new(rounds + 7);
    for round in 0..rounds {
        summary.faulting.store(true, Ordering::SeqCst);
        let kill_after = Duration::from_millis(300 + dice.below(2_500));
        let import_after = Duration::from_millis(dice.below(1_000));
        let pid = server.child.id();
        let killer = async {
            tokio::time::sleep(kill_after).await;
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        };
        let servers = [&app];
        tokio::join!(
            workload::run(&servers, &world, 8, 3, summary),
            async {
                tokio::time::sleep(import_after).await;
                upload(&app, round).await
            },
            killer
        );
        server.kill();
        summary.fault("SIGKILL during approvals, an import and alert delivery");
        summary.faulting.store(false, Ordering::SeqCst);
        (server, app) = start(
            &format!("crash-{}", round + 1),
            &test_db,
            smtp.port,
            dir.path(),
            &tokens,
        )
        .await;
        check_import(&test_db, round, summary).await;
        invariants::check(&app, &world, summary).await;
    }
    check_alerts(&app, &smtp, summary).await;
    server.assert_running();
    true
}

/// Two server processes on one PostgreSQL database, the clients spread over both: the books
/// are exact afterwards and each alert was mailed once.
pub async fn two_instances(clients: usize, seconds: u64, summary: &Summary) -> bool {
    let Some(smtp) = SmtpSink::start().await else {
        return false;
    };
    let Some(test_db) = TestDb::create(Engine::Postgres).await else {
        return false;
    };
    let tokens = issue_tokens(&test_db.db).await;
    let dir = tempfile::tempdir().expect("a log folder");
    let (mut a_server, a) = start("instance-a", &test_db, smtp.port, dir.path(), &tokens).await;
    let (mut b_server, b) = start("instance-b", &test_db, smtp.port, dir.path(), &tokens).await;
    let world = World::seed(&a).await;
    workload::run(&[&a, &b], &world, clients, seconds, summary).await;
    invariants::check(&b, &world, summary).await;
    check_alerts(&a, &smtp, summary).await;
    a_server.assert_running();
    b_server.assert_running();
    true
}
