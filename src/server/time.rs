//! Times as the OpenStack APIs print and read them. One module for the REST layer, the
//! portal's server functions and `gureum status`, so none of them imports another for a clock.

/// ISO 8601 with microseconds and a `Z`, as Keystone prints times.
pub fn iso_micros(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// ISO 8601 without fractions and with a `Z`, as Nova, Neutron and Glance print times.
pub fn iso_seconds(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// ISO 8601 with microseconds and no zone (`datetime.isoformat()` of a naive UTC time), as
/// Keystone prints an application credential's expiry.
pub fn iso_naive_micros(unix_seconds: i64, micros: i64) -> String {
    let nanos = (micros.clamp(0, 999_999) * 1000) as u32;
    chrono::DateTime::from_timestamp(unix_seconds, nanos)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

/// Parses an ISO 8601 time as clients send it (with or without zone, fraction).
pub fn parse_iso(s: &str) -> Option<i64> {
    parse_iso_micros(s).map(|(seconds, _)| seconds)
}

/// Parses an ISO 8601 time into its Unix seconds and the microseconds past them.
pub fn parse_iso_micros(s: &str) -> Option<(i64, i64)> {
    let split =
        |t: chrono::DateTime<chrono::Utc>| (t.timestamp(), i64::from(t.timestamp_subsec_micros()));
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(split(t.with_timezone(&chrono::Utc)));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), fmt) {
            return Some(split(t.and_utc()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_times_read_back() {
        let t = 1_700_000_000;
        assert_eq!(iso_micros(t), "2023-11-14T22:13:20.000000Z");
        assert_eq!(iso_seconds(t), "2023-11-14T22:13:20Z");
        assert_eq!(parse_iso(&iso_micros(t)), Some(t));
        assert_eq!(parse_iso(&iso_seconds(t)), Some(t));
        assert_eq!(parse_iso("2023-11-14 22:13:20"), Some(t));
        assert_eq!(parse_iso("yesterday"), None);
    }
}
