//! The accept loop, per-connection serving and the request dispatcher.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use crate::Shared;
use crate::faults::Fault;
use crate::journal::AtomicCounters;
use crate::reply::{self, Reply};

/// Largest request body the emulator reads.
const MAX_BODY: usize = 1024 * 1024;

/// How long a client has to send a request's head (hyper's default, set here explicitly so the
/// body gets the same): a connection that sends nothing for this long after its last answer,
/// or sends part of a head and stops, is closed.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a client has to send a request's whole body once the head has arrived: a request
/// that announces a body and does not send it is answered `408 Request Timeout` after this and
/// its connection closed, as a stalled head is.
const BODY_READ_TIMEOUT: Duration = HEADER_READ_TIMEOUT;

/// What a request path addresses.
enum Area<'a> {
    Token,
    /// The Identity API; the path relative to the Identity API base (`/api/...`).
    Api(&'a str),
    /// SCIM 2.0; the path relative to the SCIM base (`/ServiceProviderConfig`).
    Scim(&'a str),
    Root,
    Other,
}

fn classify(path: &str) -> Area<'_> {
    if path == "/oauth2/token" || path == "/oauth2/token/" {
        return Area::Token;
    }
    if path == "/" {
        return Area::Root;
    }
    if let Some(rest) = path.strip_prefix("/identity") {
        if rest == "/api" || rest.starts_with("/api/") {
            return Area::Api(rest);
        }
        if let Some(scim) = rest.strip_prefix("/scim/v2")
            && (scim.is_empty() || scim.starts_with('/'))
        {
            return Area::Scim(scim);
        }
    }
    Area::Other
}

/// Whether the journal keeps a request's body: only where a handler acts on the request. A path
/// that is no operation of the API (answered `404`) or a method its path does not accept (`405`)
/// leaves the body out, so a client sending large bodies to the wrong place does not fill the
/// journal's byte budget.
fn keeps_body(area: &Area<'_>, method: &Method) -> bool {
    match area {
        Area::Token => method == Method::POST,
        Area::Api(api_path) => matches!(
            crate::operations::resolve(method, api_path),
            crate::operations::Resolution::Found(..)
        ),
        Area::Scim(scim_path) => crate::scim::is_served(method, scim_path),
        Area::Root => true,
        Area::Other => false,
    }
}

/// Per-connection facts handed to the dispatcher through request extensions.
#[derive(Debug, Clone)]
struct ConnCtx {
    id: u64,
    kill: Arc<Notify>,
}

/// Accepts connections until shutdown, serving each with HTTP/1.1 on its own task.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Compressed only for a client that asks for it, and only bodies worth it.
    let router = Router::new()
        .fallback(dispatch)
        .with_state(shared.clone())
        .layer(tower_http::compression::CompressionLayer::new());
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        // Reap finished connection tasks so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
        let (stream, _peer) = match accepted {
            Ok(pair) => pair,
            Err(_) => {
                // Out of file descriptors or similar: back off briefly, keep serving.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let id = AtomicCounters::bump(&shared.counters.connections_accepted);
        let ctx = ConnCtx {
            id,
            kill: Arc::new(Notify::new()),
        };
        let router = router.clone();
        let mut conn_shutdown = shutdown.clone();
        connections.spawn(async move {
            let kill = ctx.kill.clone();
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ctx.clone());
                router.clone().oneshot(req)
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
                _ = conn_shutdown.changed() => {}
            }
            // Dropping the connection here closes the socket, answered or not.
        });
    }
    connections.shutdown().await;
}

/// Handles every request: journal, counters, faults, then the area's handler.
async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let ctx = request.extensions().get::<ConnCtx>().cloned();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let body =
        match tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await {
            Ok(Ok(body)) => body,
            Err(_elapsed) => {
                let mut response = reply::problem(
                    StatusCode::REQUEST_TIMEOUT,
                    reply::CODE_UNKNOWN,
                    "RequestTimeout",
                    "Request body not received",
                    format!(
                        "The request body did not arrive within {} s of the request's head.",
                        BODY_READ_TIMEOUT.as_secs()
                    ),
                    &path,
                )
                .into_response(false);
                // The rest of the body may still come; the connection cannot carry another request.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                return response;
            }
            Ok(Err(_)) => {
                return reply::problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    reply::CODE_INVALID_PARAMETER,
                    "RequestTooLarge",
                    "Request body too large",
                    format!("The emulator reads request bodies of at most {MAX_BODY} bytes."),
                    &path,
                )
                .into_response(false);
            }
        };

    let counters = &shared.counters;
    AtomicCounters::bump(&counters.requests);
    let area = classify(&path);
    match area {
        Area::Token => {
            let grant = url::form_urlencoded::parse(&body)
                .find(|(k, _)| k == "grant_type")
                .map(|(_, v)| v.into_owned());
            let counter = match grant.as_deref() {
                Some("password") => &counters.token_requests_password,
                Some("refresh_token") => &counters.token_requests_refresh_token,
                Some("client_credentials") => &counters.token_requests_client_credentials,
                _ => &counters.token_requests_other,
            };
            AtomicCounters::bump(counter);
        }
        Area::Api(_) => {
            AtomicCounters::bump(&counters.api_requests);
        }
        Area::Scim(_) => {
            AtomicCounters::bump(&counters.scim_requests);
        }
        Area::Root | Area::Other => {}
    }
    shared.journal.push(
        shared.clock.now(),
        ctx.as_ref().map(|c| c.id).unwrap_or(0),
        &parts,
        &body,
        keeps_body(&area, &parts.method),
    );

    if let Some(fault) = shared.faults.take(&parts.method, &path) {
        match fault {
            Fault::Respond {
                status,
                headers,
                body,
            } => {
                let mut response = Response::new(Body::from(body));
                *response.status_mut() = status;
                *response.headers_mut() = headers;
                return response;
            }
            Fault::Delay(delay) => tokio::time::sleep(delay).await,
            Fault::DropConnection => {
                if let Some(ctx) = &ctx {
                    ctx.kill.notify_one();
                    // The connection task drops this request with the connection.
                    std::future::pending::<()>().await;
                }
                return reply::problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    reply::CODE_UNKNOWN,
                    "ConnectionNotDropped",
                    "Connection could not be dropped",
                    "The emulator could not drop this connection.",
                    &path,
                )
                .into_response(false);
            }
        }
    }

    let query = parts.uri.query().unwrap_or("");
    let reply = match area {
        Area::Token => {
            let reply = crate::oauth::token(&shared, &parts.method, &parts.headers, &body);
            crate::logs::record_token(&shared, &body, &parts.headers, &reply);
            reply
        }
        Area::Api(api_path) => crate::api::handle(
            &shared,
            &parts.method,
            api_path,
            &path,
            query,
            &parts.headers,
            &body,
        ),
        Area::Scim(scim_path) => {
            crate::scim::handle(&shared, &parts.method, scim_path, &parts.headers)
        }
        Area::Root => root(&shared),
        Area::Other => reply::problem(
            StatusCode::NOT_FOUND,
            reply::CODE_UNKNOWN,
            "NotFound",
            "Not found",
            format!(
                "The emulator serves the Identity API under /identity/api/, SCIM under /identity/scim/v2/ and the token endpoint at /oauth2/token; nothing at {path}."
            ),
            &path,
        ),
    };
    let mut response = reply.into_response(shared.extra_fields.load(Ordering::Relaxed));
    response
        .headers_mut()
        .entry(header::SERVER)
        .or_insert(HeaderValue::from_static("fbn-identity-emulator"));
    response
}

/// `GET /`: where things are.
fn root(shared: &Shared) -> Reply {
    Reply::json(
        StatusCode::OK,
        serde_json::json!({
            "name": "fbn-identity-emulator",
            "identityUrl": shared.urls.identity,
            "tokenUrl": shared.urls.token,
            "scimBaseUrl": shared.urls.scim,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        assert!(matches!(classify("/oauth2/token"), Area::Token));
        assert!(matches!(
            classify("/identity/api/users"),
            Area::Api("/api/users")
        ));
        assert!(matches!(classify("/identity/api"), Area::Api("/api")));
        assert!(matches!(
            classify("/identity/scim/v2/ServiceProviderConfig"),
            Area::Scim("/ServiceProviderConfig")
        ));
        assert!(matches!(classify("/identity/scim/v2x"), Area::Other));
        assert!(matches!(classify("/identity/apix"), Area::Other));
        assert!(matches!(classify("/"), Area::Root));
    }
}
