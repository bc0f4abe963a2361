//! Money: exact decimal amounts, each with an ISO 4217 currency.
//!
//! Rules owned here:
//! - every amount is a [`rust_decimal::Decimal`] paired with a [`Currency`]; floats never appear;
//! - an amount may not carry more decimal places than its currency's minor unit (USD 2, JPY 0,
//!   KWD 3): more is an error, never a silent rounding;
//! - rounding happens only at the named points of [`RoundingPoint`], each with one stated policy
//!   (half-even unless a document type demands otherwise);
//! - splitting an amount uses the largest-remainder method ([`allocate`]), so the parts always add
//!   up to the whole, to the minor unit;
//! - storage: amounts are `BIGINT` in 1/10,000 units on both engines, so SQL sums and comparisons
//!   are exact; rates, unit prices and quantities are canonical decimal text that SQL never sums
//!   ([`storage`]);
//! - JSON carries decimals as strings and accepts JSON numbers exactly, never through binary floating point
//!   ([`json`]).

mod allocation;
mod currency;
pub mod json;
mod rounding;
pub mod storage;

pub use allocation::{allocate, split_evenly};
pub use currency::Currency;
pub use rounding::{RoundingPoint, RoundingPolicy};

use rust_decimal::Decimal;
use std::fmt;

/// The largest absolute amount Procura accepts: 99,999,999,999,999.9999 (just under 10^14).
///
/// Storage is `BIGINT` in 1/10,000 units (max about 9.2 × 10^14), so even nine maximal amounts
/// still add up inside a 64-bit integer in SQL.
pub const MAX_ABS_AMOUNT: Decimal = Decimal::from_parts(2_808_348_671, 232_830_643, 0, false, 4);

/// Why an amount or a currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not an ISO 4217 code with a minor unit.
    #[error(
        "`{0}` is not an ISO 4217 currency code with a minor unit (for example EUR, USD, JPY)"
    )]
    UnknownCurrency(String),
    /// More decimal places than the currency allows.
    #[error("{amount} has {places} decimal places; {currency} allows at most {allowed}")]
    TooManyDecimals {
        /// The amount as given.
        amount: Decimal,
        /// Its currency.
        currency: Currency,
        /// Decimal places found.
        places: u32,
        /// Decimal places the currency allows.
        allowed: u32,
    },
    /// Beyond [`MAX_ABS_AMOUNT`].
    #[error("{0} is out of range: amounts must lie within ±99,999,999,999,999.9999")]
    OutOfRange(Decimal),
    /// Arithmetic between two currencies.
    #[error("cannot combine {0} with {1}: convert first")]
    CurrencyMismatch(Currency, Currency),
    /// Not a plain decimal number.
    #[error("`{0}` is not a plain decimal number (expected digits with an optional sign and decimal point, like 1234.50)")]
    InvalidDecimal(String),
    /// Allocation asked to split by weights that are empty, negative or all zero.
    #[error("allocation weights must be non-negative and not all zero")]
    InvalidWeights,
    /// An intermediate result does not fit the exact arithmetic.
    #[error("the calculation overflows exact arithmetic")]
    Overflow,
}

/// An exact amount in one currency, within [`MAX_ABS_AMOUNT`] and the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// An amount exactly as given: refused if it has more decimal places than the currency
    /// allows or lies beyond [`MAX_ABS_AMOUNT`]. Trailing zeros do not count as places.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount.abs() > MAX_ABS_AMOUNT {
            return Err(MoneyError::OutOfRange(amount));
        }
        let places = amount.normalize().scale();
        let allowed = currency.minor_units();
        if places > allowed {
            return Err(MoneyError::TooManyDecimals {
                amount,
                currency,
                places,
                allowed,
            });
        }
        Ok(Self {
            amount: with_scale(amount, allowed),
            currency,
        })
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self {
            amount: with_scale(Decimal::ZERO, currency.minor_units()),
            currency,
        }
    }

    /// An unrounded value rounded to the currency's minor unit at a named rounding point.
    pub fn round(
        value: Decimal,
        currency: Currency,
        point: RoundingPoint,
    ) -> Result<Self, MoneyError> {
        let rounded = point.policy().round(value, currency.minor_units());
        Self::new(rounded, currency)
    }

    /// Builds an amount from a whole number of minor units (cents for USD).
    pub fn from_minor_units(units: i128, currency: Currency) -> Result<Self, MoneyError> {
        let amount = Decimal::try_from_i128_with_scale(units, currency.minor_units())
            .map_err(|_| MoneyError::Overflow)?;
        Self::new(amount, currency)
    }

    /// The amount as a whole number of minor units.
    pub fn minor_units(&self) -> i128 {
        // The amount is stored at exactly the currency's scale, so the mantissa is the count.
        self.amount.mantissa()
    }

    /// The decimal amount, at exactly the currency's number of places.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// True when the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// `self + other`, refused across currencies or beyond range.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Money::new(sum, self.currency)
    }

    /// `self - other`, refused across currencies or beyond range.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let difference = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Money::new(difference, self.currency)
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    /// `1234.50 EUR`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// `value` written with exactly `places` decimal places; only ever called where that loses
/// nothing (padding zeros).
fn with_scale(mut value: Decimal, places: u32) -> Decimal {
    value.rescale(places);
    value
}

/// Parses a plain decimal (`-1234.50`, `0`, `17`): digits, an optional leading minus and at
/// most one decimal point. Exponents, separators, spaces and `+` are refused; more than 28
/// significant digits is an error rather than a rounding.
pub fn parse_decimal(text: &str) -> Result<Decimal, MoneyError> {
    let invalid = || MoneyError::InvalidDecimal(text.to_string());
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return Err(invalid());
    }
    Decimal::from_str_exact(text).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        parse_decimal(s).expect("test literal is a valid decimal")
    }

    fn usd() -> Currency {
        Currency::parse("USD").expect("USD is ISO 4217")
    }

    #[test]
    fn max_abs_amount_is_just_under_ten_to_the_fourteen() {
        assert_eq!(MAX_ABS_AMOUNT, dec("99999999999999.9999"));
    }

    #[test]
    fn amounts_keep_their_currency_scale() {
        let m = Money::new(dec("12.5"), usd()).expect("valid");
        assert_eq!(m.amount().to_string(), "12.50");
        assert_eq!(m.minor_units(), 1250);
        let jpy = Currency::parse("JPY").expect("JPY");
        assert_eq!(
            Money::new(dec("1500.000"), jpy)
                .expect("valid")
                .amount()
                .to_string(),
            "1500"
        );
    }

    #[test]
    fn too_many_decimals_is_an_error_not_a_rounding() {
        let err = Money::new(dec("1.005"), usd()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1.005 has 3 decimal places; USD allows at most 2"
        );
        let kwd = Currency::parse("KWD").expect("KWD");
        assert!(Money::new(dec("1.005"), kwd).is_ok());
    }

    #[test]
    fn negative_and_zero_amounts_behave() {
        let a = Money::new(dec("-10.25"), usd()).expect("valid");
        let b = Money::new(dec("10.25"), usd()).expect("valid");
        assert!(a.checked_add(&b).expect("same currency").is_zero());
        assert_eq!(Money::zero(usd()).amount().to_string(), "0.00");
        assert_eq!(
            a.checked_sub(&b).expect("valid").amount().to_string(),
            "-20.50"
        );
    }

    #[test]
    fn out_of_range_and_mixed_currencies_are_refused() {
        assert!(matches!(
            Money::new(dec("100000000000000"), usd()),
            Err(MoneyError::OutOfRange(_))
        ));
        let eur = Money::zero(Currency::parse("EUR").expect("EUR"));
        assert!(matches!(
            Money::zero(usd()).checked_add(&eur),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }

    #[test]
    fn plain_decimals_only() {
        for good in ["0", "-0.5", "1234.50", "007", "12345678901234.5678"] {
            assert!(parse_decimal(good).is_ok(), "{good}");
        }
        for bad in [
            "", "-", ".5", "5.", "1e5", "+1", "1,234.50", " 1", "1.2.3", "NaN", "0x10",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad}");
        }
    }
}
