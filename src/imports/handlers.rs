//! `/api/v1/imports`: upload a spreadsheet (multipart), read a report, fetch its error
//! workbook.

use super::limits::Limits;
use super::model::{ImportKind, ImportReport, ImportStatus};
use super::read::CsvDialect;
use super::repo;
use super::service::{self, ImportRequest, ImportSettings};
use super::values::{DateFormat, TextRules};
use crate::auth::{Action, Actor};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::AppState;
use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpResponse, ResponseError};
use futures_util::StreamExt;
use serde_json::json;
use utoipa::ToSchema;

/// Registers the import endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_import)
        .service(get_import)
        .service(get_import_errors);
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The spreadsheet: xlsx, xlsm, xlsb, xls, ods or CSV (its content decides, not its name).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// What it holds: `vendors`, `budget_lines`, `fx_rates`, `purchase_orders`, `invoices`,
    /// `assets` or `sla_measurements`.
    kind: ImportKind,
    /// `true` to check every row and write nothing (default `false`).
    dry_run: Option<bool>,
    /// The sheet to read (default: the first whose header row fits the kind).
    sheet: Option<String>,
    /// The file's text date format besides YYYY-MM-DD: `DD/MM/YYYY`, `MM/DD/YYYY`,
    /// `DD.MM.YYYY`, `DD-MM-YYYY`, `YYYY/MM/DD` or `D MMM YYYY`.
    date_format: Option<String>,
    /// `true` when text numbers are written `1.234,56`.
    decimal_comma: Option<bool>,
    /// CSV only: the delimiter, one character (default `,`; `tab` for a tab).
    delimiter: Option<String>,
    /// CSV only: the encoding when not UTF-8 (`windows-1252`, `iso-8859-1`, …).
    encoding: Option<String>,
}

/// The action a kind of import needs: the same as creating its records through the API.
pub fn action_for(kind: ImportKind) -> Action {
    match kind {
        ImportKind::Vendors => Action::WriteVendors,
        ImportKind::BudgetLines => Action::WriteBudgets,
        ImportKind::FxRates => Action::WriteFxRates,
        ImportKind::PurchaseOrders => Action::WritePurchaseOrders,
        ImportKind::Invoices => Action::WriteInvoices,
        ImportKind::Assets => Action::WriteAssets,
        ImportKind::SlaMeasurements => Action::WriteContracts,
    }
}

fn bad_part(part: &str, message: impl std::fmt::Display) -> AppError {
    AppError::bad_request_field("invalid_upload", part, message)
}

/// The form's fields, as sent.
#[derive(Default)]
struct Form {
    file: Option<(String, Vec<u8>)>,
    fields: Vec<(String, String)>,
}

/// Most parts an upload may have: the file, `kind` and the six options, with room for a
/// client's extra. Only the file may be large, so the whole form stays bounded.
const MAX_PARTS: usize = 16;

/// Longest text part, in bytes.
const MAX_TEXT_PART: u64 = 4096;

async fn read_form(mut payload: Multipart, limits: &Limits) -> AppResult<Form> {
    let mut form = Form::default();
    let mut parts = 0;
    while let Some(part) = payload.next().await {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(bad_part(
                "body",
                format!("an import upload has at most {MAX_PARTS} parts: the file, kind and its options"),
            ));
        }
        let mut part = part
            .map_err(|e| bad_part("body", format!("not a valid multipart/form-data body: {e}")))?;
        let name = part.name().unwrap_or_default().to_string();
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let cap = if name == "file" {
            limits.max_bytes
        } else {
            MAX_TEXT_PART
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| bad_part(&name, format!("the upload broke off: {e}")))?;
            if (bytes.len() + chunk.len()) as u64 > cap {
                if name == "file" {
                    return Err(AppError::payload_too_large(limits.max_bytes as usize)
                        .with_context(json!({ "limit_bytes": limits.max_bytes })));
                }
                return Err(bad_part(&name, "is too long"));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => {
                if form.file.is_some() {
                    return Err(bad_part("file", "send one file per import"));
                }
                form.file = Some((file_name.unwrap_or_else(|| "upload".to_string()), bytes));
            }
            "" => return Err(bad_part("body", "every part needs a name")),
            other => {
                let text =
                    String::from_utf8(bytes).map_err(|_| bad_part(other, "is not UTF-8 text"))?;
                if form.fields.iter().any(|(n, _)| n == other) {
                    return Err(bad_part(other, "is given twice"));
                }
                form.fields
                    .push((other.to_string(), text.trim().to_string()));
            }
        }
    }
    Ok(form)
}

fn boolean(part: &str, text: &str) -> AppResult<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(bad_part(part, "must be true or false")),
    }
}

/// Reads the request's options; every bad one is reported at once.
fn request_of(form: Form) -> AppResult<ImportRequest> {
    let mut errors = Vec::new();
    let mut kind = None;
    let mut dry_run = false;
    let mut sheet = None;
    let mut rules = TextRules::default();
    let mut dialect = CsvDialect::default();
    for (name, value) in &form.fields {
        match name.as_str() {
            "kind" => match ImportKind::parse(value) {
                Some(k) => kind = Some(k),
                None => errors.push(FieldError::new("kind", format!("`{value}` is not a kind of import: vendors, budget_lines, fx_rates, purchase_orders, invoices, assets or sla_measurements"))),
            },
            "dry_run" => match boolean("dry_run", value) {
                Ok(b) => dry_run = b,
                Err(_) => errors.push(FieldError::new("dry_run", "must be true or false")),
            },
            "sheet" => sheet = Some(value.clone()).filter(|s| !s.is_empty()),
            "date_format" => match DateFormat::parse(value) {
                Some(format) => rules.date_format = Some(format),
                None => errors.push(FieldError::new("date_format", format!("`{value}` is not a date format Procura reads: DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, DD-MM-YYYY, YYYY/MM/DD or D MMM YYYY"))),
            },
            "decimal_comma" => match boolean("decimal_comma", value) {
                Ok(b) => rules.decimal_comma = b,
                Err(_) => errors.push(FieldError::new("decimal_comma", "must be true or false")),
            },
            "delimiter" => match delimiter(value) {
                Some(d) => dialect.delimiter = d,
                None => errors.push(FieldError::new("delimiter", "must be one character such as , ; | or tab")),
            },
            "encoding" => match encoding_rs::Encoding::for_label(value.as_bytes()) {
                Some(encoding) => dialect.encoding = Some(encoding),
                None => errors.push(FieldError::new("encoding", format!("`{value}` is not an encoding name (for example windows-1252)"))),
            },
            other => errors.push(FieldError::new(other, "is not a field of an import upload")),
        }
    }
    if kind.is_none() && !errors.iter().any(|e| e.field == "kind") {
        errors.push(FieldError::new("kind", "is required"));
    }
    if form.file.is_none() {
        errors.push(FieldError::new(
            "file",
            "is required: send the spreadsheet as the `file` part",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let (Some(kind), Some((file_name, bytes))) = (kind, form.file) else {
        return Err(AppError::invalid("file", "is required"));
    };
    Ok(ImportRequest {
        kind,
        file_name,
        bytes,
        dry_run,
        sheet,
        rules,
        dialect,
    })
}

/// A delimiter named by one ASCII character or `tab`.
pub fn delimiter(text: &str) -> Option<u8> {
    match text {
        "tab" | "\\t" | "\t" => Some(b'\t'),
        one if one.len() == 1
            && one.is_ascii()
            && !one.as_bytes()[0].is_ascii_alphanumeric()
            && one != "\"" =>
        {
            Some(one.as_bytes()[0])
        }
        _ => None,
    }
}

/// The response for a finished import: 201 committed, 200 validated (dry run), 422 rejected
/// (a problem document listing the bad cells, with the whole report in `context.report`).
pub fn respond(report: ImportReport) -> HttpResponse {
    let location = report.id.map(|id| format!("/api/v1/imports/{id}"));
    match report.status {
        ImportStatus::Committed => {
            let mut response = HttpResponse::Created();
            if let Some(location) = location {
                response.insert_header(("Location", location));
            }
            response.json(report)
        }
        ImportStatus::Validated => HttpResponse::Ok().json(report),
        ImportStatus::Rejected => {
            let errors = report
                .errors
                .iter()
                .take(100)
                .map(|e| {
                    let place = match &e.column {
                        Some(column) => format!("{}!{column}{}", e.sheet, e.row),
                        None => format!("{}!{}", e.sheet, e.row),
                    };
                    FieldError::new(place, format!("{} ({})", e.message, e.rule))
                })
                .collect();
            let detail = format!(
                "{} error{} in {}; nothing was imported{}",
                report.error_count,
                if report.error_count == 1 { "" } else { "s" },
                report.file_name,
                match &report.error_workbook {
                    Some(link) => format!(": the workbook with an error column is at {link}"),
                    None => String::new(),
                }
            );
            let mut response = AppError::unprocessable_fields("import_rejected", detail, errors)
                .with_context(json!({ "report": report }))
                .error_response();
            if let Some(value) =
                location.and_then(|l| actix_web::http::header::HeaderValue::from_str(&l).ok())
            {
                response
                    .headers_mut()
                    .insert(actix_web::http::header::LOCATION, value);
            }
            response
        }
    }
}

/// Import a spreadsheet.
///
/// Every row is checked (types, references, the domain's own rules) before anything is
/// written; then everything is written in one transaction through the same services as the
/// API, or nothing is. A file already imported (same SHA-256) is refused.
#[utoipa::path(
    tag = "imports",
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Committed: every row was valid and everything was written", body = ImportReport),
        (status = 200, description = "Dry run: every row is valid; nothing was written", body = ImportReport),
        (status = 409, description = "The same file was already imported (`duplicate_import`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than the limit", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/imports")]
pub async fn create_import(
    state: web::Data<AppState>,
    actor: Actor,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let limits = state.settings.import_limits;
    let form = read_form(payload, &limits).await?;
    let request = request_of(form)?;
    actor.require(action_for(request.kind))?;
    let settings = ImportSettings {
        limits,
        purchasing: state.settings.purchasing.clone(),
    };
    let db = state.db.clone();
    let report =
        web::block(move || service::run(&db, &actor, &settings, request, &super::kinds::Quiet))
            .await
            .map_err(AppError::internal)??;
    Ok(respond(report))
}

fn check_access(actor: &Actor, report: &ImportReport) -> AppResult<()> {
    actor.require(action_for(report.kind))
}

/// Read an import's report.
#[utoipa::path(
    tag = "imports",
    params(("id" = i64, Path, description = "Import id")),
    responses((status = 200, description = "The report", body = ImportReport))
)]
#[get("/imports/{id}")]
pub async fn get_import(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let report = state
        .db
        .read(move |conn| repo::find(conn, id)?.ok_or_else(|| AppError::not_found("import", id)))
        .await?;
    check_access(&actor, &report)?;
    Ok(HttpResponse::Ok().json(report))
}

/// Download an import's error workbook: the sheet as uploaded, bad cells shaded, an error
/// column, and a sheet listing every error.
#[utoipa::path(
    tag = "imports",
    params(("id" = i64, Path, description = "Import id")),
    responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
)]
#[get("/imports/{id}/errors.xlsx")]
pub async fn get_import_errors(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let (report, workbook) = state
        .db
        .read(move |conn| {
            let report = repo::find(conn, id)?.ok_or_else(|| AppError::not_found("import", id))?;
            let workbook = repo::error_workbook(conn, id)?.flatten();
            Ok((report, workbook))
        })
        .await?;
    check_access(&actor, &report)?;
    let Some(bytes) = workbook else {
        return Err(AppError::not_found("error workbook of import", id));
    };
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"import-{id}-errors.xlsx\""),
        ))
        .body(bytes))
}
