use crate::error::AppError;
use crate::money::{storage, Currency};
use crate::validate::{email, optional_text, required_text, Validator};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    /// Not started.
    Planned,
    /// Running.
    Active,
    /// Paused.
    OnHold,
    /// Work done; closeout may follow.
    Completed,
    /// Closed out: its figures are frozen and it and its documents are read-only. Set only by
    /// `POST /projects/{id}/close`; left only by `POST /projects/{id}/reopen`.
    Closed,
}

impl ProjectStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Planned => "planned",
            ProjectStatus::Active => "active",
            ProjectStatus::OnHold => "on_hold",
            ProjectStatus::Completed => "completed",
            ProjectStatus::Closed => "closed",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            ProjectStatus::Planned,
            ProjectStatus::Active,
            ProjectStatus::OnHold,
            ProjectStatus::Completed,
            ProjectStatus::Closed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// What happens when approving a purchase order would take a budget line past its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetPolicy {
    /// Approve, and raise an alert.
    Warn,
    /// Refuse the approval (409 with the figures).
    Block,
    /// Refuse unless a budget approver (finance or admin) gives an override reason.
    Override,
}

impl BudgetPolicy {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetPolicy::Warn => "warn",
            BudgetPolicy::Block => "block",
            BudgetPolicy::Override => "override",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            BudgetPolicy::Warn,
            BudgetPolicy::Block,
            BudgetPolicy::Override,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }
}

/// A project as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Project {
    /// The project's id.
    pub id: i64,
    /// Unique code, upper case.
    #[schema(example = "DC-MOVE-2027")]
    pub code: String,
    /// Name.
    #[schema(example = "Data-centre move 2027")]
    pub name: String,
    /// ISO 4217 currency of its budget.
    #[schema(value_type = String, example = "EUR")]
    pub currency: String,
    /// `planned`, `active`, `on_hold`, `completed` or `closed` (by the closeout only).
    pub status: ProjectStatus,
    /// Project manager's name.
    pub pm_name: Option<String>,
    /// Project manager's email (budget alerts go here).
    pub pm_email: Option<String>,
    /// Finance owner's name.
    pub finance_owner_name: Option<String>,
    /// Finance owner's email (budget alerts go here).
    pub finance_owner_email: Option<String>,
    /// First day of the project.
    pub start_date: Option<NaiveDate>,
    /// Last day of the project.
    pub end_date: Option<NaiveDate>,
    /// Budget-use percentages that raise alerts, ascending, as decimal strings.
    #[schema(example = json!(["80", "90", "100"]))]
    pub alert_thresholds: Vec<String>,
    /// What a purchase-order approval that breaks a budget line does: `warn`, `block` or
    /// `override`.
    pub budget_policy: BudgetPolicy,
    /// When the project was archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Changes with every update; send it back to update.
    pub version: i64,
    /// When the project was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When the project last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl Project {
    /// The project's currency.
    pub fn currency(&self) -> Result<Currency, AppError> {
        Currency::parse(&self.currency).map_err(AppError::internal)
    }
}

/// The editable facts of a project, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectDraft {
    pub code: String,
    pub name: String,
    pub currency: Currency,
    pub status: ProjectStatus,
    pub pm_name: Option<String>,
    pub pm_email: Option<String>,
    pub finance_owner_name: Option<String>,
    pub finance_owner_email: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub alert_thresholds: Vec<Decimal>,
    pub budget_policy: BudgetPolicy,
}

/// Raw project fields as received, before validation.
#[derive(Debug, Clone, Default)]
pub struct ProjectFields {
    pub code: String,
    pub name: String,
    pub currency: String,
    pub status: Option<ProjectStatus>,
    pub pm_name: Option<String>,
    pub pm_email: Option<String>,
    pub finance_owner_name: Option<String>,
    pub finance_owner_email: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub alert_thresholds: Option<Vec<Decimal>>,
    pub budget_policy: Option<BudgetPolicy>,
}

/// Requested changes; `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProjectChanges {
    pub code: Option<String>,
    pub name: Option<String>,
    pub currency: Option<String>,
    pub status: Option<ProjectStatus>,
    pub pm_name: Option<Option<String>>,
    pub pm_email: Option<Option<String>>,
    pub finance_owner_name: Option<Option<String>>,
    pub finance_owner_email: Option<Option<String>>,
    pub start_date: Option<Option<NaiveDate>>,
    pub end_date: Option<Option<NaiveDate>>,
    pub alert_thresholds: Option<Vec<Decimal>>,
    pub budget_policy: Option<BudgetPolicy>,
}

/// The default alert thresholds: 80, 90 and 100 % of budget.
pub fn default_thresholds() -> Vec<Decimal> {
    vec![Decimal::from(80), Decimal::from(90), Decimal::from(100)]
}

impl ProjectDraft {
    /// Validates raw fields, reporting every bad field at once.
    pub fn parse(fields: ProjectFields) -> Result<Self, AppError> {
        let mut v = Validator::new();
        let code = v.check("code", normalize_code(&fields.code));
        let name = v.check("name", required_text(&fields.name, 200));
        let currency = v.check("currency", Currency::parse(fields.currency.trim()));
        let pm_name = v.check("pm_name", optional_text(fields.pm_name.as_deref(), 200));
        let pm_email = v.check(
            "pm_email",
            fields.pm_email.as_deref().map(email).transpose(),
        );
        let finance_owner_name = v.check(
            "finance_owner_name",
            optional_text(fields.finance_owner_name.as_deref(), 200),
        );
        let finance_owner_email = v.check(
            "finance_owner_email",
            fields.finance_owner_email.as_deref().map(email).transpose(),
        );
        if let (Some(start), Some(end)) = (fields.start_date, fields.end_date) {
            if end < start {
                v.fail(
                    "end_date",
                    format!("{end} is before the start date {start}"),
                );
            }
        }
        if fields.status == Some(ProjectStatus::Closed) {
            v.fail(
                "status",
                "a project is closed by POST /projects/{id}/close, which checks its loose ends",
            );
        }
        let thresholds = fields.alert_thresholds.unwrap_or_else(default_thresholds);
        v.check("alert_thresholds", check_thresholds(&thresholds));
        v.finish()?;
        Ok(Self {
            code: code.unwrap_or_default(),
            name: name.unwrap_or_default(),
            currency: currency.ok_or_else(|| AppError::invalid("currency", "is required"))?,
            status: fields.status.unwrap_or(ProjectStatus::Active),
            pm_name: pm_name.flatten(),
            pm_email: pm_email.flatten(),
            finance_owner_name: finance_owner_name.flatten(),
            finance_owner_email: finance_owner_email.flatten(),
            start_date: fields.start_date,
            end_date: fields.end_date,
            alert_thresholds: thresholds,
            budget_policy: fields.budget_policy.unwrap_or(BudgetPolicy::Block),
        })
    }

    /// This draft with `changes` applied, validated again as a whole.
    pub fn apply(project: &Project, changes: ProjectChanges) -> Result<Self, AppError> {
        let current_thresholds = parse_thresholds(&project.alert_thresholds)?;
        Self::parse(ProjectFields {
            code: changes.code.unwrap_or_else(|| project.code.clone()),
            name: changes.name.unwrap_or_else(|| project.name.clone()),
            currency: changes.currency.unwrap_or_else(|| project.currency.clone()),
            status: Some(changes.status.unwrap_or(project.status)),
            pm_name: changes.pm_name.unwrap_or_else(|| project.pm_name.clone()),
            pm_email: changes.pm_email.unwrap_or_else(|| project.pm_email.clone()),
            finance_owner_name: changes
                .finance_owner_name
                .unwrap_or_else(|| project.finance_owner_name.clone()),
            finance_owner_email: changes
                .finance_owner_email
                .unwrap_or_else(|| project.finance_owner_email.clone()),
            start_date: changes.start_date.unwrap_or(project.start_date),
            end_date: changes.end_date.unwrap_or(project.end_date),
            alert_thresholds: Some(changes.alert_thresholds.unwrap_or(current_thresholds)),
            budget_policy: Some(changes.budget_policy.unwrap_or(project.budget_policy)),
        })
    }
}

/// Normalises a project code: trimmed, upper case, 1 to 32 of letters, digits, `-`, `_`, `.`.
pub fn normalize_code(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_uppercase();
    let valid = !code.is_empty()
        && code.len() <= 32
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(code)
    } else {
        Err(format!(
            "`{raw}` is not a project code: 1 to 32 letters, digits, `-`, `_` or `.`"
        ))
    }
}

/// Thresholds must be strictly ascending, above 0 and at most 1000 %; at most 10 of them.
pub fn check_thresholds(thresholds: &[Decimal]) -> Result<(), String> {
    if thresholds.len() > 10 {
        return Err("at most 10 thresholds".to_string());
    }
    let thousand = Decimal::from(1000);
    if let Some(bad) = thresholds
        .iter()
        .find(|t| **t <= Decimal::ZERO || **t > thousand)
    {
        return Err(format!(
            "{bad} is not a percentage above 0 and at most 1000"
        ));
    }
    if thresholds.windows(2).any(|w| w[0] >= w[1]) {
        return Err("thresholds must be strictly ascending, such as 80, 90, 100".to_string());
    }
    Ok(())
}

/// Stored text of thresholds: `80,90,100`.
pub fn thresholds_to_text(thresholds: &[Decimal]) -> String {
    thresholds
        .iter()
        .map(|t| storage::decimal_to_text(*t))
        .collect::<Vec<_>>()
        .join(",")
}

/// Thresholds read back from their stored text or their shown strings.
pub fn parse_thresholds<S: AsRef<str>>(texts: &[S]) -> Result<Vec<Decimal>, AppError> {
    texts
        .iter()
        .map(|t| storage::decimal_from_text(t.as_ref()).map_err(AppError::internal))
        .collect()
}

/// Every calendar month from `start` to `end`, inclusive, as `YYYY-MM`.
pub fn months_between(start: NaiveDate, end: NaiveDate) -> Vec<String> {
    use chrono::Datelike;
    let mut months = Vec::new();
    let (mut year, mut month) = (start.year(), start.month());
    while (year, month) <= (end.year(), end.month()) {
        months.push(format!("{year:04}-{month:02}"));
        if month == 12 {
            year += 1;
            month = 1;
        } else {
            month += 1;
        }
    }
    months
}

/// Whether a PM token with this name acts for the project: when the project names a PM
/// (`pm_name`, compared without case or surrounding spaces) only that PM does; a project without
/// a named PM accepts any PM. Other roles are judged by the permission table alone.
pub fn acts_as_pm(project: &Project, role: crate::auth::Role, name: &str) -> bool {
    role != crate::auth::Role::Pm
        || project
            .pm_name
            .as_deref()
            .is_none_or(|pm| pm.trim().eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("valid date")
    }

    #[test]
    fn months_cover_both_ends() {
        assert_eq!(
            months_between(date("2026-11-30"), date("2027-02-01")),
            ["2026-11", "2026-12", "2027-01", "2027-02"]
        );
        assert_eq!(
            months_between(date("2026-05-01"), date("2026-05-31")),
            ["2026-05"]
        );
    }

    #[test]
    fn thresholds_are_checked() {
        let d = |n: i64| Decimal::from(n);
        assert!(check_thresholds(&[d(80), d(90), d(100)]).is_ok());
        assert!(check_thresholds(&[d(90), d(80)]).is_err());
        assert!(check_thresholds(&[d(0)]).is_err());
        assert!(check_thresholds(&[d(1001)]).is_err());
        assert_eq!(thresholds_to_text(&default_thresholds()), "80,90,100");
    }

    #[test]
    fn drafts_report_every_bad_field() {
        let error = ProjectDraft::parse(ProjectFields {
            code: "bad code!".into(),
            name: String::new(),
            currency: "usd".into(),
            start_date: Some(date("2026-05-01")),
            end_date: Some(date("2026-04-30")),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<&str> = error
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["code", "name", "currency", "end_date"]);
    }
}
