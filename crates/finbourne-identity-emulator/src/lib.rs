//! A local FINBOURNE Identity service and OAuth2 token endpoint, for tests and demos.
//!
//! The emulator is a real HTTP server on `127.0.0.1` (port 0, so the system picks a free port,
//! unless you ask for one). It serves:
//!
//! - an OAuth2 token endpoint at [`Emulator::token_url`] (`POST`, form-encoded) with the
//!   `password`, `refresh_token` and `client_credentials` grants;
//! - the Identity API under [`Emulator::identity_url`] (`.../identity`, paths `/api/...` like the
//!   real service), guarded by bearer tokens: every operation keeps in-memory state with the
//!   service's meaning (SCIM tokens, users and their lifecycle, roles, personal access tokens,
//!   applications, policies, support access, cell management as a state machine (see
//!   [`CellAttachment`]), and the system log, an event for every state change and sign-in;
//!   collections the operations table describes are served generically); an operation a newer
//!   spec adds that the emulator cannot serve answers `501 Not Implemented` with problem
//!   details naming it (see [`operations`]);
//! - a SCIM 2.0 endpoint at [`Emulator::scim_base_url`] whose `ServiceProviderConfig` accepts only
//!   the SCIM API tokens that are active.
//!
//! Tests can seed state before start ([`EmulatorBuilder::seed_user`] and its siblings), program
//! one-off answers by operationId ([`Emulator::answers`]) or faults per route
//! ([`Emulator::faults`]), add unknown fields to every JSON
//! answer ([`Emulator::set_extra_fields`]), move the emulator's clock
//! ([`Emulator::advance_clock`]), revoke tokens, and read a journal of the requests received
//! ([`Emulator::journal`], secrets redacted when printed) and counters ([`Emulator::counters`]).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use finbourne_identity_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
//! let emu = Emulator::builder()
//!     .client_id("my-client")
//!     .client_secret("my-secret")
//!     .user("alice@example.com", "alice-password")
//!     .token_lifetime(Duration::from_secs(60))
//!     .start()
//!     .await?;
//! assert!(emu.identity_url().starts_with("http://127.0.0.1:"));
//! assert!(emu.identity_url().ends_with("/identity"));
//! assert!(emu.token_url().ends_with("/oauth2/token"));
//! // A personal access token, to use as `Authorization: Bearer <token>`.
//! let pat = emu.issue_access_token();
//! assert!(!pat.is_empty());
//! emu.shutdown().await; // or just drop `emu`
//! # Ok(()) }
//! ```
//!
//! # A test of your own
//!
//! One emulator is the test double for everything: seed the state the test needs on the
//! builder ([`EmulatorBuilder::seed_user`], [`seed_role`](EmulatorBuilder::seed_role),
//! [`seed_application`](EmulatorBuilder::seed_application),
//! [`seed_access_token`](EmulatorBuilder::seed_access_token),
//! [`seed_operation`](EmulatorBuilder::seed_operation)), program one-off answers by
//! operationId ([`Emulator::answers`]), then check what arrived ([`Emulator::journal`]) and
//! what changed: the state through the API, the system log ([`Emulator::system_log`], also
//! served by `ListLogs`), the cell ([`Emulator::cell_status`]).
//!
//! ```
//! use finbourne_identity_emulator::http::StatusCode;
//! use finbourne_identity_emulator::{Emulator, SeedRole, SeedUser};
//!
//! # /*
//! #[tokio::test]
//! # */
//! async fn my_code_survives_one_failed_get_user() {
//!     // State the test relies on, seeded before start.
//!     let emu = Emulator::builder()
//!         .seed_role(SeedRole::new("Readers"))
//!         .seed_user(
//!             SeedUser::new("jo.bloggs@example.com")
//!                 .id("00u-jo")
//!                 .role("Readers"),
//!         )
//!         .seed_access_token("jo-token", "jo.bloggs@example.com")
//!         .start()
//!         .await
//!         .unwrap();
//!     // The next GetUser call fails; then the operation answers with state again.
//!     emu.answers().on("GetUser").respond(
//!         StatusCode::SERVICE_UNAVAILABLE,
//!         serde_json::json!({"name": "ServiceUnavailable", "code": -1, "title": "Busy"}),
//!     );
//!
//!     // The calls (plain reqwest, to see both answers: the SDK would retry the 503 itself).
//!     let client = reqwest::Client::builder().no_proxy().build().unwrap();
//!     let url = format!("{}/api/users/00u-jo", emu.identity_url());
//!     let first = client
//!         .get(&url)
//!         .bearer_auth("jo-token")
//!         .send()
//!         .await
//!         .unwrap();
//!     assert_eq!(first.status(), 503);
//!     let second = client
//!         .get(&url)
//!         .bearer_auth("jo-token")
//!         .send()
//!         .await
//!         .unwrap();
//!     assert_eq!(second.status(), 200);
//!
//!     // What the emulator received.
//!     let journal = emu.journal();
//!     assert_eq!(journal.len(), 2);
//!     assert!(
//!         journal
//!             .iter()
//!             .all(|entry| entry.path() == "/identity/api/users/00u-jo")
//!     );
//!     assert_eq!(journal[0].header("authorization"), Some("Bearer jo-token"));
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! #     my_code_survives_one_failed_get_user().await
//! # }
//! ```
//!
//! # Defaults
//!
//! [`Emulator::start`] uses [`DEFAULT_CLIENT_ID`], [`DEFAULT_CLIENT_SECRET`], one user
//! [`DEFAULT_USERNAME`] with [`DEFAULT_PASSWORD`], and access tokens that live
//! [`DEFAULT_TOKEN_LIFETIME`]. These are the emulator's own fixed demo credentials: they protect
//! nothing, and are not secrets.
//!
//! # Runtime
//!
//! The server runs as tasks on the Tokio runtime that calls [`EmulatorBuilder::start`]; it stops
//! when the [`Emulator`] handle is dropped or [`Emulator::shutdown`] is awaited. With
//! `#[tokio::test]` (a current-thread runtime) the server runs whenever the test awaits, so use
//! `tokio::time::sleep` rather than `std::thread::sleep` in such tests.

#![warn(missing_docs)]
// Handlers return early with a ready answer (`Result<_, Reply>`); it outgrows clippy's limit
// only when another crate in the build turns on serde_json's `preserve_order`.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

mod answers;
mod api;
mod area;
mod call;
mod cells;
mod faults;
mod journal;
mod logs;
mod oauth;
pub mod operations;
mod reply;
mod resources;
mod scim;
mod seed;
mod server;
mod state;

/// Compiles the README's example as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use answers::{AnswerBuilder, Answers};
pub use area::lifecycle::USER_STATUSES;
pub use cells::{CELL_REGISTRATION_DELAY, CellAttachment, CellStatus, DOMAIN_NAME};
pub use faults::{Fault, FaultBuilder, Faults};
pub use journal::{Counters, JOURNAL_BYTE_BUDGET, JOURNAL_CAPACITY, JournalEntry, REDACTED};
pub use logs::LOG_CAPACITY;
pub use seed::{SeedApplication, SeedRole, SeedUser};

/// The `http` crate types used in this API (re-exported from axum), such as
/// [`Method`](http::Method), [`StatusCode`](http::StatusCode) and [`HeaderMap`](http::HeaderMap).
pub use axum::http;

/// The OAuth2 client id the emulator accepts unless configured otherwise (a fixed demo value).
pub const DEFAULT_CLIENT_ID: &str = "fbn-emulator-client";
/// The OAuth2 client secret the emulator accepts unless configured otherwise (a fixed demo value,
/// not a secret).
pub const DEFAULT_CLIENT_SECRET: &str = "fbn-emulator-client-secret";
/// The user name the emulator accepts unless users are configured.
pub const DEFAULT_USERNAME: &str = "emulator.user@example.com";
/// The password of [`DEFAULT_USERNAME`] (a fixed demo value, not a secret).
pub const DEFAULT_PASSWORD: &str = "fbn-emulator-password";
/// How long access tokens live unless configured otherwise: one hour.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The scope granted when a token request names none (the official SDKs' scope).
pub const DEFAULT_SCOPE: &str = "openid client groups offline_access";

/// Locks a mutex, carrying on with the data if another thread panicked while holding it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why the emulator could not start or could not do what was asked.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use finbourne_identity_emulator::{Emulator, Error};
///
/// let err = Emulator::builder().client_id("").start().await.unwrap_err();
/// assert!(matches!(err, Error::InvalidConfig(_)));
/// assert!(err.to_string().contains("client id"));
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A builder setting is not usable (empty client id, duplicate user, ...).
    #[error("invalid emulator configuration: {0}")]
    InvalidConfig(String),
    /// The listening socket could not be opened.
    #[error("could not listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for (0 for any free port).
        port: u16,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// `start` was called outside a Tokio runtime.
    #[error("the emulator needs a Tokio runtime: call start() from async code running on Tokio")]
    NoRuntime,
}

/// The emulator's fixed configuration (no `Debug`: it holds secrets).
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) users: Vec<(String, String)>,
    pub(crate) token_lifetime: Duration,
    pub(crate) refresh_token_lifetime: Option<Duration>,
}

/// The emulator's URLs, without trailing slashes.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    pub(crate) base: String,
    pub(crate) identity: String,
    pub(crate) token: String,
    pub(crate) scim: String,
}

/// Everything the server tasks and the handle share (no `Debug`: it holds secrets).
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) urls: Urls,
    pub(crate) clock: state::Clock,
    pub(crate) state: Mutex<state::State>,
    pub(crate) faults: Faults,
    pub(crate) journal: journal::Journal,
    pub(crate) counters: journal::AtomicCounters,
    pub(crate) extra_fields: AtomicBool,
    pub(crate) logs: logs::LogStore,
}

/// Configures and starts an [`Emulator`]; made by [`Emulator::builder`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
/// use std::time::Duration;
/// use finbourne_identity_emulator::Emulator;
///
/// let emu = Emulator::builder()
///     .user("alice", "wonderland")
///     .user("bob", "builder")
///     .token_lifetime(Duration::from_millis(500)) // expires_in: 1, expires after 500 ms
///     .refresh_token_lifetime(Duration::from_secs(30))
///     .personal_access_token("my-fixed-pat")
///     .start()
///     .await?;
/// assert_eq!(emu.username(), "alice");
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "the builder does nothing until start() is awaited"]
pub struct EmulatorBuilder {
    client_id: String,
    client_secret: String,
    users: Vec<(String, String)>,
    token_lifetime: Duration,
    refresh_token_lifetime: Option<Duration>,
    personal_access_tokens: Vec<String>,
    port: u16,
    extra_fields: bool,
    seeds: seed::Seeds,
}

impl fmt::Debug for EmulatorBuilder {
    /// Shows the settings with the client secret, passwords and personal access tokens redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let users: Vec<(&str, &str)> = self
            .users
            .iter()
            .map(|(name, _)| (name.as_str(), REDACTED))
            .collect();
        f.debug_struct("EmulatorBuilder")
            .field("client_id", &self.client_id)
            .field("client_secret", &REDACTED)
            .field("users", &users)
            .field("token_lifetime", &self.token_lifetime)
            .field("refresh_token_lifetime", &self.refresh_token_lifetime)
            .field(
                "personal_access_tokens",
                &vec![REDACTED; self.personal_access_tokens.len()],
            )
            .field("port", &self.port)
            .field("extra_fields", &self.extra_fields)
            .field("seeds", &self.seeds)
            .finish()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            users: Vec::new(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            refresh_token_lifetime: None,
            personal_access_tokens: Vec::new(),
            port: 0,
            extra_fields: false,
            seeds: seed::Seeds::default(),
        }
    }
}

impl EmulatorBuilder {
    /// The OAuth2 client id the token endpoint accepts (default [`DEFAULT_CLIENT_ID`]).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// The OAuth2 client secret the token endpoint accepts (default [`DEFAULT_CLIENT_SECRET`]).
    pub fn client_secret(mut self, client_secret: impl Into<String>) -> Self {
        self.client_secret = client_secret.into();
        self
    }

    /// Adds a user who can sign in with the password grant; call it again for more users. The
    /// first user is the one [`Emulator::username`] names and personal access tokens and
    /// client-credentials tokens act as.
    /// Without any call, the one user is [`DEFAULT_USERNAME`] / [`DEFAULT_PASSWORD`]. Each user
    /// also appears in the Identity API's user list (login = the user name).
    pub fn user(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.push((username.into(), password.into()));
        self
    }

    /// How long access tokens from the token endpoint live (default
    /// [`DEFAULT_TOKEN_LIFETIME`]). Sub-second lifetimes work: `expires_in` is rounded up to
    /// whole seconds, but the token stops working after exactly this lifetime.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// How long refresh tokens live (default: until revoked).
    pub fn refresh_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.refresh_token_lifetime = Some(lifetime);
        self
    }

    /// Accepts this string as a bearer token that never expires, acting as the first user (a
    /// personal access token). Call it again for more.
    pub fn personal_access_token(mut self, token: impl Into<String>) -> Self {
        self.personal_access_tokens.push(token.into());
        self
    }

    /// The port to listen on at `127.0.0.1` (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts with unknown extra fields in JSON answers switched on or off (default off); see
    /// [`Emulator::set_extra_fields`].
    pub fn extra_fields(mut self, on: bool) -> Self {
        self.extra_fields = on;
        self
    }

    /// Checks the configuration, binds `127.0.0.1:<port>` and starts serving on the current Tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for an empty client id, secret, user name or personal access
    /// token, or a user name given twice; [`Error::Bind`] when the port cannot be opened;
    /// [`Error::NoRuntime`] outside a Tokio runtime.
    pub async fn start(self) -> Result<Emulator, Error> {
        let EmulatorBuilder {
            client_id,
            client_secret,
            mut users,
            token_lifetime,
            refresh_token_lifetime,
            personal_access_tokens,
            port,
            extra_fields,
            seeds,
        } = self;
        if client_id.is_empty() {
            return Err(Error::InvalidConfig("the client id is empty".into()));
        }
        if client_secret.is_empty() {
            return Err(Error::InvalidConfig("the client secret is empty".into()));
        }
        if users.is_empty() {
            users.push((DEFAULT_USERNAME.to_owned(), DEFAULT_PASSWORD.to_owned()));
        }
        for (i, (name, _)) in users.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(Error::InvalidConfig("a user name is empty".into()));
            }
            if users[..i]
                .iter()
                .any(|(other, _)| other.eq_ignore_ascii_case(name))
            {
                return Err(Error::InvalidConfig(format!(
                    "the user {name:?} is configured twice"
                )));
            }
        }
        if personal_access_tokens.iter().any(|t| t.trim().is_empty()) {
            return Err(Error::InvalidConfig(
                "a personal access token is empty".into(),
            ));
        }
        seeds.validate(&users)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }

        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|source| Error::Bind { port, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { port, source })?;
        let base = format!("http://{addr}");
        let urls = Urls {
            identity: format!("{base}/identity"),
            token: format!("{base}/oauth2/token"),
            scim: format!("{base}/identity/scim/v2"),
            base,
        };

        let clock = state::Clock::default();
        let mut st = state::State::default();
        let now = clock.now();
        for (name, _) in &users {
            st.seed_user(name, now);
        }
        for token in &personal_access_tokens {
            st.access_tokens.insert(
                token.clone(),
                state::AccessToken {
                    username: users[0].0.clone(),
                    expires_at: None,
                },
            );
        }
        users.extend(seeds.sign_in_users());
        let shared = Arc::new(Shared {
            config: Config {
                client_id,
                client_secret,
                users,
                token_lifetime,
                refresh_token_lifetime,
            },
            urls,
            clock,
            state: Mutex::new(st),
            faults: Faults::default(),
            journal: journal::Journal::default(),
            counters: journal::AtomicCounters::default(),
            extra_fields: AtomicBool::new(extra_fields),
            logs: logs::LogStore::default(),
        });
        seeds.apply(&shared)?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, shared.clone(), shutdown_rx));
        Ok(Emulator {
            shared,
            addr,
            shutdown,
            task: Some(task),
        })
    }
}

/// A running emulator. Dropping it (or awaiting [`shutdown`](Self::shutdown)) stops the server
/// and closes its connections.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
/// use finbourne_identity_emulator::{Emulator, DEFAULT_CLIENT_ID, DEFAULT_USERNAME};
///
/// let emu = Emulator::start().await?;
/// assert_eq!(emu.client_id(), DEFAULT_CLIENT_ID);
/// assert_eq!(emu.username(), DEFAULT_USERNAME);
/// assert_eq!(emu.base_url(), format!("http://{}", emu.addr()));
/// assert_eq!(emu.scim_base_url(), format!("{}/scim/v2", emu.identity_url()));
/// # Ok(()) }
/// ```
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts an emulator with the defaults (see the [crate docs](crate#defaults)).
    ///
    /// # Errors
    ///
    /// As [`EmulatorBuilder::start`].
    pub async fn start() -> Result<Emulator, Error> {
        EmulatorBuilder::default().start().await
    }

    /// A builder to configure credentials, users, token lifetimes and port.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The address the server listens on (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's root URL, such as `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.shared.urls.base
    }

    /// The Identity API base URL, such as `http://127.0.0.1:41234/identity`; operations are at
    /// `<identity_url>/api/...`, like `https://<domain>.lusid.com/identity/api/...`.
    pub fn identity_url(&self) -> &str {
        &self.shared.urls.identity
    }

    /// The OAuth2 token endpoint, such as `http://127.0.0.1:41234/oauth2/token`.
    pub fn token_url(&self) -> &str {
        &self.shared.urls.token
    }

    /// The SCIM 2.0 base URL that `AddScim` returns, such as
    /// `http://127.0.0.1:41234/identity/scim/v2`.
    pub fn scim_base_url(&self) -> &str {
        &self.shared.urls.scim
    }

    /// The client id the token endpoint accepts.
    pub fn client_id(&self) -> &str {
        &self.shared.config.client_id
    }

    /// The client secret the token endpoint accepts.
    pub fn client_secret(&self) -> &str {
        &self.shared.config.client_secret
    }

    /// The first configured user's name.
    pub fn username(&self) -> &str {
        self.shared
            .config
            .users
            .first()
            .map(|(u, _)| u.as_str())
            .unwrap_or(DEFAULT_USERNAME)
    }

    /// The first configured user's password.
    pub fn password(&self) -> &str {
        self.shared
            .config
            .users
            .first()
            .map(|(_, p)| p.as_str())
            .unwrap_or(DEFAULT_PASSWORD)
    }

    /// The FINBOURNE SDK settings that point a client at this emulator with the password
    /// grant, as environment variable names and values: `FBN_IDENTITY_URL`, `FBN_TOKEN_URL`,
    /// `FBN_USERNAME`, `FBN_PASSWORD`, `FBN_CLIENT_ID` and `FBN_CLIENT_SECRET`. Hand them to
    /// a child process, or to an SDK's configuration loader as its environment.
    ///
    /// ```
    /// # async fn run() -> Result<(), finbourne_identity_emulator::Error> {
    /// let emu = finbourne_identity_emulator::Emulator::start().await?;
    /// let settings: std::collections::HashMap<_, _> = emu.fbn_environment().into_iter().collect();
    /// assert_eq!(settings["FBN_IDENTITY_URL"], emu.identity_url());
    /// # Ok(())
    /// # }
    /// ```
    pub fn fbn_environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("FBN_IDENTITY_URL", self.identity_url().to_owned()),
            ("FBN_TOKEN_URL", self.token_url().to_owned()),
            ("FBN_USERNAME", self.username().to_owned()),
            ("FBN_PASSWORD", self.password().to_owned()),
            ("FBN_CLIENT_ID", self.client_id().to_owned()),
            ("FBN_CLIENT_SECRET", self.client_secret().to_owned()),
        ]
    }

    /// How long access tokens from the token endpoint live.
    pub fn token_lifetime(&self) -> Duration {
        self.shared.config.token_lifetime
    }

    /// Mints a new personal access token for the first user: a bearer token that never expires
    /// (unless [`expire_access_token`](Self::expire_access_token) is called on it).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// let emu = finbourne_identity_emulator::Emulator::start().await?;
    /// let a = emu.issue_access_token();
    /// let b = emu.issue_access_token();
    /// assert_ne!(a, b);
    /// # Ok(()) }
    /// ```
    pub fn issue_access_token(&self) -> String {
        let token = state::random_token("emu_pat_");
        lock(&self.shared.state).access_tokens.insert(
            token.clone(),
            state::AccessToken {
                username: self.username().to_owned(),
                expires_at: None,
            },
        );
        token
    }

    /// Makes an access token (OAuth2 or personal) expired now. Returns whether the emulator
    /// knew the token.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// let emu = finbourne_identity_emulator::Emulator::start().await?;
    /// let pat = emu.issue_access_token();
    /// assert!(emu.expire_access_token(&pat));
    /// assert!(!emu.expire_access_token("never-issued"));
    /// # Ok(()) }
    /// ```
    pub fn expire_access_token(&self, token: &str) -> bool {
        let now = self.shared.clock.now();
        match lock(&self.shared.state).access_tokens.get_mut(token) {
            Some(t) => {
                t.expires_at = Some(now);
                true
            }
            None => false,
        }
    }

    /// Revokes a refresh token: refreshing with it then answers `400 invalid_grant` ("The refresh
    /// token is invalid or expired."). Returns whether the emulator knew the token.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// let emu = finbourne_identity_emulator::Emulator::start().await?;
    /// assert!(!emu.revoke_refresh_token("never-issued"));
    /// # Ok(()) }
    /// ```
    pub fn revoke_refresh_token(&self, token: &str) -> bool {
        match lock(&self.shared.state).refresh_tokens.get_mut(token) {
            Some(t) => {
                t.revoked = true;
                true
            }
            None => false,
        }
    }

    /// Revokes every refresh token issued so far; returns how many were still usable.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// let emu = finbourne_identity_emulator::Emulator::start().await?;
    /// assert_eq!(emu.revoke_all_refresh_tokens(), 0);
    /// # Ok(()) }
    /// ```
    pub fn revoke_all_refresh_tokens(&self) -> usize {
        let mut st = lock(&self.shared.state);
        let mut n = 0;
        for t in st.refresh_tokens.values_mut() {
            if !t.revoked {
                t.revoked = true;
                n += 1;
            }
        }
        n
    }

    /// The SCIM API tokens that work right now, oldest first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// let emu = finbourne_identity_emulator::Emulator::start().await?;
    /// assert!(emu.active_scim_tokens().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn active_scim_tokens(&self) -> Vec<String> {
        let now = self.shared.clock.now();
        lock(&self.shared.state)
            .scim_tokens
            .iter()
            .filter(|t| t.is_active(now))
            .map(|t| t.token.clone())
            .collect()
    }

    /// The emulator's current time: wall-clock time plus any
    /// [`advance_clock`](Self::advance_clock) offsets. Token expiry and SCIM token deactivation
    /// follow this clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// Moves the emulator's clock forward, so tokens expire and SCIM deactivation times pass
    /// without waiting.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// use std::time::Duration;
    /// let emu = finbourne_identity_emulator::Emulator::start().await?;
    /// let before = emu.now();
    /// emu.advance_clock(Duration::from_secs(7200));
    /// assert!(emu.now() - before >= chrono::Duration::hours(2));
    /// # Ok(()) }
    /// ```
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// The fault rules of this emulator, to program failures per route.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Switches unknown extra fields in JSON answers on or off. When on, every JSON object the
    /// emulator answers with (except free-form maps such as `errors`) gets a field
    /// `emulatorExtraField` (`emulator_extra_field` on the token endpoint), as a newer service
    /// might add; clients must ignore it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// let emu = finbourne_identity_emulator::Emulator::start().await?;
    /// emu.set_extra_fields(true);
    /// assert!(emu.extra_fields());
    /// # Ok(()) }
    /// ```
    pub fn set_extra_fields(&self, on: bool) {
        self.shared.extra_fields.store(on, Ordering::Relaxed);
    }

    /// Whether unknown extra fields are added to JSON answers.
    pub fn extra_fields(&self) -> bool {
        self.shared.extra_fields.load(Ordering::Relaxed)
    }

    /// The requests received so far, oldest first (at most [`JOURNAL_CAPACITY`] entries and
    /// [`JOURNAL_BYTE_BUDGET`] bytes; the bodies of requests to no operation of the API are not
    /// kept).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.shared.journal.snapshot()
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        self.shared.journal.clear();
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.shared.counters.snapshot()
    }

    /// Sets every counter back to zero.
    pub fn reset_counters(&self) {
        self.shared.counters.reset();
    }

    /// Stops the server, closes its connections and waits until it has stopped.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl fmt::Debug for Emulator {
    /// Shows the address, URLs and client id; never secrets or tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .field("identity_url", &self.identity_url())
            .field("token_url", &self.token_url())
            .field("client_id", &self.client_id())
            .field("username", &self.username())
            .field("token_lifetime", &self.token_lifetime())
            .finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Emulator>();
        assert_send_sync::<EmulatorBuilder>();
        assert_send_sync::<Faults>();
        assert_send_sync::<JournalEntry>();
        assert_send_sync::<Error>();
    }

    #[tokio::test]
    async fn debug_output_hides_secrets() {
        let builder = Emulator::builder()
            .client_secret("builder-secret")
            .user("u", "user-password")
            .personal_access_token("pat-value");
        let shown = format!("{builder:?}");
        for secret in ["builder-secret", "user-password", "pat-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let emu = builder.start().await.unwrap();
        let pat = emu.issue_access_token();
        let shown = format!("{emu:?}");
        for secret in ["builder-secret", "user-password", "pat-value", pat.as_str()] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains(emu.identity_url()));
    }
}
