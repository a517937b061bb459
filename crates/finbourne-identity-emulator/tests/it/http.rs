//! A small client for the tests of the areas: one emulator, a bearer token, JSON in and out.

use finbourne_identity_emulator::{DEFAULT_SCOPE, Emulator};
use reqwest::{Client, Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::common::{api, client, json, post_token, problem};

pub struct Api {
    pub emu: Emulator,
    pub client: Client,
    /// A personal access token of the first user.
    pub token: String,
}

impl Api {
    pub async fn new() -> Self {
        Api::with(Emulator::start().await.unwrap())
    }

    pub fn with(emu: Emulator) -> Self {
        let token = emu.issue_access_token();
        Api {
            emu,
            client: client(),
            token,
        }
    }

    /// Sends a request with `token`.
    pub async fn send_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, api(&self.emu, path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        self.send_as(&self.token, method, path, body).await
    }

    /// The answer's JSON (`Null` for an empty answer), after checking its status.
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
    ) -> Value {
        let response = self.send(method.clone(), path, body).await;
        read(response, status, &format!("{method} {path}")).await
    }

    /// Problem details with this status.
    pub async fn refused(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
    ) -> Value {
        problem(self.send(method, path, body).await, status).await
    }

    /// The signed-in user's id.
    pub async fn my_id(&self) -> String {
        let me = self
            .expect(Method::GET, "/api/me", None, StatusCode::OK)
            .await;
        me["id"].as_str().unwrap().to_owned()
    }

    /// A user's status, by id.
    pub async fn status_of(&self, id: &str) -> String {
        let user = self
            .expect(
                Method::GET,
                &format!("/api/users/{id}"),
                None,
                StatusCode::OK,
            )
            .await;
        user["status"].as_str().unwrap().to_owned()
    }

    /// The password grant with the configured client; the answer as it is.
    pub async fn sign_in(&self, username: &str, password: &str) -> Response {
        post_token(
            &self.client,
            &self.emu,
            &[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
                ("scope", DEFAULT_SCOPE),
                ("client_id", self.emu.client_id()),
                ("client_secret", self.emu.client_secret()),
            ],
        )
        .await
    }

    /// The OAuth2 error a refused password grant answers (`error`, `error_description`).
    pub async fn sign_in_refused(&self, username: &str, password: &str) -> Value {
        let response = self.sign_in(username, password).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = json(response).await;
        assert_eq!(body["error"], "invalid_grant", "{body}");
        body
    }

    /// The access token of a successful password grant.
    pub async fn signed_in(&self, username: &str, password: &str) -> String {
        let response = self.sign_in(username, password).await;
        let body = read(response, StatusCode::OK, "password grant").await;
        body["access_token"].as_str().unwrap().to_owned()
    }
}

/// Checks the status and reads the JSON body (`Null` when empty).
pub async fn read(response: Response, status: StatusCode, what: &str) -> Value {
    let got = response.status();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(got, status, "{what}: {}", String::from_utf8_lossy(&bytes));
    if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    }
}

/// Decodes an answer as the client's generated type: the answer has the schema's shape.
pub fn typed<T: DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("not a {}: {e}: {value}", std::any::type_name::<T>()))
}
