use crate::money::{Currency, Money, MoneyError, RoundingPoint};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// Most decimal places a rate may have.
pub const MAX_RATE_PLACES: u32 = 10;

/// An exchange rate as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FxRate {
    /// The rate's id.
    pub id: i64,
    /// The currency converted from.
    #[schema(example = "EUR")]
    pub from: String,
    /// The currency converted into.
    #[schema(example = "USD")]
    pub to: String,
    /// The day the rate applies from (until the next rate of the pair).
    pub date: NaiveDate,
    /// Units of `to` per unit of `from`, a decimal string.
    #[schema(example = "1.0842")]
    pub rate: String,
    /// Where the rate came from (ECB, treasury, contract).
    pub source: Option<String>,
    /// Changes with every update; send it back to update.
    pub version: i64,
    /// When the rate was recorded (UTC).
    pub created_at: DateTime<Utc>,
    /// When the rate last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// Checks a rate: positive, at most 10 decimal places, below 10^12.
pub fn check_rate(rate: Decimal) -> Result<Decimal, String> {
    if rate <= Decimal::ZERO {
        return Err(format!(
            "{rate} is not a rate: it must be greater than zero"
        ));
    }
    if rate.normalize().scale() > MAX_RATE_PLACES {
        return Err(format!(
            "{rate} has more than {MAX_RATE_PLACES} decimal places"
        ));
    }
    if rate >= Decimal::from(1_000_000_000_000i64) {
        return Err(format!("{rate} is too large for an exchange rate"));
    }
    Ok(rate.normalize())
}

/// Checks a currency pair: two different ISO 4217 codes.
pub fn check_pair(
    from: &str,
    to: &str,
) -> (Result<Currency, MoneyError>, Result<Currency, String>) {
    let from_currency = Currency::parse(from.trim());
    let to_currency = Currency::parse(to.trim())
        .map_err(|e| e.to_string())
        .and_then(|to_currency| match &from_currency {
            Ok(from_currency) if *from_currency == to_currency => Err(format!(
                "must differ from `from` ({to_currency}): a currency converts into itself at 1"
            )),
            _ => Ok(to_currency),
        });
    (from_currency, to_currency)
}

/// `amount × rate` in `to`, rounded half-even to `to`'s minor unit.
pub fn convert(amount: Money, rate: Decimal, to: Currency) -> Result<Money, MoneyError> {
    let exact = amount
        .amount()
        .checked_mul(rate)
        .ok_or(MoneyError::Overflow)?;
    Money::round(exact, to, RoundingPoint::FxConversion)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;

    fn d(text: &str) -> Decimal {
        parse_decimal(text).expect("valid")
    }

    #[test]
    fn conversion_rounds_once_half_even() {
        let eur = Currency::parse("EUR").expect("EUR");
        let usd = Currency::parse("USD").expect("USD");
        let jpy = Currency::parse("JPY").expect("JPY");
        let amount = Money::new(d("100.00"), eur).expect("valid");
        assert_eq!(
            convert(amount, d("1.08425"), usd)
                .expect("ok")
                .amount()
                .to_string(),
            "108.42"
        );
        assert_eq!(
            convert(amount, d("1.08435"), usd)
                .expect("ok")
                .amount()
                .to_string(),
            "108.44"
        );
        assert_eq!(
            convert(Money::new(d("0.05"), eur).expect("valid"), d("10"), usd)
                .expect("ok")
                .amount()
                .to_string(),
            "0.50"
        );
        assert_eq!(
            convert(amount, d("162.345"), jpy)
                .expect("ok")
                .amount()
                .to_string(),
            "16234"
        );
        assert_eq!(
            convert(Money::new(d("1"), eur).expect("valid"), d("162.5"), jpy)
                .expect("ok")
                .amount()
                .to_string(),
            "162"
        );
    }

    #[test]
    fn rates_are_checked() {
        assert_eq!(
            check_rate(d("1.0842000")).expect("valid").to_string(),
            "1.0842"
        );
        assert!(check_rate(d("0")).is_err());
        assert!(check_rate(d("-1")).is_err());
        assert!(check_rate(d("1.12345678901")).is_err());
        assert!(check_pair("EUR", "EUR").1.is_err());
        assert!(check_pair("eur", "USD").0.is_err());
    }
}
