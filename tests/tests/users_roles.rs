//! Users and roles through the generated client and the SDK pipeline: not only SCIM.

use finbourne_identity::Error;
use finbourne_identity::client::types;
use finbourne_identity_emulator::Emulator;
use finbourne_identity_tests::world;

#[tokio::test]
async fn users_and_roles_round_trip() {
    let w = world(Emulator::builder()).await;
    let identity = &w.identity;

    let user = types::CreateUserRequest::builder()
        .first_name("Grace")
        .last_name("Hopper")
        .email_address("grace@example.com")
        .login("grace@example.com")
        .type_("Personal");
    let created = identity.create_user().body(user).send().await.unwrap();
    let id = created.id.to_string();
    let fetched = identity.get_user().id(id.as_str()).send().await.unwrap();
    assert_eq!(fetched.login.as_str(), "grace@example.com");
    let all = identity.list_users().send().await.unwrap();
    assert!(all.iter().any(|u| u.id.as_str() == id));

    let role = types::CreateRoleRequest::builder()
        .name("payroll-admins")
        .description("People who run payroll");
    let role = identity.create_role().body(role).send().await.unwrap();
    let role_id = role.id.to_string();
    identity
        .add_user_to_role()
        .id(role_id.as_str())
        .user_id(id.as_str())
        .send()
        .await
        .unwrap();
    let members = identity
        .list_users_in_role()
        .id(role_id.as_str())
        .send()
        .await
        .unwrap();
    let member_ids: Vec<String> = members.iter().map(|m| m.id.to_string()).collect();
    assert_eq!(member_ids, [id.as_str()]);
    identity
        .remove_user_from_role()
        .id(role_id.as_str())
        .user_id(id.as_str())
        .send()
        .await
        .unwrap();

    identity.delete_user().id(id.as_str()).send().await.unwrap();
    match identity.get_user().id(id.as_str()).send().await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status(), 404);
            assert_eq!(e.code(), Some(657), "user does not exist");
        }
        other => panic!("expected 404, got {other:?}"),
    }
}
