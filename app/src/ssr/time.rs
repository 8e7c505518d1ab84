use chrono::{DateTime, SecondsFormat, Utc};

/// RFC 3339 in UTC with a `Z`, as the API contract writes times.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
