//! The reports' shapes and their pure rules: the delivery classification of a PO line, the age
//! buckets of a held invoice, percentages. No I/O here.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::invoices::model::Hold;
use crate::money::RoundingPoint;

/// `part / whole` in percent, rounded half-even to 2 places for presentation; `None` when
/// `whole` is zero (a percentage of nothing is not a figure).
pub fn percent(part: i64, whole: i64) -> Option<String> {
    if whole == 0 {
        return None;
    }
    let mut value = RoundingPoint::Presentation.policy().round(
        Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole),
        2,
    );
    value.rescale(2);
    Some(value.to_string())
}

// ---------------------------------------------------------------------------------------------
// Budget vs actual vs forecast
// ---------------------------------------------------------------------------------------------

/// Budget, actual, committed, accrued and forecast figures of a line, a project or a currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetFigures {
    /// The current budget.
    pub budget: String,
    /// Approved invoices, net of credit memos.
    pub actual: String,
    /// Open purchase-order value.
    pub committed: String,
    /// Of `committed`, received and not yet invoiced.
    pub accrued: String,
    /// `budget − actual − committed`.
    pub remaining: String,
    /// Still to be spent beyond actual and committed (entered by the PM, or the default).
    pub estimate_to_complete: String,
    /// Forecast estimate at completion: `actual + committed + estimate_to_complete`.
    pub eac: String,
    /// `budget − eac` (negative: a forecast overrun).
    pub variance: String,
    /// `(actual + committed) / budget`, percent, 2 places (0 without a budget).
    pub utilisation_percent: String,
    /// `eac / budget`, percent, 2 places (0 without a budget).
    pub eac_percent: String,
}

/// One budget line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetLineRow {
    /// The budget line.
    pub budget_line_id: i64,
    /// `capex` or `opex`.
    pub category: String,
    /// Its cost center.
    pub cost_center: String,
    /// `entered` or `default`.
    pub estimate_source: String,
    /// Its figures.
    #[serde(flatten)]
    pub figures: BudgetFigures,
}

/// One project: its lines and their totals, in the project's (the budget's) currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetProject {
    /// The project.
    pub project_id: i64,
    /// Its code.
    pub project_code: String,
    /// Its name.
    pub project_name: String,
    /// Its currency.
    pub currency: String,
    /// Per budget line, by id.
    pub lines: Vec<BudgetLineRow>,
    /// The sums of the lines.
    pub totals: BudgetFigures,
}

/// The totals of the projects in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetCurrencyTotals {
    /// The currency.
    pub currency: String,
    /// How many projects.
    pub projects: i64,
    /// The sums of their totals.
    #[serde(flatten)]
    pub figures: BudgetFigures,
}

/// Budget vs actual vs forecast, per project and budget line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetVsActual {
    /// The forecast's as-of day (its run-rate window and progress); the ledger figures are the
    /// current ones.
    pub as_of: NaiveDate,
    /// Per project, by id.
    pub projects: Vec<BudgetProject>,
    /// Totals per currency, by currency code (currencies are never added together).
    pub totals: Vec<BudgetCurrencyTotals>,
}

// ---------------------------------------------------------------------------------------------
// Accruals and open commitments
// ---------------------------------------------------------------------------------------------

/// A receipt or return of a PO line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReceiptDocument {
    /// `GR-…` or `RT-…`.
    pub number: String,
    /// `receipt` or `return`.
    pub kind: String,
    /// The day.
    pub received_on: NaiveDate,
    /// The quantity of this line on it.
    pub quantity: String,
}

/// One PO line that has received and not yet invoiced value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccrualRow {
    /// The project.
    pub project_id: i64,
    /// Its code.
    pub project_code: String,
    /// The budget's currency (the amount's).
    pub currency: String,
    /// The purchase order.
    pub po_id: i64,
    /// Its number.
    pub po_number: String,
    /// Its status.
    pub po_status: String,
    /// The vendor.
    pub vendor_id: i64,
    /// Its name.
    pub vendor_name: String,
    /// The PO line.
    pub po_line_id: i64,
    /// Its position.
    pub line_no: i64,
    /// What it is.
    pub description: String,
    /// The budget line it commits.
    pub budget_line_id: i64,
    /// Ordered.
    pub quantity: String,
    /// Received (net of returns).
    pub quantity_received: String,
    /// Invoiced (approved invoices).
    pub quantity_invoiced: String,
    /// Received and not invoiced, at the line's budget value (the ledger's accrual).
    pub accrued: String,
    /// The day of the latest receipt not reversed by a return.
    pub last_received_on: Option<NaiveDate>,
    /// Its receipts and returns, in the order recorded.
    pub receipts: Vec<ReceiptDocument>,
}

/// Totals of a currency: how many rows and the sum of one amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccrualTotal {
    /// The currency.
    pub currency: String,
    /// How many PO lines.
    pub lines: i64,
    /// Their accruals.
    pub accrued: String,
}

/// Accruals: received, not invoiced, per PO line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Accruals {
    /// The project asked for, if any.
    pub project_id: Option<i64>,
    /// By project, purchase order and line.
    pub rows: Vec<AccrualRow>,
    /// Per currency, by code.
    pub totals: Vec<AccrualTotal>,
}

/// One PO line with open (not yet invoiced) value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CommitmentRow {
    /// The project.
    pub project_id: i64,
    /// Its code.
    pub project_code: String,
    /// The budget's currency (the amounts').
    pub currency: String,
    /// The purchase order.
    pub po_id: i64,
    /// Its number.
    pub po_number: String,
    /// Its status.
    pub po_status: String,
    /// Its order date.
    pub order_date: NaiveDate,
    /// The vendor.
    pub vendor_id: i64,
    /// Its name.
    pub vendor_name: String,
    /// The PO line.
    pub po_line_id: i64,
    /// Its position.
    pub line_no: i64,
    /// What it is.
    pub description: String,
    /// The budget line it commits.
    pub budget_line_id: i64,
    /// The promised date.
    pub promised_date: Option<NaiveDate>,
    /// Ordered.
    pub quantity: String,
    /// Received (net of returns).
    pub quantity_received: String,
    /// Invoiced.
    pub quantity_invoiced: String,
    /// The line's net value in the budget's currency.
    pub value: String,
    /// What approved invoices released of it.
    pub released: String,
    /// Still committed: `value − released`.
    pub open: String,
    /// Of `open`, received and not invoiced.
    pub accrued: String,
}

/// Totals of open commitments in a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CommitmentTotal {
    /// The currency.
    pub currency: String,
    /// How many PO lines.
    pub lines: i64,
    /// Sum of `value`.
    pub value: String,
    /// Sum of `released`.
    pub released: String,
    /// Sum of `open`.
    pub open: String,
    /// Sum of `accrued`.
    pub accrued: String,
}

/// Open commitments per PO line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpenCommitments {
    /// The project asked for, if any.
    pub project_id: Option<i64>,
    /// By project, purchase order and line.
    pub rows: Vec<CommitmentRow>,
    /// Per currency, by code.
    pub totals: Vec<CommitmentTotal>,
}

// ---------------------------------------------------------------------------------------------
// Vendor spend
// ---------------------------------------------------------------------------------------------

/// How vendor spend is grouped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpendGroup {
    /// Per vendor.
    #[default]
    Vendor,
    /// Per contract (through the PO line's order, the milestone's SOW or the SLA period).
    Contract,
    /// Per calendar month of the invoice date.
    Month,
}

impl SpendGroup {
    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            SpendGroup::Vendor => "vendor",
            SpendGroup::Contract => "contract",
            SpendGroup::Month => "month",
        }
    }
}

/// One group's spend in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SpendRow {
    /// The group: a vendor's name, a contract's number (`(no contract)`), or `YYYY-MM`.
    pub group: String,
    /// The vendor (vendor grouping).
    pub vendor_id: Option<i64>,
    /// The contract (contract grouping; none for spend outside contracts).
    pub contract_id: Option<i64>,
    /// The month (month grouping).
    pub month: Option<String>,
    /// The documents' currency.
    pub currency: String,
    /// How many invoices.
    pub invoices: i64,
    /// How many credit memos.
    pub credit_memos: i64,
    /// Net of invoices (before tax).
    pub invoiced: String,
    /// Net of credit memos (negative).
    pub credited: String,
    /// `invoiced + credited`.
    pub net: String,
    /// `net` in the reporting currency, when one was asked for.
    pub converted: Option<String>,
}

/// Spend totals of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SpendTotal {
    /// The currency.
    pub currency: String,
    /// How many invoices.
    pub invoices: i64,
    /// How many credit memos.
    pub credit_memos: i64,
    /// Sum of `invoiced`.
    pub invoiced: String,
    /// Sum of `credited`.
    pub credited: String,
    /// Sum of `net`.
    pub net: String,
}

/// Vendor spend: approved and paid invoices and credit memos dated in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VendorSpend {
    /// First invoice date counted.
    pub from: NaiveDate,
    /// Last invoice date counted.
    pub to: NaiveDate,
    /// The grouping.
    pub group: SpendGroup,
    /// The vendor asked for, if any.
    pub vendor_id: Option<i64>,
    /// Per group and currency, by group then currency.
    pub rows: Vec<SpendRow>,
    /// Per currency, by code.
    pub totals: Vec<SpendTotal>,
    /// The reporting currency, when one was asked for.
    pub reporting_currency: Option<String>,
    /// The sum of the rows' `converted`.
    pub converted_total: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Invoices on hold
// ---------------------------------------------------------------------------------------------

/// The age buckets, in days.
pub const AGE_BUCKETS: [&str; 4] = ["0-30", "31-60", "61-90", "over_90"];

/// The bucket of an age in days.
pub fn age_bucket(days: i64) -> &'static str {
    match days {
        i64::MIN..=30 => AGE_BUCKETS[0],
        31..=60 => AGE_BUCKETS[1],
        61..=90 => AGE_BUCKETS[2],
        _ => AGE_BUCKETS[3],
    }
}

/// One held invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HeldInvoice {
    /// The invoice.
    pub invoice_id: i64,
    /// Its number.
    pub number: String,
    /// The vendor.
    pub vendor_id: i64,
    /// Its name.
    pub vendor_name: String,
    /// `invoice` or `credit_memo`.
    pub kind: String,
    /// The invoice date.
    pub invoice_date: NaiveDate,
    /// The due date.
    pub due_date: Option<NaiveDate>,
    /// The day it was recorded (and held: matching holds at recording), UTC.
    pub held_since: NaiveDate,
    /// Days from `held_since` to `as_of`.
    pub age_days: i64,
    /// `0-30`, `31-60`, `61-90` or `over_90`.
    pub age_bucket: String,
    /// Its currency.
    pub currency: String,
    /// Its total (with tax).
    pub total: String,
    /// Every reason it is held.
    pub hold_reasons: Vec<Hold>,
}

/// Held invoices of one bucket (or all) in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HoldTotal {
    /// The bucket, or `all`.
    pub bucket: String,
    /// The currency.
    pub currency: String,
    /// How many invoices.
    pub invoices: i64,
    /// The sum of their totals.
    pub total: String,
}

/// Invoices on hold, aged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvoicesOnHold {
    /// The day ages are counted to.
    pub as_of: NaiveDate,
    /// Oldest hold first (then by id).
    pub invoices: Vec<HeldInvoice>,
    /// Per bucket and currency (buckets in age order).
    pub buckets: Vec<HoldTotal>,
    /// Per currency (`bucket` = `all`).
    pub totals: Vec<HoldTotal>,
}

// ---------------------------------------------------------------------------------------------
// SLA credits
// ---------------------------------------------------------------------------------------------

/// One SLA period that earned a credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SlaCreditRow {
    /// The SLA period (measurement).
    pub measurement_id: i64,
    /// The vendor.
    pub vendor_id: i64,
    /// Its name.
    pub vendor_name: String,
    /// The contract.
    pub contract_id: i64,
    /// Its number.
    pub contract_number: String,
    /// The SLA.
    pub sla_id: i64,
    /// Its name.
    pub sla_name: String,
    /// The period (`2027-03`, `2027-Q1`, `2027`).
    pub period: String,
    /// Its first day.
    pub period_start: NaiveDate,
    /// Its last day.
    pub period_end: NaiveDate,
    /// The measured value.
    pub value: String,
    /// The credit tier applied.
    pub tier: Option<i32>,
    /// The credit's currency (the contract's).
    pub currency: String,
    /// The credit.
    pub credit: String,
    /// `receivable` (owed by the vendor) or `applied` (a credit memo was approved).
    pub credit_status: String,
    /// The credit memo recorded for it (not rejected), if any.
    pub credit_memo_number: Option<String>,
}

/// SLA credits of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SlaCreditTotal {
    /// The currency.
    pub currency: String,
    /// How many periods.
    pub periods: i64,
    /// All credits.
    pub credit: String,
    /// Of them, still receivable.
    pub receivable: String,
    /// Of them, applied.
    pub applied: String,
}

/// SLA credits per period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SlaCredits {
    /// First day of the window (a period counts when its first day is in it).
    pub from: NaiveDate,
    /// Last day of the window.
    pub to: NaiveDate,
    /// The vendor asked for, if any.
    pub vendor_id: Option<i64>,
    /// By vendor, contract, SLA and period start.
    pub rows: Vec<SlaCreditRow>,
    /// Per currency.
    pub totals: Vec<SlaCreditTotal>,
}

// ---------------------------------------------------------------------------------------------
// Vendor scorecard
// ---------------------------------------------------------------------------------------------

/// Where a PO line due in the window stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Fully received, the last receipt on or before the promised date.
    OnTime,
    /// Fully received after the promised date.
    Late,
    /// Not fully received, the promised date before the as-of day, the order still open.
    OpenPastDue,
    /// Not fully received and the order closed.
    ClosedShort,
    /// Not fully received, the promised date not yet passed.
    NotYetDue,
}

/// Classifies a PO line: fully received when `received ≥ ordered`; delivered on the day of its
/// last receipt not reversed by a return.
pub fn classify(
    ordered: Decimal,
    received: Decimal,
    promised: NaiveDate,
    delivered_on: Option<NaiveDate>,
    order_closed: bool,
    as_of: NaiveDate,
) -> Delivery {
    if received >= ordered {
        match delivered_on {
            Some(day) if day <= promised => Delivery::OnTime,
            _ => Delivery::Late,
        }
    } else if order_closed {
        Delivery::ClosedShort
    } else if promised < as_of {
        Delivery::OpenPastDue
    } else {
        Delivery::NotYetDue
    }
}

/// Credits owed by or applied for a vendor in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VendorCredits {
    /// The currency.
    pub currency: String,
    /// Still owed (receivable).
    pub receivable: String,
    /// Applied through credit memos.
    pub applied: String,
}

/// The counts of a scorecard (a vendor's, or the totals).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScoreCounts {
    /// PO lines with a promised date in the period.
    pub po_lines_due: i64,
    /// Fully received on or before the promised date.
    pub delivered_on_time: i64,
    /// Fully received after it.
    pub delivered_late: i64,
    /// Not fully received, past the promised date, order open.
    pub open_past_due: i64,
    /// Not fully received, order closed.
    pub closed_short: i64,
    /// Not fully received, promised date still ahead.
    pub not_yet_due: i64,
    /// `on_time / (on_time + late + open_past_due + closed_short)`, percent; null when none
    /// has come due.
    pub on_time_percent: Option<String>,
    /// SLA periods measured (counted in the period their first day falls in).
    pub sla_periods_measured: i64,
    /// Of them, met.
    pub sla_periods_met: i64,
    /// `met / measured`, percent; null without a measured period.
    pub sla_met_percent: Option<String>,
    /// Invoices (not credit memos) dated in the period.
    pub invoices: i64,
    /// Of them, held at matching for any reason (exceptions), whatever happened next.
    pub invoices_held: i64,
    /// Of them, held as suspected duplicates.
    pub duplicates_held: i64,
}

impl ScoreCounts {
    /// Adds one PO line's classification.
    pub fn count(&mut self, delivery: Delivery) {
        self.po_lines_due += 1;
        match delivery {
            Delivery::OnTime => self.delivered_on_time += 1,
            Delivery::Late => self.delivered_late += 1,
            Delivery::OpenPastDue => self.open_past_due += 1,
            Delivery::ClosedShort => self.closed_short += 1,
            Delivery::NotYetDue => self.not_yet_due += 1,
        }
    }

    /// Adds another's counts (percentages are recomputed by [`ScoreCounts::finish`]).
    pub fn add(&mut self, other: &ScoreCounts) {
        self.po_lines_due += other.po_lines_due;
        self.delivered_on_time += other.delivered_on_time;
        self.delivered_late += other.delivered_late;
        self.open_past_due += other.open_past_due;
        self.closed_short += other.closed_short;
        self.not_yet_due += other.not_yet_due;
        self.sla_periods_measured += other.sla_periods_measured;
        self.sla_periods_met += other.sla_periods_met;
        self.invoices += other.invoices;
        self.invoices_held += other.invoices_held;
        self.duplicates_held += other.duplicates_held;
    }

    /// Computes the percentages from the counts.
    pub fn finish(&mut self) {
        let due =
            self.delivered_on_time + self.delivered_late + self.open_past_due + self.closed_short;
        self.on_time_percent = percent(self.delivered_on_time, due);
        self.sla_met_percent = percent(self.sla_periods_met, self.sla_periods_measured);
    }
}

/// The periods a scorecard is split into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScorePeriod {
    /// The whole window, one row per vendor.
    #[default]
    Window,
    /// Calendar months, one row per vendor and month with activity.
    Month,
}

/// One vendor's scorecard for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VendorScore {
    /// The vendor.
    pub vendor_id: i64,
    /// Its name.
    pub vendor_name: String,
    /// `YYYY-MM`, or `FROM/TO` for the whole window.
    pub period: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: ScoreCounts,
    /// SLA credits of periods in the window, per currency.
    pub credits: Vec<VendorCredits>,
}

/// The vendor scorecard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VendorScorecard {
    /// First day of the window.
    pub from: NaiveDate,
    /// Last day of the window.
    pub to: NaiveDate,
    /// The day "past due" is judged on.
    pub as_of: NaiveDate,
    /// `window` or `month`.
    pub period: ScorePeriod,
    /// Per vendor (by id) and period (in order) with activity.
    pub vendors: Vec<VendorScore>,
    /// The sums of the vendors' counts (percentages of the sums).
    pub totals: ScoreCounts,
    /// The sums of the vendors' credits per currency.
    pub credit_totals: Vec<VendorCredits>,
    /// What the scorecard cannot know.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn deliveries_are_classified_against_the_promise() {
        let promised = day("2027-03-10");
        let as_of = day("2027-04-01");
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            classify(d("5"), d("5"), promised, Some(promised), false, as_of),
            Delivery::OnTime
        );
        assert_eq!(
            classify(
                d("5"),
                d("5"),
                promised,
                Some(day("2027-03-11")),
                false,
                as_of
            ),
            Delivery::Late
        );
        assert_eq!(
            classify(
                d("5"),
                d("4.5"),
                promised,
                Some(day("2027-03-01")),
                false,
                as_of
            ),
            Delivery::OpenPastDue
        );
        assert_eq!(
            classify(d("5"), d("4"), promised, None, true, as_of),
            Delivery::ClosedShort
        );
        assert_eq!(
            classify(d("5"), d("0"), promised, None, false, day("2027-03-10")),
            Delivery::NotYetDue
        );
    }

    #[test]
    fn buckets_and_percentages() {
        assert_eq!(age_bucket(0), "0-30");
        assert_eq!(age_bucket(30), "0-30");
        assert_eq!(age_bucket(31), "31-60");
        assert_eq!(age_bucket(90), "61-90");
        assert_eq!(age_bucket(91), "over_90");
        assert_eq!(percent(2, 3).as_deref(), Some("66.67"));
        assert_eq!(percent(1, 1).as_deref(), Some("100.00"));
        assert_eq!(percent(0, 0), None);
    }
}
