//! `Idempotency-Key` on POST: a retried create returns the first response and creates nothing.
//!
//! Rules owned here:
//! - keys are scoped to the token that sent them;
//! - the key, a fingerprint of the request (method, path, body) and the response are stored in
//!   the same transaction as the change, so a key is recorded exactly when its change is;
//! - the same key with the same request replays the stored response (with
//!   `Idempotent-Replayed: true`); with a different request it is refused (422);
//! - two requests racing with one key: the loser's transaction fails on the unique key, rolls
//!   back, and is retried once, when it finds and replays the winner's response.

use crate::auth::Actor;
use crate::clock;
use crate::db::schema::idempotency_keys;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult, IDEMPOTENCY_RACE};
use crate::http::extract::{IdempotencyKey, JsonBody};
use crate::http::responses::{created_resource, Resource};
use crate::http::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// What a used key remembers: the request it came with and the answer it got.
#[derive(Debug, Queryable)]
struct StoredKey {
    request_fingerprint: String,
    status_code: i32,
    response_body: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredResponse {
    location: String,
    etag: String,
    body: serde_json::Value,
}

enum Outcome<T> {
    Fresh(T),
    Replayed { status: u16, stored: StoredResponse },
}

/// Runs a create once per idempotency key and answers 201 (or the replayed first answer).
pub async fn create<T, F>(
    state: &AppState,
    actor: &Actor,
    key: IdempotencyKey,
    req: &HttpRequest,
    body: &JsonBody,
    work: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + Resource + Send + 'static,
    F: FnOnce(&mut Tx<'_>) -> AppResult<T> + Clone + Send + 'static,
{
    let Some(key) = key.0 else {
        let created = state.db.write(work).await?;
        return Ok(created_resource(&created));
    };
    let fingerprint = body.fingerprint(req.method().as_str(), req.path());
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (key, fingerprint, work, token_id) = (
            key.clone(),
            fingerprint.clone(),
            work.clone(),
            actor.token_id,
        );
        let outcome = state
            .db
            .write(move |tx| run_once(tx, token_id, &key, &fingerprint, work))
            .await;
        match outcome {
            Err(error) if error.code() == IDEMPOTENCY_RACE && attempt == 1 => continue,
            Err(error) => return Err(error),
            Ok(Outcome::Fresh(created)) => return Ok(created_resource(&created)),
            Ok(Outcome::Replayed { status, stored }) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
                return Ok(HttpResponse::build(status)
                    .insert_header((header::LOCATION, stored.location))
                    .insert_header((header::ETAG, stored.etag))
                    .insert_header(("Idempotent-Replayed", "true"))
                    .json(stored.body));
            }
        }
    }
}

fn run_once<T, F>(
    tx: &mut Tx<'_>,
    token_id: i64,
    key: &str,
    fingerprint: &str,
    work: F,
) -> AppResult<Outcome<T>>
where
    T: Serialize + Resource,
    F: FnOnce(&mut Tx<'_>) -> AppResult<T>,
{
    if let Some(stored) = find(tx, token_id, key)? {
        if stored.request_fingerprint != fingerprint {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "was already used for a different request; use a new key for a new request",
            ));
        }
        let response: StoredResponse =
            serde_json::from_str(&stored.response_body).map_err(AppError::internal)?;
        return Ok(Outcome::Replayed {
            status: u16::try_from(stored.status_code).unwrap_or(201),
            stored: response,
        });
    }
    let created = work(tx)?;
    let stored = StoredResponse {
        location: created.location(),
        etag: crate::http::responses::etag(created.version()),
        body: serde_json::to_value(&created).map_err(AppError::internal)?,
    };
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::token_id.eq(token_id),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_fingerprint.eq(fingerprint),
            idempotency_keys::status_code.eq(201),
            idempotency_keys::response_body
                .eq(serde_json::to_string(&stored).map_err(AppError::internal)?),
            idempotency_keys::created_at.eq(clock::now()),
        ))
        .execute(&mut **tx)?;
    Ok(Outcome::Fresh(created))
}

fn find(conn: &mut DbConnection, token_id: i64, key: &str) -> QueryResult<Option<StoredKey>> {
    idempotency_keys::table
        .filter(idempotency_keys::token_id.eq(token_id))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select((
            idempotency_keys::request_fingerprint,
            idempotency_keys::status_code,
            idempotency_keys::response_body,
        ))
        .get_result(conn)
        .optional()
}
