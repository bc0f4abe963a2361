//! Purchase-order types and the pure rules: line amounts, the status machine and the budget
//! check.
//!
//! Rounding: a line's net amount is `quantity × unit price` rounded to the currency's minor unit
//! and its tax `net × tax % / 100` rounded the same way (both at [`RoundingPoint::DocumentLine`],
//! half-even); the PO's totals are the sums of its rounded lines. A line's budget amount is its
//! net converted at the PO date's rate ([`RoundingPoint::FxConversion`]); the PO's budget total is
//! the sum of those. Budget figures are net of tax.

use crate::money::{Currency, Money, MoneyError, RoundingPoint};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a purchase order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    /// Being written by the requester.
    Draft,
    /// Waiting for approvals.
    Submitted,
    /// Approved: the money is committed.
    Approved,
    /// Sent to the vendor.
    Issued,
    /// Some lines received.
    PartiallyReceived,
    /// Every line received.
    Received,
    /// Finished: any commitment left is released.
    Closed,
    /// Withdrawn before anything was received or invoiced.
    Cancelled,
}

impl PoStatus {
    /// Every status.
    pub const ALL: [PoStatus; 8] = [
        PoStatus::Draft,
        PoStatus::Submitted,
        PoStatus::Approved,
        PoStatus::Issued,
        PoStatus::PartiallyReceived,
        PoStatus::Received,
        PoStatus::Closed,
        PoStatus::Cancelled,
    ];

    /// The statuses in which a PO's open value counts as committed against its budget lines.
    pub const COMMITTED: [PoStatus; 4] = [
        PoStatus::Approved,
        PoStatus::Issued,
        PoStatus::PartiallyReceived,
        PoStatus::Received,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PoStatus::Draft => "draft",
            PoStatus::Submitted => "submitted",
            PoStatus::Approved => "approved",
            PoStatus::Issued => "issued",
            PoStatus::PartiallyReceived => "partially_received",
            PoStatus::Received => "received",
            PoStatus::Closed => "closed",
            PoStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the PO's open value is committed in this status.
    pub fn is_committed(self) -> bool {
        Self::COMMITTED.contains(&self)
    }

    /// The actions allowed from this status (`cancel` further needs nothing received or
    /// invoiced).
    pub fn allowed_actions(self) -> &'static [&'static str] {
        match self {
            PoStatus::Draft => &["update", "submit", "cancel"],
            PoStatus::Submitted => &["approve", "reject", "cancel"],
            PoStatus::Approved => &["issue", "revise", "cancel", "close"],
            PoStatus::Issued => &["receive", "revise", "cancel", "close"],
            PoStatus::PartiallyReceived => &["receive", "revise", "close"],
            PoStatus::Received => &["receive", "revise", "close"],
            PoStatus::Closed | PoStatus::Cancelled => &[],
        }
    }
}

/// A line's amounts in the PO's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmounts {
    /// `quantity × unit price`, rounded.
    pub net: Money,
    /// `net × tax % / 100`, rounded.
    pub tax: Money,
}

/// The amounts of a line (see the module header for the rounding).
pub fn line_amounts(
    quantity: Decimal,
    unit_price: Decimal,
    tax_percent: Decimal,
    currency: Currency,
) -> Result<LineAmounts, MoneyError> {
    let exact = quantity
        .checked_mul(unit_price)
        .ok_or(MoneyError::Overflow)?;
    let net = Money::round(exact, currency, RoundingPoint::DocumentLine)?;
    let tax_exact = net
        .amount()
        .checked_mul(tax_percent)
        .ok_or(MoneyError::Overflow)?
        / Decimal::ONE_HUNDRED;
    let tax = Money::round(tax_exact, currency, RoundingPoint::DocumentLine)?;
    Ok(LineAmounts { net, tax })
}

/// The commitment a PO line has released once an invoice for `quantity` more is approved:
/// all of it when the line is then fully invoiced, otherwise what was released before plus the
/// line's budget amount in proportion (`line budget × quantity / ordered`, rounded at the
/// allocation point), never more than the line's budget amount. So the line's commitment only
/// falls, and reaches exactly zero when the last unit is invoiced.
pub fn released_after_invoice(
    line_budget: Money,
    released_before: Money,
    ordered: Decimal,
    invoiced_before: Decimal,
    quantity: Decimal,
) -> Result<Money, MoneyError> {
    if ordered <= Decimal::ZERO || invoiced_before + quantity >= ordered {
        return Ok(line_budget);
    }
    let share = Money::round(
        line_budget
            .amount()
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?
            / ordered,
        line_budget.currency(),
        RoundingPoint::Allocation,
    )?;
    let released = released_before.checked_add(&share)?;
    Ok(if released.amount() > line_budget.amount() {
        line_budget
    } else {
        released
    })
}

/// One budget line's position when a PO is approved, all in the budget's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetPosition {
    /// The budget line.
    pub budget_line_id: i64,
    /// Its current budget.
    pub budget: String,
    /// Approved invoices posted against it.
    pub actual: String,
    /// Open commitments of other purchase orders.
    pub committed: String,
    /// This purchase order's lines on it.
    pub this_po: String,
    /// How far `actual + committed + this_po` goes past the budget (zero when within).
    pub over_by: String,
}

/// The budget check: `actual + committed + this` against `budget`. Returns the position, with
/// `over_by` positive when the budget would be exceeded. Equal to the budget passes.
pub fn budget_position(
    budget_line_id: i64,
    budget: Money,
    actual: Money,
    committed: Money,
    this_po: Money,
) -> Result<(BudgetPosition, bool), MoneyError> {
    let used = actual.checked_add(&committed)?.checked_add(&this_po)?;
    let over = used.checked_sub(&budget)?;
    let exceeded = over.amount() > Decimal::ZERO;
    let over_by = if exceeded {
        over
    } else {
        Money::zero(budget.currency())
    };
    Ok((
        BudgetPosition {
            budget_line_id,
            budget: budget.amount().to_string(),
            actual: actual.amount().to_string(),
            committed: committed.amount().to_string(),
            this_po: this_po.amount().to_string(),
            over_by: over_by.amount().to_string(),
        },
        exceeded,
    ))
}

/// A line of a purchase order as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PoLine {
    /// The line's id (receipts and invoices refer to it).
    pub id: i64,
    /// Its position on the PO, from 1.
    pub line_no: i64,
    /// What is bought.
    pub description: String,
    /// How many, a decimal string.
    #[schema(example = "4")]
    pub quantity: String,
    /// The unit of measure.
    #[schema(example = "each")]
    pub unit: String,
    /// Price per unit in the PO's currency (up to 6 decimal places).
    #[schema(example = "12500.00")]
    pub unit_price: String,
    /// Tax rate in percent.
    #[schema(example = "20")]
    pub tax_percent: String,
    /// `quantity × unit_price`, rounded to the currency.
    pub net_amount: String,
    /// The tax on `net_amount`, rounded.
    pub tax_amount: String,
    /// `net_amount` in the budget's currency at the PO date's rate.
    pub net_amount_budget: String,
    /// The budget line it is charged to.
    pub budget_line_id: i64,
    /// Whether each received unit becomes an asset.
    pub is_asset: bool,
    /// The asset category (asset lines).
    pub asset_category: Option<String>,
    /// When the vendor promised delivery.
    pub promised_date: Option<NaiveDate>,
    /// Received so far (net of returns).
    pub quantity_received: String,
    /// Invoiced so far (approved invoices).
    pub quantity_invoiced: String,
    /// What is still committed against the budget line, in the budget's currency (zero unless
    /// the PO is approved and open).
    pub committed: String,
}

/// One approval of a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PoApproval {
    /// Who approved (token name).
    pub approver: String,
    /// Their role.
    pub role: String,
    /// The revision approved.
    pub revision: i64,
    /// When (UTC).
    pub approved_at: DateTime<Utc>,
    /// Why the budget or ceiling was overridden, when it was.
    pub override_reason: Option<String>,
}

/// A purchase order as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PurchaseOrder {
    /// The PO's id.
    pub id: i64,
    /// Its human number.
    #[schema(example = "PO-2027-000042")]
    pub number: String,
    /// The vendor.
    pub vendor_id: i64,
    /// The project paying.
    pub project_id: i64,
    /// The contract it is under, if any.
    pub contract_id: Option<i64>,
    /// The PO's currency.
    pub currency: String,
    /// The budget's (project's) currency.
    pub budget_currency: String,
    /// PO currency → budget currency rate at the order date (1 when they are the same).
    pub fx_rate: String,
    /// The order date (the FX date).
    pub order_date: NaiveDate,
    /// Where it stands.
    pub status: PoStatus,
    /// What may be done now.
    pub allowed_actions: Vec<String>,
    /// The revision, from 1; each change after approval adds one.
    pub revision: i64,
    /// Who raised it (token name).
    pub requested_by: String,
    /// Free text.
    pub notes: Option<String>,
    /// Its lines.
    pub lines: Vec<PoLine>,
    /// Sum of the lines' net amounts.
    pub net_total: String,
    /// Sum of the lines' tax.
    pub tax_total: String,
    /// `net_total + tax_total`.
    pub total: String,
    /// Sum of the lines' budget amounts: what the approval bands and budget check use.
    pub net_total_budget: String,
    /// What is still committed, in the budget's currency.
    pub committed: String,
    /// Approvals the current revision needs (set on submit).
    pub approvals_required: i64,
    /// Approvals so far, every revision.
    pub approvals: Vec<PoApproval>,
    /// A revision raising the value, waiting for approval.
    pub pending_revision: Option<PendingRevision>,
    /// Why it was rejected, cancelled or closed.
    pub status_reason: Option<String>,
    /// When it was last submitted (UTC).
    pub submitted_at: Option<DateTime<Utc>>,
    /// When it was approved (UTC).
    pub approved_at: Option<DateTime<Utc>>,
    /// When it was issued to the vendor (UTC).
    pub issued_at: Option<DateTime<Utc>>,
    /// When it was closed or cancelled (UTC).
    pub closed_at: Option<DateTime<Utc>>,
    /// Changes with every update; send it back.
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// A line of a revision: an existing line (by `id`) with its new values, or a new line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProposedLine {
    /// The existing line it changes; absent for a new line.
    pub id: Option<i64>,
    /// What is bought.
    pub description: String,
    /// How many.
    pub quantity: String,
    /// Unit of measure.
    pub unit: String,
    /// Price per unit.
    pub unit_price: String,
    /// Tax rate in percent.
    pub tax_percent: String,
    /// The budget line.
    pub budget_line_id: i64,
    /// Whether units become assets.
    pub is_asset: bool,
    /// Asset category.
    pub asset_category: Option<String>,
    /// Promised delivery.
    pub promised_date: Option<NaiveDate>,
    /// Net amount, rounded.
    pub net_amount: String,
    /// Tax, rounded.
    pub tax_amount: String,
    /// Net amount in the budget's currency.
    pub net_amount_budget: String,
}

/// A revision of an approved purchase order that raises its value and waits for approval; the
/// order keeps running on its approved revision meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingRevision {
    /// The revision number it will become.
    pub revision: i64,
    /// Why it was revised.
    pub reason: String,
    /// Who revised it (it may not approve it).
    pub requested_by: String,
    /// The notes it sets.
    pub notes: Option<String>,
    /// Its lines: all of them, as they will be.
    pub lines: Vec<ProposedLine>,
    /// Sum of the lines' net amounts.
    pub net_total: String,
    /// Sum of the lines' tax.
    pub tax_total: String,
    /// Sum of the lines' budget amounts (the band is chosen by it).
    pub net_total_budget: String,
    /// Approvals it needs.
    pub approvals_required: i64,
}

/// One entry of a purchase order's revision history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RevisionRecord {
    /// The revision it created (or would have).
    pub revision: i64,
    /// `applied`, `pending` or `rejected`.
    pub status: String,
    /// Why.
    pub reason: String,
    /// Who revised.
    pub changed_by: String,
    /// When (UTC).
    pub changed_at: DateTime<Utc>,
    /// The purchase order as it was before this revision.
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    /// The lines this revision set.
    pub lines: Vec<ProposedLine>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;

    fn d(s: &str) -> Decimal {
        parse_decimal(s).unwrap()
    }

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    #[test]
    fn line_amounts_round_half_even_at_the_line() {
        // 3 × 0.125 = 0.375 → 0.38 (half-even rounds the 5 up to the even 8); tax 20 % of 0.38.
        let a = line_amounts(d("3"), d("0.125"), d("20"), eur()).unwrap();
        assert_eq!(a.net.amount(), d("0.38"));
        assert_eq!(a.tax.amount(), d("0.08"));
        // 2.5 × 0.05 = 0.125 → 0.12 (half-even keeps the even 2).
        let b = line_amounts(d("2.5"), d("0.05"), d("0"), eur()).unwrap();
        assert_eq!(b.net.amount(), d("0.12"));
        let jpy = Currency::parse("JPY").unwrap();
        let c = line_amounts(d("7"), d("333.333333"), d("10"), jpy).unwrap();
        assert_eq!(c.net.amount(), d("2333"));
        assert_eq!(c.tax.amount(), d("233"));
    }

    #[test]
    fn the_budget_check_passes_at_exactly_the_budget() {
        let m = |s: &str| Money::new(d(s), eur()).unwrap();
        let (at, over) = budget_position(1, m("100"), m("40"), m("50"), m("10")).unwrap();
        assert!(!over);
        assert_eq!(at.over_by, "0.00");
        let (past, over) = budget_position(1, m("100"), m("40"), m("50"), m("10.01")).unwrap();
        assert!(over);
        assert_eq!(past.over_by, "0.01");
    }

    proptest::proptest! {
        /// For any sequence of invoices on a PO line (each at most 2 % over the PO price, the
        /// default tolerance, and never beyond the ordered quantity, which quantity matching
        /// holds), committed + actual never exceeds the line's value plus 2 % plus one cent of
        /// rounding per invoice; and the commitment is exactly zero once the line is fully
        /// invoiced.
        #[test]
        fn committed_plus_actual_stays_within_the_tolerance(
            ordered_units in 1u32..200,
            price_cents in 1i64..1_000_000,
            invoices in proptest::collection::vec((1u32..60, 0u32..=200), 1..12),
        ) {
            let eur = eur();
            let ordered = Decimal::from(ordered_units);
            let price = Decimal::new(price_cents, 2);
            let line = line_amounts(ordered, price, Decimal::ZERO, eur).unwrap().net;
            let mut released = Money::zero(eur);
            let mut invoiced = Decimal::ZERO;
            let mut actual = Money::zero(eur);
            let mut count = 0i64;
            for (qty, over_basis_points) in invoices {
                let remaining = ordered - invoiced;
                if remaining <= Decimal::ZERO {
                    break;
                }
                let quantity = Decimal::from(qty).min(remaining);
                // up to 2 % over the PO price: 0..=200 basis points
                let invoice_price = price + price * Decimal::new(i64::from(over_basis_points), 4);
                let billed = line_amounts(quantity, invoice_price, Decimal::ZERO, eur).unwrap().net;
                released = released_after_invoice(line, released, ordered, invoiced, quantity).unwrap();
                invoiced += quantity;
                actual = actual.checked_add(&billed).unwrap();
                count += 1;
                let committed = line.checked_sub(&released).unwrap();
                proptest::prop_assert!(!committed.amount().is_sign_negative());
                let limit = line.amount() * Decimal::new(102, 2) + Decimal::new(count, 2);
                proptest::prop_assert!(
                    committed.amount() + actual.amount() <= limit,
                    "committed {} + actual {} > {}", committed, actual, limit
                );
            }
            if invoiced >= ordered {
                proptest::prop_assert_eq!(released, line);
            }
        }
    }

    #[test]
    fn the_last_invoice_releases_the_rest_exactly() {
        let m = |s: &str| Money::new(d(s), eur()).unwrap();
        // 3 units worth 100.00: a third is 33.33 (rounded), two thirds 66.66, the last unit the rest.
        let first = released_after_invoice(m("100.00"), m("0"), d("3"), d("0"), d("1")).unwrap();
        assert_eq!(first, m("33.33"));
        let second = released_after_invoice(m("100.00"), first, d("3"), d("1"), d("1")).unwrap();
        assert_eq!(second, m("66.66"));
        let last = released_after_invoice(m("100.00"), second, d("3"), d("2"), d("1")).unwrap();
        assert_eq!(last, m("100.00"));
    }

    #[test]
    fn only_open_statuses_commit() {
        assert!(PoStatus::Approved.is_committed());
        assert!(PoStatus::Received.is_committed());
        assert!(!PoStatus::Submitted.is_committed());
        assert!(!PoStatus::Closed.is_committed());
        for s in PoStatus::ALL {
            assert_eq!(PoStatus::parse(s.as_str()), Some(s));
        }
    }
}
