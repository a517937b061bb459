//! Support access on the emulator's clock, and the sign-in information that reports it.

use std::time::Duration;

use finbourne_identity_client::types;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::{Api, typed};

async fn grant(a: &Api, body: Value) -> types::SupportAccessResponse {
    let granted = a
        .expect(
            Method::POST,
            "/api/authentication/support",
            Some(body),
            StatusCode::CREATED,
        )
        .await;
    typed(&granted)
}

async fn information(a: &Api) -> types::AuthenticationInformation {
    typed(
        &a.expect(
            Method::GET,
            "/api/authentication/information",
            None,
            StatusCode::OK,
        )
        .await,
    )
}

#[tokio::test]
async fn a_grant_ends_when_the_clock_passes_its_expiry() {
    let a = Api::new().await;
    let roles: types::SupportRolesResponse = typed(
        &a.expect(
            Method::GET,
            "/api/authentication/support-roles",
            None,
            StatusCode::OK,
        )
        .await,
    );
    let role = roles.support_roles.unwrap()[0]
        .internal_identifier
        .clone()
        .unwrap();
    let info = information(&a).await;
    assert_eq!(info.issuer_url, format!("{}/oauth2", a.emu.base_url()));
    assert!(info.support.is_none());

    let granted = grant(
        &a,
        json!({ "duration": "PT1H", "description": "ticket 42", "permittedRoles": [role] }),
    )
    .await;
    assert_eq!(
        granted.expiry - granted.created_at,
        chrono::Duration::hours(1)
    );
    assert_eq!(granted.terminated, Some(false));
    assert_eq!(granted.description.as_deref(), Some("ticket 42"));
    assert!(!granted.created_by.contains(&a.my_id().await));
    let info = information(&a).await;
    assert_eq!(info.support.unwrap().expiry, granted.expiry);
    let with_role = info.support_access_expiry_with_role.unwrap();
    assert_eq!(with_role[0].permitted_role, role);
    assert_eq!(with_role[0].expiry, granted.expiry);

    a.emu.advance_clock(Duration::from_secs(3601));
    assert!(information(&a).await.support.is_none());
    let history = a
        .expect(
            Method::GET,
            "/api/authentication/support",
            None,
            StatusCode::OK,
        )
        .await;
    let history: Vec<types::SupportAccessResponse> = typed(&history);
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].id, granted.id);
    assert_eq!(history[0].terminated, Some(false), "expired, not revoked");
}

#[tokio::test]
async fn revoking_ends_every_running_grant() {
    let a = Api::new().await;
    let short = grant(&a, json!({ "duration": "PT10M" })).await;
    a.emu.advance_clock(Duration::from_secs(3600));
    let running = grant(&a, json!({ "duration": "P1D" })).await;
    assert!(information(&a).await.support.is_some());

    let revoked = a
        .expect(
            Method::DELETE,
            "/api/authentication/support",
            None,
            StatusCode::OK,
        )
        .await;
    let revoked: Vec<types::SupportAccessResponse> = typed(&revoked);
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].id, running.id);
    assert_eq!(revoked[0].terminated, Some(true));
    assert!(revoked[0].terminated_at.is_some() && revoked[0].terminated_by.is_some());
    assert!(information(&a).await.support.is_none());
    let again = a
        .expect(
            Method::DELETE,
            "/api/authentication/support",
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(again, json!([]));

    // The history by expiry: `start` leaves out the grant that ended first.
    let start = (short.expiry + chrono::Duration::minutes(1)).to_rfc3339();
    let later = a
        .expect(
            Method::GET,
            &format!("/api/authentication/support?start={}", urlencode(&start)),
            None,
            StatusCode::OK,
        )
        .await;
    let later: Vec<types::SupportAccessResponse> = typed(&later);
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].id, running.id);
    let end = (short.expiry + chrono::Duration::minutes(1)).to_rfc3339();
    let earlier = a
        .expect(
            Method::GET,
            &format!("/api/authentication/support?end={}", urlencode(&end)),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(earlier.as_array().unwrap().len(), 1);
    assert_eq!(earlier[0]["id"], short.id.as_str());
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn grants_are_checked() {
    let a = Api::new().await;
    for (body, field) in [
        (json!({}), "duration"),
        (json!({ "duration": "1 hour" }), "duration"),
        (json!({ "duration": "PT0S" }), "duration"),
        (
            json!({ "duration": "PT1H", "permittedRoles": ["root"] }),
            "permittedRoles[0]",
        ),
    ] {
        let refused = a
            .refused(
                Method::POST,
                "/api/authentication/support",
                Some(body.clone()),
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert!(refused["errors"][field].is_array(), "{body}: {refused}");
    }
    let refused = a
        .refused(
            Method::GET,
            "/api/authentication/support?start=yesterday",
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(refused["errors"]["start"].is_array(), "{refused}");
}
