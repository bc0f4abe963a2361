use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash the first row chains to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one audit row that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFields<'a> {
    pub seq: i64,
    /// RFC 3339 UTC with microseconds.
    pub occurred_at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before_state: Option<&'a str>,
    pub after_state: Option<&'a str>,
}

/// `sha256(json([seq, occurred_at, actor, action, entity, entity_id, before, after, prev_hash]))`
/// in lower-case hex. JSON encoding makes the field boundaries unambiguous.
pub fn chain_hash(fields: &AuditFields<'_>, prev_hash: &str) -> String {
    #[derive(Serialize)]
    struct Canonical<'a>(
        i64,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
    );
    let canonical = Canonical(
        fields.seq,
        fields.occurred_at,
        fields.actor,
        fields.action,
        fields.entity,
        fields.entity_id,
        fields.before_state,
        fields.after_state,
        prev_hash,
    );
    // Serialising plain strings and integers cannot fail.
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// Why a row breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChainBreak {
    /// The first row whose chain does not hold.
    pub seq: i64,
    /// What does not hold.
    pub reason: String,
}

/// Checks one row against the one before it: the sequence follows on, the row names the
/// previous hash, and its own hash is what its fields give.
pub fn check_link(
    expected_seq: i64,
    expected_prev: &str,
    fields: &AuditFields<'_>,
    prev_hash: &str,
    hash: &str,
) -> Option<ChainBreak> {
    let broken = |reason: String| {
        Some(ChainBreak {
            seq: fields.seq,
            reason,
        })
    };
    if fields.seq != expected_seq {
        return broken(format!(
            "sequence jumps from {} to {}: rows are missing",
            expected_seq - 1,
            fields.seq
        ));
    }
    if prev_hash != expected_prev {
        return broken(
            "its previous hash does not match the hash of the row before it".to_string(),
        );
    }
    if chain_hash(fields, prev_hash) != hash {
        return broken("its contents do not match its hash: the row was altered".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(seq: i64, after: &str) -> AuditFields<'_> {
        AuditFields {
            seq,
            occurred_at: "2026-11-27T10:00:00.000000Z",
            actor: "alice",
            action: "vendor.create",
            entity: "vendor",
            entity_id: "1",
            before_state: None,
            after_state: Some(after),
        }
    }

    #[test]
    fn any_change_breaks_the_link() {
        let row = fields(1, r#"{"name":"Acme"}"#);
        let hash = chain_hash(&row, GENESIS_HASH);
        assert_eq!(check_link(1, GENESIS_HASH, &row, GENESIS_HASH, &hash), None);
        let altered = fields(1, r#"{"name":"Acme Ltd"}"#);
        assert!(check_link(1, GENESIS_HASH, &altered, GENESIS_HASH, &hash).is_some());
        assert!(check_link(2, GENESIS_HASH, &row, GENESIS_HASH, &hash).is_some());
        assert!(check_link(1, &hash, &row, GENESIS_HASH, &hash).is_some());
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let mut a = fields(1, "x");
        a.actor = "ab";
        a.action = "c";
        let mut b = fields(1, "x");
        b.actor = "a";
        b.action = "bc";
        assert_ne!(chain_hash(&a, GENESIS_HASH), chain_hash(&b, GENESIS_HASH));
    }
}
