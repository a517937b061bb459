//! The generated client against a mock server on 127.0.0.1: the requests it sends and how it
//! reads answers from a newer service, a gateway, or a token layer.

use chrono::{TimeZone, Utc};
use finbourne_identity_client::{Client, Error, ErrorBody, Hooks};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server_answering(verb: &str, at: &str, answer: ResponseTemplate) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(answer)
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), Hooks::none());
    (server, client)
}

async fn error_body(
    result: Result<impl std::fmt::Debug, Error<finbourne_identity_client::ByteStream>>,
) -> ErrorBody {
    match result {
        Err(Error::ErrorResponse(answer)) => ErrorBody::read(answer).await.unwrap(),
        other => panic!("expected an error answer, got {other:?}"),
    }
}

#[tokio::test]
async fn add_scim_sends_action_and_rfc3339_date_in_the_query() {
    let answer = ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "baseUrl": "https://example.lusid.com/identity/scim/v2", "apiToken": "t0k3n"}));
    let (server, client) = server_answering("PUT", "/api/identityprovider/scim", answer).await;
    let when = Utc.with_ymd_and_hms(2026, 11, 27, 18, 30, 0).unwrap();
    let scim = client
        .add_scim()
        .api_token_action("regenerate")
        .old_api_token_deactivation(when)
        .send()
        .await
        .unwrap();
    assert_eq!(scim.api_token.as_deref(), Some("t0k3n"));

    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "PUT");
    assert_eq!(
        request.url.query(),
        Some("apiTokenAction=regenerate&oldApiTokenDeactivation=2026-11-27T18%3A30%3A00Z")
    );
    assert!(request.body.is_empty());
    assert_eq!(request.headers.get("accept").unwrap(), "application/json");
    // progenitor's `api-version` header is removed by the xtask: the service does not expect it.
    assert!(request.headers.get("api-version").is_none());
}

#[tokio::test]
async fn remove_scim_is_a_bodyless_delete() {
    let (server, client) = server_answering(
        "DELETE",
        "/api/identityprovider/scim",
        ResponseTemplate::new(204),
    )
    .await;
    let answer = client.remove_scim().send().await.unwrap();
    assert_eq!(answer.status(), 204);
    assert_eq!(
        server.received_requests().await.unwrap()[0].url.query(),
        None
    );
}

#[tokio::test]
async fn fields_a_newer_service_adds_are_ignored() {
    let me = serde_json::json!({
        "id": "00u1", "emailAddress": "ada@example.com", "type": "Personal",
        "links": [{"relation": "self", "href": "https://x/y", "method": "GET", "addedLater": 1}],
        "favouriteColour": "teal", "nested": {"anything": [1, 2]}
    });
    let (_server, client) = server_answering(
        "GET",
        "/api/me",
        ResponseTemplate::new(200).set_body_json(me),
    )
    .await;
    let answer = client.get_user_info().send().await.unwrap();
    assert_eq!(answer.id.as_str(), "00u1");
    assert_eq!(answer.links.as_ref().unwrap()[0].relation.as_str(), "self");
}

#[tokio::test]
async fn problem_details_without_code_or_name_keep_status_and_fields() {
    let body = serde_json::json!({"title": "Validation failed", "status": 400,
        "errors": {"oldApiTokenDeactivation": ["not a date"]}});
    let answer = ResponseTemplate::new(400).set_body_json(body);
    let (_server, client) = server_answering("PUT", "/api/identityprovider/scim", answer).await;
    let error = error_body(client.add_scim().send().await).await;
    assert_eq!(error.status, 400);
    let problem = error.problem().expect("lenient problem details");
    assert_eq!(problem.code, None);
    assert!(problem.name.is_none());
    assert_eq!(problem.title.as_deref(), Some("Validation failed"));
    assert_eq!(
        problem.errors.unwrap()["oldApiTokenDeactivation"],
        ["not a date"]
    );
}

#[tokio::test]
async fn a_gateway_html_page_keeps_its_status_and_body() {
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let answer = ResponseTemplate::new(502).set_body_raw(page, "text/html");
    let (_server, client) = server_answering("GET", "/api/me", answer).await;
    let error = error_body(client.get_user_info().send().await).await;
    assert_eq!(error.status, 502);
    assert_eq!(error.headers.get("content-type").unwrap(), "text/html");
    assert_eq!(error.text(), page);
    assert!(error.problem().is_none());
}

#[tokio::test]
async fn an_empty_401_is_an_error_answer_not_a_decode_failure() {
    let answer = ResponseTemplate::new(401).insert_header("www-authenticate", "Bearer");
    let (_server, client) = server_answering("DELETE", "/api/identityprovider/scim", answer).await;
    let error = error_body(client.remove_scim().send().await).await;
    assert_eq!(error.status, 401);
    assert!(error.body.is_empty());
    assert_eq!(error.headers.get("www-authenticate").unwrap(), "Bearer");
}

struct Tagging;

impl finbourne_identity_client::Middleware for Tagging {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: &'static str,
    ) -> finbourne_identity_client::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if request.url().path().ends_with("/scim") && request.method() == "DELETE" {
                return Err(format!("{operation} refused by middleware"));
            }
            request
                .headers_mut()
                .insert("x-operation", operation.parse().unwrap());
            Ok(())
        })
    }
}

#[tokio::test]
async fn middleware_sees_every_request_and_can_stop_one() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "1", "emailAddress": "a@b.c", "type": "Personal"})))
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), Hooks::new(Tagging));
    client.get_user_info().send().await.unwrap();
    let sent = &server.received_requests().await.unwrap()[0];
    assert_eq!(sent.headers.get("x-operation").unwrap(), "get_user_info");

    match client.remove_scim().send().await {
        Err(Error::Custom(message)) => assert_eq!(message, "remove_scim refused by middleware"),
        other => panic!("expected the middleware's error, got {other:?}"),
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "refused call never sent"
    );
}

#[test]
fn answers_outside_the_documented_string_limits_still_decode() {
    use finbourne_identity_client::types::{CurrentUserResponse, RoleResponse};
    // The spec documents a non-empty emailAddress and scopes of 3 characters at least.
    let me: CurrentUserResponse =
        serde_json::from_str(r#"{"id": "u1", "emailAddress": "", "type": "Personal"}"#).unwrap();
    assert_eq!(me.email_address, "");
    let roles: Vec<RoleResponse> = serde_json::from_str(
        r#"[{"id": "r1", "name": "n", "source": "LUSID", "roleId": {"scope": "a", "code": "bb"}}]"#,
    )
    .unwrap();
    assert_eq!(roles[0].role_id.scope, "a");
}
