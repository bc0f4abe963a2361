use super::MoneyError;
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency that has a minor unit (EUR 2, JPY 0, KWD 3).
///
/// Codes without a minor unit (precious metals, testing codes such as `XXX`) are refused: no
/// amount in Procura can be denominated in them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Parses an upper-case ISO 4217 alphabetic code such as `EUR`.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let unknown = || MoneyError::UnknownCurrency(code.to_string());
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(unknown());
        }
        let currency = iso_currency::Currency::from_code(code).ok_or_else(unknown)?;
        match currency.exponent() {
            Some(_) => Ok(Self(currency)),
            None => Err(unknown()),
        }
    }

    /// The three-letter code.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// The currency's usual symbol (`€`, `$`, `£`); several currencies share `$`.
    pub fn symbol(&self) -> &'static str {
        symbol_of(self.0)
    }

    /// Decimal places of the minor unit (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn minor_units(&self) -> u32 {
        // `parse` admits only currencies that have an exponent.
        self.0.exponent().map(u32::from).unwrap_or(0)
    }
}

/// The symbols are leaked once per currency used, so they can be handed out as `&'static str`
/// (iso_currency builds them as `String`s on every call).
fn symbol_of(currency: iso_currency::Currency) -> &'static str {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static SYMBOLS: OnceLock<Mutex<HashMap<iso_currency::Currency, &'static str>>> =
        OnceLock::new();
    let mut symbols = SYMBOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    symbols
        .entry(currency)
        .or_insert_with(|| Box::leak(currency.symbol().symbol.into_boxed_str()))
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_follow_iso_4217() {
        for (code, places) in [
            ("EUR", 2),
            ("USD", 2),
            ("JPY", 0),
            ("KWD", 3),
            ("CLF", 4),
            ("GBP", 2),
        ] {
            assert_eq!(
                Currency::parse(code).expect(code).minor_units(),
                places,
                "{code}"
            );
        }
    }

    #[test]
    fn bad_codes_are_refused() {
        for code in ["usd", "US", "USDD", "ABC", "XAU", "XXX", "", "€"] {
            assert!(Currency::parse(code).is_err(), "{code}");
        }
    }
}
