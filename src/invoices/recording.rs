//! Recording invoices, one or many: the single code path behind `POST /invoices` (a batch of
//! one) and the invoice import (batches of 10,000 lines).
//!
//! A batch is checked in order, each invoice with every rule of [`super::service::create`]
//! (validation, the duplicate number check, three-way and two-way matching, credit limits,
//! closed projects), as if the invoices before it had been recorded one by one: what an
//! accepted invoice bills counts as pending for the later ones, its number is taken, its credit
//! counts against its invoice. What the checks need is read up front in a few queries (the PO
//! lines and what pending invoices bill on them, the numbers already taken, invoices with the
//! same totals); the accepted invoices are written with bulk statements (`db::bulk`) and shown,
//! for their audit rows and the caller, from the rows just written as [`super::service::get`]
//! shows them. An invoice that fails its checks is left out with its error; the others are
//! recorded.
//!
//! A recorder lives inside one transaction: the facts it keeps from batch to batch (PO lines
//! and the quantities pending on them) stay true only while nobody else writes.

use super::model::{normalise_number, Hold, Invoice, InvoiceKind, InvoiceStatus, LineMatchView};
use super::repo::{self, InvoiceLineRow, InvoiceRow, NewInvoice, NewInvoiceLine};
use super::service::{
    check_credit, check_sla_credit, corrupt, match_line, prepare_line, view, InvoiceInput, Lookups,
    Reference, MAX_LINES,
};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::config::PurchasingRules;
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::money::storage::{decimal_to_text, money_to_units};
use crate::money::{Currency, Money};
use crate::purchase_orders::model::line_amounts;
use crate::validate::{required_text, Validator};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// An invoice that passed its checks, ready to write.
struct Checked {
    input: InvoiceInput,
    number: String,
    normalised: String,
    currency: Currency,
    net_total: i64,
    tax_total: i64,
    total_units: i64,
    holds: Vec<Hold>,
    lines: Vec<NewInvoiceLine>,
    /// Invoices earlier in the batch with the same vendor, kind and total, dated within the
    /// duplicate window: their positions in the batch.
    duplicates_in_batch: Vec<usize>,
}

/// Time a recorder spent, summed over its batches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Reading what the checks need, checking and matching.
    pub check: std::time::Duration,
    /// Writing invoices, lines and holds.
    pub write: std::time::Duration,
    /// Showing the invoices written and recording their audit rows.
    pub audit: std::time::Duration,
}

/// Records invoices for one actor under one set of rules. Keep one for a whole import: the
/// POs, tolerances, FX rates and vendors it reads stay known from batch to batch.
pub struct Recorder<'r> {
    actor: &'r Actor,
    rules: &'r PurchasingRules,
    lookups: Lookups,
    timings: Timings,
}

impl<'r> Recorder<'r> {
    /// A recorder with nothing read yet.
    pub fn new(actor: &'r Actor, rules: &'r PurchasingRules) -> Self {
        Recorder {
            actor,
            rules,
            lookups: Lookups::default(),
            timings: Timings::default(),
        }
    }

    /// The time spent so far, by phase.
    pub fn timings(&self) -> Timings {
        self.timings
    }

    /// Checks every invoice of the batch in order and records those that pass; returns each
    /// one's outcome in the order given: the invoice as recorded, or the client error (4xx)
    /// that refused it. A server error stops the batch (and the caller's transaction with it).
    pub fn record(
        &mut self,
        tx: &mut Tx<'_>,
        inputs: Vec<InvoiceInput>,
    ) -> AppResult<Vec<AppResult<Invoice>>> {
        self.lookups.start_batch();
        let started = std::time::Instant::now();
        let mut po_line_ids: Vec<i64> = inputs
            .iter()
            .filter(|i| i.kind == InvoiceKind::Invoice)
            .flat_map(|i| i.lines.iter().filter_map(|l| l.po_line_id))
            .collect();
        po_line_ids.sort_unstable();
        po_line_ids.dedup();
        self.lookups.preload_po_lines(tx, &po_line_ids)?;
        let mut keys: Vec<(i64, String)> = inputs
            .iter()
            .map(|i| (i.vendor_id, normalise_number(&i.number)))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for (vendor, normalised, id, number) in repo::by_normalised_numbers(tx, &keys)? {
            self.lookups
                .numbers
                .insert((vendor, normalised), (Some(id), number));
        }
        let mut outcomes = Vec::with_capacity(inputs.len());
        for input in inputs {
            match self.check(tx, input) {
                Err(error) if !error.status().is_client_error() => return Err(error),
                outcome => outcomes.push(outcome),
            }
        }
        self.flag_suspected_duplicates(tx, &mut outcomes)?;
        self.timings.check += started.elapsed();
        self.write(tx, outcomes)
    }

    /// Every check of one invoice; on success, what it takes (its number, its quantities, its
    /// credit) is noted for the rest of the batch.
    fn check(&mut self, tx: &mut Tx<'_>, input: InvoiceInput) -> AppResult<Checked> {
        let lookups = &mut self.lookups;
        lookups.start_invoice();
        let mut v = Validator::new();
        match lookups.vendor(tx, input.vendor_id)? {
            None => v.fail(
                "vendor_id",
                format!("vendor {} does not exist", input.vendor_id),
            ),
            Some(true) => v.fail(
                "vendor_id",
                format!("vendor {} is archived", input.vendor_id),
            ),
            Some(false) => {}
        }
        let number = v.check("number", required_text(&input.number, 64));
        let normalised = normalise_number(&input.number);
        if number.is_some() && normalised.is_empty() {
            v.fail("number", "needs at least one letter or digit");
        }
        let currency = v.check("currency", Currency::parse(input.currency.trim()));
        if let Some(due) = input.due_date {
            if due < input.invoice_date {
                v.fail(
                    "due_date",
                    format!("{due} is before the invoice date {}", input.invoice_date),
                );
            }
        }
        if input.kind == InvoiceKind::Invoice && input.original_invoice_id.is_some() {
            v.fail(
                "original_invoice_id",
                "only a credit memo credits an earlier invoice",
            );
        }
        if input.kind == InvoiceKind::CreditMemo
            && input.original_invoice_id.is_none()
            && input.sla_measurement_id.is_none()
        {
            v.fail(
                "original_invoice_id",
                "a credit memo credits an approved invoice (original_invoice_id) or an SLA period's service credit (sla_measurement_id)",
            );
        }
        if input.kind == InvoiceKind::Invoice && input.sla_measurement_id.is_some() {
            v.fail(
                "sla_measurement_id",
                "only a credit memo applies an SLA credit",
            );
        }
        if input.lines.is_empty() {
            v.fail("lines", "an invoice needs at least one line");
        }
        if input.lines.len() > MAX_LINES {
            v.fail("lines", format!("at most {MAX_LINES} lines"));
        }
        let mut prepared = Vec::with_capacity(input.lines.len());
        for (i, line) in input.lines.iter().enumerate() {
            if let Some(p) = prepare_line(tx, lookups, &mut v, i, &input, currency, line)? {
                prepared.push(p);
            }
        }
        v.finish()?;
        let currency = currency.ok_or_else(|| AppError::invalid("currency", "is required"))?;
        let number = number.unwrap_or_default();
        if let Some((earlier_id, earlier_number)) =
            lookups.numbers.get(&(input.vendor_id, normalised.clone()))
        {
            let earlier = match earlier_id {
                Some(id) => format!("invoice {earlier_number} (id {id})"),
                None => format!("invoice {earlier_number} earlier in the same import"),
            };
            return Err(AppError::conflict(
                "duplicate_invoice",
                format!(
                    "vendor {} already sent {earlier}, the same number as {number}",
                    input.vendor_id
                ),
            )
            .with_context(serde_json::json!({
                "earlier_invoice_id": earlier_id,
                "earlier_number": earlier_number,
                "normalised_number": normalised,
            })));
        }
        let sign = match input.kind {
            InvoiceKind::Invoice => Decimal::ONE,
            InvoiceKind::CreditMemo => Decimal::NEGATIVE_ONE,
        };
        let mut lines = Vec::with_capacity(prepared.len());
        let mut net_total: i64 = 0;
        let mut tax_total: i64 = 0;
        let mut holds: Vec<Hold> = Vec::new();
        for (i, p) in prepared.iter().enumerate() {
            let line_no = i as i64 + 1;
            let amounts = line_amounts(p.quantity, p.unit_price, p.tax_percent, currency)
                .map_err(|e| AppError::invalid(format!("lines[{i}]"), e))?;
            let net = Money::new(amounts.net.amount() * sign, currency)?;
            let tax = Money::new(amounts.tax.amount() * sign, currency)?;
            let rate = lookups.rate(tx, currency, p.budget_currency, input.invoice_date)?;
            let net_budget = crate::fx::model::convert(net, rate, p.budget_currency)?;
            let matched = match input.kind {
                InvoiceKind::Invoice => match_line(
                    tx,
                    lookups,
                    0,
                    input.vendor_id,
                    line_no,
                    p,
                    amounts.net,
                    false,
                )?,
                InvoiceKind::CreditMemo => LineMatchView::unmatched(),
            };
            holds.extend(matched.holds.iter().cloned());
            net_total = net_total
                .checked_add(money_to_units(&net)?)
                .ok_or_else(|| AppError::invalid("lines", "the total is too large"))?;
            tax_total = tax_total
                .checked_add(money_to_units(&tax)?)
                .ok_or_else(|| AppError::invalid("lines", "the total is too large"))?;
            let (po_line_id, milestone_id) = match &p.reference {
                Reference::PoLine(line, _) => (Some(line.id), None),
                Reference::Milestone { id, .. } => (None, Some(*id)),
                Reference::None => (None, None),
            };
            lines.push(NewInvoiceLine {
                po_line_id,
                milestone_id,
                budget_line_id: p.budget_line_id,
                description: p.description.clone(),
                quantity: decimal_to_text(p.quantity),
                unit_price: decimal_to_text(p.unit_price),
                tax_percent: decimal_to_text(p.tax_percent),
                net_units: money_to_units(&net)?,
                tax_units: money_to_units(&tax)?,
                fx_rate: decimal_to_text(rate),
                net_budget_units: money_to_units(&net_budget)?,
                match_result: serde_json::to_string(&matched).map_err(AppError::internal)?,
            });
        }
        let total_units = net_total
            .checked_add(tax_total)
            .ok_or_else(|| AppError::invalid("lines", "the total is too large"))?;
        if input.kind == InvoiceKind::CreditMemo {
            let credited = input
                .original_invoice_id
                .and_then(|id| lookups.batch_credits.get(&id).copied())
                .unwrap_or(0);
            check_credit(tx, &input, total_units, currency, credited)?;
            let period = input
                .sla_measurement_id
                .and_then(|id| lookups.batch_sla_credits.get(&id))
                .map(String::as_str);
            check_sla_credit(tx, &input, net_total, currency, period)?;
        }
        let mut budget_lines: Vec<i64> = lines.iter().map(|l| l.budget_line_id).collect();
        budget_lines.sort_unstable();
        budget_lines.dedup();
        lookups.ensure_open(tx, &budget_lines)?;
        // Accepted: the rest of the batch sees it.
        lookups.accept_invoice();
        lookups.numbers.insert(
            (input.vendor_id, normalised.clone()),
            (None, number.clone()),
        );
        if let Some(original) = input.original_invoice_id {
            *lookups.batch_credits.entry(original).or_default() += total_units;
        }
        if let Some(period) = input.sla_measurement_id {
            lookups.batch_sla_credits.insert(period, number.clone());
        }
        Ok(Checked {
            input,
            number,
            normalised,
            currency,
            net_total,
            tax_total,
            total_units,
            holds,
            lines,
            duplicates_in_batch: Vec::new(),
        })
    }

    /// Holds each accepted invoice whose vendor sent another of the same kind and total within
    /// the configured days: recorded ones are named now, earlier ones of the batch once written.
    fn flag_suspected_duplicates(
        &mut self,
        tx: &mut Tx<'_>,
        outcomes: &mut [AppResult<Checked>],
    ) -> AppResult<()> {
        let days = self.rules.duplicate_invoice_days;
        let window = Duration::days(i64::from(days));
        let accepted: Vec<&Checked> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        let (Some(first), Some(last)) = (
            accepted.iter().map(|c| c.input.invoice_date).min(),
            accepted.iter().map(|c| c.input.invoice_date).max(),
        ) else {
            return Ok(());
        };
        let mut vendors: Vec<i64> = accepted.iter().map(|c| c.input.vendor_id).collect();
        vendors.sort_unstable();
        vendors.dedup();
        let mut totals: Vec<i64> = accepted.iter().map(|c| c.total_units).collect();
        totals.sort_unstable();
        totals.dedup();
        type Key = (i64, &'static str, i64);
        // Recorded invoices by vendor, kind and total, then by date: (id, number).
        let mut recorded: HashMap<Key, BTreeMap<NaiveDate, Vec<(i64, String)>>> = HashMap::new();
        for other in repo::live_with_totals_between(
            tx,
            &vendors,
            &totals,
            first.checked_sub_signed(window).unwrap_or(NaiveDate::MIN),
            last.checked_add_signed(window).unwrap_or(NaiveDate::MAX),
        )? {
            let Some(kind) = InvoiceKind::parse(&other.kind) else {
                return Err(corrupt("kind"));
            };
            recorded
                .entry((other.vendor_id, kind.as_str(), other.total_units))
                .or_default()
                .entry(other.invoice_date)
                .or_default()
                .push((other.id, other.number));
        }
        // Invoices of the batch accepted so far, the same way: their positions.
        let mut batch: HashMap<Key, BTreeMap<NaiveDate, Vec<usize>>> = HashMap::new();
        for (at, outcome) in outcomes.iter_mut().enumerate() {
            let Ok(checked) = outcome else {
                continue;
            };
            let key = (
                checked.input.vendor_id,
                checked.input.kind.as_str(),
                checked.total_units,
            );
            let date = checked.input.invoice_date;
            let from = date.checked_sub_signed(window).unwrap_or(NaiveDate::MIN);
            let to = date.checked_add_signed(window).unwrap_or(NaiveDate::MAX);
            if let Some(by_date) = recorded.get(&key) {
                let mut found: Vec<(i64, &str, NaiveDate)> = by_date
                    .range(from..=to)
                    .flat_map(|(d, all)| all.iter().map(move |(id, n)| (*id, n.as_str(), *d)))
                    .collect();
                found.sort_unstable_by_key(|f| f.0);
                for (id, other, other_date) in found {
                    checked
                        .holds
                        .push(duplicate_hold(id, other, other_date, days));
                }
            }
            let by_date = batch.entry(key).or_default();
            let mut earlier: Vec<usize> = by_date
                .range(from..=to)
                .flat_map(|(_, all)| all.iter().copied())
                .collect();
            earlier.sort_unstable();
            checked.duplicates_in_batch = earlier;
            by_date.entry(date).or_default().push(at);
        }
        Ok(())
    }

    /// Writes the accepted invoices, their holds and their audit rows.
    fn write(
        &mut self,
        tx: &mut Tx<'_>,
        outcomes: Vec<AppResult<Checked>>,
    ) -> AppResult<Vec<AppResult<Invoice>>> {
        let started = std::time::Instant::now();
        let now = clock::now();
        let status_of = |c: &Checked| {
            if c.holds.is_empty() && c.duplicates_in_batch.is_empty() {
                InvoiceStatus::Matched
            } else {
                InvoiceStatus::OnHold
            }
        };
        let mut hold_texts: Vec<String> = Vec::new();
        for checked in outcomes.iter().filter_map(|o| o.as_ref().ok()) {
            hold_texts.push(serde_json::to_string(&checked.holds).map_err(AppError::internal)?);
        }
        let documents: Vec<(NewInvoice<'_>, &[NewInvoiceLine])> = outcomes
            .iter()
            .filter_map(|o| o.as_ref().ok())
            .zip(&hold_texts)
            .map(|(c, holds)| {
                (
                    NewInvoice {
                        number: &c.number,
                        normalised_number: &c.normalised,
                        vendor_id: c.input.vendor_id,
                        kind: c.input.kind.as_str(),
                        original_invoice_id: c.input.original_invoice_id,
                        sla_measurement_id: c.input.sla_measurement_id,
                        invoice_date: c.input.invoice_date,
                        due_date: c.input.due_date,
                        currency: c.currency.code(),
                        net_units: c.net_total,
                        tax_units: c.tax_total,
                        total_units: c.total_units,
                        status: status_of(c).as_str(),
                        hold_reasons: holds,
                        created_by: &self.actor.name,
                        created_by_token: self.actor.token_id,
                    },
                    c.lines.as_slice(),
                )
            })
            .collect();
        let ids = repo::insert_many(tx, &documents, now)?;
        drop(documents);
        // Positions in the batch → ids, for holds naming an earlier invoice of the batch.
        let mut id_at: HashMap<usize, i64> = HashMap::with_capacity(ids.len());
        let mut next = ids.iter();
        for (at, outcome) in outcomes.iter().enumerate() {
            if outcome.is_ok() {
                id_at.insert(at, *next.next().ok_or_else(|| corrupt("batch ids"))?);
            }
        }
        // Holds naming an earlier invoice of the batch, now that it has an id.
        let mut accepted_at = 0;
        for (at, outcome) in outcomes.iter().enumerate() {
            let Ok(checked) = outcome else {
                continue;
            };
            accepted_at += 1;
            if checked.duplicates_in_batch.is_empty() {
                continue;
            }
            let mut holds = checked.holds.clone();
            for earlier in &checked.duplicates_in_batch {
                let Some(Ok(other)) = outcomes.get(*earlier) else {
                    return Err(corrupt("batch duplicates"));
                };
                holds.push(duplicate_hold(
                    id_at[earlier],
                    &other.number,
                    other.input.invoice_date,
                    self.rules.duplicate_invoice_days,
                ));
            }
            let text = serde_json::to_string(&holds).map_err(AppError::internal)?;
            repo::set_holds(tx, id_at[&at], InvoiceStatus::OnHold.as_str(), &text)?;
            hold_texts[accepted_at - 1] = text;
        }
        self.timings.write += started.elapsed();
        let started = std::time::Instant::now();
        // The invoices as stored, for their audit rows and the caller: the rows just written
        // (with the ids of their lines) shown as `get` shows them.
        let mut line_ids = repo::line_ids(tx, &ids)?;
        let mut refused = Vec::with_capacity(outcomes.len());
        let mut views = Vec::with_capacity(ids.len());
        let mut stored = ids.iter().zip(hold_texts);
        for outcome in outcomes {
            let checked = match outcome {
                Ok(checked) => checked,
                Err(error) => {
                    refused.push(Some(error));
                    continue;
                }
            };
            refused.push(None);
            let (id, hold_reasons) = stored.next().ok_or_else(|| corrupt("batch ids"))?;
            let status = status_of(&checked).as_str().to_string();
            let lines = line_ids.remove(id).unwrap_or_default();
            if lines.len() != checked.lines.len() {
                return Err(corrupt("batch lines"));
            }
            let lines = checked
                .lines
                .into_iter()
                .zip(lines)
                .enumerate()
                .map(|(i, (line, line_id))| InvoiceLineRow {
                    id: line_id,
                    invoice_id: *id,
                    line_no: i as i64 + 1,
                    po_line_id: line.po_line_id,
                    milestone_id: line.milestone_id,
                    budget_line_id: line.budget_line_id,
                    description: line.description,
                    quantity: line.quantity,
                    unit_price: line.unit_price,
                    tax_percent: line.tax_percent,
                    net_units: line.net_units,
                    tax_units: line.tax_units,
                    fx_rate: line.fx_rate,
                    net_budget_units: line.net_budget_units,
                    match_result: line.match_result,
                })
                .collect();
            let row = InvoiceRow {
                id: *id,
                number: checked.number,
                normalised_number: checked.normalised,
                vendor_id: checked.input.vendor_id,
                kind: checked.input.kind.as_str().to_string(),
                original_invoice_id: checked.input.original_invoice_id,
                sla_measurement_id: checked.input.sla_measurement_id,
                invoice_date: checked.input.invoice_date,
                due_date: checked.input.due_date,
                currency: checked.currency.code().to_string(),
                net_units: checked.net_total,
                tax_units: checked.tax_total,
                total_units: checked.total_units,
                status,
                hold_reasons,
                created_by: self.actor.name.clone(),
                created_by_token: self.actor.token_id,
                decided_by: None,
                decision_reason: None,
                approved_by: None,
                approved_at: None,
                paid_units: 0,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            views.push(view(tx, &mut self.lookups, (row, lines, Vec::new()))?);
        }
        let actions: Vec<String> = views
            .iter()
            .map(|v| format!("{}.create", v.kind.as_str()))
            .collect();
        let entries = views
            .iter()
            .zip(&actions)
            .map(|(view, action)| {
                Ok(audit::Entry {
                    action,
                    entity: "invoice",
                    entity_id: view.id.to_string(),
                    before_state: None,
                    after_state: audit::state_text(Some(view))?,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        audit::record_many(tx, &self.actor.name, entries)?;
        self.timings.audit += started.elapsed();
        let mut views = views.into_iter();
        refused
            .into_iter()
            .map(|refusal| match refusal {
                Some(error) => Ok(Err(error)),
                None => views.next().map(Ok).ok_or_else(|| corrupt("batch views")),
            })
            .collect()
    }
}

fn duplicate_hold(id: i64, other: &str, date: NaiveDate, days: u32) -> Hold {
    Hold {
        line_no: None,
        code: "suspected_duplicate".to_string(),
        message: format!(
            "invoice {other} (id {id}) from the same vendor has the same total and is dated {date}, within {days} days"
        ),
    }
}
