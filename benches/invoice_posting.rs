//! Invoice posting benchmark: `cargo bench --bench invoice_posting`.
//!
//! Through the service layer (no HTTP), on SQLite and, when reachable, PostgreSQL:
//!
//! 1. set-up (not timed): a project, a budget line, a vendor, `BENCH_POS` purchase orders of
//!    `BENCH_PO_LINES` lines each (10,000 PO lines by default), approved, issued and fully
//!    received — quantity 10 per line;
//! 2. timed: `BENCH_INVOICES` invoices of `BENCH_PO_LINES` lines (100,000 invoice lines by
//!    default), each line billing one unit of a PO line, each invoice recorded (duplicate checks,
//!    three-way match) and approved (re-match, actuals, commitment release) in its own
//!    transactions, exactly as the API does;
//! 3. timed baseline: the same number of invoice headers and lines written by bare multi-row
//!    `INSERT` statements (500 rows each) in one transaction.
//!
//! Prints invoice lines per second for both and the ratio. Figures are printed, never asserted.

use chrono::{Duration, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use procura::auth::{Actor, Role};
use procura::config::PurchasingRules;
use procura::db::{DatabaseUrl, Db, Tx};
use procura::invoices::model::InvoiceKind;
use procura::invoices::service::{self as invoices, InvoiceInput, InvoiceLineInput, InvoiceStep};
use procura::purchase_orders::approval::ApprovalPolicy;
use procura::purchase_orders::receipts::{self, ReceiptInput};
use procura::purchase_orders::service::{self as pos, PoInput, PoLineInput, PoStep};
use rust_decimal::Decimal;
use std::time::Instant;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn actor(token_id: i64, name: &str, role: Role) -> Actor {
    Actor {
        token_id,
        name: name.to_string(),
        role,
    }
}

fn d(text: &str) -> Decimal {
    procura::money::parse_decimal(text).expect("decimal")
}

struct Scale {
    pos: usize,
    lines: usize,
    invoices: usize,
}

/// Builds the purchase orders; returns the vendor and the PO line ids per PO.
fn set_up(db: &Db, scale: &Scale) -> (i64, Vec<Vec<i64>>) {
    let admin = actor(1, "bench-admin", Role::Admin);
    let (vendor_id, project_id, budget_line_id) = db
        .write_blocking(|tx| {
            let vendor = procura::vendors::service::create(
                tx,
                &admin,
                procura::vendors::model::VendorDraft::parse(
                    "Bench vendor",
                    None,
                    &[],
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
                        code: "BENCH".into(),
                        name: "Benchmark".into(),
                        currency: "EUR".into(),
                        start_date: NaiveDate::from_ymd_opt(2026, 1, 1),
                        end_date: NaiveDate::from_ymd_opt(2030, 12, 31),
                        ..Default::default()
                    },
                )?,
            )?;
            let line = procura::budgets::service::create(
                tx,
                &admin,
                procura::budgets::service::NewLine {
                    project_id: project.id,
                    category: procura::budgets::model::BudgetCategory::Opex,
                    cost_center: "BENCH".into(),
                    description: None,
                    amount: d("90000000000"),
                    months: None,
                },
            )?;
            Ok((vendor.id, project.id, line.id))
        })
        .expect("set-up");
    let requester = actor(2, "bench-requester", Role::Pm);
    let approvers = [
        actor(3, "bench-procurement", Role::Procurement),
        actor(4, "bench-finance", Role::Finance),
        actor(1, "bench-admin", Role::Admin),
    ];
    let receiver = actor(5, "bench-receiver", Role::Pm);
    let policy = ApprovalPolicy::defaults();
    let rules = PurchasingRules::default();
    let mut po_lines = Vec::with_capacity(scale.pos);
    for _ in 0..scale.pos {
        let input = PoInput {
            vendor_id,
            project_id,
            contract_id: None,
            currency: "EUR".into(),
            order_date: NaiveDate::from_ymd_opt(2026, 1, 2).expect("date"),
            notes: None,
            lines: (0..scale.lines)
                .map(|i| PoLineInput {
                    description: format!("Item {i}"),
                    quantity: d("10"),
                    unit: "each".into(),
                    unit_price: d("12.34"),
                    tax_percent: d("20"),
                    budget_line_id,
                    is_asset: false,
                    asset_category: None,
                    promised_date: None,
                })
                .collect(),
        };
        let po = db
            .write_blocking(|tx| pos::create(tx, &requester, input.clone()))
            .expect("PO");
        let mut version = po.version;
        let step = |tx_actor: &Actor, step: PoStep, version: &mut i64| {
            let moved = db
                .write_blocking(|tx: &mut Tx<'_>| {
                    pos::step(tx, tx_actor, &policy, po.id, *version, step.clone())
                })
                .expect("PO step");
            *version = moved.version;
            moved
        };
        let submitted = step(&requester, PoStep::Submit, &mut version);
        for approver in approvers.iter().take(submitted.approvals_required as usize) {
            step(
                approver,
                PoStep::Approve {
                    override_reason: None,
                },
                &mut version,
            );
        }
        step(&requester, PoStep::Issue, &mut version);
        let lines: Vec<(i64, Decimal)> = po.lines.iter().map(|l| (l.id, d("10"))).collect();
        db.write_blocking(|tx| {
            receipts::receive(
                tx,
                &receiver,
                &rules,
                po.id,
                ReceiptInput {
                    received_on: NaiveDate::from_ymd_opt(2026, 1, 5).expect("date"),
                    note: None,
                    lines: lines.clone(),
                },
            )
        })
        .expect("receipt");
        po_lines.push(po.lines.iter().map(|l| l.id).collect());
    }
    (vendor_id, po_lines)
}

/// Records and approves the invoices; returns the seconds taken.
fn post_invoices(db: &Db, scale: &Scale, vendor_id: i64, po_lines: &[Vec<i64>]) -> f64 {
    let clerk = actor(4, "bench-finance", Role::Finance);
    let approver = actor(1, "bench-admin", Role::Admin);
    // Each invoice has its own date, and the duplicate window is that one day, so the
    // same-total check runs (and finds nothing) as it would for real invoices.
    let rules = PurchasingRules {
        duplicate_invoice_days: 0,
        ..PurchasingRules::default()
    };
    let first = NaiveDate::from_ymd_opt(2026, 2, 1).expect("date");
    let started = Instant::now();
    for n in 0..scale.invoices {
        let lines = &po_lines[n % po_lines.len()];
        let input = InvoiceInput {
            vendor_id,
            number: format!("BENCH-{n}"),
            kind: InvoiceKind::Invoice,
            original_invoice_id: None,
            sla_measurement_id: None,
            invoice_date: first + Duration::days(n as i64),
            due_date: None,
            currency: "EUR".into(),
            lines: lines
                .iter()
                .map(|&po_line_id| InvoiceLineInput {
                    po_line_id: Some(po_line_id),
                    milestone_id: None,
                    budget_line_id: None,
                    description: None,
                    quantity: Decimal::ONE,
                    unit_price: d("12.34"),
                    tax_percent: d("20"),
                })
                .collect(),
        };
        let invoice = db
            .write_blocking(|tx| invoices::create(tx, &clerk, &rules, input.clone()))
            .expect("invoice");
        assert_eq!(invoice.hold_reasons, Vec::new(), "{}", invoice.number);
        db.write_blocking(|tx| {
            invoices::step(
                tx,
                &approver,
                invoice.id,
                invoice.version,
                InvoiceStep::Approve,
            )
        })
        .expect("approval");
    }
    started.elapsed().as_secs_f64()
}

/// Writes the same number of invoice headers and lines with bare multi-row INSERTs; returns the
/// seconds taken.
fn bare_insert(db: &Db, scale: &Scale, vendor_id: i64, po_lines: &[Vec<i64>]) -> f64 {
    use procura::db::schema::invoices;
    let started = Instant::now();
    db.write_blocking(|tx| {
        let headers: Vec<String> = (0..scale.invoices)
            .map(|n| {
                format!(
                    "('BARE-{n}', 'bare{n}', {vendor_id}, 'invoice', '2030-01-01', 'EUR', {net}, {tax}, {total}, \
                     'approved', '[]', 'bench', 1, 0, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                    net = 1234 * 100 * scale.lines,
                    tax = 247 * 100 * scale.lines,
                    total = 1481 * 100 * scale.lines,
                )
            })
            .collect();
        for chunk in headers.chunks(500) {
            tx.batch_execute(&format!(
                "INSERT INTO invoices (number, normalised_number, vendor_id, kind, invoice_date, currency, \
                 net_units, tax_units, total_units, status, hold_reasons, created_by, created_by_token, \
                 paid_units, version, created_at, updated_at) VALUES {}",
                chunk.join(", ")
            ))?;
        }
        let ids: Vec<i64> = invoices::table
            .filter(invoices::number.like("BARE-%"))
            .order(invoices::id)
            .select(invoices::id)
            .load(&mut **tx)?;
        let mut rows = Vec::with_capacity(500);
        for (n, invoice_id) in ids.iter().enumerate() {
            let lines = &po_lines[n % po_lines.len()];
            for (i, po_line_id) in lines.iter().enumerate() {
                rows.push(format!(
                    "({invoice_id}, {}, {po_line_id}, 1, 'Item', '1', '12.34', '20', 123400, 24700, '1', 123400, '{{}}')",
                    i + 1
                ));
                if rows.len() == 500 {
                    flush(tx, &mut rows)?;
                }
            }
        }
        flush(tx, &mut rows)?;
        Ok(())
    })
    .expect("bare insert");
    started.elapsed().as_secs_f64()
}

fn flush(tx: &mut Tx<'_>, rows: &mut Vec<String>) -> procura::error::AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    tx.batch_execute(&format!(
        "INSERT INTO invoice_lines (invoice_id, line_no, po_line_id, budget_line_id, description, \
         quantity, unit_price, tax_percent, net_units, tax_units, fx_rate, net_budget_units, \
         match_result) VALUES {}",
        rows.join(", ")
    ))?;
    rows.clear();
    Ok(())
}

fn run(engine: &str, url: &str, scale: &Scale) {
    let db = Db::connect(DatabaseUrl::parse(url).expect("URL"), 4).expect("database");
    db.migrate().expect("migrations");
    let started = Instant::now();
    let (vendor_id, po_lines) = set_up(&db, scale);
    println!(
        "{engine}: set-up: {} POs × {} lines approved, issued and received in {:.1} s",
        scale.pos,
        scale.lines,
        started.elapsed().as_secs_f64()
    );
    let lines = (scale.invoices * scale.lines) as f64;
    let service = post_invoices(&db, scale, vendor_id, &po_lines);
    let bare = bare_insert(&db, scale, vendor_id, &po_lines);
    println!(
        "{engine}: service layer: {} invoice lines recorded, matched and approved in {service:.1} s = {:.0} lines/s",
        lines,
        lines / service
    );
    println!(
        "{engine}: bare batched INSERT of the same rows: {bare:.2} s = {:.0} lines/s",
        lines / bare
    );
    println!(
        "{engine}: ratio service / bare = {:.3} ({:.1}× slower)",
        bare / service,
        service / bare
    );
}

fn postgres_database() -> Option<(String, String)> {
    let admin = std::env::var("PROCURA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    procura::db::prepare_postgres_client();
    let mut conn = match diesel::PgConnection::establish(&admin) {
        Ok(conn) => conn,
        Err(error) => {
            println!("PostgreSQL: skipped ({error})");
            return None;
        }
    };
    let name = format!("procura_invoice_bench_{}", std::process::id());
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
    Some((url, name))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let scale = Scale {
        pos: env_or("BENCH_POS", 100),
        lines: env_or("BENCH_PO_LINES", 100),
        invoices: env_or("BENCH_INVOICES", 1_000),
    };
    println!(
        "Posting {} invoices × {} lines = {} invoice lines against {} PO lines",
        scale.invoices,
        scale.lines,
        scale.invoices * scale.lines,
        scale.pos * scale.lines
    );
    let dir = tempfile::tempdir().expect("temporary folder");
    run(
        "SQLite",
        &format!("sqlite://{}/bench.db", dir.path().display()),
        &scale,
    );
    if let Some((url, name)) = postgres_database() {
        run("PostgreSQL", &url, &scale);
        let admin = std::env::var("PROCURA_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        if let Ok(mut conn) = diesel::PgConnection::establish(&admin) {
            let _ = diesel::connection::SimpleConnection::batch_execute(
                &mut conn,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}
