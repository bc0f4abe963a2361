use crate::db::schema::api_tokens;
use crate::db::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A stored token (never its secret).
#[derive(Debug, Clone, Queryable)]
pub struct TokenRow {
    pub id: i64,
    pub public_id: String,
    pub name: String,
    pub role: String,
    pub secret_hash: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A token about to be stored.
#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewToken<'a> {
    pub public_id: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub secret_hash: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, token: &NewToken<'_>) -> QueryResult<i64> {
    diesel::insert_into(api_tokens::table)
        .values(token)
        .returning(api_tokens::id)
        .get_result(conn)
}

pub fn find_by_public_id(
    conn: &mut DbConnection,
    public_id: &str,
) -> QueryResult<Option<TokenRow>> {
    api_tokens::table
        .filter(api_tokens::public_id.eq(public_id))
        .get_result(conn)
        .optional()
}

/// Live (unrevoked) tokens with this name.
pub fn find_live_by_name(conn: &mut DbConnection, name: &str) -> QueryResult<Vec<TokenRow>> {
    api_tokens::table
        .filter(api_tokens::name.eq(name))
        .filter(api_tokens::revoked_at.is_null())
        .order(api_tokens::id)
        .load(conn)
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<TokenRow>> {
    api_tokens::table.order(api_tokens::id).load(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    api_tokens::table.count().get_result(conn)
}

pub fn revoke(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(at)))
    .execute(conn)
}

/// Whether a live (unrevoked) token with this name carries `role`.
pub fn has_live_token(
    conn: &mut DbConnection,
    name: &str,
    role: crate::auth::Role,
) -> QueryResult<bool> {
    Ok(find_live_by_name(conn, name)?
        .iter()
        .any(|t| t.role == role.as_str()))
}
