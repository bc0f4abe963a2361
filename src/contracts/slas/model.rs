use crate::contracts::credits::{CreditAmount, CreditTier, Direction, SlaTerms};
use crate::error::{AppError, FieldError};
use crate::money::{parse_decimal, Currency, Money};
use crate::validate::required_text;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an SLA measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaMetric {
    /// Availability in percent (higher is better); may be given as downtime minutes.
    Availability,
    /// Time to respond (lower is better).
    ResponseTime,
    /// Time to resolve (lower is better).
    ResolutionTime,
    /// A named metric with a stated direction.
    Custom,
}

/// Which way the metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaDirection {
    /// More is better.
    HigherIsBetter,
    /// Less is better.
    LowerIsBetter,
}

impl SlaMetric {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaMetric::Availability => "availability",
            SlaMetric::ResponseTime => "response_time",
            SlaMetric::ResolutionTime => "resolution_time",
            SlaMetric::Custom => "custom",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            SlaMetric::Availability,
            SlaMetric::ResponseTime,
            SlaMetric::ResolutionTime,
            SlaMetric::Custom,
        ]
        .into_iter()
        .find(|m| m.as_str() == text)
    }

    /// The direction the metric's kind implies, if it implies one.
    pub fn natural_direction(self) -> Option<SlaDirection> {
        match self {
            SlaMetric::Availability => Some(SlaDirection::HigherIsBetter),
            SlaMetric::ResponseTime | SlaMetric::ResolutionTime => {
                Some(SlaDirection::LowerIsBetter)
            }
            SlaMetric::Custom => None,
        }
    }
}

impl SlaDirection {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaDirection::HigherIsBetter => "higher_is_better",
            SlaDirection::LowerIsBetter => "lower_is_better",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "higher_is_better" => Some(SlaDirection::HigherIsBetter),
            "lower_is_better" => Some(SlaDirection::LowerIsBetter),
            _ => None,
        }
    }

    fn engine(self) -> Direction {
        match self {
            SlaDirection::HigherIsBetter => Direction::HigherIsBetter,
            SlaDirection::LowerIsBetter => Direction::LowerIsBetter,
        }
    }
}

/// A credit tier as shown and stored: a threshold and either a percentage of the period fee or
/// a fixed amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaTier {
    /// Breaching this value makes the tier apply.
    #[schema(example = "99.9")]
    pub threshold: String,
    /// Credit as a percentage of the period fee.
    #[schema(example = "10")]
    pub percent: Option<String>,
    /// Credit as a fixed amount in the contract's currency.
    pub amount: Option<String>,
}

/// A cap on a period's credit: a percentage of the period fee or a fixed amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaCap {
    /// Cap as a percentage of the period fee.
    pub percent: Option<String>,
    /// Cap as a fixed amount.
    pub amount: Option<String>,
}

/// An SLA as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Sla {
    /// The SLA's id.
    pub id: i64,
    /// The contract it belongs to.
    pub contract_id: i64,
    /// Its name, unique within the contract.
    #[schema(example = "Colocation power availability")]
    pub name: String,
    /// What it measures.
    pub metric: SlaMetric,
    /// Which way the metric improves.
    pub direction: SlaDirection,
    /// The unit of the target and thresholds (`percent`, `hours`, …).
    #[schema(example = "percent")]
    pub unit: String,
    /// The committed level.
    #[schema(example = "99.99")]
    pub target: String,
    /// The contract's currency.
    pub currency: String,
    /// `monthly` (the default), `quarterly` or `yearly`.
    pub measurement_period: MeasurementPeriod,
    /// The fee of one measurement period, the base of percentage credits.
    #[schema(example = "12000.00")]
    pub period_fee: String,
    /// Credit tiers.
    pub tiers: Vec<SlaTier>,
    /// The most a period's credit may be.
    pub cap: Option<SlaCap>,
    /// Credits below this are not issued.
    pub minimum_credit: Option<String>,
    /// Changes with every update.
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

fn decimal_field(errors: &mut Vec<FieldError>, field: String, text: &str) -> Option<Decimal> {
    match parse_decimal(text.trim()) {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(FieldError::new(field, error));
            None
        }
    }
}

fn credit_of(
    errors: &mut Vec<FieldError>,
    field: &str,
    percent: Option<&str>,
    amount: Option<&str>,
    currency: Currency,
) -> Option<CreditAmount> {
    match (percent, amount) {
        (Some(percent), None) => {
            let value = decimal_field(errors, format!("{field}.percent"), percent)?;
            if value.is_sign_negative() || value > Decimal::ONE_HUNDRED {
                errors.push(FieldError::new(
                    format!("{field}.percent"),
                    "must lie between 0 and 100",
                ));
                return None;
            }
            Some(CreditAmount::PercentOfFee(value))
        }
        (None, Some(amount)) => {
            let value = decimal_field(errors, format!("{field}.amount"), amount)?;
            match Money::new(value, currency) {
                Ok(money) if !money.amount().is_sign_negative() || money.is_zero() => {
                    Some(CreditAmount::Fixed(money))
                }
                Ok(_) => {
                    errors.push(FieldError::new(
                        format!("{field}.amount"),
                        "must not be negative",
                    ));
                    None
                }
                Err(error) => {
                    errors.push(FieldError::new(format!("{field}.amount"), error));
                    None
                }
            }
        }
        _ => {
            errors.push(FieldError::new(
                field,
                "give exactly one of `percent` and `amount`",
            ));
            None
        }
    }
}

/// An SLA's terms, validated: what the service stores and the calculator uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaDraft {
    pub name: String,
    pub metric: SlaMetric,
    pub direction: SlaDirection,
    pub unit: String,
    pub target: Decimal,
    pub period_fee: Money,
    pub tiers: Vec<SlaTier>,
    pub cap: Option<SlaCap>,
    pub minimum_credit: Option<Money>,
    pub terms: SlaTerms,
    pub measurement_period: MeasurementPeriod,
}

/// How long an SLA's measurement period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeasurementPeriod {
    /// A calendar month, written `YYYY-MM` (the default).
    #[default]
    Monthly,
    /// A calendar quarter, written `YYYY-Qn`.
    Quarterly,
    /// A calendar year, written `YYYY`.
    Yearly,
}

impl MeasurementPeriod {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Quarterly => "quarterly",
            Self::Yearly => "yearly",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "monthly" => Some(Self::Monthly),
            "quarterly" => Some(Self::Quarterly),
            "yearly" => Some(Self::Yearly),
            _ => None,
        }
    }

    /// The first and last day of the period written `text` (`2027-09`, `2027-Q3`, `2027`), or
    /// why it is not one of this kind.
    pub fn bounds(self, text: &str) -> Result<(NaiveDate, NaiveDate), String> {
        let text = text.trim();
        let (example, parsed) = match self {
            Self::Monthly => (
                "YYYY-MM",
                text.split_once('-').and_then(|(y, m)| {
                    (y.len() == 4 && m.len() == 2)
                        .then(|| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?, 1)))
                        .flatten()
                }),
            ),
            Self::Quarterly => (
                "YYYY-Qn",
                text.split_once("-Q").and_then(|(y, q)| {
                    (y.len() == 4 && q.len() == 1)
                        .then(|| {
                            Some((
                                y.parse::<i32>().ok()?,
                                q.parse::<u32>().ok().filter(|q| (1..=4).contains(q))? * 3 - 2,
                                3,
                            ))
                        })
                        .flatten()
                }),
            ),
            Self::Yearly => (
                "YYYY",
                (text.len() == 4)
                    .then(|| text.parse::<i32>().ok().map(|y| (y, 1, 12)))
                    .flatten(),
            ),
        };
        let invalid = || format!("`{text}` is not a {} period ({example})", self.as_str());
        let (year, month, months) = parsed.ok_or_else(invalid)?;
        if !(1900..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(invalid());
        }
        let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(invalid)?;
        let last = first
            .checked_add_months(chrono::Months::new(months))
            .and_then(|next| next.pred_opt())
            .ok_or_else(invalid)?;
        Ok((first, last))
    }

    /// The canonical text of the period holding `first` (its first day).
    pub fn label(self, first: NaiveDate) -> String {
        use chrono::Datelike;
        match self {
            Self::Monthly => first.format("%Y-%m").to_string(),
            Self::Quarterly => format!("{}-Q{}", first.year(), (first.month() - 1) / 3 + 1),
            Self::Yearly => first.format("%Y").to_string(),
        }
    }
}

/// Raw SLA fields as received.
#[derive(Debug, Clone)]
pub struct SlaFields {
    pub name: String,
    pub metric: SlaMetric,
    pub direction: Option<SlaDirection>,
    pub unit: Option<String>,
    pub target: Decimal,
    pub period_fee: Decimal,
    pub tiers: Vec<SlaTier>,
    pub cap: Option<SlaCap>,
    pub minimum_credit: Option<Decimal>,
    pub measurement_period: MeasurementPeriod,
}

impl SlaDraft {
    /// Validates raw fields in the contract's `currency`, reporting every bad field at once.
    pub fn parse(fields: SlaFields, currency: Currency) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let name = required_text(&fields.name, 200)
            .map_err(|m| errors.push(FieldError::new("name", m)))
            .ok();
        let direction = match (fields.metric.natural_direction(), fields.direction) {
            (Some(natural), Some(given)) if natural != given => {
                errors.push(FieldError::new(
                    "direction",
                    format!(
                        "{} is {} by definition",
                        fields.metric.as_str(),
                        natural.as_str()
                    ),
                ));
                natural
            }
            (Some(natural), _) => natural,
            (None, Some(given)) => given,
            (None, None) => {
                errors.push(FieldError::new(
                    "direction",
                    "is required for a custom metric",
                ));
                SlaDirection::HigherIsBetter
            }
        };
        let unit = match (&fields.unit, fields.metric) {
            (Some(unit), _) => required_text(unit, 32)
                .map_err(|m| errors.push(FieldError::new("unit", m)))
                .ok(),
            (None, SlaMetric::Availability) => Some("percent".to_string()),
            (None, SlaMetric::ResponseTime | SlaMetric::ResolutionTime) => {
                Some("hours".to_string())
            }
            (None, SlaMetric::Custom) => {
                errors.push(FieldError::new("unit", "is required for a custom metric"));
                None
            }
        };
        let period_fee = match Money::new(fields.period_fee, currency) {
            Ok(fee) if !fee.amount().is_sign_negative() || fee.is_zero() => Some(fee),
            Ok(_) => {
                errors.push(FieldError::new("period_fee", "must not be negative"));
                None
            }
            Err(error) => {
                errors.push(FieldError::new("period_fee", error));
                None
            }
        };
        if fields.tiers.is_empty() || fields.tiers.len() > 20 {
            errors.push(FieldError::new("tiers", "give 1 to 20 credit tiers"));
        }
        let mut engine_tiers = Vec::with_capacity(fields.tiers.len());
        let mut tiers = Vec::with_capacity(fields.tiers.len());
        for (i, tier) in fields.tiers.iter().enumerate() {
            let field = format!("tiers[{i}]");
            let threshold =
                decimal_field(&mut errors, format!("{field}.threshold"), &tier.threshold);
            let credit = credit_of(
                &mut errors,
                &field,
                tier.percent.as_deref(),
                tier.amount.as_deref(),
                currency,
            );
            if let (Some(threshold), Some(credit)) = (threshold, credit) {
                engine_tiers.push(CreditTier { threshold, credit });
                tiers.push(SlaTier {
                    threshold: crate::money::storage::decimal_to_text(threshold),
                    percent: tier.percent.as_ref().map(|p| p.trim().to_string()),
                    amount: tier.amount.as_ref().map(|a| a.trim().to_string()),
                });
            }
        }
        let cap = fields.cap.as_ref().and_then(|cap| {
            credit_of(
                &mut errors,
                "cap",
                cap.percent.as_deref(),
                cap.amount.as_deref(),
                currency,
            )
        });
        let minimum_credit = match fields.minimum_credit.map(|m| Money::new(m, currency)) {
            None => None,
            Some(Ok(money)) => Some(money),
            Some(Err(error)) => {
                errors.push(FieldError::new("minimum_credit", error));
                None
            }
        };
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        let (Some(name), Some(unit), Some(period_fee)) = (name, unit, period_fee) else {
            return Err(AppError::invalid("name", "is required"));
        };
        Ok(Self {
            terms: SlaTerms {
                direction: direction.engine(),
                target: fields.target,
                tiers: engine_tiers,
                cap,
                minimum_credit,
            },
            name,
            metric: fields.metric,
            direction,
            unit,
            target: fields.target,
            period_fee,
            tiers,
            cap: fields.cap,
            minimum_credit,
            measurement_period: fields.measurement_period,
        })
    }
}

/// One evaluated period as shown in the SLA report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SlaPeriod {
    /// The month, `YYYY-MM`.
    #[schema(example = "2027-09")]
    pub period: String,
    /// The measured value (availability computed from downtime when that was given).
    #[schema(example = "99.98")]
    pub value: String,
    /// Minutes of downtime, when the measurement was given that way.
    pub downtime_minutes: Option<String>,
    /// The target it was measured against.
    pub target: String,
    /// True when the target was met.
    pub met: bool,
    /// The threshold of the tier applied, if any.
    pub tier_threshold: Option<String>,
    /// The credit owed, with the currency's decimals.
    #[schema(example = "1200.00")]
    pub credit: String,
    /// `none` (nothing owed), `receivable` until a credit memo applies it, then `applied`.
    #[schema(example = "receivable")]
    pub credit_status: String,
}

#[cfg(test)]
mod period_tests {
    use super::MeasurementPeriod::{Monthly, Quarterly, Yearly};
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn periods_cover_their_calendar_days() {
        assert_eq!(
            Monthly.bounds("2028-02"),
            Ok((day(2028, 2, 1), day(2028, 2, 29)))
        );
        assert_eq!(
            Quarterly.bounds("2027-Q1"),
            Ok((day(2027, 1, 1), day(2027, 3, 31)))
        );
        assert_eq!(
            Quarterly.bounds("2027-Q4"),
            Ok((day(2027, 10, 1), day(2027, 12, 31)))
        );
        assert_eq!(
            Yearly.bounds("2028"),
            Ok((day(2028, 1, 1), day(2028, 12, 31)))
        );
        assert_eq!(Quarterly.label(day(2027, 7, 1)), "2027-Q3");
        assert_eq!(Monthly.label(day(2027, 7, 1)), "2027-07");
        assert_eq!(Yearly.label(day(2027, 1, 1)), "2027");
    }

    #[test]
    fn a_period_of_another_kind_is_refused() {
        for (kind, text) in [
            (Monthly, "2027-Q1"),
            (Monthly, "2027-13"),
            (Monthly, "2027-1"),
            (Quarterly, "2027-03"),
            (Quarterly, "2027-Q5"),
            (Quarterly, "2027-Q0"),
            (Yearly, "2027-01"),
            (Yearly, "27"),
            (Yearly, "0999"),
        ] {
            let error = kind.bounds(text).unwrap_err();
            assert!(error.contains(kind.as_str()), "{text}: {error}");
        }
    }
}
