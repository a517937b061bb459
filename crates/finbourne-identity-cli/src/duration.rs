//! Durations and times as people type them: `90s`, `15m`, `1h`, `2d`, `500ms`.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

const UNITS: &str = "use a whole number and a unit, e.g. 30s, 15m, 1h, 2d or 500ms";

/// Why a text is not a duration.
enum Problem<'a> {
    NoNumber,
    // A bare number is refused: FBN_TOTAL_TIMEOUT_MS counts milliseconds, so `--timeout 30000`
    // would be ambiguous.
    NoUnit,
    UnknownUnit(&'a str),
    TooLarge,
}

/// Parses `500ms`, `30s`, `15m`, `1h` or `2d`: at most `u64::MAX` milliseconds, as the SDK's
/// timeout settings count them.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    parse(text).map_err(|problem| match problem {
        Problem::NoNumber => format!("{text:?} is not a duration: {UNITS}"),
        Problem::NoUnit => format!("{text:?} has no unit: {UNITS}"),
        Problem::UnknownUnit(unit) => {
            format!("unknown unit {unit:?} in {text:?}: use ms, s, m, h or d")
        }
        Problem::TooLarge => format!("{text:?} is too large a duration"),
    })
}

fn parse(text: &str) -> Result<Duration, Problem<'_>> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(Problem::NoNumber);
    }
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "" => return Err(Problem::NoUnit),
        other => return Err(Problem::UnknownUnit(other)),
    };
    // `number` is only ASCII digits, so the parse fails only when it overflows.
    let n: u64 = number.parse().map_err(|_| Problem::TooLarge)?;
    let millis = n.checked_mul(millis_per_unit).ok_or(Problem::TooLarge)?;
    Ok(Duration::from_millis(millis))
}

/// An RFC 3339 time, or a duration from `now`.
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(at.to_utc());
    }
    let too_far = || format!("{text:?} is too far in the future");
    match parse(text) {
        Ok(after) => TimeDelta::from_std(after)
            .ok()
            .and_then(|after| now.checked_add_signed(after))
            .ok_or_else(too_far),
        Err(Problem::TooLarge) => Err(too_far()),
        Err(_) => Err(format!(
            "{text:?} is neither an RFC 3339 time (2026-12-01T09:00:00Z) nor a duration (1h)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration(" 1h ").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        assert_eq!(
            parse_duration("18446744073709551615ms").unwrap(),
            Duration::from_millis(u64::MAX)
        );
    }

    #[test]
    fn bad_durations_say_what_is_wrong() {
        let problem = |text| parse_duration(text).unwrap_err();
        assert!(problem("1 hour").contains("unknown unit \" hour\""));
        assert!(problem("1e9s").contains("unknown unit \"e9s\""));
        assert!(problem("5y").contains("unknown unit \"y\""));
        assert!(problem("soon").contains("not a duration"));
        assert!(problem("").contains("not a duration"));
        assert!(problem("-5s").contains("not a duration"));
        assert!(problem("s").contains("not a duration"));
        assert!(problem("90").contains("has no unit"));
        for huge in [
            "999999999999999999d",
            "99999999999999h",
            "18446744073709551616ms",
            "18446744073709552s",
            "99999999999999999999999999999999s",
        ] {
            assert!(problem(huge).contains("too large"), "{huge}");
        }
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
        assert!(parse_time("tomorrow", now).unwrap_err().contains("neither"));
        assert!(parse_time("90", now).unwrap_err().contains("neither"));
    }

    #[test]
    fn times_beyond_the_calendar_are_refused() {
        let now = Utc::now();
        // Too large for a Duration of u64 milliseconds, for a TimeDelta, for the calendar.
        for far in [
            "99999999999999h",
            "18446744073709551615ms",
            "9000000000000000s",
        ] {
            assert!(
                parse_time(far, now).unwrap_err().contains("too far"),
                "{far}"
            );
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        const UNITS: [(&str, u128); 5] = [
            ("ms", 1),
            ("s", 1_000),
            ("m", 60_000),
            ("h", 3_600_000),
            ("d", 86_400_000),
        ];

        /// Text that looks like a duration more often than arbitrary text does: signs, digits,
        /// exponents, units, spaces, and anything else.
        fn duration_like() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[ +\\-]?[0-9]{0,30}(\\.[0-9]*)?(e[0-9]+)?[ ]?(ms|s|m|h|d|y|µs|S|)[ ]?",
            ]
        }

        /// Any instant chrono can hold, the ends included.
        fn instant() -> impl Strategy<Value = DateTime<Utc>> {
            let (min, max) = (
                DateTime::<Utc>::MIN_UTC.timestamp(),
                DateTime::<Utc>::MAX_UTC.timestamp(),
            );
            prop_oneof![
                Just(DateTime::<Utc>::MIN_UTC),
                Just(DateTime::<Utc>::MAX_UTC),
                (min..=max).prop_map(|t| DateTime::from_timestamp(t, 0).unwrap()),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            #[test]
            fn any_text_parses_or_is_refused_without_a_panic(text in duration_like(), now in instant()) {
                let _ = parse_duration(&text);
                if let Ok(at) = parse_time(&text, now) {
                    // Whatever is accepted is a real instant, at or after now unless it was a time.
                    prop_assert!(at >= now || DateTime::parse_from_rfc3339(text.trim()).is_ok());
                }
            }

            #[test]
            fn a_number_and_a_unit_is_that_many_units_when_it_fits(
                digits in prop_oneof![any::<u64>().prop_map(|n| n.to_string()), "[0-9]{1,40}"],
                unit in 0..UNITS.len(),
                now in instant(),
            ) {
                let (name, millis_per_unit) = UNITS[unit];
                let text = format!("{digits}{name}");
                let millis = digits.parse::<u128>().ok().and_then(|n| n.checked_mul(millis_per_unit));
                match millis.and_then(|m| u64::try_from(m).ok()) {
                    Some(m) => {
                        prop_assert_eq!(parse_duration(&text), Ok(Duration::from_millis(m)));
                        match parse_time(&text, now) {
                            Ok(at) => prop_assert_eq!((at - now).num_milliseconds(), m as i64),
                            Err(e) => prop_assert!(e.contains("too far in the future"), "{}", e),
                        }
                    }
                    None => {
                        prop_assert!(parse_duration(&text).unwrap_err().contains("too large"));
                        prop_assert!(parse_time(&text, now).unwrap_err().contains("too far"));
                    }
                }
            }
        }
    }
}
