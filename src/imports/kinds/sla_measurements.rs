//! SLA measurements, one row per period: the contract (by number), the SLA (by its name within
//! the contract), the period (`2027-01`, `2027-Q1` or `2027` as the SLA measures; a date cell
//! on the first of a month reads as that month) and either the measured value or, for
//! availability, the minutes of downtime. Each is recorded through the same service as the
//! API, which evaluates the period and fixes its credit; a period is recorded once, so a
//! period already recorded is an error, not an update.

use super::{Apply, Fields, Kind};
use crate::contracts::slas::service::{self, Measured};
use crate::error::AppResult;
use crate::imports::cells::{Cell, Row};
use crate::imports::headers::Column;
use crate::imports::model::DocumentAction;
use crate::imports::values::{self, Problem};
use rust_decimal::Decimal;
use std::collections::HashMap;

static COLUMNS: [Column; 5] = [
    Column::required(
        "contract",
        "Contract",
        &["Contract Number", "Contract No"],
        "The contract's number.",
    ),
    Column::required(
        "sla",
        "SLA",
        &["SLA Name", "Service Level", "Service Level Name"],
        "The SLA's name within the contract.",
    ),
    Column::required(
        "period",
        "Period",
        &["Month", "Quarter", "Measurement Period"],
        "YYYY-MM, YYYY-Qn or YYYY, as the SLA measures.",
    ),
    Column::optional(
        "value",
        "Value",
        &[
            "Measured",
            "Measured Value",
            "Result",
            "Availability %",
            "Availability",
        ],
        "The measured value in the SLA's unit.",
    ),
    Column::optional(
        "downtime_minutes",
        "Downtime Minutes",
        &[
            "Downtime",
            "Downtime (min)",
            "Minutes Down",
            "Outage Minutes",
        ],
        "Availability SLAs: minutes of downtime in the period.",
    ),
];

/// One measurement row.
#[derive(Debug, Clone)]
pub struct Line {
    row: u32,
    contract: String,
    sla: String,
    period: String,
    measured: Measured,
}

/// The SLA measurements import.
pub struct SlaMeasurements;

impl Kind for SlaMeasurements {
    type Line = Line;

    fn columns(&self) -> &'static [Column] {
        &COLUMNS
    }

    fn parse(&self, f: &mut Fields<'_>, _row: &Row) -> Option<Line> {
        let contract = f.required_text("contract");
        let sla = f.required_text("sla");
        let period = match f.cell("period").clone() {
            Cell::DateSerial(_) | Cell::IsoDate(_) => {
                let epoch = f.sheet().epoch;
                match values::month(f.cell("period"), epoch) {
                    Ok(month) => month,
                    Err(problem) => {
                        f.fail("period", problem);
                        None
                    }
                }
            }
            _ => f.required_text("period"),
        };
        let value = f.decimal("value");
        let downtime = f.decimal("downtime_minutes");
        let measured = match (value, downtime) {
            (Some(value), None) => Some(Measured::Value(value)),
            (None, Some(minutes)) => Some(Measured::DowntimeMinutes(minutes)),
            (Some(_), Some(_)) => {
                f.fail(
                    "downtime_minutes",
                    Problem::new(
                        "both_measures",
                        "give the Value or the Downtime Minutes, not both",
                    ),
                );
                None
            }
            (None, None) => {
                if f.ok() {
                    f.fail(
                        "value",
                        Problem::new(
                            "required",
                            "give the Value or, for availability, the Downtime Minutes",
                        ),
                    );
                }
                None
            }
        };
        if let Some(Measured::DowntimeMinutes(minutes)) = measured {
            if minutes < Decimal::ZERO {
                f.fail(
                    "downtime_minutes",
                    Problem::new("negative", "downtime cannot be negative"),
                );
            }
        }
        if !f.ok() {
            return None;
        }
        Some(Line {
            row: f.row(),
            contract: contract?,
            sla: sla?,
            period: period?,
            measured: measured?,
        })
    }

    fn apply(&self, apply: &mut Apply<'_, '_>, lines: Vec<Line>) -> AppResult<()> {
        apply
            .progress
            .phase("recording SLA measurements", Some(lines.len() as u64));
        let mut seen: HashMap<(String, String, String), u32> = HashMap::new();
        for line in lines {
            let key = (
                line.contract.to_uppercase(),
                line.sla.to_lowercase(),
                line.period.to_uppercase(),
            );
            if let Some(earlier) = seen.insert(key, line.row) {
                apply.fail(
                    line.row,
                    Some("period"),
                    line.period.clone(),
                    Problem::new(
                        "duplicate_in_file",
                        format!("row {earlier} measures the same SLA and period"),
                    ),
                );
                continue;
            }
            save(apply, line)?;
        }
        Ok(())
    }
}

fn locate(path: &str) -> (usize, Option<String>) {
    let field = match path {
        // A period already measured is the Period cell's fault.
        "period" | "code:duplicate_measurement" => "period",
        "value" => "value",
        "downtime_minutes" => "downtime_minutes",
        _ => return (0, None),
    };
    (0, Some(field.to_string()))
}

fn save(apply: &mut Apply<'_, '_>, line: Line) -> AppResult<()> {
    let rows = [line.row];
    let Some(contract_id) = apply.lookups.contract(apply.tx, &line.contract)? else {
        apply.fail(
            line.row,
            Some("contract"),
            line.contract.clone(),
            Problem::new(
                "unknown_contract",
                format!("no contract has the number `{}`", line.contract),
            ),
        );
        return Ok(());
    };
    let Some(sla_id) = crate::imports::lookup::sla(apply.tx, contract_id, &line.sla)? else {
        apply.fail(
            line.row,
            Some("sla"),
            line.sla.clone(),
            Problem::new(
                "unknown_sla",
                format!(
                    "contract {} has no SLA named `{}`",
                    line.contract.to_uppercase(),
                    line.sla
                ),
            ),
        );
        return Ok(());
    };
    let actor = apply.actor;
    let (period, measured) = (line.period.clone(), line.measured);
    if let Some(recorded) = apply.attempt(&rows, &locate, move |tx| {
        service::record(tx, actor, sla_id, &period, measured)
    })? {
        apply.done(
            &rows,
            DocumentAction::Created,
            "sla",
            sla_id,
            format!(
                "{} {}: {} recorded",
                line.contract.to_uppercase(),
                line.sla,
                recorded.period
            ),
        );
    }
    Ok(())
}
