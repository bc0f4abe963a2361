//! Small validators shared by every domain, and a collector that reports every bad field of a
//! request at once rather than the first one only.

use crate::error::{AppError, FieldError};
use std::fmt::Display;

/// Collects field errors while a request is checked.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value of an `Ok`, records the error of an `Err` against `field`.
    pub fn check<T, E: Display>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.push(FieldError::new(field, error));
                None
            }
        }
    }

    /// Records an error against `field`.
    pub fn fail(&mut self, field: impl Into<String>, message: impl Display) {
        self.errors.push(FieldError::new(field, message));
    }

    /// `Ok` when nothing was recorded, else a 422 listing every field.
    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid_fields(self.errors))
        }
    }
}

/// Trimmed text of 1 to `max` characters without control characters.
pub fn required_text(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".to_string());
    }
    if trimmed.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".to_string());
    }
    Ok(trimmed.to_string())
}

/// Like [`required_text`], but blank text means "none".
pub fn optional_text(value: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) if text.chars().count() > max => {
            Err(format!("must be at most {max} characters"))
        }
        Some(text) => Ok(Some(text.to_string())),
    }
}

/// An email address in the common `local@domain.tld` form, trimmed, domain lower-cased.
pub fn email(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    let invalid = || format!("`{trimmed}` is not an email address like name@example.com");
    if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !(local_ok && domain_ok) {
        return Err(invalid());
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email(" Ops@Example.COM ").as_deref(), Ok("Ops@example.com"));
        for bad in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a@.com",
            "a b@c.com",
            "a@b..com",
            "a@-b.com",
            "a@@b.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts() {
        assert_eq!(required_text("  Acme  ", 10).as_deref(), Ok("Acme"));
        assert!(required_text("   ", 10).is_err());
        assert!(required_text("abcdefghijk", 10).is_err());
        assert!(required_text("a\u{0}b", 10).is_err());
        assert_eq!(optional_text(Some("  "), 5), Ok(None));
    }

    #[test]
    fn the_collector_reports_every_field() {
        let mut v = Validator::new();
        assert_eq!(v.check("a", Ok::<_, String>(1)), Some(1));
        assert_eq!(v.check("b", Err::<i32, _>("bad")), None);
        v.fail("c", "worse");
        let error = v.finish().unwrap_err();
        assert_eq!(error.field_errors().len(), 2);
    }
}
