//! Seeding state on the builder: users, roles, applications, tokens, any operation.

use finbourne_identity_client::types::{CreateRoleRequest, CreateUserRequest};
use finbourne_identity_emulator::operations::{is_implemented, operation_by_id};
use finbourne_identity_emulator::{
    DEFAULT_SCOPE, Emulator, EmulatorBuilder, Error, SeedApplication, SeedRole, SeedUser,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{api, client, json, post_token};

async fn get(emu: &Emulator, token: &str, path: &str) -> (StatusCode, Value) {
    let response = client()
        .get(api(emu, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn seeded_users_roles_and_tokens_are_there_from_the_start() {
    let emu = Emulator::builder()
        .seed_role(
            SeedRole::new("Readers")
                .id("00g-readers")
                .description("Read only"),
        )
        .seed_role(SeedRole::new("Writers"))
        .seed_user(
            SeedUser::new("jo.bloggs@example.com")
                .id("00u-jo")
                .name("Jo", "Bloggs")
                .role("Readers")
                .role("Writers"),
        )
        .seed_user(
            SeedUser::new("locked.out@example.com")
                .status("LOCKED_OUT")
                .user_type("Service"),
        )
        .seed_access_token("jo-token", "jo.bloggs@example.com")
        .start()
        .await
        .unwrap();

    let (status, jo) = get(&emu, "jo-token", "/api/users/00u-jo?includeRoles=true").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(jo["login"], "jo.bloggs@example.com");
    assert_eq!(jo["emailAddress"], "jo.bloggs@example.com");
    assert_eq!(jo["firstName"], "Jo");
    assert_eq!(jo["status"], "ACTIVE");
    let roles: Vec<&str> = jo["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["Readers", "Writers"]);

    // The token acts as Jo.
    let (_, me) = get(&emu, "jo-token", "/api/me").await;
    assert_eq!(me["id"], "00u-jo");
    assert_eq!(me["groups"], json!(["Readers", "Writers"]));

    let (_, role) = get(&emu, "jo-token", "/api/roles/00g-readers").await;
    assert_eq!(role["description"], "Read only");
    assert_eq!(role["roleId"]["code"], "Readers");
    let (_, members) = get(&emu, "jo-token", "/api/roles/00g-readers/users").await;
    assert_eq!(members[0]["id"], "00u-jo");

    let (_, users) = get(&emu, "jo-token", "/api/users").await;
    let listed: Vec<(&str, &str)> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["login"].as_str().unwrap(), u["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            (emu.username(), "ACTIVE"),
            ("jo.bloggs@example.com", "ACTIVE"),
            ("locked.out@example.com", "LOCKED_OUT"),
        ]
    );

    // Seeding is not traffic: nothing journaled, counted or logged.
    assert_eq!(emu.journal().len(), 5);
    assert_eq!(emu.counters().api_requests, 5);
    assert!(emu.system_log().is_empty());
}

#[tokio::test]
async fn a_seeded_user_with_a_password_signs_in() {
    let emu = Emulator::builder()
        .seed_user(SeedUser::new("jo.bloggs@example.com").password("jo-password"))
        .start()
        .await
        .unwrap();
    // The first configured user stays the emulator's user.
    assert_eq!(
        emu.username(),
        finbourne_identity_emulator::DEFAULT_USERNAME
    );
    let response = post_token(
        &client(),
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "jo.bloggs@example.com"),
            ("password", "jo-password"),
            ("scope", DEFAULT_SCOPE),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let token = json(response).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, me) = get(&emu, &token, "/api/me").await;
    assert_eq!(me["emailAddress"], "jo.bloggs@example.com");
    let (_, jo) = get(&emu, &token, "/api/users/fromlogin/jo.bloggs@example.com").await;
    assert!(jo["lastLogin"].is_string(), "{jo}");
}

#[tokio::test]
async fn the_clients_request_types_seed_too() {
    let user: CreateUserRequest = CreateUserRequest::builder()
        .first_name("Ann")
        .last_name("Other")
        .email_address("ann.other@example.com")
        .login("ann.other@example.com")
        .type_("Personal")
        .try_into()
        .unwrap();
    let role: CreateRoleRequest = CreateRoleRequest::builder()
        .name("Auditors")
        .try_into()
        .unwrap();
    let emu = Emulator::builder()
        .seed_role(role)
        .seed_user(user)
        .seed_access_token("ann-token", "ann.other@example.com")
        .start()
        .await
        .unwrap();
    let (status, ann) = get(
        &emu,
        "ann-token",
        "/api/users/fromlogin/ann.other@example.com",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ann["lastName"], "Other");
    let (status, _) = get(&emu, "ann-token", "/api/roles/byCode/Auditors").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn any_operation_can_be_seeded() {
    let emu = Emulator::builder()
        .seed_operation("SetPrimaryDomain", &[], Value::Null)
        .seed_operation(
            "SetParentCell",
            &[],
            json!({"adminDomainName": "acme-admin", "confirm": false}),
        )
        .start()
        .await
        .unwrap();
    let pat = emu.issue_access_token();
    let (_, cell) = get(&emu, &pat, "/api/cellmanagement/parentcell").await;
    assert_eq!(cell["status"], "Proposed");
    assert_eq!(cell["adminDomainName"], "acme-admin");

    // Path parameters are filled in: here a role membership, after the seeded user and role.
    let emu = Emulator::builder()
        .seed_role(SeedRole::new("Readers").id("00g-r"))
        .seed_user(SeedUser::new("jo.bloggs@example.com").id("00u-jo"))
        .seed_operation(
            "AddUserToRole",
            &[("id", "00g-r"), ("userId", "00u-jo")],
            Value::Null,
        )
        .start()
        .await
        .unwrap();
    let pat = emu.issue_access_token();
    let (_, members) = get(&emu, &pat, "/api/roles/00g-r/users").await;
    assert_eq!(members[0]["login"], "jo.bloggs@example.com");
}

#[tokio::test]
async fn seeded_applications_are_played_through_create_application() {
    let builder = Emulator::builder().seed_application(
        SeedApplication::new("reporting-app", "Reporting").web(["https://app.example.com/cb"]),
    );
    if is_implemented(operation_by_id("CreateApplication").unwrap()) {
        let emu = builder.start().await.unwrap();
        let pat = emu.issue_access_token();
        let (status, apps) = get(&emu, &pat, "/api/applications").await;
        assert_eq!(status, StatusCode::OK);
        assert!(apps.to_string().contains("reporting-app"), "{apps}");
    } else {
        // Until the emulator serves CreateApplication, start says why it cannot seed.
        let err = builder.start().await.unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(_)));
        let message = err.to_string();
        assert!(
            message.contains("CreateApplication") && message.contains("501"),
            "{message}"
        );
    }
}

async fn refused(builder: EmulatorBuilder, wanted: &str) {
    match builder.start().await {
        Err(Error::InvalidConfig(message)) => assert!(message.contains(wanted), "{message}"),
        other => panic!("expected InvalidConfig naming {wanted:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_seeds_stop_start_with_the_reason() {
    // CreateUser's own checks.
    refused(Emulator::builder().seed_user(SeedUser::new("jo")), "login").await;
    refused(
        Emulator::builder().seed_user(SeedUser::new("jo.bloggs@example.com").role("NoSuchRole")),
        "NoSuchRole",
    )
    .await;
    refused(
        Emulator::builder().seed_role(SeedRole::new("x")),
        "CreateRole answered 400",
    )
    .await;
    refused(
        Emulator::builder()
            .seed_user(SeedUser::new("jo.bloggs@example.com"))
            .seed_user(SeedUser::new("JO.BLOGGS@example.com")),
        "twice",
    )
    .await;
    refused(
        Emulator::builder()
            .user("jo.bloggs@example.com", "pw")
            .seed_user(SeedUser::new("jo.bloggs@example.com")),
        "twice",
    )
    .await;
    refused(
        Emulator::builder()
            .seed_role(SeedRole::new("Readers").id("same"))
            .seed_role(SeedRole::new("Writers").id("same")),
        "seeded twice",
    )
    .await;
    refused(
        Emulator::builder().seed_access_token("t", "nobody@example.com"),
        "nobody@example.com",
    )
    .await;
    refused(Emulator::builder().seed_access_token(" ", "x"), "empty").await;
    refused(
        Emulator::builder().seed_operation("NoSuchOperation", &[], Value::Null),
        "NoSuchOperation",
    )
    .await;
    refused(
        Emulator::builder().seed_operation("AddUserToRole", &[("id", "r")], Value::Null),
        "userId",
    )
    .await;
    refused(
        Emulator::builder().seed_operation("DetachParentCell", &[], json!({"confirm": true})),
        "call SetPrimaryDomain first",
    )
    .await;
}

#[tokio::test]
async fn the_builders_debug_hides_seeded_secrets() {
    let builder = Emulator::builder()
        .seed_user(SeedUser::new("jo.bloggs@example.com").password("jo-password"))
        .seed_access_token("jo-token", "jo.bloggs@example.com");
    let shown = format!("{builder:?}");
    assert!(shown.contains("jo.bloggs@example.com"), "{shown}");
    assert!(
        !shown.contains("jo-password") && !shown.contains("jo-token"),
        "{shown}"
    );
}
