//! State seeded on the builder before start: users, roles, applications, access tokens, and
//! any operation's create call.
//!
//! Seeds are played through the emulator's own handlers when it starts, as calls by its first
//! configured user, so they are checked and stored exactly as the same API calls would be
//! (roles first, then users, then other operations in the order given, then tokens). They
//! are not journaled, counted or logged.

use std::fmt;

use axum::http::{HeaderMap, HeaderValue, Method, header};
use finbourne_identity_client::operations::ParamLocation;
use finbourne_identity_client::types::{
    CreateApplicationRequest, CreateRoleRequest, CreateUserRequest,
};
use serde_json::{Map, Value, json};

use crate::operations::operation_by_id;
use crate::reply::ReplyBody;
use crate::state::{AccessToken, random_token};
use crate::{EmulatorBuilder, Error, REDACTED, Shared, lock};

/// A user to seed; see [`EmulatorBuilder::seed_user`].
///
/// Made from a login (with defaults for the rest) or from the client's
/// [`CreateUserRequest`]. The fields are checked as `CreateUser` checks them.
///
/// ```
/// use finbourne_identity_emulator::SeedUser;
///
/// let jo = SeedUser::new("jo.bloggs@example.com")
///     .id("00u-jo")                // fixed, so a test can GET /api/users/00u-jo
///     .name("Jo", "Bloggs")
///     .role("Admins")              // a role seeded with seed_role, or created by name
///     .password("jo-password")     // Jo can sign in at the token endpoint
///     .status("LOCKED_OUT");
/// # let _ = jo;
/// ```
#[derive(Clone)]
pub struct SeedUser {
    body: Map<String, Value>,
    id: Option<String>,
    password: Option<String>,
    status: String,
}

impl fmt::Debug for SeedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeedUser")
            .field("login", &self.login())
            .field("id", &self.id)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl SeedUser {
    /// A user with this login; the email address is the login (or `<login>@example.com` when
    /// it has no `@`), the name "Seeded User", the type `Personal`, the status `ACTIVE`.
    pub fn new(login: impl Into<String>) -> Self {
        let login = login.into();
        let email = if login.contains('@') {
            login.clone()
        } else {
            format!("{login}@example.com")
        };
        let mut body = Map::new();
        body.insert("firstName".into(), json!("Seeded"));
        body.insert("lastName".into(), json!("User"));
        body.insert("emailAddress".into(), json!(email));
        body.insert("login".into(), json!(login));
        body.insert("type".into(), json!("Personal"));
        SeedUser {
            body,
            id: None,
            password: None,
            status: "ACTIVE".to_owned(),
        }
    }

    fn login(&self) -> &str {
        self.body
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The user's id (default: a random one, as `CreateUser` gives).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// First and last name.
    pub fn name(mut self, first: impl Into<String>, last: impl Into<String>) -> Self {
        self.body.insert("firstName".into(), json!(first.into()));
        self.body.insert("lastName".into(), json!(last.into()));
        self
    }

    /// Email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.body.insert("emailAddress".into(), json!(email.into()));
        self
    }

    /// User type, such as `Personal` or `Service`.
    pub fn user_type(mut self, user_type: impl Into<String>) -> Self {
        self.body.insert("type".into(), json!(user_type.into()));
        self
    }

    /// Gives the user a role, by its code (for roles made by `CreateRole` or
    /// [`EmulatorBuilder::seed_role`], its name), in the `default` scope. Call it again for
    /// more roles.
    pub fn role(mut self, code: impl Into<String>) -> Self {
        let role = json!({ "scope": crate::state::ROLE_SCOPE, "code": code.into() });
        match self.body.get_mut("roles") {
            Some(Value::Array(roles)) => roles.push(role),
            _ => {
                self.body.insert("roles".into(), json!([role]));
            }
        }
        self
    }

    /// A password, so that the user can sign in with the password grant (users made by
    /// `CreateUser` cannot). The first configured user stays the one
    /// [`Emulator::username`](crate::Emulator::username) names.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The account status (default `ACTIVE`), such as `PROVISIONED`, `LOCKED_OUT`,
    /// `SUSPENDED` or `PASSWORD_EXPIRED`.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = status.into();
        self
    }
}

impl From<CreateUserRequest> for SeedUser {
    /// The user that `CreateUser` with this request would make, `ACTIVE`.
    fn from(request: CreateUserRequest) -> Self {
        let body = match serde_json::to_value(request) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        SeedUser {
            body,
            id: None,
            password: None,
            status: "ACTIVE".to_owned(),
        }
    }
}

/// A role to seed; see [`EmulatorBuilder::seed_role`].
///
/// ```
/// use finbourne_identity_emulator::SeedRole;
///
/// let admins = SeedRole::new("Admins").id("00g-admins").description("Can do anything");
/// # let _ = admins;
/// ```
#[derive(Debug, Clone)]
pub struct SeedRole {
    body: Map<String, Value>,
    id: Option<String>,
}

impl SeedRole {
    /// A role with this name (also its code, in the `default` scope), as `CreateRole` makes.
    pub fn new(name: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("name".into(), json!(name.into()));
        SeedRole { body, id: None }
    }

    /// The role's id (default: a random one).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.body
            .insert("description".into(), json!(description.into()));
        self
    }
}

impl From<CreateRoleRequest> for SeedRole {
    fn from(request: CreateRoleRequest) -> Self {
        let body = match serde_json::to_value(request) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        SeedRole { body, id: None }
    }
}

/// An OpenID Connect application to seed, as `CreateApplication` registers one; see
/// [`EmulatorBuilder::seed_application`].
///
/// ```
/// use finbourne_identity_emulator::SeedApplication;
///
/// let app = SeedApplication::new("my-web-app", "My web app")
///     .web(["https://app.example.com/callback"]);
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct SeedApplication {
    body: Map<String, Value>,
}

impl SeedApplication {
    /// A `Native` application with this client id and display name.
    pub fn new(client_id: impl Into<String>, display_name: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("clientId".into(), json!(client_id.into()));
        body.insert("displayName".into(), json!(display_name.into()));
        body.insert("type".into(), json!("Native"));
        SeedApplication { body }
    }

    /// Makes it a `Web` application with these redirect URIs.
    pub fn web<I, S>(mut self, redirect_uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let uris: Vec<String> = redirect_uris.into_iter().map(Into::into).collect();
        self.body.insert("type".into(), json!("Web"));
        self.body.insert("redirectUris".into(), json!(uris));
        self
    }
}

impl From<CreateApplicationRequest> for SeedApplication {
    fn from(request: CreateApplicationRequest) -> Self {
        let body = match serde_json::to_value(request) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        SeedApplication { body }
    }
}

/// A seeded call of any operation.
#[derive(Debug, Clone)]
struct SeedCall {
    operation_id: String,
    params: Vec<(String, String)>,
    body: Value,
}

/// Everything seeded on a builder.
#[derive(Clone, Default)]
pub(crate) struct Seeds {
    roles: Vec<SeedRole>,
    users: Vec<SeedUser>,
    calls: Vec<SeedCall>,
    /// (token, login)
    tokens: Vec<(String, String)>,
}

impl fmt::Debug for Seeds {
    /// Shows what is seeded, with passwords and tokens redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens: Vec<(&str, &str)> = self
            .tokens
            .iter()
            .map(|(_, login)| (REDACTED, login.as_str()))
            .collect();
        f.debug_struct("Seeds")
            .field("roles", &self.roles)
            .field("users", &self.users)
            .field("calls", &self.calls)
            .field("tokens", &tokens)
            .finish()
    }
}

impl EmulatorBuilder {
    /// Seeds a user: the emulator starts with the user that `CreateUser` with these fields
    /// would have made, with the id and status given (default: random id, `ACTIVE`).
    /// Takes a [`SeedUser`] or the client's [`CreateUserRequest`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// use finbourne_identity_emulator::{Emulator, SeedRole, SeedUser};
    ///
    /// let emu = Emulator::builder()
    ///     .seed_role(SeedRole::new("Admins"))
    ///     .seed_user(SeedUser::new("jo.bloggs@example.com").id("00u-jo").role("Admins"))
    ///     .seed_access_token("jo-token", "jo.bloggs@example.com")
    ///     .start()
    ///     .await?;
    /// let me = reqwest::Client::builder().no_proxy().build().unwrap()
    ///     .get(format!("{}/api/users/00u-jo", emu.identity_url()))
    ///     .bearer_auth("jo-token")
    ///     .send()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(me.status(), 200);
    /// # Ok(()) }
    /// ```
    pub fn seed_user(mut self, user: impl Into<SeedUser>) -> Self {
        self.seeds.users.push(user.into());
        self
    }

    /// Seeds a role, as `CreateRole` would make it, with the id given (default random). Takes
    /// a [`SeedRole`] or the client's [`CreateRoleRequest`]; roles are seeded before users, so
    /// [`SeedUser::role`] can name them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// use finbourne_identity_emulator::{Emulator, SeedRole};
    ///
    /// let emu = Emulator::builder()
    ///     .seed_role(SeedRole::new("Readers").id("00g-readers").description("Read only"))
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn seed_role(mut self, role: impl Into<SeedRole>) -> Self {
        self.seeds.roles.push(role.into());
        self
    }

    /// Seeds an OpenID Connect application: `CreateApplication` is played at start with this
    /// request. Takes a [`SeedApplication`] or the client's [`CreateApplicationRequest`].
    ///
    /// `start` fails with [`Error::InvalidConfig`] when the emulator does not serve
    /// `CreateApplication` (see [`operations::is_implemented`](crate::operations::is_implemented)).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// use finbourne_identity_emulator::{Emulator, SeedApplication};
    ///
    /// let emu = Emulator::builder()
    ///     .seed_application(SeedApplication::new("reporting-app", "Reporting"))
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn seed_application(self, application: impl Into<SeedApplication>) -> Self {
        let application = application.into();
        self.seed_operation("CreateApplication", &[], Value::Object(application.body))
    }

    /// Seeds the state any operation makes: the call of the operation with this
    /// `operationId`, path parameters and JSON body (`Value::Null` for none) is played at
    /// start, after seeded roles and users, in the order of these calls. `start` fails with
    /// [`Error::InvalidConfig`] when the operation is unknown or its answer is not a success.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// use finbourne_identity_emulator::Emulator;
    ///
    /// let emu = Emulator::builder()
    ///     .seed_operation("SetPrimaryDomain", &[], serde_json::Value::Null)
    ///     .start()
    ///     .await?;
    /// assert!(emu.cell_status().primary_domain_name.is_some());
    /// # Ok(()) }
    /// ```
    pub fn seed_operation(
        mut self,
        operation_id: impl Into<String>,
        path_params: &[(&str, &str)],
        body: Value,
    ) -> Self {
        self.seeds.calls.push(SeedCall {
            operation_id: operation_id.into(),
            params: path_params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body,
        });
        self
    }

    /// Seeds a bearer token that never expires and acts as the user with this login (a
    /// configured user or a seeded one), as a personal access token of that user would.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// use finbourne_identity_emulator::{Emulator, SeedUser};
    ///
    /// let emu = Emulator::builder()
    ///     .seed_user(SeedUser::new("service.bot@example.com").user_type("Service"))
    ///     .seed_access_token("bot-token", "service.bot@example.com")
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn seed_access_token(mut self, token: impl Into<String>, login: impl Into<String>) -> Self {
        self.seeds.tokens.push((token.into(), login.into()));
        self
    }
}

impl Seeds {
    /// Checks what can be checked before start, given the configured sign-in users.
    pub(crate) fn validate(&self, users: &[(String, String)]) -> Result<(), Error> {
        for (i, user) in self.users.iter().enumerate() {
            let login = user.login();
            if users
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case(login))
                || self.users[..i]
                    .iter()
                    .any(|other| other.login().eq_ignore_ascii_case(login))
            {
                return Err(Error::InvalidConfig(format!(
                    "the user {login:?} is configured or seeded twice"
                )));
            }
            if user.password.as_deref().is_some_and(str::is_empty) {
                return Err(Error::InvalidConfig(format!(
                    "the seeded user {login:?} has an empty password"
                )));
            }
        }
        for (token, _) in &self.tokens {
            if token.trim().is_empty() {
                return Err(Error::InvalidConfig(
                    "a seeded access token is empty".into(),
                ));
            }
        }
        for call in &self.calls {
            if operation_by_id(&call.operation_id).is_none() {
                return Err(Error::InvalidConfig(format!(
                    "no operation of the Identity API has the operationId {:?}",
                    call.operation_id
                )));
            }
        }
        Ok(())
    }

    /// Seeded users who can sign in: (login, password).
    pub(crate) fn sign_in_users(&self) -> Vec<(String, String)> {
        self.users
            .iter()
            .filter_map(|u| Some((u.login().to_owned(), u.password.clone()?)))
            .collect()
    }

    /// Plays the seeds against the emulator's handlers, then clears the system log they wrote.
    pub(crate) fn apply(self, shared: &Shared) -> Result<(), Error> {
        if self.roles.is_empty()
            && self.users.is_empty()
            && self.calls.is_empty()
            && self.tokens.is_empty()
        {
            return Ok(());
        }
        // Calls are made as the first configured user, with a token only they know, of the
        // token endpoint's kind (the operations that refuse personal access tokens take it).
        let internal = random_token("emu_at_seed_");
        let first = shared.config.users[0].0.clone();
        lock(&shared.state).access_tokens.insert(
            internal.clone(),
            AccessToken {
                username: first,
                expires_at: None,
            },
        );
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {internal}")) {
            headers.insert(header::AUTHORIZATION, value);
        }
        let result = self.play(shared, &headers);
        lock(&shared.state).access_tokens.remove(&internal);
        shared.logs.clear();
        result
    }

    fn play(self, shared: &Shared, headers: &HeaderMap) -> Result<(), Error> {
        for role in self.roles {
            let name = role.body.get("name").cloned().unwrap_or(Value::Null);
            let answer = call(
                shared,
                headers,
                "CreateRole",
                &[],
                &Value::Object(role.body),
            )
            .map_err(|e| Error::InvalidConfig(format!("seeding the role {name}: {e}")))?;
            if let Some(wanted) = role.id {
                let given = answer["id"].as_str().unwrap_or_default().to_owned();
                let mut st = lock(&shared.state);
                if st.roles.iter().any(|r| r.id == wanted) {
                    return Err(Error::InvalidConfig(format!(
                        "the role id {wanted:?} is seeded twice"
                    )));
                }
                if let Some(stored) = st.roles.iter_mut().find(|r| r.id == given) {
                    stored.id = wanted;
                }
            }
        }
        for user in self.users {
            let login = user.login().to_owned();
            let answer = call(
                shared,
                headers,
                "CreateUser",
                &[],
                &Value::Object(user.body),
            )
            .map_err(|e| Error::InvalidConfig(format!("seeding the user {login:?}: {e}")))?;
            let given = answer["id"].as_str().unwrap_or_default().to_owned();
            let mut st = lock(&shared.state);
            if let Some(wanted) = &user.id
                && st.users.iter().any(|u| &u.id == wanted)
            {
                return Err(Error::InvalidConfig(format!(
                    "the user id {wanted:?} is seeded twice"
                )));
            }
            let id = user.id.unwrap_or_else(|| given.clone());
            for role in &mut st.roles {
                for member in &mut role.members {
                    if *member == given {
                        member.clone_from(&id);
                    }
                }
            }
            if let Some(stored) = st.users.iter_mut().find(|u| u.id == given) {
                stored.id = id;
                stored.status = user.status;
            }
        }
        for seeded in self.calls {
            let params: Vec<(&str, &str)> = seeded
                .params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            call(shared, headers, &seeded.operation_id, &params, &seeded.body).map_err(|e| {
                Error::InvalidConfig(format!("seeding {}: {e}", seeded.operation_id))
            })?;
        }
        let mut st = lock(&shared.state);
        for (token, login) in self.tokens {
            let Some(user) = st.user_by_login(&login) else {
                return Err(Error::InvalidConfig(format!(
                    "the seeded access token's user {login:?} is neither configured nor seeded"
                )));
            };
            let username = user.login.clone();
            st.access_tokens.insert(
                token,
                AccessToken {
                    username,
                    expires_at: None,
                },
            );
        }
        Ok(())
    }
}

/// Plays one call through the API's handler; `Err` describes an answer that is not a success.
fn call(
    shared: &Shared,
    headers: &HeaderMap,
    operation_id: &str,
    params: &[(&str, &str)],
    body: &Value,
) -> Result<Value, String> {
    let op = operation_by_id(operation_id)
        .ok_or_else(|| format!("no operation has the operationId {operation_id:?}"))?;
    let mut path = String::new();
    for segment in op.path.split('/').filter(|s| !s.is_empty()) {
        path.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let value = params
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| format!("the path parameter {name:?} is missing"))?;
                path.extend(percent_encoding::utf8_percent_encode(
                    value,
                    percent_encoding::NON_ALPHANUMERIC,
                ));
            }
            None => path.push_str(segment),
        }
    }
    let unknown: Vec<&str> = params
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| {
            !op.params
                .iter()
                .any(|p| p.location == ParamLocation::Path && p.name == *k)
        })
        .collect();
    if !unknown.is_empty() {
        return Err(format!("{operation_id} has no path parameter {unknown:?}"));
    }
    let method = Method::from_bytes(op.method.as_bytes()).map_err(|e| e.to_string())?;
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(body).map_err(|e| e.to_string())?
    };
    let mut headers = headers.clone();
    if !bytes.is_empty() {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let instance = format!("/identity{path}");
    let reply = crate::api::handle(shared, &method, &path, &instance, "", &headers, &bytes);
    let answer = match reply.body {
        ReplyBody::Json(value, _) => value,
        ReplyBody::Empty => Value::Null,
    };
    if reply.status.is_success() {
        Ok(answer)
    } else {
        let detail = answer["detail"].as_str().unwrap_or_default();
        Err(format!(
            "{operation_id} answered {}{}{detail}",
            reply.status,
            if detail.is_empty() { "" } else { ": " }
        ))
    }
}
