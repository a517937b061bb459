//! One call of an operation: its parameters, its settings, and sending it.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use finbourne_identity_client::operations::Operation;

use crate::error::{Error, excerpt, without_quoted};
use crate::identity_client::IdentityClient;
use crate::response::Response;
use crate::retry::RetryPolicy;

/// Settings of calls, in layers: the configuration's, then the client's
/// ([`IdentityClientBuilder::call_options`](crate::IdentityClientBuilder::call_options)), then
/// the call's ([`Call::options`] and the setters of [`Call`]); each layer's settings win over
/// the ones below, and what it leaves unset comes from them.
///
/// The configuration gives the total timeout and the retry policy
/// (`StandardRetry::new(config.rate_limit_retries, config.retries)`) and the read timeout
/// (except for a client given ready-made with
/// [`IdentityClientBuilder::http_client`](crate::IdentityClientBuilder::http_client), whose own
/// settings stand); its connect timeout is a setting of the HTTP client. A zero timeout means no
/// limit, as in the configuration.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use finbourne_identity::{CallOptions, StandardRetry};
///
/// let patient = CallOptions::new()
///     .total_timeout(Duration::from_secs(300))
///     .retry_policy(Arc::new(StandardRetry::new(10, 3)));
/// let once = CallOptions::new().retry_policy(Arc::new(StandardRetry::new(0, 0)));
/// # let _ = (patient, once);
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    // Outer `None`: not set. Inner `None`: no limit.
    pub(crate) total_timeout: Option<Option<Duration>>,
    pub(crate) attempt_timeout: Option<Option<Duration>>,
    pub(crate) read_timeout: Option<Option<Duration>>,
    pub(crate) retry_policy: Option<Arc<dyn RetryPolicy>>,
    pub(crate) idempotent: Option<bool>,
}

impl CallOptions {
    /// Sets nothing: every setting comes from the layer below.
    ///
    /// ```
    /// let nothing = finbourne_identity::CallOptions::new();
    /// # let _ = nothing;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Limit on the whole call: the token request, every attempt and every wait between
    /// attempts (zero: none). A wait that would end after it is not started.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let quick = finbourne_identity::CallOptions::new().total_timeout(Duration::from_secs(5));
    /// # let _ = quick;
    /// ```
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(limit(timeout));
        self
    }

    /// Limit on each attempt, from sending the request to the end of the answer (zero: none).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let each = finbourne_identity::CallOptions::new().attempt_timeout(Duration::from_secs(10));
    /// # let _ = each;
    /// ```
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(limit(timeout));
        self
    }

    /// Limit on each wait for data from the server (zero: none): for the answer's status and
    /// headers once the request is sent, then for each piece of its body. The SDK enforces it
    /// while it reads the answer, on the client's connections: any number of distinct values
    /// costs no new client and no new connection. It applies to a client given ready-made with
    /// [`IdentityClientBuilder::http_client`](crate::IdentityClientBuilder::http_client) too.
    ///
    /// There is no per-call connect timeout: a connection outlives the call that opened it, so
    /// its limit is a setting of the client, the configuration's `connectTimeoutMs`
    /// ([`ConfigLoader::connect_timeout`](crate::ConfigLoader::connect_timeout)).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let patient = finbourne_identity::CallOptions::new().read_timeout(Duration::from_secs(60));
    /// # let _ = patient;
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(limit(timeout));
        self
    }

    /// Which failures are retried, how often and after what wait: see [`RetryPolicy`], and
    /// [`StandardRetry`](crate::StandardRetry) for the built-in policy.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use finbourne_identity::{CallOptions, StandardRetry};
    ///
    /// // Rate limits waited out ten times, nothing else retried.
    /// let patient = CallOptions::new().retry_policy(Arc::new(StandardRetry::new(10, 0)));
    /// # let _ = patient;
    /// ```
    pub fn retry_policy(mut self, policy: Arc<dyn RetryPolicy>) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Whether the call may be repeated after it may have reached the service. By default the
    /// operation decides: GET, HEAD, PUT, DELETE and OPTIONS may, POST and PATCH may not, and
    /// the table of operations names the exceptions (`add_scim` with `regenerate` may not).
    ///
    /// ```
    /// // A POST the caller knows to be safe to repeat.
    /// let safe = finbourne_identity::CallOptions::new().idempotent(true);
    /// # let _ = safe;
    /// ```
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// These options, with what they leave unset taken from `defaults`.
    pub(crate) fn over(&self, defaults: &CallOptions) -> CallOptions {
        CallOptions {
            total_timeout: self.total_timeout.or(defaults.total_timeout),
            attempt_timeout: self.attempt_timeout.or(defaults.attempt_timeout),
            read_timeout: self.read_timeout.or(defaults.read_timeout),
            retry_policy: self
                .retry_policy
                .as_ref()
                .or(defaults.retry_policy.as_ref())
                .cloned(),
            idempotent: self.idempotent.or(defaults.idempotent),
        }
    }
}

/// A duration that means "no limit" when zero, as the settings define it.
fn limit(duration: Duration) -> Option<Duration> {
    (!duration.is_zero()).then_some(duration)
}

mod sealed {
    use finbourne_identity_client::Client;
    use finbourne_identity_client::operations::Operation;

    /// A generated client's builder the SDK can send: implemented by the generated layer for
    /// every operation, and by nothing else.
    pub trait RawOperation<'a>: Sized {
        /// The decoded answer; `()` when the operation answers with no body.
        type Output;
        /// The operation's row in the table.
        fn operation() -> &'static Operation;
        /// A builder with no parameter set.
        fn start(client: &'a Client) -> Self;
        /// The request `send()` would make; the builder is kept to build it again.
        fn request(&self) -> Result<reqwest::Request, crate::Error>;
        /// The answer's body, decoded.
        fn decode(body: &[u8]) -> Result<Self::Output, crate::Error>;
    }
}

pub(crate) use sealed::RawOperation;

/// What a call's requests are built from, once per attempt: its builder, whatever the
/// operation, so that the call path is not generic over the operation.
pub(crate) trait Requests: Send + Sync {
    /// The request to send, or the error that stops the call before anything is sent.
    fn request(&self) -> Result<reqwest::Request, Error>;
}

impl<'a, R: RawOperation<'a> + Send + Sync> Requests for R {
    fn request(&self) -> Result<reqwest::Request, Error> {
        RawOperation::request(self)
    }
}

/// The builders of pages and log polls, chosen at run time.
impl Requests for Box<dyn Requests + '_> {
    fn request(&self) -> Result<reqwest::Request, Error> {
        (**self).request()
    }
}

/// One call of an operation, as [`IdentityClient`]'s methods return it: set the operation's
/// parameters and any call settings, then [`send`](Self::send) it (or `.await` it).
///
/// Each parameter, and each property of a JSON object body, has a setter taking what the
/// caller has (`impl Into<T>`; a list as any iterator; a record as the record or its builder)
/// and a `set_x(Option<T>)` that sets or clears it. A required value left out fails the call
/// before anything is sent, naming it.
///
/// The call's settings travel with it: nothing is stored in the client or the task.
///
/// ```no_run
/// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
/// use std::time::Duration;
///
/// let user = identity
///     .get_user()
///     .id("00u1abcd")
///     .total_timeout(Duration::from_secs(5))
///     .send()
///     .await?;
/// println!("{}", user.login.as_str());
/// # Ok(())
/// # }
/// ```
#[must_use = "a call does nothing until it is sent"]
pub struct Call<'a, R> {
    identity: &'a IdentityClient,
    raw: R,
    options: CallOptions,
}

// Parameters may hold credentials (a new password, a body with a secret): Debug shows none.
impl<'a, R: RawOperation<'a>> fmt::Debug for Call<'a, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &R::operation().id)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'a, R: RawOperation<'a>> Call<'a, R> {
    /// A call of the operation `R` with no parameter set; `IdentityClient`'s methods are the
    /// usual way to get one.
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// use finbourne_identity::operations::AddScim;
    ///
    /// let answer = AddScim::new(&identity).api_token_action("ensure").send().await?;
    /// # let _ = answer;
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(identity: &'a IdentityClient) -> Self {
        Self {
            identity,
            raw: R::start(identity.raw()),
            options: CallOptions::default(),
        }
    }

    /// Changes the generated builder: how the generated setters are forwarded.
    pub(crate) fn map(mut self, f: impl FnOnce(R) -> R) -> Self {
        self.raw = f(self.raw);
        self
    }

    /// The client, the generated builder and the settings: for calls sent more than once
    /// (pages).
    pub(crate) fn into_parts(self) -> (&'a IdentityClient, R, CallOptions) {
        (self.identity, self.raw, self.options)
    }

    /// Applies every setting `options` sets.
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use finbourne_identity::{CallOptions, StandardRetry};
    ///
    /// let quick = CallOptions::new()
    ///     .total_timeout(Duration::from_secs(2))
    ///     .retry_policy(Arc::new(StandardRetry::new(0, 0)));
    /// identity.get_user_info().options(quick.clone()).send().await?;
    /// identity.list_roles().options(quick).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn options(mut self, options: CallOptions) -> Self {
        self.options = options.over(&self.options);
        self
    }

    /// See [`CallOptions::total_timeout`].
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// identity.get_user_info().total_timeout(std::time::Duration::from_secs(5)).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.total_timeout(timeout);
        self
    }

    /// See [`CallOptions::attempt_timeout`].
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// identity.list_users().attempt_timeout(std::time::Duration::from_secs(20)).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.attempt_timeout(timeout);
        self
    }

    /// See [`CallOptions::read_timeout`].
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// identity.list_logs().read_timeout(std::time::Duration::from_secs(60)).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.read_timeout(timeout);
        self
    }

    /// See [`CallOptions::retry_policy`].
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// use std::sync::Arc;
    /// use finbourne_identity::StandardRetry;
    ///
    /// identity.list_roles().retry_policy(Arc::new(StandardRetry::new(10, 0))).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn retry_policy(mut self, policy: Arc<dyn RetryPolicy>) -> Self {
        self.options = self.options.retry_policy(policy);
        self
    }

    /// See [`CallOptions::idempotent`].
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// // Unlocking twice is harmless: let the SDK repeat it after a dropped connection.
    /// identity.unlock_user().id("00u1abcd").idempotent(true).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.options = self.options.idempotent(idempotent);
        self
    }

    /// Sends the call and returns the decoded answer (`()` for operations that answer with no
    /// body). Any 2xx status is success.
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// let me = identity.get_user_info().send().await?;
    /// # let _ = me;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send(self) -> impl Future<Output = Result<R::Output, Error>> + Send + 'a
    where
        R: Send + Sync + 'a,
        R::Output: Send,
    {
        self.sent(Response::into_inner)
    }

    /// [`send`](Self::send), keeping the answer's status and headers in a [`Response`].
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// let answer = identity.get_user_info().send_response().await?;
    /// println!("{} {:?}", answer.status(), answer.headers().get("lusid-meta-requestid"));
    /// let me = answer.into_inner();
    /// # let _ = me;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_response(
        self,
    ) -> impl Future<Output = Result<Response<R::Output>, Error>> + Send + 'a
    where
        R: Send + Sync + 'a,
        R::Output: Send,
    {
        self.sent(std::convert::identity)
    }

    /// The call's future: the builder lives in it (each attempt is built from it), and `keep`
    /// takes what the caller wants of the answer. The call path's own future, with no layer
    /// of this type's around it: each layer's captures are held through the whole call.
    fn sent<O: Send + 'a>(
        self,
        keep: impl FnOnce(Response<R::Output>) -> O + Send + 'a,
    ) -> impl Future<Output = Result<O, Error>> + Send + 'a
    where
        R: Send + Sync + 'a,
        R::Output: Send,
    {
        let Call {
            identity,
            raw,
            options,
        } = self;
        identity
            .pipeline()
            .call(R::operation(), raw, options, R::decode, keep)
    }
}

/// A call of any operation, with its answer as JSON: what the generated
/// `operations::call_by_name` gives, for tests and tools that go over every operation of the
/// table. Not part of the stable API.
#[doc(hidden)]
pub trait DynCall<'a>: Send {
    /// Sends the call; the answer as JSON (`null` when it has no body).
    fn send_json(
        self: Box<Self>,
    ) -> Pin<Box<dyn Future<Output = Result<serde_json::Value, Error>> + Send + 'a>>;

    /// The request as the call path would send it, before the token is added; or the error
    /// that stops it before anything is sent.
    fn request(self: Box<Self>) -> Result<reqwest::Request, Error>;
}

impl<'a, R> DynCall<'a> for Call<'a, R>
where
    R: RawOperation<'a> + Send + Sync + 'a,
    R::Output: serde::Serialize + Send + 'a,
{
    fn send_json(
        self: Box<Self>,
    ) -> Pin<Box<dyn Future<Output = Result<serde_json::Value, Error>> + Send + 'a>> {
        let answer = self.send();
        Box::pin(async move { Ok(serde_json::to_value(answer.await?).unwrap_or_default()) })
    }

    fn request(self: Box<Self>) -> Result<reqwest::Request, Error> {
        self.identity.pipeline().outgoing(R::operation(), &self.raw)
    }
}

/// One call: requests from `requests` through the call path, the answer decoded. A plain
/// function, not an `async fn`, so that the call path's future is not held a second time;
/// inlined, for the reason `Pipeline::call` gives.
#[inline(always)]
pub(crate) fn run<'a, T: Send + 'a>(
    identity: &'a IdentityClient,
    operation: &'static Operation,
    requests: Box<dyn Requests + 'a>,
    options: CallOptions,
    decode: fn(&[u8]) -> Result<T, Error>,
) -> impl Future<Output = Result<Response<T>, Error>> + Send + 'a {
    identity
        .pipeline()
        .call(operation, requests, options, decode, std::convert::identity)
}

/// A JSON list of records answering `operation`, each decoded on its own: one the SDK cannot
/// read is left out (see `finbourne_identity_client::lenient`) rather than failing the list.
pub(crate) fn json_records<T: serde::de::DeserializeOwned>(
    operation: &'static Operation,
    body: &[u8],
) -> Result<Vec<T>, Error> {
    json::<Vec<serde_json::Value>>(operation, body)
        .map(finbourne_identity_client::lenient::keep_decodable)
}

/// A JSON answer of `operation`, decoded; a failure names no value from the body.
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    operation: &'static Operation,
    body: &[u8],
) -> Result<T, Error> {
    // A byte-order mark is no part of JSON, but some servers send one; the Python SDK reads
    // such answers, and so does this one.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::incomplete_answer(operation.id, "body"));
    }
    serde_json::from_slice(body).map_err(|e| {
        Error::decode(
            operation.id,
            without_quoted(&e.to_string()),
            excerpt(body, 200, operation.credential_fields),
        )
    })
}

/// A parameter the generated builder could not convert, as this crate's error.
pub(crate) fn invalid_request(
    operation: &'static Operation,
    error: finbourne_identity_client::Error,
) -> Error {
    let message = match error {
        finbourne_identity_client::Error::InvalidRequest(message) => message,
        other => other.to_string(),
    };
    Error::invalid_request(operation.id, message)
}

impl<'a, R> IntoFuture for Call<'a, R>
where
    R: RawOperation<'a> + Send + Sync + 'a,
    R::Output: Send + 'a,
{
    type Output = Result<R::Output, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    /// `call.await` is `call.send().await`.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_options_win_and_unset_ones_fall_back() {
        let standard: Arc<dyn RetryPolicy> = Arc::new(crate::StandardRetry::new(2, 3));
        let never: Arc<dyn RetryPolicy> = Arc::new(crate::StandardRetry::new(0, 0));
        let defaults = CallOptions::new()
            .total_timeout(Duration::from_secs(1800))
            .read_timeout(Duration::ZERO)
            .retry_policy(Arc::clone(&standard));
        let merged = CallOptions::new()
            .total_timeout(Duration::ZERO)
            .idempotent(true)
            .over(&defaults);
        assert!(Arc::ptr_eq(
            merged.retry_policy.as_ref().unwrap(),
            &standard
        ));
        let merged = CallOptions::new()
            .retry_policy(Arc::clone(&never))
            .over(&merged);
        assert!(Arc::ptr_eq(merged.retry_policy.as_ref().unwrap(), &never));
        assert_eq!(merged.total_timeout, Some(None), "zero means no limit");
        assert_eq!(merged.read_timeout, Some(None));
        assert_eq!(merged.idempotent, Some(true));
        assert_eq!(merged.attempt_timeout, None);
    }

    #[test]
    fn an_answer_after_a_byte_order_mark_decodes() {
        let get_user_info = finbourne_identity_client::operations::by_id("get_user_info").unwrap();
        let value: serde_json::Value =
            json(get_user_info, b"\xEF\xBB\xBF{\"id\": \"00u1\"}").unwrap();
        assert_eq!(value["id"], "00u1");
        assert!(matches!(
            json::<serde_json::Value>(get_user_info, b"\xEF\xBB\xBF"),
            Err(Error::IncompleteAnswer(_))
        ));
    }
}
