//! Decimals in JSON: written as strings, read exactly from strings or JSON numbers.
//!
//! `serde_json` is built with `arbitrary_precision`, so a JSON number reaches us as the text
//! the client wrote; it is parsed by [`parse_decimal`](super::parse_decimal) and never passes
//! through a binary floating-point number.

use rust_decimal::Decimal;
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

/// A decimal from a request body: `"1234.50"` or `1234.50`, read exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonDecimal(pub Decimal);

impl<'de> Deserialize<'de> for JsonDecimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => text,
            serde_json::Value::Number(number) => number.to_string(),
            other => {
                return Err(D::Error::custom(format!(
                    "expected a decimal string such as \"1234.50\", found {}",
                    json_kind(&other)
                )))
            }
        };
        super::parse_decimal(&text)
            .map(JsonDecimal)
            .map_err(D::Error::custom)
    }
}

impl utoipa::PartialSchema for JsonDecimal {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("decimal".to_string())))
            .pattern(Some(r"^-?[0-9]{1,16}(\.[0-9]{1,10})?$"))
            .description(Some(
                "An exact decimal written as a string, such as \"1234.50\". A JSON number is also accepted and read exactly.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for JsonDecimal {}

/// The name of a JSON value's kind, for error messages.
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Decimal, String> {
        serde_json::from_str::<JsonDecimal>(json)
            .map(|d| d.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_are_read_exactly_never_through_f64() {
        // 0.1 + 0.2 style traps and more digits than a binary double holds
        assert_eq!(
            read("12345678901234.5678").expect("exact").to_string(),
            "12345678901234.5678"
        );
        assert_eq!(read("19.99").expect("exact").to_string(), "19.99");
        assert_eq!(read("\"0.10\"").expect("exact").to_string(), "0.10");
    }

    #[test]
    fn non_decimals_are_refused() {
        assert!(read("1e3").is_err());
        assert!(read("\"1,000\"").is_err());
        assert!(read("true").is_err());
        assert!(read("null").is_err());
    }
}
