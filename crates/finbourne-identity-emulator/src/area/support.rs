//! FINBOURNE support access on the emulator's clock, and the sign-in information that reports
//! it.
//!
//! A grant lasts its ISO 8601 duration from the moment it is made (a year counts 365 days, a
//! month 30); it ends when the emulator's clock passes its expiry or when
//! `InvalidateSupportAccess` ends every grant still running.

use axum::http::{StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::Problems;
use crate::reply::Reply;
use crate::resources::{Answer, Call, timestamp};

/// The support roles a grant can permit: internal identifier, label, description.
const SUPPORT_ROLES: &[(&str, &str, &str)] = &[
    (
        "support-read-only",
        "Read-only support",
        "Reads the domain's data and configuration; changes nothing.",
    ),
    (
        "support-administrator",
        "Administrator support",
        "Reads and changes the domain's data and configuration.",
    ),
];

/// The scope of the support roles' role identifiers.
const SUPPORT_ROLE_SCOPE: &str = "support";

/// One grant of support access.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    id: String,
    duration: String,
    description: Option<String>,
    created_at: DateTime<Utc>,
    expiry: DateTime<Utc>,
    created_by: String,
    terminated_at: Option<DateTime<Utc>>,
    terminated_by: Option<String>,
    permitted_roles: Option<Vec<String>>,
}

impl Grant {
    fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.terminated_at.is_none() && now < self.expiry
    }

    /// `SupportAccessResponse`.
    fn to_json(&self) -> Value {
        let mut answer = json!({
            "id": self.id,
            "duration": self.duration,
            "createdAt": timestamp(self.created_at),
            "expiry": timestamp(self.expiry),
            "createdBy": self.created_by,
            "terminated": self.terminated_at.is_some(),
        });
        if let Some(description) = &self.description {
            answer["description"] = json!(description);
        }
        if let Some(at) = self.terminated_at {
            answer["terminatedAt"] = timestamp(at);
        }
        if let Some(by) = &self.terminated_by {
            answer["terminatedBy"] = json!(by);
        }
        if let Some(roles) = &self.permitted_roles {
            answer["permittedRoles"] = json!(roles);
        }
        answer
    }
}

/// Every grant, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Support {
    grants: Vec<Grant>,
}

/// A user id as the service shows it in support records: the first three and last two
/// characters, the rest masked.
fn obfuscate(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 5 {
        return "*".repeat(chars.len().max(4));
    }
    let mut shown: String = chars[..3].iter().collect();
    shown.push_str(&"*".repeat(chars.len() - 5));
    shown.extend(&chars[chars.len() - 2..]);
    shown
}

/// Parses an ISO 8601 duration as the spec's pattern allows it (`P1D`, `PT24H`, `P1W2D`,
/// `PT1.5H`: only the last component may have a fraction); `None` when it is not one or is
/// zero.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    const DAY: f64 = 86_400.0;
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((_, "")) => return None,
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let mut seconds = 0.0_f64;
    let mut fraction_seen = false;
    let mut read = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut next_unit = 0;
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let at = next_unit + units[next_unit..].iter().position(|(u, _)| *u == c)?;
            let well_formed = match number.split_once('.') {
                None => !number.is_empty(),
                Some((whole, frac)) => {
                    !whole.is_empty()
                        && !frac.is_empty()
                        && frac.chars().all(|d| d.is_ascii_digit())
                }
            };
            if !well_formed || fraction_seen {
                return None;
            }
            fraction_seen = number.contains('.');
            seconds += number.parse::<f64>().ok()? * units[at].1;
            next_unit = at + 1;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    read(
        date,
        &[
            ('Y', 365.0 * DAY),
            ('M', 30.0 * DAY),
            ('W', 7.0 * DAY),
            ('D', DAY),
        ],
    )?;
    if date.is_empty() && time.is_none() {
        return None;
    }
    if let Some(time) = time {
        read(time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    let millis = (seconds * 1000.0).round();
    (1.0..1e15)
        .contains(&millis)
        .then(|| Duration::milliseconds(millis as i64))
}

/// `POST /api/authentication/support` (GrantSupportAccess): 201 with the grant.
pub(crate) fn grant(call: &Call<'_>) -> Answer {
    let body = call.body_object()?;
    let mut problems = Problems::default();
    let duration = problems
        .optional_string(&body, "duration")
        .unwrap_or("")
        .trim()
        .to_owned();
    let length = parse_duration(&duration).filter(|_| (2..=30).contains(&duration.len()));
    if length.is_none() {
        problems.add(
            "duration",
            format!("The duration '{duration}' is not a positive ISO 8601 duration such as PT24H or P1D."),
        );
    }
    let description = problems
        .optional_string(&body, "description")
        .map(str::to_owned);
    if let Some(d) = &description {
        problems.length("description", d, 0, 1024);
    }
    let permitted_roles = match body.get("permittedRoles") {
        None | Some(Value::Null) => None,
        Some(Value::Array(roles)) => {
            let mut names = Vec::new();
            for (i, role) in roles.iter().enumerate() {
                match role.as_str() {
                    Some(r) if SUPPORT_ROLES.iter().any(|(id, _, _)| *id == r) => {
                        names.push(r.to_owned());
                    }
                    _ => problems.add(
                        &format!("permittedRoles[{i}]"),
                        format!(
                            "Each permitted role must be one of GetSupportRoles' internal identifiers: {}.",
                            SUPPORT_ROLES
                                .iter()
                                .map(|(id, _, _)| *id)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ),
                }
            }
            Some(names)
        }
        Some(_) => {
            problems.add(
                "permittedRoles",
                "The permittedRoles field must be an array.",
            );
            None
        }
    };
    problems.check(call.instance)?;
    // A duration that did not parse was reported above.
    let length = length.unwrap_or_else(Duration::zero);
    let now = call.now();
    let mut st = call.state();
    let grant = Grant {
        id: crate::state::random_id("sa_"),
        duration,
        description,
        created_at: now,
        expiry: now
            .checked_add_signed(length)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
        created_by: obfuscate(&call.caller_id(&st)),
        terminated_at: None,
        terminated_by: None,
        permitted_roles,
    };
    let answer = grant.to_json();
    let location = format!("{}/api/authentication/support", call.shared.urls.identity);
    st.support.grants.push(grant);
    Ok(Reply::json(StatusCode::CREATED, answer).with_header(header::LOCATION, &location))
}

/// `GET /api/authentication/support?start=&end=` (GetSupportAccessHistory): the grants whose
/// expiry falls in the range, oldest first.
pub(crate) fn history(call: &Call<'_>) -> Answer {
    let start = call.date_query("start");
    let end = call.date_query("end");
    let st = call.state();
    let grants: Vec<Value> = st
        .support
        .grants
        .iter()
        .filter(|g| start.is_none_or(|s| g.expiry >= s) && end.is_none_or(|e| g.expiry <= e))
        .map(Grant::to_json)
        .collect();
    Ok(Reply::json(StatusCode::OK, Value::Array(grants)))
}

/// `DELETE /api/authentication/support` (InvalidateSupportAccess): ends every grant still
/// running and answers them.
pub(crate) fn invalidate(call: &Call<'_>) -> Answer {
    let now = call.now();
    let mut st = call.state();
    let by = obfuscate(&call.caller_id(&st));
    let mut ended = Vec::new();
    for grant in st.support.grants.iter_mut().filter(|g| g.is_active(now)) {
        grant.terminated_at = Some(now);
        grant.terminated_by = Some(by.clone());
        ended.push(grant.to_json());
    }
    Ok(Reply::json(StatusCode::OK, Value::Array(ended)))
}

/// `GET /api/authentication/support-roles` (GetSupportRoles).
pub(crate) fn roles(_call: &Call<'_>) -> Answer {
    let roles: Vec<Value> = SUPPORT_ROLES
        .iter()
        .map(|(id, label, description)| {
            json!({
                "label": label,
                "description": description,
                "roleIdentifier": { "scope": SUPPORT_ROLE_SCOPE, "code": id },
                "internalIdentifier": id,
            })
        })
        .collect();
    Ok(Reply::json(
        StatusCode::OK,
        json!({ "supportRoles": roles }),
    ))
}

/// `GET /api/authentication/information` (GetAuthenticationInformation): the emulator's issuer,
/// and when the support access running now ends, in all and per permitted role.
pub(crate) fn authentication_information(call: &Call<'_>) -> Answer {
    let now = call.now();
    let st = call.state();
    let active: Vec<&Grant> = st
        .support
        .grants
        .iter()
        .filter(|g| g.is_active(now))
        .collect();
    let mut answer = json!({ "issuerUrl": super::applications::issuer(call) });
    if let Some(last) = active.iter().map(|g| g.expiry).max() {
        answer["support"] = json!({ "expiry": timestamp(last) });
        let mut by_role: Vec<(String, DateTime<Utc>)> = Vec::new();
        for grant in &active {
            for role in grant.permitted_roles.iter().flatten() {
                match by_role.iter_mut().find(|(r, _)| r == role) {
                    Some((_, expiry)) => *expiry = (*expiry).max(grant.expiry),
                    None => by_role.push((role.clone(), grant.expiry)),
                }
            }
        }
        if !by_role.is_empty() {
            answer["supportAccessExpiryWithRole"] = Value::Array(
                by_role
                    .into_iter()
                    .map(|(role, expiry)| {
                        json!({ "permittedRole": role, "expiry": timestamp(expiry) })
                    })
                    .collect(),
            );
        }
    }
    Ok(Reply::json(StatusCode::OK, answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_the_spec_pattern() {
        assert_eq!(parse_duration("PT24H"), Some(Duration::hours(24)));
        assert_eq!(parse_duration("P1D"), Some(Duration::days(1)));
        assert_eq!(parse_duration("P1W2D"), Some(Duration::days(9)));
        assert_eq!(parse_duration("PT1.5H"), Some(Duration::minutes(90)));
        assert_eq!(
            parse_duration("P1DT30M"),
            Some(Duration::minutes(24 * 60 + 30))
        );
        assert_eq!(parse_duration("PT0.5S"), Some(Duration::milliseconds(500)));
        for bad in [
            "",
            "P",
            "PT",
            "24H",
            "PT1.5H30M",
            "P1H",
            "PT1D",
            "P1D1Y",
            "PT0S",
            "P.5D",
            "P1.D",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_are_masked() {
        assert_eq!(obfuscate("00uABCDEFGH"), "00u******GH");
        assert_eq!(obfuscate("abc"), "****");
    }
}
