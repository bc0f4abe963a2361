//! The dashboard's sign-in cookie. It holds the API token itself: every page checks it through
//! the same auth service as the API (so revoking the token ends the dashboard session on the
//! next click, and there is no second credential or session table to keep), and the cookie is
//! `HttpOnly` (no script can read it), `SameSite=Strict` (no other site can make the browser
//! send it), `Path=/dashboard` (the API never sees it; the API takes bearer tokens only),
//! `Secure` when the request came over HTTPS, and expires with the browser session.

use crate::auth::model::PresentedToken;
use actix_web::http::header;
use actix_web::HttpRequest;

/// The cookie's name.
pub const COOKIE: &str = "procura_dashboard";

/// The dashboard's path, which scopes the cookie.
pub const PATH: &str = "/dashboard";

/// The token in the request's dashboard cookie, when there is one of the right shape.
pub fn token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|value| PresentedToken::parse(value).is_some())
}

fn secure(req: &HttpRequest) -> &'static str {
    if req.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    }
}

/// The `Set-Cookie` value that signs the browser in with `token` (already checked: a token of
/// Procura's shape, letters, digits and underscores only).
pub fn sign_in(req: &HttpRequest, token: &str) -> String {
    format!(
        "{COOKIE}={token}; Path={PATH}; HttpOnly; SameSite=Strict{}",
        secure(req)
    )
}

/// The `Set-Cookie` value that signs the browser out.
pub fn sign_out(req: &HttpRequest) -> String {
    format!(
        "{COOKIE}=; Path={PATH}; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(req)
    )
}

/// Whether a form post comes from this site: a browser sends `Origin` with every POST, and a
/// foreign one (or `null`, what a sandboxed frame sends) is refused, against sign-in or
/// sign-out forged by another site (the cookie's SameSite already keeps it from being sent
/// there). The pages' `Referrer-Policy: same-origin` keeps the browser sending our own origin
/// (under `no-referrer` it would send `null`).
pub fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let host = req.connection_info().host().to_string();
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(&host))
}
