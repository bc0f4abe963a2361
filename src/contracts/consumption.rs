//! How much of a contract's ceiling is used, in the contract's currency, exactly.
//!
//! Rules: *committed* is the open value of the contract's approved purchase orders: per PO line,
//! its net amount less what approved invoices billed on it, never below zero, and zero once the
//! line is fully invoiced or its PO closed or cancelled. *Invoiced* is the net of approved (and
//! paid) invoice lines billing those PO lines or the contract's SOW milestones, credit memos
//! included (negative). Consumed = committed + invoiced; remaining = ceiling − consumed.
//! Purchase-order approval checks the same figures (its own PO left out of committed).

use crate::db::schema::{
    invoice_lines, invoices, milestones, purchase_order_lines, purchase_orders, sows,
};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::money::storage::{decimal_from_text, money_from_units};
use crate::money::{parse_decimal, Currency, Money, MoneyError};
use crate::purchase_orders::model::PoStatus;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// A contract's use of its ceiling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Consumption {
    /// The contract.
    pub contract_id: i64,
    /// Its currency.
    pub currency: String,
    /// Its current ceiling.
    pub ceiling: String,
    /// Open value of its approved purchase orders.
    pub committed: String,
    /// Approved invoices on its purchase orders and milestones (net of credit memos).
    pub invoiced: String,
    /// `committed + invoiced`.
    pub consumed: String,
    /// `ceiling − consumed` (negative when overrun).
    pub remaining: String,
    /// `consumed / ceiling` in percent, rounded half-even to 2 places for display.
    pub consumed_percent: String,
}

/// The raw figures in storage units of the contract's currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Open PO value, leaving out the PO excepted.
    pub committed: i64,
    /// Approved invoice lines on the contract's POs (all of them) and milestones.
    pub invoiced: i64,
    /// Approved invoice lines on the excepted PO.
    pub invoiced_on_excepted: i64,
}

/// The figures of a contract, leaving `except_po`'s commitment out (for its own approval).
pub fn figures(
    conn: &mut DbConnection,
    contract_id: i64,
    except_po: Option<i64>,
) -> AppResult<Figures> {
    let open: Vec<&str> = PoStatus::COMMITTED.iter().map(|s| s.as_str()).collect();
    type LineFacts = (i64, i64, String, i64, String, String);
    let lines: Vec<LineFacts> = purchase_order_lines::table
        .inner_join(purchase_orders::table)
        .filter(purchase_orders::contract_id.eq(contract_id))
        .select((
            purchase_orders::id,
            purchase_order_lines::id,
            purchase_orders::status,
            purchase_order_lines::net_units,
            purchase_order_lines::quantity,
            purchase_order_lines::quantity_invoiced,
        ))
        .load(conn)?;
    let posted: Vec<(Option<i64>, i64)> = invoice_lines::table
        .inner_join(invoices::table)
        .inner_join(purchase_order_lines::table.inner_join(purchase_orders::table))
        .filter(purchase_orders::contract_id.eq(contract_id))
        .filter(invoices::status.eq_any(crate::invoices::repo::POSTED))
        .select((invoice_lines::po_line_id, invoice_lines::net_units))
        .load(conn)?;
    let on_milestones: Vec<i64> = invoice_lines::table
        .inner_join(invoices::table)
        .inner_join(milestones::table.inner_join(sows::table))
        .filter(sows::contract_id.eq(contract_id))
        .filter(invoices::status.eq_any(crate::invoices::repo::POSTED))
        .select(invoice_lines::net_units)
        .load(conn)?;
    let corrupt = || AppError::internal(anyhow::anyhow!("corrupt PO line quantity"));
    // Billed per PO line, then one pass over the lines: linear in lines + invoice lines.
    let mut billed_by_line: std::collections::HashMap<i64, i128> = std::collections::HashMap::new();
    for (line, units) in posted {
        if let Some(line) = line {
            *billed_by_line.entry(line).or_default() += i128::from(units);
        }
    }
    let (mut committed, mut invoiced, mut invoiced_on_excepted) = (0i128, 0i128, 0i128);
    for (po_id, line_id, status, net_units, quantity, invoiced_quantity) in lines {
        let billed = billed_by_line.get(&line_id).copied().unwrap_or_default();
        invoiced += billed;
        if Some(po_id) == except_po {
            invoiced_on_excepted += billed;
            continue;
        }
        let fully_invoiced = decimal_from_text(&invoiced_quantity).map_err(|_| corrupt())?
            >= decimal_from_text(&quantity).map_err(|_| corrupt())?;
        if open.contains(&status.as_str()) && !fully_invoiced {
            committed += (i128::from(net_units) - billed).max(0);
        }
    }
    invoiced += on_milestones.iter().map(|u| i128::from(*u)).sum::<i128>();
    let units = |total: i128| i64::try_from(total).map_err(|_| MoneyError::Overflow);
    let out = Figures {
        committed: units(committed)?,
        invoiced: units(invoiced)?,
        invoiced_on_excepted: units(invoiced_on_excepted)?,
    };
    Ok(out)
}

/// A contract's consumption as shown.
pub fn of_contract(conn: &mut DbConnection, contract_id: i64) -> AppResult<Consumption> {
    let contract = crate::contracts::repo::find(conn, contract_id)?
        .ok_or_else(|| AppError::not_found("contract", contract_id))?;
    let currency = Currency::parse(&contract.currency).map_err(AppError::internal)?;
    let ceiling = Money::new(
        parse_decimal(&contract.ceiling).map_err(AppError::internal)?,
        currency,
    )?;
    let f = figures(conn, contract_id, None)?;
    let committed = money_from_units(f.committed, currency)?;
    let invoiced = money_from_units(f.invoiced, currency)?;
    let consumed = committed.checked_add(&invoiced)?;
    let remaining = ceiling.checked_sub(&consumed)?;
    let mut percent = if ceiling.is_zero() {
        Decimal::ZERO
    } else {
        crate::money::RoundingPoint::Presentation.policy().round(
            consumed.amount() * Decimal::ONE_HUNDRED / ceiling.amount(),
            2,
        )
    };
    percent.rescale(2);
    Ok(Consumption {
        contract_id,
        currency: contract.currency,
        ceiling: ceiling.amount().to_string(),
        committed: committed.amount().to_string(),
        invoiced: invoiced.amount().to_string(),
        consumed: consumed.amount().to_string(),
        remaining: remaining.amount().to_string(),
        consumed_percent: percent.to_string(),
    })
}
