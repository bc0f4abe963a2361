//! How exact numbers are stored, identically on SQLite and PostgreSQL.
//!
//! - Amounts: `BIGINT` holding the amount in 1/10,000 units ([`AMOUNT_STORAGE_SCALE`]). Both
//!   engines sum and compare 64-bit integers exactly, so ledgers can add up in SQL. Four places
//!   cover every ISO 4217 minor unit (the largest is 4, for CLF and UYW).
//! - Rates, unit prices, quantities and percentages: canonical decimal text (no trailing zeros,
//!   no exponent). SQL never sums or compares these; Rust does, after reading them back.

use super::{parse_decimal, Currency, Money, MoneyError};
use rust_decimal::Decimal;

/// Decimal places of the stored integer units: 1 unit = 0.0001 of the currency.
pub const AMOUNT_STORAGE_SCALE: u32 = 4;

/// The stored integer for an amount: refused if it has more than four places or does not fit.
pub fn amount_to_units(amount: Decimal) -> Result<i64, MoneyError> {
    let normalized = amount.normalize();
    if normalized.scale() > AMOUNT_STORAGE_SCALE {
        return Err(MoneyError::InvalidDecimal(amount.to_string()));
    }
    let factor = 10i128.pow(AMOUNT_STORAGE_SCALE - normalized.scale());
    normalized
        .mantissa()
        .checked_mul(factor)
        .and_then(|units| i64::try_from(units).ok())
        .ok_or(MoneyError::OutOfRange(amount))
}

/// The amount a stored integer stands for.
pub fn amount_from_units(units: i64) -> Decimal {
    Decimal::new(units, AMOUNT_STORAGE_SCALE)
}

/// Adds stored amounts exactly, refusing a total beyond what an `i64` holds (instead of
/// overflowing): sums over many documents are taken here, never with a bare `sum()`.
pub fn sum_units(units: impl IntoIterator<Item = i64>) -> Result<i64, MoneyError> {
    let total: i128 = units.into_iter().map(i128::from).sum();
    i64::try_from(total).map_err(|_| MoneyError::Overflow)
}

/// The stored integer for a [`Money`].
pub fn money_to_units(money: &Money) -> Result<i64, MoneyError> {
    amount_to_units(money.amount())
}

/// A [`Money`] read back from storage in a known currency.
pub fn money_from_units(units: i64, currency: Currency) -> Result<Money, MoneyError> {
    Money::new(amount_from_units(units), currency)
}

/// Canonical text for a rate, price or quantity: `0.1`, `1.2345678901`, `100`.
pub fn decimal_to_text(value: Decimal) -> String {
    let normalized = value.normalize();
    if normalized.is_zero() {
        "0".to_string()
    } else {
        normalized.to_string()
    }
}

/// A rate, price or quantity read back from its canonical text.
pub fn decimal_from_text(text: &str) -> Result<Decimal, MoneyError> {
    parse_decimal(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn units_are_ten_thousandths() {
        let d = parse_decimal("1234.5").expect("valid");
        assert_eq!(amount_to_units(d), Ok(12_345_000));
        assert_eq!(amount_from_units(12_345_000).normalize(), d);
        assert!(amount_to_units(parse_decimal("0.00001").expect("valid")).is_err());
    }

    #[test]
    fn canonical_text_has_no_trailing_zeros() {
        for (input, text) in [
            ("0.1000", "0.1"),
            ("100", "100"),
            ("-0.00", "0"),
            ("1.2345678901", "1.2345678901"),
        ] {
            assert_eq!(decimal_to_text(parse_decimal(input).expect("valid")), text);
        }
    }

    proptest! {
        #[test]
        fn amounts_round_trip_through_units(units in proptest::num::i64::ANY) {
            prop_assert_eq!(amount_to_units(amount_from_units(units)), Ok(units));
        }

        #[test]
        fn text_round_trips(mantissa in proptest::num::i64::ANY, scale in 0u32..=18) {
            let value = Decimal::new(mantissa, scale);
            prop_assert_eq!(decimal_from_text(&decimal_to_text(value)), Ok(value.normalize()));
        }
    }
}
