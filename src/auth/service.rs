//! Token use cases: create (shown once), revoke, authenticate, and the first admin token.

use super::model::{generate_token, hash_token, token_matches, Actor, PresentedToken, Role};
use super::repo::{self, NewToken, TokenRow};
use crate::audit;
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};

/// A token just created: the secret text is here and nowhere else, ever again.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The stored row's id.
    pub id: i64,
    /// The token's name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The full token to give to the client.
    pub secret: String,
}

/// Token metadata as shown to administrators and in the audit log (never the hash).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenInfo {
    /// The stored row's id.
    pub id: i64,
    /// The public part of the token (`prc_<public id>_…`).
    pub public_id: String,
    /// The token's name.
    pub name: String,
    /// Its role.
    pub role: String,
    /// When it was created (UTC).
    pub created_at: String,
    /// When it was revoked, if it was (UTC).
    pub revoked_at: Option<String>,
}

impl From<&TokenRow> for TokenInfo {
    fn from(row: &TokenRow) -> Self {
        Self {
            id: row.id,
            public_id: row.public_id.clone(),
            name: row.name.clone(),
            role: row.role.clone(),
            created_at: clock::to_rfc3339(row.created_at),
            revoked_at: row.revoked_at.map(clock::to_rfc3339),
        }
    }
}

/// Creates a token named `name` with `role`; `by` is who asked (recorded in the audit log).
pub fn create_token(tx: &mut Tx<'_>, by: &str, name: &str, role: Role) -> AppResult<IssuedToken> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "must be 1 to 100 characters"));
    }
    let secret =
        generate_token().map_err(|e| AppError::internal(anyhow::anyhow!("OS randomness: {e}")))?;
    let presented = PresentedToken::parse(&secret).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("generated token has the wrong shape"))
    })?;
    let hash = hash_token(&secret);
    let id = repo::insert(
        tx,
        &NewToken {
            public_id: presented.public_id,
            name,
            role: role.as_str(),
            secret_hash: &hash,
            created_at: clock::now(),
        },
    )?;
    let stored = repo::find_by_public_id(tx, presented.public_id)?
        .ok_or_else(|| AppError::not_found("token", id))?;
    audit::record(
        tx,
        by,
        "token.create",
        "token",
        id,
        None::<&()>,
        Some(&TokenInfo::from(&stored)),
    )?;
    Ok(IssuedToken {
        id,
        name: name.to_string(),
        role,
        secret,
    })
}

/// Revokes the live token(s) selected by `name_or_public_id`; returns what was revoked.
pub fn revoke_token(
    tx: &mut Tx<'_>,
    by: &str,
    name_or_public_id: &str,
) -> AppResult<Vec<TokenInfo>> {
    let mut targets = repo::find_live_by_name(tx, name_or_public_id)?;
    if targets.is_empty() {
        if let Some(row) =
            repo::find_by_public_id(tx, name_or_public_id)?.filter(|r| r.revoked_at.is_none())
        {
            targets.push(row);
        }
    }
    if targets.is_empty() {
        return Err(AppError::not_found(
            "live token",
            format!("`{name_or_public_id}`"),
        ));
    }
    let now = clock::now();
    let mut revoked = Vec::with_capacity(targets.len());
    for row in targets {
        repo::revoke(tx, row.id, now)?;
        let before = TokenInfo::from(&row);
        let after = TokenInfo {
            revoked_at: Some(clock::to_rfc3339(now)),
            ..before.clone()
        };
        audit::record(
            tx,
            by,
            "token.revoke",
            "token",
            row.id,
            Some(&before),
            Some(&after),
        )?;
        revoked.push(after);
    }
    Ok(revoked)
}

/// All tokens, live and revoked, oldest first.
pub fn list_tokens(conn: &mut DbConnection) -> AppResult<Vec<TokenInfo>> {
    Ok(repo::list(conn)?.iter().map(TokenInfo::from).collect())
}

/// On an empty database, creates the first admin token so a newcomer can make a call; returns
/// it to be printed once. `None` when any token exists already.
pub fn bootstrap_admin(tx: &mut Tx<'_>) -> AppResult<Option<IssuedToken>> {
    if repo::count(tx)? > 0 {
        return Ok(None);
    }
    create_token(tx, "system:bootstrap", "bootstrap-admin", Role::Admin).map(Some)
}

/// The actor behind a bearer token, or a 401 that says why not.
pub fn authenticate(conn: &mut DbConnection, token: &str) -> AppResult<Actor> {
    let invalid = || AppError::unauthorized("the bearer token is not valid");
    let presented = PresentedToken::parse(token).ok_or_else(invalid)?;
    let row = repo::find_by_public_id(conn, presented.public_id)?.ok_or_else(invalid)?;
    if !token_matches(presented.full, &row.secret_hash) {
        return Err(invalid());
    }
    if row.revoked_at.is_some() {
        return Err(AppError::unauthorized("the bearer token has been revoked"));
    }
    let role = Role::parse(&row.role).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "token {} has unknown role {}",
            row.id,
            row.role
        ))
    })?;
    Ok(Actor {
        token_id: row.id,
        name: row.name,
        role,
    })
}
