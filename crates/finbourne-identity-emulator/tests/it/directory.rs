//! The user schema, the directory, runnable users and the access-controlled resources.

use finbourne_identity_client::types;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::http::{Api, typed};

#[tokio::test]
async fn the_user_schema_is_read_back() {
    let a = Api::new().await;
    let path = "/api/users/schema";
    let empty = a.expect(Method::GET, path, None, StatusCode::OK).await;
    assert_eq!(empty, json!({ "alternativeUserIds": [] }));
    let schema = json!({ "alternativeUserIds": [
        { "name": "employeeId", "description": "Id in the HR system" },
        { "name": "desk_code", "description": "" },
    ]});
    let answer = a
        .expect(Method::PUT, path, Some(schema.clone()), StatusCode::OK)
        .await;
    let _: types::UserSchemaResponse = typed(&answer);
    assert_eq!(answer, schema);
    assert_eq!(
        a.expect(Method::GET, path, None, StatusCode::OK).await,
        schema
    );

    let missing = a
        .refused(Method::PUT, path, Some(json!({})), StatusCode::BAD_REQUEST)
        .await;
    assert!(missing["errors"]["alternativeUserIds"].is_array());
    let bad = a
        .refused(
            Method::PUT,
            path,
            Some(json!({ "alternativeUserIds": [
                { "name": "has space", "description": "d" },
                { "name": "ok" },
            ]})),
            StatusCode::BAD_REQUEST,
        )
        .await;
    for field in [
        "alternativeUserIds[0].name",
        "alternativeUserIds[1].description",
    ] {
        assert!(bad["errors"][field].is_array(), "{field}: {bad}");
    }
    let eleven: Vec<_> = (0..11)
        .map(|i| json!({ "name": format!("f{i}"), "description": "d" }))
        .collect();
    a.refused(
        Method::PUT,
        path,
        Some(json!({ "alternativeUserIds": eleven })),
        StatusCode::BAD_REQUEST,
    )
    .await;
    // A refused update changes nothing.
    assert_eq!(
        a.expect(Method::GET, path, None, StatusCode::OK).await,
        schema
    );
}

#[tokio::test]
async fn find_users_by_id_and_runnable_users() {
    let a = Api::new().await;
    let me = a.my_id().await;
    let service = a
        .expect(
            Method::POST,
            "/api/users",
            Some(json!({
                "firstName": "Batch", "lastName": "Runner",
                "emailAddress": "batch@example.com", "login": "batch@example.com",
                "type": "Service",
            })),
            StatusCode::OK,
        )
        .await;
    let service_id = service["id"].as_str().unwrap();

    let found = a
        .expect(
            Method::GET,
            &format!("/api/directory?id={me}&id={service_id}&id=00uNobody"),
            None,
            StatusCode::OK,
        )
        .await;
    let found: types::ListUsersResponse = typed(&found);
    let values = found.values.unwrap();
    assert_eq!(values.len(), 2);
    assert_eq!(
        values[service_id].login.as_deref(),
        Some("batch@example.com")
    );
    assert_eq!(values[&me].email.as_deref(), Some(a.emu.username()));
    let failed = found.failed.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed["00uNobody"].id.as_deref(), Some("00uNobody"));
    let missing = a
        .refused(Method::GET, "/api/directory", None, StatusCode::BAD_REQUEST)
        .await;
    assert_eq!(missing["errors"]["id"][0], "The id field is required.");

    let runnable = a
        .expect(Method::GET, "/api/users/$runnable", None, StatusCode::OK)
        .await;
    let runnable: Vec<types::UserResponse> = typed(&runnable);
    let ids: Vec<String> = runnable.iter().map(|u| u.id.to_string()).collect();
    assert_eq!(ids, [service_id]);
}

#[tokio::test]
async fn access_controlled_resources_come_from_the_table() {
    let a = Api::new().await;
    let listed = a
        .expect(
            Method::GET,
            "/api/metadata/access/resources",
            None,
            StatusCode::OK,
        )
        .await;
    let listed: types::ResourceListOfAccessControlledResource = typed(&listed);
    let zones = listed
        .values
        .iter()
        .find(|r| r.name.as_deref() == Some("Network Zones"))
        .expect("network zones");
    let activities: Vec<String> = zones
        .actions
        .iter()
        .map(|a| a.action.activity.to_string())
        .collect();
    assert_eq!(activities, ["Read", "Create", "Update", "Delete"]);
    let parts = zones.identifier_parts.as_ref().unwrap();
    assert_eq!(parts[0].name, "code");
}
