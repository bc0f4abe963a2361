//! Invoice use cases: record (with the duplicate checks and matching), release, reject,
//! approve (posting actuals and releasing commitments in one transaction), pay; and the
//! tolerances that matching uses.
//!
//! Rules:
//! - The same vendor and normalised number is refused (409 naming the earlier invoice); the same
//!   vendor, kind and total within the configured number of days is held as a suspected
//!   duplicate.
//! - Lines bill a PO line (three-way match), an accepted milestone (two-way) or, without either,
//!   a budget line directly (held: `no_reference`). "Previously invoiced" counts every other
//!   invoice that is not rejected, so two pending invoices cannot both pass for the same goods.
//! - Approval re-checks the match against approved invoices only (unless a hold was released),
//!   then per PO line adds the invoiced quantity and releases the commitment in proportion
//!   (`PO line budget amount × invoiced / ordered`, rounded at the allocation point), releasing
//!   all of it once the line is fully invoiced; assets of the line get their cost. The creator
//!   never approves.
//! - Credit memos carry negative amounts, are not matched, may not exceed the invoice they
//!   credit (with its other credits) and, once approved, reduce actuals. They are applied, not
//!   paid.

use super::matching::{
    effective_tolerance, match_milestone, match_po_line, InvoiceLineFacts, MilestoneFacts,
    PoLineFacts, Tolerance, ToleranceLevel,
};
use super::model::{
    default_tolerance, Hold, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineMatchView,
    Payment,
};
use super::repo::{self, InvoiceChange, InvoiceFilter};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::config::PurchasingRules;
use crate::contracts::sows::model::MilestoneStatus;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::http::responses::{Page, PageWindow};
use crate::money::storage::{decimal_from_text, money_from_units, money_to_units};
use crate::money::{Currency, Money};
use crate::purchase_orders::repo::LineRow as PoLineRow;
use crate::validate::{optional_text, required_text, Validator};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Facts read once per request or batch: documents with many lines refer to the same POs,
/// budget lines and tolerances over and over. The `batch_` facts are what invoices accepted
/// earlier in a batch, not written yet, add to what the database says.
#[derive(Default)]
pub(super) struct Lookups {
    /// Shared, not cloned: a PO with many lines is read once per invoice and referred to by
    /// every line that bills it.
    pos: HashMap<i64, std::rc::Rc<crate::purchase_orders::repo::StoredPo>>,
    budget_lines: HashMap<i64, Option<(i64, Currency)>>,
    tolerances: HashMap<(i64, Option<i64>), (Tolerance, ToleranceLevel)>,
    /// Quantities (PO lines) and amounts (milestones) on the earlier lines of the invoice being
    /// recorded, which count as invoiced for its later lines.
    earlier_quantities: HashMap<i64, Decimal>,
    earlier_amounts: HashMap<i64, Decimal>,
    /// PO lines read in one query up front, and the quantities pending on them (including
    /// those of invoices this recorder accepted since).
    po_lines: HashMap<i64, std::rc::Rc<PoLineRow>>,
    pending: HashMap<i64, Decimal>,
    /// Vendors by id: `Some(archived)` when the vendor exists.
    pub(super) vendors: HashMap<i64, Option<bool>>,
    /// Each vendor's normalised invoice numbers already taken: the earlier invoice's id (none
    /// for one accepted earlier in the batch) and its number as written.
    pub(super) numbers: HashMap<(i64, String), (Option<i64>, String)>,
    /// FX rates by (from, to, date).
    pub(super) rates: HashMap<(Currency, Currency, NaiveDate), Decimal>,
    /// Budget lines whose projects are known to be open.
    pub(super) open_budget_lines: std::collections::HashSet<i64>,
    /// Net amounts billed on milestones by invoices accepted earlier in the batch.
    pub(super) batch_amounts: HashMap<i64, Decimal>,
    /// Credit memo totals (units, negative) on each credited invoice, accepted earlier in the
    /// batch.
    pub(super) batch_credits: HashMap<i64, i64>,
    /// SLA periods credited by credit memos accepted earlier in the batch: the memo's number.
    pub(super) batch_sla_credits: HashMap<i64, String>,
}

impl Lookups {
    /// Reads the PO lines invoices bill, and what other pending invoices bill on them, in a
    /// few queries instead of a few per line.
    pub(super) fn preload_po_lines(
        &mut self,
        conn: &mut DbConnection,
        ids: &[i64],
    ) -> AppResult<()> {
        // A line read before keeps its pending quantity, which counts what this recorder has
        // accepted since (a line it never read, it never billed: the database is up to date).
        let ids: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !self.po_lines.contains_key(id))
            .collect();
        for line in crate::purchase_orders::repo::find_lines(conn, &ids)? {
            self.po_lines.insert(line.id, std::rc::Rc::new(line));
        }
        for (po_line_id, quantity) in repo::pending_quantities_on_po_lines(conn, &ids)? {
            if let Some(id) = po_line_id {
                *self.pending.entry(id).or_default() +=
                    decimal_from_text(&quantity).map_err(|_| corrupt("quantity"))?;
            }
        }
        Ok(())
    }

    /// Starts a batch: numbers taken are read again from the database, where the earlier
    /// batches now are (with their ids). PO lines and their pending quantities are kept: the
    /// recorder counted its own invoices on them as it accepted them.
    pub(super) fn start_batch(&mut self) {
        self.numbers.clear();
        self.batch_amounts.clear();
        self.batch_credits.clear();
        self.batch_sla_credits.clear();
    }

    /// Starts the next invoice of a batch: its own earlier lines count from zero.
    pub(super) fn start_invoice(&mut self) {
        self.earlier_quantities.clear();
        self.earlier_amounts.clear();
    }

    /// An invoice was accepted: what its lines bill counts as pending for the batch's later
    /// invoices.
    pub(super) fn accept_invoice(&mut self) {
        for (po_line, quantity) in self.earlier_quantities.drain() {
            *self.pending.entry(po_line).or_default() += quantity;
        }
        for (milestone, amount) in self.earlier_amounts.drain() {
            *self.batch_amounts.entry(milestone).or_default() += amount;
        }
    }

    /// The vendor: `Some(archived)` when it exists.
    pub(super) fn vendor(&mut self, conn: &mut DbConnection, id: i64) -> AppResult<Option<bool>> {
        if let Some(found) = self.vendors.get(&id) {
            return Ok(*found);
        }
        let found = crate::vendors::repo::find(conn, id)?.map(|v| v.archived_at.is_some());
        self.vendors.insert(id, found);
        Ok(found)
    }

    /// The rate from one currency to another on a date (1 between the same currency).
    pub(super) fn rate(
        &mut self,
        conn: &mut DbConnection,
        from: Currency,
        to: Currency,
        date: NaiveDate,
    ) -> AppResult<Decimal> {
        if let Some(rate) = self.rates.get(&(from, to, date)) {
            return Ok(*rate);
        }
        let rate = crate::fx::service::convert_at(conn, Money::zero(from), to, date)?.rate;
        self.rates.insert((from, to, date), rate);
        Ok(rate)
    }

    /// Refuses budget lines of closed projects; open ones are remembered.
    pub(super) fn ensure_open(&mut self, conn: &mut DbConnection, ids: &[i64]) -> AppResult<()> {
        let unknown: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !self.open_budget_lines.contains(id))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        crate::projects::service::ensure_budget_lines_open(conn, unknown.iter().copied())?;
        self.open_budget_lines.extend(unknown);
        Ok(())
    }

    fn po_line(
        &mut self,
        conn: &mut DbConnection,
        id: i64,
    ) -> AppResult<Option<std::rc::Rc<PoLineRow>>> {
        if let Some(line) = self.po_lines.get(&id) {
            return Ok(Some(line.clone()));
        }
        Ok(crate::purchase_orders::repo::find_line(conn, id)?.map(std::rc::Rc::new))
    }

    fn po(
        &mut self,
        conn: &mut DbConnection,
        id: i64,
    ) -> AppResult<std::rc::Rc<crate::purchase_orders::repo::StoredPo>> {
        if let Some(po) = self.pos.get(&id) {
            return Ok(po.clone());
        }
        let po = std::rc::Rc::new(crate::purchase_orders::service::stored(conn, id)?);
        self.pos.insert(id, po.clone());
        Ok(po)
    }

    fn budget_line(
        &mut self,
        conn: &mut DbConnection,
        id: i64,
    ) -> AppResult<Option<(i64, Currency)>> {
        if let Some(found) = self.budget_lines.get(&id) {
            return Ok(*found);
        }
        let found = crate::budgets::repo::owner_and_currency(conn, id)?;
        self.budget_lines.insert(id, found);
        Ok(found)
    }

    pub(super) fn budget_currency(
        &mut self,
        conn: &mut DbConnection,
        id: i64,
    ) -> AppResult<Currency> {
        self.budget_line(conn, id)?
            .map(|(_, c)| c)
            .ok_or_else(|| corrupt("budget line"))
    }

    fn tolerance(
        &mut self,
        conn: &mut DbConnection,
        vendor_id: i64,
        contract_id: Option<i64>,
    ) -> AppResult<(Tolerance, ToleranceLevel)> {
        if let Some(found) = self.tolerances.get(&(vendor_id, contract_id)) {
            return Ok(*found);
        }
        let found = tolerance_for(conn, vendor_id, contract_id)?;
        self.tolerances.insert((vendor_id, contract_id), found);
        Ok(found)
    }
}

/// Most lines an invoice may have.
pub const MAX_LINES: usize = 500;

/// A line as received.
#[derive(Debug, Clone)]
pub struct InvoiceLineInput {
    pub po_line_id: Option<i64>,
    pub milestone_id: Option<i64>,
    pub budget_line_id: Option<i64>,
    pub description: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub tax_percent: Decimal,
}

/// An invoice as received.
#[derive(Debug, Clone)]
pub struct InvoiceInput {
    pub vendor_id: i64,
    pub number: String,
    pub kind: InvoiceKind,
    pub original_invoice_id: Option<i64>,
    pub sla_measurement_id: Option<i64>,
    pub invoice_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub currency: String,
    pub lines: Vec<InvoiceLineInput>,
}

pub(super) fn corrupt(what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("invoice data: corrupt {what}"))
}

/// Reads an invoice.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<Invoice> {
    get_many(conn, &[id])?
        .pop()
        .ok_or_else(|| AppError::not_found("invoice", id))
}

/// Reads invoices, in the order of `ids` (missing ones left out), a few queries per thousand.
pub fn get_many(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<Invoice>> {
    let mut lookups = Lookups::default();
    repo::find_many(conn, ids)?
        .into_iter()
        .map(|stored| view(conn, &mut lookups, stored))
        .collect()
}

/// An invoice as the API shows it, from its rows as stored.
pub(super) fn view(
    conn: &mut DbConnection,
    lookups: &mut Lookups,
    (row, lines, payments): repo::StoredInvoice,
) -> AppResult<Invoice> {
    let currency = Currency::parse(&row.currency).map_err(|_| corrupt("currency"))?;
    let status = InvoiceStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let kind = InvoiceKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?;
    let amount = |units: i64| -> AppResult<String> {
        Ok(money_from_units(units, currency)?.amount().to_string())
    };
    let mut views = Vec::with_capacity(lines.len());
    for line in lines {
        let budget_currency = lookups.budget_currency(conn, line.budget_line_id)?;
        views.push(InvoiceLine {
            id: line.id,
            line_no: line.line_no,
            po_line_id: line.po_line_id,
            milestone_id: line.milestone_id,
            budget_line_id: line.budget_line_id,
            description: line.description,
            quantity: line.quantity,
            unit_price: line.unit_price,
            tax_percent: line.tax_percent,
            net_amount: amount(line.net_units)?,
            tax_amount: amount(line.tax_units)?,
            fx_rate: line.fx_rate,
            net_amount_budget: money_from_units(line.net_budget_units, budget_currency)?
                .amount()
                .to_string(),
            matched: serde_json::from_str(&line.match_result)
                .map_err(|_| corrupt("match result"))?,
        });
    }
    Ok(Invoice {
        id: row.id,
        number: row.number,
        normalised_number: row.normalised_number,
        vendor_id: row.vendor_id,
        kind,
        original_invoice_id: row.original_invoice_id,
        sla_measurement_id: row.sla_measurement_id,
        invoice_date: row.invoice_date,
        due_date: row.due_date,
        currency: row.currency.clone(),
        status,
        allowed_actions: status
            .allowed_actions()
            .iter()
            .filter(|a| !(kind == InvoiceKind::CreditMemo && **a == "pay"))
            .map(|a| a.to_string())
            .collect(),
        lines: views,
        net_total: amount(row.net_units)?,
        tax_total: amount(row.tax_units)?,
        total: amount(row.total_units)?,
        hold_reasons: serde_json::from_str(&row.hold_reasons)
            .map_err(|_| corrupt("hold reasons"))?,
        payments: payments
            .into_iter()
            .map(|(units, paid_on, reference, recorded_by)| {
                Ok(Payment {
                    amount: amount(units)?,
                    paid_on,
                    reference,
                    recorded_by,
                })
            })
            .collect::<AppResult<Vec<_>>>()?,
        paid_total: amount(row.paid_units)?,
        created_by: row.created_by,
        decided_by: row.decided_by,
        decision_reason: row.decision_reason,
        approved_by: row.approved_by,
        approved_at: row.approved_at.map(|t| t.and_utc()),
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

/// A page of invoices.
pub fn list(
    conn: &mut DbConnection,
    filter: &InvoiceFilter,
    window: PageWindow,
) -> AppResult<Page<Invoice>> {
    let ids = repo::list_ids(conn, filter, window.after, window.fetch())?;
    let rows = get_many(conn, &ids)?;
    Ok(window.page(rows, |i| i.id, |i| i))
}

fn places(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// What a line bills, resolved.
pub(super) enum Reference {
    PoLine(
        std::rc::Rc<PoLineRow>,
        std::rc::Rc<crate::purchase_orders::repo::StoredPo>,
    ),
    Milestone {
        id: i64,
        contract_id: i64,
        accepted: bool,
        amount: Decimal,
    },
    None,
}

pub(super) struct Prepared {
    pub(super) reference: Reference,
    pub(super) budget_line_id: i64,
    pub(super) budget_currency: Currency,
    pub(super) description: String,
    pub(super) quantity: Decimal,
    pub(super) unit_price: Decimal,
    pub(super) tax_percent: Decimal,
}

/// Resolves and checks one line; problems go to the validator.
pub(super) fn prepare_line(
    conn: &mut DbConnection,
    lookups: &mut Lookups,
    v: &mut Validator,
    i: usize,
    input: &InvoiceInput,
    currency: Option<Currency>,
    line: &InvoiceLineInput,
) -> AppResult<Option<Prepared>> {
    let at = |f: &str| format!("lines[{i}].{f}");
    let mut ok = true;
    if let Err(message) = crate::purchase_orders::service::quantity(line.quantity) {
        v.fail(at("quantity"), message);
        ok = false;
    }
    if let Err(message) = crate::purchase_orders::service::unit_price(line.unit_price) {
        v.fail(
            at("unit_price"),
            format!("{message} (credit memos use positive prices too)"),
        );
        ok = false;
    }
    if line.tax_percent.is_sign_negative()
        || line.tax_percent > Decimal::ONE_HUNDRED
        || places(line.tax_percent) > 4
    {
        v.fail(
            at("tax_percent"),
            format!("{} is not a percentage between 0 and 100", line.tax_percent),
        );
        ok = false;
    }
    let description = v
        .check(
            at("description"),
            optional_text(line.description.as_deref(), 500),
        )
        .flatten();
    if line.po_line_id.is_some() && line.milestone_id.is_some() {
        v.fail(
            at("milestone_id"),
            "a line bills either a PO line or a milestone, not both",
        );
        return Ok(None);
    }
    let (reference, budget_line_id, default_description) = if let Some(po_line_id) = line.po_line_id
    {
        let Some(po_line) = lookups.po_line(conn, po_line_id)? else {
            v.fail(
                at("po_line_id"),
                format!("PO line {po_line_id} does not exist"),
            );
            return Ok(None);
        };
        let po = lookups.po(conn, po_line.po_id)?;
        if po.view.vendor_id != input.vendor_id {
            v.fail(
                at("po_line_id"),
                format!(
                    "PO line {po_line_id} is on {}, ordered from vendor {}, not {}",
                    po.view.number, po.view.vendor_id, input.vendor_id
                ),
            );
            ok = false;
        }
        if currency.is_some_and(|c| c != po.currency) {
            v.fail(
                "currency",
                format!(
                    "{} is in {}: invoice it in that currency",
                    po.view.number, po.currency
                ),
            );
            ok = false;
        }
        if line
            .budget_line_id
            .is_some_and(|b| b != po_line.budget_line_id)
        {
            v.fail(
                at("budget_line_id"),
                format!(
                    "PO line {po_line_id} is charged to budget line {}; leave budget_line_id out",
                    po_line.budget_line_id
                ),
            );
            ok = false;
        }
        let budget = po_line.budget_line_id;
        let description = po_line.description.clone();
        (Reference::PoLine(po_line, po), budget, description)
    } else if let Some(milestone_id) = line.milestone_id {
        let found =
            crate::contracts::sows::repo::find_milestone(conn, milestone_id, |conn, cid| {
                let contract = crate::contracts::repo::find(conn, cid)?
                    .ok_or_else(|| AppError::not_found("contract", cid))?;
                Currency::parse(&contract.currency).map_err(AppError::internal)
            })?;
        let Some((milestone, contract_id)) = found else {
            v.fail(
                at("milestone_id"),
                format!("milestone {milestone_id} does not exist"),
            );
            return Ok(None);
        };
        let contract = crate::contracts::repo::find(conn, contract_id)?
            .ok_or_else(|| AppError::not_found("contract", contract_id))?;
        if contract.vendor_id != input.vendor_id {
            v.fail(
                at("milestone_id"),
                format!(
                    "milestone {milestone_id} is under contract {} with vendor {}, not {}",
                    contract.number, contract.vendor_id, input.vendor_id
                ),
            );
            ok = false;
        }
        if currency.is_some_and(|c| c.code() != contract.currency) {
            v.fail(
                "currency",
                format!("contract {} is in {}", contract.number, contract.currency),
            );
            ok = false;
        }
        let project = crate::contracts::sows::repo::project_of_sow(conn, milestone.sow_id)?;
        let Some(budget_line_id) = line.budget_line_id else {
            v.fail(
                at("budget_line_id"),
                "a milestone line names the budget line it is charged to",
            );
            return Ok(None);
        };
        match lookups.budget_line(conn, budget_line_id)? {
            Some((owner, _)) if Some(owner) == project => {}
            Some(_) => {
                v.fail(
                    at("budget_line_id"),
                    format!("budget line {budget_line_id} is not of the SOW's project"),
                );
                ok = false;
            }
            None => {
                v.fail(
                    at("budget_line_id"),
                    format!("budget line {budget_line_id} does not exist"),
                );
                ok = false;
            }
        }
        let amount = decimal_from_text(&milestone.amount).map_err(AppError::internal)?;
        (
            Reference::Milestone {
                id: milestone_id,
                contract_id,
                accepted: milestone.status == MilestoneStatus::Accepted,
                amount,
            },
            budget_line_id,
            milestone.name.clone(),
        )
    } else {
        let Some(budget_line_id) = line.budget_line_id else {
            v.fail(
                at("po_line_id"),
                "a line needs a po_line_id, a milestone_id or (unmatched) a budget_line_id",
            );
            return Ok(None);
        };
        if lookups.budget_line(conn, budget_line_id)?.is_none() {
            v.fail(
                at("budget_line_id"),
                format!("budget line {budget_line_id} does not exist"),
            );
            return Ok(None);
        }
        (Reference::None, budget_line_id, String::new())
    };
    let budget_currency = lookups
        .budget_line(conn, budget_line_id)?
        .map(|(_, c)| c)
        .ok_or_else(|| AppError::not_found("budget line", budget_line_id))?;
    let description = description.unwrap_or(default_description);
    if description.is_empty() {
        v.fail(
            at("description"),
            "is required on a line without a PO line or milestone",
        );
        ok = false;
    }
    Ok(ok.then_some(Prepared {
        reference,
        budget_line_id,
        budget_currency,
        description,
        quantity: line.quantity,
        unit_price: line.unit_price,
        tax_percent: line.tax_percent,
    }))
}

/// The tolerance for a vendor and (optional) contract, and where it came from.
pub fn tolerance_for(
    conn: &mut DbConnection,
    vendor_id: i64,
    contract_id: Option<i64>,
) -> AppResult<(Tolerance, ToleranceLevel)> {
    let global = stored_tolerance(conn, "global")?.unwrap_or_else(default_tolerance);
    let vendor = stored_tolerance(conn, &format!("vendor:{vendor_id}"))?;
    let contract = match contract_id {
        Some(id) => stored_tolerance(conn, &format!("contract:{id}"))?,
        None => None,
    };
    let (tolerance, level) = effective_tolerance(&global, vendor.as_ref(), contract.as_ref());
    Ok((*tolerance, level))
}

fn stored_tolerance(conn: &mut DbConnection, key: &str) -> AppResult<Option<Tolerance>> {
    let Some((pp, pa, qp, qa)) = repo::tolerance(conn, key)? else {
        return Ok(None);
    };
    let parse = |t: Option<String>| -> AppResult<Option<Decimal>> {
        t.map(|t| decimal_from_text(&t).map_err(|_| corrupt("tolerance")))
            .transpose()
    };
    Ok(Some(Tolerance {
        price_percent: parse(pp)?,
        price_absolute: parse(pa)?,
        quantity_percent: parse(qp)?,
        quantity_absolute: parse(qa)?,
    }))
}

fn level_name(level: ToleranceLevel) -> &'static str {
    match level {
        ToleranceLevel::Global => "global",
        ToleranceLevel::Vendor => "vendor",
        ToleranceLevel::Contract => "contract",
    }
}

/// Quantity invoiced on a PO line by other invoices: approved ones only (at approval), or also
/// the pending ones read up front by [`Lookups::preload_po_lines`] (when recording).
fn invoiced_elsewhere(
    lookups: &Lookups,
    po_line: &PoLineRow,
    approved_only: bool,
) -> AppResult<Decimal> {
    let approved = po_line.invoiced()?;
    if approved_only {
        return Ok(approved);
    }
    Ok(approved
        + lookups
            .pending
            .get(&po_line.id)
            .copied()
            .unwrap_or_default())
}

fn milestone_invoiced_elsewhere(
    conn: &mut DbConnection,
    milestone_id: i64,
    except_invoice: i64,
    currency: Currency,
    approved_only: bool,
) -> AppResult<Decimal> {
    let mut total = Decimal::ZERO;
    for (status, units) in repo::amounts_on_milestone(conn, milestone_id, except_invoice)? {
        let counts = match status.as_str() {
            "approved" | "paid" => true,
            "rejected" => false,
            _ => !approved_only,
        };
        if counts {
            total += money_from_units(units, currency)?.amount();
        }
    }
    Ok(total)
}

/// Matches one line; `None` means it is not matched (credit memos).
#[allow(clippy::too_many_arguments)]
pub(super) fn match_line(
    conn: &mut DbConnection,
    lookups: &mut Lookups,
    invoice_id: i64,
    vendor_id: i64,
    line_no: i64,
    prepared: &Prepared,
    net: Money,
    approved_only: bool,
) -> AppResult<LineMatchView> {
    match &prepared.reference {
        Reference::PoLine(po_line, po) => {
            let (tolerance, level) = lookups.tolerance(conn, vendor_id, po.view.contract_id)?;
            // At approval the PO line already holds the earlier lines of this invoice (they are
            // posted one by one); while recording, they are counted here.
            let earlier = if approved_only {
                Decimal::ZERO
            } else {
                let slot = lookups.earlier_quantities.entry(po_line.id).or_default();
                let before = *slot;
                *slot += prepared.quantity;
                before
            };
            let facts = PoLineFacts {
                ordered_quantity: po_line.quantity()?,
                unit_price: po_line.unit_price()?,
                received_quantity: po_line.received()?,
                previously_invoiced_quantity: invoiced_elsewhere(lookups, po_line, approved_only)?
                    + earlier,
            };
            let outcome = match_po_line(
                &facts,
                &InvoiceLineFacts {
                    quantity: prepared.quantity,
                    unit_price: prepared.unit_price,
                },
                &tolerance,
            );
            let mut view = LineMatchView::of(line_no, &outcome, level_name(level));
            if !po.status.is_committed() {
                view.holds.push(Hold {
                    line_no: Some(line_no),
                    code: "po_not_open".to_string(),
                    message: format!(
                        "purchase order {} is {}: it takes no invoices",
                        po.view.number,
                        po.status.as_str()
                    ),
                });
            }
            Ok(view)
        }
        Reference::Milestone {
            id,
            contract_id,
            accepted,
            amount,
        } => {
            let (tolerance, level) = lookups.tolerance(conn, vendor_id, Some(*contract_id))?;
            let earlier = if approved_only {
                Decimal::ZERO
            } else {
                let slot = lookups.earlier_amounts.entry(*id).or_default();
                let before = *slot;
                *slot += net.amount();
                before
            };
            let facts = MilestoneFacts {
                accepted: *accepted,
                amount: *amount,
                previously_invoiced: milestone_invoiced_elsewhere(
                    conn,
                    *id,
                    invoice_id,
                    net.currency(),
                    approved_only,
                )? + earlier
                    + lookups.batch_amounts.get(id).copied().unwrap_or_default(),
            };
            let outcome = match_milestone(&facts, net.amount(), &tolerance);
            Ok(LineMatchView::of(line_no, &outcome, level_name(level)))
        }
        Reference::None => {
            let mut view = LineMatchView::unmatched();
            view.holds.push(Hold {
                line_no: Some(line_no),
                code: "no_reference".to_string(),
                message: "the line bills neither a PO line nor a milestone: check it by hand"
                    .to_string(),
            });
            Ok(view)
        }
    }
}

/// Records an invoice or credit memo, matching it and checking for duplicates: a batch of one
/// (see [`super::recording::Recorder`]).
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Actor,
    rules: &PurchasingRules,
    input: InvoiceInput,
) -> AppResult<Invoice> {
    super::recording::Recorder::new(actor, rules)
        .record(tx, vec![input])?
        .pop()
        .ok_or_else(|| corrupt("batch of one"))?
}

/// A credit memo may not credit more than its invoice still holds.
///
/// `credited_in_batch`: what memos accepted earlier in the same batch credit (units, negative).
pub(super) fn check_credit(
    conn: &mut DbConnection,
    input: &InvoiceInput,
    total_units: i64,
    currency: Currency,
    credited_in_batch: i64,
) -> AppResult<()> {
    let Some(original_id) = input.original_invoice_id else {
        return Ok(());
    };
    let original = get(conn, original_id).map_err(|_| {
        AppError::invalid(
            "original_invoice_id",
            format!("invoice {original_id} does not exist"),
        )
    })?;
    if original.vendor_id != input.vendor_id
        || original.kind != InvoiceKind::Invoice
        || original.currency != currency.code()
    {
        return Err(AppError::invalid(
            "original_invoice_id",
            format!(
                "invoice {original_id} is not an invoice of vendor {} in {currency}",
                input.vendor_id
            ),
        ));
    }
    if !matches!(
        original.status,
        InvoiceStatus::Approved | InvoiceStatus::Paid
    ) {
        return Err(AppError::conflict(
            "invoice_not_approved",
            format!(
                "invoice {} is {}: credit an approved invoice",
                original.number,
                original.status.as_str()
            ),
        ));
    }
    let original_units = money_to_units(&Money::new(
        decimal_from_text(&original.total).map_err(AppError::internal)?,
        currency,
    )?)?;
    let credited =
        crate::money::storage::sum_units(repo::credits_of(conn, original_id)?)? + credited_in_batch;
    if original_units + credited + total_units < 0 {
        return Err(AppError::conflict(
            "credit_exceeds_invoice",
            format!(
                "invoice {} totals {}; earlier credits take {} and this memo {}: more than the invoice",
                original.number,
                original.total,
                money_from_units(-credited, currency)?.amount(),
                money_from_units(-total_units, currency)?.amount()
            ),
        ));
    }
    Ok(())
}

/// A credit memo for an SLA period credits exactly the period's receivable credit (net), in the
/// contract's currency, from the contract's vendor, once.
///
/// `credited_in_batch`: the number of a memo accepted earlier in the same batch for the period.
pub(super) fn check_sla_credit(
    conn: &mut DbConnection,
    input: &InvoiceInput,
    net_units: i64,
    currency: Currency,
    credited_in_batch: Option<&str>,
) -> AppResult<()> {
    let Some(measurement_id) = input.sla_measurement_id else {
        return Ok(());
    };
    let Some((contract_id, period, credit_units, status)) =
        crate::contracts::slas::repo::measurement_credit(conn, measurement_id)?
    else {
        return Err(AppError::invalid(
            "sla_measurement_id",
            format!("SLA period {measurement_id} does not exist"),
        ));
    };
    let contract = crate::contracts::repo::find(conn, contract_id)?
        .ok_or_else(|| AppError::not_found("contract", contract_id))?;
    if contract.vendor_id != input.vendor_id || contract.currency != currency.code() {
        return Err(AppError::invalid(
            "sla_measurement_id",
            format!(
                "SLA period {period} is under contract {} with vendor {} in {}",
                contract.number, contract.vendor_id, contract.currency
            ),
        ));
    }
    if status != "receivable" {
        return Err(AppError::conflict(
            "sla_credit_not_receivable",
            format!("SLA period {period} has no credit to apply (its credit is {status})"),
        ));
    }
    if let Some(number) = credited_in_batch {
        return Err(AppError::conflict(
            "sla_credit_already_credited",
            format!(
                "credit memo {number}, earlier in this batch, already credits SLA period {period}"
            ),
        ));
    }
    if let Some((id, number)) = repo::credit_for_measurement(conn, measurement_id)? {
        return Err(AppError::conflict(
            "sla_credit_already_credited",
            format!("credit memo {number} (id {id}) already credits SLA period {period}"),
        ));
    }
    if net_units != -credit_units {
        let credit = money_from_units(credit_units, currency)?;
        return Err(AppError::invalid(
            "lines",
            format!(
                "the memo's net total is {} but the SLA credit for {period} is {}",
                money_from_units(-net_units, currency)?.amount(),
                credit.amount()
            ),
        ));
    }
    Ok(())
}

/// An invoice move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceStep {
    /// Release a hold, with a reason.
    Release { reason: String },
    /// Reject, with a reason.
    Reject { reason: String },
    /// Approve: post the actual and release the commitment.
    Approve,
}

/// Moves an invoice at `expected_version`.
pub fn step(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    step: InvoiceStep,
) -> AppResult<Invoice> {
    let before = get(tx, id)?;
    crate::projects::service::ensure_budget_lines_open(
        tx,
        before.lines.iter().map(|l| l.budget_line_id),
    )?;
    crate::lifecycle::check_version("invoice", id, before.version, expected_version)?;
    let action = match step {
        InvoiceStep::Release { .. } => "release",
        InvoiceStep::Reject { .. } => "reject",
        InvoiceStep::Approve => "approve",
    };
    if !before.status.allowed_actions().contains(&action) {
        let allowed = before.status.allowed_actions();
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "invoice {} is {}: `{action}` is not allowed (allowed: {})",
                before.number,
                before.status.as_str(),
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            ),
        )
        .with_context(serde_json::json!({ "status": before.status, "allowed_actions": allowed })));
    }
    let now = clock::now();
    let change = match step {
        InvoiceStep::Release { reason } => InvoiceChange {
            status: Some(InvoiceStatus::Matched.as_str().to_string()),
            decided_by: Some(actor.name.clone()),
            decision_reason: Some(
                required_text(&reason, 2_000).map_err(|m| AppError::invalid("reason", m))?,
            ),
            ..Default::default()
        },
        InvoiceStep::Reject { reason } => InvoiceChange {
            status: Some(InvoiceStatus::Rejected.as_str().to_string()),
            decided_by: Some(actor.name.clone()),
            decision_reason: Some(
                required_text(&reason, 2_000).map_err(|m| AppError::invalid("reason", m))?,
            ),
            ..Default::default()
        },
        InvoiceStep::Approve => {
            approve(tx, actor, &before)?;
            let mut projects: Vec<i64> = Vec::new();
            for line in &before.lines {
                if let Some((project, _)) =
                    crate::budgets::repo::owner_and_currency(tx, line.budget_line_id)?
                {
                    projects.push(project);
                }
            }
            projects.sort_unstable();
            projects.dedup();
            for project in projects {
                crate::ledger::thresholds::evaluate(tx, project, now)?;
            }
            if let Some(measurement_id) = before.sla_measurement_id {
                crate::contracts::slas::repo::set_credit_status(tx, measurement_id, "applied")?;
            }
            InvoiceChange {
                status: Some(InvoiceStatus::Approved.as_str().to_string()),
                approved_by: Some(actor.name.clone()),
                approved_at: Some(now),
                ..Default::default()
            }
        }
    };
    if !repo::change(tx, id, expected_version, &change, now)? {
        return Err(AppError::version_conflict(
            "invoice",
            id,
            expected_version,
            before.version,
        ));
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        &format!("invoice.{action}"),
        "invoice",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// Approval: segregation of duties, the match re-checked, then the posting.
fn approve(tx: &mut Tx<'_>, actor: &Actor, invoice: &Invoice) -> AppResult<()> {
    let (row, _, _) =
        repo::find(tx, invoice.id)?.ok_or_else(|| AppError::not_found("invoice", invoice.id))?;
    if row.created_by_token == actor.token_id || row.created_by == actor.name {
        return Err(AppError::segregation_of_duties(format!(
            "{} recorded invoice {} and cannot approve it",
            actor.name, invoice.number
        )));
    }
    let currency = Currency::parse(&invoice.currency).map_err(AppError::internal)?;
    let released = invoice.decided_by.is_some();
    let now = clock::now();
    let mut lookups = Lookups::default();
    let ids: Vec<i64> = match invoice.kind {
        InvoiceKind::Invoice => invoice.lines.iter().filter_map(|l| l.po_line_id).collect(),
        InvoiceKind::CreditMemo => Vec::new(),
    };
    // Lock the POs in id order (so two approvals never wait on each other crosswise), then read
    // their lines: another approval may have just invoiced them.
    let mut po_ids: Vec<i64> = crate::purchase_orders::repo::find_lines(tx, &ids)?
        .iter()
        .map(|l| l.po_id)
        .collect();
    po_ids.sort_unstable();
    po_ids.dedup();
    for po_id in &po_ids {
        crate::purchase_orders::repo::lock_for_update(tx, *po_id, now)?;
    }
    let mut fresh: HashMap<i64, PoLineRow> = crate::purchase_orders::repo::find_lines(tx, &ids)?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    for line in &invoice.lines {
        if invoice.kind == InvoiceKind::CreditMemo {
            continue;
        }
        let Some(po_line_id) = line.po_line_id else {
            continue;
        };
        let po_line = fresh
            .get(&po_line_id)
            .cloned()
            .ok_or_else(|| corrupt("PO line"))?;
        let po_id = po_line.po_id;
        let quantity = decimal_from_text(&line.quantity).map_err(AppError::internal)?;
        let unit_price = decimal_from_text(&line.unit_price).map_err(AppError::internal)?;
        if !released {
            let po = lookups.po(tx, po_id)?;
            let prepared = Prepared {
                reference: Reference::PoLine(std::rc::Rc::new(po_line.clone()), po),
                budget_line_id: line.budget_line_id,
                budget_currency: currency,
                description: String::new(),
                quantity,
                unit_price,
                tax_percent: Decimal::ZERO,
            };
            let net = Money::new(
                decimal_from_text(&line.net_amount).map_err(AppError::internal)?,
                currency,
            )?;
            let rematch = match_line(
                tx,
                &mut lookups,
                invoice.id,
                invoice.vendor_id,
                line.line_no,
                &prepared,
                net,
                true,
            )?;
            if !rematch.holds.is_empty() {
                return Err(AppError::conflict(
                    "match_failed",
                    format!(
                        "invoice {} no longer matches: {}",
                        invoice.number,
                        rematch
                            .holds
                            .iter()
                            .map(|h| h.message.clone())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                )
                .with_context(serde_json::json!({ "holds": rematch.holds })));
            }
        }
        let ordered = po_line.quantity()?;
        let invoiced = po_line.invoiced()? + quantity;
        let budget_currency = lookups.budget_currency(tx, po_line.budget_line_id)?;
        let line_budget = money_from_units(po_line.net_budget_units, budget_currency)?;
        let released = crate::purchase_orders::model::released_after_invoice(
            line_budget,
            money_from_units(po_line.released_budget_units, budget_currency)?,
            ordered,
            po_line.invoiced()?,
            quantity,
        )?;
        let released_units = money_to_units(&released)?;
        crate::purchase_orders::repo::set_invoiced(tx, po_line.id, invoiced, released_units)?;
        // A later line of this invoice on the same PO line sees this one.
        if let Some(entry) = fresh.get_mut(&po_line.id) {
            entry.quantity_invoiced = crate::money::storage::decimal_to_text(invoiced);
            entry.released_budget_units = released_units;
        }
        if po_line.is_asset {
            let cost = money_from_units(
                decimal_units(&line.net_amount_budget, budget_currency)?,
                budget_currency,
            )?;
            crate::assets::service::cost_from_invoice(tx, po_line.id, line.id, cost, quantity)?;
        }
    }
    Ok(())
}

fn decimal_units(text: &str, currency: Currency) -> AppResult<i64> {
    let money = Money::new(
        decimal_from_text(text).map_err(AppError::internal)?,
        currency,
    )?;
    Ok(money_to_units(&money)?)
}

/// Records a payment against an approved invoice; paying the rest makes it `paid`.
pub fn pay(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    amount: Decimal,
    paid_on: NaiveDate,
    reference: Option<String>,
) -> AppResult<Invoice> {
    let before = get(tx, id)?;
    crate::projects::service::ensure_budget_lines_open(
        tx,
        before.lines.iter().map(|l| l.budget_line_id),
    )?;
    if before.kind == InvoiceKind::CreditMemo {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "{} is a credit memo: it is applied, not paid",
                before.number
            ),
        ));
    }
    if !before.status.allowed_actions().contains(&"pay") {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "invoice {} is {}: only approved invoices are paid",
                before.number,
                before.status.as_str()
            ),
        ));
    }
    let currency = Currency::parse(&before.currency).map_err(AppError::internal)?;
    let amount = Money::new(amount, currency).map_err(|e| AppError::invalid("amount", e))?;
    if amount.amount() <= Decimal::ZERO {
        return Err(AppError::invalid("amount", "must be more than zero"));
    }
    let reference =
        optional_text(reference.as_deref(), 200).map_err(|m| AppError::invalid("reference", m))?;
    let total = Money::new(
        decimal_from_text(&before.total).map_err(AppError::internal)?,
        currency,
    )?;
    let paid = Money::new(
        decimal_from_text(&before.paid_total).map_err(AppError::internal)?,
        currency,
    )?;
    let after_paid = paid.checked_add(&amount)?;
    if after_paid.amount() > total.amount() {
        return Err(AppError::conflict(
            "overpayment",
            format!(
                "invoice {} totals {total}; {paid} is paid, so at most {} more",
                before.number,
                total.checked_sub(&paid)?
            ),
        ));
    }
    let now = clock::now();
    let status = if after_paid == total {
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::Approved
    };
    let change = InvoiceChange {
        status: Some(status.as_str().to_string()),
        paid_units: Some(money_to_units(&after_paid)?),
        ..Default::default()
    };
    if !repo::change(tx, id, before.version, &change, now)? {
        return Err(AppError::version_conflict(
            "invoice",
            id,
            before.version,
            before.version + 1,
        ));
    }
    repo::insert_payment(
        tx,
        id,
        money_to_units(&amount)?,
        paid_on,
        reference.as_deref(),
        &actor.name,
        now,
    )?;
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "invoice.pay",
        "invoice",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}
