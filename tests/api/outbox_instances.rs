//! Two real `procura serve` processes on one PostgreSQL database share the alert outbox: each
//! alert is claimed by one of them (`FOR UPDATE SKIP LOCKED` plus a lease) and mailed exactly
//! once, counted at a real SMTP server.
//!
//! PostgreSQL only: several instances on one database is a PostgreSQL deployment. SQLite is
//! single-host by design (one database file, one writer at a time), so there is no SQLite twin
//! of this test, and its path names neither `sqlite::` nor `postgres::` (CI compares the counts
//! of those two).

use crate::helpers::{SmtpSink, TestDb};
use crate::processes::{message_id_of, procura, text, Server};
use procura::alerts::{raise, NewAlert};
use procura::db::Engine;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// Alerts in the backlog both servers start on: several claim batches (50) each.
const ALERTS: usize = 300;

/// How long every alert may take to be sent.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(60);

/// GET `path` from `base_url` with `token`, asserting a 200 JSON answer.
async fn get_json(client: &reqwest::Client, base_url: &str, path: &str, token: &str) -> Value {
    let response = client
        .get(format!("{base_url}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status();
    let body = response.text().await.expect("a body");
    assert_eq!(status.as_u16(), 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// Every alert with `status`, following `next_cursor`.
async fn alerts(client: &reqwest::Client, base_url: &str, token: &str, status: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = format!("/api/v1/alerts?status={status}&limit=200");
    for _ in 0..100 {
        let page = get_json(client, base_url, &path, token).await;
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/alerts?status={status}&limit=200&cursor={cursor}")
            }
            None => return items,
        }
    }
    panic!("more than 100 pages of {status} alerts");
}

fn dedupe_key(i: usize) -> String {
    format!("outbox-instances:alert:{i}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_instances_send_each_alert_once() {
    let Some(smtp) = SmtpSink::start().await else {
        return;
    };
    let Some(test_db) = TestDb::create(Engine::Postgres).await else {
        return;
    };
    let url = test_db.url.clone();
    let started = Instant::now();

    // The schema through the command line (TestDb migrated it already: nothing left to apply),
    // and an admin token, both before any server starts.
    let migrated = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || procura(&url, &["migrate"]))
            .await
            .expect("migrate")
    };
    assert!(
        text(&migrated.stdout).starts_with("PostgreSQL"),
        "{}",
        text(&migrated.stdout)
    );
    let token = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let created = procura(&url, &["token", "create", "--name", "t", "--role", "admin"]);
            text(&created.stdout)
                .lines()
                .last()
                .expect("the token is the last line")
                .trim()
                .to_string()
        })
        .await
        .expect("token create")
    };

    // The backlog, raised through the product into the outbox before either server runs.
    let db = test_db.db.clone();
    let raised = tokio::task::spawn_blocking(move || {
        db.write_blocking(|tx| {
            let now = procura::clock::now();
            let mut raised = 0;
            for i in 0..ALERTS {
                let alert = NewAlert {
                    dedupe_key: dedupe_key(i),
                    kind: "contract_notice_deadline",
                    project_id: None,
                    subject: format!("Outbox alert {i}"),
                    body: format!("Alert number {i} of {ALERTS}."),
                    html_body: None,
                    recipients: vec![format!("recipient-{i}@example.com")],
                };
                if raise(tx, &alert, now)? {
                    raised += 1;
                }
            }
            Ok(raised)
        })
    })
    .await
    .expect("raising panicked")
    .unwrap_or_else(|e| panic!("raising alerts: {e}"));
    assert_eq!(raised, ALERTS, "every alert is new");

    // Two servers on the one database, started together so both find the whole backlog due.
    let logs = tempfile::tempdir().expect("a log folder");
    let client = reqwest::Client::new();
    let mut servers = [
        Server::spawn("instance-a", &url, smtp.port, logs.path()),
        Server::spawn("instance-b", &url, smtp.port, logs.path()),
    ];
    for server in &mut servers {
        server.wait_until_up(&client).await;
    }
    let up = started.elapsed();

    // Until nothing is pending, then a little longer for a straggling duplicate.
    let base_url = servers[0].base_url.clone();
    let waiting = Instant::now();
    loop {
        for server in &mut servers {
            server.assert_running();
        }
        let pending = get_json(
            &client,
            &base_url,
            "/api/v1/alerts?status=pending&limit=1",
            &token,
        )
        .await;
        if pending["items"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        assert!(
            waiting.elapsed() < DELIVERY_DEADLINE,
            "alerts still pending after {DELIVERY_DEADLINE:?} ({} messages received): {pending}",
            smtp.messages().len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drained = started.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    for server in &mut servers {
        server.assert_running();
    }

    // The outbox, as the API shows it.
    let sent = alerts(&client, &servers[1].base_url, &token, "sent").await;
    let pending = alerts(&client, &servers[1].base_url, &token, "pending").await;
    let retried: Vec<String> = sent
        .iter()
        .filter(|a| a["attempts"] != 1)
        .map(|a| format!("{} (attempts {})", a["dedupe_key"], a["attempts"]))
        .collect();

    // The mail server: one message per alert, told apart by the Message-ID of its dedupe key.
    let messages = smtp.messages();
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    for message in &messages {
        let id = message_id_of(message)
            .unwrap_or_else(|| panic!("a message without a Message-ID: {message}"));
        *per_id.entry(id).or_default() += 1;
    }
    let duplicated: Vec<(&String, &usize)> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    let expected: BTreeSet<String> = (0..ALERTS)
        .map(|i| procura::email::message_id(&dedupe_key(i)))
        .collect();
    let received: BTreeSet<String> = per_id.keys().cloned().collect();

    // Who sent what, from each instance's own `alerts run` log lines.
    let delivered: Vec<(u64, u64)> = servers.iter().map(Server::delivered).collect();
    eprintln!(
        "outbox_instances: {ALERTS} alerts raised; {} messages received, {} distinct Message-IDs, \
         {} sent more than once; outbox: {} sent, {} pending, {} attempted more than once; \
         sent {} by {} (failed {}) and {} by {} (failed {}); servers up after {up:?}, outbox \
         drained after {drained:?}",
        messages.len(),
        per_id.len(),
        duplicated.len(),
        sent.len(),
        pending.len(),
        retried.len(),
        delivered[0].0,
        servers[0].name,
        delivered[0].1,
        delivered[1].0,
        servers[1].name,
        delivered[1].1,
    );
    assert!(
        duplicated.is_empty(),
        "{} alerts sent more than once, among them {:?}",
        duplicated.len(),
        &duplicated[..duplicated.len().min(5)]
    );
    assert_eq!(messages.len(), ALERTS, "messages received");
    assert_eq!(received, expected, "one message per alert, by Message-ID");
    assert!(pending.is_empty(), "still pending: {pending:?}");
    assert_eq!(sent.len(), ALERTS, "alerts marked sent");
    assert!(
        retried.is_empty(),
        "every alert is sent on its first attempt: {retried:?}"
    );
    assert_eq!(
        delivered.iter().map(|d| d.0).sum::<u64>(),
        ALERTS as u64,
        "the instances' logs account for every message: {delivered:?}"
    );
    assert!(
        delivered.iter().all(|d| d.1 == 0),
        "no delivery failed: {delivered:?}"
    );
    for (server, (sent, _)) in servers.iter().zip(&delivered) {
        assert!(
            *sent > 0,
            "both instances took part, but {} sent nothing ({delivered:?}); its log:\n{}",
            server.name,
            server.log_text()
        );
    }
}
