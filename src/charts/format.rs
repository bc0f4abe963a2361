//! Amounts as people read them on a chart or a page: digits grouped by thousands, the currency's
//! symbol. Only text is rearranged here; the figures come exact from the ledger and forecast.

use crate::money::{Currency, RoundingPoint};
use rust_decimal::Decimal;

/// Groups the integer digits of a decimal text by thousands: `-12345.60` → `-12,345.60`.
/// Text that is not a plain decimal comes back unchanged.
pub fn group_digits(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = match rest.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (rest, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return text.to_string();
    }
    let mut grouped = String::with_capacity(text.len() + whole.len() / 3);
    grouped.push_str(sign);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    grouped
}

/// An exact amount rounded for presentation (half-even, the currency's minor unit), grouped,
/// with the currency's symbol: `€12,000.00`.
pub fn money(value: Decimal, currency: Currency) -> String {
    let mut rounded = RoundingPoint::Presentation
        .policy()
        .round(value, currency.minor_units());
    rounded.rescale(currency.minor_units());
    let text = group_digits(&rounded.to_string());
    match text.strip_prefix('-') {
        Some(positive) => format!("-{}{positive}", currency.symbol()),
        None => format!("{}{text}", currency.symbol()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_group_by_thousands() {
        assert_eq!(group_digits("0.00"), "0.00");
        assert_eq!(group_digits("999"), "999");
        assert_eq!(group_digits("1000"), "1,000");
        assert_eq!(group_digits("-12345.60"), "-12,345.60");
        assert_eq!(group_digits("1234567.891"), "1,234,567.891");
        assert_eq!(group_digits("n/a"), "n/a");
    }

    #[test]
    fn money_rounds_half_even_with_the_symbol() {
        let eur = Currency::parse("EUR").expect("EUR");
        let jpy = Currency::parse("JPY").expect("JPY");
        assert_eq!(money("12000".parse().expect("d"), eur), "€12,000.00");
        assert_eq!(money("-0.125".parse().expect("d"), eur), "-€0.12");
        assert_eq!(money("1500.5".parse().expect("d"), jpy), "¥1,500");
    }
}
