use rust_decimal::{Decimal, RoundingStrategy};

/// How a value is rounded to a number of places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingPolicy {
    /// Banker's rounding: halves go to the even neighbour (2.345 → 2.34, 2.355 → 2.36). The
    /// default: it does not drift upwards over many roundings.
    HalfEven,
    /// Halves go away from zero (2.345 → 2.35), for document types whose rules require it.
    HalfUp,
}

impl RoundingPolicy {
    /// `value` rounded to `places` decimal places under this policy.
    pub fn round(self, value: Decimal, places: u32) -> Decimal {
        let strategy = match self {
            RoundingPolicy::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingPolicy::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        };
        value.round_dp_with_strategy(places, strategy)
    }
}

/// The only places where Procura rounds an amount. Unrounded values are kept wherever later
/// arithmetic depends on them; each point rounds to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingPoint {
    /// A document line's amount: quantity × unit price.
    DocumentLine,
    /// An amount converted into another currency at an FX rate.
    FxConversion,
    /// A computed share of a whole (its parts are then fixed by largest remainder).
    Allocation,
    /// A figure shown to a person (a score, a percentage) that is not stored as money.
    Presentation,
}

impl RoundingPoint {
    /// The policy of this point. All are half-even today; a document type that requires
    /// half-up gets its own point here, never an ad-hoc rounding at the call site.
    pub const fn policy(self) -> RoundingPolicy {
        match self {
            RoundingPoint::DocumentLine
            | RoundingPoint::FxConversion
            | RoundingPoint::Allocation
            | RoundingPoint::Presentation => RoundingPolicy::HalfEven,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;

    fn d(s: &str) -> Decimal {
        parse_decimal(s).expect("valid literal")
    }

    #[test]
    fn half_even_and_half_up_differ_only_on_halves() {
        let cases = [
            ("2.345", "2.34", "2.35"),
            ("2.355", "2.36", "2.36"),
            ("-2.345", "-2.34", "-2.35"),
            ("2.3449", "2.34", "2.34"),
            ("0.5", "0", "1"),
        ];
        for (value, even, up) in cases {
            let places = if value == "0.5" { 0 } else { 2 };
            assert_eq!(
                RoundingPolicy::HalfEven.round(d(value), places),
                d(even),
                "{value}"
            );
            assert_eq!(
                RoundingPolicy::HalfUp.round(d(value), places),
                d(up),
                "{value}"
            );
        }
    }
}
