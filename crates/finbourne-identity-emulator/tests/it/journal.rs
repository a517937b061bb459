//! The journal (with redaction) and the counters.

use finbourne_identity_emulator::{DEFAULT_SCOPE, Emulator, REDACTED};

use crate::common::{api, client, sign_in};

#[tokio::test]
async fn journal_redacts_secrets_but_keeps_raw_values() {
    let emu = Emulator::builder()
        .client_secret("very-secret-client-secret")
        .user("alice", "alice-secret-password")
        .start()
        .await
        .unwrap();
    let client = client();
    let token = sign_in(&client, &emu).await;
    let access = token["access_token"].as_str().unwrap().to_owned();
    let refresh = token["refresh_token"].as_str().unwrap().to_owned();
    client
        .post(emu.token_url())
        .basic_auth(emu.client_id(), Some(emu.client_secret()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::common::form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("scope", DEFAULT_SCOPE),
        ]))
        .send()
        .await
        .unwrap();
    client
        .post(api(&emu, "/api/users"))
        .bearer_auth(&access)
        .json(&serde_json::json!({"apiToken": "scim-secret-token-value", "firstName": "x"}))
        .send()
        .await
        .unwrap();

    let journal = emu.journal();
    assert_eq!(journal.len(), 3);
    let secrets = [
        "very-secret-client-secret",
        "alice-secret-password",
        refresh.as_str(),
        access.as_str(),
        "scim-secret-token-value",
    ];
    for entry in &journal {
        let shown = format!("{entry:?} {entry}");
        for secret in secrets {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
        assert!(shown.contains(REDACTED), "{shown}");
    }
    let debug = format!("{:?}", journal[0]);
    assert!(debug.contains("grant_type=password"), "{debug}");
    assert!(debug.contains("username=alice"), "{debug}");

    // Raw values through the explicit accessors.
    let password = &journal[0];
    assert_eq!(password.method(), "POST");
    assert_eq!(password.path(), "/oauth2/token");
    assert_eq!(
        password.form_field("password").as_deref(),
        Some("alice-secret-password")
    );
    assert_eq!(
        password.form_field("client_secret").as_deref(),
        Some("very-secret-client-secret")
    );
    let refreshing = &journal[1];
    assert_eq!(
        refreshing.form_field("refresh_token").as_deref(),
        Some(refresh.as_str())
    );
    assert!(
        refreshing
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    let create = &journal[2];
    assert_eq!(
        create.header("authorization"),
        Some(format!("Bearer {access}").as_str())
    );
    assert_eq!(
        create.json().unwrap()["apiToken"],
        "scim-secret-token-value"
    );
    assert!(create.body_text().contains("scim-secret-token-value"));
    assert!(create.redacted_body().contains(REDACTED));
    assert!(create.redacted_body().contains("firstName"));

    emu.clear_journal();
    assert!(emu.journal().is_empty());
}

#[tokio::test]
async fn journal_records_queries() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    client()
        .put(api(&emu, "/api/identityprovider/scim"))
        .query(&[("apiTokenAction", "regenerate")])
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap();
    let entry = &emu.journal()[0];
    assert_eq!(entry.path(), "/identity/api/identityprovider/scim");
    assert_eq!(entry.query(), Some("apiTokenAction=regenerate"));
    assert_eq!(
        entry.query_param("apiTokenAction").as_deref(),
        Some("regenerate")
    );
    assert_eq!(
        entry.to_string(),
        "PUT /identity/api/identityprovider/scim?apiTokenAction=regenerate"
    );
    assert!(entry.connection() >= 1);
}

#[tokio::test]
async fn counters_count_by_kind() {
    let emu = Emulator::start().await.unwrap();
    assert_eq!(emu.counters(), Default::default());
    let client = crate::common::fresh_client();
    let token = sign_in(&client, &emu).await;
    let refresh = token["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        crate::common::post_token(
            &client,
            &emu,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", emu.client_id()),
                ("client_secret", emu.client_secret()),
            ],
        )
        .await;
    }
    crate::common::post_token(
        &client,
        &emu,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ],
    )
    .await;
    crate::common::post_token(&client, &emu, &[("grant_type", "authorization_code")]).await;
    let access = token["access_token"].as_str().unwrap();
    for path in ["/api/me", "/api/users", "/api/roles"] {
        client
            .get(api(&emu, path))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
    }
    client
        .get(format!("{}/ServiceProviderConfig", emu.scim_base_url()))
        .send()
        .await
        .unwrap();

    let counters = emu.counters();
    assert_eq!(counters.token_requests_password, 1);
    assert_eq!(counters.token_requests_refresh_token, 2);
    assert_eq!(counters.token_requests_client_credentials, 1);
    assert_eq!(counters.token_requests_other, 1);
    assert_eq!(counters.token_requests(), 5);
    assert_eq!(counters.api_requests, 3);
    assert_eq!(counters.scim_requests, 1);
    assert_eq!(counters.requests, 9);
    // The fresh client opens one connection per request.
    assert_eq!(counters.connections_accepted, 9);

    emu.reset_counters();
    assert_eq!(emu.counters().requests, 0);
}

/// The journal keeps a body only where a handler acts on the request: 1,500 bodies of 1 MiB to
/// a path that is no operation took the old emulator from 5 MB to 1.5 GB. A request to no
/// operation (404) or with a method its path does not accept (405) keeps its entry, without
/// the body.
#[tokio::test]
async fn bodies_sent_to_no_operation_are_not_kept() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    let body = vec![b'x'; 256 * 1024];
    let refused = [
        (
            reqwest::Method::POST,
            format!("{}/no/such/path", emu.base_url()),
            404,
        ),
        (
            reqwest::Method::POST,
            api(&emu, "/api/no-such-operation"),
            404,
        ),
        (reqwest::Method::PATCH, api(&emu, "/api/users"), 405),
        (reqwest::Method::PUT, emu.token_url().to_owned(), 405),
        (
            reqwest::Method::POST,
            format!("{}/Users", emu.scim_base_url()),
            401,
        ),
    ];
    for (method, url, status) in &refused {
        let response = client
            .request(method.clone(), url)
            .bearer_auth(&pat)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), *status, "{method} {url}");
    }
    // An operation keeps its body, whatever it answers.
    let response = client
        .post(api(&emu, "/api/users"))
        .bearer_auth(&pat)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::BAD_REQUEST);

    let journal = emu.journal();
    assert_eq!(journal.len(), refused.len() + 1);
    for entry in &journal[..refused.len()] {
        assert!(entry.body().is_empty(), "{entry}: body kept");
        assert_eq!(entry.body_len(), body.len(), "{entry}");
        assert!(
            format!("{entry:?}").contains("bytes, not kept"),
            "{entry:?}"
        );
    }
    let create = journal.last().unwrap();
    assert_eq!(create.path(), "/identity/api/users");
    assert_eq!(create.body(), body.as_slice());
    assert_eq!(create.body_len(), body.len());
}

/// Bodies that are kept are bounded by bytes as well as by count: 40 bodies of 1 MiB to an
/// operation leave at most `JOURNAL_BYTE_BUDGET` (32 MiB), the newest kept, the oldest dropped.
#[tokio::test]
async fn kept_bodies_stay_within_the_byte_budget() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    for i in 0..40u8 {
        let response = client
            .post(api(&emu, "/api/users"))
            .bearer_auth(&pat)
            .body(vec![i; 1024 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::BAD_REQUEST);
    }
    let journal = emu.journal();
    let kept: usize = journal.iter().map(|e| e.body().len()).sum();
    assert!(
        kept <= finbourne_identity_emulator::JOURNAL_BYTE_BUDGET,
        "{kept} bytes of bodies in {} entries",
        journal.len()
    );
    assert!(journal.len() >= 30, "{}", journal.len());
    assert_eq!(journal.last().unwrap().body()[0], 39, "the newest is kept");
    assert!(journal[0].body()[0] > 0, "the oldest went first");
    assert!(journal.iter().all(|e| e.body().len() == 1024 * 1024));
}
