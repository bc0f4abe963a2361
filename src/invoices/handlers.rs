//! `/api/v1/invoices` and `/api/v1/match-tolerances`: HTTP, DTOs and OpenAPI.

use super::model::{Invoice, InvoiceKind, InvoiceStatus};
use super::repo::InvoiceFilter;
use super::service::{self, InvoiceInput, InvoiceLineInput, InvoiceStep};
use super::tolerances::{self, ToleranceInput, ToleranceView};
use crate::auth::{Action, Actor, Caller};
use crate::error::AppResult;
use crate::http::extract::{IdempotencyKey, JsonBody, Query};
use crate::http::responses::{expected_version, ok_resource, Page, Resource};
use crate::http::AppState;
use crate::idempotency;
use crate::money::json::JsonDecimal;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Registers the invoice endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_invoices)
        .service(create_invoice)
        .service(get_invoice)
        .service(release_invoice)
        .service(reject_invoice)
        .service(approve_invoice)
        .service(pay_invoice)
        .service(list_match_tolerances)
        .service(set_match_tolerance);
}

impl Resource for Invoice {
    fn location(&self) -> String {
        format!("/api/v1/invoices/{}", self.id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// A line of an invoice or credit memo.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceLineBody {
    /// The PO line it bills (three-way match).
    pub po_line_id: Option<i64>,
    /// The milestone it bills (two-way match); then `budget_line_id` is required.
    pub milestone_id: Option<i64>,
    /// The budget line charged: required for milestone lines and lines without a reference,
    /// taken from the PO line otherwise.
    pub budget_line_id: Option<i64>,
    /// What is billed (default: the PO line's or milestone's).
    pub description: Option<String>,
    /// Quantity, more than zero (1 for a milestone).
    pub quantity: JsonDecimal,
    /// Unit price, zero or more, up to 6 decimal places (positive on credit memos too).
    pub unit_price: JsonDecimal,
    /// Tax rate in percent (default 0).
    pub tax_percent: Option<JsonDecimal>,
}

/// A new invoice or credit memo.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceBody {
    /// The vendor.
    pub vendor_id: i64,
    /// The vendor's invoice number.
    #[schema(min_length = 1, max_length = 64)]
    pub number: String,
    /// `invoice` (default) or `credit_memo`.
    pub kind: Option<InvoiceKind>,
    /// The approved invoice a credit memo credits.
    pub original_invoice_id: Option<i64>,
    /// The SLA period whose receivable service credit a credit memo applies (its net total must
    /// equal the credit); approving the memo marks the credit `applied`.
    pub sla_measurement_id: Option<i64>,
    /// The invoice date (its FX date).
    pub invoice_date: NaiveDate,
    /// When payment is due.
    pub due_date: Option<NaiveDate>,
    /// ISO 4217 currency (the PO's or contract's).
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// One to 500 lines.
    pub lines: Vec<InvoiceLineBody>,
}

/// An invoice move: the version you read and a reason (release and reject).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceDecision {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// Why: required to release a hold or reject.
    pub reason: Option<String>,
}

/// A payment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    /// Amount paid, in the invoice's currency; at most what is still unpaid.
    pub amount: JsonDecimal,
    /// When (default today, UTC).
    pub paid_on: Option<NaiveDate>,
    /// Bank or remittance reference.
    pub reference: Option<String>,
}

/// Filters for the invoice list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// Only invoices in this status.
    pub status: Option<InvoiceStatus>,
    /// Only invoices from this vendor.
    pub vendor_id: Option<i64>,
    /// Only invoices or only credit memos.
    pub kind: Option<InvoiceKind>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List invoices and credit memos, by id.
#[utoipa::path(tag = "invoices", params(InvoiceQuery), responses((status = 200, description = "A page of invoices", body = Page<Invoice>)))]
#[get("/invoices")]
pub async fn list_invoices(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<InvoiceQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let window = caller
        .page(
            &state.db,
            Action::ReadPurchasing,
            query.limit,
            query.cursor.as_deref(),
        )
        .await?;
    let filter = InvoiceFilter {
        status: query.status.map(|s| s.as_str().to_string()),
        vendor_id: query.vendor_id,
        kind: query.kind.map(|k| k.as_str().to_string()),
    };
    let page = caller
        .read(&state.db, Action::ReadPurchasing, move |conn| {
            service::list(conn, &filter, window)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Record an invoice or credit memo. Each line is matched (three-way against its PO line and
/// receipts, two-way against an accepted milestone) within tolerances; duplicates by number
/// are refused and by vendor, total and date held. The result is `matched` or `on_hold` with
/// every reason.
#[utoipa::path(
    tag = "invoices",
    request_body = InvoiceBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body return the first response")),
    responses((status = 201, description = "Recorded and matched", body = Invoice))
)]
#[post("/invoices")]
pub async fn create_invoice(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteInvoices)?;
    let input: InvoiceBody = body.parse()?;
    let input = InvoiceInput {
        vendor_id: input.vendor_id,
        number: input.number,
        kind: input.kind.unwrap_or(InvoiceKind::Invoice),
        original_invoice_id: input.original_invoice_id,
        sla_measurement_id: input.sla_measurement_id,
        invoice_date: input.invoice_date,
        due_date: input.due_date,
        currency: input.currency,
        lines: input
            .lines
            .into_iter()
            .map(|l| InvoiceLineInput {
                po_line_id: l.po_line_id,
                milestone_id: l.milestone_id,
                budget_line_id: l.budget_line_id,
                description: l.description,
                quantity: l.quantity.0,
                unit_price: l.unit_price.0,
                tax_percent: l.tax_percent.map(|t| t.0).unwrap_or_default(),
            })
            .collect(),
    };
    let rules = state.settings.purchasing.clone();
    let by = actor.clone();
    idempotency::create(&state, &actor, key, &req, &body, move |tx| {
        service::create(tx, &by, &rules, input)
    })
    .await
}

/// Read an invoice with its lines, matches, holds and payments.
#[utoipa::path(tag = "invoices", params(("id" = i64, Path, description = "Invoice id")), responses((status = 200, description = "The invoice", body = Invoice)))]
#[get("/invoices/{id}")]
pub async fn get_invoice(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let invoice = caller
        .lookup(&state.db, Action::ReadPurchasing, move |conn| {
            service::get(conn, id)
        })
        .await?;
    Ok(ok_resource(&invoice))
}

async fn move_invoice(
    state: web::Data<AppState>,
    actor: Actor,
    id: i64,
    req: HttpRequest,
    body: JsonBody,
    step: fn(Option<String>) -> InvoiceStep,
) -> AppResult<HttpResponse> {
    actor.require(Action::ApproveInvoices)?;
    let input: InvoiceDecision = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let step = step(input.reason);
    let invoice = state
        .db
        .write(move |tx| service::step(tx, &actor, id, version, step))
        .await?;
    Ok(ok_resource(&invoice))
}

/// Release a held invoice, with a reason: it becomes `matched` and may be approved.
#[utoipa::path(tag = "invoices", params(("id" = i64, Path, description = "Invoice id")), request_body = InvoiceDecision, responses((status = 200, description = "Released", body = Invoice)))]
#[post("/invoices/{id}/release")]
pub async fn release_invoice(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    move_invoice(state, actor, id.into_inner(), req, body, |reason| {
        InvoiceStep::Release {
            reason: reason.unwrap_or_default(),
        }
    })
    .await
}

/// Reject an invoice, with a reason.
#[utoipa::path(tag = "invoices", params(("id" = i64, Path, description = "Invoice id")), request_body = InvoiceDecision, responses((status = 200, description = "Rejected", body = Invoice)))]
#[post("/invoices/{id}/reject")]
pub async fn reject_invoice(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    move_invoice(state, actor, id.into_inner(), req, body, |reason| {
        InvoiceStep::Reject {
            reason: reason.unwrap_or_default(),
        }
    })
    .await
}

/// Approve a matched invoice (never by whoever recorded it): its lines post as actuals and
/// release the matching commitments, in one transaction.
#[utoipa::path(tag = "invoices", params(("id" = i64, Path, description = "Invoice id")), request_body = InvoiceDecision, responses((status = 200, description = "Approved", body = Invoice)))]
#[post("/invoices/{id}/approve")]
pub async fn approve_invoice(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    move_invoice(state, actor, id.into_inner(), req, body, |_| {
        InvoiceStep::Approve
    })
    .await
}

/// Record a payment against an approved invoice; the last one makes it `paid`.
#[utoipa::path(tag = "invoices", params(("id" = i64, Path, description = "Invoice id")), request_body = PaymentBody, responses((status = 201, description = "Recorded", body = Invoice)))]
#[post("/invoices/{id}/payments")]
pub async fn pay_invoice(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteInvoices)?;
    let input: PaymentBody = body.parse()?;
    let id = id.into_inner();
    let paid_on = input.paid_on.unwrap_or_else(|| Utc::now().date_naive());
    let invoice = state
        .db
        .write(move |tx| service::pay(tx, &actor, id, input.amount.0, paid_on, input.reference))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", invoice.location()))
        .json(invoice))
}

/// The matching tolerances in force: global first, then vendor and contract overrides.
#[utoipa::path(tag = "invoices", responses((status = 200, description = "Tolerances", body = Vec<ToleranceView>)))]
#[get("/match-tolerances")]
pub async fn list_match_tolerances(
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<HttpResponse> {
    let list = caller
        .read(&state.db, Action::ReadPurchasing, tolerances::list)
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A tolerance to set.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToleranceBody {
    /// Set this vendor's tolerance (leave both ids out for the global one).
    pub vendor_id: Option<i64>,
    /// Set this contract's tolerance.
    pub contract_id: Option<i64>,
    /// Unit-price excess allowed, percent of the PO price (0 to 100).
    pub price_percent: Option<JsonDecimal>,
    /// Unit-price excess allowed per unit.
    pub price_absolute: Option<JsonDecimal>,
    /// Quantity excess allowed, percent of the quantity allowed (0 to 100).
    pub quantity_percent: Option<JsonDecimal>,
    /// Quantity excess allowed, in units.
    pub quantity_absolute: Option<JsonDecimal>,
}

/// Set the global, a vendor's or a contract's tolerance. A limit left out is not set; an
/// excess is held when it exceeds any limit that is set, and with none set for price (or
/// quantity) any excess is held. Exactly at a limit passes.
#[utoipa::path(tag = "invoices", request_body = ToleranceBody, responses((status = 200, description = "Tolerances now in force", body = Vec<ToleranceView>)))]
#[put("/match-tolerances")]
pub async fn set_match_tolerance(
    state: web::Data<AppState>,
    actor: Actor,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteTolerances)?;
    let input: ToleranceBody = body.parse()?;
    let input = ToleranceInput {
        vendor_id: input.vendor_id,
        contract_id: input.contract_id,
        price_percent: input.price_percent.map(|d| d.0),
        price_absolute: input.price_absolute.map(|d| d.0),
        quantity_percent: input.quantity_percent.map(|d| d.0),
        quantity_absolute: input.quantity_absolute.map(|d| d.0),
    };
    let list = state
        .db
        .write(move |tx| tolerances::put(tx, &actor, input))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
