use super::terms::{self, Period, Renewal, TermEvents, TermRules};
use crate::error::AppError;
use crate::money::{Currency, Money};
use crate::validate::{optional_text, required_text, Validator};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the price of a contract is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractType {
    /// A fixed price for defined deliverables.
    FixedPrice,
    /// Time and materials, up to the ceiling.
    TimeAndMaterials,
    /// A framework that call-off orders draw on, up to the ceiling.
    Framework,
}

/// How a contract renews at the end of a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RenewalKind {
    /// It ends with its initial term.
    None,
    /// It renews by itself unless notice is given (tacit renewal).
    Automatic,
    /// It renews only when a renewal is recorded.
    Explicit,
}

/// The unit of a notice period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeUnit {
    /// Calendar months (month ends clamp).
    Months,
    /// Calendar days.
    Days,
}

/// Where a contract is in its life. `expired` is never stored: an active contract is shown as
/// expired once the day is past its last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    /// Being drafted: may be changed freely.
    Draft,
    /// Signed and running.
    Active,
    /// Past its last day.
    Expired,
    /// Ended early, with a reason.
    Terminated,
}

macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }
            /// Parses a stored name.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

text_enum!(ContractType { FixedPrice => "fixed_price", TimeAndMaterials => "time_and_materials", Framework => "framework" });
text_enum!(RenewalKind { None => "none", Automatic => "automatic", Explicit => "explicit" });
text_enum!(NoticeUnit { Months => "months", Days => "days" });
text_enum!(ContractStatus { Draft => "draft", Active => "active", Expired => "expired", Terminated => "terminated" });

/// A contract's renewal terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RenewalTerms {
    /// `none`, `automatic` or `explicit`.
    pub kind: RenewalKind,
    /// Length of each renewal term in months (required unless `kind` is `none`).
    pub term_months: Option<u32>,
    /// Most renewals; absent for no limit.
    pub max_renewals: Option<u32>,
}

/// A notice period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Notice {
    /// `months` or `days`.
    pub unit: NoticeUnit,
    /// How many.
    pub value: u32,
}

/// A contract as Procura stores and shows it (its schedule is computed on read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Contract {
    /// The contract's id.
    pub id: i64,
    /// Human number, `CTR-<start year>-<id>`.
    #[schema(example = "CTR-2027-000042")]
    pub number: String,
    /// The vendor.
    pub vendor_id: i64,
    /// The projects it serves.
    pub project_ids: Vec<i64>,
    /// What it is for.
    pub title: String,
    /// What the vendor delivers under it.
    pub scope: Option<String>,
    /// `fixed_price`, `time_and_materials` or `framework`.
    pub contract_type: ContractType,
    /// ISO 4217 currency of the ceiling.
    #[schema(example = "EUR")]
    pub currency: String,
    /// The most that may be committed under it, a decimal string.
    #[schema(example = "250000.00")]
    pub ceiling: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Length of the initial term in months.
    pub initial_term_months: u32,
    /// How it renews.
    pub renewal: RenewalTerms,
    /// Notice needed before a term ends (to stop a tacit renewal or exercise an option).
    pub notice: Notice,
    /// Links to the signed documents.
    pub document_urls: Vec<String>,
    /// `draft`, `active`, `expired` or `terminated`.
    pub status: ContractStatus,
    /// Explicit renewals recorded so far.
    pub renewals_recorded: u32,
    /// When notice of non-renewal was given.
    pub notice_given_on: Option<NaiveDate>,
    /// When it was terminated early.
    pub terminated_on: Option<NaiveDate>,
    /// Why it was terminated.
    pub termination_reason: Option<String>,
    /// Changes with every update; send it back to update.
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// The award it came from, when an RFP's award created it.
    pub award: Option<AwardSource>,
}

/// The RFP award that created a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct AwardSource {
    /// The RFP.
    pub rfp_id: i64,
    /// The awarded bid.
    pub bid_id: i64,
}

impl Contract {
    /// The term rules for the engine.
    pub fn rules(&self) -> TermRules {
        to_rules(
            self.start_date,
            self.initial_term_months,
            self.renewal,
            self.notice,
        )
    }

    /// What has happened so far, for the engine.
    pub fn events(&self) -> TermEvents {
        TermEvents {
            renewals_recorded: self.renewals_recorded,
            notice_given_on: self.notice_given_on,
            terminated_on: self.terminated_on,
        }
    }

    /// The actions allowed in the contract's current status.
    pub fn allowed_actions(&self) -> &'static [&'static str] {
        match (self.status, self.renewal.kind) {
            (ContractStatus::Draft, _) => &["update", "activate"],
            (ContractStatus::Active, RenewalKind::Automatic) if self.notice_given_on.is_none() => {
                &["give_notice", "propose_change_order", "terminate"]
            }
            (ContractStatus::Active, RenewalKind::Explicit) => {
                &["renew", "propose_change_order", "terminate"]
            }
            (ContractStatus::Active, _) => &["propose_change_order", "terminate"],
            (ContractStatus::Expired | ContractStatus::Terminated, _) => &[],
        }
    }

    /// A 409 saying `action` is not allowed now, naming the status and what is.
    pub fn refuse(&self, action: &str) -> AppError {
        let allowed = self.allowed_actions();
        let allowed_text = if allowed.is_empty() {
            "none".to_string()
        } else {
            allowed.join(", ")
        };
        AppError::conflict(
            "invalid_transition",
            format!(
                "contract {} is {}: `{action}` is not allowed (allowed: {allowed_text})",
                self.number,
                self.status.as_str()
            ),
        )
        .with_context(serde_json::json!({ "status": self.status, "allowed_actions": allowed }))
    }
}

/// Term rules from a contract's fields.
pub fn to_rules(
    start: NaiveDate,
    initial_months: u32,
    renewal: RenewalTerms,
    notice: Notice,
) -> TermRules {
    let term_months = renewal.term_months.unwrap_or(0);
    TermRules {
        start,
        initial_months,
        renewal: match renewal.kind {
            RenewalKind::None => Renewal::None,
            RenewalKind::Automatic => Renewal::Automatic {
                term_months,
                max_renewals: renewal.max_renewals,
            },
            RenewalKind::Explicit => Renewal::Explicit {
                term_months,
                max_renewals: renewal.max_renewals,
            },
        },
        notice: match notice.unit {
            NoticeUnit::Months => Period::Months(notice.value),
            NoticeUnit::Days => Period::Days(notice.value),
        },
    }
}

/// The editable facts of a contract, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractDraft {
    pub vendor_id: i64,
    pub project_ids: Vec<i64>,
    pub title: String,
    pub scope: Option<String>,
    pub contract_type: ContractType,
    pub ceiling: Money,
    pub start_date: NaiveDate,
    pub initial_term_months: u32,
    pub renewal: RenewalTerms,
    pub notice: Notice,
    pub document_urls: Vec<String>,
}

/// Raw contract fields as received.
#[derive(Debug, Clone)]
pub struct ContractFields {
    pub vendor_id: i64,
    pub project_ids: Vec<i64>,
    pub title: String,
    pub scope: Option<String>,
    pub contract_type: ContractType,
    pub currency: String,
    pub ceiling: Decimal,
    pub start_date: NaiveDate,
    pub initial_term_months: u32,
    pub renewal: RenewalTerms,
    pub notice: Notice,
    pub document_urls: Vec<String>,
}

impl ContractDraft {
    /// Validates raw fields, reporting every bad field at once.
    pub fn parse(fields: ContractFields) -> Result<Self, AppError> {
        let mut v = Validator::new();
        let title = v.check("title", required_text(&fields.title, 200));
        let scope = v
            .check("scope", optional_text(fields.scope.as_deref(), 10_000))
            .flatten();
        let currency = v.check("currency", Currency::parse(fields.currency.trim()));
        let ceiling = currency.and_then(|c| {
            v.check(
                "ceiling",
                Money::new(fields.ceiling, c)
                    .map_err(|e| e.to_string())
                    .and_then(|m| {
                        if m.amount().is_sign_negative() && !m.is_zero() {
                            Err(format!(
                                "{} is negative; a ceiling is zero or more",
                                m.amount()
                            ))
                        } else {
                            Ok(m)
                        }
                    }),
            )
        });
        if !(1..=600).contains(&fields.initial_term_months) {
            v.fail("initial_term_months", "must be 1 to 600 months");
        }
        match fields.renewal.kind {
            RenewalKind::None => {
                if fields.renewal.term_months.is_some() {
                    v.fail(
                        "renewal.term_months",
                        "only applies to a contract that renews",
                    );
                }
                if fields.renewal.max_renewals.is_some() {
                    v.fail(
                        "renewal.max_renewals",
                        "only applies to a contract that renews",
                    );
                }
            }
            RenewalKind::Automatic | RenewalKind::Explicit => match fields.renewal.term_months {
                None => v.fail(
                    "renewal.term_months",
                    "is required for a contract that renews",
                ),
                Some(months) if !(1..=120).contains(&months) => {
                    v.fail("renewal.term_months", "must be 1 to 120 months")
                }
                Some(_) => {}
            },
        }
        if fields.renewal.max_renewals.is_some_and(|m| m > 100) {
            v.fail("renewal.max_renewals", "must be at most 100");
        }
        let notice_limit = match fields.notice.unit {
            NoticeUnit::Months => 120,
            NoticeUnit::Days => 3_650,
        };
        if fields.notice.value > notice_limit {
            v.fail(
                "notice.value",
                format!(
                    "must be at most {notice_limit} {}",
                    fields.notice.unit.as_str()
                ),
            );
        }
        if fields.project_ids.len() > 50 {
            v.fail("project_ids", "at most 50 projects");
        }
        let mut project_ids = fields.project_ids.clone();
        project_ids.sort_unstable();
        project_ids.dedup();
        if fields.document_urls.len() > 20 {
            v.fail("document_urls", "at most 20 links");
        }
        let mut document_urls = Vec::with_capacity(fields.document_urls.len());
        for (i, raw) in fields.document_urls.iter().enumerate() {
            if let Some(link) = v.check(format!("document_urls[{i}]"), document_url(raw)) {
                document_urls.push(link);
            }
        }
        v.finish()?;
        let draft = Self {
            vendor_id: fields.vendor_id,
            project_ids,
            title: title.unwrap_or_default(),
            scope,
            contract_type: fields.contract_type,
            ceiling: ceiling.ok_or_else(|| AppError::invalid("ceiling", "is required"))?,
            start_date: fields.start_date,
            initial_term_months: fields.initial_term_months,
            renewal: fields.renewal,
            notice: fields.notice,
            document_urls,
        };
        // The whole schedule must be computable (dates inside the calendar).
        terms::term(
            &to_rules(
                draft.start_date,
                draft.initial_term_months,
                draft.renewal,
                draft.notice,
            ),
            0,
        )
        .map_err(|e| AppError::invalid("start_date", e))?;
        Ok(draft)
    }
}

/// A link to a signed document: an absolute http or https URL.
pub fn document_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    match url::Url::parse(trimmed) {
        Ok(parsed)
            if matches!(parsed.scheme(), "http" | "https")
                && parsed.host().is_some()
                && trimmed.len() <= 2_000 =>
        {
            Ok(parsed.to_string())
        }
        _ => Err(format!("`{trimmed}` is not an http or https link")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> ContractFields {
        ContractFields {
            vendor_id: 1,
            project_ids: vec![3, 1, 3],
            title: "Colocation".into(),
            scope: None,
            contract_type: ContractType::Framework,
            currency: "EUR".into(),
            ceiling: Decimal::new(25_000_000, 2),
            start_date: NaiveDate::from_ymd_opt(2027, 1, 1).expect("valid date"),
            initial_term_months: 36,
            renewal: RenewalTerms {
                kind: RenewalKind::Automatic,
                term_months: Some(12),
                max_renewals: Some(2),
            },
            notice: Notice {
                unit: NoticeUnit::Days,
                value: 90,
            },
            document_urls: vec!["https://dms.example.com/contracts/42.pdf".into()],
        }
    }

    #[test]
    fn a_valid_contract_parses() {
        let draft = ContractDraft::parse(fields()).expect("valid");
        assert_eq!(draft.project_ids, [1, 3]);
        assert_eq!(draft.ceiling.amount().to_string(), "250000.00");
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = fields();
        bad.title = " ".into();
        bad.currency = "eur".into();
        bad.initial_term_months = 0;
        bad.renewal.term_months = None;
        bad.notice = Notice {
            unit: NoticeUnit::Months,
            value: 500,
        };
        bad.document_urls = vec!["file:///etc/passwd".into()];
        let error = ContractDraft::parse(bad).unwrap_err();
        let fields: Vec<&str> = error
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "title",
                "currency",
                "initial_term_months",
                "renewal.term_months",
                "notice.value",
                "document_urls[0]"
            ]
        );
    }
}
