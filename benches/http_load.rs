//! HTTP load benchmark: `cargo bench --bench http_load`.
//!
//! Starts the real `procura` binary (release build) on SQLite and, when reachable, on
//! PostgreSQL, then drives it with concurrent keep-alive clients for a fixed time per scenario:
//!
//! - `GET /health/live`: a bare JSON endpoint without database or auth, the baseline;
//! - `GET /api/v1/vendors/{id}`: one vendor (token check plus one read);
//! - `POST /api/v1/vendors`: create a vendor (token check, transaction, audit row).
//!
//! Prints requests/s, p50 and p99 latency, errors and the throughput ratio to the baseline, and
//! the server's resident memory idle and at its peak under load. Figures are printed, never
//! asserted: these machines are noisy.
//!
//! Knobs: `BENCH_SECONDS` (default 10 per scenario), `BENCH_CLIENTS` (default 32),
//! `PROCURA_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use diesel::connection::SimpleConnection;
use diesel::Connection;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Scenario {
    name: &'static str,
    method: reqwest::Method,
    path: String,
    body: bool,
}

struct Outcome {
    requests: usize,
    errors: u64,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    peak_rss_kib: u64,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

fn procura(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_procura"));
    command
        .env("DATABASE_URL", database_url)
        .env("PROCURA_LOG", "warn");
    command
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(database_url: &str) -> (Server, String) {
    let output = procura(database_url)
        .args(["token", "create", "--name", "bench", "--role", "admin"])
        .output()
        .expect("procura token create runs");
    assert!(
        output.status.success(),
        "token create failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    let port = free_port();
    let child = procura(database_url)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .expect("procura serve starts");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("{}/health", server.base))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (server, token)
}

async fn run(
    server: &Server,
    token: &str,
    scenario: &Scenario,
    clients: usize,
    seconds: u64,
) -> Outcome {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("HTTP client");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let errors = Arc::new(AtomicU64::new(0));
    let counter = Arc::new(AtomicU64::new(0));
    let pid = server.child.id();
    let sampler = tokio::spawn({
        let stop = deadline;
        async move {
            let mut peak = 0;
            while Instant::now() < stop {
                peak = peak.max(rss_kib(pid));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        }
    });
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..clients {
        let (client, errors, counter) = (client.clone(), errors.clone(), counter.clone());
        let url = format!("{}{}", server.base, scenario.path);
        let (method, body, token) = (scenario.method.clone(), scenario.body, token.to_string());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let mut request = client.request(method.clone(), &url).bearer_auth(&token);
                if body {
                    request = request
                        .header("content-type", "application/json")
                        .body(format!(
                            r#"{{"name":"Load vendor {worker}-{n}","tags":["load"]}}"#
                        ));
                }
                let sent = Instant::now();
                match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("load task"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Outcome {
        requests: latencies.len(),
        errors: errors.load(Ordering::Relaxed),
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        peak_rss_kib: sampler.await.unwrap_or(0),
    }
}

async fn bench_engine(label: &str, database_url: &str, clients: usize, seconds: u64) {
    let (server, token) = start(database_url).await;
    let client = reqwest::Client::new();
    let created: serde_json::Value = client
        .post(format!("{}/api/v1/vendors", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Benchmark Vendor", "tax_id": "BENCH0001", "emails": ["ops@bench.example"]}))
        .send()
        .await
        .expect("create vendor")
        .json()
        .await
        .expect("vendor JSON");
    let vendor_id = created["id"].as_i64().expect("vendor id");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(server.child.id());
    let scenarios = [
        Scenario {
            name: "GET /health/live (baseline)",
            method: reqwest::Method::GET,
            path: "/health/live".into(),
            body: false,
        },
        Scenario {
            name: "GET /api/v1/vendors/{id}",
            method: reqwest::Method::GET,
            path: format!("/api/v1/vendors/{vendor_id}"),
            body: false,
        },
        Scenario {
            name: "POST /api/v1/vendors",
            method: reqwest::Method::POST,
            path: "/api/v1/vendors".into(),
            body: true,
        },
    ];
    println!(
        "\n{label}: {clients} clients, {seconds} s per scenario, idle RSS {} MiB",
        idle / 1024
    );
    println!(
        "{:<30} {:>9} {:>7} {:>10} {:>9} {:>9} {:>10} {:>10}",
        "scenario", "requests", "errors", "req/s", "p50 ms", "p99 ms", "vs bare", "peak RSS"
    );
    let mut baseline = None;
    for scenario in &scenarios {
        let outcome = run(&server, &token, scenario, clients, seconds).await;
        let base = *baseline.get_or_insert(outcome.per_second);
        println!(
            "{:<30} {:>9} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>9.1}% {:>7} MiB",
            scenario.name,
            outcome.requests,
            outcome.errors,
            outcome.per_second,
            outcome.p50.as_secs_f64() * 1e3,
            outcome.p99.as_secs_f64() * 1e3,
            100.0 * outcome.per_second / base,
            outcome.peak_rss_kib / 1024,
        );
    }
}

fn postgres_database() -> Option<(String, String)> {
    let admin = std::env::var("PROCURA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    procura::db::prepare_postgres_client();
    let mut conn = match diesel::PgConnection::establish(&admin) {
        Ok(conn) => conn,
        Err(error) => {
            println!("\nPostgreSQL: skipped ({error})");
            return None;
        }
    };
    let name = format!("procura_bench_{}", std::process::id());
    // Separate statements: CREATE DATABASE cannot run inside the implicit transaction of a batch.
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        if let Err(error) = conn.batch_execute(&statement) {
            println!("\nPostgreSQL: skipped ({statement}: {error})");
            return None;
        }
    }
    let url = match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => return None,
    };
    Some((url, name))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let clients = env_or("BENCH_CLIENTS", 32usize);
    let seconds = env_or("BENCH_SECONDS", 10u64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temporary folder");
    let sqlite_url = format!("sqlite://{}/bench.db", dir.path().display());
    runtime.block_on(bench_engine("SQLite", &sqlite_url, clients, seconds));
    if let Some((url, name)) = postgres_database() {
        runtime.block_on(bench_engine("PostgreSQL", &url, clients, seconds));
        let admin = std::env::var("PROCURA_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        if let Ok(mut conn) = diesel::PgConnection::establish(&admin) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}
