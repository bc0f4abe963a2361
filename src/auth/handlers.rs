//! The bearer-token extractor: every protected handler takes an [`Actor`].

use super::model::Actor;
use super::service::authenticate;
use crate::error::AppError;
use crate::http::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

impl FromRequest for Actor {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Actor, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
            let token = token?;
            state.db.read(move |conn| authenticate(conn, &token)).await
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, AppError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        AppError::unauthorized("this endpoint needs an `Authorization: Bearer <token>` header")
    })?;
    let text = value
        .to_str()
        .map_err(|_| AppError::unauthorized("the Authorization header is not valid text"))?;
    let (scheme, token) = text.split_once(' ').ok_or_else(|| {
        AppError::unauthorized("the Authorization header must be `Bearer <token>`")
    })?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AppError::unauthorized(
            "the Authorization header must use the Bearer scheme",
        ));
    }
    Ok(token.trim().to_string())
}
