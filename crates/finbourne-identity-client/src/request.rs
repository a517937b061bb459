//! How every builder's request starts: with its header map made once, large enough for the
//! headers the request carries when it leaves.
//!
//! reqwest starts a request with an empty header map, makes room for six headers at the
//! first one and, at the seventh, allocates again and moves every entry over. A request from
//! this client carries its operation's own headers (`Accept`, `Content-Type`, header
//! parameters), what a call path adds (the `finbourne-identity` SDK: three identification
//! headers, `Authorization`, `Content-Length`), and reqwest's `User-Agent` and
//! `Accept-Encoding`: more than six.

use reqwest::header::HeaderMap;

/// The headers a request has room for from the start.
const HEADER_ROOM: usize = 12;

/// `client.request(method, url)`, the request's header map made with room for
/// [`HEADER_ROOM`] headers.
pub(crate) fn start(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: reqwest::Url,
) -> reqwest::RequestBuilder {
    let mut request = reqwest::Request::new(method, url);
    *request.headers_mut() = HeaderMap::with_capacity(HEADER_ROOM);
    reqwest::RequestBuilder::from_parts(client.clone(), request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    #[test]
    fn a_started_request_takes_its_headers_without_growing() {
        let url: reqwest::Url = "http://127.0.0.1:1/api/things".parse().unwrap();
        let mut request = start(&reqwest::Client::new(), reqwest::Method::PUT, url.clone())
            .build()
            .unwrap();
        assert_eq!(request.method(), reqwest::Method::PUT);
        assert_eq!(request.url(), &url);
        let room = request.headers().capacity();
        assert!(room >= HEADER_ROOM, "room for {room}");
        let headers = request.headers_mut();
        for n in 0..HEADER_ROOM {
            let name = HeaderName::try_from(format!("x-header-{n}")).unwrap();
            headers.insert(name, HeaderValue::from_static("v"));
        }
        assert_eq!(headers.capacity(), room, "the map grew");
    }
}
