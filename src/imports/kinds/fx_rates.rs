//! FX rates. Natural key: the pair and the date. A row for a pair and date already recorded
//! corrects that rate (through the same update as the API, which re-evaluates the budgets of
//! the projects the pair touches); the same value again changes nothing.

use super::{Apply, Fields, Kind};
use crate::error::AppResult;
use crate::fx::service::{self, NewRate};
use crate::imports::cells::Row;
use crate::imports::headers::Column;
use crate::imports::model::DocumentAction;
use crate::imports::values::Problem;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;

static COLUMNS: [Column; 5] = [
    Column::required(
        "from",
        "From",
        &[
            "From Currency",
            "Base",
            "Base Currency",
            "Source Currency",
            "Currency From",
        ],
        "The currency converted from (ISO 4217, e.g. USD).",
    ),
    Column::required(
        "to",
        "To",
        &[
            "To Currency",
            "Quote",
            "Quote Currency",
            "Target Currency",
            "Currency To",
        ],
        "The currency converted into (e.g. EUR).",
    ),
    Column::required(
        "date",
        "Date",
        &["Rate Date", "Effective Date", "As Of", "Valid From"],
        "The day the rate applies from.",
    ),
    Column::required(
        "rate",
        "Rate",
        &["FX Rate", "Exchange Rate", "Conversion Rate"],
        "Units of To per unit of From, up to 10 decimals.",
    ),
    Column::optional(
        "source",
        "Source",
        &["Provider", "Rate Source"],
        "Where the rate comes from (e.g. ECB).",
    ),
];

/// One rate row.
#[derive(Debug, Clone)]
pub struct Line {
    row: u32,
    from: String,
    to: String,
    date: NaiveDate,
    rate: Decimal,
    source: Option<String>,
}

/// The FX rates import.
pub struct FxRates;

impl Kind for FxRates {
    type Line = Line;

    fn columns(&self) -> &'static [Column] {
        &COLUMNS
    }

    fn parse(&self, f: &mut Fields<'_>, _row: &Row) -> Option<Line> {
        let from = f.currency("from");
        let to = f.currency("to");
        let date = f.required_date("date");
        let rate = f.required_decimal("rate");
        let source = f.text("source");
        if let (Some(from), Some(to)) = (from, to) {
            if from == to {
                f.fail(
                    "to",
                    Problem::new(
                        "same_currency",
                        format!("a rate converts between two currencies, not {from} into itself"),
                    ),
                );
            }
        }
        if let Some(rate) = rate {
            if let Err(message) = crate::fx::model::check_rate(rate) {
                f.fail("rate", Problem::new("invalid_rate", message));
            }
        }
        if !f.ok() {
            return None;
        }
        Some(Line {
            row: f.row(),
            from: from?.code().to_string(),
            to: to?.code().to_string(),
            date: date?,
            rate: rate?,
            source,
        })
    }

    fn apply(&self, apply: &mut Apply<'_, '_>, lines: Vec<Line>) -> AppResult<()> {
        apply
            .progress
            .phase("saving FX rates", Some(lines.len() as u64));
        let mut seen: HashMap<(String, String, NaiveDate), u32> = HashMap::new();
        for line in lines {
            let key = (line.from.clone(), line.to.clone(), line.date);
            if let Some(earlier) = seen.insert(key, line.row) {
                apply.fail(
                    line.row,
                    Some("date"),
                    line.date.to_string(),
                    Problem::new(
                        "duplicate_in_file",
                        format!(
                            "row {earlier} already gives the {}→{} rate for {}",
                            line.from, line.to, line.date
                        ),
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
        "from" => Some("from"),
        "to" => Some("to"),
        "rate" => Some("rate"),
        "source" => Some("source"),
        "date" => Some("date"),
        _ => None,
    };
    (0, field.map(str::to_string))
}

fn save(apply: &mut Apply<'_, '_>, line: Line) -> AppResult<()> {
    let rows = [line.row];
    let actor = apply.actor;
    let label = format!("{}→{} {}", line.from, line.to, line.date);
    match crate::fx::repo::id_by_key(apply.tx, &line.from, &line.to, line.date)? {
        Some(id) => {
            let current = service::get(apply.tx, id)?;
            let same_rate = Decimal::from_str_exact(&current.rate).is_ok_and(|r| r == line.rate);
            let same_source = line.source.is_none() || line.source == current.source;
            if same_rate && same_source {
                apply.done(&rows, DocumentAction::Unchanged, "fx_rate", id, label);
                return Ok(());
            }
            let (version, rate, source) = (current.version, line.rate, line.source.map(Some));
            if apply
                .attempt(&rows, &locate, move |tx| {
                    service::update(tx, actor, id, version, Some(rate), source)
                })?
                .is_some()
            {
                apply.done(&rows, DocumentAction::Updated, "fx_rate", id, label);
            }
        }
        None => {
            let input = NewRate {
                from: line.from,
                to: line.to,
                date: line.date,
                rate: line.rate,
                source: line.source,
            };
            if let Some(rate) =
                apply.attempt(&rows, &locate, move |tx| service::create(tx, actor, input))?
            {
                apply.done(&rows, DocumentAction::Created, "fx_rate", rate.id, label);
            }
        }
    }
    Ok(())
}
