#![warn(missing_docs)]
//! The FINBOURNE Identity API SDK for Rust.
//!
//! [`IdentityClient`] does what the official SDKs' `ApiClientFactory` does, with the same
//! configuration a FINBOURNE user already has (environment variables, `secrets.json`, an access
//! token file), and reaches every operation of the API through [`IdentityClient::api`]. Each
//! request carries a bearer token (a personal access token, or OAuth2 tokens refreshed ahead of
//! expiry), the SDK headers, the configured timeouts, and retries for 429, 409, 503, 504 and
//! dropped connections. SCIM has typed helpers: [`IdentityClient::add_scim`] and
//! [`IdentityClient::remove_scim`].
//!
//! ```no_run
//! # async fn run() -> Result<(), finbourne_identity::Error> {
//! use finbourne_identity::{IdentityClient, ScimTokenAction};
//!
//! let identity = IdentityClient::from_env()?;
//! let scim = identity.add_scim(ScimTokenAction::Ensure).await?;
//! println!("give your identity provider {} and the token", scim.base_url());
//! # Ok(())
//! # }
//! ```

mod auth;
mod call;
pub mod config;
mod error;
mod http;
mod identity_client;
mod pipeline;
mod retry;
mod scim;

pub use auth::AuthError;
pub use call::CallOptions;
pub use config::{Config, ConfigError, ConfigLoader};
pub use error::{ApiError, Error};
pub use identity_client::{IdentityClient, IdentityClientBuilder};
pub use retry::{Attempts, RetryPolicy, retry_after};
pub use scim::{ScimCredentials, ScimTokenAction};

/// The generated client and its types, for operations and data beyond the SCIM helpers.
pub use finbourne_identity_client as client;
