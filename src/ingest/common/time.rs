//! Timestamps as logs write them → microseconds since the Unix epoch (UTC). Zone-less times are read as UTC.

use chrono::{DateTime, NaiveDateTime};

/// Parse RFC 3339 / ISO 8601 (with or without zone, `T` or space, any fraction) or a Unix epoch number.
pub fn parse_ts(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_micros());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.timestamp_micros());
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y%m%d-%H%M%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    text.parse::<f64>().ok().and_then(epoch_to_micros)
}

/// A Unix epoch number in seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude).
pub fn epoch_to_micros(value: f64) -> Option<i64> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let micros = if value < 1e11 {
        value * 1e6
    } else if value < 1e14 {
        value * 1e3
    } else if value < 1e17 {
        value
    } else {
        value / 1e3
    };
    Some(micros.round() as i64)
}

/// A JSON value that holds a timestamp, as a string or a number.
pub fn from_json(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::String(s) => parse_ts(s),
        serde_json::Value::Number(n) => n.as_f64().and_then(epoch_to_micros),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_logs_use_agree() {
        let expected = 1_736_935_200_000_000; // 2025-01-15 10:00:00 UTC
        assert_eq!(parse_ts("2025-01-15T10:00:00Z"), Some(expected));
        assert_eq!(parse_ts("2025-01-15T11:00:00+01:00"), Some(expected));
        assert_eq!(parse_ts("2025-01-15 10:00:00"), Some(expected));
        assert_eq!(parse_ts("2025-01-15 10:00:00.000000"), Some(expected));
        assert_eq!(parse_ts("2025-01-15T10:00:00.000-00:00"), Some(expected));
        assert_eq!(parse_ts("1736935200"), Some(expected));
        assert_eq!(parse_ts("1736935200000"), Some(expected));
        assert_eq!(parse_ts("20250115-100000"), Some(expected));
        assert_eq!(parse_ts("2025-01-15 10:00:00.250"), Some(expected + 250_000));
        assert_eq!(parse_ts("yesterday"), None);
        assert_eq!(parse_ts(""), None);
    }
}
