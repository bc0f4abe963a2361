//! `procura import FILE --kind KIND [--dry-run]`: the same import as the API's upload, with a
//! progress bar on a terminal and a summary at the end.

use super::kinds::Progress;
use super::model::{ImportReport, ImportStatus};
use super::read::CsvDialect;
use super::service::{self, ImportRequest, ImportSettings};
use super::values::TextRules;
use crate::auth::{Actor, Role};
use crate::cli::ImportArgs;
use crate::db::Db;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// A progress bar on standard error (hidden when it is not a terminal).
struct Bar {
    bar: ProgressBar,
}

impl Bar {
    fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar }
    }
}

impl Progress for Bar {
    fn phase(&self, name: &str, total: Option<u64>) {
        self.bar.set_position(0);
        match total {
            Some(total) => {
                self.bar.set_length(total);
                self.bar.set_style(
                    ProgressStyle::with_template(
                        "{msg:>28} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta} left)",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
            }
            None => {
                self.bar.unset_length();
                self.bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg:>26} {pos} rows ({per_sec})")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
            }
        }
        self.bar.set_message(name.to_string());
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
}

/// Runs the command.
pub fn run(db: &Db, args: ImportArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "upload".to_string());
    let actor = Actor {
        token_id: 0,
        name: args.actor.clone(),
        role: Role::Admin,
    };
    let settings = ImportSettings {
        limits: args.import_limits.limits(),
        purchasing: args.purchasing.rules(),
    };
    let request = ImportRequest {
        kind: args.kind,
        file_name,
        bytes,
        dry_run: args.dry_run,
        sheet: args.sheet.clone(),
        rules: TextRules {
            date_format: args.date_format,
            decimal_comma: args.decimal_comma,
        },
        dialect: CsvDialect {
            delimiter: args.delimiter,
            encoding: args.encoding,
        },
    };
    let bar = Bar::new();
    let started = std::time::Instant::now();
    let outcome = service::run(db, &actor, &settings, request, &bar);
    bar.bar.finish_and_clear();
    let report = match outcome {
        Ok(report) => report,
        Err(error) => {
            for field in error.field_errors() {
                eprintln!("  {}: {}", field.field, field.message);
            }
            anyhow::bail!("{} ({})", error.detail(), error.code());
        }
    };
    print_summary(&report, started.elapsed());
    if report.status == ImportStatus::Rejected {
        if let Some(id) = report.id {
            let path = args.error_workbook.clone().unwrap_or_else(|| {
                let stem = args
                    .file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                args.file.with_file_name(format!("{stem}.errors.xlsx"))
            });
            if let Some(Some(workbook)) =
                db.read_blocking(|conn| super::repo::error_workbook(conn, id))?
            {
                std::fs::write(&path, workbook)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                println!("The sheet with an error column: {}", path.display());
            }
        }
        anyhow::bail!("{} error(s): nothing was imported", report.error_count);
    }
    Ok(())
}

fn print_summary(report: &ImportReport, elapsed: Duration) {
    let seconds = elapsed.as_secs_f64(); // allow-float: a duration shown, not money
    let per_second = report.rows as f64 / seconds.max(1e-9); // allow-float: a speed shown
    println!(
        "{} {}: sheet {}, header row {}, {} rows in {:.2} s ({:.0} rows/s)",
        report.format,
        report.file_name,
        report.sheet,
        report.header_row,
        report.rows,
        seconds,
        per_second
    );
    for column in &report.unknown_columns {
        println!(
            "  unknown column {} `{}`: not read",
            column.column, column.header
        );
    }
    let verb = match report.status {
        ImportStatus::Committed => "imported",
        ImportStatus::Validated => "valid (dry run, nothing written)",
        ImportStatus::Rejected => "rejected (nothing written)",
    };
    println!(
        "{verb}: {} created, {} updated, {} unchanged; {} error(s){}",
        report.created,
        report.updated,
        report.unchanged,
        report.error_count,
        report
            .id
            .map(|id| format!("; import {id}"))
            .unwrap_or_default()
    );
    for error in report.errors.iter().take(50) {
        let place = match &error.column {
            Some(column) => format!("{}!{column}{}", error.sheet, error.row),
            None => format!("{}!{}", error.sheet, error.row),
        };
        let value = if error.value.is_empty() {
            String::new()
        } else {
            format!(" `{}`", error.value)
        };
        println!("  {place}{value}: {} [{}]", error.message, error.rule);
    }
    if report.error_count > 50 {
        println!("  … and {} more", report.error_count - 50);
    }
}
