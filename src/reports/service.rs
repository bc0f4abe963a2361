//! The reports' use cases: each reads its aggregates ([`super::repo`]) or the ledger and
//! forecast ([`crate::ledger`]), and builds rows whose totals are their exact sums.

use super::model::*;
use super::repo::{self, PoLineKind, SpendKey};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::invoices::model::Hold;
use crate::ledger::projection::DEFAULT_WINDOW;
use crate::money::storage::{decimal_from_text, money_from_units, money_to_units, sum_units};
use crate::money::{parse_decimal, Currency};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

fn corrupt(what: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("corrupt stored value: {what}"))
}

fn currency(code: &str) -> AppResult<Currency> {
    Currency::parse(code).map_err(|_| corrupt(format!("currency {code}")))
}

/// Units as the currency's decimal text (`"1234.50"`).
fn text(units: i64, currency: Currency) -> AppResult<String> {
    Ok(money_from_units(units, currency)?.amount().to_string())
}

fn add(a: i64, b: i64) -> AppResult<i64> {
    Ok(sum_units([a, b])?)
}

fn quantity(text: &str) -> AppResult<Decimal> {
    decimal_from_text(text).map_err(|_| corrupt(format!("quantity {text}")))
}

// ---------------------------------------------------------------------------------------------
// Budget vs actual vs forecast
// ---------------------------------------------------------------------------------------------

/// Exact sums of budget figures (decimals as the ledger and forecast present them).
#[derive(Debug, Clone, Copy, Default)]
struct BudgetSums {
    budget: Decimal,
    actual: Decimal,
    committed: Decimal,
    accrued: Decimal,
    etc: Decimal,
}

impl BudgetSums {
    fn add(&mut self, other: &BudgetSums) -> AppResult<()> {
        let sum = |a: Decimal, b: Decimal| {
            a.checked_add(b)
                .ok_or_else(|| AppError::unprocessable("figure_overflow", "a total overflows"))
        };
        self.budget = sum(self.budget, other.budget)?;
        self.actual = sum(self.actual, other.actual)?;
        self.committed = sum(self.committed, other.committed)?;
        self.accrued = sum(self.accrued, other.accrued)?;
        self.etc = sum(self.etc, other.etc)?;
        Ok(())
    }

    fn figures(&self, currency: Currency) -> AppResult<BudgetFigures> {
        use crate::money::Money;
        let m = |d: Decimal| Money::new(d, currency);
        let budget = m(self.budget)?;
        let used = m(self.actual)?.checked_add(&m(self.committed)?)?;
        let eac = used.checked_add(&m(self.etc)?)?;
        let s = |money: Money| money.amount().to_string();
        Ok(BudgetFigures {
            budget: s(budget),
            actual: s(m(self.actual)?),
            committed: s(m(self.committed)?),
            accrued: s(m(self.accrued)?),
            remaining: s(budget.checked_sub(&used)?),
            estimate_to_complete: s(m(self.etc)?),
            eac: s(eac),
            variance: s(budget.checked_sub(&eac)?),
            utilisation_percent: crate::ledger::utilisation_percent(used, budget).to_string(),
            eac_percent: crate::ledger::utilisation_percent(eac, budget).to_string(),
        })
    }
}

fn dec(text: &str) -> AppResult<Decimal> {
    parse_decimal(text).map_err(|_| corrupt(format!("figure {text}")))
}

/// One project's lines, from the ledger (budget, actual, committed, accrued) and the forecast
/// (estimate to complete, with the ledger's own rules), and its exact sums.
fn budget_project(
    conn: &mut DbConnection,
    project: &crate::projects::model::Project,
    as_of: NaiveDate,
) -> AppResult<(BudgetProject, BudgetSums)> {
    let currency = project.currency()?;
    let ledger = crate::ledger::of_project(conn, project.id, None)?;
    let forecast = crate::ledger::projection::of_project(conn, project.id, as_of, DEFAULT_WINDOW)?;
    let estimates: HashMap<i64, (&str, &str)> = forecast
        .lines
        .iter()
        .map(|l| {
            (
                l.budget_line_id,
                (
                    l.figures.estimate_to_complete.as_str(),
                    l.estimate.source.as_str(),
                ),
            )
        })
        .collect();
    let mut total = BudgetSums::default();
    let mut lines = Vec::with_capacity(ledger.lines.len());
    for line in &ledger.lines {
        let (etc, source) = estimates
            .get(&line.budget_line_id)
            .copied()
            .ok_or_else(|| corrupt(format!("no forecast for line {}", line.budget_line_id)))?;
        let sums = BudgetSums {
            budget: dec(&line.figures.budget)?,
            actual: dec(&line.figures.actual)?,
            committed: dec(&line.figures.committed)?,
            accrued: dec(&line.figures.accrued)?,
            etc: dec(etc)?,
        };
        total.add(&sums)?;
        lines.push(BudgetLineRow {
            budget_line_id: line.budget_line_id,
            category: line.category.clone(),
            cost_center: line.cost_center.clone(),
            estimate_source: source.to_string(),
            figures: sums.figures(currency)?,
        });
    }
    Ok((
        BudgetProject {
            project_id: project.id,
            project_code: project.code.clone(),
            project_name: project.name.clone(),
            currency: currency.code().to_string(),
            lines,
            totals: total.figures(currency)?,
        },
        total,
    ))
}

/// Budget vs actual vs forecast of one project, or of every project not archived.
pub fn budget_vs_actual(
    conn: &mut DbConnection,
    project_id: Option<i64>,
    as_of: NaiveDate,
) -> AppResult<BudgetVsActual> {
    let projects = match project_id {
        Some(id) => vec![crate::projects::service::get(conn, id)?],
        None => {
            let filter = crate::projects::repo::ProjectFilter {
                status: None,
                currency: None,
                code: None,
                name_contains: None,
                include_archived: false,
            };
            let mut all = Vec::new();
            let mut after = 0;
            loop {
                let page = crate::projects::repo::list(conn, &filter, after, 500)?;
                let Some(last) = page.last() else { break };
                after = last.id;
                all.extend(page);
            }
            all
        }
    };
    let mut out = Vec::with_capacity(projects.len());
    let mut by_currency: BTreeMap<String, (i64, BudgetSums)> = BTreeMap::new();
    for project in &projects {
        let (row, sums) = budget_project(conn, project, as_of)?;
        let entry = by_currency.entry(row.currency.clone()).or_default();
        entry.0 += 1;
        entry.1.add(&sums)?;
        out.push(row);
    }
    let totals = by_currency
        .into_iter()
        .map(|(code, (count, sums))| {
            Ok(BudgetCurrencyTotals {
                figures: sums.figures(currency(&code)?)?,
                currency: code,
                projects: count,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(BudgetVsActual {
        as_of,
        projects: out,
        totals,
    })
}

// ---------------------------------------------------------------------------------------------
// Accruals and open commitments
// ---------------------------------------------------------------------------------------------

/// Accruals (received, not invoiced) per PO line, with the receipts behind them.
pub fn accruals(conn: &mut DbConnection, project_id: Option<i64>) -> AppResult<Accruals> {
    if let Some(id) = project_id {
        crate::projects::service::get(conn, id)?;
    }
    let lines = repo::po_lines(conn, PoLineKind::Accrued, project_id)?;
    let mut receipts: HashMap<i64, Vec<repo::ReceiptRow>> = HashMap::new();
    for r in repo::receipts_of_po_lines(conn, PoLineKind::Accrued, project_id)? {
        receipts.entry(r.po_line_id).or_default().push(r);
    }
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut rows = Vec::with_capacity(lines.len());
    for l in lines {
        let c = currency(&l.currency)?;
        let documents = receipts.remove(&l.po_line_id).unwrap_or_default();
        let reversed: Vec<i64> = documents
            .iter()
            .filter_map(|d| d.reverses_receipt_id)
            .collect();
        let last_received_on = documents
            .iter()
            .filter(|d| d.kind == "receipt" && !reversed.contains(&d.receipt_id))
            .map(|d| d.received_on)
            .max();
        let entry = totals.entry(l.currency.clone()).or_default();
        entry.0 += 1;
        entry.1 = add(entry.1, l.accrued_budget_units)?;
        rows.push(AccrualRow {
            project_id: l.project_id,
            project_code: l.project_code,
            currency: l.currency,
            po_id: l.po_id,
            po_number: l.po_number,
            po_status: l.po_status,
            vendor_id: l.vendor_id,
            vendor_name: l.vendor_name,
            po_line_id: l.po_line_id,
            line_no: l.line_no,
            description: l.description,
            budget_line_id: l.budget_line_id,
            quantity: l.quantity,
            quantity_received: l.quantity_received,
            quantity_invoiced: l.quantity_invoiced,
            accrued: text(l.accrued_budget_units, c)?,
            last_received_on,
            receipts: documents
                .into_iter()
                .map(|d| ReceiptDocument {
                    number: d.number,
                    kind: d.kind,
                    received_on: d.received_on,
                    quantity: d.quantity,
                })
                .collect(),
        });
    }
    let totals = totals
        .into_iter()
        .map(|(code, (lines, units))| {
            Ok(AccrualTotal {
                accrued: text(units, currency(&code)?)?,
                currency: code,
                lines,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Accruals {
        project_id,
        rows,
        totals,
    })
}

/// Open commitments (approved orders not fully invoiced) per PO line.
pub fn open_commitments(
    conn: &mut DbConnection,
    project_id: Option<i64>,
) -> AppResult<OpenCommitments> {
    if let Some(id) = project_id {
        crate::projects::service::get(conn, id)?;
    }
    let lines = repo::po_lines(conn, PoLineKind::Open, project_id)?;
    #[derive(Default)]
    struct Sums {
        lines: i64,
        value: i64,
        released: i64,
        open: i64,
        accrued: i64,
    }
    let mut totals: BTreeMap<String, Sums> = BTreeMap::new();
    let mut rows = Vec::with_capacity(lines.len());
    for l in lines {
        let c = currency(&l.currency)?;
        let open = l
            .net_budget_units
            .checked_sub(l.released_budget_units)
            .ok_or_else(|| corrupt("open value"))?;
        let t = totals.entry(l.currency.clone()).or_default();
        t.lines += 1;
        t.value = add(t.value, l.net_budget_units)?;
        t.released = add(t.released, l.released_budget_units)?;
        t.open = add(t.open, open)?;
        t.accrued = add(t.accrued, l.accrued_budget_units)?;
        rows.push(CommitmentRow {
            project_id: l.project_id,
            project_code: l.project_code,
            currency: l.currency,
            po_id: l.po_id,
            po_number: l.po_number,
            po_status: l.po_status,
            order_date: l.order_date,
            vendor_id: l.vendor_id,
            vendor_name: l.vendor_name,
            po_line_id: l.po_line_id,
            line_no: l.line_no,
            description: l.description,
            budget_line_id: l.budget_line_id,
            promised_date: l.promised_date,
            quantity: l.quantity,
            quantity_received: l.quantity_received,
            quantity_invoiced: l.quantity_invoiced,
            value: text(l.net_budget_units, c)?,
            released: text(l.released_budget_units, c)?,
            open: text(open, c)?,
            accrued: text(l.accrued_budget_units, c)?,
        });
    }
    let totals = totals
        .into_iter()
        .map(|(code, t)| {
            let c = currency(&code)?;
            Ok(CommitmentTotal {
                currency: code,
                lines: t.lines,
                value: text(t.value, c)?,
                released: text(t.released, c)?,
                open: text(t.open, c)?,
                accrued: text(t.accrued, c)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(OpenCommitments {
        project_id,
        rows,
        totals,
    })
}

// ---------------------------------------------------------------------------------------------
// Vendor spend
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default)]
struct SpendSums {
    invoices: i64,
    credit_memos: i64,
    invoiced: i64,
    credited: i64,
    converted: i64,
}

/// Vendor spend per vendor, contract or month and per currency; with `reporting`, each group's
/// net of each currency, day and kind converted at that day's rate (rounded once each) and
/// added up.
pub fn vendor_spend(
    conn: &mut DbConnection,
    group: SpendGroup,
    from: NaiveDate,
    to: NaiveDate,
    vendor_id: Option<i64>,
    reporting: Option<Currency>,
) -> AppResult<VendorSpend> {
    if let Some(id) = vendor_id {
        crate::vendors::service::get(conn, id)?;
    }
    let key = match group {
        SpendGroup::Vendor => SpendKey::Vendor,
        SpendGroup::Contract => SpendKey::Contract,
        SpendGroup::Month => SpendKey::Day,
    };
    let days = repo::spend_by_day(conn, key, from, to, vendor_id)?;
    // (group sort key, currency) → sums; the sort key orders vendors and contracts by id and
    // months by name, with "no contract" last.
    let mut groups: BTreeMap<(i64, String, String), SpendSums> = BTreeMap::new();
    let mut rates: HashMap<(String, NaiveDate), Decimal> = HashMap::new();
    for d in &days {
        let (sort, label) = match group {
            SpendGroup::Vendor | SpendGroup::Contract => {
                (d.group_id.unwrap_or(i64::MAX), String::new())
            }
            SpendGroup::Month => (0, crate::budgets::model::month_of(d.day)),
        };
        let sums = groups.entry((sort, label, d.currency.clone())).or_default();
        if d.kind == "credit_memo" {
            sums.credit_memos += d.documents;
            sums.credited = add(sums.credited, d.net)?;
        } else {
            sums.invoices += d.documents;
            sums.invoiced = add(sums.invoiced, d.net)?;
        }
        if let Some(to_currency) = reporting {
            let money = money_from_units(d.net, currency(&d.currency)?)?;
            // One rate lookup per currency and day, however many groups and kinds share it.
            let converted = match rates.get(&(d.currency.clone(), d.day)) {
                Some(rate) => crate::fx::model::convert(money, *rate, to_currency)?,
                None => {
                    let conversion =
                        crate::fx::service::convert_at(conn, money, to_currency, d.day)?;
                    rates.insert((d.currency.clone(), d.day), conversion.rate);
                    conversion.converted
                }
            };
            sums.converted = add(sums.converted, money_to_units(&converted)?)?;
        }
    }
    let ids: Vec<i64> = groups
        .keys()
        .map(|(id, _, _)| *id)
        .filter(|id| *id != i64::MAX)
        .collect();
    let names: HashMap<i64, String> = match group {
        SpendGroup::Vendor => repo::vendor_names(conn, &ids)?.into_iter().collect(),
        SpendGroup::Contract => repo::contract_numbers(conn, &ids)?.into_iter().collect(),
        SpendGroup::Month => HashMap::new(),
    };
    let mut totals: BTreeMap<String, SpendSums> = BTreeMap::new();
    let mut converted_total = 0i64;
    let mut rows = Vec::with_capacity(groups.len());
    for ((id, month, code), sums) in groups {
        let c = currency(&code)?;
        let t = totals.entry(code.clone()).or_default();
        t.invoices += sums.invoices;
        t.credit_memos += sums.credit_memos;
        t.invoiced = add(t.invoiced, sums.invoiced)?;
        t.credited = add(t.credited, sums.credited)?;
        converted_total = add(converted_total, sums.converted)?;
        let known = (id != i64::MAX).then_some(id);
        let label = match group {
            SpendGroup::Month => month.clone(),
            SpendGroup::Contract if known.is_none() => "(no contract)".to_string(),
            _ => names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
        };
        rows.push(SpendRow {
            group: label,
            vendor_id: (group == SpendGroup::Vendor).then_some(id),
            contract_id: if group == SpendGroup::Contract {
                known
            } else {
                None
            },
            month: (group == SpendGroup::Month).then_some(month),
            currency: code,
            invoices: sums.invoices,
            credit_memos: sums.credit_memos,
            invoiced: text(sums.invoiced, c)?,
            credited: text(sums.credited, c)?,
            net: text(add(sums.invoiced, sums.credited)?, c)?,
            converted: match reporting {
                Some(r) => Some(text(sums.converted, r)?),
                None => None,
            },
        });
    }
    let totals = totals
        .into_iter()
        .map(|(code, t)| {
            let c = currency(&code)?;
            Ok(SpendTotal {
                currency: code,
                invoices: t.invoices,
                credit_memos: t.credit_memos,
                invoiced: text(t.invoiced, c)?,
                credited: text(t.credited, c)?,
                net: text(add(t.invoiced, t.credited)?, c)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(VendorSpend {
        from,
        to,
        group,
        vendor_id,
        rows,
        totals,
        reporting_currency: reporting.map(|c| c.code().to_string()),
        converted_total: match reporting {
            Some(r) => Some(text(converted_total, r)?),
            None => None,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Invoices on hold
// ---------------------------------------------------------------------------------------------

/// The invoices on hold, aged in days from the day they were recorded (and held) to `as_of`.
pub fn invoices_on_hold(conn: &mut DbConnection, as_of: NaiveDate) -> AppResult<InvoicesOnHold> {
    let held = repo::held_invoices(conn, as_of)?;
    let mut buckets: BTreeMap<(usize, String), (i64, i64)> = BTreeMap::new();
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut invoices = Vec::with_capacity(held.len());
    for h in held {
        let c = currency(&h.currency)?;
        let held_since = h.created_at.date();
        let age_days = (as_of - held_since).num_days().max(0);
        let bucket = age_bucket(age_days);
        let position = AGE_BUCKETS.iter().position(|b| *b == bucket).unwrap_or(0);
        let b = buckets.entry((position, h.currency.clone())).or_default();
        b.0 += 1;
        b.1 = add(b.1, h.total_units)?;
        let t = totals.entry(h.currency.clone()).or_default();
        t.0 += 1;
        t.1 = add(t.1, h.total_units)?;
        let hold_reasons: Vec<Hold> =
            serde_json::from_str(&h.hold_reasons).map_err(|_| corrupt("hold reasons"))?;
        invoices.push(HeldInvoice {
            invoice_id: h.id,
            number: h.number,
            vendor_id: h.vendor_id,
            vendor_name: h.vendor_name,
            kind: h.kind,
            invoice_date: h.invoice_date,
            due_date: h.due_date,
            held_since,
            age_days,
            age_bucket: bucket.to_string(),
            currency: h.currency,
            total: text(h.total_units, c)?,
            hold_reasons,
        });
    }
    let buckets = buckets
        .into_iter()
        .map(|((position, code), (count, units))| {
            Ok(HoldTotal {
                bucket: AGE_BUCKETS[position].to_string(),
                total: text(units, currency(&code)?)?,
                currency: code,
                invoices: count,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let totals = totals
        .into_iter()
        .map(|(code, (count, units))| {
            Ok(HoldTotal {
                bucket: "all".to_string(),
                total: text(units, currency(&code)?)?,
                currency: code,
                invoices: count,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(InvoicesOnHold {
        as_of,
        invoices,
        buckets,
        totals,
    })
}

// ---------------------------------------------------------------------------------------------
// SLA credits and the scorecard
// ---------------------------------------------------------------------------------------------

/// The first and last day of a stored SLA period.
fn period_bounds(kind: &str, period: &str) -> AppResult<(NaiveDate, NaiveDate)> {
    crate::contracts::slas::model::MeasurementPeriod::parse(kind)
        .ok_or_else(|| corrupt(format!("measurement period {kind}")))?
        .bounds(period)
        .map_err(corrupt)
}

/// SLA periods starting `from..=to` that earned a credit, receivable or applied.
pub fn sla_credits(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    vendor_id: Option<i64>,
) -> AppResult<SlaCredits> {
    if let Some(id) = vendor_id {
        crate::vendors::service::get(conn, id)?;
    }
    let mut totals: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
    let mut rows = Vec::new();
    for r in repo::sla_credits(conn, from, to, vendor_id)? {
        let (start, end) = period_bounds(&r.measurement_period, &r.period)?;
        if start < from || start > to {
            continue;
        }
        let c = currency(&r.currency)?;
        let t = totals.entry(r.currency.clone()).or_default();
        t.0 += 1;
        t.1 = add(t.1, r.credit_units)?;
        match r.credit_status.as_str() {
            "applied" => t.3 = add(t.3, r.credit_units)?,
            _ => t.2 = add(t.2, r.credit_units)?,
        }
        rows.push(SlaCreditRow {
            measurement_id: r.measurement_id,
            vendor_id: r.vendor_id,
            vendor_name: r.vendor_name,
            contract_id: r.contract_id,
            contract_number: r.contract_number,
            sla_id: r.sla_id,
            sla_name: r.sla_name,
            period: r.period,
            period_start: start,
            period_end: end,
            value: r.value,
            tier: r.tier,
            currency: r.currency,
            credit: text(r.credit_units, c)?,
            credit_status: r.credit_status,
            credit_memo_number: r.credit_memo_number,
        });
    }
    // Stable: by vendor, contract, SLA, then the period's first day.
    rows.sort_by(|a, b| {
        (
            a.vendor_id,
            a.contract_id,
            a.sla_id,
            a.period_start,
            a.measurement_id,
        )
            .cmp(&(
                b.vendor_id,
                b.contract_id,
                b.sla_id,
                b.period_start,
                b.measurement_id,
            ))
    });
    let totals = totals
        .into_iter()
        .map(|(code, (periods, credit, receivable, applied))| {
            let c = currency(&code)?;
            Ok(SlaCreditTotal {
                currency: code,
                periods,
                credit: text(credit, c)?,
                receivable: text(receivable, c)?,
                applied: text(applied, c)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(SlaCredits {
        from,
        to,
        vendor_id,
        rows,
        totals,
    })
}

/// What the scorecard cannot know, said in its answer.
pub const SCORECARD_NOTES: [&str; 2] = [
    "duplicates refused outright (409 duplicate_invoice: same vendor and normalised number) \
     leave no row and are not counted; duplicates_held counts invoices held as suspected \
     duplicates (same vendor, kind and total within the window)",
    "PO lines without a promised date have no promise to measure and are not counted",
];

/// The vendor scorecard for `from..=to`, per vendor and `period`, "past due" judged on `as_of`.
pub fn vendor_scorecard(
    conn: &mut DbConnection,
    vendor_id: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    period: ScorePeriod,
) -> AppResult<VendorScorecard> {
    if let Some(id) = vendor_id {
        crate::vendors::service::get(conn, id)?;
    }
    let window = format!("{from}/{to}");
    let label = |day: NaiveDate| match period {
        ScorePeriod::Window => window.clone(),
        ScorePeriod::Month => crate::budgets::model::month_of(day),
    };
    let mut counts: BTreeMap<(i64, String), ScoreCounts> = BTreeMap::new();
    let mut credits: BTreeMap<(i64, String, String), (i64, i64)> = BTreeMap::new();
    for line in repo::due_lines(conn, from, to, vendor_id)? {
        let delivery = classify(
            quantity(&line.quantity)?,
            quantity(&line.quantity_received)?,
            line.promised_date,
            line.delivered_on,
            line.po_status == "closed",
            as_of,
        );
        counts
            .entry((line.vendor_id, label(line.promised_date)))
            .or_default()
            .count(delivery);
    }
    for p in repo::sla_period_counts(conn, from, to, vendor_id)? {
        let (start, _) = period_bounds(&p.measurement_period, &p.period)?;
        if start < from || start > to {
            continue;
        }
        let c = counts.entry((p.vendor_id, label(start))).or_default();
        c.sla_periods_measured += p.measured;
        c.sla_periods_met += p.met;
        if p.receivable != 0 || p.applied != 0 {
            let e = credits
                .entry((p.vendor_id, label(start), p.currency))
                .or_default();
            e.0 = add(e.0, p.receivable)?;
            e.1 = add(e.1, p.applied)?;
        }
    }
    for i in repo::invoice_counts(conn, from, to, vendor_id)? {
        let c = counts.entry((i.vendor_id, label(i.day))).or_default();
        c.invoices += i.invoices;
        c.invoices_held += i.held;
        c.duplicates_held += i.duplicates;
    }
    if let Some(id) = vendor_id {
        if !counts.keys().any(|(v, _)| *v == id) {
            counts.entry((id, window.clone())).or_default();
        }
    }
    let mut ids: Vec<i64> = counts.keys().map(|(v, _)| *v).collect();
    ids.dedup();
    let names: HashMap<i64, String> = repo::vendor_names(conn, &ids)?.into_iter().collect();
    let credit_view = |code: &str, (receivable, applied): (i64, i64)| -> AppResult<VendorCredits> {
        let c = currency(code)?;
        Ok(VendorCredits {
            currency: code.to_string(),
            receivable: text(receivable, c)?,
            applied: text(applied, c)?,
        })
    };
    let mut totals = ScoreCounts::default();
    let mut credit_totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut vendors = Vec::with_capacity(counts.len());
    for ((id, label), mut c) in counts {
        c.finish();
        totals.add(&c);
        let mut own = Vec::new();
        for ((_, _, code), amounts) in credits
            .range((id, label.clone(), String::new())..)
            .take_while(|((v, l, _), _)| *v == id && *l == label)
        {
            let t = credit_totals.entry(code.clone()).or_default();
            t.0 = add(t.0, amounts.0)?;
            t.1 = add(t.1, amounts.1)?;
            own.push(credit_view(code, *amounts)?);
        }
        vendors.push(VendorScore {
            vendor_id: id,
            vendor_name: names.get(&id).cloned().unwrap_or_default(),
            period: label,
            counts: c,
            credits: own,
        });
    }
    totals.finish();
    let credit_totals = credit_totals
        .iter()
        .map(|(code, amounts)| credit_view(code, *amounts))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(VendorScorecard {
        from,
        to,
        as_of,
        period,
        vendors,
        totals,
        credit_totals,
        notes: SCORECARD_NOTES.iter().map(|n| n.to_string()).collect(),
    })
}
