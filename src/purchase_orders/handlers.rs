//! `/api/v1/purchase-orders`: HTTP, DTOs and OpenAPI.

use super::model::{PoStatus, PurchaseOrder, RevisionRecord};
use super::receipts::{self, OverdueVendor, Receipt, ReceiptInput};
use super::repo::PoFilter;
use super::revisions::{self, RevisedLineInput, RevisionInput};
use super::service::{self, PoInput, PoLineInput, PoStep};
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

/// Registers the purchase-order endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The overdue report is registered before `/purchase-orders/{id}` so that its literal path
    // is matched first.
    cfg.service(overdue_deliveries)
        .service(list_purchase_orders)
        .service(create_purchase_order)
        .service(get_purchase_order)
        .service(update_purchase_order)
        .service(submit_purchase_order)
        .service(approve_purchase_order)
        .service(reject_purchase_order)
        .service(issue_purchase_order)
        .service(cancel_purchase_order)
        .service(close_purchase_order)
        .service(revise_purchase_order)
        .service(list_purchase_order_revisions)
        .service(list_receipts)
        .service(create_receipt)
        .service(get_receipt)
        .service(return_receipt);
}

impl Resource for PurchaseOrder {
    fn location(&self) -> String {
        format!("/api/v1/purchase-orders/{}", self.id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// A line of a purchase order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderLineInput {
    /// What is bought.
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// How many: more than zero, up to 6 decimal places (whole units for asset lines).
    pub quantity: JsonDecimal,
    /// Unit of measure (`each`, `hour`, `month`…).
    #[schema(min_length = 1, max_length = 20)]
    pub unit: String,
    /// Price per unit in the PO's currency, zero or more, up to 6 decimal places.
    pub unit_price: JsonDecimal,
    /// Tax rate in percent, 0 to 100 (default 0).
    pub tax_percent: Option<JsonDecimal>,
    /// The budget line it is charged to (of the PO's project).
    pub budget_line_id: i64,
    /// Each received unit becomes a tagged asset (default false).
    #[serde(default)]
    pub is_asset: bool,
    /// Asset category (required for asset lines), used in tags and the register.
    pub asset_category: Option<String>,
    /// When the vendor promised delivery.
    pub promised_date: Option<NaiveDate>,
}

/// A purchase order: new, or the full new content of a draft (with its `version`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderInput {
    /// The version you read (updates only; or send `If-Match`).
    pub version: Option<i64>,
    /// The vendor (active, not archived).
    pub vendor_id: i64,
    /// The project paying (its currency is the budget's currency).
    pub project_id: i64,
    /// The contract it is ordered under: same vendor, serving the project, in force on the
    /// order date, same currency; its ceiling is checked at approval.
    pub contract_id: Option<i64>,
    /// ISO 4217 currency of the PO.
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// The order date: its FX rate converts the PO into the budget's currency.
    pub order_date: NaiveDate,
    /// Free text.
    pub notes: Option<String>,
    /// One to 500 lines.
    pub lines: Vec<PurchaseOrderLineInput>,
}

impl PurchaseOrderLineInput {
    fn into_input(self) -> PoLineInput {
        PoLineInput {
            description: self.description,
            quantity: self.quantity.0,
            unit: self.unit,
            unit_price: self.unit_price.0,
            tax_percent: self.tax_percent.map(|t| t.0).unwrap_or_default(),
            budget_line_id: self.budget_line_id,
            is_asset: self.is_asset,
            asset_category: self.asset_category,
            promised_date: self.promised_date,
        }
    }
}

impl PurchaseOrderInput {
    fn into_input(self) -> PoInput {
        PoInput {
            vendor_id: self.vendor_id,
            project_id: self.project_id,
            contract_id: self.contract_id,
            currency: self.currency,
            order_date: self.order_date,
            notes: self.notes,
            lines: self
                .lines
                .into_iter()
                .map(PurchaseOrderLineInput::into_input)
                .collect(),
        }
    }
}

/// A purchase-order move: the version you read and, where it applies, a reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderDecision {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// Why: required to reject or cancel, optional to close.
    pub reason: Option<String>,
    /// Approve only: the reason a budget approver passes a budget or ceiling overrun where
    /// the project's policy is `override`.
    pub override_reason: Option<String>,
}

/// Filters for the purchase-order list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PurchaseOrderQuery {
    /// Only POs in this status.
    pub status: Option<PoStatus>,
    /// Only POs to this vendor.
    pub vendor_id: Option<i64>,
    /// Only POs of this project.
    pub project_id: Option<i64>,
    /// Only POs under this contract.
    pub contract_id: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List purchase orders, by id.
#[utoipa::path(tag = "purchase-orders", params(PurchaseOrderQuery), responses((status = 200, description = "A page of purchase orders", body = Page<PurchaseOrder>)))]
#[get("/purchase-orders")]
pub async fn list_purchase_orders(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<PurchaseOrderQuery>,
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
    let filter = PoFilter {
        status: query.status,
        vendor_id: query.vendor_id,
        project_id: query.project_id,
        contract_id: query.contract_id,
    };
    let page = caller
        .read(&state.db, Action::ReadPurchasing, move |conn| {
            service::list(conn, &filter, window)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Raise a purchase order (as a draft, with a new `PO-YYYY-NNNNNN` number).
#[utoipa::path(
    tag = "purchase-orders",
    request_body = PurchaseOrderInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body return the first response")),
    responses((status = 201, description = "Created, as a draft", body = PurchaseOrder))
)]
#[post("/purchase-orders")]
pub async fn create_purchase_order(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WritePurchaseOrders)?;
    let input = body.parse::<PurchaseOrderInput>()?.into_input();
    let by = actor.clone();
    idempotency::create(&state, &actor, key, &req, &body, move |tx| {
        service::create(tx, &by, input)
    })
    .await
}

/// Read a purchase order with its lines, approvals and open commitment.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), responses((status = 200, description = "The purchase order", body = PurchaseOrder)))]
#[get("/purchase-orders/{id}")]
pub async fn get_purchase_order(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let po = caller
        .lookup(&state.db, Action::ReadPurchasing, move |conn| {
            service::get(conn, id)
        })
        .await?;
    Ok(ok_resource(&po))
}

/// Rewrite a draft purchase order (its full new content).
#[utoipa::path(
    tag = "purchase-orders",
    params(("id" = i64, Path, description = "Purchase order id"), ("If-Match" = Option<String>, Header, description = "The ETag you read, instead of `version` in the body")),
    request_body = PurchaseOrderInput,
    responses((status = 200, description = "The changed draft", body = PurchaseOrder))
)]
#[put("/purchase-orders/{id}")]
pub async fn update_purchase_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WritePurchaseOrders)?;
    let input: PurchaseOrderInput = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let input = input.into_input();
    let id = id.into_inner();
    let po = state
        .db
        .write(move |tx| service::update_draft(tx, &actor, id, version, input))
        .await?;
    Ok(ok_resource(&po))
}

async fn move_po(
    state: web::Data<AppState>,
    actor: Actor,
    action: Action,
    id: i64,
    req: HttpRequest,
    body: JsonBody,
    step: fn(PurchaseOrderDecision) -> PoStep,
) -> AppResult<HttpResponse> {
    actor.require(action)?;
    let input: PurchaseOrderDecision = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let step = step(input);
    let policy = state.settings.purchasing.approval.clone();
    let po = state
        .db
        .write(move |tx| service::step(tx, &actor, &policy, id, version, step))
        .await?;
    Ok(ok_resource(&po))
}

/// Submit a draft for approval; its value in the budget's currency picks the approval band.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), request_body = PurchaseOrderDecision, responses((status = 200, description = "Submitted", body = PurchaseOrder)))]
#[post("/purchase-orders/{id}/submit")]
pub async fn submit_purchase_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let action = Action::WritePurchaseOrders;
    move_po(state, actor, action, id.into_inner(), req, body, |_| {
        PoStep::Submit
    })
    .await
}

/// Approve a submitted purchase order. The band decides who may approve and how many must;
/// the requester never may. The last approval checks the budget lines and the contract
/// ceiling and, within the project's policy, commits the money.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), request_body = PurchaseOrderDecision, responses((status = 200, description = "Approved (or one more approval recorded)", body = PurchaseOrder)))]
#[post("/purchase-orders/{id}/approve")]
pub async fn approve_purchase_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let action = Action::ApprovePurchaseOrders;
    move_po(state, actor, action, id.into_inner(), req, body, |d| {
        PoStep::Approve {
            override_reason: d.override_reason,
        }
    })
    .await
}

/// Send a submitted purchase order back to draft, with a reason.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), request_body = PurchaseOrderDecision, responses((status = 200, description = "Back to draft", body = PurchaseOrder)))]
#[post("/purchase-orders/{id}/reject")]
pub async fn reject_purchase_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let action = Action::ApprovePurchaseOrders;
    move_po(state, actor, action, id.into_inner(), req, body, |d| {
        PoStep::Reject {
            reason: d.reason.unwrap_or_default(),
        }
    })
    .await
}

/// Issue an approved purchase order to the vendor.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), request_body = PurchaseOrderDecision, responses((status = 200, description = "Issued", body = PurchaseOrder)))]
#[post("/purchase-orders/{id}/issue")]
pub async fn issue_purchase_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let action = Action::WritePurchaseOrders;
    move_po(state, actor, action, id.into_inner(), req, body, |_| {
        PoStep::Issue
    })
    .await
}

/// Cancel a purchase order that has nothing received or invoiced, with a reason.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), request_body = PurchaseOrderDecision, responses((status = 200, description = "Cancelled", body = PurchaseOrder)))]
#[post("/purchase-orders/{id}/cancel")]
pub async fn cancel_purchase_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let action = Action::WritePurchaseOrders;
    move_po(state, actor, action, id.into_inner(), req, body, |d| {
        PoStep::Cancel {
            reason: d.reason.unwrap_or_default(),
        }
    })
    .await
}

/// Close a purchase order: what is still committed is released.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), request_body = PurchaseOrderDecision, responses((status = 200, description = "Closed", body = PurchaseOrder)))]
#[post("/purchase-orders/{id}/close")]
pub async fn close_purchase_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let action = Action::WritePurchaseOrders;
    move_po(state, actor, action, id.into_inner(), req, body, |d| {
        PoStep::Close { reason: d.reason }
    })
    .await
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// One line of a receipt.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLineInput {
    /// The PO line received.
    pub po_line_id: i64,
    /// How many arrived: more than zero (whole units on asset lines).
    pub quantity: JsonDecimal,
}

/// A receipt of goods or services.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    /// When they arrived (default today, UTC).
    pub received_on: Option<NaiveDate>,
    /// A note (delivery note number, condition).
    pub note: Option<String>,
    /// Quantities per PO line.
    pub lines: Vec<ReceiptLineInput>,
}

/// A return of one receipt's goods.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// Why the goods go back.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    /// When they left (default today, UTC).
    pub returned_on: Option<NaiveDate>,
}

/// The day a report is computed for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Lines promised before this day count as late (default today, UTC).
    pub as_of: Option<NaiveDate>,
}

/// Lines past their promised delivery date and not fully received, per vendor.
#[utoipa::path(tag = "purchase-orders", params(OverdueQuery), responses((status = 200, description = "Late lines per vendor", body = Vec<OverdueVendor>)))]
#[get("/purchase-orders/overdue")]
pub async fn overdue_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<OverdueQuery>,
) -> AppResult<HttpResponse> {
    let as_of = query.0.as_of.unwrap_or_else(today);
    let report = caller
        .read(&state.db, Action::ReadPurchasing, move |conn| {
            receipts::overdue(conn, as_of)
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The receipts and returns of a purchase order.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), responses((status = 200, description = "Receipts, oldest first", body = Vec<Receipt>)))]
#[get("/purchase-orders/{id}/receipts")]
pub async fn list_receipts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let list = caller
        .read(&state.db, Action::ReadPurchasing, move |conn| {
            receipts::of_po(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Record a receipt against an issued purchase order; each unit of an asset line becomes a
/// pending asset with a new tag.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), request_body = ReceiptBody, responses((status = 201, description = "Recorded", body = Receipt)))]
#[post("/purchase-orders/{id}/receipts")]
pub async fn create_receipt(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ReceiveGoods)?;
    let input: ReceiptBody = body.parse()?;
    let input = ReceiptInput {
        received_on: input.received_on.unwrap_or_else(today),
        note: input.note,
        lines: input
            .lines
            .into_iter()
            .map(|l| (l.po_line_id, l.quantity.0))
            .collect(),
    };
    let rules = state.settings.purchasing.clone();
    let po_id = id.into_inner();
    let receipt = state
        .db
        .write(move |tx| receipts::receive(tx, &actor, &rules, po_id, input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/receipts/{}", receipt.id)))
        .json(receipt))
}

/// Read a receipt or return.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Receipt id")), responses((status = 200, description = "The receipt", body = Receipt)))]
#[get("/receipts/{id}")]
pub async fn get_receipt(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let receipt = caller
        .read(&state.db, Action::ReadPurchasing, move |conn| {
            receipts::get(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(receipt))
}

/// Return a receipt's goods to the vendor: its quantities are reversed and its pending assets
/// disposed of. Refused below what has been invoiced or once an asset is in service.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Receipt id")), request_body = ReturnBody, responses((status = 201, description = "The return", body = Receipt)))]
#[post("/receipts/{id}/return")]
pub async fn return_receipt(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ReceiveGoods)?;
    let input: ReturnBody = body.parse()?;
    let id = id.into_inner();
    let returned_on = input.returned_on.unwrap_or_else(today);
    let created = state
        .db
        .write(move |tx| receipts::return_receipt(tx, &actor, id, input.reason, returned_on))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/receipts/{}", created.id)))
        .json(created))
}

/// A line of a revision: `id` of the existing line it changes, or none for a new line.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisedLineBody {
    /// The existing line (absent for a new one).
    pub id: Option<i64>,
    /// What is bought.
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// How many (not below what was received or invoiced).
    pub quantity: JsonDecimal,
    /// Unit of measure.
    #[schema(min_length = 1, max_length = 20)]
    pub unit: String,
    /// Price per unit (fixed once the line is invoiced).
    pub unit_price: JsonDecimal,
    /// Tax rate in percent (default 0).
    pub tax_percent: Option<JsonDecimal>,
    /// The budget line (fixed on existing lines).
    pub budget_line_id: i64,
    /// Asset line (fixed on existing lines).
    #[serde(default)]
    pub is_asset: bool,
    /// Asset category (fixed on existing lines).
    pub asset_category: Option<String>,
    /// Promised delivery date.
    pub promised_date: Option<NaiveDate>,
}

/// A revision of an approved purchase order: every line as it should be.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisionBody {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// Why it changes.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    /// New notes.
    pub notes: Option<String>,
    /// All lines: existing ones by `id` (those left out are removed), new ones without.
    pub lines: Vec<RevisedLineBody>,
}

/// Revise an approved purchase order. A revision that does not raise its approved value applies
/// at once; one that raises it waits for approval (`/approve`, or `/reject` to drop it) while
/// the order runs on as approved. Every revision is kept in the history.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), request_body = RevisionBody, responses((status = 200, description = "Revised, or with a pending revision", body = PurchaseOrder)))]
#[post("/purchase-orders/{id}/revise")]
pub async fn revise_purchase_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WritePurchaseOrders)?;
    let input: RevisionBody = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let revision = RevisionInput {
        reason: input.reason,
        notes: input.notes,
        lines: input
            .lines
            .into_iter()
            .map(|l| RevisedLineInput {
                id: l.id,
                line: PurchaseOrderLineInput {
                    description: l.description,
                    quantity: l.quantity,
                    unit: l.unit,
                    unit_price: l.unit_price,
                    tax_percent: l.tax_percent,
                    budget_line_id: l.budget_line_id,
                    is_asset: l.is_asset,
                    asset_category: l.asset_category,
                    promised_date: l.promised_date,
                }
                .into_input(),
            })
            .collect(),
    };
    let policy = state.settings.purchasing.approval.clone();
    let id = id.into_inner();
    let po = state
        .db
        .write(move |tx| revisions::revise(tx, &actor, &policy, id, version, revision))
        .await?;
    Ok(ok_resource(&po))
}

/// A purchase order's revision history: each revision with the order as it was before it.
#[utoipa::path(tag = "purchase-orders", params(("id" = i64, Path, description = "Purchase order id")), responses((status = 200, description = "Revisions, oldest first", body = Vec<RevisionRecord>)))]
#[get("/purchase-orders/{id}/revisions")]
pub async fn list_purchase_order_revisions(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let list = caller
        .read(&state.db, Action::ReadPurchasing, move |conn| {
            revisions::history(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
