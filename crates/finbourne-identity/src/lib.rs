#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
//! The FINBOURNE Identity API SDK for Rust.
//!
//! [`IdentityClient`] does what the official SDKs' `ApiClientFactory` does, with the same
//! configuration a FINBOURNE user already has (environment variables, `secrets.json`, an access
//! token file), and has a method per operation of the API: `identity.<operation>()`, its
//! parameters, then `.send().await?`. Each call carries a bearer token (a personal access
//! token, or OAuth2 tokens refreshed ahead of expiry) and the SDK headers, has one deadline
//! over the token request, every attempt and every wait, and is retried only where that is
//! safe. SCIM has typed helpers: [`IdentityClient::add_scim`] and
//! [`IdentityClient::remove_scim`].
//!
//! # Calls
//!
//! Setters take what the caller has: `&str` or `String` for text, any iterator for a list, a
//! record or its builder for a record; `set_x(Option<T>)` sets or clears a value. The properties
//! of a JSON body are setters of the call (`.body(..)` still takes a whole body), and a required
//! value left out is refused before anything is sent, naming it. [`Call::send_response`] keeps
//! the status and headers in a [`Response`].
//!
//! Answers that come in pages are streams: [`Call::items`] and [`Call::pages`] ask for each
//! page with the previous page's token, one call per page with the call's settings (its own
//! retries and its own total timeout). [`Call::follow`] on `list_logs` and `list_user_logs`
//! goes on polling for new events until it is dropped.
//!
//! ```no_run
//! # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
//! let role = identity.create_role().name("payroll").description("Pays people").send().await?;
//! let mut events = identity.list_logs().items();
//! while let Some(event) = events.try_next().await? {
//!     println!("{:?}", event.display_message);
//! }
//! # let _ = role;
//! # Ok(())
//! # }
//! ```
//!
//! # Retries
//!
//! A retry is decided by what happened to the attempt and whether the call is idempotent:
//!
//! | what happened | idempotent call | non-idempotent call |
//! |---|---|---|
//! | the request never left: connect refused or reset, DNS, TLS handshake, connect timeout | retry | retry |
//! | 429, or 503 (the service did not take the request) | retry, honouring `Retry-After` | retry, honouring `Retry-After` |
//! | connection dropped after the request was written, read or attempt timeout, 502, 504, 409 | retry with backoff | never: the error says the request may have reached the service |
//!
//! GET, HEAD, PUT, DELETE and OPTIONS are idempotent, POST and PATCH are not; the table of
//! operations ([`client::operations`]) names the exceptions, such as `add_scim` with
//! `regenerate`, which mints a token on every call. [`Call::idempotent`] overrides it for one
//! call.
//!
//! The table is [`StandardRetry`], the built-in [`RetryPolicy`], with the configuration's
//! budgets. Another policy can be given to the client
//! ([`IdentityClientBuilder::retry_policy`]) or to one call ([`Call::retry_policy`]): the
//! settings of a call are [`CallOptions`], in layers (the configuration's, the client's, the
//! call's). Token requests have a policy of their own: a 429 is waited out four times.
//!
//! # Traces
//!
//! Each call runs in one `tracing` span, `invoke`, named after the operation for
//! OpenTelemetry (`otel.name`, as `get_user`), with OpenTelemetry's HTTP client fields
//! (`http.request.method`, `server.address`, `server.port`, `url.template`,
//! `http.response.status_code`, `error.type`), `attempts` and `retried`; each retry is an event
//! in it (`reason`, `wait_ms`). A token request runs in a `token_request` span of its own.
//! No token, query value or body ever appears in either.
//!
//! # Deadlines
//!
//! The total timeout (`FBN_TOTAL_TIMEOUT_MS`, `totalTimeoutMs`, default 30 minutes, or
//! [`Call::total_timeout`]) bounds the whole call: waiting for a token, every attempt, and
//! every backoff or `Retry-After` wait; a wait that would end after it is not started. The
//! connect and read timeouts (`FBN_CONNECT_TIMEOUT_MS`, `FBN_READ_TIMEOUT_MS`) bound each
//! connection and each wait for data, token requests included, and [`Call::attempt_timeout`]
//! each attempt. [`Error::Timeout`] says which limit expired.
//!
//! # Extension points
//!
//! - **Credentials**: a [`TokenProvider`] is an asynchronous source of [`Token`]s (a secret and
//!   an optional expiry), the shape of google-cloud-auth's token provider. The SDK wraps every
//!   provider, its own included, in one cache: one request for a token however many calls
//!   wait, renewal 60 s before expiry, a failure held for a second, another token after a 401.
//!   [`token_provider_fn`] makes a provider of an async closure, as aws-config's
//!   `provide_credentials_fn` does. The built-in sources are providers too: a personal access
//!   token, a token file, the password grant and the client credentials grant
//!   ([`config::ClientCredentials`]) for service accounts.
//! - **Plugging them in**: [`ConfigLoader::credentials`] (no credential setting is then
//!   needed) or [`IdentityClientBuilder::credentials`], as aws-config's loader takes a
//!   `credentials_provider`.
//! - **HTTP**: reqwest's own types, in its builder style:
//!   [`IdentityClientBuilder::http_client`] takes a ready-made `reqwest::Client` for API calls,
//!   [`IdentityClientBuilder::http_client_builder`] a `reqwest::ClientBuilder` the SDK's
//!   settings go on top of. Their documentation says which settings are whose.
//!
//! ```
//! # async fn run() -> Result<(), finbourne_identity::Error> {
//! use finbourne_identity::{ConfigLoader, IdentityClient, Token, token_provider_fn};
//! use tokio::time::{Duration, Instant};
//!
//! let config = ConfigLoader::new()
//!     .identity_url("https://example.lusid.com/identity")
//!     .credentials(token_provider_fn(|| async {
//!         let secret = String::from("from-my-vault"); // fetched, in real life
//!         Ok(Token::new(secret, Some(Instant::now() + Duration::from_secs(900))))
//!     }))
//!     .load()?;
//! let identity = IdentityClient::builder(config)
//!     .http_client_builder(|| reqwest::Client::builder().https_only(true))
//!     .build()?;
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! One TLS stack is needed. The default is `rustls` because it is reqwest's own default: an
//! application that also uses reqwest with its defaults then builds one TLS stack, not two,
//! and needs no system library. `rustls-ring` is the choice for faster clean builds.
//!
//! | feature | TLS stack | builds |
//! |---|---|---|
//! | `rustls` (default) | rustls with aws-lc-rs, reqwest's default provider | aws-lc's C code: the longest build |
//! | `rustls-ring` | rustls with ring, installed as the process's default crypto provider unless one is installed already | no aws-lc |
//! | `native-tls` | the platform's library (OpenSSL on Linux, which needs its headers to build) | links the system library |
//!
//! The features add up rather than exclude each other (so `--all-features` builds): with
//! `native-tls` enabled, it is the one used; otherwise with `rustls`, aws-lc-rs is (or a
//! provider the application installed). Without any, the crate does not compile, saying
//! which to enable: every FINBOURNE domain is https, so an SDK without TLS would only fail
//! later. With `rustls-ring` alone, a `reqwest::Client` you build yourself before the SDK
//! builds its first needs a provider installed first:
//! `rustls::crypto::ring::default_provider().install_default()`.
//!
//! | feature | what it adds |
//! |---|---|
//! | `socks` (default) | SOCKS proxies: `FBN_PROXY_ADDRESS` may be `socks4://`, `socks4a://`, `socks5://` or `socks5h://` (the `h`: the proxy resolves names). Without it such an address is a [`config::ConfigProblem::InvalidUrl`] at load. SOCKS4 takes no user name or password. |
//!
//! ```toml
//! [dependencies]
//! finbourne-identity = { version = "0.1", default-features = false, features = ["rustls-ring", "socks"] }
//! ```
//!
//! # Example
//!
//! ```no_run
//! # async fn run() -> Result<(), finbourne_identity::Error> {
//! use finbourne_identity::{IdentityClient, ScimTokenAction};
//!
//! let identity = IdentityClient::from_env()?;
//! let scim = identity.add_scim(ScimTokenAction::Ensure).await?;
//! println!("give your identity provider {} and the token", scim.base_url());
//!
//! let roles = identity.list_roles().send().await?;
//! println!("{} roles", roles.len());
//! # Ok(())
//! # }
//! ```

#[cfg(not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls")))]
compile_error!(
    "finbourne-identity needs a TLS stack: enable its `rustls` (default), `rustls-ring` or \
     `native-tls` feature"
);

mod auth;
mod call;
pub mod config;
mod deadline;
pub mod error;
mod http;
mod identity_client;
mod logs;
#[rustfmt::skip]
#[path = "generated_operations.rs"]
pub mod operations;
mod paging;
mod pipeline;
mod printable;
mod redact;
mod response;
mod retry;
mod scim;

pub use auth::{AuthError, Token, TokenFuture, TokenProvider, TokenProviderFn, token_provider_fn};
#[doc(hidden)]
pub use call::DynCall;
pub use call::{Call, CallOptions};
pub use config::{Config, ConfigError, ConfigLoader};
pub use error::{ApiError, Delivery, Error, TimeoutLimit};
pub use identity_client::{IdentityClient, IdentityClientBuilder};
pub use logs::{DEFAULT_POLL_INTERVAL, Follow, MAX_POLL_INTERVAL, MIN_POLL_INTERVAL};
pub use paging::{Items, Pages};
pub use response::Response;
pub use retry::{Outcome, RetryPolicy, RetryResult, RetryState, StandardRetry};
pub use scim::{ScimCall, ScimCredentials, ScimTokenAction};

/// The generated client and its types, for operations and data beyond the SCIM helpers.
pub use finbourne_identity_client as client;
