//! The OAuth2 token endpoint: password, refresh-token and client-credentials grants.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use axum::http::{HeaderMap, Method, StatusCode, header};
use base64::Engine as _;
use serde_json::json;

use crate::reply::{Reply, oauth_error};
use crate::state::{AccessToken, RefreshToken, add, random_token};
use crate::{DEFAULT_SCOPE, Shared, lock};

/// The description of `invalid_grant` for an unusable refresh token, as the identity provider
/// words it (the official SDKs look for it).
pub(crate) const INVALID_REFRESH: &str = "The refresh token is invalid or expired.";

/// Compares secrets without an early exit on the first difference.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Client credentials from `Authorization: Basic`: `Ok(None)` when there is no Basic header,
/// `Err(())` when it is malformed.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?.trim();
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = decoded.split_once(':').ok_or(())?;
    Ok(Some((id.to_owned(), secret.to_owned())))
}

/// RFC 6749 section 2.3.1 says Basic credentials are form-encoded first; many clients do not
/// encode. Accept either.
fn matches_maybe_encoded(given: &str, expected: &str) -> bool {
    if same_secret(given, expected) {
        return true;
    }
    let decoded: String = url::form_urlencoded::parse(format!("x={given}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    same_secret(&decoded, expected)
}

fn invalid_client(description: &str) -> Reply {
    oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description).with_header(
        header::WWW_AUTHENTICATE,
        "Basic realm=\"fbn-identity-emulator\"",
    )
}

fn invalid_request(description: &str) -> Reply {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// The fields of a form-encoded body by name, in one pass (a form of any size costs time in
/// proportion to its length); `Err` names the first field that is repeated (RFC 6749 section 3.2:
/// parameters must not be included more than once).
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut form = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        match form.entry(k.into_owned()) {
            Entry::Occupied(repeated) => return Err(repeated.key().clone()),
            Entry::Vacant(slot) => {
                slot.insert(v.into_owned());
            }
        }
    }
    Ok(form)
}

/// `POST /oauth2/token`.
pub(crate) fn token(shared: &Shared, method: &Method, headers: &HeaderMap, body: &[u8]) -> Reply {
    if method != Method::POST {
        return oauth_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "The token endpoint accepts POST requests only.",
        )
        .with_header(header::ALLOW, "POST");
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return invalid_request(
            "The request must be form-encoded (Content-Type: application/x-www-form-urlencoded).",
        );
    }
    let form = match parse_form(body) {
        Ok(form) => form,
        Err(repeated) => {
            return invalid_request(&format!("The parameter '{repeated}' is repeated."));
        }
    };
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());

    // Client authentication: HTTP Basic, else client_id and client_secret in the body.
    let (client_id, client_secret) = match basic_credentials(headers) {
        Err(()) => return invalid_client("The Basic authorization header is malformed."),
        Ok(Some((id, secret))) => (id, secret),
        Ok(None) => match (field("client_id"), field("client_secret")) {
            (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
            (None, _) => return invalid_client("Client authentication is required."),
            (Some(_), None) => return invalid_client("The client secret is missing."),
        },
    };
    let Some(client_id) = authenticate_client(shared, &client_id, &client_secret) else {
        return invalid_client("Client authentication failed.");
    };

    match field("grant_type") {
        None => invalid_request("The grant_type parameter is required."),
        Some("password") => password_grant(
            shared,
            &client_id,
            field("username"),
            field("password"),
            field("scope"),
        ),
        Some("refresh_token") => {
            refresh_grant(shared, &client_id, field("refresh_token"), field("scope"))
        }
        Some("client_credentials") => client_credentials_grant(shared, field("scope")),
        Some(other) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!(
                "The grant type '{other}' is not supported by this endpoint; use password, refresh_token or client_credentials."
            ),
        ),
    }
}

/// The client id of the client these credentials authenticate: the configured client, or an
/// application registered through the API with its current secret.
fn authenticate_client(shared: &Shared, client_id: &str, client_secret: &str) -> Option<String> {
    let config = &shared.config;
    if matches_maybe_encoded(client_id, &config.client_id)
        && matches_maybe_encoded(client_secret, &config.client_secret)
    {
        return Some(config.client_id.clone());
    }
    let st = lock(&shared.state);
    crate::area::applications::client_credentials(&st)
        .into_iter()
        .find(|(id, secret)| {
            matches_maybe_encoded(client_id, id) && matches_maybe_encoded(client_secret, secret)
        })
        .map(|(id, _)| id)
}

fn password_grant(
    shared: &Shared,
    client_id: &str,
    username: Option<&str>,
    password: Option<&str>,
    scope: Option<&str>,
) -> Reply {
    let (Some(username), Some(password)) = (username, password) else {
        return invalid_request("The password grant needs username and password.");
    };
    let now = shared.clock.now();
    let mut st = lock(&shared.state);
    // Passwords, statuses and the password policy: see `area::lifecycle`.
    let username = match crate::area::lifecycle::sign_in(shared, &mut st, username, password, now) {
        Ok(username) => username,
        Err(refusal) => return refusal,
    };
    let username = &username;
    let scope = scope.unwrap_or(DEFAULT_SCOPE).to_owned();
    let refresh = random_token("emu_rt_");
    st.refresh_tokens.insert(
        refresh.clone(),
        RefreshToken {
            username: username.clone(),
            client_id: client_id.to_owned(),
            scope: scope.clone(),
            expires_at: shared.config.refresh_token_lifetime.map(|l| add(now, l)),
            revoked: false,
        },
    );
    if let Some(user) = st
        .users
        .iter_mut()
        .find(|u| u.login.eq_ignore_ascii_case(username))
    {
        user.last_login = Some(now);
    }
    issue(shared, &mut st, username, Some(refresh), scope)
}

/// The client signs in as itself, as service accounts do. Its tokens act as the first
/// configured user (the service user the client belongs to, as far as the API can tell), and
/// come without a refresh token, as RFC 6749 (4.4.3) advises: the client signs in again instead.
fn client_credentials_grant(shared: &Shared, scope: Option<&str>) -> Reply {
    let scope = scope.unwrap_or(DEFAULT_SCOPE).to_owned();
    let username = shared.config.users[0].0.clone();
    let mut st = lock(&shared.state);
    issue(shared, &mut st, &username, None, scope)
}

fn refresh_grant(
    shared: &Shared,
    client_id: &str,
    refresh: Option<&str>,
    scope: Option<&str>,
) -> Reply {
    let Some(refresh) = refresh else {
        return invalid_request("The refresh_token grant needs a refresh_token.");
    };
    let now = shared.clock.now();
    let mut st = lock(&shared.state);
    let usable = st.refresh_tokens.get(refresh).filter(|t| {
        !t.revoked && t.client_id == client_id && t.expires_at.is_none_or(|end| now < end)
    });
    let Some(record) = usable.cloned() else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", INVALID_REFRESH);
    };
    let scope = scope.map(str::to_owned).unwrap_or(record.scope);
    issue(
        shared,
        &mut st,
        &record.username,
        Some(refresh.to_owned()),
        scope,
    )
}

/// Issues an access token and answers with it and the refresh token, if any.
fn issue(
    shared: &Shared,
    st: &mut crate::state::State,
    username: &str,
    refresh: Option<String>,
    scope: String,
) -> Reply {
    let lifetime = shared.config.token_lifetime;
    let access = random_token("emu_at_");
    st.access_tokens.insert(
        access.clone(),
        AccessToken {
            username: username.to_owned(),
            expires_at: Some(add(shared.clock.now(), lifetime)),
        },
    );
    let expires_in = lifetime.as_secs() + u64::from(lifetime.subsec_nanos() > 0);
    let mut answer = json!({
        "access_token": access,
        "expires_in": expires_in,
        "token_type": "Bearer",
        "scope": scope,
    });
    if let Some(refresh) = refresh {
        answer["refresh_token"] = refresh.into();
    }
    Reply::oauth_json(StatusCode::OK, answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_header_parsing() {
        let mut headers = HeaderMap::new();
        assert_eq!(basic_credentials(&headers), Ok(None));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic aWQ6c2VjcmV0"),
        );
        assert_eq!(
            basic_credentials(&headers),
            Ok(Some(("id".into(), "secret".into())))
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_credentials(&headers), Err(()));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&headers), Ok(None));
    }

    #[test]
    fn form_fields_and_repeats() {
        let form = parse_form(b"grant_type=password&username=a%40b&scope=").unwrap();
        assert_eq!(form["grant_type"], "password");
        assert_eq!(form["username"], "a@b");
        assert_eq!(form["scope"], "");
        assert_eq!(
            parse_form(b"a=1&b=2&a=3"),
            Err("a".to_owned()),
            "the first repeated name"
        );
        // Names compare after decoding, as the old check did.
        assert_eq!(parse_form(b"a+b=1&a%20b=2"), Err("a b".to_owned()));
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(matches_maybe_encoded("a%2Bb", "a+b"));
        assert!(matches_maybe_encoded("a+b", "a+b"));
    }
}
