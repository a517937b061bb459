//! Durations and times as people type them: `90s`, `15m`, `1h`, `2d`, `500ms`, or seconds.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Parses `500ms`, `30s`, `15m`, `1h`, `2d`, or a whole number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: use e.g. 30s, 15m, 1h, 2d or 500ms"))?;
    let seconds = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use ms, s, m, h or d"
            ));
        }
    };
    Ok(Duration::from_secs(seconds))
}

/// An RFC 3339 time, or a duration from `now`.
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(at.to_utc());
    }
    let after = parse_duration(text).map_err(|_| {
        format!("{text:?} is neither an RFC 3339 time (2026-12-01T09:00:00Z) nor a duration (1h)")
    })?;
    let after =
        chrono::Duration::from_std(after).map_err(|_| format!("{text:?} is too far away"))?;
    Ok(now + after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert!(
            parse_duration("1 hour")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("not a duration")
        );
    }

    #[test]
    fn times() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            parse_time("1h", now).unwrap().to_rfc3339(),
            "2026-11-27T11:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-12-01T09:00:00Z", now)
                .unwrap()
                .to_rfc3339(),
            "2026-12-01T09:00:00+00:00"
        );
        assert!(parse_time("tomorrow", now).is_err());
    }
}
