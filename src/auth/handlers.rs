//! Bearer-token extractors. A handler that changes something takes an [`Actor`], checked before
//! its body is even parsed; a handler that only reads takes a [`Caller`] and checks the token in
//! the same blocking call as its query, one trip to the database thread pool instead of two.

use super::model::Actor;
use super::permissions::Action;
use super::service::authenticate;
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::http::responses::PageWindow;
use crate::http::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::{ready, LocalBoxFuture, Ready};

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
            state
                .db
                .lookup(move |conn| authenticate(conn, &token))
                .await
        })
    }
}

/// The bearer token of a request, present and well-formed but not yet checked.
#[derive(Debug, Clone)]
pub struct Caller {
    token: String,
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Ready<Result<Caller, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(bearer_token(req).map(|token| Caller { token }))
    }
}

impl Caller {
    /// Checks the token and its permission for `action`, then runs `work`, all in one call on
    /// the blocking pool with one pooled connection.
    pub async fn read<T, F>(self, db: &Db, action: Action, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let token = self.token;
        db.read(move |conn| {
            authenticate(conn, &token)?.require(action)?;
            work(conn)
        })
        .await
    }

    /// The outcome of the request's own checks (its query's values), given back only to a
    /// caller whose token holds and may do `action`: a request without a valid token is a 401,
    /// and one without the permission a 403, whatever else is wrong with it. The token is
    /// looked up here only when the checks failed; otherwise [`Caller::read`] checks it.
    pub async fn checked<T>(&self, db: &Db, action: Action, checks: AppResult<T>) -> AppResult<T> {
        let invalid = match checks {
            Ok(value) => return Ok(value),
            Err(invalid) => invalid,
        };
        let token = self.token.clone();
        db.lookup(move |conn| authenticate(conn, &token)?.require(action))
            .await?;
        Err(invalid)
    }

    /// The page a list's `limit` and `cursor` ask for, checked as [`Caller::checked`] does.
    pub async fn page(
        &self,
        db: &Db,
        action: Action,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> AppResult<PageWindow> {
        self.checked(db, action, PageWindow::parse(limit, cursor))
            .await
    }

    /// Like [`Caller::read`] for a keyed read of one record, through [`Db::lookup`].
    pub async fn lookup<T, F>(self, db: &Db, action: Action, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let token = self.token;
        db.lookup(move |conn| {
            authenticate(conn, &token)?.require(action)?;
            work(conn)
        })
        .await
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
