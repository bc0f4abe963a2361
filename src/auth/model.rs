use super::permissions::{is_allowed, Action};
use crate::error::{AppError, AppResult};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// What a token may do, by job.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including audit and token administration.
    Admin,
    /// Vendors and, later, sourcing and purchasing.
    Procurement,
    /// Budgets, FX rates, invoices and the audit log.
    Finance,
    /// Projects and their tracking.
    Pm,
    /// Scores the RFPs assigned to them; sees nothing else.
    Evaluator,
    /// Reads, never writes.
    Viewer,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Procurement,
        Role::Finance,
        Role::Pm,
        Role::Evaluator,
        Role::Viewer,
    ];

    /// The role's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Procurement => "procurement",
            Role::Finance => "finance",
            Role::Pm => "pm",
            Role::Evaluator => "evaluator",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a role name.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token's id.
    pub token_id: i64,
    /// The token's name: what the audit log records as the actor.
    pub name: String,
    /// The token's role.
    pub role: Role,
}

impl Actor {
    /// Ok when this actor's role may perform `action`; a 403 naming both otherwise.
    pub fn require(&self, action: Action) -> AppResult<()> {
        if is_allowed(self.role, action) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "the role `{}` may not {}",
                self.role,
                action.describe()
            )))
        }
    }
}

/// The prefix every Procura token starts with, so leaked tokens are easy to recognise.
pub const TOKEN_PREFIX: &str = "prc";

/// A token as presented: `prc_<public id>_<secret>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedToken<'a> {
    /// The public part, used to find the stored row.
    pub public_id: &'a str,
    /// The whole token text, hashed for comparison.
    pub full: &'a str,
}

impl<'a> PresentedToken<'a> {
    /// Splits a token; `None` when it does not have Procura's shape.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(3, '_');
        let (prefix, public_id, secret) = (parts.next()?, parts.next()?, parts.next()?);
        let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
        (prefix == TOKEN_PREFIX && hex(public_id, 16) && hex(secret, 64)).then_some(Self {
            public_id,
            full: text,
        })
    }
}

/// The stored form of a token: hex SHA-256 of its full text.
pub fn hash_token(full: &str) -> String {
    hex::encode(Sha256::digest(full.as_bytes()))
}

/// Compares a presented token with a stored hash in constant time.
pub fn token_matches(full: &str, stored_hash: &str) -> bool {
    hash_token(full)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

/// A new random token: 8 bytes of public id and 32 bytes of secret from the OS.
pub fn generate_token() -> Result<String, getrandom::Error> {
    let mut public = [0u8; 8];
    let mut secret = [0u8; 32];
    getrandom::fill(&mut public)?;
    getrandom::fill(&mut secret)?;
    Ok(format!(
        "{TOKEN_PREFIX}_{}_{}",
        hex::encode(public),
        hex::encode(secret)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_match_only_their_hash() {
        let token = generate_token().expect("OS randomness");
        let presented = PresentedToken::parse(&token).expect("own shape");
        let hash = hash_token(&token);
        assert!(token_matches(presented.full, &hash));
        let other = generate_token().expect("OS randomness");
        assert!(!token_matches(&other, &hash));
        assert_ne!(token, other);
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for bad in [
            "",
            "prc",
            "prc_abc_def",
            "xyz_0123456789abcdef_".repeat(2).as_str(),
            "Bearer prc_x_y",
        ] {
            assert!(PresentedToken::parse(bad).is_none(), "{bad}");
        }
    }
}
