//! Depreciation schedules: straight-line, and declining balance with the switch to
//! straight-line. Pure: no clock, no database; periods are numbered, not dated.
//!
//! Rules, decided here and only here:
//! - **Inputs.** Cost is not negative, salvage lies between zero and cost, the life is at least
//!   one period, and a declining-balance factor is above 0 and at most 10 (2 is double declining).
//! - **Rounding.** Every charge is rounded once, half-even, to `minor_units` decimal places.
//!   The last period takes whatever is left, so the charges add up to `cost − salvage` exactly.
//! - **Floor.** No charge takes the book value below salvage: a rounded charge larger than
//!   what is left above salvage is cut to it, and later periods then charge zero.
//! - **Straight-line.** Each period charges `(cost − salvage) / life`, rounded.
//! - **Declining balance.** Each period charges `opening × factor / life` (salvage plays no
//!   part in the rate), unless straight-line on what is left — `(opening − salvage) /
//!   remaining periods` — is at least as large; from the first period where it is, the schedule
//!   stays straight-line to the end (the switch), recomputing that charge each period. The last
//!   period is always straight-line, since one remaining period leaves nothing to compare.
//!   This is the method of NPTEL "Construction Economics & Finance", module 3, lecture 3
//!   (<https://archive.nptel.ac.in/content/storage2/courses/105103023/module3/lec3/2.html>).

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// How the depreciable amount is spread over the life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepreciationMethod {
    /// Equal charges each period.
    StraightLine,
    /// A fixed rate `factor / life` of the opening book value, switching to straight-line when
    /// that charges more; `factor` 2 is double declining balance.
    DecliningBalance {
        /// Multiple of the straight-line rate, above 0 and at most 10.
        factor: Decimal,
    },
}

/// What a schedule is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepreciationInput {
    /// Acquisition cost.
    pub cost: Decimal,
    /// Value expected at the end of the life; the book value never goes below it.
    pub salvage: Decimal,
    /// Number of periods in the useful life.
    pub life_periods: u32,
    /// How the charges are spread.
    pub method: DepreciationMethod,
    /// Decimal places each charge is rounded to (the currency's minor unit, 2 for EUR).
    pub minor_units: u32,
}

/// One period of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepreciationPeriod {
    /// Period number, from 1.
    pub period: u32,
    /// Book value at the start of the period.
    pub opening_book_value: Decimal,
    /// Depreciation charged in the period.
    pub charge: Decimal,
    /// Depreciation charged up to and including the period.
    pub accumulated: Decimal,
    /// Book value at the end of the period.
    pub closing_book_value: Decimal,
    /// Whether the charge used straight-line (always for that method; from the switch on for
    /// declining balance).
    pub straight_line: bool,
}

/// Why a schedule cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepreciationError {
    /// The cost is below zero.
    NegativeCost,
    /// The salvage value is below zero or above the cost.
    SalvageOutOfRange,
    /// The life has no periods.
    ZeroLife,
    /// The declining-balance factor is not above 0 and at most 10.
    BadFactor,
}

impl fmt::Display for DepreciationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DepreciationError::NegativeCost => "the cost must not be negative",
            DepreciationError::SalvageOutOfRange => {
                "the salvage value must be between zero and the cost"
            }
            DepreciationError::ZeroLife => "the useful life must be at least one period",
            DepreciationError::BadFactor => {
                "the declining-balance factor must be above 0 and at most 10"
            }
        })
    }
}

impl std::error::Error for DepreciationError {}

/// The full schedule, one entry per period of the life.
pub fn schedule(input: &DepreciationInput) -> Result<Vec<DepreciationPeriod>, DepreciationError> {
    validate(input)?;
    let round = |amount: Decimal| {
        amount.round_dp_with_strategy(input.minor_units, RoundingStrategy::MidpointNearestEven)
    };
    let life = Decimal::from(input.life_periods);
    let even_charge = round((input.cost - input.salvage) / life);

    let mut periods = Vec::with_capacity(input.life_periods as usize);
    let mut opening = input.cost;
    let mut accumulated = Decimal::ZERO;
    let mut switched = false;
    for period in 1..=input.life_periods {
        let remaining = Decimal::from(input.life_periods - period + 1);
        let left = opening - input.salvage;
        let (planned, straight_line) = match input.method {
            DepreciationMethod::StraightLine => (even_charge, true),
            DepreciationMethod::DecliningBalance { factor } => {
                let declining = declining_charge(opening, factor, life);
                // At one remaining period straight-line is `left`, never less than a declining
                // charge cut to the floor; a tie goes to straight-line, as the amounts agree.
                switched = switched
                    || remaining == Decimal::ONE
                    || left.is_zero()
                    || straight_line_at_least(left, remaining, declining);
                if switched {
                    (round(left / remaining), true)
                } else {
                    (round(declining), false)
                }
            }
        };
        let charge = if remaining == Decimal::ONE {
            left
        } else {
            planned.min(left)
        };
        accumulated += charge;
        periods.push(DepreciationPeriod {
            period,
            opening_book_value: opening,
            charge,
            accumulated,
            closing_book_value: opening - charge,
            straight_line,
        });
        opening -= charge;
    }
    Ok(periods)
}

fn validate(input: &DepreciationInput) -> Result<(), DepreciationError> {
    if input.cost < Decimal::ZERO {
        return Err(DepreciationError::NegativeCost);
    }
    if input.salvage < Decimal::ZERO || input.salvage > input.cost {
        return Err(DepreciationError::SalvageOutOfRange);
    }
    if input.life_periods == 0 {
        return Err(DepreciationError::ZeroLife);
    }
    if let DepreciationMethod::DecliningBalance { factor } = input.method {
        if factor <= Decimal::ZERO || factor > Decimal::TEN {
            return Err(DepreciationError::BadFactor);
        }
    }
    Ok(())
}

/// The unrounded declining-balance charge `opening × factor / life`.
fn declining_charge(opening: Decimal, factor: Decimal, life: Decimal) -> Decimal {
    // Multiplying first keeps `1500000 × 2 / 10` exact; dividing first only near Decimal::MAX,
    // where a charge too large to represent is above the book value and cut to the floor anyway.
    match opening.checked_mul(factor) {
        Some(product) => product / life,
        None => (opening / life).checked_mul(factor).unwrap_or(Decimal::MAX),
    }
}

/// Whether `left / remaining >= declining`, compared without a rounding division if possible.
fn straight_line_at_least(left: Decimal, remaining: Decimal, declining: Decimal) -> bool {
    match declining.checked_mul(remaining) {
        Some(product) => left >= product,
        None => left / remaining >= declining,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn input(
        cost: &str,
        salvage: &str,
        life: u32,
        method: DepreciationMethod,
    ) -> DepreciationInput {
        DepreciationInput {
            cost: d(cost),
            salvage: d(salvage),
            life_periods: life,
            method,
            minor_units: 2,
        }
    }

    fn ddb() -> DepreciationMethod {
        DepreciationMethod::DecliningBalance { factor: d("2") }
    }

    fn charges(periods: &[DepreciationPeriod]) -> Vec<Decimal> {
        periods.iter().map(|p| p.charge).collect()
    }

    fn amounts(list: &[&str]) -> Vec<Decimal> {
        list.iter().map(|s| d(s)).collect()
    }

    #[test]
    fn straight_line_published_example() {
        // Sage Fixed Assets help, "Straight-Line Example": a $14,000 truck, $2,000 salvage,
        // 6 years, "Yearly depreciation is $2,000" (its mid-month convention is left out here).
        // https://help-sfa.na.sage.com/en-us/20260/Depreciation/SingleUser/Content/deprmethods/straight_line_example.htm
        let s = schedule(&input("14000", "2000", 6, DepreciationMethod::StraightLine)).unwrap();
        assert_eq!(charges(&s), amounts(&["2000"; 6]));
        let closing: Vec<_> = s.iter().map(|p| p.closing_book_value).collect();
        assert_eq!(
            closing,
            amounts(&["12000", "10000", "8000", "6000", "4000", "2000"])
        );
        assert!(s.iter().all(|p| p.straight_line));
    }

    #[test]
    fn straight_line_rounding() {
        #[rustfmt::skip]
        let cases: &[(&str, &str, u32, &[&str])] = &[
            ("1000.00", "0", 3, &["333.33", "333.33", "333.34"]),
            // 0.125 rounds half-even to 0.12; the last period takes 0.13.
            ("0.25", "0", 2, &["0.12", "0.13"]),
            // 0.007 rounds to 0.01, which would overrun by the 8th period: the floor cuts it.
            ("0.07", "0", 10, &["0.01", "0.01", "0.01", "0.01", "0.01", "0.01", "0.01", "0", "0", "0"]),
            ("500.00", "500.00", 4, &["0", "0", "0", "0"]),
            ("99.99", "9.99", 1, &["90.00"]),
        ];
        for (cost, salvage, life, expected) in cases {
            let s = schedule(&input(
                cost,
                salvage,
                *life,
                DepreciationMethod::StraightLine,
            ))
            .unwrap();
            assert_eq!(charges(&s), amounts(expected), "{cost} over {life}");
        }
    }

    #[test]
    fn double_declining_switches_in_last_year() {
        // NPTEL "Construction Economics & Finance", module 3, lecture 3, Example 4: cost 1,500,000,
        // salvage 200,000, 10 years; book value after year 9 is 201326.59, the switch to
        // straight-line takes place in year 10, and the total depreciation is 1,300,000.
        // https://archive.nptel.ac.in/content/storage2/courses/105103023/module3/lec3/3.html
        // https://archive.nptel.ac.in/content/storage2/courses/105103023/module3/lec3/4.html
        let s = schedule(&input("1500000", "200000", 10, ddb())).unwrap();
        #[rustfmt::skip]
        let expected = amounts(&[
            "300000", "240000", "192000", "153600", "122880",
            "98304", "78643.20", "62914.56", "50331.65", "1326.59",
        ]);
        assert_eq!(charges(&s), expected);
        assert_eq!(s[8].closing_book_value, d("201326.59"));
        assert_eq!(s[9].closing_book_value, d("200000"));
        assert_eq!(s[9].accumulated, d("1300000"));
        let switched: Vec<u32> = s
            .iter()
            .filter(|p| p.straight_line)
            .map(|p| p.period)
            .collect();
        assert_eq!(switched, vec![10]);
    }

    #[test]
    fn double_declining_switches_mid_life() {
        // NPTEL, same lecture, Example 3: cost 1,000,000, no salvage, 9 years; "switching from
        // DDB method to SL method takes place in 6th year".
        // https://archive.nptel.ac.in/content/storage2/courses/105103023/module3/lec3/1.html
        // https://archive.nptel.ac.in/content/storage2/courses/105103023/module3/lec3/2.html
        let s = schedule(&input("1000000", "0", 9, ddb())).unwrap();
        let switched: Vec<u32> = s
            .iter()
            .filter(|p| p.straight_line)
            .map(|p| p.period)
            .collect();
        assert_eq!(switched, vec![6, 7, 8, 9]);
        // Straight-line on 284628.02 over 4 periods is 71157.005: half-even gives 71157.00.
        let tail = amounts(&["71157.00", "71157.01", "71157.00", "71157.01"]);
        assert_eq!(charges(&s)[5..], tail[..]);
        assert_eq!(s[8].accumulated, d("1000000"));
        assert_eq!(s[8].closing_book_value, Decimal::ZERO);
    }

    #[test]
    fn double_declining_stops_at_salvage() {
        // NPTEL, module 3, lecture 1, Example 1 (cost 3,500,000, salvage 500,000, 10 years): the
        // book value after year 8 is 587202.56, so year 9 charges 87202.56 and year 10 zero.
        // https://archive.nptel.ac.in/content/storage2/courses/105103023/module3/lec1/4.html
        // https://archive.nptel.ac.in/content/storage2/courses/105103023/module3/lec1/6.html
        let s = schedule(&input("3500000", "500000", 10, ddb())).unwrap();
        assert_eq!(s[7].closing_book_value, d("587202.56"));
        assert_eq!((s[8].charge, s[8].straight_line), (d("87202.56"), false));
        assert_eq!(
            (s[9].charge, s[9].closing_book_value),
            (Decimal::ZERO, d("500000"))
        );
    }

    #[test]
    fn invalid_inputs() {
        let sl = DepreciationMethod::StraightLine;
        let factor = |f: &str| DepreciationMethod::DecliningBalance { factor: d(f) };
        #[rustfmt::skip]
        let cases = [
            (input("-0.01", "0", 5, sl), DepreciationError::NegativeCost),
            (input("100", "-1", 5, sl), DepreciationError::SalvageOutOfRange),
            (input("100", "100.01", 5, sl), DepreciationError::SalvageOutOfRange),
            (input("100", "0", 0, sl), DepreciationError::ZeroLife),
            (input("100", "0", 5, factor("0")), DepreciationError::BadFactor),
            (input("100", "0", 5, factor("-2")), DepreciationError::BadFactor),
            (input("100", "0", 5, factor("10.01")), DepreciationError::BadFactor),
        ];
        for (bad, error) in cases {
            assert_eq!(schedule(&bad), Err(error.clone()));
            assert!(!error.to_string().is_empty());
        }
        assert!(schedule(&input("100", "0", 5, factor("10"))).is_ok());
        assert!(schedule(&input("0", "0", 3, factor("1.5"))).is_ok());
        assert_eq!(
            DepreciationError::SalvageOutOfRange.to_string(),
            "the salvage value must be between zero and the cost"
        );
    }

    fn any_input() -> impl Strategy<Value = DepreciationInput> {
        let method = prop_oneof![
            Just(DepreciationMethod::StraightLine),
            (1i64..=1000).prop_map(|f| DepreciationMethod::DecliningBalance {
                factor: Decimal::new(f, 2)
            }),
        ];
        (
            0i64..10_000_000_000,
            0u32..=100,
            1u32..=60,
            method,
            0u32..=4,
        )
            .prop_map(|(cost, salvage_pct, life, method, minor_units)| {
                let cost = Decimal::new(cost, 2);
                DepreciationInput {
                    cost,
                    salvage: cost * Decimal::from(salvage_pct) / Decimal::ONE_HUNDRED,
                    life_periods: life,
                    method,
                    minor_units,
                }
            })
    }

    proptest! {
        #[test]
        fn schedule_invariants(input in any_input()) {
            let s = schedule(&input).unwrap();
            prop_assert_eq!(s.len(), input.life_periods as usize);
            let total: Decimal = s.iter().map(|p| p.charge).sum();
            prop_assert_eq!(total, input.cost - input.salvage);
            prop_assert_eq!(s.last().unwrap().closing_book_value, input.salvage);
            let mut seen_straight_line = false;
            for p in &s {
                prop_assert!(p.charge >= Decimal::ZERO);
                prop_assert!(p.closing_book_value >= input.salvage);
                prop_assert_eq!(p.closing_book_value, p.opening_book_value - p.charge);
                prop_assert_eq!(p.accumulated, input.cost - p.closing_book_value);
                prop_assert!(!seen_straight_line || p.straight_line, "switched back at {}", p.period);
                seen_straight_line |= p.straight_line;
            }
        }
    }
}
