//! Invoice types and pure rules: the status machine, invoice-number normalisation and the
//! default tolerance.

use super::matching::{HoldReason, LineMatch, MatchBasis, Tolerance};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Recorded; not yet matched (transient).
    Received,
    /// Every line matched within tolerance (or its hold released): ready to approve.
    Matched,
    /// Held, with every reason listed, until finance releases or rejects it.
    OnHold,
    /// Approved: posted as actual; payable.
    Approved,
    /// Paid in full.
    Paid,
    /// Rejected with a reason.
    Rejected,
}

impl InvoiceStatus {
    /// Every status.
    pub const ALL: [InvoiceStatus; 6] = [
        InvoiceStatus::Received,
        InvoiceStatus::Matched,
        InvoiceStatus::OnHold,
        InvoiceStatus::Approved,
        InvoiceStatus::Paid,
        InvoiceStatus::Rejected,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Received => "received",
            InvoiceStatus::Matched => "matched",
            InvoiceStatus::OnHold => "on_hold",
            InvoiceStatus::Approved => "approved",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Rejected => "rejected",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The actions allowed from this status.
    pub fn allowed_actions(self) -> &'static [&'static str] {
        match self {
            InvoiceStatus::Received | InvoiceStatus::Matched => &["approve", "reject"],
            InvoiceStatus::OnHold => &["release", "reject"],
            InvoiceStatus::Approved => &["pay"],
            InvoiceStatus::Paid | InvoiceStatus::Rejected => &[],
        }
    }
}

/// An invoice or a credit memo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    /// A bill.
    Invoice,
    /// A credit: its amounts are negative and reduce actuals.
    CreditMemo,
}

impl InvoiceKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Invoice => "invoice",
            InvoiceKind::CreditMemo => "credit_memo",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [InvoiceKind::Invoice, InvoiceKind::CreditMemo]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// An invoice number as compared for duplicates: letters and digits only, lower case, with the
/// leading zeros of every group of digits removed (`INV-000123`, `inv 123` and `Inv.123` are the
/// same number). Groups are split at punctuation, spaces and letter/digit boundaries, so
/// `2026/0100` becomes `2026100`.
pub fn normalise_number(number: &str) -> String {
    let mut out = String::with_capacity(number.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if !digits.is_empty() {
            let trimmed = digits.trim_start_matches('0');
            out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
            digits.clear();
        }
    };
    for c in number.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            if c.is_alphanumeric() {
                out.extend(c.to_lowercase());
            }
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// The tolerance used when no global one has been set: a unit price may run up to 2 % over the
/// PO price; quantities must not exceed what was received (three-way) or ordered.
pub fn default_tolerance() -> Tolerance {
    Tolerance {
        price_percent: Some(Decimal::TWO),
        price_absolute: None,
        quantity_percent: None,
        quantity_absolute: None,
    }
}

/// One reason an invoice is on hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Hold {
    /// The line it concerns (absent for the whole invoice).
    pub line_no: Option<i64>,
    /// A stable code: `price_over_tolerance`, `quantity_not_received`, `quantity_over_ordered`,
    /// `milestone_not_accepted`, `amount_over_milestone`, `no_reference`, `po_not_open`,
    /// `suspected_duplicate`.
    pub code: String,
    /// What is wrong, with the figures.
    pub message: String,
}

impl Hold {
    /// A hold from a matching outcome.
    pub fn from_reason(line_no: i64, reason: &HoldReason) -> Self {
        Self {
            line_no: Some(line_no),
            code: reason.code().to_string(),
            message: reason.message(),
        }
    }
}

/// The match of one line as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineMatchView {
    /// `three_way`, `two_way_milestone` or `none`.
    pub basis: String,
    /// Where the tolerance came from: `global`, `vendor` or `contract`.
    pub tolerance_level: Option<String>,
    /// Price part of the variance, in the invoice's currency (exact).
    pub price_variance: String,
    /// Quantity part of the variance (exact).
    pub quantity_variance: String,
    /// The whole variance: the sum of the two parts.
    pub total_variance: String,
    /// Why it is held (empty when clean).
    pub holds: Vec<Hold>,
}

impl LineMatchView {
    /// The view of a matching outcome.
    pub fn of(line_no: i64, outcome: &LineMatch, level: &str) -> Self {
        Self {
            basis: match outcome.basis {
                MatchBasis::ThreeWay => "three_way",
                MatchBasis::TwoWayMilestone => "two_way_milestone",
            }
            .to_string(),
            tolerance_level: Some(level.to_string()),
            price_variance: outcome.price_variance.normalize().to_string(),
            quantity_variance: outcome.quantity_variance.normalize().to_string(),
            total_variance: outcome.total_variance.normalize().to_string(),
            holds: outcome
                .holds
                .iter()
                .map(|r| Hold::from_reason(line_no, r))
                .collect(),
        }
    }

    /// A line that was not matched (credit memos).
    pub fn unmatched() -> Self {
        Self {
            basis: "none".to_string(),
            tolerance_level: None,
            price_variance: "0".to_string(),
            quantity_variance: "0".to_string(),
            total_variance: "0".to_string(),
            holds: Vec::new(),
        }
    }
}

/// An invoice line as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvoiceLine {
    /// The line's id (assets refer to it).
    pub id: i64,
    /// Its position, from 1.
    pub line_no: i64,
    /// The PO line it bills.
    pub po_line_id: Option<i64>,
    /// The milestone it bills.
    pub milestone_id: Option<i64>,
    /// The budget line it is charged to.
    pub budget_line_id: i64,
    /// What is billed.
    pub description: String,
    /// Quantity.
    pub quantity: String,
    /// Unit price.
    pub unit_price: String,
    /// Tax rate in percent.
    pub tax_percent: String,
    /// `quantity × unit_price`, rounded (negative on credit memos).
    pub net_amount: String,
    /// Tax, rounded.
    pub tax_amount: String,
    /// Invoice currency → budget currency rate at the invoice date.
    pub fx_rate: String,
    /// `net_amount` in the budget's currency: what is posted as actual.
    pub net_amount_budget: String,
    /// How it matched.
    #[serde(rename = "match")]
    pub matched: LineMatchView,
}

/// A payment against an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Payment {
    /// Amount paid, in the invoice's currency.
    pub amount: String,
    /// When.
    pub paid_on: NaiveDate,
    /// Bank or remittance reference.
    pub reference: Option<String>,
    /// Who recorded it.
    pub recorded_by: String,
}

/// An invoice or credit memo as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Invoice {
    /// The invoice's id.
    pub id: i64,
    /// The vendor's invoice number, as written.
    pub number: String,
    /// The number as compared for duplicates.
    pub normalised_number: String,
    /// The vendor.
    pub vendor_id: i64,
    /// `invoice` or `credit_memo`.
    pub kind: InvoiceKind,
    /// The invoice a credit memo credits.
    pub original_invoice_id: Option<i64>,
    /// The SLA period whose service credit a credit memo applies.
    pub sla_measurement_id: Option<i64>,
    /// The invoice's date (its FX date).
    pub invoice_date: NaiveDate,
    /// When payment is due.
    pub due_date: Option<NaiveDate>,
    /// Its currency.
    pub currency: String,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// What may be done now.
    pub allowed_actions: Vec<String>,
    /// Its lines.
    pub lines: Vec<InvoiceLine>,
    /// Sum of line net amounts.
    pub net_total: String,
    /// Sum of line tax.
    pub tax_total: String,
    /// `net_total + tax_total`.
    pub total: String,
    /// Every reason it is (or was, before a release) held.
    pub hold_reasons: Vec<Hold>,
    /// Payments so far.
    pub payments: Vec<Payment>,
    /// Sum of payments.
    pub paid_total: String,
    /// Who recorded it.
    pub created_by: String,
    /// Who released or rejected it.
    pub decided_by: Option<String>,
    /// The release or rejection reason.
    pub decision_reason: Option<String>,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// When (UTC).
    pub approved_at: Option<DateTime<Utc>>,
    /// Changes with every move; send it back.
    pub version: i64,
    /// When it was recorded (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_numbers_normalise_case_spaces_punctuation_and_leading_zeros() {
        let cases = [
            ("INV-000123", "inv123"),
            ("inv 123", "inv123"),
            ("Inv.123", "inv123"),
            ("00042", "42"),
            ("0", "0"),
            ("000", "0"),
            ("A-0-B", "a0b"),
            ("2026/0100", "2026100"),
            ("INV-1020", "inv1020"),
            ("INV-10-020", "inv1020"),
            ("Ünï-007", "ünï7"),
            (" ", ""),
        ];
        for (raw, normal) in cases {
            assert_eq!(normalise_number(raw), normal, "{raw}");
        }
        assert_ne!(normalise_number("INV-100"), normalise_number("INV-1"));
    }

    #[test]
    fn every_status_parses_back() {
        for s in InvoiceStatus::ALL {
            assert_eq!(InvoiceStatus::parse(s.as_str()), Some(s));
        }
        assert!(InvoiceStatus::Paid.allowed_actions().is_empty());
    }
}
