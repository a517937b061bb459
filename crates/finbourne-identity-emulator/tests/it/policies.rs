//! Password policies per type of user and the session policy are read back after an update.

use finbourne_identity_client::types;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::http::{Api, typed};

#[tokio::test]
async fn password_policies_are_per_user_type_and_read_back() {
    let a = Api::new().await;
    let path = "/api/authentication/password-policy";
    let personal = a
        .expect(
            Method::GET,
            &format!("{path}/personal"),
            None,
            StatusCode::OK,
        )
        .await;
    let _: types::PasswordPolicyResponse = typed(&personal);
    let service_before = a
        .expect(
            Method::GET,
            &format!("{path}/Service"),
            None,
            StatusCode::OK,
        )
        .await;
    let updated = json!({ "conditions": {
        "complexity": { "minLength": 16, "excludeFirstName": false, "excludeLastName": true },
        "age": { "maxAgeDays": 90, "historyCount": 10 },
        "lockout": { "maxAttempts": 5 },
    }});
    let answer = a
        .expect(
            Method::PUT,
            &format!("{path}/personal"),
            Some(updated.clone()),
            StatusCode::OK,
        )
        .await;
    assert_eq!(answer, updated);
    let read_back = a
        .expect(
            Method::GET,
            &format!("{path}/PERSONAL"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(read_back, updated);
    let service_after = a
        .expect(
            Method::GET,
            &format!("{path}/service"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(service_after, service_before);

    let wrong_type = a
        .refused(
            Method::GET,
            &format!("{path}/robots"),
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(wrong_type["errors"]["userType"].is_array());
    let mut missing = updated.clone();
    missing["conditions"]
        .as_object_mut()
        .unwrap()
        .remove("lockout");
    let refused = a
        .refused(
            Method::PUT,
            &format!("{path}/personal"),
            Some(missing),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_eq!(
        refused["errors"]["conditions.lockout"][0],
        "The conditions.lockout field is required."
    );
    let mut out_of_range = updated;
    out_of_range["conditions"]["complexity"]["minLength"] = json!(2);
    let refused = a
        .refused(
            Method::PUT,
            &format!("{path}/personal"),
            Some(out_of_range),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(refused["errors"]["conditions.complexity.minLength"].is_array());
}

#[tokio::test]
async fn the_session_policy_is_read_back() {
    let a = Api::new().await;
    let path = "/api/authentication/session-policy";
    let before: types::SessionPolicyResponse =
        typed(&a.expect(Method::GET, path, None, StatusCode::OK).await);
    assert!(before.max_session_idle_minutes.is_some());
    let policy = json!({ "maxSessionIdleMinutes": 30, "maxSessionLifetimeMinutes": 600 });
    let answer = a
        .expect(Method::PUT, path, Some(policy.clone()), StatusCode::OK)
        .await;
    assert_eq!(answer, policy);
    assert_eq!(
        a.expect(Method::GET, path, None, StatusCode::OK).await,
        policy
    );
    let idle_only = json!({ "maxSessionIdleMinutes": 45 });
    a.expect(Method::PUT, path, Some(idle_only.clone()), StatusCode::OK)
        .await;
    assert_eq!(
        a.expect(Method::GET, path, None, StatusCode::OK).await,
        idle_only
    );

    let missing = a
        .refused(
            Method::PUT,
            path,
            Some(json!({ "maxSessionLifetimeMinutes": 60 })),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(missing["errors"]["maxSessionIdleMinutes"].is_array());
    let shorter = a
        .refused(
            Method::PUT,
            path,
            Some(json!({ "maxSessionIdleMinutes": 60, "maxSessionLifetimeMinutes": 30 })),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(shorter["errors"]["maxSessionLifetimeMinutes"].is_array());
}
