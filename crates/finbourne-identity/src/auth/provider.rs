//! The public extension point for credentials: a source of tokens with their expiry.
//!
//! The shapes follow google-cloud-auth (an asynchronous `TokenProvider` giving a `Token` with an
//! optional `expires_at`, wrapped by the SDK's own cache) and aws-config (`ProvideCredentials`
//! returning a boxed future, `provide_credentials_fn` making a provider of a closure).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::AuthError;
use crate::printable::printable;

/// The future a [`TokenProvider`] returns: boxed, so that the trait needs no `async-trait`
/// crate and stays usable as `dyn TokenProvider`.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Token, AuthError>> + Send + 'a>>;

/// A source of bearer tokens for [`IdentityClient`](crate::IdentityClient).
///
/// The SDK never calls a provider once per API call: it keeps the token until shortly before
/// [`Token::expires_at`] (60 s ahead, or at half its life for shorter-lived tokens), asks once
/// however many calls are waiting and hands the outcome to all of them, holds a failure for a
/// second so that a refusal costs one call per second rather than one per API call, and asks
/// again when the API answers 401 to the token. A provider therefore only has to fetch a
/// token; it needs no cache of its own.
///
/// Its tokens are trimmed and checked as one loaded from configuration is: surrounding
/// whitespace and a pasted `Bearer ` (any case) are dropped, and an empty token, or one holding
/// control characters or non-ASCII text, is refused with an [`AuthError`] before any request.
///
/// A panic in [`token`](Self::token) or its future is such a failure too: every call waiting
/// for that token gets an [`AuthError`] saying that the provider panicked.
///
/// Its `Debug` must not show a secret: it appears in `Debug` of the [`Config`](crate::Config).
///
/// Plug one in with [`ConfigLoader::credentials`](crate::ConfigLoader::credentials) (then no
/// credential setting is needed) or [`IdentityClientBuilder::credentials`](crate::IdentityClientBuilder::credentials);
/// [`token_provider_fn`] makes one of an async closure.
///
/// ```
/// use finbourne_identity::{AuthError, Token, TokenFuture, TokenProvider};
/// use tokio::time::{Duration, Instant};
///
/// /// Asks a vault for a token that lives 15 minutes.
/// #[derive(Debug)]
/// struct Vault {
///     address: String,
/// }
///
/// impl TokenProvider for Vault {
///     fn token(&self) -> TokenFuture<'_> {
///         Box::pin(async move {
///             let secret = format!("token-from-{}", self.address); // a request, in real life
///             Ok(Token::new(secret, Some(Instant::now() + Duration::from_secs(900))))
///         })
///     }
/// }
/// # let _ = Vault { address: "vault.internal".into() };
/// ```
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A new token. Called only when the SDK has no usable one: see the trait's description.
    ///
    /// ```
    /// # async fn run() -> Result<(), finbourne_identity::AuthError> {
    /// use finbourne_identity::{Token, TokenProvider};
    ///
    /// let fixed = Token::new("a-personal-access-token", None);
    /// let token = fixed.token().await?;
    /// assert_eq!(token.expires_at(), None);
    /// # Ok(()) }
    /// ```
    fn token(&self) -> TokenFuture<'_>;
}

/// How messages name `provider`: by its `Debug`, which the trait requires to hold no secret, with
/// control characters escaped.
pub(crate) fn named(provider: &dyn TokenProvider) -> String {
    format!("the token provider {}", printable(&format!("{provider:?}")))
}

/// The failure of a token request in which `provider` panicked with `payload`.
///
/// A message given as a literal (`panic!("...")`, a `&'static str`) is shown, escaped: it is
/// part of the program, not data. Any other (a `String` made by `format!`, `unwrap` or
/// `expect`) is left out, as it may hold a secret; the panic hook has already reported it
/// where the application sends panics.
pub(crate) fn panicked(provider: &dyn TokenProvider, payload: &(dyn Any + Send)) -> AuthError {
    let provider = named(provider);
    AuthError::new(match payload.downcast_ref::<&'static str>() {
        Some(message) => format!("{provider} panicked: {}", printable(message)),
        None => format!("{provider} panicked (its message is left out, as it may hold a secret)"),
    })
}

/// A caller's provider as the SDK asks it: each token trimmed and checked as a token loaded from
/// configuration is (a byte-order mark, surrounding blanks and a pasted `Bearer ` dropped; an
/// empty token, control characters and non-ASCII text refused), so that nothing unusable is
/// sent. A refusal names the provider and what is wrong, never the token.
pub(crate) struct Checked {
    provider: Arc<dyn TokenProvider>,
}

impl Checked {
    pub(crate) fn new(provider: Arc<dyn TokenProvider>) -> Self {
        Self { provider }
    }
}

impl fmt::Debug for Checked {
    /// The provider's own, so that messages name it rather than this wrapper.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.provider, f)
    }
}

impl TokenProvider for Checked {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let token = self.provider.token().await?;
            let given = token.secret().expose_secret();
            let checked = crate::config::access_token(given).map_err(|reason| {
                AuthError::new(format!(
                    "{} gave a token that cannot be used: {reason}",
                    named(&*self.provider)
                ))
            })?;
            if checked.len() == given.len() {
                // Unchanged: no second copy of the secret.
                return Ok(token);
            }
            Ok(Token::new(checked.to_owned(), token.expires_at()))
        })
    }
}

/// A bearer token and when it stops working. `Debug` never shows the secret.
///
/// A token is also a [`TokenProvider`] of itself: a fixed token, such as a personal access
/// token.
///
/// ```
/// use finbourne_identity::Token;
/// use secrecy::ExposeSecret;
/// use tokio::time::{Duration, Instant};
///
/// let token = Token::new("s3cr3t", Some(Instant::now() + Duration::from_secs(3600)));
/// assert_eq!(token.secret().expose_secret(), "s3cr3t");
/// assert!(!format!("{token:?}").contains("s3cr3t"));
/// ```
#[derive(Clone)]
pub struct Token {
    secret: SecretString,
    expires_at: Option<Instant>,
}

impl Token {
    /// A token that stops working at `expires_at`, or `None` when its end is not known: the
    /// SDK then uses it until the API answers 401 to it.
    ///
    /// `expires_at` is Tokio's [`Instant`], as in google-cloud-auth, so that a test's paused
    /// clock moves it.
    ///
    /// ```
    /// use tokio::time::{Duration, Instant};
    /// let token = finbourne_identity::Token::new(
    ///     String::from("from-my-identity-provider"),
    ///     Some(Instant::now() + Duration::from_secs(300)),
    /// );
    /// # let _ = token;
    /// ```
    pub fn new(secret: impl Into<SecretString>, expires_at: Option<Instant>) -> Self {
        Self {
            secret: secret.into(),
            expires_at,
        }
    }

    /// The token, sent as `Authorization: Bearer <token>`.
    ///
    /// ```
    /// use secrecy::ExposeSecret;
    /// let token = finbourne_identity::Token::new("t", None);
    /// assert_eq!(token.secret().expose_secret(), "t");
    /// ```
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// When it stops working, if known.
    ///
    /// ```
    /// assert_eq!(finbourne_identity::Token::new("t", None).expires_at(), None);
    /// ```
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("secret", &crate::config::REDACTED)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl TokenProvider for Token {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// A [`TokenProvider`] made of an async closure; see [`token_provider_fn`].
#[derive(Clone, Copy)]
pub struct TokenProviderFn<F> {
    f: F,
}

impl<F> fmt::Debug for TokenProviderFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What the closure captured may be secret.
        f.write_str("TokenProviderFn")
    }
}

impl<F, Fut> TokenProvider for TokenProviderFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token, AuthError>> + Send + 'static,
{
    fn token(&self) -> TokenFuture<'_> {
        Box::pin((self.f)())
    }
}

/// A [`TokenProvider`] that calls `f` for each new token, as aws-config's
/// `provide_credentials_fn` does for credentials. The SDK's cache decides when that is (see
/// [`TokenProvider`]).
///
/// ```
/// use finbourne_identity::{AuthError, Token, token_provider_fn};
/// use tokio::time::{Duration, Instant};
///
/// async fn fetch_from_my_identity_provider() -> Result<String, AuthError> {
///     Ok("a-token".to_owned())
/// }
///
/// let provider = token_provider_fn(|| async {
///     let secret = fetch_from_my_identity_provider().await?;
///     Ok(Token::new(secret, Some(Instant::now() + Duration::from_secs(3600))))
/// });
/// # let _ = provider;
/// ```
pub fn token_provider_fn<F, Fut>(f: F) -> TokenProviderFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token, AuthError>> + Send + 'static,
{
    TokenProviderFn { f }
}
