//! Reading an error answer whose body may or may not be problem details.

use std::borrow::Cow;
use std::future::poll_fn;
use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::types::LusidValidationProblemDetails;
use crate::{ByteStream, ResponseValue};

/// An error answer read to its end: status, headers and the raw body.
///
/// The service answers errors with problem details, but a load balancer may answer with an HTML
/// page and a token layer with nothing at all; the status and body survive either way.
///
/// ```no_run
/// # async fn run(client: finbourne_identity_client::Client) {
/// use finbourne_identity_client::{Error, ErrorBody};
///
/// match client.get_user().id("00u1").send().await {
///     Ok(user) => println!("{}", user.login.as_str()),
///     Err(Error::ErrorResponse(answer)) => {
///         let error = ErrorBody::read(answer).await.expect("body readable");
///         let code = error.problem().and_then(|p| p.code);
///         eprintln!("{} (code {code:?}): {}", error.status, error.text());
///     }
///     Err(other) => eprintln!("{other}"),
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ErrorBody {
    /// The HTTP status of the answer.
    pub status: StatusCode,
    /// The answer's headers (`Retry-After`, correlation ids...).
    pub headers: HeaderMap,
    /// The body exactly as received.
    pub body: Bytes,
}

impl ErrorBody {
    /// Reads the whole body of an error answer.
    pub async fn read(answer: ResponseValue<ByteStream>) -> Result<Self, reqwest::Error> {
        let status = answer.status();
        let headers = answer.headers().clone();
        let mut stream = answer.into_inner().into_inner();
        let mut body = Vec::new();
        while let Some(chunk) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
            body.extend_from_slice(&chunk?);
        }
        Ok(Self {
            status,
            headers,
            body: body.into(),
        })
    }

    /// The problem details in the body, when it is a JSON object; fields it lacks are `None`.
    ///
    /// ```
    /// use finbourne_identity_client::ErrorBody;
    ///
    /// let error = ErrorBody {
    ///     status: reqwest::StatusCode::BAD_REQUEST,
    ///     headers: Default::default(),
    ///     body: r#"{"title": "Bad", "errors": {"id": ["required"]}}"#.into(),
    /// };
    /// let problem = error.problem().unwrap();
    /// assert_eq!(problem.title.as_deref(), Some("Bad"));
    /// assert_eq!(problem.code, None);
    /// ```
    pub fn problem(&self) -> Option<LusidValidationProblemDetails> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text, with invalid UTF-8 replaced.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}
