//! The SCIM 2.0 endpoint under `/identity/scim/v2`: only `ServiceProviderConfig`, which proves
//! which SCIM API tokens work.

use axum::http::{HeaderMap, Method, StatusCode, header};
use serde_json::json;

use crate::reply::Reply;
use crate::{Shared, lock};

const SCIM_JSON: &str = "application/scim+json; charset=utf-8";

fn scim_error(status: StatusCode, detail: &str) -> Reply {
    Reply::json(
        status,
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.as_u16().to_string(),
            "detail": detail,
        }),
    )
    .with_content_type(SCIM_JSON)
}

/// The bearer token of a request, if it has one.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether `path` (relative to the SCIM base) is the one resource the endpoint serves.
pub(crate) fn is_service_provider_config(path: &str) -> bool {
    path.trim_end_matches('/')
        .eq_ignore_ascii_case("/ServiceProviderConfig")
}

/// Whether a SCIM request reaches a resource with a method it accepts (anything else is answered
/// `404` or `405`).
pub(crate) fn is_served(method: &Method, path: &str) -> bool {
    method == Method::GET && is_service_provider_config(path)
}

/// A request under the SCIM base URL; `path` is relative to it.
pub(crate) fn handle(shared: &Shared, method: &Method, path: &str, headers: &HeaderMap) -> Reply {
    let now = shared.clock.now();
    let authorised = bearer_token(headers).is_some_and(|token| {
        lock(&shared.state)
            .scim_tokens
            .iter()
            .any(|t| t.token == token && t.is_active(now))
    });
    if !authorised {
        return scim_error(
            StatusCode::UNAUTHORIZED,
            "A SCIM API token that is active is required as the bearer token.",
        )
        .with_header(header::WWW_AUTHENTICATE, "Bearer");
    }
    if !is_service_provider_config(path) {
        return scim_error(
            StatusCode::NOT_FOUND,
            "The emulator's SCIM endpoint serves /ServiceProviderConfig only.",
        );
    }
    if method != Method::GET {
        return scim_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "ServiceProviderConfig accepts GET only.",
        )
        .with_header(header::ALLOW, "GET");
    }
    Reply::json(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": shared.urls.base,
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": 200 },
            "changePassword": { "supported": false },
            "sort": { "supported": false },
            "etag": { "supported": false },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "The SCIM API token from AddScim, as a bearer token.",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{}/ServiceProviderConfig", shared.urls.scim),
            },
        }),
    )
    .with_content_type(SCIM_JSON)
}
