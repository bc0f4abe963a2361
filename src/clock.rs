//! The one source of "now": UTC, truncated to microseconds so that a timestamp reads back from
//! either engine exactly as it was written (PostgreSQL keeps microseconds).

use chrono::{NaiveDateTime, Timelike, Utc};

/// The current UTC time at microsecond precision.
pub fn now() -> NaiveDateTime {
    truncate_to_micros(Utc::now().naive_utc())
}

/// `t` without its sub-microsecond part.
pub fn truncate_to_micros(t: NaiveDateTime) -> NaiveDateTime {
    let nanos = t.nanosecond();
    // Lowering the nanosecond field keeps it valid, so this cannot fail.
    t.with_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

/// RFC 3339 text for a stored UTC timestamp: `2026-11-27T10:45:20.123456Z`.
pub fn to_rfc3339(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
