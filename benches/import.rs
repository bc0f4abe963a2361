//! Spreadsheet import benchmark: `cargo bench --bench import`.
//!
//! Writes a workbook of `BENCH_IMPORT_ROWS` invoice lines (100,000 by default; 10 lines per
//! invoice, each billing one unit of a received PO line), then in one run, each step in its own
//! process so its peak memory is its own:
//!
//! 1. calamine's bare read of the same file (open, `worksheet_range`, walk every cell);
//! 2. openpyxl's read of the same file (`load_workbook(read_only=True)`, every row's values),
//!    the script a finance team would otherwise write; skipped when Python lacks openpyxl
//!    (`PROCURA_BENCH_PYTHON`, default the CI virtualenv's Python);
//! 3. on SQLite, then PostgreSQL when reachable: the import as a dry run (parse, every check,
//!    every service call, rolled back) and then for real (the same, committed), through
//!    `procura::imports::service::run`, against 100 purchase orders × 100 lines set up through
//!    the services beforehand (not timed). Each PO line is billed by 10 invoices, and each
//!    invoice has its own date, so no invoice is a suspected duplicate of another.
//!
//! Prints seconds, rows per second, peak RSS and each time's ratio to calamine's. Figures are
//! printed, never asserted. With `BENCH_IMPORT_PHASES=1` each import also prints its phases
//! (reading, applying; for invoices checking, writing and auditing), from the import's own
//! debug events.

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use procura::auth::{Actor, Role};
use procura::config::PurchasingRules;
use procura::db::{DatabaseUrl, Db};
use procura::imports::kinds::Quiet;
use procura::imports::read::CsvDialect;
use procura::imports::service::{self as imports, ImportRequest, ImportSettings};
use procura::imports::values::TextRules;
use procura::imports::{ImportKind, ImportStatus};
use procura::purchase_orders::approval::ApprovalPolicy;
use procura::purchase_orders::receipts::{self, ReceiptInput};
use procura::purchase_orders::service::{self as pos, PoInput, PoLineInput, PoStep};
use rust_decimal::Decimal;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const POS: usize = 100;
const PO_LINES: usize = 100;
const LINES_PER_INVOICE: usize = 10;

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

/// This process's peak resident set (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

/// The invoice workbook: `rows` lines, PO numbers as the set-up numbers them.
fn write_workbook(path: &Path, rows: usize, invoice_year: i32) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Invoices").expect("name");
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let money = rust_xlsxwriter::Format::new().set_num_format("#,##0.00");
    for (c, header) in [
        "Invoice Number",
        "Vendor",
        "Invoice Date",
        "Currency",
        "PO Number",
        "PO Line",
        "Description",
        "Quantity",
        "Unit Price",
        "Tax %",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *header).expect("header");
    }
    let first = NaiveDate::from_ymd_opt(invoice_year, 2, 1).expect("date");
    for n in 0..rows {
        let r = n as u32 + 1;
        let invoice = n / LINES_PER_INVOICE;
        let po_line = n % (POS * PO_LINES);
        let day = first + chrono::Duration::days(invoice as i64);
        sheet
            .write_string(r, 0, format!("INV-{invoice:06}"))
            .expect("cell");
        sheet
            .write_string(r, 1, "Bench Networks Ltd")
            .expect("cell");
        use chrono::Datelike;
        let cell_date = rust_xlsxwriter::ExcelDateTime::from_ymd(
            day.year() as u16,
            day.month() as u8,
            day.day() as u8,
        )
        .expect("date");
        sheet
            .write_datetime_with_format(r, 2, &cell_date, &date)
            .expect("cell");
        sheet.write_string(r, 3, "EUR").expect("cell");
        sheet
            .write_string(
                r,
                4,
                format!("PO-{invoice_year}-{:06}", po_line / PO_LINES + 1),
            )
            .expect("cell");
        sheet
            .write_number(r, 5, (po_line % PO_LINES + 1) as f64)
            .expect("cell");
        sheet
            .write_string(r, 6, format!("Switch port licence {po_line}"))
            .expect("cell");
        sheet.write_number(r, 7, 1.0).expect("cell");
        sheet
            .write_number_with_format(r, 8, 12.34, &money)
            .expect("cell");
        sheet.write_number(r, 9, 20.0).expect("cell");
    }
    book.save(path).expect("workbook saved");
}

/// A vendor, a project with one budget line, and the purchase orders the invoices bill,
/// approved, issued and received: each PO line ordered and received 10 units.
fn set_up(db: &Db, year: i32) {
    let admin = actor(1, "bench-admin", Role::Admin);
    let (vendor_id, project_id, budget_line_id) = db
        .write_blocking(|tx| {
            let vendor = procura::vendors::service::create(
                tx,
                &admin,
                procura::vendors::model::VendorDraft::parse(
                    "Bench Networks Ltd",
                    Some("GB999999973"),
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
                        start_date: NaiveDate::from_ymd_opt(year, 1, 1),
                        end_date: NaiveDate::from_ymd_opt(year + 2, 12, 31),
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
    for _ in 0..POS {
        let input = PoInput {
            vendor_id,
            project_id,
            contract_id: None,
            currency: "EUR".into(),
            order_date: NaiveDate::from_ymd_opt(year, 1, 2).expect("date"),
            notes: None,
            lines: (0..PO_LINES)
                .map(|i| PoLineInput {
                    description: format!("Switch port licence {i}"),
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
        let mut step = |who: &Actor, step: PoStep| {
            let moved = db
                .write_blocking(|tx| pos::step(tx, who, &policy, po.id, version, step.clone()))
                .expect("PO step");
            version = moved.version;
            moved
        };
        let submitted = step(&requester, PoStep::Submit);
        for approver in approvers.iter().take(submitted.approvals_required as usize) {
            step(
                approver,
                PoStep::Approve {
                    override_reason: None,
                },
            );
        }
        step(&requester, PoStep::Issue);
        let lines: Vec<(i64, Decimal)> = po.lines.iter().map(|l| (l.id, d("10"))).collect();
        db.write_blocking(|tx| {
            receipts::receive(
                tx,
                &receiver,
                &rules,
                po.id,
                ReceiptInput {
                    received_on: NaiveDate::from_ymd_opt(year, 1, 5).expect("date"),
                    note: None,
                    lines: lines.clone(),
                },
            )
        })
        .expect("receipt");
    }
}

/// Child process: calamine's bare read. Prints `seconds rows peak_mib`.
fn phase_calamine(path: &str) {
    use calamine::Reader;
    let started = Instant::now();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).expect("open");
    let range = book.worksheet_range("Invoices").expect("sheet");
    let mut rows = 0u64;
    let mut cells = 0u64;
    for row in range.rows() {
        rows += 1;
        cells += row
            .iter()
            .filter(|c| !matches!(c, calamine::Data::Empty))
            .count() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    assert!(cells > 0);
    println!("{seconds} {} {}", rows - 1, peak_rss_mib());
}

/// Child process: the import against `url`. Prints `seconds rows peak_mib status`.
fn phase_import(url: &str, path: &str, dry_run: bool) {
    if std::env::var_os("BENCH_IMPORT_PHASES").is_some() {
        // The import's own phase timings (debug events), on stderr.
        tracing_subscriber::fmt()
            .with_env_filter("procura::imports=debug")
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .init();
    }
    let db = Db::connect(DatabaseUrl::parse(url).expect("URL"), 2).expect("database");
    let bytes = std::fs::read(path).expect("workbook");
    let started = Instant::now();
    let report = imports::run(
        &db,
        &actor(4, "bench-finance", Role::Finance),
        &ImportSettings {
            purchasing: PurchasingRules {
                duplicate_invoice_days: 0,
                ..PurchasingRules::default()
            },
            ..ImportSettings::default()
        },
        ImportRequest {
            kind: ImportKind::Invoices,
            file_name: "invoices.xlsx".into(),
            bytes,
            dry_run,
            sheet: None,
            rules: TextRules::default(),
            dialect: CsvDialect::default(),
        },
        &Quiet,
    )
    .expect("import");
    let seconds = started.elapsed().as_secs_f64();
    if report.status == ImportStatus::Rejected {
        eprintln!(
            "the import was rejected: {:?}",
            report.errors.iter().take(5).collect::<Vec<_>>()
        );
    }
    println!(
        "{seconds} {} {} {}",
        report.rows,
        peak_rss_mib(),
        report.status.as_str()
    );
}

struct Figures {
    seconds: f64,
    rows: f64,
    peak_mib: f64,
    note: String,
}

fn child(args: &[&str]) -> Option<Figures> {
    let exe = std::env::current_exe().expect("own path");
    let output = Command::new(exe).args(args).output().expect("child runs");
    if !output.status.success() {
        eprintln!(
            "{} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    if std::env::var_os("BENCH_IMPORT_PHASES").is_some() {
        for line in String::from_utf8_lossy(&output.stderr).lines() {
            if line.contains("phases") {
                println!("    {}", line.trim());
            }
        }
    }
    parse_figures(&String::from_utf8_lossy(&output.stdout))
}

fn parse_figures(text: &str) -> Option<Figures> {
    let line = text.lines().last()?;
    let mut parts = line.split_whitespace();
    Some(Figures {
        seconds: parts.next()?.parse().ok()?,
        rows: parts.next()?.parse().ok()?,
        peak_mib: parts.next()?.parse().ok()?,
        note: parts.next().unwrap_or("").to_string(),
    })
}

fn openpyxl(path: &str) -> Option<Figures> {
    let default = format!(
        "{}/.cache/procura-ci-venv/bin/python",
        std::env::var("HOME").unwrap_or_default()
    );
    let python = std::env::var("PROCURA_BENCH_PYTHON").unwrap_or(default);
    let script = r#"
import resource, sys, time
import openpyxl
started = time.perf_counter()
book = openpyxl.load_workbook(sys.argv[1], read_only=True)
rows = 0
for row in book["Invoices"].iter_rows(values_only=True):
    rows += 1
seconds = time.perf_counter() - started
print(seconds, rows - 1, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"#;
    let output = Command::new(&python)
        .args(["-c", script, path])
        .output()
        .ok()?;
    if !output.status.success() {
        println!(
            "openpyxl: skipped ({python}: {})",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    parse_figures(&String::from_utf8_lossy(&output.stdout))
}

fn show(label: &str, figures: &Figures, baseline: f64) {
    println!(
        "{label:<34} {:>9.2} s {:>10.0} rows/s {:>9.0} MiB peak   {:>6.1}× calamine{}",
        figures.seconds,
        figures.rows / figures.seconds,
        figures.peak_mib,
        figures.seconds / baseline,
        if figures.note.is_empty() || figures.note == "committed" || figures.note == "validated" {
            String::new()
        } else {
            format!("   ({})", figures.note)
        }
    );
}

fn postgres_database() -> Option<(String, String, String)> {
    let admin = std::env::var("PROCURA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    procura::db::prepare_postgres_client();
    let mut conn = diesel::PgConnection::establish(&admin)
        .map_err(|e| println!("PostgreSQL: skipped ({e})"))
        .ok()?;
    let name = format!("procura_import_bench_{}", std::process::id());
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .ok()?;
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .ok()?;
    let url = admin
        .rsplit_once('/')
        .map(|(server, _)| format!("{server}/{name}"))?;
    Some((url, name, admin))
}

fn engine(label: &str, url: &str, path: &str, year: i32, baseline: f64) {
    let db = Db::connect(DatabaseUrl::parse(url).expect("URL"), 2).expect("database");
    db.migrate().expect("migrations");
    let started = Instant::now();
    set_up(&db, year);
    println!(
        "{label}: set-up ({POS} POs × {PO_LINES} lines approved, issued, received) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(db);
    if let Some(f) = child(&["--phase", "import-dry", url, path]) {
        show(&format!("{label} import, dry run"), &f, baseline);
    }
    if let Some(f) = child(&["--phase", "import", url, path]) {
        show(&format!("{label} import, committed"), &f, baseline);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--phase") {
        let rest = &args[at + 1..];
        match rest.first().map(String::as_str) {
            Some("calamine") => phase_calamine(&rest[1]),
            Some("import") => phase_import(&rest[1], &rest[2], false),
            Some("import-dry") => phase_import(&rest[1], &rest[2], true),
            _ => eprintln!("unknown phase"),
        }
        return;
    }
    let rows: usize = env_or("BENCH_IMPORT_ROWS", 100_000);
    let year = 2027;
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("invoices.xlsx");
    let path_text = path.display().to_string();
    let started = Instant::now();
    write_workbook(&path, rows, year);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "Invoice workbook: {rows} lines ({} invoices), {:.1} MiB, written in {:.1} s",
        rows / LINES_PER_INVOICE,
        size as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );
    let Some(calamine) = child(&["--phase", "calamine", &path_text]) else {
        return;
    };
    let baseline = calamine.seconds;
    show("calamine bare read (baseline)", &calamine, baseline);
    if let Some(f) = openpyxl(&path_text) {
        show("openpyxl read (read_only)", &f, baseline);
    }
    engine(
        "SQLite",
        &format!("sqlite://{}/bench.db", dir.path().display()),
        &path_text,
        year,
        baseline,
    );
    if let Some((url, name, admin)) = postgres_database() {
        engine("PostgreSQL", &url, &path_text, year, baseline);
        if let Ok(mut conn) = diesel::PgConnection::establish(&admin) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}
