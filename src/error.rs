//! The one application error: every failure leaves Procura as an RFC 9457
//! `application/problem+json` body with a stable machine `code`, a human `detail` and, for
//! validation, the list of fields at fault.
//!
//! Client mistakes are 4xx and say which field broke which rule. A 500 says nothing internal:
//! its cause chain is logged once, here at the edge.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// One field that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Where the problem is: a JSON path into the body (`months[2].amount`), a query parameter
    /// or a header name.
    pub field: String,
    /// What rule was broken, in words.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// The problem document sent for every error (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:procura:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// A stable machine-readable code, such as `validation_failed` or `version_conflict`.
    pub code: String,
    /// What went wrong in this occurrence, for a person.
    pub detail: String,
    /// The fields at fault (validation problems only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extra facts about this problem (for example the current `version` on a conflict).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
}

/// The application error. Build it with the constructors; the status and code follow from them.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    context: Option<serde_json::Value>,
    cause: Option<anyhow::Error>,
}

/// Results across the service.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            context: None,
            cause: None,
        }
    }

    /// 422 `validation_failed`: one field broke one rule.
    pub fn invalid(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Self::invalid_fields(vec![FieldError::new(field, message)])
    }

    /// 422 `validation_failed` for several fields at once.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                detail,
            )
        }
    }

    /// 422 with a specific code: well-formed, but the data needed to do it is missing or wrong
    /// (for example no FX rate for a pair and date).
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// 400 with a specific code: the request itself is malformed (bad JSON, bad query string).
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 400 naming the part of the request at fault.
    pub fn bad_request_field(
        code: &'static str,
        field: impl Into<String>,
        message: impl fmt::Display,
    ) -> Self {
        let error = FieldError::new(field, message);
        Self {
            errors: vec![error.clone()],
            ..Self::new(
                StatusCode::BAD_REQUEST,
                code,
                format!("{}: {}", error.field, error.message),
            )
        }
    }

    /// 404 `not_found`.
    pub fn not_found(entity: &str, id: impl fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{entity} {id} does not exist"),
        )
    }

    /// 409 with a specific code: the request conflicts with the current state.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 409 `version_conflict`: an update named a version that is no longer current.
    pub fn version_conflict(entity: &str, id: i64, given: i64, current: i64) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "version_conflict",
            format!(
                "{entity} {id} is at version {current}, not {given}: it changed since you read it; read it again and reapply your change"
            ),
        )
        .with_context(serde_json::json!({ "current_version": current, "given_version": given }))
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403 `forbidden`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 403 `segregation_of_duties`: the role may do this, but not this person on this record
    /// (a requester approving their own request).
    pub fn segregation_of_duties(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "segregation_of_duties", detail)
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than the limit of {limit} bytes"),
        )
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type(found: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("the body must be sent as application/json, not `{found}`"),
        )
    }

    /// 503 `unavailable`: a dependency (the database) is not answering; retry later.
    pub fn unavailable(cause: anyhow::Error) -> Self {
        Self {
            cause: Some(cause),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is not available right now; retry shortly",
            )
        }
    }

    /// 500 `internal_error`: the body reveals nothing, the cause is logged.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "an unexpected error occurred; it has been logged",
            )
        }
    }

    /// Adds facts a client can act on (current version, amounts over budget).
    pub fn with_context(mut self, context: serde_json::Value) -> Self {
        self.context = Some(context);
        self
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The fields at fault.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The extra facts, if any.
    pub fn context(&self) -> Option<&serde_json::Value> {
        self.context.as_ref()
    }

    /// 422 with a specific code listing the cells or fields at fault.
    pub fn unprocessable_fields(
        code: &'static str,
        detail: impl Into<String>,
        errors: Vec<FieldError>,
    ) -> Self {
        Self {
            errors,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:procura:problem:{}", self.code),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            code: self.code.to_string(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
            context: self.context.clone(),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause:#})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            // The whole chain, once, at the edge; the body says nothing internal.
            tracing::error!(
                code = self.code,
                status = self.status.as_u16(),
                "request failed: {cause:?}"
            );
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}

impl From<crate::money::MoneyError> for AppError {
    fn from(error: crate::money::MoneyError) -> Self {
        AppError::invalid("amount", error)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &error {
            Error::NotFound => AppError::new(StatusCode::NOT_FOUND, "not_found", "the record does not exist"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                let (code, detail) = unique_violation(info.table_name(), info.message());
                AppError::conflict(code, detail)
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => AppError::conflict(
                "reference_violation",
                "the change refers to a record that does not exist, or removes one that others refer to",
            ),
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::unavailable(anyhow::Error::new(error))
            }
            Error::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().contains("database is locked") || info.message().contains("database is busy") =>
            {
                AppError::unavailable(anyhow::anyhow!("{}", info.message()))
            }
            _ => AppError::internal(error),
        }
    }
}

/// The code and words for a unique-key violation that a service's own check did not catch
/// (two requests racing to create the same thing): named by table, never by the database's
/// message, which would leak constraint names.
fn unique_violation(table: Option<&str>, message: &str) -> (&'static str, &'static str) {
    // PostgreSQL names the table; SQLite says "UNIQUE constraint failed: vendors.tax_id".
    let table = table.unwrap_or_else(|| {
        message
            .rsplit(": ")
            .next()
            .and_then(|columns| columns.split('.').next())
            .unwrap_or_default()
    });
    match table {
        "vendors" => ("duplicate_tax_id", "another vendor already has this tax id"),
        "projects" => (
            "duplicate_project_code",
            "another project already has this code",
        ),
        "budget_lines" => (
            "duplicate_budget_line",
            "the project already has a line for this category and cost center",
        ),
        "fx_rates" => (
            "duplicate_fx_rate",
            "a rate for this pair and date already exists",
        ),
        "contract_change_orders" => (
            "change_order_race",
            "another change order was proposed for this contract at the same moment; retry",
        ),
        "slas" => (
            "duplicate_sla",
            "the contract already has an SLA with this name",
        ),
        "sla_measurements" => ("duplicate_measurement", "this period is already recorded"),
        "invoices" => (
            "duplicate_invoice",
            "the vendor already has an invoice with this number",
        ),
        "receipts" => (
            "already_returned",
            "this receipt was returned at the same moment by another request",
        ),
        "purchase_order_approvals" => (
            "already_approved",
            "this approver approved the purchase order at the same moment; reload it",
        ),
        "idempotency_keys" => (
            IDEMPOTENCY_RACE,
            "another request with the same Idempotency-Key is being processed; retry",
        ),
        _ => (
            "duplicate",
            "a record with the same unique value already exists",
        ),
    }
}

/// The code of a lost race between two requests with one idempotency key (retried once).
pub const IDEMPOTENCY_RACE: &str = "idempotency_key_in_use";

impl From<r2d2::Error> for AppError {
    fn from(error: r2d2::Error) -> Self {
        AppError::unavailable(anyhow::Error::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn internal_errors_reveal_nothing() {
        let error = AppError::internal(anyhow::anyhow!("password=hunter2 at /srv/db"));
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response
            .into_body()
            .try_into_bytes()
            .expect("in-memory body");
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("hunter2") && !text.contains("/srv/db"),
            "{text}"
        );
        assert!(text.contains("\"code\":\"internal_error\""));
    }

    #[test]
    fn unique_violations_are_named_by_table_on_both_engines() {
        assert_eq!(
            unique_violation(Some("vendors"), "duplicate key").0,
            "duplicate_tax_id"
        );
        assert_eq!(
            unique_violation(None, "UNIQUE constraint failed: projects.code").0,
            "duplicate_project_code"
        );
        assert_eq!(
            unique_violation(
                None,
                "UNIQUE constraint failed: budget_lines.project_id, budget_lines.category"
            )
            .0,
            "duplicate_budget_line"
        );
        assert_eq!(unique_violation(None, "something else").0, "duplicate");
    }

    #[test]
    fn validation_names_the_field() {
        let problem = AppError::invalid("months[1].amount", "must not be negative").problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.detail, "months[1].amount: must not be negative");
        assert_eq!(problem.errors[0].field, "months[1].amount");
    }
}
