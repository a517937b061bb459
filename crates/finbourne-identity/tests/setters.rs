//! Setters take what callers have: values as `impl Into<T>`, `set_x(Option<T>)` to set or
//! clear, the body's properties on the call itself, and a missing required value refused
//! before anything is sent, naming it.

use std::error::Error as StdError;

use finbourne_identity::client::types;
use finbourne_identity::{ConfigLoader, Error, IdentityClient, Response};
use finbourne_identity_emulator::Emulator;

type TestResult = Result<(), Box<dyn StdError>>;

fn identity_for(emulator: &Emulator) -> IdentityClient {
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(emulator.identity_url())
        .access_token(emulator.issue_access_token())
        .load()
        .unwrap();
    IdentityClient::new(config).unwrap()
}

#[tokio::test]
async fn a_body_is_written_on_the_call_in_one_line() -> TestResult {
    let emulator = Emulator::start().await?;
    let identity = identity_for(&emulator);

    let role = identity
        .create_role()
        .name("payroll")
        .description("Pays people")
        .send()
        .await?;
    let description = String::from("Runs payroll");
    let user = identity
        .create_user()
        .first_name("Grace")
        .last_name(String::from("Hopper"))
        .email_address("grace@example.com")
        .login("grace@example.com")
        .type_("Personal")
        .roles([types::RoleId::try_from(
            types::RoleId::builder()
                .scope(role.role_id.scope.as_str())
                .code(role.role_id.code.as_str()),
        )?])
        .send()
        .await?;
    let updated = identity
        .update_role()
        .id(&role.id)
        .description(&description)
        .send()
        .await?;

    assert_eq!(role.description.as_deref(), Some("Pays people"));
    assert_eq!(updated.description.as_deref(), Some("Runs payroll"));
    let members = identity.list_users_in_role().id(&role.id).send().await?;
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].id, user.id);
    let sent = emulator.journal().last().cloned().unwrap();
    assert_eq!(
        sent.path(),
        format!("/identity/api/roles/{}/users", role.id)
    );
    Ok(())
}

#[tokio::test]
async fn set_x_sets_or_clears_and_property_setters_change_a_whole_body() -> TestResult {
    let emulator = Emulator::start().await?;
    let identity = identity_for(&emulator);
    let maybe: Option<String> = None;

    let cleared = identity
        .create_role()
        .name("cleared")
        .description("dropped")
        .set_description(maybe)
        .send()
        .await?;
    let from_body = identity
        .create_role()
        .body(
            types::CreateRoleRequest::builder()
                .name("from-body")
                .description("first"),
        )
        .description("second")
        .send()
        .await?;
    let set = identity
        .create_role()
        .set_name(Some("set-name".to_owned()))
        .send()
        .await?;

    assert_eq!(cleared.description, None);
    let bodies: Vec<_> = emulator.journal().iter().filter_map(|e| e.json()).collect();
    assert!(
        bodies[0].get("description").is_none(),
        "a cleared property is not sent: {}",
        bodies[0]
    );
    assert_eq!(
        (from_body.name.as_str(), from_body.description.as_deref()),
        ("from-body", Some("second"))
    );
    assert_eq!(set.name.as_str(), "set-name");
    // Parameters too.
    identity
        .list_users()
        .set_include_deactivated(Some(true))
        .send()
        .await?;
    assert_eq!(
        emulator
            .journal()
            .last()
            .unwrap()
            .query_param("includeDeactivated")
            .as_deref(),
        Some("true")
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_required_value_is_refused_naming_it_before_anything_is_sent() -> TestResult {
    let emulator = Emulator::start().await?;
    let identity = identity_for(&emulator);

    let no_name = identity.create_role().description("no name").send().await;
    let unset = identity
        .create_role()
        .name("payroll")
        .set_name(None)
        .send()
        .await;
    let no_id = identity.get_role().send().await;
    let no_user = identity.add_user_to_role().id("r1").send().await;

    for (outcome, operation, message) in [
        (
            no_name.map(drop),
            "create_role",
            "the required field `name` was not set",
        ),
        (
            unset.map(drop),
            "create_role",
            "the required field `name` was not set",
        ),
        (
            no_id.map(drop),
            "get_role",
            "the required parameter `id` was not set",
        ),
        (
            no_user.map(drop),
            "add_user_to_role",
            "the required parameter `user_id` was not set",
        ),
    ] {
        match outcome {
            Err(e @ Error::InvalidRequest { .. }) => {
                assert_eq!(
                    e.to_string(),
                    format!("{operation}: invalid request: {message}")
                );
            }
            other => panic!("{operation}: expected an invalid request, got {other:?}"),
        }
    }
    assert!(emulator.journal().is_empty(), "nothing was sent");
    Ok(())
}

#[tokio::test]
async fn send_response_gives_the_status_and_headers_in_an_sdk_type() -> TestResult {
    let emulator = Emulator::start().await?;
    let identity = identity_for(&emulator);

    let answer: Response<types::RoleResponse> = identity
        .create_role()
        .name("payroll")
        .send_response()
        .await?;

    assert_eq!(answer.status(), 201);
    assert!(answer.headers().contains_key("content-type"));
    assert_eq!(answer.name.as_str(), "payroll", "the value through Deref");
    let (status, _, role) = answer.into_parts();
    assert_eq!((status.as_u16(), role.name.as_str()), (201, "payroll"));
    Ok(())
}
