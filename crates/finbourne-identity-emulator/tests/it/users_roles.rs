//! Users, roles and role membership.

use finbourne_identity_emulator::Emulator;
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::common::{api, client, json, problem};

struct Api {
    emu: Emulator,
    client: Client,
    pat: String,
}

impl Api {
    async fn new() -> Self {
        let emu = Emulator::start().await.unwrap();
        let pat = emu.issue_access_token();
        Api {
            emu,
            client: client(),
            pat,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self
            .client
            .request(method, api(&self.emu, path))
            .bearer_auth(&self.pat);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn ok(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
    ) -> Value {
        let response = self.call(method, path, body).await;
        assert_eq!(response.status(), status, "{path}");
        if status == StatusCode::NO_CONTENT {
            assert_eq!(response.bytes().await.unwrap().len(), 0);
            return Value::Null;
        }
        json(response).await
    }
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

fn assert_user_shape(user: &Value) {
    for field in [
        "id",
        "emailAddress",
        "login",
        "firstName",
        "lastName",
        "type",
        "status",
    ] {
        assert!(
            user[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {user}"
        );
    }
    assert!(user["external"].is_boolean(), "{user}");
}

#[tokio::test]
async fn users_crud() {
    let a = Api::new().await;
    // The signed-in user is listed from the start.
    let users = a.ok(Method::GET, "/api/users", None, StatusCode::OK).await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["login"], a.emu.username());

    let created = a
        .ok(
            Method::POST,
            "/api/users",
            Some(new_user("jo.bloggs@example.com")),
            StatusCode::OK,
        )
        .await;
    assert_user_shape(&created);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created.get("roles").is_none());

    let got = a
        .ok(
            Method::GET,
            &format!("/api/users/{id}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(got, created);
    let by_login = a
        .ok(
            Method::GET,
            "/api/users/fromlogin/jo.bloggs@example.com",
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(by_login["id"], id.as_str());

    let users = a.ok(Method::GET, "/api/users", None, StatusCode::OK).await;
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == id.as_str())
    );

    let mut change = new_user("jo.bloggs@example.com");
    change.as_object_mut().unwrap().remove("type");
    change["firstName"] = json!("Joanne");
    change["alternativeUserIds"] = json!({"employeeId": "E42"});
    let updated = a
        .ok(
            Method::PUT,
            &format!("/api/users/{id}"),
            Some(change),
            StatusCode::OK,
        )
        .await;
    assert_eq!(updated["firstName"], "Joanne");
    assert_eq!(updated["alternativeUserIds"]["employeeId"], "E42");
    assert_eq!(updated["type"], "Personal");

    a.ok(
        Method::DELETE,
        &format!("/api/users/{id}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    let body = problem(
        a.call(Method::GET, &format!("/api/users/{id}"), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(body["code"], 657);
    problem(
        a.call(Method::DELETE, &format!("/api/users/{id}"), None)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        a.call(
            Method::PUT,
            &format!("/api/users/{id}"),
            Some(new_user("jo.bloggs@example.com")),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // Deleted without purge: still listed with includeDeactivated=true.
    let all = a
        .ok(
            Method::GET,
            "/api/users?includeDeactivated=true",
            None,
            StatusCode::OK,
        )
        .await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == id.as_str())
    );
    let active = a.ok(Method::GET, "/api/users", None, StatusCode::OK).await;
    assert!(
        !active
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == id.as_str())
    );

    // Purged users are gone for good.
    let other = a
        .ok(
            Method::POST,
            "/api/users",
            Some(new_user("purge.me@example.com")),
            StatusCode::OK,
        )
        .await;
    let other_id = other["id"].as_str().unwrap();
    a.ok(
        Method::DELETE,
        &format!("/api/users/{other_id}?purge=true"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    let all = a
        .ok(
            Method::GET,
            "/api/users?includeDeactivated=true",
            None,
            StatusCode::OK,
        )
        .await;
    assert!(!all.as_array().unwrap().iter().any(|u| u["id"] == other_id));
}

#[tokio::test]
async fn users_validation_and_conflicts() {
    let a = Api::new().await;
    let body = problem(
        a.call(Method::POST, "/api/users", Some(json!({"firstName": "Jo"})))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], 151);
    assert!(body["errors"].as_object().is_some_and(|e| !e.is_empty()));

    let mut short = new_user("jo.bloggs@example.com");
    short["lastName"] = json!("B");
    let body = problem(
        a.call(Method::POST, "/api/users", Some(short)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["errors"]["lastName"].is_array());

    let body = problem(
        a.call(Method::POST, "/api/users", None).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["errors"]["body"].is_array());

    a.ok(
        Method::POST,
        "/api/users",
        Some(new_user("dup@example.com")),
        StatusCode::OK,
    )
    .await;
    let body = problem(
        a.call(
            Method::POST,
            "/api/users",
            Some(new_user("dup@example.com")),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["code"], 658);

    let body = problem(
        a.call(Method::GET, "/api/users?includeDeactivated=maybe", None)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["errors"]["includeDeactivated"].is_array());
}

#[tokio::test]
async fn roles_crud_and_membership() {
    let a = Api::new().await;
    let role = a
        .ok(
            Method::POST,
            "/api/roles",
            Some(json!({"name": "Portfolio Managers", "description": "PMs"})),
            StatusCode::CREATED,
        )
        .await;
    let role_id = role["id"].as_str().unwrap().to_owned();
    assert_eq!(role["name"], "Portfolio Managers");
    assert_eq!(role["description"], "PMs");
    assert_eq!(role["source"], "LusidUser");
    assert_eq!(role["roleId"]["code"], "Portfolio Managers");
    let scope = role["roleId"]["scope"].as_str().unwrap().to_owned();

    let got = a
        .ok(
            Method::GET,
            &format!("/api/roles/{role_id}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(got, role);
    let by_code = a
        .ok(
            Method::GET,
            &format!("/api/roles/byCode/Portfolio%20Managers?scope={scope}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(by_code["id"], role_id.as_str());
    let roles = a.ok(Method::GET, "/api/roles", None, StatusCode::OK).await;
    assert_eq!(roles.as_array().unwrap().len(), 1);

    let updated = a
        .ok(
            Method::PUT,
            &format!("/api/roles/{role_id}"),
            Some(json!({"description": "Portfolio managers"})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(updated["description"], "Portfolio managers");

    // Membership.
    let user = a
        .ok(
            Method::POST,
            "/api/users",
            Some(new_user("pm@example.com")),
            StatusCode::OK,
        )
        .await;
    let user_id = user["id"].as_str().unwrap().to_owned();
    let member_path = format!("/api/roles/{role_id}/users/{user_id}");
    a.ok(Method::PUT, &member_path, None, StatusCode::NO_CONTENT)
        .await;
    a.ok(Method::PUT, &member_path, None, StatusCode::NO_CONTENT)
        .await;
    let members = a
        .ok(
            Method::GET,
            &format!("/api/roles/{role_id}/users"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(members.as_array().unwrap().len(), 1);
    assert_eq!(members[0]["id"], user_id.as_str());
    let with_roles = a
        .ok(
            Method::GET,
            &format!("/api/users/{user_id}?includeRoles=true"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(with_roles["roles"][0]["id"], role_id.as_str());

    // The signed-in user's groups follow their roles.
    let me = a.ok(Method::GET, "/api/me", None, StatusCode::OK).await;
    let me_id = me["id"].as_str().unwrap().to_owned();
    a.ok(
        Method::PUT,
        &format!("/api/roles/{role_id}/users/{me_id}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    let me = a.ok(Method::GET, "/api/me", None, StatusCode::OK).await;
    assert_eq!(me["groups"], json!(["Portfolio Managers"]));

    a.ok(Method::DELETE, &member_path, None, StatusCode::NO_CONTENT)
        .await;
    let members = a
        .ok(
            Method::GET,
            &format!("/api/roles/{role_id}/users"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(members.as_array().unwrap().len(), 1);

    // Unknown role or user: 404 problem details.
    let body = problem(
        a.call(
            Method::PUT,
            &format!("/api/roles/nope/users/{user_id}"),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(body["code"], 660);
    let body = problem(
        a.call(
            Method::PUT,
            &format!("/api/roles/{role_id}/users/nope"),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(body["code"], 657);
    problem(
        a.call(
            Method::DELETE,
            &format!("/api/roles/{role_id}/users/nope"),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        a.call(Method::GET, "/api/roles/nope/users", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    a.ok(
        Method::DELETE,
        &format!("/api/roles/{role_id}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(json!({"description": "x"}))),
        (Method::DELETE, None),
    ] {
        let body = problem(
            a.call(method, &format!("/api/roles/{role_id}"), body).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(body["code"], 660);
    }
    problem(
        a.call(Method::GET, "/api/roles/byCode/Portfolio%20Managers", None)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn roles_validation_and_conflicts() {
    let a = Api::new().await;
    let body = problem(
        a.call(Method::POST, "/api/roles", Some(json!({"name": "1x"})))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["errors"]["name"].is_array());
    let body = problem(
        a.call(
            Method::POST,
            "/api/roles",
            Some(json!({"description": "no name"})),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["errors"]["name"].is_array());
    a.ok(
        Method::POST,
        "/api/roles",
        Some(json!({"name": "Traders"})),
        StatusCode::CREATED,
    )
    .await;
    problem(
        a.call(Method::POST, "/api/roles", Some(json!({"name": "traders"})))
            .await,
        StatusCode::CONFLICT,
    )
    .await;

    // Roles given at user creation must exist, and are then held.
    let mut user = new_user("trader@example.com");
    user["roles"] = json!([{"scope": "default", "code": "Nobody"}]);
    let body = problem(
        a.call(Method::POST, "/api/users", Some(user.clone())).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["errors"]["roles"].is_array());
    user["roles"] = json!([{"scope": "default", "code": "Traders"}]);
    let created = a
        .ok(Method::POST, "/api/users", Some(user), StatusCode::OK)
        .await;
    let with_roles = a
        .ok(
            Method::GET,
            &format!(
                "/api/users/{}?includeRoles=true",
                created["id"].as_str().unwrap()
            ),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(with_roles["roles"][0]["name"], "Traders");
}
