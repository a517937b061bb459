//! How every builder's request is built: in place, from a header map made once, large enough
//! for the headers the request carries when it leaves.
//!
//! The generated builders call reqwest's `RequestBuilder` methods on what [`start`] returns:
//! [`Started`] has the ones they call, with reqwest's meaning. reqwest's builder holds the
//! request by value and a clone of the client (an `Arc`, counted up and down again by every
//! request, from every thread), and each of its methods takes the builder and returns it: the
//! request is copied through each call. `Started` borrows the client, its methods are
//! inlined, and the query, written once per query parameter, is written in place.
//!
//! reqwest starts a request with an empty header map, makes room for six headers at the
//! first one and, at the seventh, allocates again and moves every entry over. A request from
//! this client carries its operation's own headers (`Accept`, `Content-Type`, header
//! parameters), what a call path adds (the `finbourne-identity` SDK: three identification
//! headers, `Authorization`, `Content-Length`), and reqwest's `User-Agent` and
//! `Accept-Encoding`: more than six.

use reqwest::header::{CONTENT_TYPE, Entry, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;

/// The headers a request has room for from the start.
const HEADER_ROOM: usize = 12;

/// `client.request(method, url)`, the request's header map made with room for
/// [`HEADER_ROOM`] headers.
#[inline]
pub(crate) fn start(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: reqwest::Url,
) -> Started<'_> {
    let mut request = reqwest::Request::new(method, url);
    *request.headers_mut() = HeaderMap::with_capacity(HEADER_ROOM);
    Started {
        client,
        request: Ok(request),
    }
}

/// A request being built: reqwest's `RequestBuilder`, for the methods the builders call.
pub(crate) struct Started<'c> {
    client: &'c reqwest::Client,
    /// The request, or why it cannot be built: reqwest's own error, as its builder gives.
    request: Result<reqwest::Request, reqwest::Error>,
}

impl Started<'_> {
    /// Adds `value` under `name`, after any value the name has.
    #[inline]
    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        if let Ok(request) = &mut self.request {
            request.headers_mut().append(name, value);
        }
        self
    }

    /// Sets every header of `headers`: a name there loses the values it had here.
    #[inline]
    pub(crate) fn headers(mut self, headers: HeaderMap) -> Self {
        if let Ok(request) = &mut self.request
            && !headers.is_empty()
        {
            replace_headers(request.headers_mut(), headers);
        }
        self
    }

    /// `value` as the JSON body, with `Content-Type: application/json` unless the request
    /// has a content type.
    pub(crate) fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        let Ok(request) = &mut self.request else {
            return self;
        };
        match serde_json::to_vec(value) {
            Ok(body) => {
                if let Entry::Vacant(entry) = request.headers_mut().entry(CONTENT_TYPE) {
                    entry.insert(HeaderValue::from_static("application/json"));
                }
                *request.body_mut() = Some(body.into());
                self
            }
            Err(_) => {
                self.refuse(|builder| builder.json(value));
                self
            }
        }
    }

    /// Appends `query`'s fields to the URL's query, as `application/x-www-form-urlencoded`;
    /// an empty query is then removed. Unlike reqwest's, in place: the builders call it for
    /// each query parameter, and a request moved in and out of each call is copied each time.
    #[inline]
    pub(crate) fn write_query<T: Serialize + ?Sized>(&mut self, query: &T) {
        let Ok(request) = &mut self.request else {
            return;
        };
        let url = request.url_mut();
        let written = {
            let mut pairs = url.query_pairs_mut();
            query
                .serialize(serde_urlencoded::Serializer::new(&mut pairs))
                .is_ok()
        };
        if url.query() == Some("") {
            url.set_query(None);
        }
        if !written {
            self.refuse(|builder| builder.query(query));
        }
    }

    /// The request, or why it cannot be built.
    #[inline]
    pub(crate) fn build(self) -> Result<reqwest::Request, reqwest::Error> {
        self.request
    }

    /// The request after `write`, which refused its value here: reqwest's builder writes the
    /// value again, refuses it the same way, and gives the error its own `build()` gives (a
    /// `reqwest::Error` has no public constructor). Only a failing request takes this path.
    #[cold]
    fn refuse(&mut self, write: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder) {
        if let Ok(request) = &mut self.request {
            // Held while reqwest's builder has the request, then replaced by what it built.
            let stand_in = reqwest::Request::new(reqwest::Method::GET, request.url().clone());
            let request = std::mem::replace(request, stand_in);
            self.request = write(reqwest::RequestBuilder::from_parts(
                self.client.clone(),
                request,
            ))
            .build();
        }
    }
}

/// Moves `src` into `dst` as reqwest's `headers()` does: each name in `src` replaces that
/// name's values in `dst`, and keeps all of its own.
fn replace_headers(dst: &mut HeaderMap, src: HeaderMap) {
    let mut last = None;
    for (name, value) in src {
        match name {
            Some(name) => {
                let entry = match dst.entry(name) {
                    Entry::Occupied(mut entry) => {
                        entry.insert(value);
                        entry
                    }
                    Entry::Vacant(entry) => entry.insert_entry(value),
                };
                last = Some(entry);
            }
            // A further value of the name before it: `HeaderMap`'s iterator gives each name
            // with its first value.
            None => {
                if let Some(entry) = last.as_mut() {
                    entry.append(value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::ACCEPT;

    fn url() -> reqwest::Url {
        "http://127.0.0.1:1/api/things?first=1".parse().unwrap()
    }

    #[test]
    fn a_started_request_takes_its_headers_without_growing() {
        let mut request = start(&reqwest::Client::new(), reqwest::Method::PUT, url())
            .build()
            .unwrap();
        assert_eq!(request.method(), reqwest::Method::PUT);
        assert_eq!(request.url(), &url());
        let room = request.headers().capacity();
        assert!(room >= HEADER_ROOM, "room for {room}");
        let headers = request.headers_mut();
        for n in 0..HEADER_ROOM {
            let name = HeaderName::try_from(format!("x-header-{n}")).unwrap();
            headers.insert(name, HeaderValue::from_static("v"));
        }
        assert_eq!(headers.capacity(), room, "the map grew");
    }

    /// What reqwest's builder and ours build from the same calls: method, URL, headers in
    /// order, body; or the error, shown the same.
    fn both(
        ours: impl FnOnce(Started<'_>) -> Started<'_>,
        theirs: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> (String, String) {
        both_at(url(), ours, theirs)
    }

    fn both_at(
        url: reqwest::Url,
        ours: impl FnOnce(Started<'_>) -> Started<'_>,
        theirs: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> (String, String) {
        let client = reqwest::Client::new();
        let show = |built: Result<reqwest::Request, reqwest::Error>| match built {
            Ok(request) => format!(
                "{} {} {:?} {:?}",
                request.method(),
                request.url(),
                request.headers(),
                request.body().and_then(|b| b.as_bytes()),
            ),
            Err(error) => format!("error: {error:?}"),
        };
        (
            show(ours(start(&client, reqwest::Method::POST, url.clone())).build()),
            show(theirs(client.post(url)).build()),
        )
    }

    /// `write_query` in the shape of reqwest's `query`.
    fn query<'c, T: Serialize + ?Sized>(mut started: Started<'c>, query: &T) -> Started<'c> {
        started.write_query(query);
        started
    }

    #[test]
    fn headers_are_set_as_reqwests_builder_sets_them() {
        let value = HeaderValue::from_static;
        let mut params = HeaderMap::new();
        params.append("x-one", value("1"));
        params.append("x-one", value("2"));
        params.append(ACCEPT, value("text/plain"));
        params.insert("x-two", value("3"));
        let (ours, theirs) = both(
            |b| {
                b.header(ACCEPT, value("application/json"))
                    .header(ACCEPT, value("text/csv"))
                    .headers(params.clone())
                    .headers(HeaderMap::new())
            },
            |b| {
                b.header(ACCEPT, value("application/json"))
                    .header(ACCEPT, value("text/csv"))
                    .headers(params.clone())
                    .headers(HeaderMap::new())
            },
        );
        assert_eq!(ours, theirs);
        assert!(
            ours.contains(r#""accept": "text/plain", "x-one": "1", "x-one": "2", "x-two": "3""#),
            "{ours}"
        );
    }

    #[test]
    fn a_json_body_is_set_as_reqwests_builder_sets_it() {
        let body = serde_json::json!({"name": "a b", "n": [1, 2]});
        let cases = both(|b| b.json(&body), |b| b.json(&body));
        assert_eq!(cases.0, cases.1);
        assert!(cases.0.contains("application/json"), "{}", cases.0);
        let typed = both(
            |b| {
                b.header(CONTENT_TYPE, HeaderValue::from_static("text/x"))
                    .json(&body)
            },
            |b| {
                b.header(CONTENT_TYPE, HeaderValue::from_static("text/x"))
                    .json(&body)
            },
        );
        assert_eq!(typed.0, typed.1);
        assert!(!typed.0.contains("application/json"), "{}", typed.0);
    }

    /// A value the JSON or query writer refuses fails the request with reqwest's own error.
    #[test]
    fn a_refused_value_fails_the_request_as_reqwest_does() {
        use std::collections::BTreeMap;
        let not_json = BTreeMap::from([((1, 2), "a")]);
        let (ours, theirs) = both(|b| b.json(&not_json), |b| b.json(&not_json));
        assert!(ours.starts_with("error: "), "{ours}");
        assert_eq!(ours, theirs);
        let nested = [("a", [1, 2])];
        let (ours, theirs) = both(|b| query(b, &nested), |b| b.query(&nested));
        assert!(ours.starts_with("error: "), "{ours}");
        assert_eq!(ours, theirs);
        // Nothing after the refusal changes the error.
        let (ours, theirs) = both(
            |b| {
                b.json(&not_json)
                    .header(ACCEPT, HeaderValue::from_static("x"))
            },
            |b| {
                b.json(&not_json)
                    .header(ACCEPT, HeaderValue::from_static("x"))
            },
        );
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_query_is_appended_as_reqwests_builder_appends_it() {
        let pairs = [("b", "x y"), ("c", "é&=")];
        let (ours, theirs) = both(|b| query(b, &pairs), |b| b.query(&pairs));
        assert_eq!(ours, theirs);
        assert!(ours.contains("?first=1&b=x+y&c=%C3%A9%26%3D"), "{ours}");
        // A query that writes nothing leaves none behind.
        let none: [(&str, &str); 0] = [];
        let bare: reqwest::Url = "http://127.0.0.1:1/api/things".parse().unwrap();
        for url in [url(), bare] {
            let (ours, theirs) = both_at(url.clone(), |b| query(b, &none), |b| b.query(&none));
            assert_eq!(ours, theirs);
            assert!(ours.starts_with(&format!("POST {url} ")), "{ours}");
        }
    }
}
