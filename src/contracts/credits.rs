//! SLA service credits: whether a period met its target, which credit tier a miss falls in, and
//! the exact credit owed. Pure: no clock, no database.
//!
//! Rules, decided here and only here:
//! - **Direction.** For a higher-is-better metric (availability) a value breaches a threshold
//!   when it is *below* it; for a lower-is-better metric (response or resolution time) when it
//!   is *above* it. A value equal to the target meets it.
//! - **Tiers.** Each tier is a threshold and a credit (a percentage of the period's fee, or a
//!   fixed amount). The credit is that of the *most severe* tier the value breaches; a miss that
//!   breaches no tier owes nothing.
//! - **Exactness.** Availability given as downtime minutes is compared as the exact fraction
//!   `(period minutes − downtime) / period minutes` by cross-multiplication, never through a
//!   rounded percentage; the period has its real number of minutes (28 to 31 days × 1,440).
//! - **Amounts.** A percentage credit is `fee × percent / 100`, rounded once, half-even, to the
//!   currency's minor unit (a credit memo line:
//!   [`RoundingPoint::DocumentLine`](crate::money::RoundingPoint::DocumentLine)). The cap, when
//!   set, limits the credit (as a percentage of the fee or a fixed amount); a credit below the
//!   minimum is not issued at all (as in AWS's "only if the credit amount is greater than $1").

use crate::money::{Money, MoneyError, RoundingPoint};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Availability and the like: more is better.
    HigherIsBetter,
    /// Response and resolution times: less is better.
    LowerIsBetter,
}

/// A credit, or a cap on one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditAmount {
    /// A percentage of the period's fee.
    PercentOfFee(Decimal),
    /// A fixed amount.
    Fixed(Money),
}

/// A credit tier: breaching `threshold` owes `credit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditTier {
    /// The value that, when breached, makes this tier apply.
    pub threshold: Decimal,
    /// What is owed.
    pub credit: CreditAmount,
}

/// The credit terms of one SLA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaTerms {
    /// Which way the metric improves.
    pub direction: Direction,
    /// The committed level.
    pub target: Decimal,
    /// The credit tiers, in any order.
    pub tiers: Vec<CreditTier>,
    /// The most a period's credit may be.
    pub cap: Option<CreditAmount>,
    /// Credits below this are not issued.
    pub minimum_credit: Option<Money>,
}

/// One period's measured value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measurement {
    /// The value itself (a percentage, hours, minutes…).
    Value(Decimal),
    /// Availability given as minutes of downtime in a period (first and last day, inclusive);
    /// the availability is `100 × (period − downtime) / period`.
    Downtime {
        /// Minutes of downtime.
        minutes: Decimal,
        /// First day of the period.
        from: NaiveDate,
        /// Last day of the period.
        to: NaiveDate,
    },
}

/// The outcome of one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evaluation {
    /// The value as a number (availability computed from downtime, to 28 significant digits;
    /// decisions never use this rounded form).
    pub value: Decimal,
    /// True when the target was met.
    pub met: bool,
    /// The index in [`SlaTerms::tiers`] of the tier applied, if any.
    pub tier: Option<usize>,
    /// The credit owed (zero when met, when no tier applies, or below the minimum).
    pub credit: Money,
}

/// Why a period cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    /// Downtime outside 0 to the period's length, or a period that ends before it starts.
    #[error("downtime must lie between 0 and the period's {0} minutes")]
    InvalidDowntime(i64),
    /// A percentage outside 0 to 100.
    #[error("credit percentages must lie between 0 and 100, not {0}")]
    InvalidPercent(Decimal),
    /// An amount in another currency than the fee.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Minutes in the period from `from` to `to`, both included.
pub fn period_minutes(from: NaiveDate, to: NaiveDate) -> i64 {
    ((to - from).num_days() + 1) * 1_440
}

impl Measurement {
    /// `value − reference` as an exact sign: negative, zero or positive.
    fn compare(&self, reference: Decimal) -> Result<std::cmp::Ordering, CreditError> {
        match *self {
            Measurement::Value(value) => Ok(value.cmp(&reference)),
            Measurement::Downtime { minutes, from, to } => {
                let total = period_minutes(from, to);
                if total <= 0 || minutes.is_sign_negative() || minutes > Decimal::from(total) {
                    return Err(CreditError::InvalidDowntime(total.max(0)));
                }
                // 100 × (total − downtime) / total  vs  reference
                //   ⇔ 100 × (total − downtime)  vs  reference × total   (total > 0)
                let total = Decimal::from(total);
                let left = (total - minutes) * Decimal::ONE_HUNDRED;
                let right = reference * total;
                Ok(left.cmp(&right))
            }
        }
    }

    /// The value as a number, for display.
    fn value(&self) -> Decimal {
        match *self {
            Measurement::Value(value) => value,
            Measurement::Downtime { minutes, from, to } => {
                let total = Decimal::from(period_minutes(from, to));
                (total - minutes) * Decimal::ONE_HUNDRED / total
            }
        }
    }

    /// True when this value is worse than `threshold` in `direction`.
    fn breaches(&self, threshold: Decimal, direction: Direction) -> Result<bool, CreditError> {
        let ordering = self.compare(threshold)?;
        Ok(match direction {
            Direction::HigherIsBetter => ordering.is_lt(),
            Direction::LowerIsBetter => ordering.is_gt(),
        })
    }
}

fn amount(credit: CreditAmount, fee: Money) -> Result<Money, CreditError> {
    match credit {
        CreditAmount::PercentOfFee(percent) => {
            if percent.is_sign_negative() || percent > Decimal::ONE_HUNDRED {
                return Err(CreditError::InvalidPercent(percent));
            }
            let exact = fee.amount() * percent / Decimal::ONE_HUNDRED;
            Ok(Money::round(
                exact,
                fee.currency(),
                RoundingPoint::DocumentLine,
            )?)
        }
        CreditAmount::Fixed(money) => {
            if money.currency() != fee.currency() {
                return Err(MoneyError::CurrencyMismatch(money.currency(), fee.currency()).into());
            }
            Ok(money)
        }
    }
}

/// Evaluates one period: met or not, the tier, and the exact credit owed on `fee`.
pub fn evaluate(
    terms: &SlaTerms,
    measured: Measurement,
    fee: Money,
) -> Result<Evaluation, CreditError> {
    let met = !measured.breaches(terms.target, terms.direction)?;
    let zero = Money::zero(fee.currency());
    let mut tier = None;
    if !met {
        // The most severe breached tier: the lowest threshold for higher-is-better metrics,
        // the highest for lower-is-better ones.
        for (index, candidate) in terms.tiers.iter().enumerate() {
            if !measured.breaches(candidate.threshold, terms.direction)? {
                continue;
            }
            let more_severe = match tier.map(|i: usize| terms.tiers[i].threshold) {
                None => true,
                Some(current) => match terms.direction {
                    Direction::HigherIsBetter => candidate.threshold < current,
                    Direction::LowerIsBetter => candidate.threshold > current,
                },
            };
            if more_severe {
                tier = Some(index);
            }
        }
    }
    let mut credit = match tier {
        Some(index) => amount(terms.tiers[index].credit, fee)?,
        None => zero,
    };
    if let Some(cap) = terms.cap {
        let cap = amount(cap, fee)?;
        if credit.amount() > cap.amount() {
            credit = cap;
        }
    }
    if let Some(minimum) = terms.minimum_credit {
        if minimum.currency() != fee.currency() {
            return Err(MoneyError::CurrencyMismatch(minimum.currency(), fee.currency()).into());
        }
        if credit.amount() < minimum.amount() {
            credit = zero;
        }
    }
    Ok(Evaluation {
        value: measured.value(),
        met,
        tier,
        credit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{parse_decimal, Currency};

    fn d(text: &str) -> Decimal {
        parse_decimal(text).expect("valid decimal")
    }

    fn usd(text: &str) -> Money {
        Money::new(d(text), Currency::parse("USD").expect("USD")).expect("valid amount")
    }

    fn percent_tiers(tiers: &[(&str, &str)]) -> Vec<CreditTier> {
        tiers
            .iter()
            .map(|(threshold, percent)| CreditTier {
                threshold: d(threshold),
                credit: CreditAmount::PercentOfFee(d(percent)),
            })
            .collect()
    }

    /// AWS Compute Optimizer Service Level Agreement, last updated 4 May 2022
    /// (https://aws.amazon.com/compute-optimizer/sla/): monthly uptime below 99.9 % but at least
    /// 99.0 % → 10 %; below 99.0 % but at least 95.0 % → 25 %; below 95.0 % → 100 %; a credit is
    /// issued only when it is greater than one dollar.
    fn aws_compute_optimizer() -> SlaTerms {
        SlaTerms {
            direction: Direction::HigherIsBetter,
            target: d("99.9"),
            tiers: percent_tiers(&[("99.9", "10"), ("99.0", "25"), ("95.0", "100")]),
            cap: None,
            minimum_credit: Some(usd("1.01")),
        }
    }

    /// Amazon Compute Service Level Agreement, region-level commitment
    /// (https://aws.amazon.com/compute/sla/): monthly uptime below 99.99 % but at least 99.0 % →
    /// 10 %; below 99.0 % but at least 95.0 % → 30 %; below 95.0 % → 100 %.
    fn aws_compute_region() -> SlaTerms {
        SlaTerms {
            direction: Direction::HigherIsBetter,
            target: d("99.99"),
            tiers: percent_tiers(&[("99.99", "10"), ("99.0", "30"), ("95.0", "100")]),
            cap: None,
            minimum_credit: None,
        }
    }

    #[test]
    fn published_tiers_give_the_published_credits() {
        // (terms, measured uptime %, monthly fee, met, tier, credit)
        let cases = [
            (
                aws_compute_optimizer(),
                "99.95",
                "200.00",
                true,
                None,
                "0.00",
            ),
            (
                aws_compute_optimizer(),
                "99.9",
                "200.00",
                true,
                None,
                "0.00",
            ),
            (
                aws_compute_optimizer(),
                "99.89",
                "200.00",
                false,
                Some(0),
                "20.00",
            ),
            (
                aws_compute_optimizer(),
                "99.0",
                "200.00",
                false,
                Some(0),
                "20.00",
            ),
            (
                aws_compute_optimizer(),
                "98.99",
                "200.00",
                false,
                Some(1),
                "50.00",
            ),
            (
                aws_compute_optimizer(),
                "94.99",
                "200.00",
                false,
                Some(2),
                "200.00",
            ),
            // 10 % of $9.00 is $0.90: not more than a dollar, so not issued.
            (
                aws_compute_optimizer(),
                "99.5",
                "9.00",
                false,
                Some(0),
                "0.00",
            ),
            (aws_compute_region(), "99.99", "1000.00", true, None, "0.00"),
            (
                aws_compute_region(),
                "99.98",
                "1000.00",
                false,
                Some(0),
                "100.00",
            ),
            (
                aws_compute_region(),
                "97.5",
                "1000.00",
                false,
                Some(1),
                "300.00",
            ),
            (
                aws_compute_region(),
                "12",
                "1000.00",
                false,
                Some(2),
                "1000.00",
            ),
            // Half-even at the cent: 10 % of 0.05 is 0.005 → 0.00; of 0.15 is 0.015 → 0.02.
            (aws_compute_region(), "99.5", "0.05", false, Some(0), "0.00"),
            (aws_compute_region(), "99.5", "0.15", false, Some(0), "0.02"),
        ];
        for (terms, uptime, fee, met, tier, credit) in cases {
            let outcome = evaluate(&terms, Measurement::Value(d(uptime)), usd(fee)).expect("valid");
            assert_eq!(
                (outcome.met, outcome.tier),
                (met, tier),
                "{uptime} % on {fee}"
            );
            assert_eq!(
                outcome.credit.amount().to_string(),
                credit,
                "{uptime} % on {fee}"
            );
        }
    }

    #[test]
    fn downtime_is_measured_against_the_real_month() {
        let terms = aws_compute_region();
        let fee = usd("1000.00");
        // September has 43,200 minutes: 4.32 minutes down is exactly 99.99 %, which meets it.
        let september = |minutes: &str| Measurement::Downtime {
            minutes: d(minutes),
            from: NaiveDate::from_ymd_opt(2027, 9, 1).expect("date"),
            to: NaiveDate::from_ymd_opt(2027, 9, 30).expect("date"),
        };
        assert!(evaluate(&terms, september("4.32"), fee).expect("valid").met);
        let missed = evaluate(&terms, september("4.33"), fee).expect("valid");
        assert_eq!((missed.met, missed.tier), (false, Some(0)));
        // February 2028 has 41,760 minutes: 4.32 minutes is then below 99.99 %.
        let february = Measurement::Downtime {
            minutes: d("4.32"),
            from: NaiveDate::from_ymd_opt(2028, 2, 1).expect("date"),
            to: NaiveDate::from_ymd_opt(2028, 2, 29).expect("date"),
        };
        assert!(!evaluate(&terms, february, fee).expect("valid").met);
        let too_much = Measurement::Downtime {
            minutes: d("43201"),
            from: NaiveDate::from_ymd_opt(2027, 9, 1).expect("date"),
            to: NaiveDate::from_ymd_opt(2027, 9, 30).expect("date"),
        };
        assert!(matches!(
            evaluate(&terms, too_much, fee),
            Err(CreditError::InvalidDowntime(43_200))
        ));
    }

    #[test]
    fn lower_is_better_caps_and_fixed_credits() {
        // Our own example: resolution within 4 hours; over 4 h → $250, over 8 h → 20 % of the
        // fee, capped at $500.
        let terms = SlaTerms {
            direction: Direction::LowerIsBetter,
            target: d("4"),
            tiers: vec![
                CreditTier {
                    threshold: d("8"),
                    credit: CreditAmount::PercentOfFee(d("20")),
                },
                CreditTier {
                    threshold: d("4"),
                    credit: CreditAmount::Fixed(usd("250")),
                },
            ],
            cap: Some(CreditAmount::Fixed(usd("500"))),
            minimum_credit: None,
        };
        let fee = usd("4000.00");
        let on_time = evaluate(&terms, Measurement::Value(d("4")), fee).expect("valid");
        assert!(on_time.met && on_time.credit.is_zero());
        let late = evaluate(&terms, Measurement::Value(d("4.5")), fee).expect("valid");
        assert_eq!(
            (late.tier, late.credit.amount().to_string()),
            (Some(1), "250.00".to_string())
        );
        let very_late = evaluate(&terms, Measurement::Value(d("12")), fee).expect("valid");
        assert_eq!(
            (very_late.tier, very_late.credit.amount().to_string()),
            (Some(0), "500.00".to_string())
        );
        let wrong_currency = SlaTerms {
            cap: Some(CreditAmount::Fixed(Money::zero(
                Currency::parse("EUR").expect("EUR"),
            ))),
            ..terms
        };
        assert!(evaluate(&wrong_currency, Measurement::Value(d("12")), fee).is_err());
    }
}
