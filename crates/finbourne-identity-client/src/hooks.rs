//! The seam through which every request of a [`Client`](crate::Client) passes.
//!
//! Generated code calls `pre` then `exec` for each operation; this file forwards both to an
//! optional [`Middleware`]. With none, requests go out as built.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};

use crate::Client;

/// A boxed, sendable future, as [`Middleware`] methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Code that runs around every request a [`Client`] makes: authentication, headers, retries.
///
/// For a [`Client`] used on its own. The `finbourne-identity` SDK does not go through it: it
/// builds each request with the builder's `request()` and runs its own call path.
///
/// ```
/// use finbourne_identity_client::{BoxFuture, Client, Hooks, Middleware};
///
/// struct StaticToken(&'static str);
///
/// impl Middleware for StaticToken {
///     fn prepare<'a>(
///         &'a self,
///         request: &'a mut reqwest::Request,
///         _operation: &'static str,
///     ) -> BoxFuture<'a, Result<(), String>> {
///         Box::pin(async move {
///             let value = format!("Bearer {}", self.0).parse().map_err(|_| "bad token".to_string())?;
///             request.headers_mut().insert(reqwest::header::AUTHORIZATION, value);
///             Ok(())
///         })
///     }
/// }
///
/// let client = Client::new("https://example.lusid.com/identity", Hooks::new(StaticToken("t")));
/// ```
pub trait Middleware: Send + Sync + 'static {
    /// Changes a request before it is sent, e.g. adds headers. An `Err` stops the call; the
    /// operation returns [`Error::Custom`] with the message.
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        let _ = (request, operation);
        Box::pin(async { Ok(()) })
    }

    /// Sends a prepared request with `http` and returns the answer it settles on; the place for
    /// retries. `operation` is the snake_case operation id, e.g. `add_scim`.
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let _ = operation;
        Box::pin(http.execute(request))
    }
}

/// The middleware a [`Client`] runs, if any; the second argument of [`Client::new`].
///
/// ```
/// use finbourne_identity_client::{Client, Hooks};
///
/// let client = Client::new("https://example.lusid.com/identity", Hooks::none());
/// ```
#[derive(Clone, Default)]
pub struct Hooks {
    middleware: Option<Arc<dyn Middleware>>,
    /// The client's base URL, parsed on its first call.
    pub(crate) base: crate::base_url::ParsedBase,
}

impl Hooks {
    /// No middleware: requests go out exactly as the generated code builds them.
    pub fn none() -> Self {
        Self::default()
    }

    /// Runs `middleware` around every request.
    pub fn new(middleware: impl Middleware) -> Self {
        Self::shared(Arc::new(middleware))
    }

    /// Runs a shared `middleware` around every request.
    pub fn shared(middleware: Arc<dyn Middleware>) -> Self {
        Self {
            middleware: Some(middleware),
            base: Default::default(),
        }
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.middleware.is_some() {
            "middleware"
        } else {
            "none"
        };
        f.debug_tuple("Hooks")
            .field(&format_args!("{state}"))
            .finish()
    }
}

/// Refuses a request whose path would reach another operation than `operation_id`: the last
/// guard for a path parameter's value, after the encoder.
fn check_place(
    client: &Client,
    request: &reqwest::Request,
    operation_id: &str,
) -> Result<(), String> {
    let Some(operation) = crate::operations::by_id(operation_id) else {
        return Ok(());
    };
    let path = request.url().path();
    // The base URL parsed once per client, as the request's URL was built from it.
    let base = crate::base_url::parsed_url(client);
    let below = base
        .as_ref()
        .and_then(|base| path.strip_prefix(base.path().trim_end_matches('/')))
        .unwrap_or(path);
    operation.check_path(below)
}

impl ClientHooks<Hooks> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        check_place(self, request, info.operation_id).map_err(Error::InvalidRequest)?;
        match &self.inner().middleware {
            Some(m) => m
                .prepare(request, info.operation_id)
                .await
                .map_err(Error::Custom),
            None => Ok(()),
        }
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match &self.inner().middleware {
            Some(m) => m.send(self.client(), request, info.operation_id).await,
            None => self.client().execute(request).await,
        }
    }
}
