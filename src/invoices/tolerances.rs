//! Matching tolerances: a global default, and overrides per vendor and per contract (the most
//! specific defined level wins, as a whole record).

use super::model::default_tolerance;
use super::repo;
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::money::storage::decimal_to_text;
use crate::validate::Validator;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// A tolerance as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ToleranceView {
    /// `global`, `vendor` or `contract`.
    pub level: String,
    /// The vendor (vendor level).
    pub vendor_id: Option<i64>,
    /// The contract (contract level).
    pub contract_id: Option<i64>,
    /// Allowed unit-price excess, percent of the PO price.
    pub price_percent: Option<String>,
    /// Allowed unit-price excess per unit, in the document's currency.
    pub price_absolute: Option<String>,
    /// Allowed quantity excess, percent of the quantity allowed.
    pub quantity_percent: Option<String>,
    /// Allowed quantity excess, in units.
    pub quantity_absolute: Option<String>,
    /// Who set it (absent for the built-in default).
    pub updated_by: Option<String>,
    /// When (UTC).
    pub updated_at: Option<DateTime<Utc>>,
}

/// Every tolerance in force: the global one (stored or the built-in default) first.
pub fn list(conn: &mut DbConnection) -> AppResult<Vec<ToleranceView>> {
    let stored = repo::tolerances(conn)?;
    let mut out = Vec::with_capacity(stored.len() + 1);
    if !stored.iter().any(|row| row.0 == "global") {
        let d = default_tolerance();
        out.push(ToleranceView {
            level: "global".into(),
            vendor_id: None,
            contract_id: None,
            price_percent: d.price_percent.map(|v| v.to_string()),
            price_absolute: d.price_absolute.map(|v| v.to_string()),
            quantity_percent: d.quantity_percent.map(|v| v.to_string()),
            quantity_absolute: d.quantity_absolute.map(|v| v.to_string()),
            updated_by: None,
            updated_at: None,
        });
    }
    let mut rows: Vec<ToleranceView> = stored
        .into_iter()
        .map(
            |(key, vendor_id, contract_id, pp, pa, qp, qa, by, at)| ToleranceView {
                level: key.split(':').next().unwrap_or_default().to_string(),
                vendor_id,
                contract_id,
                price_percent: pp,
                price_absolute: pa,
                quantity_percent: qp,
                quantity_absolute: qa,
                updated_by: Some(by),
                updated_at: Some(at.and_utc()),
            },
        )
        .collect();
    rows.sort_by_key(|t| (t.level != "global", t.vendor_id, t.contract_id));
    out.extend(rows);
    Ok(out)
}

/// Limits as received.
#[derive(Debug, Clone, Default)]
pub struct ToleranceInput {
    pub vendor_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub price_percent: Option<Decimal>,
    pub price_absolute: Option<Decimal>,
    pub quantity_percent: Option<Decimal>,
    pub quantity_absolute: Option<Decimal>,
}

fn limit(value: Option<Decimal>, max: Decimal) -> Result<Option<String>, String> {
    match value {
        None => Ok(None),
        Some(v) if v.is_sign_negative() => Err(format!("{v} must be zero or more")),
        Some(v) if v > max => Err(format!("{v} is more than {max}")),
        Some(v) if v.normalize().scale() > 6 => Err(format!("{v} has more than 6 decimal places")),
        Some(v) => Ok(Some(decimal_to_text(v))),
    }
}

/// Sets the tolerance of one level (global without ids; vendor or contract with one id).
pub fn put(tx: &mut Tx<'_>, actor: &Actor, input: ToleranceInput) -> AppResult<Vec<ToleranceView>> {
    let mut v = Validator::new();
    let key = match (input.vendor_id, input.contract_id) {
        (Some(_), Some(_)) => {
            v.fail(
                "contract_id",
                "set a vendor's or a contract's tolerance, not both at once",
            );
            String::new()
        }
        (Some(vendor_id), None) => {
            if crate::vendors::repo::find(tx, vendor_id)?.is_none() {
                v.fail("vendor_id", format!("vendor {vendor_id} does not exist"));
            }
            format!("vendor:{vendor_id}")
        }
        (None, Some(contract_id)) => {
            if crate::contracts::repo::find(tx, contract_id)?.is_none() {
                v.fail(
                    "contract_id",
                    format!("contract {contract_id} does not exist"),
                );
            }
            format!("contract:{contract_id}")
        }
        (None, None) => "global".to_string(),
    };
    let hundred = Decimal::ONE_HUNDRED;
    let big = Decimal::from(1_000_000_000);
    let limits = [
        v.check("price_percent", limit(input.price_percent, hundred))
            .flatten(),
        v.check("price_absolute", limit(input.price_absolute, big))
            .flatten(),
        v.check("quantity_percent", limit(input.quantity_percent, hundred))
            .flatten(),
        v.check("quantity_absolute", limit(input.quantity_absolute, big))
            .flatten(),
    ];
    v.finish()?;
    let before = list(tx)?;
    repo::put_tolerance(
        tx,
        &key,
        input.vendor_id,
        input.contract_id,
        limits,
        &actor.name,
        clock::now(),
    )?;
    let after = list(tx)?;
    let state = |list: &[ToleranceView]| serde_json::json!({ "scope": key, "tolerances": list });
    audit::record(
        tx,
        &actor.name,
        "tolerance.set",
        "match_tolerance",
        &key,
        Some(&state(&before)),
        Some(&state(&after)),
    )?;
    if after.is_empty() {
        return Err(AppError::internal(anyhow::anyhow!("tolerances vanished")));
    }
    Ok(after)
}
