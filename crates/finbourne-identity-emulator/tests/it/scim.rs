//! SCIM tokens: AddScim (ensure / regenerate), RemoveScim and the SCIM endpoint.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use finbourne_identity_emulator::Emulator;
use reqwest::{Client, Response, StatusCode};

use crate::common::{api, client, json, problem};

struct Scim {
    emu: Emulator,
    client: Client,
    pat: String,
}

impl Scim {
    async fn new() -> Self {
        let emu = Emulator::start().await.unwrap();
        let pat = emu.issue_access_token();
        Scim {
            emu,
            client: client(),
            pat,
        }
    }

    async fn add(&self, query: &[(&str, &str)]) -> Response {
        self.client
            .put(api(&self.emu, "/api/identityprovider/scim"))
            .query(query)
            .bearer_auth(&self.pat)
            .send()
            .await
            .unwrap()
    }

    /// AddScim that must succeed; returns the API token.
    async fn add_ok(&self, query: &[(&str, &str)]) -> String {
        let response = self.add(query).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json(response).await;
        assert_eq!(body["baseUrl"], self.emu.scim_base_url());
        assert!(
            body["baseUrl"]
                .as_str()
                .unwrap()
                .ends_with("/identity/scim/v2")
        );
        body["apiToken"].as_str().unwrap().to_owned()
    }

    async fn remove(&self) -> Response {
        self.client
            .delete(api(&self.emu, "/api/identityprovider/scim"))
            .bearer_auth(&self.pat)
            .send()
            .await
            .unwrap()
    }

    /// Status of `GET ServiceProviderConfig` with this bearer token.
    async fn spc(&self, token: Option<&str>) -> StatusCode {
        let mut request = self.client.get(format!(
            "{}/ServiceProviderConfig",
            self.emu.scim_base_url()
        ));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        if status == StatusCode::OK {
            let body = json(response).await;
            assert_eq!(
                body["schemas"][0],
                "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
            );
        } else {
            assert!(response.headers().contains_key("www-authenticate"));
        }
        status
    }
}

fn rfc3339_in(delay: Duration) -> String {
    (Utc::now() + chrono::Duration::from_std(delay).unwrap())
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[tokio::test]
async fn ensure_is_idempotent_and_the_default() {
    let s = Scim::new().await;
    let first = s.add_ok(&[]).await;
    assert_eq!(s.add_ok(&[]).await, first);
    assert_eq!(s.add_ok(&[("apiTokenAction", "ensure")]).await, first);
    assert_eq!(s.add_ok(&[("apiTokenAction", "Ensure")]).await, first);
    assert_eq!(s.emu.active_scim_tokens(), vec![first.clone()]);
    assert_eq!(s.spc(Some(&first)).await, StatusCode::OK);
}

#[tokio::test]
async fn regenerate_keeps_old_token_until_deactivation() {
    let s = Scim::new().await;
    let old = s.add_ok(&[]).await;
    let when = rfc3339_in(Duration::from_millis(1000));
    let new = s
        .add_ok(&[
            ("apiTokenAction", "regenerate"),
            ("oldApiTokenDeactivation", &when),
        ])
        .await;
    assert_ne!(new, old);
    assert_eq!(s.spc(Some(&old)).await, StatusCode::OK);
    assert_eq!(s.spc(Some(&new)).await, StatusCode::OK);
    // ensure now hands out the new token.
    assert_eq!(s.add_ok(&[]).await, new);
    s.emu.advance_clock(Duration::from_millis(1300));
    assert_eq!(s.spc(Some(&old)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(s.spc(Some(&new)).await, StatusCode::OK);
    assert_eq!(s.emu.active_scim_tokens(), vec![new]);
}

#[tokio::test]
async fn regenerate_deactivation_follows_the_emulator_clock() {
    let s = Scim::new().await;
    let old = s.add_ok(&[]).await;
    let when = rfc3339_in(Duration::from_secs(3600));
    let new = s
        .add_ok(&[
            ("apiTokenAction", "regenerate"),
            ("oldApiTokenDeactivation", &when),
        ])
        .await;
    assert_eq!(s.spc(Some(&old)).await, StatusCode::OK);
    s.emu.advance_clock(Duration::from_secs(3601));
    assert_eq!(s.spc(Some(&old)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(s.spc(Some(&new)).await, StatusCode::OK);
}

#[tokio::test]
async fn regenerate_without_date_ends_old_token_now() {
    let s = Scim::new().await;
    let old = s.add_ok(&[]).await;
    let new = s.add_ok(&[("apiTokenAction", "regenerate")]).await;
    assert_ne!(new, old);
    assert_eq!(s.spc(Some(&old)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(s.spc(Some(&new)).await, StatusCode::OK);
    // A date in the past ends the old token now too.
    let past = "2001-01-01T00:00:00Z";
    let newer = s
        .add_ok(&[
            ("apiTokenAction", "regenerate"),
            ("oldApiTokenDeactivation", past),
        ])
        .await;
    assert_eq!(s.spc(Some(&new)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(s.spc(Some(&newer)).await, StatusCode::OK);
}

#[tokio::test]
async fn remove_ends_every_active_token() {
    let s = Scim::new().await;
    let old = s.add_ok(&[]).await;
    let when = rfc3339_in(Duration::from_secs(60));
    let new = s
        .add_ok(&[
            ("apiTokenAction", "regenerate"),
            ("oldApiTokenDeactivation", &when),
        ])
        .await;
    assert_eq!(s.spc(Some(&old)).await, StatusCode::OK);
    let response = s.remove().await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.spc(Some(&old)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(s.spc(Some(&new)).await, StatusCode::UNAUTHORIZED);
    assert!(s.emu.active_scim_tokens().is_empty());
    // Removing again is fine; ensure afterwards creates a fresh token.
    assert_eq!(s.remove().await.status(), StatusCode::NO_CONTENT);
    let fresh = s.add_ok(&[]).await;
    assert!(fresh != old && fresh != new);
    assert_eq!(s.spc(Some(&fresh)).await, StatusCode::OK);
}

#[tokio::test]
async fn service_provider_config_accepts_only_active_scim_tokens() {
    let s = Scim::new().await;
    assert_eq!(s.spc(None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(s.spc(Some("made-up")).await, StatusCode::UNAUTHORIZED);
    // An Identity API token is not a SCIM token.
    assert_eq!(s.spc(Some(&s.pat)).await, StatusCode::UNAUTHORIZED);
    let token = s.add_ok(&[]).await;
    assert_eq!(s.spc(Some(&token)).await, StatusCode::OK);
    // And a SCIM token is not an Identity API token.
    let response = s
        .client
        .get(api(&s.emu, "/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Other SCIM resources are not served.
    let response = s
        .client
        .get(format!("{}/Users", s.emu.scim_base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_action_or_date_is_400_with_errors() {
    let s = Scim::new().await;
    let body = problem(
        s.add(&[("apiTokenAction", "rotate")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], 151);
    assert!(
        body["errors"]["apiTokenAction"][0]
            .as_str()
            .unwrap()
            .contains("rotate")
    );

    let body = problem(
        s.add(&[
            ("apiTokenAction", "regenerate"),
            ("oldApiTokenDeactivation", "next tuesday"),
        ])
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], 151);
    assert!(body["errors"]["oldApiTokenDeactivation"].is_array());

    let body = problem(
        s.add(&[
            ("apiTokenAction", "bogus"),
            ("oldApiTokenDeactivation", "2026-02-30T00:00:00Z"),
        ])
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let errors = body["errors"].as_object().unwrap();
    assert_eq!(errors.len(), 2);
    // Nothing was issued by the failed calls.
    assert!(s.emu.active_scim_tokens().is_empty());
}
