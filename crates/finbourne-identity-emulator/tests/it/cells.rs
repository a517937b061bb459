//! Cell management: the attachment state machine, its refusals, and registration.

use finbourne_identity_emulator::{CELL_REGISTRATION_DELAY, CellAttachment, DOMAIN_NAME, Emulator};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::common::{api, client, json, problem, sign_in};

struct Cell {
    emu: Emulator,
    client: Client,
    /// A token from the token endpoint: the cell operations refuse personal access tokens.
    jwt: String,
}

impl Cell {
    async fn new() -> Self {
        let emu = Emulator::start().await.unwrap();
        let client = client();
        let jwt = sign_in(&client, &emu).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        Cell { emu, client, jwt }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self
            .client
            .request(
                method,
                api(&self.emu, &format!("/api/cellmanagement/{path}")),
            )
            .bearer_auth(&self.jwt);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// Calls and expects 200 with `CellParentStatusResponse`.
    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let response = self.call(method, path, body).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        json(response).await
    }

    /// Calls and expects problem details with this status; returns them.
    async fn refused(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
    ) -> Value {
        problem(self.call(method, path, body).await, status).await
    }

    async fn status(&self) -> Value {
        self.ok(Method::GET, "parentcell", None).await
    }
}

fn key(pat: &str, parent: &str, cell_id: Option<i64>) -> Option<Value> {
    let mut body = json!({ "pat": pat, "parentDomainName": parent });
    if let Some(id) = cell_id {
        body["parentAssignedCellId"] = json!(id);
    }
    Some(body)
}

#[tokio::test]
async fn attach_rotate_and_detach() {
    let c = Cell::new().await;
    let start = c.status().await;
    assert_eq!(start["status"], "Standalone");
    assert_eq!(start["primaryDomainName"], Value::Null);
    assert_eq!(start["registrationStep"], Value::Null);

    let after = c.ok(Method::PUT, "primarydomain", None).await;
    assert_eq!(after["primaryDomainName"], DOMAIN_NAME);

    // Propose, store the key, accept: registration runs in the call.
    let proposed = c
        .ok(
            Method::PUT,
            "parentcell",
            Some(json!({"adminDomainName": "acme-admin", "confirm": false})),
        )
        .await;
    assert_eq!(proposed["status"], "Proposed");
    assert_eq!(proposed["adminDomainName"], "acme-admin");
    let keyed = c
        .ok(
            Method::PUT,
            "attachingkey",
            key("key-1_A.b", "other-name", Some(42)),
        )
        .await;
    assert_eq!(keyed["status"], "Proposed");
    // The parent named with the key counts only for a new proposal.
    assert_eq!(keyed["adminDomainName"], "acme-admin");
    let accepted = c.ok(Method::POST, "acceptattachment", None).await;
    assert_eq!(accepted["status"], "Attached");
    assert_eq!(accepted["registrationStep"], "PATPushed");
    assert_eq!(accepted["registrationError"], Value::Null);
    assert_eq!(c.status().await, accepted);

    // Key rotation: the key changes, nothing else.
    let rotated = c
        .ok(
            Method::PUT,
            "attachingkey/rotate",
            Some(json!({"pat": "key-2"})),
        )
        .await;
    assert_eq!(rotated, accepted);
    assert_eq!(c.emu.cell_status().attaching_key.as_deref(), Some("key-2"));
    assert!(!format!("{:?}", c.emu.cell_status()).contains("key-2"));
    assert_eq!(c.emu.cell_status().parent_assigned_cell_id, Some(42));
    let before = c.emu.now();
    assert_eq!(c.ok(Method::POST, "rotatedomainkeys", None).await, accepted);
    let cutoff = c.emu.cell_status().rotation_cutoff.unwrap();
    assert!(cutoff >= before && cutoff <= c.emu.now());

    // Detach in two calls.
    let detaching = c
        .ok(Method::PUT, "detach", Some(json!({"confirm": false})))
        .await;
    assert_eq!(detaching["status"], "Detaching");
    assert_eq!(detaching["adminDomainName"], "acme-admin");
    let detached = c
        .ok(Method::PUT, "detach", Some(json!({"confirm": true})))
        .await;
    assert_eq!(detached["status"], "Standalone");
    assert_eq!(detached["adminDomainName"], Value::Null);
    assert_eq!(detached["registrationStep"], Value::Null);
    assert_eq!(detached["primaryDomainName"], DOMAIN_NAME);
    assert_eq!(c.emu.cell_status().attaching_key, None);

    let removed = c.ok(Method::DELETE, "primarydomain", None).await;
    assert_eq!(removed["primaryDomainName"], Value::Null);
}

#[tokio::test]
async fn invalid_transitions_answer_409_naming_the_status() {
    let c = Cell::new().await;
    // Nothing but SetPrimaryDomain and reads work before there is a primary domain.
    let body = c
        .refused(
            Method::PUT,
            "parentcell",
            Some(json!({"adminDomainName": "acme-admin", "confirm": false})),
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(body["name"], "PrimaryDomainNotSet");
    c.refused(Method::DELETE, "primarydomain", None, StatusCode::CONFLICT)
        .await;
    c.ok(Method::PUT, "primarydomain", None).await;
    // Setting it again is harmless.
    c.ok(Method::PUT, "primarydomain", None).await;

    for (method, path, body) in [
        (Method::POST, "acceptattachment", None),
        (Method::POST, "refuseattachment", None),
        (Method::POST, "rotatedomainkeys", None),
        (
            Method::PUT,
            "attachingkey/rotate",
            Some(json!({"pat": "k"})),
        ),
        (Method::PUT, "detach", Some(json!({"confirm": false}))),
        (
            Method::PUT,
            "parentcell",
            Some(json!({"adminDomainName": "acme-admin", "confirm": true})),
        ),
    ] {
        let body = c.refused(method, path, body, StatusCode::CONFLICT).await;
        assert_eq!(body["name"], "InvalidCellStatus", "{path}");
        assert_eq!(body["code"], 157);
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("it is Standalone"), "{detail}");
        assert_eq!(body["errorDetails"][0]["status"], "Standalone");
    }

    // Proposed without a key cannot be accepted; confirming another parent is refused.
    c.ok(
        Method::PUT,
        "parentcell",
        Some(json!({"adminDomainName": "acme-admin", "confirm": false})),
    )
    .await;
    let body = c
        .refused(Method::POST, "acceptattachment", None, StatusCode::CONFLICT)
        .await;
    assert_eq!(body["name"], "AttachingKeyNotSet");
    let body = c
        .refused(
            Method::PUT,
            "parentcell",
            Some(json!({"adminDomainName": "other-admin", "confirm": true})),
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(body["name"], "ParentDomainMismatch");
    // Detach's confirming call needs the first one.
    c.ok(
        Method::PUT,
        "attachingkey",
        key("k1", "acme-admin", Some(1)),
    )
    .await;
    c.ok(Method::POST, "acceptattachment", None).await;
    let body = c
        .refused(
            Method::PUT,
            "detach",
            Some(json!({"confirm": true})),
            StatusCode::CONFLICT,
        )
        .await;
    assert!(body["detail"].as_str().unwrap().contains("Attached"));
    // An attached cell takes no new key or proposal.
    c.refused(
        Method::PUT,
        "attachingkey",
        key("k2", "acme-admin", None),
        StatusCode::CONFLICT,
    )
    .await;
    c.refused(Method::POST, "refuseattachment", None, StatusCode::CONFLICT)
        .await;
    assert_eq!(c.status().await["status"], "Attached");
}

#[tokio::test]
async fn refusing_a_proposal_forgets_it() {
    let c = Cell::new().await;
    c.ok(Method::PUT, "primarydomain", None).await;
    let proposed = c
        .ok(
            Method::PUT,
            "attachingkey",
            key("k1", "acme-admin", Some(9)),
        )
        .await;
    assert_eq!(proposed["status"], "Proposed");
    assert_eq!(proposed["adminDomainName"], "acme-admin");
    let refused = c.ok(Method::POST, "refuseattachment", None).await;
    assert_eq!(refused["status"], "Standalone");
    assert_eq!(refused["adminDomainName"], Value::Null);
    let cell = c.emu.cell_status();
    assert_eq!(cell.attaching_key, None);
    assert_eq!(cell.parent_assigned_cell_id, None);
}

#[tokio::test]
async fn a_failed_registration_is_retried_or_abandoned() {
    let c = Cell::new().await;
    c.ok(Method::PUT, "primarydomain", None).await;
    // No parent-assigned cell id: the PAT cannot be pushed.
    c.ok(Method::PUT, "attachingkey", key("k1", "acme-admin", None))
        .await;
    let failed = c.ok(Method::POST, "acceptattachment", None).await;
    assert_eq!(failed["status"], "Failed");
    assert_eq!(failed["registrationStep"], "PATGenerated");
    assert!(
        failed["registrationError"]
            .as_str()
            .unwrap()
            .contains("parentAssignedCellId")
    );
    // Retrying changes nothing while the id is missing.
    assert_eq!(c.ok(Method::POST, "acceptattachment", None).await, failed);
    // A new key with the id proposes again; accepting resumes from the checkpoint.
    let again = c
        .ok(
            Method::PUT,
            "attachingkey",
            key("k2", "ignored-name", Some(5)),
        )
        .await;
    assert_eq!(again["status"], "Proposed");
    assert_eq!(again["registrationStep"], "PATGenerated");
    let attached = c.ok(Method::POST, "acceptattachment", None).await;
    assert_eq!(attached["status"], "Attached");
    assert_eq!(attached["registrationStep"], "PATPushed");
    assert_eq!(attached["registrationError"], Value::Null);
    assert_eq!(attached["adminDomainName"], "acme-admin");

    // Or give up: a Failed cell can be detached.
    let c = Cell::new().await;
    c.ok(Method::PUT, "primarydomain", None).await;
    c.ok(Method::PUT, "attachingkey", key("k1", "acme-admin", None))
        .await;
    c.ok(Method::POST, "acceptattachment", None).await;
    let detaching = c
        .ok(Method::PUT, "detach", Some(json!({"confirm": false})))
        .await;
    assert_eq!(detaching["status"], "Detaching");
    // Repeating the first call is allowed (Detaching is a starting state).
    c.ok(Method::PUT, "detach", Some(json!({"confirm": false})))
        .await;
    let done = c
        .ok(Method::PUT, "detach", Some(json!({"confirm": true})))
        .await;
    assert_eq!(done["status"], "Standalone");
    assert_eq!(done["registrationError"], Value::Null);
}

/// SetParentCell with confirm true leaves the cell `Attaching`; registration finishes, as the
/// service's background job would, once the emulator's clock has moved on.
#[tokio::test]
async fn confirming_the_parent_registers_in_the_background() {
    let c = Cell::new().await;
    c.ok(Method::PUT, "primarydomain", None).await;
    c.ok(
        Method::PUT,
        "parentcell",
        Some(json!({"adminDomainName": "acme-admin", "confirm": false})),
    )
    .await;
    c.ok(
        Method::PUT,
        "attachingkey",
        key("k1", "acme-admin", Some(3)),
    )
    .await;
    let attaching = c
        .ok(
            Method::PUT,
            "parentcell",
            Some(json!({"adminDomainName": "ACME-admin", "confirm": true})),
        )
        .await;
    assert_eq!(attaching["status"], "Attaching");
    assert_eq!(c.status().await["status"], "Attaching");
    assert_eq!(c.emu.cell_status().attachment, CellAttachment::Attaching);
    c.emu.advance_clock(CELL_REGISTRATION_DELAY);
    let attached = c.status().await;
    assert_eq!(attached["status"], "Attached");
    assert_eq!(attached["registrationStep"], "PATPushed");

    // Without a key the background registration fails; an Attaching cell can be detached.
    let c = Cell::new().await;
    c.ok(Method::PUT, "primarydomain", None).await;
    for confirm in [false, true] {
        c.ok(
            Method::PUT,
            "parentcell",
            Some(json!({"adminDomainName": "acme-admin", "confirm": confirm})),
        )
        .await;
    }
    c.emu.advance_clock(CELL_REGISTRATION_DELAY);
    let failed = c.status().await;
    assert_eq!(failed["status"], "Failed");
    assert!(
        failed["registrationError"]
            .as_str()
            .unwrap()
            .contains("SetAttachingKey")
    );
    let c = Cell::new().await;
    c.ok(Method::PUT, "primarydomain", None).await;
    for confirm in [false, true] {
        c.ok(
            Method::PUT,
            "parentcell",
            Some(json!({"adminDomainName": "acme-admin", "confirm": confirm})),
        )
        .await;
    }
    let detaching = c
        .ok(Method::PUT, "detach", Some(json!({"confirm": false})))
        .await;
    assert_eq!(detaching["status"], "Detaching");
    c.emu.advance_clock(CELL_REGISTRATION_DELAY);
    assert_eq!(c.status().await["status"], "Detaching");
}

#[tokio::test]
async fn personal_access_tokens_are_refused_and_bodies_validated() {
    let c = Cell::new().await;
    let pat = c.emu.issue_access_token();
    // Reading works with any token.
    let response = c
        .client
        .get(api(&c.emu, "/api/cellmanagement/parentcell"))
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = c
        .client
        .put(api(&c.emu, "/api/cellmanagement/primarydomain"))
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::FORBIDDEN).await;
    assert_eq!(body["code"], 785);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("SetPrimaryDomain")
    );
    assert_eq!(c.emu.cell_status().primary_domain_name, None);

    c.ok(Method::PUT, "primarydomain", None).await;
    for (path, body, field) in [
        (
            "parentcell",
            json!({"adminDomainName": "a_b", "confirm": false}),
            "adminDomainName",
        ),
        ("parentcell", json!({"adminDomainName": "acme"}), "confirm"),
        (
            "attachingkey",
            json!({"pat": "has space", "parentDomainName": "acme"}),
            "pat",
        ),
        (
            "attachingkey",
            json!({"pat": "k", "parentDomainName": "-acme"}),
            "parentDomainName",
        ),
        (
            "attachingkey",
            json!({"pat": "k", "parentDomainName": "acme", "parentAssignedCellId": 0}),
            "parentAssignedCellId",
        ),
        ("attachingkey/rotate", json!({}), "pat"),
    ] {
        let body = c
            .refused(Method::PUT, path, Some(body), StatusCode::BAD_REQUEST)
            .await;
        assert!(body["errors"][field].is_array(), "{path}: {body}");
    }
    c.refused(Method::PUT, "detach", None, StatusCode::BAD_REQUEST)
        .await;
    assert_eq!(c.status().await["status"], "Standalone");
}
