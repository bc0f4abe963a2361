//! Purchase order approval bands: how many approvals an order needs, and from which roles,
//! by its amount. Pure: no database; the policy is read from and written to one line of text.
//!
//! Rules, decided here and only here:
//! - **Bands.** A policy is a list of bands with strictly ascending upper limits; the last has
//!   no limit (`*`), so every amount falls in exactly one band.
//! - **Boundaries.** An amount belongs to the first band whose limit is at or above it: an
//!   amount exactly at a limit belongs to that band, one minor unit more to the next.
//! - **Text form.** `limit:approvals:role|role;…;*:approvals:role|…`, for example
//!   `10000:1:procurement|finance|admin;100000:2:procurement|finance|admin;*:3:finance|admin`.
//!   Whitespace around any token is ignored. Limits are non-negative decimals, approvals at
//!   least 1, and each band names at least one role, each once, from the roles Procura knows.
//! - **Defaults.** Up to 10,000: one approval; up to 100,000: two; above: three; each from
//!   procurement, finance or admin.

use rust_decimal::Decimal;
use std::str::FromStr;

/// Role names a band may list: the names of the crate's `auth::Role`, repeated here because
/// this module depends on nothing else in the crate.
const ROLE_NAMES: [&str; 6] = [
    "admin",
    "procurement",
    "finance",
    "pm",
    "evaluator",
    "viewer",
];

/// One band of an approval policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalBand {
    /// Highest amount in the band, inclusive; `None` for the open-ended last band.
    pub up_to: Option<Decimal>,
    /// Number of distinct approvals an order in this band needs.
    pub approvals: u32,
    /// Role names allowed to approve in this band.
    pub roles: Vec<String>,
}

/// Approval bands by order amount, always ending with an open-ended band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalPolicy {
    bands: Vec<ApprovalBand>,
}

impl ApprovalPolicy {
    /// The policy used when none is configured: 1 approval up to 10,000, 2 up to 100,000, 3
    /// above, each from procurement, finance or admin.
    pub fn defaults() -> Self {
        let band = |up_to: Option<i64>, approvals| ApprovalBand {
            up_to: up_to.map(Decimal::from),
            approvals,
            roles: ["procurement", "finance", "admin"]
                .map(String::from)
                .to_vec(),
        };
        Self {
            bands: vec![band(Some(10_000), 1), band(Some(100_000), 2), band(None, 3)],
        }
    }

    /// Reads a policy from its text form (see the module documentation); an error names the
    /// band, counted from 1, and what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split(';').collect();
        let mut bands: Vec<ApprovalBand> = Vec::with_capacity(parts.len());
        for (index, part) in parts.iter().enumerate() {
            let number = index + 1;
            let fail = |why: String| format!("band {number} (\"{}\"): {why}", part.trim());
            let band = parse_band(part).map_err(fail)?;
            match (bands.last().map(|b| b.up_to), band.up_to) {
                (Some(None), _) => {
                    return Err(fail("comes after the open-ended \"*\" band".into()))
                }
                (Some(Some(previous)), Some(limit)) if limit <= previous => {
                    return Err(fail(format!(
                        "limit {limit} is not above the previous {previous}"
                    )))
                }
                _ => bands.push(band),
            }
        }
        if bands.last().is_some_and(|b| b.up_to.is_some()) {
            return Err(format!(
                "band {} (\"{}\"): the last band must have the limit \"*\"",
                bands.len(),
                parts[parts.len() - 1].trim()
            ));
        }
        Ok(Self { bands })
    }

    /// The bands, lowest limit first.
    pub fn bands(&self) -> &[ApprovalBand] {
        &self.bands
    }

    /// The band an order of `amount` falls in: the first whose limit is at or above it.
    pub fn band_for(&self, amount: Decimal) -> &ApprovalBand {
        self.bands
            .iter()
            .find(|band| band.up_to.is_none_or(|limit| amount <= limit))
            .expect("`parse` and `defaults` always end with an open-ended band")
    }

    /// The text form, which `parse` reads back to an equal policy.
    pub fn to_text(&self) -> String {
        self.bands
            .iter()
            .map(|band| {
                let limit = band
                    .up_to
                    .map_or_else(|| "*".to_string(), |l| l.to_string());
                format!("{limit}:{}:{}", band.approvals, band.roles.join("|"))
            })
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// One `limit:approvals:roles` band, its order against the others not yet checked.
fn parse_band(text: &str) -> Result<ApprovalBand, String> {
    let fields: Vec<&str> = text.split(':').map(str::trim).collect();
    let [limit, approvals, roles] = fields[..] else {
        return Err(format!(
            "expected limit:approvals:roles, found {} field(s)",
            fields.len()
        ));
    };
    let up_to = match limit {
        "*" => None,
        _ => match Decimal::from_str(limit) {
            Ok(value) if value < Decimal::ZERO => return Err(format!("limit {limit} is negative")),
            Ok(value) => Some(value),
            Err(_) => return Err(format!("limit \"{limit}\" is neither a number nor \"*\"")),
        },
    };
    let approvals = match approvals.parse::<u32>() {
        Ok(0) => return Err("approvals must be at least 1".to_string()),
        Ok(count) => count,
        Err(_) => return Err(format!("approvals \"{approvals}\" is not a whole number")),
    };
    let mut names: Vec<String> = Vec::new();
    for role in roles.split('|').map(str::trim) {
        if role.is_empty() {
            return Err("a role name is empty".to_string());
        }
        if !ROLE_NAMES.contains(&role) {
            let known = ROLE_NAMES.join(", ");
            return Err(format!("unknown role \"{role}\" (known roles: {known})"));
        }
        if names.iter().any(|name| name == role) {
            return Err(format!("role \"{role}\" is listed twice"));
        }
        names.push(role.to_string());
    }
    Ok(ApprovalBand {
        up_to,
        approvals,
        roles: names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    const EXAMPLE: &str =
        "10000:1:procurement|finance|admin;100000:2:procurement|finance|admin;*:3:finance|admin";

    #[test]
    fn parses_the_documented_example() {
        let policy = ApprovalPolicy::parse(EXAMPLE).unwrap();
        let summary: Vec<_> = policy
            .bands()
            .iter()
            .map(|b| (b.up_to, b.approvals, b.roles.join("|")))
            .collect();
        assert_eq!(
            summary,
            vec![
                (Some(d("10000")), 1, "procurement|finance|admin".to_string()),
                (
                    Some(d("100000")),
                    2,
                    "procurement|finance|admin".to_string()
                ),
                (None, 3, "finance|admin".to_string()),
            ]
        );
        assert_eq!(policy.to_text(), EXAMPLE);
    }

    #[test]
    fn whitespace_around_tokens_is_ignored() {
        let spaced = " 10000 : 1 : procurement | finance|admin ; 100000:2:procurement|finance|admin;\t* :3: finance | admin \n";
        assert_eq!(
            ApprovalPolicy::parse(spaced).unwrap(),
            ApprovalPolicy::parse(EXAMPLE).unwrap()
        );
    }

    #[test]
    fn round_trips_through_text() {
        for text in [
            EXAMPLE,
            "*:1:viewer",
            "0.01:1:pm;2500.50:2:evaluator|pm;*:4:admin",
        ] {
            let policy = ApprovalPolicy::parse(text).unwrap();
            assert_eq!(policy.to_text(), text);
            assert_eq!(ApprovalPolicy::parse(&policy.to_text()).unwrap(), policy);
        }
        let defaults = ApprovalPolicy::defaults();
        assert_eq!(
            ApprovalPolicy::parse(&defaults.to_text()).unwrap(),
            defaults
        );
        assert_eq!(
            defaults.to_text(),
            "10000:1:procurement|finance|admin;100000:2:procurement|finance|admin;*:3:procurement|finance|admin"
        );
    }

    #[test]
    fn amounts_at_a_limit_belong_to_that_band() {
        let policy = ApprovalPolicy::defaults();
        #[rustfmt::skip]
        let cases = [
            ("0", 1), ("-50.00", 1), ("9999.99", 1), ("10000", 1), ("10000.00", 1),
            ("10000.01", 2), ("100000", 2), ("100000.001", 3), ("1000000000", 3),
        ];
        for (amount, approvals) in cases {
            assert_eq!(policy.band_for(d(amount)).approvals, approvals, "{amount}");
        }
        let single = ApprovalPolicy::parse("*:2:finance").unwrap();
        assert_eq!(
            single.band_for(d("123456789")).roles,
            vec!["finance".to_string()]
        );
    }

    #[test]
    fn every_parse_error_names_the_band_and_the_reason() {
        #[rustfmt::skip]
        let cases = [
            ("", "band 1 (\"\"): expected limit:approvals:roles, found 1 field(s)"),
            ("10000:1", "band 1 (\"10000:1\"): expected limit:approvals:roles, found 2 field(s)"),
            ("10000:1:admin:x;*:2:admin", "band 1 (\"10000:1:admin:x\"): expected limit:approvals:roles, found 4 field(s)"),
            ("ten:1:admin;*:2:admin", "band 1 (\"ten:1:admin\"): limit \"ten\" is neither a number nor \"*\""),
            ("-1:1:admin;*:2:admin", "band 1 (\"-1:1:admin\"): limit -1 is negative"),
            ("100:0:admin;*:2:admin", "band 1 (\"100:0:admin\"): approvals must be at least 1"),
            ("100:two:admin;*:2:admin", "band 1 (\"100:two:admin\"): approvals \"two\" is not a whole number"),
            ("100:-1:admin;*:2:admin", "band 1 (\"100:-1:admin\"): approvals \"-1\" is not a whole number"),
            ("100:1:;*:2:admin", "band 1 (\"100:1:\"): a role name is empty"),
            ("100:1:admin||pm;*:2:admin", "band 1 (\"100:1:admin||pm\"): a role name is empty"),
            ("100:1:admin;*:2:Finance", "band 2 (\"*:2:Finance\"): unknown role \"Finance\" (known roles: admin, procurement, finance, pm, evaluator, viewer)"),
            ("100:1:admin|pm|admin;*:2:admin", "band 1 (\"100:1:admin|pm|admin\"): role \"admin\" is listed twice"),
            ("100:1:admin;100:2:admin;*:3:admin", "band 2 (\"100:2:admin\"): limit 100 is not above the previous 100"),
            ("100:1:admin;50:2:admin;*:3:admin", "band 2 (\"50:2:admin\"): limit 50 is not above the previous 100"),
            ("100:1:admin;*:2:admin;200:3:admin", "band 3 (\"200:3:admin\"): comes after the open-ended \"*\" band"),
            ("100:1:admin;*:2:admin;*:3:admin", "band 3 (\"*:3:admin\"): comes after the open-ended \"*\" band"),
            ("100:1:admin;1000:2:admin", "band 2 (\"1000:2:admin\"): the last band must have the limit \"*\""),
            ("100:1:admin;*:2:admin;", "band 3 (\"\"): expected limit:approvals:roles, found 1 field(s)"),
        ];
        for (text, error) in cases {
            assert_eq!(
                ApprovalPolicy::parse(text),
                Err(error.to_string()),
                "{text:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn every_amount_falls_in_the_band_its_limits_bound(
            steps in proptest::collection::vec((1i64..1_000_000, 1u32..5), 0..6),
            amount in -1_000i64..10_000_000,
        ) {
            let mut limit = Decimal::ZERO;
            let mut text = String::new();
            for (step, approvals) in steps {
                limit += Decimal::new(step, 2);
                text.push_str(&format!("{limit}:{approvals}:finance;"));
            }
            text.push_str("*:9:admin");
            let policy = ApprovalPolicy::parse(&text).unwrap();
            prop_assert_eq!(ApprovalPolicy::parse(&policy.to_text()).unwrap(), policy.clone());
            let amount = Decimal::new(amount, 2);
            let band = policy.band_for(amount);
            let index = policy.bands().iter().position(|b| b == band).unwrap();
            prop_assert!(band.up_to.is_none_or(|up_to| amount <= up_to));
            if index > 0 {
                prop_assert!(amount > policy.bands()[index - 1].up_to.unwrap());
            }
        }
    }
}
