//! The resource families the engine serves from the table: network zones, external token
//! issuers and MCP tools, with the meaning each is given.

use finbourne_identity_client::types;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::{Api, typed};

fn zone(code: &str, ip: &str) -> Value {
    json!({
        "code": code,
        "description": "Office",
        "networkZoneIPs": [{ "type": "CIDR", "value": ip, "description": "London" }],
        "action": "allow",
        "applyRules": { "sessionType": ["AllUsers"], "userRoles": [] },
    })
}

async fn zone_codes(a: &Api) -> Vec<(String, i64)> {
    let zones = a
        .expect(Method::GET, "/api/networkzones", None, StatusCode::OK)
        .await;
    let zones: Vec<types::NetworkZoneDefinitionResponse> = typed(&zones);
    zones
        .into_iter()
        .map(|z| (z.code.unwrap(), i64::from(z.hierarchy.unwrap())))
        .collect()
}

#[tokio::test]
async fn network_zones_keep_a_hierarchy() {
    let a = Api::new().await;
    let response = a
        .send(
            Method::POST,
            "/api/networkzones",
            Some(zone("office", "77.77.77.0/24")),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/identity/api/networkzones/office")
    );
    let office: types::NetworkZoneDefinitionResponse = typed(&response.json().await.unwrap());
    assert_eq!(office.hierarchy, Some(1));
    assert_eq!(office.action.as_deref(), Some("Allow"));
    assert_eq!(office.created_by.as_deref(), Some(a.my_id().await.as_str()));
    assert!(office.created_at.is_some() && office.created_at == office.updated_at);
    a.expect(
        Method::POST,
        "/api/networkzones",
        Some(zone("vpn", "10.0.0.1")),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        zone_codes(&a).await,
        [("office".into(), 1), ("vpn".into(), 2)]
    );

    // Moving the VPN zone first renumbers the office.
    let mut moved = zone("ignored", "10.0.0.0/8");
    moved.as_object_mut().unwrap().remove("code");
    moved["hierarchy"] = json!(1);
    let updated = a
        .expect(
            Method::PUT,
            "/api/networkzones/vpn",
            Some(moved),
            StatusCode::OK,
        )
        .await;
    let updated: types::NetworkZoneDefinitionResponse = typed(&updated);
    assert_eq!(updated.code.as_deref(), Some("vpn"));
    assert_eq!(updated.hierarchy, Some(1));
    assert_eq!(updated.network_zone_i_ps.unwrap()[0].value, "10.0.0.0/8");
    assert_eq!(
        zone_codes(&a).await,
        [("vpn".into(), 1), ("office".into(), 2)]
    );
    let got = a
        .expect(
            Method::GET,
            "/api/networkzones/office",
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(got["hierarchy"], 2);

    // Deleting closes the gap, and deleting again still succeeds.
    a.expect(
        Method::DELETE,
        "/api/networkzones/vpn",
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(zone_codes(&a).await, [("office".into(), 1)]);
    a.expect(
        Method::DELETE,
        "/api/networkzones/vpn",
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    a.refused(
        Method::GET,
        "/api/networkzones/vpn",
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn network_zones_are_checked() {
    let a = Api::new().await;
    a.expect(
        Method::POST,
        "/api/networkzones",
        Some(zone("office", "77.77.77.0/24")),
        StatusCode::CREATED,
    )
    .await;
    let twice = a
        .refused(
            Method::POST,
            "/api/networkzones",
            Some(zone("office", "77.77.77.0/24")),
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(twice["code"], 144);
    let mut missing = zone("lab", "1.2.3.4");
    missing.as_object_mut().unwrap().remove("applyRules");
    let refused = a
        .refused(
            Method::POST,
            "/api/networkzones",
            Some(missing),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_eq!(
        refused["errors"]["applyRules"][0],
        "The applyRules field is required."
    );
    let mut wrong = zone("bad code!", "1.2.3.400");
    wrong["action"] = json!("Ignore");
    let refused = a
        .refused(
            Method::POST,
            "/api/networkzones",
            Some(wrong),
            StatusCode::BAD_REQUEST,
        )
        .await;
    for field in ["code", "action", "networkZoneIPs[0].value"] {
        assert!(refused["errors"][field].is_array(), "{field}: {refused}");
    }
    a.refused(
        Method::PUT,
        "/api/networkzones/nowhere",
        Some(json!({ "hierarchy": 1, "networkZoneIPs": [], "applyRules": { "sessionType": [], "userRoles": [] } })),
        StatusCode::NOT_FOUND,
    )
    .await;
}

fn issuer(code: &str) -> Value {
    json!({
        "code": code,
        "issuer": "https://login.partner.example.com",
        "audience": "api://lusid",
        "description": "Partner sign-in",
        "logoutUrl": "https://login.partner.example.com/logout",
        "claimMappings": {
            "userId": "sub", "login": "upn", "email": "email",
            "firstName": "given_name", "lastName": "family_name", "userType": "user_type",
        },
    })
}

#[tokio::test]
async fn external_token_issuers() {
    let a = Api::new().await;
    let created = a
        .expect(
            Method::POST,
            "/api/externaltokenissuers",
            Some(issuer("partner")),
            StatusCode::CREATED,
        )
        .await;
    let created: types::ExternalTokenIssuerResponse = typed(&created);
    assert_eq!(created.code.as_deref(), Some("partner"));
    assert_eq!(created.claim_mappings.unwrap().login, "upn");
    let path = "/api/externaltokenissuers/partner";
    // An update keeps what it does not give of what only creation requires.
    let updated = a
        .expect(
            Method::PUT,
            path,
            Some(json!({ "description": "Partner, renamed" })),
            StatusCode::OK,
        )
        .await;
    let updated: types::ExternalTokenIssuerResponse = typed(&updated);
    assert_eq!(updated.description.as_deref(), Some("Partner, renamed"));
    assert_eq!(updated.issuer, created.issuer);
    assert_eq!(updated.logout_url, created.logout_url);
    assert!(updated.claim_mappings.is_none());
    let got = a.expect(Method::GET, path, None, StatusCode::OK).await;
    assert_eq!(typed::<types::ExternalTokenIssuerResponse>(&got), updated);
    assert!(got.get("createdAt").is_none(), "not in the schema: {got}");
    let listed = a
        .expect(
            Method::GET,
            "/api/externaltokenissuers",
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(listed, json!([got]));

    a.refused(
        Method::POST,
        "/api/externaltokenissuers",
        Some(issuer("partner")),
        StatusCode::CONFLICT,
    )
    .await;
    let mut bad = issuer("other");
    bad["logoutUrl"] = json!("/logout");
    bad["claimMappings"]
        .as_object_mut()
        .unwrap()
        .remove("email");
    let refused = a
        .refused(
            Method::POST,
            "/api/externaltokenissuers",
            Some(bad),
            StatusCode::BAD_REQUEST,
        )
        .await;
    for field in ["logoutUrl", "claimMappings.email"] {
        assert!(refused["errors"][field].is_array(), "{field}: {refused}");
    }
    let mut missing = issuer("other");
    missing.as_object_mut().unwrap().remove("audience");
    let refused = a
        .refused(
            Method::POST,
            "/api/externaltokenissuers",
            Some(missing),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(refused["errors"]["audience"].is_array(), "{refused}");

    a.expect(Method::DELETE, path, None, StatusCode::NO_CONTENT)
        .await;
    a.refused(Method::GET, path, None, StatusCode::NOT_FOUND)
        .await;
    a.refused(Method::DELETE, path, None, StatusCode::NOT_FOUND)
        .await;
}

fn luminesce_tool(name: &str) -> Value {
    json!({
        "name": name,
        "title": "Holdings report",
        "description": "Reports the holdings of a portfolio.",
        "readOnly": true,
        "parameters": [{ "name": "portfolio", "dataType": "string" }],
        "luminescePayload": { "query": "select * from Lusid.Portfolio.Holding" },
    })
}

#[tokio::test]
async fn mcp_tools_keep_versions_and_soft_delete() {
    let a = Api::new().await;
    let path = "/api/mcptools/reports/holdings";
    let created = a
        .expect(
            Method::POST,
            path,
            Some(luminesce_tool("holdings_report")),
            StatusCode::CREATED,
        )
        .await;
    let created: types::McpToolResponse = typed(&created);
    assert_eq!(
        (created.scope.as_deref(), created.code.as_deref()),
        (Some("reports"), Some("holdings"))
    );
    assert_eq!(created.version, Some(1));
    assert_eq!(created.payload_type.as_deref(), Some("Luminesce"));
    assert_eq!(created.destructive, Some(false));

    let mut scheduler = luminesce_tool("holdings_report");
    scheduler
        .as_object_mut()
        .unwrap()
        .remove("luminescePayload");
    scheduler["schedulerPayload"] = json!({ "jobScope": "reports", "jobCode": "holdings" });
    let updated = a
        .expect(Method::PUT, path, Some(scheduler), StatusCode::OK)
        .await;
    let updated: types::McpToolResponse = typed(&updated);
    assert_eq!(updated.version, Some(2));
    assert_eq!(updated.payload_type.as_deref(), Some("Scheduler"));
    assert!(updated.luminesce_payload.is_none());
    assert_eq!(updated.created_at, created.created_at);

    let first = a
        .expect(
            Method::GET,
            &format!("{path}?version=1"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(typed::<types::McpToolResponse>(&first), created);
    let current = a.expect(Method::GET, path, None, StatusCode::OK).await;
    assert_eq!(typed::<types::McpToolResponse>(&current), updated);
    a.refused(
        Method::GET,
        &format!("{path}?version=3"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;

    a.expect(Method::DELETE, path, None, StatusCode::NO_CONTENT)
        .await;
    a.refused(Method::GET, path, None, StatusCode::NOT_FOUND)
        .await;
    let listed = a
        .expect(Method::GET, "/api/mcptools", None, StatusCode::OK)
        .await;
    assert_eq!(listed, json!([]));
    // The scope and code can be used again, from version 1.
    let again = a
        .expect(
            Method::POST,
            path,
            Some(luminesce_tool("holdings_report")),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(again["version"], 1);
}

#[tokio::test]
async fn mcp_tools_are_checked() {
    let a = Api::new().await;
    a.expect(
        Method::POST,
        "/api/mcptools/reports/holdings",
        Some(luminesce_tool("holdings_report")),
        StatusCode::CREATED,
    )
    .await;
    // The code, and the name across the domain, are taken.
    a.refused(
        Method::POST,
        "/api/mcptools/reports/holdings",
        Some(luminesce_tool("another_name")),
        StatusCode::CONFLICT,
    )
    .await;
    a.refused(
        Method::POST,
        "/api/mcptools/other/tool",
        Some(luminesce_tool("holdings_report")),
        StatusCode::CONFLICT,
    )
    .await;
    a.expect(
        Method::POST,
        "/api/mcptools/other/tool",
        Some(luminesce_tool("other_tool")),
        StatusCode::CREATED,
    )
    .await;
    a.refused(
        Method::PUT,
        "/api/mcptools/other/tool",
        Some(luminesce_tool("holdings_report")),
        StatusCode::CONFLICT,
    )
    .await;

    let mut both = luminesce_tool("both");
    both["schedulerPayload"] = json!({ "jobScope": "s", "jobCode": "c" });
    both["destructive"] = json!(true);
    let refused = a
        .refused(
            Method::POST,
            "/api/mcptools/reports/both",
            Some(both),
            StatusCode::BAD_REQUEST,
        )
        .await;
    for field in ["luminescePayload", "destructiveActionSummaryTemplate"] {
        assert!(refused["errors"][field].is_array(), "{field}: {refused}");
    }
    let refused = a
        .refused(
            Method::POST,
            "/api/mcptools/reports/untitled",
            Some(json!({ "name": "untitled", "description": "d" })),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_eq!(
        refused["errors"]["title"][0],
        "The title field is required."
    );
    a.refused(
        Method::PUT,
        "/api/mcptools/reports/nothing",
        Some(luminesce_tool("nothing")),
        StatusCode::NOT_FOUND,
    )
    .await;
}
