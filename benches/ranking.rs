//! Ranking benchmark: `cargo bench --bench ranking`.
//!
//! One RFP with `BENCH_BIDS` bids (default `100,1000,10000`), `BENCH_CRITERIA` criteria (default
//! 50: 48 scored out of 10 in 4 technical sections, plus a pass/fail and the price in a
//! commercial section) and `BENCH_EVALUATORS` evaluators (default 10), every evaluator scoring
//! every scored and pass/fail criterion of every bid: bids × 49 × 10 scores (4.9 million at
//! 10,000 bids). The data is deterministic (an LCG per bid): a bid's quality per criterion in
//! 0..=10, each evaluator within ±2 of it, in steps of 0.5; prices 50,000.00–150,000.00; one bid
//! in 40 failed on the pass/fail criterion by one evaluator. Rules: absolute normalisation,
//! lowest-ratio price score, no technical threshold, outlier share 0.25.
//!
//! Three tables (per engine for the last two):
//!
//! 1. **Calculation alone**: `procura::rfps::scoring::rank` on inputs built in memory (building
//!    is not timed); the median of 5 runs after a warm-up (3 when the warm-up takes over 2 s).
//! 2. **Through the endpoint**: a fresh database per size (a SQLite file in a temporary folder;
//!    a scratch PostgreSQL database from `PROCURA_BENCH_POSTGRES_URL`, else
//!    `PROCURA_TEST_POSTGRES_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`, skipped
//!    when unreachable, dropped at the end). Set-up (timed apart, not part of the figure): the
//!    release binary's `migrate`, a procurement token, then vendors, the RFP, its sections,
//!    criteria, evaluators, invitations, active bids and all scores written by bare multi-row
//!    `INSERT`s (1,000 rows each, a transaction per 1,000 bids of scores), the RFP moved to
//!    `prices_opened` by a direct `UPDATE` (the workflow is not what is measured), `ANALYZE`.
//!    Then a fresh `procura serve` (release) per size and `GET /api/v1/rfps/{id}/ranking?limit=100`
//!    timed until the whole body is read: the median of 5 after a warm-up (3 at ≥ 10,000 bids).
//!    Every response must be a 200 whose `ranked_count` + `disqualified` count is the number of
//!    bids, or the bench aborts. Peak RSS is the server's VmHWM after the runs.
//! 3. **Where the endpoint's time goes**: the same steps as `service::ranking`, called through
//!    the library in this process on the same database and timed one by one (the median of each
//!    over as many runs as the endpoint): reading the RFP, criteria, evaluators and bids; reading
//!    the scores (`repo::score_values_of`); parsing the score text and grouping by bid; `rank`;
//!    `ranking::view` (page of 100); JSON (`serde_json::to_vec`); freeing it all; then the whole
//!    `service::ranking` + JSON for comparison with the HTTP figure.
//!
//! **Growth** is (time ratio) / (bids ratio) against the previous size: 1.0 is linear, above 1
//! grows faster than the bids (2.0 at ×10 bids means ×20 time), below 1 slower (fixed costs
//! dominate at the small sizes). Figures are printed, never asserted: these machines are noisy.
//!
//! Other knobs: `BENCH_ENGINES` (default `sqlite,postgres`; `none` for the calculation only).

use chrono::{Duration as Span, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use procura::auth::{Actor, Role};
use procura::db::schema::{bids, rfp_criteria, rfp_evaluators, rfp_sections, rfps, vendors};
use procura::db::{DatabaseUrl, Db, Tx};
use procura::error::AppResult;
use procura::money::storage::{decimal_from_text, money_from_units};
use procura::money::Currency;
use procura::rfps::model::{bid_label, NormalisationMethod, PriceMethodName};
use procura::rfps::scoring::{self, Bid, Criterion, CriterionKind, Rules, Section};
use procura::rfps::{ranking as presentation, repo, service};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Rows per multi-row `INSERT`.
const ROWS_PER_INSERT: usize = 1_000;
/// Bids whose scores are written in one transaction.
const BIDS_PER_TRANSACTION: usize = 1_000;
/// The timestamp written on every set-up row.
const NOW: &str = "2026-06-01 12:00:00";
/// Ranked bids shown by the endpoint.
const PAGE: usize = 100;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn sizes() -> Vec<usize> {
    let list = std::env::var("BENCH_BIDS").unwrap_or_else(|_| "100,1000,10000".into());
    let sizes: Vec<usize> = list
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .filter(|&n| n > 0)
        .collect();
    assert!(!sizes.is_empty(), "BENCH_BIDS={list}: no bid count");
    sizes
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn for_bid(index: usize) -> Self {
        let mut lcg =
            Lcg(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        lcg.next();
        lcg
    }

    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }

    /// Uniform in 0..n (the modulo bias is negligible here).
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Scored,
    PassFail,
    Price,
}

/// The RFP's criteria: (section index, kind, weight), scored ones first, then the pass/fail and
/// the price; section weights, the commercial section last.
struct Shape {
    sections: Vec<i64>,
    criteria: Vec<(usize, Kind, i64)>,
    scored: usize,
    evaluators: usize,
}

impl Shape {
    fn new(criteria: usize, evaluators: usize) -> Self {
        assert!(
            criteria >= 3,
            "BENCH_CRITERIA must be at least 3 (scored, pass/fail, price)"
        );
        assert!(evaluators >= 1, "BENCH_EVALUATORS must be at least 1");
        let scored = criteria - 2;
        let technical = scored.min(4);
        let mut sections = [30, 25, 20, 10][..technical].to_vec();
        sections.push(15);
        let mut list: Vec<(usize, Kind, i64)> = (0..scored)
            .map(|i| (i % technical, Kind::Scored, 1 + (i % 5) as i64))
            .collect();
        list.push((technical, Kind::PassFail, 0));
        list.push((technical, Kind::Price, 1));
        Shape {
            sections,
            criteria: list,
            scored,
            evaluators,
        }
    }

    /// Score rows per bid: every evaluator on every scored and pass/fail criterion.
    fn scores_per_bid(&self) -> usize {
        (self.scored + 1) * self.evaluators
    }
}

/// One bid's generated values.
struct BidValues {
    /// In cents.
    price_cents: i64,
    /// Half-points per (scored criterion, evaluator), criterion-major.
    halves: Vec<u8>,
    /// The evaluator who marks the pass/fail criterion failed, if any.
    fail_by: Option<usize>,
}

fn bid_values(shape: &Shape, index: usize) -> BidValues {
    let mut rng = Lcg::for_bid(index);
    let price_cents = 5_000_000 + i64::from(rng.below(10_000_001));
    let mut halves = Vec::with_capacity(shape.scored * shape.evaluators);
    for _ in 0..shape.scored {
        let quality = rng.below(21) as i32;
        for _ in 0..shape.evaluators {
            let noise = rng.below(9) as i32 - 4;
            halves.push((quality + noise).clamp(0, 20) as u8);
        }
    }
    let fail_by = (rng.below(40) == 0).then(|| rng.below(shape.evaluators as u32) as usize);
    BidValues {
        price_cents,
        halves,
        fail_by,
    }
}

fn submitted_at(index: usize) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 5, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("date")
        + Span::seconds(index as i64 * 53)
}

/// The 21 possible scores as stored (canonical text) and as the calculator gets them.
fn score_texts() -> Vec<(String, Decimal)> {
    (0..=20i64)
        .map(|h| {
            let text = procura::money::storage::decimal_to_text(Decimal::new(h * 5, 1));
            let value = decimal_from_text(&text).expect("score");
            (text, value)
        })
        .collect()
}

fn rules() -> Rules {
    Rules {
        normalisation: scoring::Normalisation::Absolute,
        price_method: scoring::PriceMethod::LowestRatio,
        technical_threshold: None,
        outlier_share: Decimal::new(25, 2),
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// (time ratio) / (size ratio) against the previous size, as text.
fn growth(previous: Option<(usize, f64)>, n: usize, time: f64) -> String {
    match previous {
        Some((m, t)) if t > 0.0 => format!("{:.2}", (time / t) / (n as f64 / m as f64)),
        _ => "-".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The calculation alone.

fn calc_inputs(shape: &Shape, n: usize) -> (Vec<Section>, Vec<Criterion>, Vec<Bid>) {
    let sections: Vec<Section> = shape
        .sections
        .iter()
        .zip(1..)
        .map(|(&w, id)| Section {
            id,
            weight: Decimal::from(w),
        })
        .collect();
    let criteria: Vec<Criterion> = shape
        .criteria
        .iter()
        .zip(1..)
        .map(|(&(section, kind, weight), id)| Criterion {
            id,
            section: section as i64 + 1,
            kind: match kind {
                Kind::Scored => CriterionKind::Scored { max: Decimal::TEN },
                Kind::PassFail => CriterionKind::PassFail,
                Kind::Price => CriterionKind::Price,
            },
            weight: Decimal::from(weight),
        })
        .collect();
    let texts = score_texts();
    let pass_fail_id = shape.scored as i64 + 1;
    let bids = (0..n)
        .map(|i| {
            let v = bid_values(shape, i);
            let mut scores = Vec::with_capacity(shape.scores_per_bid());
            for c in 0..shape.scored {
                for e in 0..shape.evaluators {
                    let h = v.halves[c * shape.evaluators + e];
                    scores.push((e as i64 + 1, c as i64 + 1, texts[usize::from(h)].1));
                }
            }
            for e in 0..shape.evaluators {
                let pass = if v.fail_by == Some(e) {
                    Decimal::ZERO
                } else {
                    Decimal::ONE
                };
                scores.push((e as i64 + 1, pass_fail_id, pass));
            }
            Bid {
                id: i as i64 + 1,
                price: Decimal::new(v.price_cents, 2),
                submitted_at: submitted_at(i),
                scores,
                consensus: Vec::new(),
            }
        })
        .collect();
    (sections, criteria, bids)
}

fn calculation(shape: &Shape, sizes: &[usize]) {
    println!(
        "\ncalculation alone ({} criteria: {} scored, 1 pass/fail, 1 price; {} evaluators)",
        shape.criteria.len(),
        shape.scored,
        shape.evaluators
    );
    println!(
        "{:<8} {:>10} {:>9} {:>20} {:>6} {:>10} {:>13}",
        "bids", "ms/run", "µs/bid", "growth vs previous", "runs", "scores", "disqualified"
    );
    let rules = rules();
    let mut previous = None;
    for &n in sizes {
        let (sections, criteria, bids) = calc_inputs(shape, n);
        let run = || {
            let started = Instant::now();
            let ranking = scoring::rank(&rules, &sections, &criteria, &bids).expect("ranks");
            let elapsed = started.elapsed();
            assert_eq!(ranking.ranked.len() + ranking.disqualified.len(), n);
            (elapsed, ranking.disqualified.len())
        };
        let (warm, disqualified) = run();
        let runs = if warm > Duration::from_secs(2) { 3 } else { 5 };
        let t = ms(median((0..runs).map(|_| run().0).collect()));
        println!(
            "{:<8} {:>10.2} {:>9.2} {:>20} {:>6} {:>10} {:>13}",
            n,
            t,
            t * 1e3 / n as f64,
            growth(previous, n, t),
            runs,
            n * shape.scores_per_bid(),
            disqualified
        );
        previous = Some((n, t));
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Through the endpoint.

fn procura_cmd(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_procura"));
    command
        .env("DATABASE_URL", database_url)
        .env("PROCURA_LOG", "warn")
        .env("PROCURA_ALERT_INTERVAL", "0");
    command
}

fn run_cli(database_url: &str, args: &[&str]) -> String {
    let output = procura_cmd(database_url)
        .args(args)
        .output()
        .expect("procura runs");
    assert!(
        output.status.success(),
        "procura {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
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

async fn serve(database_url: &str) -> Server {
    let port = free_port();
    let child = procura_cmd(database_url)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .expect("procura serve starts");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client
            .get(format!("{}/health/live", server.base))
            .send()
            .await
        {
            if r.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("procura serve did not come up on {}", server.base);
}

/// A fresh database for one size, removed when dropped.
struct Scratch {
    url: String,
    postgres: Option<(String, String)>,
    file: Option<std::path::PathBuf>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres {
            if let Ok(mut conn) = diesel::PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Engine<'a> {
    Sqlite(&'a std::path::Path),
    Postgres(&'a str),
}

impl Engine<'_> {
    fn label(&self) -> &'static str {
        match self {
            Engine::Sqlite(_) => "SQLite",
            Engine::Postgres(_) => "PostgreSQL",
        }
    }

    fn scratch(&self, n: usize) -> Scratch {
        match self {
            Engine::Sqlite(dir) => {
                let file = dir.join(format!("ranking-{n}.db"));
                Scratch {
                    url: format!("sqlite://{}", file.display()),
                    postgres: None,
                    file: Some(file),
                }
            }
            Engine::Postgres(admin) => {
                let name = format!("procura_ranking_bench_{}_{n}", std::process::id());
                let mut conn = diesel::PgConnection::establish(admin).expect("PostgreSQL");
                // Separate statements: CREATE DATABASE cannot run inside a batch's transaction.
                for statement in [
                    format!("DROP DATABASE IF EXISTS {name}"),
                    format!("CREATE DATABASE {name}"),
                ] {
                    conn.batch_execute(&statement).expect("scratch database");
                }
                let (server, _) = admin.rsplit_once('/').expect("URL with a database");
                Scratch {
                    url: format!("{server}/{name}"),
                    postgres: Some((admin.to_string(), name)),
                    file: None,
                }
            }
        }
    }
}

fn postgres_admin() -> Option<String> {
    let admin = std::env::var("PROCURA_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("PROCURA_TEST_POSTGRES_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    procura::db::prepare_postgres_client();
    match diesel::PgConnection::establish(&admin) {
        Ok(_) => Some(admin),
        Err(error) => {
            println!("\nPostgreSQL: skipped ({})", error.to_string().trim());
            None
        }
    }
}

/// Appends `count` rows to `head` in multi-row `INSERT`s of [`ROWS_PER_INSERT`] rows.
fn insert_rows(
    tx: &mut Tx<'_>,
    head: &str,
    count: usize,
    mut row: impl FnMut(&mut String, usize),
) -> AppResult<()> {
    let mut sql = String::with_capacity(64 * ROWS_PER_INSERT);
    let mut pending = 0;
    for i in 0..count {
        if pending == 0 {
            sql.clear();
            sql.push_str(head);
            sql.push_str(" VALUES ");
        } else {
            sql.push_str(", ");
        }
        row(&mut sql, i);
        pending += 1;
        if pending == ROWS_PER_INSERT || i + 1 == count {
            tx.batch_execute(&sql)?;
            pending = 0;
        }
    }
    Ok(())
}

fn ids(tx: &mut Tx<'_>, sql_table: &str) -> AppResult<Vec<i64>> {
    let conn: &mut procura::db::DbConnection = tx;
    Ok(match sql_table {
        "vendors" => vendors::table
            .order(vendors::id)
            .select(vendors::id)
            .load(conn)?,
        "rfp_sections" => rfp_sections::table
            .order(rfp_sections::id)
            .select(rfp_sections::id)
            .load(conn)?,
        "rfp_criteria" => rfp_criteria::table
            .order(rfp_criteria::id)
            .select(rfp_criteria::id)
            .load(conn)?,
        "rfp_evaluators" => rfp_evaluators::table
            .order(rfp_evaluators::id)
            .select(rfp_evaluators::id)
            .load(conn)?,
        "bids" => bids::table.order(bids::id).select(bids::id).load(conn)?,
        "rfps" => rfps::table.order(rfps::id).select(rfps::id).load(conn)?,
        other => unreachable!("{other}"),
    })
}

struct SetUp {
    rfp_id: i64,
    token: String,
    migrate: f64,
    rows: f64,
    scores: usize,
    analyze: f64,
}

/// Migrates, creates a token and writes the RFP with every score.
fn set_up(url: &str, shape: &Shape, n: usize) -> SetUp {
    let started = Instant::now();
    run_cli(url, &["migrate"]);
    let migrate = started.elapsed().as_secs_f64();
    let token = run_cli(
        url,
        &[
            "token",
            "create",
            "--name",
            "bench-procurement",
            "--role",
            "procurement",
        ],
    )
    .lines()
    .last()
    .unwrap_or_default()
    .trim()
    .to_string();
    let db = Db::connect(DatabaseUrl::parse(url).expect("URL"), 2).expect("database");
    let started = Instant::now();
    let (rfp_id, bid_ids, criterion_ids, evaluator_ids) = db
        .write_blocking(|tx| {
            insert_rows(
                tx,
                "INSERT INTO vendors (name, tax_id, emails, status, notes, archived_at, version, \
                 created_at, updated_at)",
                n,
                |sql, i| {
                    let _ = write!(
                        sql,
                        "('Bench vendor {i:05}', NULL, '[]', 'active', NULL, NULL, 1, '{NOW}', '{NOW}')"
                    );
                },
            )?;
            let vendor_ids = ids(tx, "vendors")?;
            tx.batch_execute(&format!(
                "INSERT INTO rfps (number, title, description, project_id, currency, status, due_at, \
                 blind, normalisation, price_method, technical_threshold, outlier_share, \
                 consensus_required, status_reason, published_at, closed_at, prices_opened_at, \
                 evaluated_at, created_by, version, created_at, updated_at) VALUES \
                 ('RFP-BENCH-{n}', 'Ranking benchmark, {n} bids', NULL, NULL, 'EUR', \
                 'technical_evaluation', '2026-05-31 12:00:00', FALSE, 'absolute', 'lowest_ratio', \
                 NULL, '0.25', FALSE, NULL, '2026-05-01 09:00:00', '2026-05-31 12:00:00', NULL, \
                 NULL, 'bench', 1, '{NOW}', '{NOW}')"
            ))?;
            let rfp_id = *ids(tx, "rfps")?.last().expect("the RFP");
            insert_rows(
                tx,
                "INSERT INTO rfp_sections (rfp_id, position, name, weight)",
                shape.sections.len(),
                |sql, s| {
                    let _ = write!(
                        sql,
                        "({rfp_id}, {s}, 'Section {}', '{}')",
                        s + 1,
                        shape.sections[s]
                    );
                },
            )?;
            let section_ids = ids(tx, "rfp_sections")?;
            insert_rows(
                tx,
                "INSERT INTO rfp_criteria (rfp_id, section_id, position, name, description, kind, \
                 max_score, weight)",
                shape.criteria.len(),
                |sql, c| {
                    let (section, kind, weight) = shape.criteria[c];
                    let (kind, max) = match kind {
                        Kind::Scored => ("scored", "'10'"),
                        Kind::PassFail => ("pass_fail", "NULL"),
                        Kind::Price => ("price", "NULL"),
                    };
                    let _ = write!(
                        sql,
                        "({rfp_id}, {}, {c}, 'Criterion {}', NULL, '{kind}', {max}, '{weight}')",
                        section_ids[section],
                        c + 1
                    );
                },
            )?;
            let criterion_ids = ids(tx, "rfp_criteria")?;
            insert_rows(
                tx,
                "INSERT INTO rfp_evaluators (rfp_id, name, assigned_by, assigned_at)",
                shape.evaluators,
                |sql, e| {
                    let _ = write!(sql, "({rfp_id}, 'evaluator-{:02}', 'bench', '{NOW}')", e + 1);
                },
            )?;
            let evaluator_ids = ids(tx, "rfp_evaluators")?;
            insert_rows(
                tx,
                "INSERT INTO rfp_invitations (rfp_id, vendor_id, invited_at)",
                n,
                |sql, i| {
                    let _ = write!(sql, "({rfp_id}, {}, '{NOW}')", vendor_ids[i]);
                },
            )?;
            insert_rows(
                tx,
                "INSERT INTO bids (rfp_id, vendor_id, status, replaces_bid_id, price_units, \
                 price_lines, valid_until, notes, submitted_by, submitted_at)",
                n,
                |sql, i| {
                    let units = bid_values(shape, i).price_cents * 100;
                    let _ = write!(
                        sql,
                        "({rfp_id}, {}, 'active', NULL, {units}, '[]', '2026-12-31', NULL, 'bench', '{}')",
                        vendor_ids[i],
                        submitted_at(i).format("%Y-%m-%d %H:%M:%S")
                    );
                },
            )?;
            let bid_ids = ids(tx, "bids")?;
            Ok((rfp_id, bid_ids, criterion_ids, evaluator_ids))
        })
        .expect("set-up rows");
    assert_eq!(bid_ids.len(), n);
    let texts = score_texts();
    let per_bid = shape.scores_per_bid();
    let pass_fail_id = criterion_ids[shape.scored];
    for first in (0..n).step_by(BIDS_PER_TRANSACTION) {
        let last = (first + BIDS_PER_TRANSACTION).min(n);
        let values: Vec<BidValues> = (first..last).map(|i| bid_values(shape, i)).collect();
        db.write_blocking(|tx| {
            insert_rows(
                tx,
                "INSERT INTO bid_scores (bid_id, criterion_id, evaluator_id, score, comment, scored_at)",
                values.len() * per_bid,
                |sql, k| {
                    let (b, r) = (k / per_bid, k % per_bid);
                    let v = &values[b];
                    let (c, e) = (r / shape.evaluators, r % shape.evaluators);
                    let (criterion, score) = if c < shape.scored {
                        let h = v.halves[c * shape.evaluators + e];
                        (criterion_ids[c], texts[usize::from(h)].0.as_str())
                    } else if v.fail_by == Some(e) {
                        (pass_fail_id, "0")
                    } else {
                        (pass_fail_id, "1")
                    };
                    let _ = write!(
                        sql,
                        "({}, {criterion}, {}, '{score}', NULL, '{NOW}')",
                        bid_ids[first + b],
                        evaluator_ids[e]
                    );
                },
            )
        })
        .expect("scores");
    }
    db.write_blocking(|tx| {
        tx.batch_execute(&format!(
            "UPDATE rfps SET status = 'prices_opened', prices_opened_at = '{NOW}', version = 2 \
             WHERE id = {rfp_id}"
        ))?;
        Ok(())
    })
    .expect("prices opened");
    let rows = started.elapsed().as_secs_f64();
    let started = Instant::now();
    db.read_blocking(|conn| {
        conn.batch_execute("ANALYZE")?;
        Ok(())
    })
    .expect("ANALYZE");
    SetUp {
        rfp_id,
        token,
        migrate,
        rows,
        scores: n * per_bid,
        analyze: started.elapsed().as_secs_f64(),
    }
}

struct EndpointRun {
    median: Duration,
    runs: usize,
    peak_rss_kib: u64,
    body_bytes: usize,
    ranked: u64,
    disqualified: usize,
}

async fn time_endpoint(server: &Server, token: &str, rfp_id: i64, n: usize) -> EndpointRun {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(900))
        .build()
        .expect("HTTP client");
    let url = format!("{}/api/v1/rfps/{rfp_id}/ranking?limit={PAGE}", server.base);
    let request = || async {
        let started = Instant::now();
        let response = client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .expect("ranking request");
        let status = response.status();
        let body = response.bytes().await.expect("ranking body");
        let elapsed = started.elapsed();
        let excerpt = || String::from_utf8_lossy(&body[..body.len().min(600)]).into_owned();
        assert!(
            status == reqwest::StatusCode::OK,
            "GET {url}: {status}: {}",
            excerpt()
        );
        let json: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("GET {url}: not JSON ({e}): {}", excerpt()));
        let ranked = json["ranked_count"].as_u64().unwrap_or(u64::MAX);
        let disqualified = json["disqualified"].as_array().map_or(usize::MAX, Vec::len);
        assert!(
            ranked.saturating_add(disqualified as u64) == n as u64,
            "GET {url}: ranked_count {ranked} + disqualified {disqualified} != {n} bids: {}",
            excerpt()
        );
        (elapsed, body.len(), ranked, disqualified)
    };
    let (_, body_bytes, ranked, disqualified) = request().await;
    let runs = if n >= 10_000 { 3 } else { 5 };
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        times.push(request().await.0);
    }
    EndpointRun {
        median: median(times),
        runs,
        peak_rss_kib: status_kib(server.child.id(), "VmHWM:"),
        body_bytes,
        ranked,
        disqualified,
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Where the endpoint's time goes.

const PHASES: [&str; 8] = [
    "rfp+bids",
    "scores",
    "parse",
    "rank",
    "view",
    "JSON",
    "free",
    "service+JSON",
];

/// One pass of `service::ranking`'s steps through the library, each timed, then the whole
/// `service::ranking` + JSON.
fn phases_once(db: &Db, rfp_id: i64, n: usize) -> [Duration; 8] {
    db.read_blocking(|conn| {
        let mut out = [Duration::ZERO; 8];
        let mut clock = Instant::now();
        let mut lap = |slot: usize, out: &mut [Duration; 8]| {
            out[slot] = clock.elapsed();
            clock = Instant::now();
        };
        // service::ranking → stored → repo::find; evaluate → load_evaluation.
        let rfp = repo::find(conn, rfp_id)?.expect("the RFP");
        let (sections, criteria) = repo::criteria_of(conn, rfp_id)?;
        let evaluators = repo::evaluators_of(conn, rfp_id)?;
        let conflicts = repo::conflicts_of(conn, rfp_id)?;
        let all = repo::bids_of(conn, rfp_id)?;
        let consensus = repo::consensus_of(conn, rfp_id)?;
        lap(0, &mut out);
        let scores = repo::score_values_of(conn, rfp_id)?;
        lap(1, &mut out);
        // load_criteria, labels and evaluate's conversion to the calculator's inputs.
        let text = |t: &str| decimal_from_text(t).expect("decimal");
        let calc_sections: Vec<Section> = sections
            .iter()
            .map(|s| Section {
                id: s.id,
                weight: text(&s.weight),
            })
            .collect();
        let calc_criteria: Vec<Criterion> = criteria
            .iter()
            .map(|c| Criterion {
                id: c.id,
                section: c.section_id,
                kind: match c.kind.as_str() {
                    "scored" => CriterionKind::Scored {
                        max: text(c.max_score.as_deref().unwrap_or("0")),
                    },
                    "pass_fail" => CriterionKind::PassFail,
                    _ => CriterionKind::Price,
                },
                weight: text(&c.weight),
            })
            .collect();
        let mut order: HashMap<i64, usize> = HashMap::new();
        for bid in &all {
            let next = order.len();
            order.entry(bid.vendor_id).or_insert(next);
        }
        let labels: HashMap<i64, String> = all
            .iter()
            .map(|b| (b.id, bid_label(order[&b.vendor_id])))
            .collect();
        let active: Vec<repo::BidRow> = all
            .iter()
            .filter(|b| b.status == "active")
            .cloned()
            .collect();
        let currency = Currency::parse(&rfp.currency).expect("currency");
        let mut grouped: HashMap<i64, Vec<(i64, i64, Decimal)>> = HashMap::new();
        for s in &scores {
            grouped.entry(s.0).or_default().push((s.2, s.1, text(&s.3)));
        }
        let mut agreed: HashMap<i64, Vec<(i64, Decimal)>> = HashMap::new();
        for c in &consensus {
            agreed.entry(c.0).or_default().push((c.1, text(&c.2)));
        }
        let calc_bids: Vec<Bid> = active
            .iter()
            .map(|b| Bid {
                id: b.id,
                price: money_from_units(b.price_units, currency)
                    .expect("price")
                    .amount(),
                submitted_at: b.submitted_at,
                scores: grouped.remove(&b.id).unwrap_or_default(),
                consensus: agreed.remove(&b.id).unwrap_or_default(),
            })
            .collect();
        let rules = Rules {
            normalisation: match rfp.scoring.normalisation {
                NormalisationMethod::Absolute => scoring::Normalisation::Absolute,
                NormalisationMethod::RelativeToBest => scoring::Normalisation::RelativeToBest,
            },
            price_method: match rfp.scoring.price_method {
                PriceMethodName::LowestRatio => scoring::PriceMethod::LowestRatio,
                PriceMethodName::Linear => scoring::PriceMethod::Linear,
            },
            technical_threshold: rfp.scoring.technical_threshold.as_deref().map(text),
            outlier_share: text(&rfp.scoring.outlier_share),
        };
        lap(2, &mut out);
        let ranking =
            scoring::rank(&rules, &calc_sections, &calc_criteria, &calc_bids).expect("ranks");
        lap(3, &mut out);
        let view = presentation::view(
            &rfp,
            &ranking,
            &active,
            &labels,
            &evaluators,
            &criteria,
            Some((0, PAGE)),
        )?;
        lap(4, &mut out);
        let json = serde_json::to_vec(&view).expect("JSON");
        lap(5, &mut out);
        assert_eq!(ranking.ranked.len() + ranking.disqualified.len(), n);
        drop((scores, grouped, calc_bids, ranking, view, json, all, active));
        drop((conflicts, labels));
        lap(6, &mut out);
        let actor = Actor {
            token_id: 0,
            name: "bench-procurement".into(),
            role: Role::Procurement,
        };
        let whole = service::ranking(conn, &actor, rfp_id, Some((0, PAGE)))?;
        let json = serde_json::to_vec(&whole).expect("JSON");
        drop((whole, json));
        lap(7, &mut out);
        Ok(out)
    })
    .expect("phases")
}

fn phases(db: &Db, rfp_id: i64, n: usize, runs: usize) -> [f64; 8] {
    let samples: Vec<[Duration; 8]> = (0..runs).map(|_| phases_once(db, rfp_id, n)).collect();
    let mut out = [0.0; 8];
    for (slot, value) in out.iter_mut().enumerate() {
        *value = ms(median(samples.iter().map(|s| s[slot]).collect()));
    }
    out
}

struct Row {
    n: usize,
    set_up: SetUp,
    endpoint: EndpointRun,
    phases: [f64; 8],
}

fn engine(runtime: &tokio::runtime::Runtime, engine: Engine<'_>, shape: &Shape, sizes: &[usize]) {
    let label = engine.label();
    let mut rows: Vec<Row> = Vec::new();
    for &n in sizes {
        let scratch = engine.scratch(n);
        let set_up = set_up(&scratch.url, shape, n);
        println!(
            "{label} set-up, {n} bids: migrate {:.1} s, rows {:.1} s ({} scores, {:.0} rows/s), ANALYZE {:.1} s",
            set_up.migrate,
            set_up.rows,
            set_up.scores,
            set_up.scores as f64 / set_up.rows,
            set_up.analyze
        );
        let endpoint = runtime.block_on(async {
            let server = serve(&scratch.url).await;
            time_endpoint(&server, &set_up.token, set_up.rfp_id, n).await
        });
        let db = Db::connect(DatabaseUrl::parse(&scratch.url).expect("URL"), 1).expect("database");
        let phases = phases(&db, set_up.rfp_id, n, endpoint.runs);
        drop(db);
        rows.push(Row {
            n,
            set_up,
            endpoint,
            phases,
        });
        drop(scratch);
    }

    println!("\n{label}: ranking endpoint (limit={PAGE})");
    println!(
        "{:<8} {:>10} {:>12} {:>8} {:>14} {:>13} {:>8} {:>13} {:>5}",
        "bids",
        "set-up s",
        "ms/request",
        "growth",
        "peak RSS MiB",
        "response KiB",
        "ranked",
        "disqualified",
        "runs"
    );
    let mut previous = None;
    for r in &rows {
        let t = ms(r.endpoint.median);
        let s = &r.set_up;
        println!(
            "{:<8} {:>10.1} {:>12.1} {:>8} {:>14} {:>13} {:>8} {:>13} {:>5}",
            r.n,
            s.migrate + s.rows + s.analyze,
            t,
            growth(previous, r.n, t),
            r.endpoint.peak_rss_kib / 1024,
            r.endpoint.body_bytes / 1024,
            r.endpoint.ranked,
            r.endpoint.disqualified,
            r.endpoint.runs
        );
        previous = Some((r.n, t));
    }

    println!(
        "\n{label}: where the endpoint's time goes (ms, library calls in the bench process, median per step)"
    );
    let mut header = format!("{:<8}", "bids");
    for name in PHASES {
        let _ = write!(header, " {name:>12}");
    }
    let _ = write!(header, " {:>10} {:>10}", "steps sum", "HTTP");
    println!("{header}");
    for r in &rows {
        let mut line = format!("{:<8}", r.n);
        for value in r.phases {
            let _ = write!(line, " {value:>12.1}");
        }
        let sum: f64 = r.phases[..7].iter().sum();
        let _ = write!(line, " {sum:>10.1} {:>10.1}", ms(r.endpoint.median));
        println!("{line}");
    }
    println!("{label}: growth per step (vs previous size; 1.0 = linear)");
    println!("{header}");
    for pair in rows.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let mut line = format!("{:<8}", b.n);
        for slot in 0..8 {
            let _ = write!(
                line,
                " {:>12}",
                growth(Some((a.n, a.phases[slot])), b.n, b.phases[slot])
            );
        }
        let (sa, sb): (f64, f64) = (a.phases[..7].iter().sum(), b.phases[..7].iter().sum());
        let _ = write!(
            line,
            " {:>10} {:>10}",
            growth(Some((a.n, sa)), b.n, sb),
            growth(
                Some((a.n, ms(a.endpoint.median))),
                b.n,
                ms(b.endpoint.median)
            )
        );
        println!("{line}");
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes = sizes();
    let shape = Shape::new(
        env_or("BENCH_CRITERIA", 50usize),
        env_or("BENCH_EVALUATORS", 10usize),
    );
    calculation(&shape, &sizes);

    let engines = std::env::var("BENCH_ENGINES").unwrap_or_else(|_| "sqlite,postgres".into());
    let wanted = |name: &str| {
        engines
            .split(',')
            .any(|e| e.trim().eq_ignore_ascii_case(name))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if wanted("sqlite") {
        let dir = tempfile::tempdir().expect("temporary folder");
        engine(&runtime, Engine::Sqlite(dir.path()), &shape, &sizes);
    }
    if wanted("postgres") {
        if let Some(admin) = postgres_admin() {
            engine(&runtime, Engine::Postgres(&admin), &shape, &sizes);
        }
    }
}
