//! `/api/v1/fx-rates`: HTTP, DTOs and OpenAPI.

use super::model::FxRate;
use super::repo::RateFilter;
use super::service::{self, NewRate};
use crate::auth::{Action, Actor, Caller};
use crate::error::AppResult;
use crate::http::extract::{IdempotencyKey, JsonBody, Query};
use crate::http::responses::{expected_version, ok_resource, Page, Resource};
use crate::http::{nullable, AppState};
use crate::idempotency;
use crate::money::json::JsonDecimal;
use crate::money::storage::decimal_to_text;
use crate::money::{parse_decimal, Currency, Money};
use crate::validate::Validator;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Registers the FX endpoints (`convert` before `{id}`, which would otherwise claim it).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_fx_rates)
        .service(create_fx_rate)
        .service(convert_amount)
        .service(get_fx_rate)
        .service(update_fx_rate);
}

impl Resource for FxRate {
    fn location(&self) -> String {
        format!("/api/v1/fx-rates/{}", self.id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// A new rate.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFxRate {
    /// The currency converted from (ISO 4217).
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub from: String,
    /// The currency converted into (ISO 4217), not `from`.
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub to: String,
    /// The day the rate applies from, `YYYY-MM-DD`.
    pub date: NaiveDate,
    /// Units of `to` per unit of `from`: greater than zero, at most 10 decimal places.
    pub rate: JsonDecimal,
    /// Where the rate came from.
    pub source: Option<String>,
}

/// A correction to a rate.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFxRate {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// The corrected rate.
    pub rate: Option<JsonDecimal>,
    /// The new source; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub source: Option<Option<String>>,
}

/// Filters for the rate list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FxRateQuery {
    /// Only rates from this currency.
    pub from: Option<String>,
    /// Only rates into this currency.
    pub to: Option<String>,
    /// Only rates dated on or after this day.
    pub date_from: Option<NaiveDate>,
    /// Only rates dated on or before this day.
    pub date_to: Option<NaiveDate>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// What to convert.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConvertQuery {
    /// The amount, a decimal with at most `from`'s decimals.
    #[param(example = "100.00")]
    pub amount: String,
    /// Its currency.
    #[param(example = "EUR")]
    pub from: String,
    /// The currency to convert into.
    #[param(example = "USD")]
    pub to: String,
    /// The document date: the latest rate on or before it is used.
    pub date: NaiveDate,
}

/// An amount with its currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoneyView {
    /// A decimal string with the currency's decimals.
    #[schema(example = "108.42")]
    pub amount: String,
    /// ISO 4217 code.
    #[schema(example = "USD")]
    pub currency: String,
}

impl From<Money> for MoneyView {
    fn from(money: Money) -> Self {
        Self {
            amount: money.amount().to_string(),
            currency: money.currency().code().to_string(),
        }
    }
}

/// A conversion and the rate behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionView {
    /// The amount as given.
    pub original: MoneyView,
    /// The converted amount, rounded half-even to the target currency's minor unit.
    pub converted: MoneyView,
    /// The rate applied.
    #[schema(example = "1.0842")]
    pub rate: String,
    /// The date of the rate applied (absent when converting a currency into itself).
    pub rate_date: Option<NaiveDate>,
    /// The id of the rate applied (absent when converting a currency into itself).
    pub rate_id: Option<i64>,
}

/// List FX rates, by id.
#[utoipa::path(tag = "fx-rates", params(FxRateQuery), responses((status = 200, description = "A page of rates", body = Page<FxRate>)))]
#[get("/fx-rates")]
pub async fn list_fx_rates(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<FxRateQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let window = caller
        .page(
            &state.db,
            Action::ReadFxRates,
            query.limit,
            query.cursor.as_deref(),
        )
        .await?;
    let filter = RateFilter {
        from: query.from.map(|c| c.trim().to_uppercase()),
        to: query.to.map(|c| c.trim().to_uppercase()),
        date_from: query.date_from,
        date_to: query.date_to,
    };
    let page = caller
        .read(&state.db, Action::ReadFxRates, move |conn| {
            service::list(conn, &filter, window)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Record an FX rate.
#[utoipa::path(
    tag = "fx-rates",
    request_body = CreateFxRate,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body return the first response")),
    responses((status = 201, description = "Created", body = FxRate))
)]
#[post("/fx-rates")]
pub async fn create_fx_rate(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteFxRates)?;
    let input: CreateFxRate = body.parse()?;
    let rate = NewRate {
        from: input.from,
        to: input.to,
        date: input.date,
        rate: input.rate.0,
        source: input.source,
    };
    let by = actor.clone();
    idempotency::create(&state, &actor, key, &req, &body, move |tx| {
        service::create(tx, &by, rate)
    })
    .await
}

/// The amount and target currency a conversion query asks for.
fn conversion_terms(query: &ConvertQuery) -> AppResult<(Money, Currency)> {
    let mut v = Validator::new();
    let from = v.check("from", Currency::parse(query.from.trim()));
    let to = v.check("to", Currency::parse(query.to.trim()));
    let amount = v.check("amount", parse_decimal(query.amount.trim()));
    let money = match (amount, from) {
        (Some(amount), Some(from)) => v.check("amount", Money::new(amount, from)),
        _ => None,
    };
    v.finish()?;
    match (money, to) {
        (Some(money), Some(to)) => Ok((money, to)),
        _ => Err(crate::error::AppError::invalid("amount", "is required")),
    }
}

/// Convert an amount at the latest rate on or before a date.
#[utoipa::path(tag = "fx-rates", params(ConvertQuery), responses((status = 200, description = "The conversion", body = ConversionView)))]
#[get("/fx-rates/convert")]
pub async fn convert_amount(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ConvertQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let (money, to) = caller
        .checked(&state.db, Action::ReadFxRates, conversion_terms(&query))
        .await?;
    let date = query.date;
    let conversion = caller
        .read(&state.db, Action::ReadFxRates, move |conn| {
            service::convert_at(conn, money, to, date)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ConversionView {
        original: conversion.original.into(),
        converted: conversion.converted.into(),
        rate: decimal_to_text(conversion.rate),
        rate_date: conversion.rate_used.map(|(date, _)| date),
        rate_id: conversion.rate_used.map(|(_, id)| id),
    }))
}

/// Read one FX rate.
#[utoipa::path(tag = "fx-rates", params(("id" = i64, Path, description = "FX rate id")), responses((status = 200, description = "The rate", body = FxRate)))]
#[get("/fx-rates/{id}")]
pub async fn get_fx_rate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let rate = caller
        .lookup(&state.db, Action::ReadFxRates, move |conn| {
            service::get(conn, id)
        })
        .await?;
    Ok(ok_resource(&rate))
}

/// Correct an FX rate.
#[utoipa::path(
    tag = "fx-rates",
    params(("id" = i64, Path, description = "FX rate id"), ("If-Match" = Option<String>, Header, description = "The ETag you read, instead of `version` in the body")),
    request_body = UpdateFxRate,
    responses((status = 200, description = "The corrected rate", body = FxRate))
)]
#[patch("/fx-rates/{id}")]
pub async fn update_fx_rate(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteFxRates)?;
    let input: UpdateFxRate = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let id = id.into_inner();
    let (rate, source) = (input.rate.map(|r| r.0), input.source);
    let updated = state
        .db
        .write(move |tx| service::update(tx, &actor, id, version, rate, source))
        .await?;
    Ok(ok_resource(&updated))
}
