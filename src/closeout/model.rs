//! Closeout types and the pure rules over them: which items are open, which a waiver still
//! covers, and the totals of a section per currency.

use crate::error::AppResult;
use crate::money::storage::{money_from_units, sum_units};
use crate::money::Currency;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A section of the closeout checklist: one kind of loose end.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Approved purchase orders not fully invoiced: their open value is released at close.
    OpenCommitments,
    /// PO lines received and not invoiced (accruals).
    Accruals,
    /// Invoices on hold, or not yet matched or approved: their cost is not in the actuals.
    InvoicesOnHoldOrUnmatched,
    /// Approved invoices not paid in full.
    InvoicesUnpaid,
    /// Posted invoice lines billing more of a PO line than was received.
    InvoicesWithoutReceipts,
    /// Statement-of-work milestones not accepted.
    MilestonesNotAccepted,
    /// SLA service credits owed by a vendor and not yet applied to an invoice.
    SlaCreditsNotApplied,
    /// Assets received but pending: no serial number or location recorded.
    AssetsPending,
    /// Contracts serving the project that are still active.
    ContractsActive,
}

impl Section {
    /// Every section, in checklist order.
    pub const ALL: [Section; 9] = [
        Section::OpenCommitments,
        Section::Accruals,
        Section::InvoicesOnHoldOrUnmatched,
        Section::InvoicesUnpaid,
        Section::InvoicesWithoutReceipts,
        Section::MilestonesNotAccepted,
        Section::SlaCreditsNotApplied,
        Section::AssetsPending,
        Section::ContractsActive,
    ];

    /// The stable name, the first part of an item key.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::OpenCommitments => "open_commitments",
            Section::Accruals => "accruals",
            Section::InvoicesOnHoldOrUnmatched => "invoices_on_hold_or_unmatched",
            Section::InvoicesUnpaid => "invoices_unpaid",
            Section::InvoicesWithoutReceipts => "invoices_without_receipts",
            Section::MilestonesNotAccepted => "milestones_not_accepted",
            Section::SlaCreditsNotApplied => "sla_credits_not_applied",
            Section::AssetsPending => "assets_pending",
            Section::ContractsActive => "contracts_active",
        }
    }

    /// What the section means, for people.
    pub fn title(self) -> &'static str {
        match self {
            Section::OpenCommitments => "Open commitments to release",
            Section::Accruals => "Received, not invoiced (accruals)",
            Section::InvoicesOnHoldOrUnmatched => "Invoices on hold or unmatched",
            Section::InvoicesUnpaid => "Invoices not paid in full",
            Section::InvoicesWithoutReceipts => "Invoices without receipts",
            Section::MilestonesNotAccepted => "SOW milestones not accepted",
            Section::SlaCreditsNotApplied => "SLA credits not yet applied",
            Section::AssetsPending => "Assets pending serial or location",
            Section::ContractsActive => "Contracts still active",
        }
    }

    /// Parses a stable name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A loose end as read from the documents, amounts in 1/10,000 units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawItem {
    /// Its section.
    pub section: Section,
    /// `purchase_order`, `po_line`, `invoice`, `invoice_line`, `milestone`, `sla_period`,
    /// `asset` or `contract`.
    pub document_type: &'static str,
    /// The document's id.
    pub document_id: i64,
    /// Its number (or name, or tag).
    pub number: String,
    /// What it is, and why it is open.
    pub description: String,
    /// The document's status.
    pub status: String,
    /// The document's date, where it has one.
    pub date: Option<NaiveDate>,
    /// What is at stake, in units; `None` where nothing is known (an asset without a cost).
    pub amount_units: Option<i64>,
    /// The amount's currency.
    pub currency: Option<Currency>,
    /// Where to drill down in the API.
    pub href: String,
    /// The lines behind the amount, adding up to it.
    pub lines: Vec<RawLine>,
}

impl RawItem {
    /// The item's key: `<section>:<document type>:<id>`, what a waiver names.
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.section.as_str(),
            self.document_type,
            self.document_id
        )
    }
}

/// A line behind an item's amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// `po_line` or `invoice_line`.
    pub document_type: &'static str,
    /// The line's id.
    pub id: i64,
    /// Its position on the document.
    pub line_no: i64,
    /// What it is.
    pub description: String,
    /// Its amount, in units.
    pub amount_units: i64,
}

/// A waiver as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWaiver {
    /// Its id.
    pub id: i64,
    /// The item it waives.
    pub item_key: String,
    /// The item's amount when it was waived.
    pub amount_units: Option<i64>,
    /// Its currency.
    pub currency: Option<String>,
    /// Why.
    pub reason: String,
    /// Who.
    pub waived_by: String,
    /// When (UTC).
    pub waived_at: DateTime<Utc>,
}

impl StoredWaiver {
    /// Whether the waiver still covers `item`: a waiver covers the item as it was when waived,
    /// so an item whose amount or currency has moved since is open again.
    pub fn covers(&self, item: &RawItem) -> bool {
        self.item_key == item.key()
            && self.amount_units == item.amount_units
            && self.currency.as_deref() == item.currency.map(|c| c.code())
    }
}

/// Whether an item still needs action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Must be resolved, or waived, before the project closes.
    Open,
    /// Waived by finance or an admin, with a reason.
    Waived,
}

/// A waiver as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Waiver {
    /// Its id.
    pub id: i64,
    /// Why the item may stay open.
    pub reason: String,
    /// Who waived it.
    pub waived_by: String,
    /// When (UTC).
    pub waived_at: DateTime<Utc>,
    /// The item's amount when it was waived.
    pub amount: Option<String>,
    /// `false` when the item has changed since (the waiver no longer covers it).
    pub current: bool,
}

/// A line behind an item's amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemLine {
    /// `po_line` or `invoice_line`.
    pub document_type: String,
    /// The line's id.
    pub id: i64,
    /// Its position on the document.
    pub line_no: i64,
    /// What it is.
    pub description: String,
    /// Its amount, in the item's currency.
    pub amount: String,
}

/// One loose end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CloseoutItem {
    /// `<section>:<document type>:<id>`: what a waiver names.
    #[schema(example = "open_commitments:purchase_order:12")]
    pub key: String,
    /// The kind of document.
    pub document_type: String,
    /// The document's id.
    pub document_id: i64,
    /// Its number (or name, or tag).
    pub number: String,
    /// What it is and why it is open.
    pub description: String,
    /// The document's status.
    pub status: String,
    /// The document's date.
    pub date: Option<NaiveDate>,
    /// What is at stake, in `currency` (null where nothing is known).
    pub amount: Option<String>,
    /// The amount's currency.
    pub currency: Option<String>,
    /// The API path to drill into.
    pub href: String,
    /// The lines behind `amount`; they add up to it.
    pub lines: Vec<ItemLine>,
    /// `open` or `waived`.
    pub state: ItemState,
    /// The waiver, when one was given (also when it no longer covers the item).
    pub waiver: Option<Waiver>,
}

/// A sum in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CurrencyTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// The sum of the items' amounts in it.
    pub amount: String,
}

/// One section of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChecklistSection {
    /// The section.
    pub section: Section,
    /// What it means.
    pub title: String,
    /// Its items, by document id.
    pub items: Vec<CloseoutItem>,
    /// Items still open (neither resolved nor waived).
    pub open: usize,
    /// Items waived.
    pub waived: usize,
    /// The items' amounts summed per currency (amounts of different currencies are never added).
    pub totals: Vec<CurrencyTotal>,
}

/// A budget line's figures at closeout, in the budget's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BudgetLineCloseout {
    /// The budget line (null on the totals row).
    pub budget_line_id: Option<i64>,
    /// `capex` or `opex`.
    pub category: String,
    /// Its cost center.
    pub cost_center: String,
    /// The final (current) budget.
    pub budget: String,
    /// Approved invoices, net of credit memos.
    pub actual: String,
    /// Open purchase-order value.
    pub committed: String,
    /// Of it, received and not invoiced.
    pub accrued: String,
    /// The last forecast: EAC = actual + committed + estimate to complete, as of the day.
    pub forecast_eac: String,
    /// `budget − actual − committed`: what stays unspent (negative: an overrun).
    pub variance: String,
}

/// The project's closeout checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Checklist {
    /// The project.
    pub project_id: i64,
    /// Its code.
    pub project_code: String,
    /// Its name.
    pub project_name: String,
    /// The budget's currency.
    pub currency: String,
    /// The project's status.
    pub project_status: String,
    /// The day the figures are for.
    pub as_of: NaiveDate,
    /// The sections, in order, each listed even when empty.
    pub sections: Vec<ChecklistSection>,
    /// Per budget line: the final budget, actual, committed, last forecast and variance.
    pub budget_lines: Vec<BudgetLineCloseout>,
    /// The project's totals (the sums of the lines).
    pub budget_totals: BudgetLineCloseout,
    /// Items still open.
    pub open_items: usize,
    /// Items waived.
    pub waived_items: usize,
    /// Whether `POST /projects/{id}/close` would close the project now.
    pub ready_to_close: bool,
}

/// Turns raw items into a checklist section: applies the waivers, formats the amounts and sums
/// them per currency. Amounts of different currencies are never added together.
pub fn section(
    section: Section,
    raw: Vec<RawItem>,
    waivers: &BTreeMap<String, StoredWaiver>,
) -> AppResult<ChecklistSection> {
    let mut per_currency: BTreeMap<&'static str, (Currency, Vec<i64>)> = BTreeMap::new();
    let mut items = Vec::with_capacity(raw.len());
    for item in raw {
        if let (Some(units), Some(currency)) = (item.amount_units, item.currency) {
            per_currency
                .entry(currency.code())
                .or_insert_with(|| (currency, Vec::new()))
                .1
                .push(units);
        }
        items.push(view(item, waivers)?);
    }
    let totals = per_currency
        .into_values()
        .map(|(currency, units)| {
            Ok(CurrencyTotal {
                currency: currency.code().to_string(),
                amount: text(sum_units(units)?, currency)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let open = items.iter().filter(|i| i.state == ItemState::Open).count();
    Ok(ChecklistSection {
        section,
        title: section.title().to_string(),
        waived: items.len() - open,
        open,
        items,
        totals,
    })
}

fn view(item: RawItem, waivers: &BTreeMap<String, StoredWaiver>) -> AppResult<CloseoutItem> {
    let key = item.key();
    let amount_text = |units: i64| -> AppResult<String> {
        match item.currency {
            Some(currency) => text(units, currency),
            None => Ok(crate::money::storage::amount_from_units(units).to_string()),
        }
    };
    let waiver = match waivers.get(&key) {
        Some(w) => Some(Waiver {
            id: w.id,
            reason: w.reason.clone(),
            waived_by: w.waived_by.clone(),
            waived_at: w.waived_at,
            amount: w.amount_units.map(amount_text).transpose()?,
            current: w.covers(&item),
        }),
        None => None,
    };
    let state = match &waiver {
        Some(w) if w.current => ItemState::Waived,
        _ => ItemState::Open,
    };
    let lines = item
        .lines
        .iter()
        .map(|l| {
            Ok(ItemLine {
                document_type: l.document_type.to_string(),
                id: l.id,
                line_no: l.line_no,
                description: l.description.clone(),
                amount: amount_text(l.amount_units)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(CloseoutItem {
        amount: item.amount_units.map(amount_text).transpose()?,
        key,
        document_type: item.document_type.to_string(),
        document_id: item.document_id,
        number: item.number,
        description: item.description,
        status: item.status,
        date: item.date,
        currency: item.currency.map(|c| c.code().to_string()),
        href: item.href,
        lines,
        state,
        waiver,
    })
}

/// `units` in `currency`, with the currency's decimals.
pub fn text(units: i64, currency: Currency) -> AppResult<String> {
    Ok(money_from_units(units, currency)?.amount().to_string())
}

/// The items still open, across sections.
pub fn open_items(sections: &[ChecklistSection]) -> Vec<&CloseoutItem> {
    sections
        .iter()
        .flat_map(|s| &s.items)
        .filter(|i| i.state == ItemState::Open)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn item(section: Section, id: i64, units: Option<i64>, currency: &str) -> RawItem {
        RawItem {
            section,
            document_type: "purchase_order",
            document_id: id,
            number: format!("PO-{id}"),
            description: "d".into(),
            status: "approved".into(),
            date: None,
            amount_units: units,
            currency: Some(Currency::parse(currency).unwrap()),
            href: String::new(),
            lines: vec![],
        }
    }

    fn waiver(key: &str, units: Option<i64>, currency: &str) -> StoredWaiver {
        StoredWaiver {
            id: 1,
            item_key: key.into(),
            amount_units: units,
            currency: Some(currency.into()),
            reason: "agreed".into(),
            waived_by: "fin".into(),
            waived_at: Utc::now(),
        }
    }

    #[test]
    fn a_waiver_covers_the_item_only_as_it_was() {
        let it = item(Section::OpenCommitments, 7, Some(1_000_000), "EUR");
        assert_eq!(it.key(), "open_commitments:purchase_order:7");
        assert!(waiver(&it.key(), Some(1_000_000), "EUR").covers(&it));
        assert!(!waiver(&it.key(), Some(1_000_100), "EUR").covers(&it));
        assert!(!waiver(&it.key(), Some(1_000_000), "USD").covers(&it));
        assert!(!waiver("open_commitments:purchase_order:8", Some(1_000_000), "EUR").covers(&it));
    }

    #[test]
    fn totals_are_per_currency_and_exact() {
        let raw = vec![
            item(Section::MilestonesNotAccepted, 1, Some(1_234_500), "EUR"),
            item(Section::MilestonesNotAccepted, 2, Some(100), "EUR"),
            item(Section::MilestonesNotAccepted, 3, Some(50_000), "USD"),
        ];
        let mut waivers = BTreeMap::new();
        let w = waiver("milestones_not_accepted:purchase_order:2", Some(100), "EUR");
        waivers.insert(w.item_key.clone(), w);
        let s = section(Section::MilestonesNotAccepted, raw, &waivers).unwrap();
        assert_eq!(
            s.totals,
            vec![
                CurrencyTotal {
                    currency: "EUR".into(),
                    amount: "123.46".into()
                },
                CurrencyTotal {
                    currency: "USD".into(),
                    amount: "5.00".into()
                }
            ]
        );
        assert_eq!((s.open, s.waived), (2, 1));
        assert_eq!(s.items[1].state, ItemState::Waived);
        assert_eq!(open_items(std::slice::from_ref(&s)).len(), 2);
        assert_eq!(text(1_234_500, eur()).unwrap(), "123.45");
    }
}
