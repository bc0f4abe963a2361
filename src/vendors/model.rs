use crate::error::AppError;
use crate::validate::{email, optional_text, required_text, Validator};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether Procura may do business with a vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VendorStatus {
    /// May be invited, bid and be ordered from.
    Active,
    /// May not be invited, bid or be ordered from.
    Blocked,
}

impl VendorStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            VendorStatus::Active => "active",
            VendorStatus::Blocked => "blocked",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(VendorStatus::Active),
            "blocked" => Some(VendorStatus::Blocked),
            _ => None,
        }
    }
}

/// A vendor as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Vendor {
    /// The vendor's id.
    pub id: i64,
    /// Trading or legal name.
    #[schema(example = "Northwind Networks Ltd")]
    pub name: String,
    /// Legal or tax id, normalised (upper case, no spaces or punctuation); unique.
    #[schema(example = "GB123456789")]
    pub tax_id: Option<String>,
    /// Contact email addresses (alerts and documents go here).
    pub emails: Vec<String>,
    /// `active` or `blocked`.
    pub status: VendorStatus,
    /// Labels for grouping and filtering, lower case.
    pub tags: Vec<String>,
    /// Free-text notes.
    pub notes: Option<String>,
    /// When the vendor was archived; archived vendors are hidden from lists by default.
    pub archived_at: Option<DateTime<Utc>>,
    /// Changes with every update; send it back to update.
    pub version: i64,
    /// When the vendor was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When the vendor last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// The editable facts of a vendor, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorDraft {
    pub name: String,
    pub tax_id: Option<String>,
    pub emails: Vec<String>,
    pub status: VendorStatus,
    pub tags: Vec<String>,
    pub notes: Option<String>,
}

/// Requested changes to a vendor; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorChanges {
    pub name: Option<String>,
    pub tax_id: Option<Option<String>>,
    pub emails: Option<Vec<String>>,
    pub status: Option<VendorStatus>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<Option<String>>,
}

/// Most contact emails and tags a vendor may have.
pub const MAX_EMAILS: usize = 20;
/// Most tags a vendor may have.
pub const MAX_TAGS: usize = 30;

impl VendorDraft {
    /// Validates raw input, reporting every bad field at once.
    pub fn parse(
        name: &str,
        tax_id: Option<&str>,
        emails: &[String],
        status: VendorStatus,
        tags: &[String],
        notes: Option<&str>,
    ) -> Result<Self, AppError> {
        let mut v = Validator::new();
        let name = v.check("name", required_text(name, 200));
        let tax_id = v.check("tax_id", tax_id.map(normalize_tax_id).transpose());
        if emails.len() > MAX_EMAILS {
            v.fail("emails", format!("at most {MAX_EMAILS} addresses"));
        }
        let mut clean_emails = Vec::with_capacity(emails.len());
        for (i, raw) in emails.iter().enumerate() {
            if let Some(address) = v.check(format!("emails[{i}]"), email(raw)) {
                if !clean_emails.contains(&address) {
                    clean_emails.push(address);
                }
            }
        }
        if tags.len() > MAX_TAGS {
            v.fail("tags", format!("at most {MAX_TAGS} tags"));
        }
        let mut clean_tags = Vec::with_capacity(tags.len());
        for (i, raw) in tags.iter().enumerate() {
            if let Some(tag) = v.check(format!("tags[{i}]"), normalize_tag(raw)) {
                if !clean_tags.contains(&tag) {
                    clean_tags.push(tag);
                }
            }
        }
        clean_tags.sort();
        let notes = v.check("notes", optional_text(notes, 4_000));
        v.finish()?;
        Ok(Self {
            name: name.unwrap_or_default(),
            tax_id: tax_id.flatten(),
            emails: clean_emails,
            status,
            tags: clean_tags,
            notes: notes.flatten(),
        })
    }

    /// The draft of an existing vendor.
    pub fn of(vendor: &Vendor) -> Self {
        Self {
            name: vendor.name.clone(),
            tax_id: vendor.tax_id.clone(),
            emails: vendor.emails.clone(),
            status: vendor.status,
            tags: vendor.tags.clone(),
            notes: vendor.notes.clone(),
        }
    }

    /// This draft with `changes` applied, validated again as a whole.
    pub fn apply(&self, changes: VendorChanges) -> Result<Self, AppError> {
        let tax_id = changes.tax_id.unwrap_or_else(|| self.tax_id.clone());
        let notes = changes.notes.unwrap_or_else(|| self.notes.clone());
        Self::parse(
            changes.name.as_deref().unwrap_or(&self.name),
            tax_id.as_deref(),
            changes.emails.as_deref().unwrap_or(&self.emails),
            changes.status.unwrap_or(self.status),
            changes.tags.as_deref().unwrap_or(&self.tags),
            notes.as_deref(),
        )
    }
}

/// Normalises a legal/tax id: upper case, without spaces, dots, dashes or slashes; 2 to 32
/// letters and digits remain.
pub fn normalize_tax_id(raw: &str) -> Result<String, String> {
    let normalized: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '/' | '\t'))
        .flat_map(char::to_uppercase)
        .collect();
    if normalized.len() < 2
        || normalized.len() > 32
        || !normalized.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(format!(
            "`{raw}` is not a tax id: after removing spaces, dots, dashes and slashes, 2 to 32 letters and digits must remain"
        ));
    }
    Ok(normalized)
}

/// Normalises a tag: trimmed, lower case, 1 to 40 of letters, digits, `-`, `_` and spaces.
pub fn normalize_tag(raw: &str) -> Result<String, String> {
    let tag = raw.trim().to_lowercase();
    let valid = !tag.is_empty()
        && tag.chars().count() <= 40
        && tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '));
    if valid {
        Ok(tag)
    } else {
        Err(format!(
            "`{raw}` is not a tag: 1 to 40 letters, digits, spaces, `-` or `_`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_ids_normalise_so_duplicates_are_found() {
        assert_eq!(
            normalize_tax_id("de 123.456-789").as_deref(),
            Ok("DE123456789")
        );
        assert_eq!(
            normalize_tax_id("DE123456789"),
            normalize_tax_id(" de-123 456 789 ")
        );
        assert!(normalize_tax_id("x").is_err());
        assert!(normalize_tax_id("DE12#45").is_err());
    }

    #[test]
    fn every_bad_field_is_reported() {
        let error = VendorDraft::parse(
            "",
            Some("?"),
            &["nope".into()],
            VendorStatus::Active,
            &["!!".into()],
            None,
        )
        .unwrap_err();
        let fields: Vec<&str> = error
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["name", "tax_id", "emails[0]", "tags[0]"]);
    }

    #[test]
    fn changes_apply_and_clear() {
        let draft = VendorDraft::parse(
            "Acme",
            Some("GB1"),
            &[],
            VendorStatus::Active,
            &["Racks".into(), "racks".into()],
            Some("n"),
        )
        .expect("valid");
        assert_eq!(draft.tags, ["racks"]);
        let changed = draft
            .apply(VendorChanges {
                tax_id: Some(None),
                status: Some(VendorStatus::Blocked),
                ..Default::default()
            })
            .expect("valid");
        assert_eq!(changed.tax_id, None);
        assert_eq!(changed.status, VendorStatus::Blocked);
        assert_eq!(changed.notes.as_deref(), Some("n"));
    }
}
