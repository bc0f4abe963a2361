//! FX use cases: record and correct rates, convert amounts at a document's date.

use super::model::{check_pair, check_rate, convert, FxRate};
use super::repo::{self, RateFilter};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::http::responses::{Page, PageWindow};
use crate::money::{Currency, Money};
use crate::validate::{optional_text, Validator};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A new rate as received.
#[derive(Debug, Clone)]
pub struct NewRate {
    pub from: String,
    pub to: String,
    pub date: NaiveDate,
    pub rate: Decimal,
    pub source: Option<String>,
}

/// Records a rate.
pub fn create(tx: &mut Tx<'_>, actor: &Actor, input: NewRate) -> AppResult<FxRate> {
    let mut v = Validator::new();
    let (from, to) = check_pair(&input.from, &input.to);
    let from = v.check("from", from);
    let to = v.check("to", to);
    let rate = v.check("rate", check_rate(input.rate));
    let source = v.check("source", optional_text(input.source.as_deref(), 200));
    v.finish()?;
    let (Some(from), Some(to), Some(rate)) = (from, to, rate) else {
        return Err(AppError::invalid("rate", "is required"));
    };
    if let Some(holder) = repo::id_by_key(tx, from.code(), to.code(), input.date)? {
        return Err(AppError::conflict(
            "duplicate_fx_rate",
            format!("a {from}→{to} rate for {} already exists (FX rate {holder}); change that one instead", input.date),
        )
        .with_context(serde_json::json!({ "fx_rate_id": holder })));
    }
    let source = source.flatten();
    let id = repo::insert(
        tx,
        from.code(),
        to.code(),
        input.date,
        rate,
        source.as_deref(),
        clock::now(),
    )?;
    let created = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "fx_rate.create",
        "fx_rate",
        id,
        None::<&()>,
        Some(&created),
    )?;
    evaluate_affected(tx, from, to)?;
    Ok(created)
}

/// Corrects a rate's value or source at `expected_version`.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    rate: Option<Decimal>,
    source: Option<Option<String>>,
) -> AppResult<FxRate> {
    let before = repo::find(tx, id)?.ok_or_else(|| AppError::not_found("FX rate", id))?;
    crate::lifecycle::check_version("FX rate", id, before.rate.version, expected_version)?;
    let mut v = Validator::new();
    let rate = match rate {
        Some(rate) => v.check("rate", check_rate(rate)),
        None => Some(before.value),
    };
    let source = match source {
        Some(source) => v
            .check("source", optional_text(source.as_deref(), 200))
            .flatten(),
        None => before.rate.source.clone(),
    };
    v.finish()?;
    let rate = rate.unwrap_or(before.value);
    if !repo::update(
        tx,
        id,
        expected_version,
        rate,
        source.as_deref(),
        clock::now(),
    )? {
        return Err(AppError::conflict(
            "version_conflict",
            format!("FX rate {id} changed while it was being updated"),
        ));
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "fx_rate.update",
        "fx_rate",
        id,
        Some(&before.rate),
        Some(&after),
    )?;
    let (from, to) = check_pair(&after.from, &after.to);
    if let (Ok(from), Ok(to)) = (from, to) {
        evaluate_affected(tx, from, to)?;
    }
    Ok(after)
}

/// Evaluates the budget thresholds of every project budgeted in `to` that has purchase orders
/// or invoices in `from`. Documents keep the conversion made at their date, so a new or
/// corrected rate moves no figure already posted; the check runs so that the rule holds for
/// every change the ledger depends on, and costs a few queries per affected project.
fn evaluate_affected(tx: &mut Tx<'_>, from: Currency, to: Currency) -> AppResult<()> {
    use crate::db::schema::{budget_lines, invoice_lines, invoices, projects, purchase_orders};
    use diesel::prelude::*;
    let mut affected: Vec<i64> = purchase_orders::table
        .filter(purchase_orders::currency.eq(from.code()))
        .filter(purchase_orders::budget_currency.eq(to.code()))
        .select(purchase_orders::project_id)
        .distinct()
        .load(&mut **tx)?;
    let invoiced: Vec<i64> = invoice_lines::table
        .inner_join(invoices::table)
        .inner_join(budget_lines::table.inner_join(projects::table))
        .filter(invoices::currency.eq(from.code()))
        .filter(projects::currency.eq(to.code()))
        .select(budget_lines::project_id)
        .distinct()
        .load(&mut **tx)?;
    affected.extend(invoiced);
    affected.sort_unstable();
    affected.dedup();
    for project in affected {
        crate::ledger::thresholds::evaluate(tx, project, clock::now())?;
    }
    Ok(())
}

/// The rate with this id, or 404.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<FxRate> {
    repo::find(conn, id)?
        .map(|s| s.rate)
        .ok_or_else(|| AppError::not_found("FX rate", id))
}

/// A page of rates.
pub fn list(
    conn: &mut DbConnection,
    filter: &RateFilter,
    window: PageWindow,
) -> AppResult<Page<FxRate>> {
    let rows = repo::list(conn, filter, window.after, window.fetch())?;
    Ok(window.page(rows, |r| r.id, |r| r))
}

/// An amount converted at a date, with the rate that was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    pub original: Money,
    pub converted: Money,
    /// The rate applied (1 for a currency into itself).
    pub rate: Decimal,
    /// The rate's own date and id (`None` for a currency into itself).
    pub rate_used: Option<(NaiveDate, i64)>,
}

/// Converts `amount` into `to` at the latest rate on or before `date`; a missing rate is a 422
/// `fx_rate_missing` naming the pair and the date.
pub fn convert_at(
    conn: &mut DbConnection,
    amount: Money,
    to: Currency,
    date: NaiveDate,
) -> AppResult<Conversion> {
    if amount.currency() == to {
        return Ok(Conversion {
            original: amount,
            converted: amount,
            rate: Decimal::ONE,
            rate_used: None,
        });
    }
    let from = amount.currency();
    let stored = repo::latest_on_or_before(conn, from.code(), to.code(), date)?.ok_or_else(|| {
        AppError::unprocessable(
            "fx_rate_missing",
            format!("there is no {from}→{to} rate on or before {date}; record one at /api/v1/fx-rates"),
        )
        .with_context(serde_json::json!({ "from": from.code(), "to": to.code(), "date": date }))
    })?;
    let converted = convert(amount, stored.value, to)?;
    Ok(Conversion {
        original: amount,
        converted,
        rate: stored.value,
        rate_used: Some((stored.rate.date, stored.rate.id)),
    })
}
