//! An answer with its status and headers: what [`Call::send_response`](crate::Call::send_response)
//! returns.

use std::fmt;
use std::ops::{Deref, DerefMut};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// A decoded answer with the status and headers it came with.
///
/// A type of this crate, so that the generator behind the client can change without changing
/// the SDK's own signatures.
///
/// ```
/// use finbourne_identity::Response;
/// use reqwest::{StatusCode, header::HeaderMap};
///
/// let answer = Response::new(StatusCode::CREATED, HeaderMap::new(), vec![1, 2]);
/// assert_eq!(answer.status(), StatusCode::CREATED);
/// assert_eq!(answer.len(), 2); // the value's own methods, through `Deref`
/// let (status, _headers, value) = answer.into_parts();
/// assert_eq!((status.as_u16(), value), (201, vec![1, 2]));
/// ```
#[derive(Clone)]
pub struct Response<T> {
    status: StatusCode,
    headers: HeaderMap,
    value: T,
}

impl<T> Response<T> {
    /// An answer of `status` with `headers`, decoded as `value`; for tests of code that takes
    /// answers.
    pub fn new(status: StatusCode, headers: HeaderMap, value: T) -> Self {
        Self {
            status,
            headers,
            value,
        }
    }

    /// The answer's status (a 2xx: others are errors).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The answer's headers.
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// let answer = identity.get_user_info().send_response().await?;
    /// let request_id = answer.headers().get("lusid-meta-requestid");
    /// # let _ = request_id;
    /// # Ok(())
    /// # }
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The decoded value.
    pub fn inner(&self) -> &T {
        &self.value
    }

    /// The decoded value, without the status and headers.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The status, the headers and the decoded value.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, T) {
        (self.status, self.headers, self.value)
    }

    /// The same answer with its value changed by `f`.
    ///
    /// ```
    /// # use finbourne_identity::Response;
    /// # use reqwest::{StatusCode, header::HeaderMap};
    /// let answer = Response::new(StatusCode::OK, HeaderMap::new(), "42");
    /// assert_eq!(answer.map(|text| text.len()).into_inner(), 2);
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            status: self.status,
            headers: self.headers,
            value: f(self.value),
        }
    }
}

impl<T> Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Response<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

// The headers may carry what an answer should not show (cookies): Debug shows their names.
impl<T: fmt::Debug> fmt::Debug for Response<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("value", &self.value)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_headers_without_their_values() {
        let mut headers = HeaderMap::new();
        headers.insert("set-cookie", "session=secret".parse().unwrap());
        let text = format!("{:?}", Response::new(StatusCode::OK, headers, 1));
        assert!(text.contains("set-cookie"), "{text}");
        assert!(!text.contains("secret"), "{text}");
    }
}
