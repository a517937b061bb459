//! The user lifecycle, SetPassword and the password policy, seen through the password grant.

use std::time::Duration;

use finbourne_identity_client::types;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::{Api, typed};

fn new_user(login: &str, user_type: &str) -> Value {
    json!({
        "firstName": "Jo",
        "lastName": "Bloggs",
        "emailAddress": login,
        "login": login,
        "type": user_type,
    })
}

/// A personal password policy with these limits (complexity as the default).
fn policy(min_length: i64, max_age_days: i64, history_count: i64, max_attempts: i64) -> Value {
    json!({ "conditions": {
        "complexity": { "minLength": min_length, "excludeFirstName": true, "excludeLastName": true },
        "age": { "maxAgeDays": max_age_days, "historyCount": history_count },
        "lockout": { "maxAttempts": max_attempts },
    }})
}

async fn lifecycle(a: &Api, id: &str, action: &str, status: StatusCode) -> Value {
    a.expect(
        Method::POST,
        &format!("/api/users/{id}/lifecycle/${action}"),
        None,
        status,
    )
    .await
}

async fn lifecycle_refused(a: &Api, id: &str, action: &str, code: i64) {
    let body = a
        .refused(
            Method::POST,
            &format!("/api/users/{id}/lifecycle/${action}"),
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_eq!(body["code"], code, "{action}: {body}");
}

#[tokio::test]
async fn activation_moves_a_new_user_to_provisioned_once() {
    let a = Api::new().await;
    let created = a
        .expect(
            Method::POST,
            "/api/users",
            Some(new_user("new.person@example.com", "Personal")),
            StatusCode::OK,
        )
        .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["status"], "PROVISIONED");
    lifecycle(&a, id, "activate", StatusCode::NO_CONTENT).await;
    assert_eq!(a.status_of(id).await, "PROVISIONED");
    assert!(a.emu.set_user_status("new.person@example.com", "STAGED"));
    lifecycle(&a, id, "activate", StatusCode::NO_CONTENT).await;
    assert_eq!(a.status_of(id).await, "PROVISIONED");
    // An active user is activated already (707).
    let me = a.my_id().await;
    lifecycle_refused(&a, &me, "activate", 707).await;
    // Passwords of users without one can be neither expired nor reset.
    lifecycle_refused(&a, id, "expirepassword", 719).await;
    lifecycle_refused(&a, id, "resetpassword", 718).await;
}

#[tokio::test]
async fn an_expired_password_is_replaced_with_set_password() {
    let a = Api::new().await;
    let (user, old) = (a.emu.username().to_owned(), a.emu.password().to_owned());
    let me = a.my_id().await;
    let temporary = lifecycle(&a, &me, "expirepassword", StatusCode::OK).await;
    let temporary: types::TemporaryPassword = typed(&temporary);
    assert_eq!(a.status_of(&me).await, "PASSWORD_EXPIRED");
    // Neither the old nor the temporary password signs in.
    let refused = a.sign_in_refused(&user, &old).await;
    assert_eq!(
        refused["error_description"],
        "The credentials provided were invalid."
    );
    let refused = a.sign_in_refused(&user, &temporary.password).await;
    assert!(
        refused["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{refused}"
    );

    // The personal access token still works: set a new password.
    let set = a
        .expect(
            Method::PUT,
            "/api/me/password",
            Some(json!({ "value": "correct horse battery" })),
            StatusCode::OK,
        )
        .await;
    let set: types::SetPasswordResponse = typed(&set);
    assert_eq!(a.status_of(&me).await, "ACTIVE");
    a.signed_in(&user, "correct horse battery").await;
    a.sign_in_refused(&user, &old).await;
    a.sign_in_refused(&user, &temporary.password).await;
    let shown = a
        .expect(
            Method::GET,
            &format!("/api/users/{me}"),
            None,
            StatusCode::OK,
        )
        .await;
    let shown: types::UserResponse = typed(&shown);
    assert_eq!(shown.password_changed, Some(set.updated_at));
    // The journal does not show the new password.
    let entry = a
        .emu
        .journal()
        .into_iter()
        .find(|e| e.path().ends_with("/api/me/password"))
        .unwrap();
    assert!(!format!("{entry:?}").contains("correct horse battery"));
}

#[tokio::test]
async fn set_password_follows_the_password_policy() {
    let a = Api::new().await;
    let user = a.emu.username().to_owned();
    let set = |value: &str| json!({ "value": value });
    let short = a
        .refused(
            Method::PUT,
            "/api/me/password",
            Some(set("too-short")),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(short["errors"]["value"].is_array(), "{short}");
    let missing = a
        .refused(
            Method::PUT,
            "/api/me/password",
            Some(json!({})),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_eq!(
        missing["errors"]["value"][0],
        "The value field is required."
    );
    // The seeded user is "Emulator User": names are excluded.
    let named = a
        .refused(
            Method::PUT,
            "/api/me/password",
            Some(set("my-emulator-secret")),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_eq!(named["code"], 787, "{named}");
    // History: the last four passwords cannot come back.
    for value in ["first-password-1", "second-password-2"] {
        a.expect(
            Method::PUT,
            "/api/me/password",
            Some(set(value)),
            StatusCode::OK,
        )
        .await;
    }
    let reused = a
        .refused(
            Method::PUT,
            "/api/me/password",
            Some(set("first-password-1")),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_eq!(reused["code"], 787);
    // A longer minimum applies at once.
    a.expect(
        Method::PUT,
        "/api/authentication/password-policy/personal",
        Some(policy(20, 0, 4, 10)),
        StatusCode::OK,
    )
    .await;
    a.refused(
        Method::PUT,
        "/api/me/password",
        Some(set("third-password-3")),
        StatusCode::BAD_REQUEST,
    )
    .await;
    a.expect(
        Method::PUT,
        "/api/me/password",
        Some(set("a-much-longer-third-password")),
        StatusCode::OK,
    )
    .await;
    a.signed_in(&user, "a-much-longer-third-password").await;
}

#[tokio::test]
async fn wrong_passwords_lock_out_until_unlocked() {
    let a = Api::new().await;
    let (user, password) = (a.emu.username().to_owned(), a.emu.password().to_owned());
    let me = a.my_id().await;
    a.expect(
        Method::PUT,
        "/api/authentication/password-policy/personal",
        Some(policy(12, 0, 4, 3)),
        StatusCode::OK,
    )
    .await;
    // A success in between starts the count again.
    a.sign_in_refused(&user, "wrong-1").await;
    a.sign_in_refused(&user, "wrong-2").await;
    a.signed_in(&user, &password).await;
    for attempt in 1..=3 {
        a.sign_in_refused(&user, &format!("wrong-{attempt}")).await;
    }
    assert_eq!(a.status_of(&me).await, "LOCKED_OUT");
    let refused = a.sign_in_refused(&user, &password).await;
    assert!(
        refused["error_description"]
            .as_str()
            .unwrap()
            .contains("locked out")
    );
    lifecycle(&a, &me, "unlock", StatusCode::NO_CONTENT).await;
    assert_eq!(a.status_of(&me).await, "ACTIVE");
    a.signed_in(&user, &password).await;
    lifecycle_refused(&a, &me, "unlock", 706).await;
}

#[tokio::test]
async fn suspension_recovery_and_factor_resets() {
    let a = Api::new().await;
    let (user, password) = (a.emu.username().to_owned(), a.emu.password().to_owned());
    let me = a.my_id().await;

    assert!(a.emu.set_user_status(&user, "suspended"));
    assert_eq!(a.emu.user_status(&user).as_deref(), Some("SUSPENDED"));
    a.sign_in_refused(&user, &password).await;
    lifecycle(&a, &me, "unsuspend", StatusCode::NO_CONTENT).await;
    a.signed_in(&user, &password).await;
    lifecycle_refused(&a, &me, "unsuspend", 717).await;

    lifecycle(&a, &me, "resetfactors", StatusCode::NO_CONTENT).await;
    assert_eq!(a.status_of(&me).await, "ACTIVE");

    lifecycle(&a, &me, "resetpassword", StatusCode::NO_CONTENT).await;
    assert_eq!(a.status_of(&me).await, "RECOVERY");
    a.sign_in_refused(&user, &password).await;
    a.expect(
        Method::PUT,
        "/api/me/password",
        Some(json!({ "value": "recovered-password-9" })),
        StatusCode::OK,
    )
    .await;
    assert_eq!(a.status_of(&me).await, "ACTIVE");
    a.signed_in(&user, "recovered-password-9").await;
}

#[tokio::test]
async fn passwords_expire_with_age_on_the_emulator_clock() {
    let a = Api::new().await;
    let (user, password) = (a.emu.username().to_owned(), a.emu.password().to_owned());
    let me = a.my_id().await;
    a.expect(
        Method::PUT,
        "/api/authentication/password-policy/personal",
        Some(policy(12, 30, 4, 10)),
        StatusCode::OK,
    )
    .await;
    a.emu.advance_clock(Duration::from_secs(29 * 86_400));
    a.signed_in(&user, &password).await;
    a.emu.advance_clock(Duration::from_secs(2 * 86_400));
    let refused = a.sign_in_refused(&user, &password).await;
    assert!(
        refused["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    assert_eq!(a.status_of(&me).await, "PASSWORD_EXPIRED");
}

#[tokio::test]
async fn lifecycle_calls_on_unknown_or_deleted_users() {
    let a = Api::new().await;
    for action in [
        "activate",
        "expirepassword",
        "resetfactors",
        "resetpassword",
        "unlock",
        "unsuspend",
    ] {
        let body = a
            .refused(
                Method::POST,
                &format!("/api/users/00uNoSuchUser/lifecycle/${action}"),
                None,
                StatusCode::NOT_FOUND,
            )
            .await;
        assert_eq!(body["code"], 657, "{action}");
    }
    let created = a
        .expect(
            Method::POST,
            "/api/users",
            Some(new_user("leaver@example.com", "Personal")),
            StatusCode::OK,
        )
        .await;
    let id = created["id"].as_str().unwrap();
    a.expect(
        Method::DELETE,
        &format!("/api/users/{id}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    lifecycle_refused(&a, id, "unlock", 705).await;
}
