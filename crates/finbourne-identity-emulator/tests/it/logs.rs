//! The system log: events for state changes and sign-ins, served by ListLogs and ListUserLogs
//! with their filters and paging.

use std::time::Duration;

use finbourne_identity_emulator::http::StatusCode as EmuStatus;
use finbourne_identity_emulator::{DEFAULT_SCOPE, Emulator, SeedUser};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{api, client, json, post_token, problem, sign_in};

async fn call(
    client: &Client,
    emu: &Emulator,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = client.request(method, api(emu, path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn logs(client: &Client, emu: &Emulator, token: &str, path_and_query: &str) -> Value {
    let response = call(client, emu, token, Method::GET, path_and_query, None).await;
    assert_eq!(response.status(), StatusCode::OK, "{path_and_query}");
    json(response).await
}

fn new_user(login: &str) -> Value {
    json!({
        "firstName": "Jo",
        "lastName": "Bloggs",
        "emailAddress": login,
        "login": login,
        "type": "Personal",
    })
}

fn event_types(page: &Value) -> Vec<String> {
    page["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn state_changes_are_logged_and_reads_are_not() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    let response = call(
        &client,
        &emu,
        &pat,
        Method::POST,
        "/api/users",
        Some(new_user("jo.bloggs@example.com")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let id = json(response).await["id"].as_str().unwrap().to_owned();
    let response = call(
        &client,
        &emu,
        &pat,
        Method::POST,
        "/api/roles",
        Some(json!({"name": "Readers"})),
    )
    .await;
    let role = json(response).await["id"].as_str().unwrap().to_owned();
    let response = call(
        &client,
        &emu,
        &pat,
        Method::PUT,
        &format!("/api/roles/{role}/users/{id}"),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // Reads and failures change nothing and are not logged.
    call(&client, &emu, &pat, Method::GET, "/api/users", None).await;
    let response = call(
        &client,
        &emu,
        &pat,
        Method::DELETE,
        "/api/users/nobody",
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // An operation without a handler in the emulator writes no event.
    call(&client, &emu, &pat, Method::GET, "/api/networkzones", None).await;

    let events = emu.system_log();
    assert_eq!(events.len(), 3, "{events:#?}");
    let created = &events[0];
    assert_eq!(created["eventType"], "user.lifecycle.create");
    assert_eq!(created["outcome"]["result"], "SUCCESS");
    assert_eq!(created["severity"]["value"], "INFO");
    assert_eq!(created["actor"]["type"], "User");
    assert_eq!(created["actor"]["alternateId"], emu.username());
    assert!(created["actor"]["id"].as_str().unwrap().starts_with("00u"));
    assert_eq!(created["target"][0]["type"], "User");
    assert_eq!(created["target"][0]["id"], id.as_str());
    assert_eq!(created["target"][0]["alternateId"], "jo.bloggs@example.com");
    assert_eq!(created["target"][0]["displayName"], "Jo Bloggs");
    assert_eq!(
        created["debugContext"]["debugData"]["operationId"],
        "CreateUser"
    );
    assert_eq!(
        created["debugContext"]["debugData"]["requestUri"],
        "/identity/api/users"
    );
    assert_eq!(created["clientInfo"]["ipAddress"], "127.0.0.1");
    assert!(created["uuid"].as_str().unwrap().len() == 36);
    let published =
        chrono::DateTime::parse_from_rfc3339(created["published"].as_str().unwrap()).unwrap();
    assert!(
        (emu.now() - published.with_timezone(&chrono::Utc))
            .num_seconds()
            .abs()
            < 60
    );
    assert_eq!(events[1]["eventType"], "group.lifecycle.create");
    assert_eq!(events[1]["target"][0]["type"], "Role");
    assert_eq!(events[1]["target"][0]["displayName"], "Readers");
    let membership = &events[2];
    assert_eq!(membership["eventType"], "group.user_membership.add");
    let targets: Vec<(&str, &str)> = membership["target"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["type"].as_str().unwrap(), t["id"].as_str().unwrap()))
        .collect();
    assert_eq!(targets, [("Role", role.as_str()), ("User", id.as_str())]);

    // ListLogs serves the same events.
    let page = logs(&client, &emu, &pat, "/api/logs").await;
    assert_eq!(page["values"].as_array().unwrap(), &events);
    assert_eq!(page["nextPage"], Value::Null);
    assert_eq!(page["href"], format!("{}/api/logs", emu.identity_url()));
    emu.clear_system_log();
    assert!(emu.system_log().is_empty());
}

#[tokio::test]
async fn operations_without_their_own_event_type_get_a_generic_one() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    let response = call(
        &client,
        &emu,
        &pat,
        Method::PUT,
        "/api/identityprovider/scim?apiTokenAction=ensure",
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let token = json(response).await["apiToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let events = emu.system_log();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["eventType"], "fbn.identity.add_scim");
    assert_eq!(events[0]["target"], Value::Null);
    // No secret of the answer reaches the log.
    assert!(!events[0].to_string().contains(&token));
}

#[tokio::test]
async fn sign_ins_are_logged_failed_ones_too() {
    let emu = Emulator::start().await.unwrap();
    let client = client();
    let tokens = sign_in(&client, &emu).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let response = post_token(
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
    assert_eq!(response.status(), StatusCode::OK);
    let response = post_token(
        &client,
        &emu,
        &[
            ("grant_type", "password"),
            ("username", emu.username()),
            ("password", "wrong-password"),
            ("scope", DEFAULT_SCOPE),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A client that fails to authenticate is not a sign-in.
    post_token(
        &client,
        &emu,
        &[
            ("grant_type", "password"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ],
    )
    .await;

    let events = emu.system_log();
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["eventType"].as_str().unwrap(),
                e["outcome"]["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("user.session.start", "SUCCESS"),
            ("app.oauth2.as.token.grant.refresh_token", "SUCCESS"),
            ("user.session.start", "FAILURE"),
        ]
    );
    assert_eq!(events[2]["outcome"]["reason"], "INVALID_CREDENTIALS");
    assert_eq!(events[2]["severity"]["value"], "WARN");
    for event in &events {
        assert_eq!(event["actor"]["alternateId"], emu.username());
        let text = event.to_string();
        assert!(!text.contains("wrong-password") && !text.contains(emu.password()));
        assert!(!text.contains(refresh));
    }
}

/// Events one minute apart on the emulator's clock, made by creating roles.
async fn roles_a_minute_apart(
    client: &Client,
    emu: &Emulator,
    token: &str,
    n: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    let first = emu.system_log().len();
    for i in first..first + n {
        let response = call(
            client,
            emu,
            token,
            Method::POST,
            "/api/roles",
            Some(json!({"name": format!("Role{i:03}")})),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        ids.push(json(response).await["id"].as_str().unwrap().to_owned());
        emu.advance_clock(Duration::from_secs(60));
    }
    ids
}

fn target_ids(page: &Value) -> Vec<String> {
    page["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"][0]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn paging_with_limit_and_after_in_both_orders() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    let ids = roles_a_minute_apart(&client, &emu, &pat, 7).await;

    for (order, expected) in [
        ("ASCENDING", ids.clone()),
        ("descending", ids.iter().rev().cloned().collect::<Vec<_>>()),
    ] {
        let mut seen = Vec::new();
        let mut query = format!("/api/logs?oktaLimit=3&oktaSortOrder={order}");
        let mut pages = 0;
        loop {
            let page = logs(&client, &emu, &pat, &query).await;
            pages += 1;
            assert!(page["values"].as_array().unwrap().len() <= 3);
            seen.extend(target_ids(&page));
            match page["nextPage"].as_str() {
                Some(next) => {
                    assert!(next.len() <= 50);
                    query = format!("/api/logs?oktaLimit=3&oktaSortOrder={order}&oktaAfter={next}");
                }
                None => break,
            }
        }
        assert_eq!(seen, expected, "{order}");
        assert_eq!(pages, 3, "{order}");
    }
    // Without oktaLimit, up to 100 at once; an exact last page has no next page.
    let page = logs(&client, &emu, &pat, "/api/logs").await;
    assert_eq!(target_ids(&page), ids);
    let page = logs(&client, &emu, &pat, "/api/logs?oktaLimit=7").await;
    assert_eq!(page["nextPage"], Value::Null);
    let page = logs(&client, &emu, &pat, "/api/logs?oktaLimit=0").await;
    assert!(page["values"].as_array().unwrap().is_empty());
    // Events recorded after a page was served show on the next page.
    let page = logs(&client, &emu, &pat, "/api/logs?oktaLimit=6").await;
    let next = page["nextPage"].as_str().unwrap().to_owned();
    let more = roles_a_minute_apart(&client, &emu, &pat, 1).await;
    let page = logs(&client, &emu, &pat, &format!("/api/logs?oktaAfter={next}")).await;
    assert_eq!(target_ids(&page), [ids[6].clone(), more[0].clone()]);
}

#[tokio::test]
async fn since_until_filter_and_query() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    let ids = roles_a_minute_apart(&client, &emu, &pat, 5).await;
    let published: Vec<String> = emu
        .system_log()
        .iter()
        .map(|e| e["published"].as_str().unwrap().to_owned())
        .collect();
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();

    // Both bounds are inclusive.
    let page = logs(
        &client,
        &emu,
        &pat,
        &format!(
            "/api/logs?oktaSince={}&oktaUntil={}",
            encode(&published[1]),
            encode(&published[3])
        ),
    )
    .await;
    assert_eq!(target_ids(&page), ids[1..=3]);
    let page = logs(
        &client,
        &emu,
        &pat,
        &format!("/api/logs?oktaSince={}", encode(&published[4])),
    )
    .await;
    assert_eq!(target_ids(&page), ids[4..]);

    // The identity provider's filter expressions and keyword search.
    let filter = encode(&format!(
        "eventType eq \"group.lifecycle.create\" and (target.id eq \"{}\" or target.displayName eq \"ROLE003\")",
        ids[0]
    ));
    let page = logs(
        &client,
        &emu,
        &pat,
        &format!("/api/logs?oktaFilter={filter}"),
    )
    .await;
    assert_eq!(target_ids(&page), [ids[0].clone(), ids[3].clone()]);
    let page = logs(
        &client,
        &emu,
        &pat,
        &format!("/api/logs?oktaQuery={}", encode("role002 CREATE")),
    )
    .await;
    assert_eq!(target_ids(&page), [ids[2].clone()]);
    let page = logs(
        &client,
        &emu,
        &pat,
        "/api/logs?oktaFilter=outcome.result%20eq%20%22FAILURE%22",
    )
    .await;
    assert!(page["values"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn bad_parameters_answer_400_by_field() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    for (query, field) in [
        ("oktaSince=yesterday", "oktaSince"),
        ("oktaUntil=2026-13-01T00:00:00Z", "oktaUntil"),
        (
            "oktaSince=2026-07-02T00:00:00Z&oktaUntil=2026-07-01T00:00:00Z",
            "oktaUntil",
        ),
        ("oktaLimit=1001", "oktaLimit"),
        ("oktaLimit=-1", "oktaLimit"),
        ("oktaLimit=ten", "oktaLimit"),
        ("oktaSortOrder=RANDOM", "oktaSortOrder"),
        ("oktaFilter=eventType%20is%20%22x%22", "oktaFilter"),
        ("oktaAfter=", "none"),
    ] {
        let response = call(
            &client,
            &emu,
            &pat,
            Method::GET,
            &format!("/api/logs?{query}"),
            None,
        )
        .await;
        if field == "none" {
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            continue;
        }
        let body = problem(response, StatusCode::BAD_REQUEST).await;
        assert!(body["errors"][field].is_array(), "{query}: {body}");
        assert_eq!(body["code"], 151);
    }
    let long = "1".repeat(51);
    let body = problem(
        call(
            &client,
            &emu,
            &pat,
            Method::GET,
            &format!("/api/logs?oktaAfter={long}"),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["errors"]["oktaAfter"].is_array());
    // A paging token the service never gave out.
    let body = problem(
        call(
            &client,
            &emu,
            &pat,
            Method::GET,
            "/api/logs/me?oktaAfter=not-a-token",
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], 689);
    assert_eq!(body["name"], "InvalidPaginationToken");
}

#[tokio::test]
async fn user_logs_hold_the_callers_own_events() {
    let emu = Emulator::builder()
        .seed_user(
            SeedUser::new("jo.bloggs@example.com")
                .id("00u-jo")
                .password("jo-password"),
        )
        .seed_access_token("jo-token", "jo.bloggs@example.com")
        .start()
        .await
        .unwrap();
    let admin = emu.issue_access_token();
    let client = client();
    // The admin changes Jo (an event about Jo) and makes a role (not about Jo).
    let mut change = new_user("jo.bloggs@example.com");
    change.as_object_mut().unwrap().remove("type");
    let response = call(
        &client,
        &emu,
        &admin,
        Method::PUT,
        "/api/users/00u-jo",
        Some(change),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    call(
        &client,
        &emu,
        &admin,
        Method::POST,
        "/api/roles",
        Some(json!({"name": "Readers"})),
    )
    .await;
    // Jo signs in (an event by Jo).
    let response = post_token(
        &client,
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "jo.bloggs@example.com"),
            ("password", "jo-password"),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    let mine = logs(&client, &emu, "jo-token", "/api/logs/me").await;
    assert_eq!(
        event_types(&mine),
        ["user.account.update_profile", "user.session.start"]
    );
    let all = logs(&client, &emu, "jo-token", "/api/logs").await;
    assert_eq!(all["values"].as_array().unwrap().len(), 3);
    let theirs = logs(
        &client,
        &emu,
        &admin,
        "/api/logs/me?oktaSortOrder=DESCENDING",
    )
    .await;
    assert_eq!(
        event_types(&theirs),
        ["group.lifecycle.create", "user.account.update_profile"]
    );
}

#[tokio::test]
async fn programmed_answers_write_no_event() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    emu.answers()
        .on("CreateRole")
        .respond(EmuStatus::CREATED, json!({"id": "fake"}));
    let response = call(
        &client,
        &emu,
        &pat,
        Method::POST,
        "/api/roles",
        Some(json!({"name": "Readers"})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(emu.system_log().is_empty());
}
