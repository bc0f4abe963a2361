//! `/api/v1/rfps`: HTTP, DTOs and OpenAPI for sourcing.

use super::model::{
    BidView, ConsensusView, Criteria, CriterionKindName, NormalisationMethod, PriceMethodName, Rfp,
    RfpStatus, ScoreView,
};
use super::ranking::RankingView;
use super::repo::RfpFilter;
use super::service::{
    self, AwardInput, BidInput, CriterionInput, RfpInput, ScoreInput, SectionInput, Step,
};
use crate::auth::{Action, Actor};
use crate::contracts::model::{
    Contract, ContractFields, ContractType, Notice, NoticeUnit, RenewalKind, RenewalTerms,
};
use crate::error::AppResult;
use crate::http::extract::{IdempotencyKey, JsonBody, Query};
use crate::http::responses::{expected_version, ok_resource, Page, PageWindow, Resource};
use crate::http::AppState;
use crate::idempotency;
use crate::money::json::JsonDecimal;
use actix_web::http::header;
use actix_web::{get, patch, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Registers the sourcing endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_rfps)
        .service(create_rfp)
        .service(get_rfp)
        .service(update_rfp)
        .service(get_rfp_criteria)
        .service(set_rfp_criteria)
        .service(invite_vendors)
        .service(assign_evaluators)
        .service(publish_rfp)
        .service(close_rfp)
        .service(start_rfp_evaluation)
        .service(open_rfp_prices)
        .service(complete_rfp_evaluation)
        .service(cancel_rfp)
        .service(award_rfp)
        .service(submit_bid)
        .service(list_bids)
        .service(declare_conflict)
        .service(score_bid)
        .service(list_scores)
        .service(record_consensus)
        .service(get_ranking)
        .service(export_ranking);
}

impl Resource for Rfp {
    fn location(&self) -> String {
        format!("/api/v1/rfps/{}", self.id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// An RFP's fields. `title` and `currency` are required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RfpBody {
    /// The version you read (updates only; or send `If-Match`).
    pub version: Option<i64>,
    /// What is being sourced, 1 to 200 characters.
    pub title: String,
    /// The requirement.
    pub description: Option<String>,
    /// The project it is for.
    pub project_id: Option<i64>,
    /// The currency bids are priced in (ISO 4217).
    #[schema(example = "EUR")]
    pub currency: String,
    /// Bids are accepted until this time (UTC); required to publish.
    pub due_at: Option<DateTime<Utc>>,
    /// Hide vendor names from evaluators (default false).
    #[serde(default)]
    pub blind: bool,
    /// `absolute` (default) or `relative_to_best`.
    pub normalisation: Option<NormalisationMethod>,
    /// `lowest_ratio` (default) or `linear`.
    pub price_method: Option<PriceMethodName>,
    /// The minimum technical score (0–100) to be ranked; with `lowest_ratio` this is QCBS.
    pub technical_threshold: Option<JsonDecimal>,
    /// Outlier flag when an evaluator differs from the others' mean by more than this share of
    /// the scale (default 0.25).
    pub outlier_share: Option<JsonDecimal>,
    /// Award needs a consensus score for every scored criterion of every ranked bid.
    #[serde(default)]
    pub consensus_required: bool,
}

impl RfpBody {
    fn input(self) -> RfpInput {
        RfpInput {
            title: self.title,
            description: self.description,
            project_id: self.project_id,
            currency: self.currency,
            due_at: self.due_at.map(|t| t.naive_utc()),
            blind: self.blind,
            normalisation: self.normalisation.unwrap_or(NormalisationMethod::Absolute),
            price_method: self.price_method.unwrap_or(PriceMethodName::LowestRatio),
            technical_threshold: self.technical_threshold.map(|d| d.0),
            outlier_share: self.outlier_share.map(|d| d.0),
            consensus_required: self.consensus_required,
        }
    }
}

/// Filters for the RFP list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RfpQuery {
    /// Only RFPs in this state.
    pub status: Option<RfpStatus>,
    /// Only RFPs for this project.
    pub project_id: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List RFPs, by id (an evaluator sees only the RFPs they are assigned to).
#[utoipa::path(tag = "rfps", params(RfpQuery), responses((status = 200, description = "A page of RFPs", body = Page<Rfp>)))]
#[get("/rfps")]
pub async fn list_rfps(
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<RfpQuery>,
) -> AppResult<HttpResponse> {
    actor.require(Action::ReadRfps)?;
    let query = query.0;
    let window = PageWindow::parse(query.limit, query.cursor.as_deref())?;
    let filter = RfpFilter {
        status: query.status,
        evaluator: None,
        project_id: query.project_id,
    };
    let page = state
        .db
        .read(move |conn| service::list(conn, &actor, filter, window))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a draft RFP.
#[utoipa::path(tag = "rfps", request_body = RfpBody, params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body return the first response")), responses((status = 201, description = "Created, as a draft", body = Rfp)))]
#[post("/rfps")]
pub async fn create_rfp(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ManageRfps)?;
    let input = body.parse::<RfpBody>()?.input();
    let by = actor.clone();
    idempotency::create(&state, &actor, key, &req, &body, move |tx| {
        service::create(tx, &by, input.clone())
    })
    .await
}

/// Read one RFP.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), responses((status = 200, description = "The RFP", body = Rfp)))]
#[get("/rfps/{id}")]
pub async fn get_rfp(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    actor.require(Action::ReadRfps)?;
    let id = id.into_inner();
    let rfp = state
        .db
        .read(move |conn| service::get(conn, &actor, id))
        .await?;
    Ok(ok_resource(&rfp))
}

/// Change a draft RFP (send every field, and the `version` you read).
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = RfpBody, responses((status = 200, description = "The changed RFP", body = Rfp)))]
#[patch("/rfps/{id}")]
pub async fn update_rfp(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ManageRfps)?;
    let input: RfpBody = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let input = input.input();
    let id = id.into_inner();
    let rfp = state
        .db
        .write(move |tx| service::update(tx, &actor, id, version, input))
        .await?;
    Ok(ok_resource(&rfp))
}

/// A criterion as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionBody {
    /// Its name.
    pub name: String,
    /// What evaluators judge.
    pub description: Option<String>,
    /// `scored`, `pass_fail` or `price`.
    pub kind: CriterionKindName,
    /// The top of the scale (scored criteria only), above 0.
    pub max_score: Option<JsonDecimal>,
    /// Its weight within the section, above 0 (none for pass/fail).
    pub weight: Option<JsonDecimal>,
}

/// A section as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionBody {
    /// Its name.
    pub name: String,
    /// Its weight, above 0.
    pub weight: JsonDecimal,
    /// Its criteria.
    pub criteria: Vec<CriterionBody>,
}

/// An RFP's sections and criteria, replacing the current ones.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriteriaBody {
    /// The sections, in order.
    pub sections: Vec<SectionBody>,
}

/// An RFP's criteria with their effective weights and how those are derived.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), responses((status = 200, description = "The criteria", body = Criteria)))]
#[get("/rfps/{id}/criteria")]
pub async fn get_rfp_criteria(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    actor.require(Action::ReadRfps)?;
    let id = id.into_inner();
    let criteria = state
        .db
        .read(move |conn| service::criteria(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(criteria))
}

/// Set a draft RFP's sections and criteria.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = CriteriaBody, responses((status = 200, description = "The criteria", body = Criteria)))]
#[put("/rfps/{id}/criteria")]
pub async fn set_rfp_criteria(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ManageRfps)?;
    let input: CriteriaBody = body.parse()?;
    let sections: Vec<SectionInput> = input
        .sections
        .into_iter()
        .map(|s| SectionInput {
            name: s.name,
            weight: s.weight.0,
            criteria: s
                .criteria
                .into_iter()
                .map(|c| CriterionInput {
                    name: c.name,
                    description: c.description,
                    kind: c.kind,
                    max_score: c.max_score.map(|d| d.0),
                    weight: c.weight.map(|d| d.0),
                })
                .collect(),
        })
        .collect();
    let id = id.into_inner();
    let criteria = state
        .db
        .write(move |tx| service::set_criteria(tx, &actor, id, sections))
        .await?;
    Ok(HttpResponse::Ok().json(criteria))
}

/// Vendors to invite.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    /// The vendors (none may be blocked).
    pub vendor_ids: Vec<i64>,
}

/// Invite vendors to bid.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = InviteBody, responses((status = 200, description = "The RFP", body = Rfp)))]
#[post("/rfps/{id}/invitations")]
pub async fn invite_vendors(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ManageRfps)?;
    let input: InviteBody = body.parse()?;
    let id = id.into_inner();
    let rfp = state
        .db
        .write(move |tx| service::invite(tx, &actor, id, &input.vendor_ids))
        .await?;
    Ok(ok_resource(&rfp))
}

/// Evaluators to assign.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluatorsBody {
    /// The names of their (live, evaluator-role) tokens.
    pub names: Vec<String>,
}

/// Assign evaluators.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = EvaluatorsBody, responses((status = 200, description = "The RFP", body = Rfp)))]
#[post("/rfps/{id}/evaluators")]
pub async fn assign_evaluators(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ManageRfps)?;
    let input: EvaluatorsBody = body.parse()?;
    let id = id.into_inner();
    let rfp = state
        .db
        .write(move |tx| service::assign_evaluators(tx, &actor, id, &input.names))
        .await?;
    Ok(ok_resource(&rfp))
}

/// A lifecycle step: the version you read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
}

/// A cancellation: the version you read and why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// Why the RFP is cancelled (required).
    pub reason: String,
}

async fn run_step(
    state: web::Data<AppState>,
    actor: Actor,
    id: i64,
    req: HttpRequest,
    body: JsonBody,
    step: Option<Step>,
) -> AppResult<HttpResponse> {
    actor.require(Action::ManageRfps)?;
    let step = match step {
        Some(step) => {
            let input: StepBody = body.parse()?;
            (expected_version(input.version, &req)?, step)
        }
        None => {
            let input: CancelBody = body.parse()?;
            (
                expected_version(input.version, &req)?,
                Step::Cancel {
                    reason: input.reason,
                },
            )
        }
    };
    let rfp = state
        .db
        .write(move |tx| service::step(tx, &actor, id, step.0, step.1))
        .await?;
    Ok(ok_resource(&rfp))
}

/// Publish a draft RFP: it needs criteria, invited vendors and a due time in the future.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = StepBody, responses((status = 200, description = "Published", body = Rfp)))]
#[post("/rfps/{id}/publish")]
pub async fn publish_rfp(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    run_step(
        state,
        actor,
        id.into_inner(),
        req,
        body,
        Some(Step::Publish),
    )
    .await
}

/// Close bidding (after the due time).
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = StepBody, responses((status = 200, description = "Closed", body = Rfp)))]
#[post("/rfps/{id}/close")]
pub async fn close_rfp(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    run_step(state, actor, id.into_inner(), req, body, Some(Step::Close)).await
}

/// Start the technical evaluation (evaluators may then score).
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = StepBody, responses((status = 200, description = "Under technical evaluation", body = Rfp)))]
#[post("/rfps/{id}/start-evaluation")]
pub async fn start_rfp_evaluation(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    run_step(
        state,
        actor,
        id.into_inner(),
        req,
        body,
        Some(Step::StartEvaluation),
    )
    .await
}

/// Lock technical scoring and open the prices (every score must be in).
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = StepBody, responses((status = 200, description = "Prices opened", body = Rfp)))]
#[post("/rfps/{id}/open-prices")]
pub async fn open_rfp_prices(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    run_step(
        state,
        actor,
        id.into_inner(),
        req,
        body,
        Some(Step::OpenPrices),
    )
    .await
}

/// Complete the evaluation: the ranking is final and the RFP can be awarded.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = StepBody, responses((status = 200, description = "Evaluated", body = Rfp)))]
#[post("/rfps/{id}/complete-evaluation")]
pub async fn complete_rfp_evaluation(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    run_step(
        state,
        actor,
        id.into_inner(),
        req,
        body,
        Some(Step::CompleteEvaluation),
    )
    .await
}

/// Cancel an RFP (any state before awarded), with a reason.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = CancelBody, responses((status = 200, description = "Cancelled", body = Rfp)))]
#[post("/rfps/{id}/cancel")]
pub async fn cancel_rfp(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    run_step(state, actor, id.into_inner(), req, body, None).await
}

/// The draft contract's terms, for an award.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardContractBody {
    /// Its title (default: the RFP's).
    #[serde(default)]
    pub title: String,
    /// What the vendor delivers.
    pub scope: Option<String>,
    /// `fixed_price`, `time_and_materials` or `framework`.
    pub contract_type: ContractType,
    /// First day.
    pub start_date: NaiveDate,
    /// Initial term in months (1 to 600).
    pub initial_term_months: u32,
    /// How it renews (default: no renewal).
    pub renewal: Option<RenewalTerms>,
    /// Notice needed before a term ends (default: 0 days).
    pub notice: Option<Notice>,
    /// Projects it serves (default: the RFP's project).
    #[serde(default)]
    pub project_ids: Vec<i64>,
    /// Links to signed documents.
    #[serde(default)]
    pub document_urls: Vec<String>,
}

/// An award.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardBody {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// The bid awarded.
    pub bid_id: i64,
    /// Required for any bid but the top-ranked one, and for a bid flagged abnormally low.
    pub justification: Option<String>,
    /// The draft contract's terms; vendor, value and currency come from the bid.
    pub contract: AwardContractBody,
}

/// What an award created.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AwardResult {
    /// The RFP, now awarded.
    pub rfp: Rfp,
    /// The draft contract.
    pub contract: Contract,
}

/// Award an evaluated RFP and create its draft contract (procurement, not an evaluator of it).
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = AwardBody, responses((status = 200, description = "Awarded", body = AwardResult)))]
#[post("/rfps/{id}/award")]
pub async fn award_rfp(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::AwardRfps)?;
    let input: AwardBody = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let c = input.contract;
    let award = AwardInput {
        bid_id: input.bid_id,
        justification: input.justification,
        contract: ContractFields {
            vendor_id: 0,
            project_ids: c.project_ids,
            title: c.title,
            scope: c.scope,
            contract_type: c.contract_type,
            currency: String::new(),
            ceiling: rust_decimal::Decimal::ZERO,
            start_date: c.start_date,
            initial_term_months: c.initial_term_months,
            renewal: c.renewal.unwrap_or(RenewalTerms {
                kind: RenewalKind::None,
                term_months: None,
                max_renewals: None,
            }),
            notice: c.notice.unwrap_or(Notice {
                unit: NoticeUnit::Days,
                value: 0,
            }),
            document_urls: c.document_urls,
        },
    };
    let id = id.into_inner();
    let (rfp, contract) = state
        .db
        .write(move |tx| service::award(tx, &actor, id, version, award))
        .await?;
    Ok(HttpResponse::Ok().json(AwardResult { rfp, contract }))
}

/// A price line as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceLineBody {
    /// What it prices.
    pub description: String,
    /// Its amount.
    pub amount: JsonDecimal,
}

/// A bid, recorded as received from the vendor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidBody {
    /// The (invited, not blocked) vendor.
    pub vendor_id: i64,
    /// The total price, in the RFP's currency.
    pub price: JsonDecimal,
    /// Optional price lines; they must add up to the price.
    #[serde(default)]
    pub price_lines: Vec<PriceLineBody>,
    /// How long the offer holds (not before the due date).
    pub valid_until: NaiveDate,
    /// The vendor's notes.
    pub notes: Option<String>,
}

/// Record a vendor's bid (while published, before the due time; a later bid of the same vendor
/// replaces its earlier one). The price is sealed from everyone until prices are opened.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = BidBody, responses((status = 201, description = "Recorded (sealed)", body = BidView)))]
#[post("/rfps/{id}/bids")]
pub async fn submit_bid(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ManageRfps)?;
    let input: BidBody = body.parse()?;
    let bid = BidInput {
        vendor_id: input.vendor_id,
        price: input.price.0,
        price_lines: input
            .price_lines
            .into_iter()
            .map(|l| (l.description, l.amount.0))
            .collect(),
        valid_until: input.valid_until,
        notes: input.notes,
    };
    let id = id.into_inner();
    let view = state
        .db
        .write(move |tx| service::submit_bid(tx, &actor, id, bid))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/rfps/{id}/bids")))
        .json(view))
}

/// Which bids to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BidQuery {
    /// Also list bids replaced by a later bid of the same vendor.
    pub include_replaced: Option<bool>,
}

/// The bids.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bids {
    /// The bids, by id.
    pub items: Vec<BidView>,
}

/// An RFP's bids: prices sealed until opened; an evaluator never sees a bid of a vendor they
/// declared a conflict with, nor (blind RFPs) any vendor's name.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id"), BidQuery), responses((status = 200, description = "The bids", body = Bids)))]
#[get("/rfps/{id}/bids")]
pub async fn list_bids(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    query: Query<BidQuery>,
) -> AppResult<HttpResponse> {
    actor.require(Action::ReadRfps)?;
    let include = query.0.include_replaced.unwrap_or(false);
    let id = id.into_inner();
    let items = state
        .db
        .read(move |conn| service::bids(conn, &actor, id, include))
        .await?;
    Ok(HttpResponse::Ok().json(Bids { items }))
}

/// A declared conflict of interest.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictBody {
    /// The vendor.
    pub vendor_id: i64,
    /// Why.
    pub note: Option<String>,
}

/// Declare a conflict of interest with a vendor (the evaluator themself).
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), request_body = ConflictBody, responses((status = 200, description = "Declared", body = Rfp)))]
#[post("/rfps/{id}/conflicts")]
pub async fn declare_conflict(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::EvaluateBids)?;
    let input: ConflictBody = body.parse()?;
    let id = id.into_inner();
    let rfp = state
        .db
        .write(move |tx| service::declare_conflict(tx, &actor, id, input.vendor_id, input.note))
        .await?;
    Ok(ok_resource(&rfp))
}

/// One score as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreBody {
    /// The criterion (scored or pass/fail).
    pub criterion_id: i64,
    /// 0 to the criterion's maximum; 1 pass or 0 fail.
    pub score: JsonDecimal,
    /// Why.
    pub comment: Option<String>,
}

/// An evaluator's scores of a bid.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresBody {
    /// The scores (each replaces the evaluator's earlier score of that criterion).
    pub scores: Vec<ScoreBody>,
}

/// Scores.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scores {
    /// The scores.
    pub items: Vec<ScoreView>,
}

/// Score a bid (an assigned evaluator without a conflict, during technical evaluation).
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id"), ("bid_id" = i64, Path, description = "Bid id")), request_body = ScoresBody, responses((status = 200, description = "The evaluator's scores of the bid", body = Scores)))]
#[put("/rfps/{id}/bids/{bid_id}/scores")]
pub async fn score_bid(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(i64, i64)>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::EvaluateBids)?;
    let input: ScoresBody = body.parse()?;
    let scores = input
        .scores
        .into_iter()
        .map(|s| ScoreInput {
            criterion_id: s.criterion_id,
            score: s.score.0,
            comment: s.comment,
        })
        .collect();
    let (id, bid) = path.into_inner();
    let items = state
        .db
        .write(move |tx| service::score(tx, &actor, id, bid, scores))
        .await?;
    Ok(HttpResponse::Ok().json(Scores { items }))
}

/// An RFP's scores (an evaluator sees only their own).
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), responses((status = 200, description = "The scores", body = Scores)))]
#[get("/rfps/{id}/scores")]
pub async fn list_scores(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    actor.require(Action::ReadRfps)?;
    let id = id.into_inner();
    let items = state
        .db
        .read(move |conn| service::scores(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(Scores { items }))
}

/// A consensus score.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsensusBody {
    /// The criterion.
    pub criterion_id: i64,
    /// The agreed score.
    pub score: JsonDecimal,
    /// Why the panel agreed on it (required).
    pub rationale: String,
}

/// Record the panel's consensus score of a criterion of a bid (procurement, during technical
/// evaluation); it replaces the evaluators' mean.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id"), ("bid_id" = i64, Path, description = "Bid id")), request_body = ConsensusBody, responses((status = 200, description = "Recorded", body = ConsensusView)))]
#[put("/rfps/{id}/bids/{bid_id}/consensus")]
pub async fn record_consensus(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(i64, i64)>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ManageRfps)?;
    let input: ConsensusBody = body.parse()?;
    let (id, bid) = path.into_inner();
    let view = state
        .db
        .write(move |tx| {
            service::record_consensus(
                tx,
                &actor,
                id,
                bid,
                input.criterion_id,
                input.score.0,
                input.rationale,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Which ranked bids to show.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// Ranked bids to skip (default 0).
    pub offset: Option<usize>,
    /// Ranked bids to show, 1 to 1,000 (default 100).
    pub limit: Option<usize>,
}

/// The ranking, explained line by line (once prices are opened; not for evaluators). Every
/// bid is ranked; `offset` and `limit` choose which ranked bids are shown in full.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id"), RankingQuery), responses((status = 200, description = "The ranking", body = RankingView)))]
#[get("/rfps/{id}/ranking")]
pub async fn get_ranking(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    query: Query<RankingQuery>,
) -> AppResult<HttpResponse> {
    actor.require(Action::ReadRfps)?;
    let limit = query.0.limit.unwrap_or(100);
    if !(1..=1_000).contains(&limit) {
        return Err(crate::error::AppError::bad_request_field(
            "invalid_query",
            "limit",
            format!("{limit} is not between 1 and 1000"),
        ));
    }
    let page = Some((query.0.offset.unwrap_or(0), limit));
    let id = id.into_inner();
    let ranking = state
        .db
        .read(move |conn| {
            crate::db::snapshot(conn, |conn| service::ranking(conn, &actor, id, page))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ranking))
}

/// The evaluation report as an xlsx workbook, for the procurement file.
#[utoipa::path(tag = "rfps", params(("id" = i64, Path, description = "RFP id")), responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
#[get("/rfps/{id}/ranking.xlsx")]
pub async fn export_ranking(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    actor.require(Action::ReadRfps)?;
    let id = id.into_inner();
    let (number, bytes) = state
        .db
        .read(move |conn| {
            let ranking = service::ranking(conn, &actor, id, None)?;
            Ok((ranking.number.clone(), super::ranking::workbook(&ranking)?))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{number}-evaluation.xlsx\""),
        ))
        .body(bytes))
}
