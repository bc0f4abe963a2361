//! Forecast benchmark: `cargo bench --bench forecast`.
//!
//! One project with `BENCH_INVOICE_LINES` invoice lines (1,000,000 by default) and
//! `BENCH_PO_LINES` purchase-order lines (100,000 by default), on SQLite and, when reachable,
//! PostgreSQL (`PROCURA_BENCH_POSTGRES_URL`, else `PROCURA_TEST_POSTGRES_URL`, else
//! `postgres://postgres@127.0.0.1:5432/postgres`; a scratch database is created and dropped).
//!
//! 1. Set-up, timed and printed on its own, not part of the comparison: a fresh database is
//!    migrated (`Db::migrate`); a vendor, a project in EUR running 2026-01..2027-12, 10 budget
//!    lines (sized to what the documents spend, phased evenly over the 24 months), budget
//!    change requests (one approved, one pending, one rejected), estimates to complete and
//!    progress entries are made through the library's services; then the documents are
//!    bulk-loaded with bare multi-row `INSERT`s (1,000 rows a statement, 100,000 rows a
//!    transaction): `BENCH_PO_LINES / 100` purchase orders of about 100 lines (90 % in
//!    committed statuses, spread over the months, partly received and invoiced, with stored
//!    accruals) and `BENCH_INVOICE_LINES / 100` invoices of about 100 lines (dated over the 24
//!    months; 94 % approved or paid, 1 % of them credit memos, the rest on hold, received or
//!    rejected, which do not count), then `ANALYZE` on both engines (Procura itself never runs
//!    it; on SQLite the statistics change some plans). Values are deterministic; the expected
//!    project actual and committed are summed while loading.
//! 2. Timed, `BENCH_REPEATS` (default 20) times each after 2 warm-ups, alternating which goes
//!    first:
//!    - **endpoint**: `GET /api/v1/projects/{id}/forecast?as_of=2027-06-15` over HTTP
//!      (keep-alive, one request at a time) against the release `procura serve` on that
//!      database, from sending the request to having read the whole body; every response must
//!      be 200, and the project's `actual` and `committed` must equal the loaded sums (the run
//!      aborts otherwise);
//!    - **bare aggregates**, the baseline: the SQL the endpoint runs, copied from
//!      `src/ledger/repo.rs` (committed_by_day, actual_by_day, approved_changes_by_line,
//!      pending_changes_by_line, latest_estimates) plus the project, budget lines,
//!      budget_line_months and progress reads, executed with `diesel::sql_query` on one
//!      connection of a `procura::db::Db` into the same `QueryableByName` structs: no HTTP, no
//!      token check, no arithmetic, no JSON. Before timing, the copies are checked to return
//!      exactly what the library's own `ledger::repo` functions return (the run aborts when the
//!      library's SQL has changed and this copy is stale).
//!
//! Prints, per engine, median (p50) and p95 latency of both, and the ratio endpoint / bare of
//! the medians (the product goal is at most 2×): the ratio is what HTTP, auth, the forecast
//! arithmetic and JSON add on top of the database's own work. Also prints the rows each bare
//! query returned (they grow with budget lines × days, never with the number of documents),
//! each bare query's median, and the server's resident memory idle and at its peak (VmHWM)
//! after the endpoint runs. Percentiles are nearest-rank. Figures are printed, never
//! asserted: these machines are noisy.
//!
//! The server runs with its alert worker off (`PROCURA_ALERT_INTERVAL=0`) so no scheduled run
//! lands inside a measurement. Knobs: `BENCH_PO_LINES`, `BENCH_INVOICE_LINES`, `BENCH_REPEATS`.

use chrono::{Duration as Days, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use procura::auth::{Actor, Role};
use procura::db::{DatabaseUrl, Db, DbConnection};
use procura::ledger::repo::{ActualOnDay, CommittedOnDay, LatestEstimate, LineTotal};
use procura::money::storage::decimal_to_text;
use procura::purchase_orders::model::PoStatus;
use rust_decimal::Decimal;
use std::cell::Cell;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BUDGET_LINES: usize = 10;
const LINES_PER_DOCUMENT: usize = 100;
const ROWS_PER_STATEMENT: usize = 1_000;
const ROWS_PER_TRANSACTION: usize = 100_000;
const WARM_UPS: usize = 2;
const AS_OF: &str = "2027-06-15";
const AS_OF_MONTH: &str = "2027-06";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn admin_url() -> String {
    std::env::var("PROCURA_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("PROCURA_TEST_POSTGRES_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

struct Scale {
    po_lines: usize,
    invoice_lines: usize,
    repeats: usize,
}

impl Scale {
    fn pos(&self) -> usize {
        self.po_lines.div_ceil(LINES_PER_DOCUMENT).max(1)
    }

    fn invoices(&self) -> usize {
        self.invoice_lines.div_ceil(LINES_PER_DOCUMENT).max(1)
    }
}

/// Document `j` of `documents` sharing `lines` lines: its first global line index and count.
fn line_range(j: usize, documents: usize, lines: usize) -> (usize, usize) {
    let (base, extra) = (lines / documents, lines % documents);
    (j * base + j.min(extra), base + usize::from(j < extra))
}

fn actor(token_id: i64, name: &str) -> Actor {
    Actor {
        token_id,
        name: name.to_string(),
        role: Role::Admin,
    }
}

fn d(text: &str) -> Decimal {
    procura::money::parse_decimal(text).expect("decimal")
}

fn day(n: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + Days::days(n as i64)
}

/// Cents as canonical decimal text (`123.4`, `50`).
fn cents_text(cents: i64) -> String {
    decimal_to_text(Decimal::new(cents, 2))
}

fn nullable(value: Option<String>) -> String {
    value.map_or_else(|| "NULL".into(), |v| format!("'{v}'"))
}

/// Runs multi-row INSERTs of `rows` into `head` (`INSERT INTO t (cols) VALUES`), 1,000 rows a
/// statement, 100,000 rows a transaction.
fn bulk_insert(db: &Db, head: &str, rows: impl Iterator<Item = String>) -> usize {
    let mut rows = rows.peekable();
    let mut written = 0;
    while rows.peek().is_some() {
        written += db
            .write_blocking(|tx| {
                let mut in_tx = 0;
                let mut batch = Vec::with_capacity(ROWS_PER_STATEMENT);
                while in_tx < ROWS_PER_TRANSACTION {
                    batch.clear();
                    batch.extend(rows.by_ref().take(ROWS_PER_STATEMENT));
                    if batch.is_empty() {
                        break;
                    }
                    tx.batch_execute(&format!("{head} {}", batch.join(", ")))?;
                    in_tx += batch.len();
                }
                Ok(in_tx)
            })
            .expect("bulk insert");
    }
    written
}

/// The project and what the figures should come to.
struct Loaded {
    project_id: i64,
    expected_actual: i64,
    expected_committed: i64,
}

/// Vendor, project, budget lines, change requests, estimates and progress, through the services.
fn create_through_services(db: &Db, scale: &Scale) -> (i64, i64, Vec<i64>) {
    let admin = actor(1, "bench-admin");
    let approver = actor(2, "bench-approver");
    db.write_blocking(|tx| {
        let vendor = procura::vendors::service::create(
            tx,
            &admin,
            procura::vendors::model::VendorDraft::parse(
                "Forecast bench vendor",
                Some("FCBENCH01"),
                &["billing@vendor.example".to_string()],
                procura::vendors::model::VendorStatus::Active,
                &[],
                None,
            )?,
        )?;
        let project = procura::projects::service::create(
            tx,
            &admin,
            procura::projects::model::ProjectDraft::parse(
                procura::projects::model::ProjectFields {
                    code: "FCBENCH".into(),
                    name: "Forecast benchmark".into(),
                    currency: "EUR".into(),
                    pm_name: Some("Bench PM".into()),
                    start_date: NaiveDate::from_ymd_opt(2026, 1, 1),
                    end_date: NaiveDate::from_ymd_opt(2027, 12, 31),
                    ..Default::default()
                },
            )?,
        )?;
        // About what the loaded documents will spend (an invoice line averages 210 EUR, a PO
        // line 2,750 EUR), 90 % to 108 % of it per line, in whole thousands.
        let spend = (scale.invoice_lines as i64 * 210 + scale.po_lines as i64 * 2_750)
            / BUDGET_LINES as i64;
        let budget = |i: usize| (spend * (90 + 2 * i as i64) / 100_000).max(10) * 1_000;
        let mut lines = Vec::with_capacity(BUDGET_LINES);
        for i in 0..BUDGET_LINES {
            let line = procura::budgets::service::create(
                tx,
                &admin,
                procura::budgets::service::NewLine {
                    project_id: project.id,
                    category: if i % 2 == 0 {
                        procura::budgets::model::BudgetCategory::Capex
                    } else {
                        procura::budgets::model::BudgetCategory::Opex
                    },
                    cost_center: format!("CC-{:02}", i + 1),
                    description: Some(format!("Workstream {}", i + 1)),
                    amount: Decimal::from(budget(i)),
                    months: None,
                },
            )?;
            lines.push(line.id);
        }
        use procura::budgets::change_requests::service as changes;
        let proposal = |amount: i64, reason: &str| changes::Proposal {
            reason: reason.into(),
            amount: Some(Decimal::from(amount)),
            months: None,
        };
        let more = |i: usize| budget(i) + budget(i) / 20;
        let approved = changes::propose(tx, &admin, lines[0], proposal(more(0), "Scope"))?;
        changes::approve(tx, &approver, approved.id, None)?;
        changes::propose(tx, &admin, lines[1], proposal(more(1), "Pending"))?;
        let rejected = changes::propose(tx, &admin, lines[2], proposal(1_000, "Cut"))?;
        changes::reject(tx, &approver, rejected.id, "No".into())?;
        use procura::ledger::estimates::{enter_estimate, enter_progress, NewProgress};
        for (line, percent) in [(0, 10), (0, 25), (3, 0), (5, 7)] {
            let amount = Decimal::from(budget(line) * percent / 100) + d("0.5");
            enter_estimate(tx, &admin, lines[line], amount, Some("Bench".into()))?;
        }
        for (line, month, percent) in [
            (None, "2027-05", "55"),
            (None, "2027-09", "80"), // after the as-of month: ignored
            (Some(lines[0]), "2027-04", "40"),
            (Some(lines[0]), "2027-06", "47.5"),
            (Some(lines[4]), "2027-05", "60"),
        ] {
            enter_progress(
                tx,
                &admin,
                project.id,
                NewProgress {
                    budget_line_id: line,
                    month: month.into(),
                    percent_complete: d(percent),
                    note: None,
                },
            )?;
        }
        Ok((vendor.id, project.id, lines))
    })
    .expect("services set-up")
}

/// PO `p`'s status: 90 % of POs are in a status that commits budget.
fn po_status(p: usize) -> &'static str {
    match p % 20 {
        0 => "draft",
        1 => "cancelled",
        2..=4 => "approved",
        5..=10 => "issued",
        11..=15 => "partially_received",
        _ => "received",
    }
}

/// PO line `k` (global index): its row after `po_id`, net and tax units, and what it commits.
struct PoLine {
    values: String,
    net: i64,
    tax: i64,
    open: i64,
}

fn po_line(k: usize, line_no: usize, status: &str, ordered: NaiveDate, lines: &[i64]) -> PoLine {
    let price_cents = 5 * (1_000 + (k as i64 * 7_919) % 9_000); // 50.00 to 499.95
    let net_cents = 10 * price_cents;
    let (net, tax) = (net_cents * 100, net_cents * 20);
    let received: i64 = match status {
        "partially_received" => (k % 10) as i64,
        "received" => 10,
        _ => 0,
    };
    let invoiced = received / 2;
    let released = net * invoiced / 10;
    let accrued = net * (received - invoiced) / 10;
    let promised = (k % 10 != 0).then(|| {
        (ordered + Days::days((k % 180) as i64))
            .min(NaiveDate::from_ymd_opt(2027, 12, 31).expect("date"))
            .to_string()
    });
    let values = format!(
        "{line_no}, 'Item {k}', '10', 'each', '{}', '20', {}, FALSE, NULL, {}, {net}, {tax}, \
         {net}, '{received}', '{invoiced}', {released}, {accrued})",
        cents_text(price_cents),
        lines[k % lines.len()],
        nullable(promised),
    );
    PoLine {
        values,
        net,
        tax,
        open: (net - released).max(0),
    }
}

fn load_purchase_orders(
    db: &Db,
    scale: &Scale,
    vendor_id: i64,
    project_id: i64,
    lines: &[i64],
) -> i64 {
    let pos = scale.pos();
    let po_date = |p: usize| day(p * 700 / pos);
    let headers = (0..pos).map(|p| {
        let status = po_status(p);
        let (first, count) = line_range(p, pos, scale.po_lines);
        let (mut net, mut tax) = (0, 0);
        for k in first..first + count {
            let line = po_line(k, 0, status, po_date(p), lines);
            net += line.net;
            tax += line.tax;
        }
        let stamp = format!("'{} 09:00:00'", po_date(p));
        let when = |yes: bool| if yes { stamp.as_str() } else { "NULL" };
        let (approved, issued) = (status != "draft", !matches!(status, "draft" | "approved"));
        format!(
            "('PO-FC-{p:06}', {vendor_id}, {project_id}, NULL, 'EUR', 'EUR', '1', '{}', \
             '{status}', 1, 'bench-pm', 1, NULL, {net}, {tax}, {}, {net}, {net}, 1, NULL, {}, \
             {}, {}, NULL, 3, {stamp}, {stamp})",
            po_date(p),
            net + tax,
            when(approved),
            when(approved),
            when(issued),
        )
    });
    bulk_insert(
        db,
        "INSERT INTO purchase_orders (number, vendor_id, project_id, contract_id, currency, \
         budget_currency, fx_rate, order_date, status, revision, requested_by, \
         requested_by_token, notes, net_units, tax_units, total_units, net_budget_units, \
         approved_net_budget_units, approvals_required, status_reason, submitted_at, \
         approved_at, issued_at, closed_at, version, created_at, updated_at) VALUES",
        headers,
    );
    let ids: Vec<(i64, String)> = db
        .read_blocking(|conn| {
            use procura::db::schema::purchase_orders::dsl::*;
            Ok(purchase_orders
                .filter(project_id.eq(project_id))
                .order(id)
                .select((id, status))
                .load(conn)?)
        })
        .expect("PO ids");
    assert_eq!(ids.len(), pos, "PO count");
    let committed: Vec<&str> = PoStatus::COMMITTED.iter().map(|s| s.as_str()).collect();
    let expected = Cell::new(0i64);
    let rows = ids.iter().enumerate().flat_map(|(p, (po_id, status))| {
        let (first, count) = line_range(p, pos, scale.po_lines);
        let counts = committed.contains(&status.as_str());
        let expected = &expected;
        (first..first + count).map(move |k| {
            let line = po_line(k, k - first + 1, status, po_date(p), lines);
            if counts {
                expected.set(expected.get() + line.open);
            }
            format!("({po_id}, {}", line.values)
        })
    });
    let written = bulk_insert(
        db,
        "INSERT INTO purchase_order_lines (po_id, line_no, description, quantity, unit, \
         unit_price, tax_percent, budget_line_id, is_asset, asset_category, promised_date, \
         net_units, tax_units, net_budget_units, quantity_received, quantity_invoiced, \
         released_budget_units, accrued_budget_units) VALUES",
        rows,
    );
    assert_eq!(written, scale.po_lines, "PO line count");
    expected.get()
}

/// Invoice `j`: its kind and status.
fn invoice_kind_status(j: usize) -> (&'static str, &'static str) {
    match j % 100 {
        0 | 50 => ("invoice", "on_hold"),
        1 | 51 => ("invoice", "received"),
        2 | 52 => ("invoice", "rejected"),
        // A credit memo of invoice j − 1,001, an approved one loaded by an earlier statement.
        99 if j > ROWS_PER_STATEMENT => ("credit_memo", "approved"),
        n if n % 10 == 3 => ("invoice", "paid"),
        _ => ("invoice", "approved"),
    }
}

/// Invoice line `m` (global index): (quantity, unit price in cents), net = quantity × price.
fn invoice_line_price(m: usize) -> (i64, i64) {
    (
        1 + (m % 4) as i64,
        5 * (200 + (m as i64 * 104_729) % 3_000), // 10.00 to 159.95
    )
}

fn load_invoices(db: &Db, scale: &Scale, vendor_id: i64, lines: &[i64]) -> i64 {
    let invoices = scale.invoices();
    let number = |j: usize| format!("INV-FC-{j:06}");
    let headers = (0..invoices).map(|j| {
        let (kind, status) = invoice_kind_status(j);
        let sign = if kind == "credit_memo" { -1 } else { 1 };
        let (first, count) = line_range(j, invoices, scale.invoice_lines);
        let net_cents: i64 = (first..first + count)
            .map(|m| {
                let (q, p) = invoice_line_price(m);
                q * p
            })
            .sum();
        let (net, tax) = (sign * net_cents * 100, sign * net_cents * 20);
        let date = day(j * 730 / invoices);
        let stamp = format!("'{date} 10:00:00'");
        let posted = matches!(status, "approved" | "paid");
        let original = if kind == "credit_memo" {
            format!(
                "(SELECT id FROM invoices \
                 WHERE vendor_id = {vendor_id} AND normalised_number = '{}')",
                procura::invoices::model::normalise_number(&number(j - ROWS_PER_STATEMENT - 1))
            )
        } else {
            "NULL".into()
        };
        format!(
            "('{}', '{}', {vendor_id}, '{kind}', {original}, NULL, '{date}', '{}', 'EUR', {net}, \
             {tax}, {}, '{status}', '{}', 'bench-clerk', 3, {}, NULL, {}, {}, {}, 2, {stamp}, \
             {stamp})",
            number(j),
            procura::invoices::model::normalise_number(&number(j)),
            date + Days::days(30),
            net + tax,
            if status == "on_hold" {
                r#"["price"]"#
            } else {
                "[]"
            },
            if status == "rejected" || posted {
                "'bench-finance'"
            } else {
                "NULL"
            },
            if posted { "'bench-finance'" } else { "NULL" },
            if posted { stamp.as_str() } else { "NULL" },
            if status == "paid" { net + tax } else { 0 },
        )
    });
    bulk_insert(
        db,
        "INSERT INTO invoices (number, normalised_number, vendor_id, kind, original_invoice_id, \
         sla_measurement_id, invoice_date, due_date, currency, net_units, tax_units, \
         total_units, status, hold_reasons, created_by, created_by_token, decided_by, \
         decision_reason, approved_by, approved_at, paid_units, version, created_at, \
         updated_at) VALUES",
        headers,
    );
    type Ids = (Vec<(i64, String, String)>, Vec<(i64, i64)>);
    let (ids, po_lines): Ids = db
        .read_blocking(|conn| {
            use procura::db::schema::{invoices as i, purchase_order_lines as l};
            let ids = i::table
                .filter(i::vendor_id.eq(vendor_id))
                .order(i::id)
                .select((i::id, i::kind, i::status))
                .load(conn)?;
            let po_lines = l::table
                .order(l::id)
                .select((l::id, l::budget_line_id))
                .load(conn)?;
            Ok((ids, po_lines))
        })
        .expect("invoice and PO line ids");
    assert_eq!(ids.len(), invoices, "invoice count");
    let expected = Cell::new(0i64);
    let rows = ids
        .iter()
        .enumerate()
        .flat_map(|(j, (invoice_id, kind, status))| {
            let (first, count) = line_range(j, invoices, scale.invoice_lines);
            let credit = kind == "credit_memo";
            let posted = status == "approved" || status == "paid";
            let (po_lines, expected) = (&po_lines, &expected);
            (first..first + count).map(move |m| {
                let (q, p) = invoice_line_price(m);
                let net = if credit { -q * p * 100 } else { q * p * 100 };
                // 90 % of lines bill a PO line (on its budget line); the rest go straight to one.
                let (po_line, budget_line) = match po_lines.get(m % po_lines.len().max(1)) {
                    Some(&(id, line)) if m % 10 != 9 && !credit => (id.to_string(), line),
                    _ => ("NULL".to_string(), lines[(m / 10) % lines.len()]),
                };
                if posted {
                    expected.set(expected.get() + net);
                }
                let line_no = m - first + 1;
                format!(
                    "({invoice_id}, {line_no}, {po_line}, NULL, {budget_line}, 'Service {m}', \
                     '{q}', '{}', '20', {net}, {}, '1', {net}, '{{}}')",
                    cents_text(p),
                    net / 5,
                )
            })
        });
    let written = bulk_insert(
        db,
        "INSERT INTO invoice_lines (invoice_id, line_no, po_line_id, milestone_id, \
         budget_line_id, description, quantity, unit_price, tax_percent, net_units, tax_units, \
         fx_rate, net_budget_units, match_result) VALUES",
        rows,
    );
    assert_eq!(written, scale.invoice_lines, "invoice line count");
    expected.get()
}

fn set_up(engine: &str, db: &Db, scale: &Scale) -> Loaded {
    let started = Instant::now();
    db.migrate().expect("migrations");
    let migrated = started.elapsed();
    let (vendor_id, project_id, lines) = create_through_services(db, scale);
    let services = started.elapsed() - migrated;
    let expected_committed = load_purchase_orders(db, scale, vendor_id, project_id, &lines);
    let pos = started.elapsed() - migrated - services;
    let expected_actual = load_invoices(db, scale, vendor_id, &lines);
    let invoices = started.elapsed() - migrated - services - pos;
    db.read_blocking(|conn| Ok(conn.batch_execute("ANALYZE")?))
        .expect("ANALYZE");
    let analyzed = started.elapsed() - migrated - services - pos - invoices;
    println!(
        "{engine}: set-up {:.1} s: migrate {:.2} s, services (vendor, project, {BUDGET_LINES} \
         budget lines, change requests, estimates, progress) {:.2} s, {} POs / {} PO lines \
         {:.1} s, {} invoices / {} invoice lines {:.1} s, ANALYZE {:.1} s",
        started.elapsed().as_secs_f64(),
        migrated.as_secs_f64(),
        services.as_secs_f64(),
        scale.pos(),
        scale.po_lines,
        pos.as_secs_f64(),
        scale.invoices(),
        scale.invoice_lines,
        invoices.as_secs_f64(),
        analyzed.as_secs_f64(),
    );
    Loaded {
        project_id,
        expected_actual,
        expected_committed,
    }
}

// ---- The bare queries ----------------------------------------------------------------------

#[derive(Debug, QueryableByName)]
#[allow(dead_code)]
struct ProjectRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Nullable<Date>)]
    end_date: Option<NaiveDate>,
}

#[derive(Debug, QueryableByName)]
#[allow(dead_code)]
struct BudgetLineRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    cost_center: String,
    #[diesel(sql_type = BigInt)]
    amount_units: i64,
}

#[derive(Debug, QueryableByName)]
#[allow(dead_code)]
struct MonthRow {
    #[diesel(sql_type = BigInt)]
    budget_line_id: i64,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    amount_units: i64,
}

#[derive(Debug, QueryableByName)]
#[allow(dead_code)]
struct ProgressRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    budget_line_id: Option<i64>,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = Text)]
    percent_complete: String,
}

const QUERIES: [&str; 9] = [
    "project",
    "budget_lines",
    "budget_line_months",
    "committed_by_day",
    "actual_by_day",
    "approved_changes_by_line",
    "pending_changes_by_line",
    "latest_estimates",
    "progress",
];

fn quoted<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statements, in the order the endpoint runs them (copied from src/ledger/repo.rs,
/// src/ledger/mod.rs `project_units` and src/ledger/projection.rs `latest_progress`).
fn statements(project_id: i64) -> [String; 9] {
    let committed = quoted(PoStatus::COMMITTED.iter().map(|s| s.as_str()));
    let posted = quoted(procura::invoices::repo::POSTED.iter().copied());
    [
        format!("SELECT id, code, currency, end_date FROM projects WHERE id = {project_id}"),
        format!(
            "SELECT id, category, cost_center, amount_units FROM budget_lines \
             WHERE project_id = {project_id} ORDER BY id"
        ),
        format!(
            "SELECT m.budget_line_id AS budget_line_id, m.month AS month, \
                    m.amount_units AS amount_units \
             FROM budget_line_months m JOIN budget_lines b ON b.id = m.budget_line_id \
             WHERE b.project_id = {project_id}"
        ),
        format!(
            "SELECT l.budget_line_id AS budget_line_id, \
                    COALESCE(l.promised_date, p.order_date) AS day, \
                    CAST(COALESCE(SUM(CASE WHEN l.net_budget_units > l.released_budget_units \
                         THEN l.net_budget_units - l.released_budget_units ELSE 0 END), 0) AS BIGINT) AS committed, \
                    CAST(COALESCE(SUM(l.accrued_budget_units), 0) AS BIGINT) AS accrued \
             FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
             WHERE p.project_id = {project_id} AND p.status IN ({committed}) \
             GROUP BY l.budget_line_id, COALESCE(l.promised_date, p.order_date) \
             ORDER BY 1, 2"
        ),
        format!(
            "SELECT il.budget_line_id AS budget_line_id, i.invoice_date AS day, \
                    CAST(COALESCE(SUM(il.net_budget_units), 0) AS BIGINT) AS actual \
             FROM invoice_lines il JOIN invoices i ON i.id = il.invoice_id \
             JOIN budget_lines b ON b.id = il.budget_line_id \
             WHERE b.project_id = {project_id} AND i.status IN ({posted}) \
             GROUP BY il.budget_line_id, i.invoice_date \
             ORDER BY 1, 2"
        ),
        format!(
            "SELECT c.budget_line_id AS budget_line_id, \
                    CAST(COALESCE(SUM(c.amount_units - c.base_amount_units), 0) AS BIGINT) AS units \
             FROM budget_change_requests c JOIN budget_lines b ON b.id = c.budget_line_id \
             WHERE b.project_id = {project_id} AND c.status = 'approved' \
             GROUP BY c.budget_line_id ORDER BY 1"
        ),
        format!(
            "SELECT c.budget_line_id AS budget_line_id, CAST(COUNT(*) AS BIGINT) AS units \
             FROM budget_change_requests c JOIN budget_lines b ON b.id = c.budget_line_id \
             WHERE b.project_id = {project_id} AND c.status = 'proposed' \
             GROUP BY c.budget_line_id ORDER BY 1"
        ),
        format!(
            "SELECT e.budget_line_id AS budget_line_id, e.amount_units AS units, \
                    e.entered_by AS entered_by, e.entered_at AS entered_at, e.note AS note \
             FROM budget_line_estimates e JOIN budget_lines b ON b.id = e.budget_line_id \
             WHERE b.project_id = {project_id} AND e.id = ( \
                 SELECT MAX(e2.id) FROM budget_line_estimates e2 \
                 WHERE e2.budget_line_id = e.budget_line_id) \
             ORDER BY 1"
        ),
        format!(
            "SELECT id, budget_line_id, month, percent_complete FROM progress_records \
             WHERE project_id = {project_id} AND month <= '{AS_OF_MONTH}' ORDER BY id"
        ),
    ]
}

/// What one run of the bare queries returned.
struct Bare {
    committed: Vec<CommittedOnDay>,
    actual: Vec<ActualOnDay>,
    approved: Vec<LineTotal>,
    pending: Vec<LineTotal>,
    estimates: Vec<LatestEstimate>,
    rows: [usize; 9],
    each: [Duration; 9],
}

fn bare(conn: &mut DbConnection, sql: &[String; 9]) -> procura::error::AppResult<Bare> {
    let mut each = [Duration::ZERO; 9];
    let mut rows = [0; 9];
    macro_rules! timed {
        ($i:expr, $ty:ty) => {{
            let started = Instant::now();
            let loaded: Vec<$ty> = diesel::sql_query(&sql[$i]).load(conn)?;
            each[$i] = started.elapsed();
            rows[$i] = loaded.len();
            loaded
        }};
    }
    timed!(0, ProjectRow);
    timed!(1, BudgetLineRow);
    timed!(2, MonthRow);
    let committed = timed!(3, CommittedOnDay);
    let actual = timed!(4, ActualOnDay);
    let approved = timed!(5, LineTotal);
    let pending = timed!(6, LineTotal);
    let estimates = timed!(7, LatestEstimate);
    timed!(8, ProgressRow);
    Ok(Bare {
        committed,
        actual,
        approved,
        pending,
        estimates,
        rows,
        each,
    })
}

/// Aborts unless the copied statements return what the library's own queries return.
fn check_copies(engine: &str, db: &Db, sql: &[String; 9], loaded: &Loaded) {
    use procura::ledger::repo;
    let id = loaded.project_id;
    db.read_blocking(|conn| {
        let ours = bare(conn, sql)?;
        let same = ours.committed == repo::committed_by_day(conn, id)?
            && ours.actual == repo::actual_by_day(conn, id)?
            && ours.approved == repo::approved_changes_by_line(conn, id)?
            && ours.pending == repo::pending_changes_by_line(conn, id)?
            && ours.estimates == repo::latest_estimates(conn, id)?;
        assert!(
            same,
            "{engine}: the bare statements in benches/forecast.rs no longer return what \
             src/ledger/repo.rs returns: copy the library's SQL again"
        );
        let actual: i64 = ours.actual.iter().map(|r| r.actual).sum();
        let committed: i64 = ours.committed.iter().map(|r| r.committed).sum();
        assert!(
            actual == loaded.expected_actual && committed == loaded.expected_committed,
            "{engine}: bare queries sum actual {actual} and committed {committed} units; \
             loaded {} and {}",
            loaded.expected_actual,
            loaded.expected_committed
        );
        Ok(())
    })
    .expect("bare queries");
}

// ---- The server ----------------------------------------------------------------------------

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

fn procura(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_procura"));
    command
        .env("DATABASE_URL", database_url)
        .env("PROCURA_LOG", "warn")
        .env("PROCURA_ALERT_INTERVAL", "0");
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
        .args([
            "token",
            "create",
            "--name",
            "forecast-bench",
            "--role",
            "admin",
        ])
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port");
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
    for _ in 0..200 {
        if client
            .get(format!("{}/health/live", server.base))
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

/// One forecast request: its latency and body.
async fn forecast(client: &reqwest::Client, url: &str, token: &str) -> (Duration, Vec<u8>) {
    let sent = Instant::now();
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("forecast request");
    let status = response.status();
    let body = response.bytes().await.expect("forecast body");
    let took = sent.elapsed();
    let body = body.to_vec();
    assert!(
        status.is_success(),
        "forecast answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    (took, body)
}

fn check_forecast(engine: &str, body: &[u8], loaded: &Loaded) {
    let json: serde_json::Value = serde_json::from_slice(body).expect("forecast JSON");
    let figure = |name: &str| -> Decimal {
        json["project"][name]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{engine}: no project.{name} in the forecast"))
    };
    let (actual, committed) = (figure("actual"), figure("committed"));
    let expected_actual = Decimal::new(loaded.expected_actual, 4);
    let expected_committed = Decimal::new(loaded.expected_committed, 4);
    if actual != expected_actual || committed != expected_committed {
        // A panic, not an exit: the server and the scratch database are cleaned up on the way.
        panic!(
            "{engine}: MISMATCH: the forecast says actual {actual}, committed {committed}; \
             loaded actual {expected_actual}, committed {expected_committed}"
        );
    }
    println!(
        "{engine}: forecast sanity check: project actual {actual} and committed {committed} \
         EUR equal the loaded sums; {} budget lines, EAC {}, response {} bytes",
        json["lines"].as_array().map_or(0, |l| l.len()),
        json["project"]["eac"].as_str().unwrap_or("?"),
        body.len()
    );
}

// ---- The measurement -----------------------------------------------------------------------

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn run(engine: &str, url: &str, scale: &Scale, runtime: &tokio::runtime::Runtime) {
    let db = Db::connect(DatabaseUrl::parse(url).expect("URL"), 2).expect("database");
    let loaded = set_up(engine, &db, scale);
    let sql = statements(loaded.project_id);
    check_copies(engine, &db, &sql, &loaded);
    let (server, token) = runtime.block_on(start(url));
    let pid = server.child.id();
    let idle_kib = status_kib(pid, "VmRSS:");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .expect("HTTP client");
    let url = format!(
        "{}/api/v1/projects/{}/forecast?as_of={AS_OF}",
        server.base, loaded.project_id
    );
    let mut endpoint = Vec::with_capacity(scale.repeats);
    let mut baseline = Vec::with_capacity(scale.repeats);
    let mut each: Vec<[Duration; 9]> = Vec::with_capacity(scale.repeats);
    let mut rows = [0; 9];
    let started = Instant::now();
    for round in 0..WARM_UPS + scale.repeats {
        let measured = round >= WARM_UPS;
        let mut http = || {
            let (took, body) = runtime.block_on(forecast(&client, &url, &token));
            if round == 0 {
                check_forecast(engine, &body, &loaded);
            }
            if measured {
                endpoint.push(took);
            }
        };
        let mut direct = || {
            let started = Instant::now();
            let run = db.read_blocking(|conn| bare(conn, &sql)).expect("bare");
            let took = started.elapsed();
            rows = run.rows;
            if measured {
                baseline.push(took);
                each.push(run.each);
            }
        };
        if round % 2 == 0 {
            http();
            direct();
        } else {
            direct();
            http();
        }
    }
    let timed = started.elapsed();
    let peak_kib = status_kib(pid, "VmHWM:");
    drop(server);
    endpoint.sort();
    baseline.sort();
    let (e50, e95) = (percentile(&endpoint, 0.5), percentile(&endpoint, 0.95));
    let (b50, b95) = (percentile(&baseline, 0.5), percentile(&baseline, 0.95));
    println!(
        "{engine}: {} invoice lines, {} PO lines: forecast endpoint p50 {:.1} ms p95 {:.1} ms; \
         bare aggregates p50 {:.1} ms p95 {:.1} ms; ratio {:.2}×",
        scale.invoice_lines,
        scale.po_lines,
        ms(e50),
        ms(e95),
        ms(b50),
        ms(b95),
        e50.as_secs_f64() / b50.as_secs_f64(),
    );
    let per_query: Vec<String> = QUERIES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut times: Vec<Duration> = each.iter().map(|e| e[i]).collect();
            times.sort();
            format!(
                "{name} {} rows {:.2} ms",
                rows[i],
                ms(percentile(&times, 0.5))
            )
        })
        .collect();
    println!(
        "{engine}: bare queries (rows, p50): {}",
        per_query.join("; ")
    );
    println!(
        "{engine}: server RSS idle {:.1} MiB, peak (VmHWM) {:.1} MiB; {} + {} warm-up rounds \
         took {:.1} s",
        idle_kib as f64 / 1024.0,
        peak_kib as f64 / 1024.0,
        scale.repeats,
        WARM_UPS,
        timed.as_secs_f64()
    );
}

/// A scratch PostgreSQL database, dropped when this goes out of scope (also on a panic).
struct ScratchDatabase {
    url: String,
    name: String,
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&admin_url()) {
            let name = &self.name;
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn postgres_database() -> Option<ScratchDatabase> {
    let admin = admin_url();
    procura::db::prepare_postgres_client();
    let mut conn = match diesel::PgConnection::establish(&admin) {
        Ok(conn) => conn,
        Err(error) => {
            println!("PostgreSQL: skipped ({error})");
            return None;
        }
    };
    let name = format!("procura_forecast_bench_{}", std::process::id());
    // Separate statements: CREATE DATABASE cannot run inside the implicit transaction of a batch.
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        if let Err(error) = conn.batch_execute(&statement) {
            println!("PostgreSQL: skipped ({statement}: {error})");
            return None;
        }
    }
    let url = admin
        .rsplit_once('/')
        .map(|(server, _)| format!("{server}/{name}"))?;
    Some(ScratchDatabase { url, name })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let scale = Scale {
        po_lines: env_or("BENCH_PO_LINES", 100_000usize).max(1),
        invoice_lines: env_or("BENCH_INVOICE_LINES", 1_000_000usize).max(1),
        repeats: env_or("BENCH_REPEATS", 20usize).max(1),
    };
    println!(
        "Forecast of one project: {} invoice lines on {} invoices, {} PO lines on {} POs, \
         {BUDGET_LINES} budget lines; {} timed rounds after {WARM_UPS} warm-ups",
        scale.invoice_lines,
        scale.invoices(),
        scale.po_lines,
        scale.pos(),
        scale.repeats
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temporary folder");
    run(
        "SQLite",
        &format!("sqlite://{}/forecast.db", dir.path().display()),
        &scale,
        &runtime,
    );
    if let Some(scratch) = postgres_database() {
        run("PostgreSQL", &scratch.url, &scale, &runtime);
    }
}
