use crate::error::{AppError, FieldError};
use crate::money::{allocate, split_evenly, Currency, Money};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// CAPEX or OPEX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetCategory {
    /// Capital expenditure (assets, depreciated).
    Capex,
    /// Operating expenditure (services, subscriptions).
    Opex,
}

impl BudgetCategory {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetCategory::Capex => "capex",
            BudgetCategory::Opex => "opex",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "capex" => Some(BudgetCategory::Capex),
            "opex" => Some(BudgetCategory::Opex),
            _ => None,
        }
    }
}

/// One month of a phasing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthlyAmount {
    /// The month, `YYYY-MM`.
    #[schema(example = "2027-01")]
    pub month: String,
    /// The amount budgeted in that month, a decimal string.
    #[schema(example = "33.34")]
    pub amount: String,
}

/// A budget line as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetLine {
    /// The line's id.
    pub id: i64,
    /// The project it belongs to.
    pub project_id: i64,
    /// `capex` or `opex`.
    pub category: BudgetCategory,
    /// Cost center code.
    #[schema(example = "CC-4100")]
    pub cost_center: String,
    /// What the money is for.
    pub description: Option<String>,
    /// The project's currency.
    #[schema(example = "EUR")]
    pub currency: String,
    /// The budget, a decimal string with the currency's decimals.
    #[schema(example = "100.00")]
    pub amount: String,
    /// The monthly phasing, by month; always adds up to `amount` exactly.
    pub months: Vec<MonthlyAmount>,
    /// Changes with every update; send it back to update.
    pub version: i64,
    /// When the line was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When the line last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// A validated phasing: months in order, each once, with exact amounts.
pub type Phasing = Vec<(String, Money)>;

/// Parses `YYYY-MM` (years 1900 to 9999).
pub fn parse_month(text: &str) -> Result<String, String> {
    let invalid = || format!("`{text}` is not a month in the form YYYY-MM");
    let (year, month) = text.split_once('-').ok_or_else(invalid)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(invalid());
    }
    let year: u32 = year.parse().map_err(|_| invalid())?;
    let month: u32 = month.parse().map_err(|_| invalid())?;
    if !(1900..=9999).contains(&year) || !(1..=12).contains(&month) {
        return Err(invalid());
    }
    Ok(format!("{year:04}-{month:02}"))
}

/// The `YYYY-MM` of a date.
pub fn month_of(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// A non-negative amount in `currency`.
pub fn budget_amount(amount: Decimal, currency: Currency) -> Result<Money, String> {
    let money = Money::new(amount, currency).map_err(|e| e.to_string())?;
    if money.amount().is_sign_negative() && !money.is_zero() {
        return Err(format!("{amount} is negative; a budget is zero or more"));
    }
    Ok(money)
}

/// Checks a phasing given month by month against the line's `total`; `bounds` are the first and
/// last month of the project when it has dates. Reports every bad month, then the sum.
pub fn given_phasing(
    total: Money,
    months: &[(String, Decimal)],
    bounds: Option<(String, String)>,
) -> Result<Phasing, AppError> {
    let mut errors = Vec::new();
    let mut phasing: Phasing = Vec::with_capacity(months.len());
    if months.is_empty() {
        errors.push(FieldError::new("months", "must list at least one month"));
    }
    for (i, (month, amount)) in months.iter().enumerate() {
        let month = match parse_month(month) {
            Ok(month) => month,
            Err(message) => {
                errors.push(FieldError::new(format!("months[{i}].month"), message));
                continue;
            }
        };
        if let Some((first, last)) = &bounds {
            if month < *first || month > *last {
                errors.push(FieldError::new(
                    format!("months[{i}].month"),
                    format!("{month} is outside the project's months {first} to {last}"),
                ));
            }
        }
        if phasing.iter().any(|(m, _)| *m == month) {
            errors.push(FieldError::new(
                format!("months[{i}].month"),
                format!("{month} is listed twice"),
            ));
        }
        match budget_amount(*amount, total.currency()) {
            Ok(money) => phasing.push((month, money)),
            Err(message) => errors.push(FieldError::new(format!("months[{i}].amount"), message)),
        }
    }
    if errors.is_empty() {
        let sum: i128 = phasing.iter().map(|(_, m)| m.minor_units()).sum();
        if sum != total.minor_units() {
            let sum = Money::from_minor_units(sum, total.currency())?;
            let difference = total.checked_sub(&sum)?;
            errors.push(FieldError::new(
                "months",
                format!(
                    "the months add up to {} but the amount is {}: a difference of {} {}",
                    sum.amount(),
                    total.amount(),
                    difference.amount(),
                    total.currency()
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    phasing.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(phasing)
}

/// Spreads `total` evenly over `months` by largest remainder.
pub fn even_phasing(total: Money, months: &[String]) -> Result<Phasing, AppError> {
    let parts = split_evenly(total, months.len()).map_err(|_| {
        AppError::invalid(
            "months",
            "the project has no months to spread the amount over",
        )
    })?;
    Ok(months.iter().cloned().zip(parts).collect())
}

/// Spreads a new `total` over the months of `current` in proportion to their amounts (evenly
/// when they are all zero), by largest remainder.
pub fn rephase(total: Money, current: &Phasing) -> Result<Phasing, AppError> {
    let months: Vec<String> = current.iter().map(|(m, _)| m.clone()).collect();
    let weights: Vec<Decimal> = current.iter().map(|(_, m)| m.amount()).collect();
    match allocate(total, &weights) {
        Ok(parts) => Ok(months.into_iter().zip(parts).collect()),
        Err(_) => even_phasing(total, &months),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;

    fn eur(amount: &str) -> Money {
        Money::new(
            parse_decimal(amount).expect("valid"),
            Currency::parse("EUR").expect("EUR"),
        )
        .expect("valid")
    }

    fn months(list: &[(&str, &str)]) -> Vec<(String, Decimal)> {
        list.iter()
            .map(|(m, a)| (m.to_string(), parse_decimal(a).expect("valid")))
            .collect()
    }

    #[test]
    fn a_given_phasing_must_add_up_exactly() {
        let ok = given_phasing(
            eur("100.00"),
            &months(&[("2027-02", "50"), ("2027-01", "50.00")]),
            None,
        )
        .expect("sums");
        assert_eq!(ok[0].0, "2027-01");
        let error = given_phasing(
            eur("100.00"),
            &months(&[("2027-01", "50"), ("2027-02", "49.99")]),
            None,
        )
        .unwrap_err();
        assert_eq!(error.field_errors()[0].field, "months");
        assert!(
            error.field_errors()[0]
                .message
                .contains("difference of 0.01 EUR"),
            "{}",
            error.detail()
        );
    }

    #[test]
    fn bad_months_are_named() {
        let bounds = Some(("2027-01".to_string(), "2027-03".to_string()));
        let error = given_phasing(
            eur("10"),
            &months(&[
                ("2027-13", "1"),
                ("2027-04", "1"),
                ("2027-01", "1.001"),
                ("2027-02", "-1"),
            ]),
            bounds,
        )
        .unwrap_err();
        let fields: Vec<&str> = error
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "months[0].month",
                "months[1].month",
                "months[2].amount",
                "months[3].amount"
            ]
        );
    }

    #[test]
    fn rephasing_keeps_proportions_and_the_sum() {
        let current: Phasing = vec![("2027-01".into(), eur("10")), ("2027-02".into(), eur("30"))];
        let next = rephase(eur("100.01"), &current).expect("valid");
        let texts: Vec<String> = next.iter().map(|(_, m)| m.amount().to_string()).collect();
        assert_eq!(texts, ["25.00", "75.01"]);
        let zeros: Phasing = vec![("2027-01".into(), eur("0")), ("2027-02".into(), eur("0"))];
        let even = rephase(eur("0.03"), &zeros).expect("valid");
        assert_eq!(even[0].1.amount().to_string(), "0.02");
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(parse_month("2027-01").as_deref(), Ok("2027-01"));
        for bad in [
            "2027-1", "27-01", "2027-00", "2027-13", "2027/01", "", "abcd-ef",
        ] {
            assert!(parse_month(bad).is_err(), "{bad}");
        }
    }
}
