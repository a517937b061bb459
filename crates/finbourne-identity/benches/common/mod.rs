//! What both benches share: a minimal Identity server run in a child process (so that its work
//! is not counted against either contender, and its allocations not counted at all), the SDK
//! client and the bare reqwest client pointed at it, and the bare client's call.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use finbourne_identity::{ConfigLoader, IdentityClient};
use serde::Deserialize;

/// Set in the child's environment: the child serves instead of measuring.
const SERVE: &str = "FBN_IDENTITY_BENCH_SERVE";
pub const ACCESS_TOKEN: &str = "bench-access";

/// When this process is the bench's server child: serve on 127.0.0.1 until stdin closes, then
/// exit. Call first thing in `main`.
pub fn serve_if_child() {
    if std::env::var_os(SERVE).is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    runtime.block_on(serve());
    std::process::exit(0);
}

async fn serve() {
    use axum::Router;
    use axum::routing::{get, post, put};

    let token_requests = Arc::new(AtomicU64::new(0));
    let issued = token_requests.clone();
    let counted = token_requests.clone();
    let app = Router::new()
        .route(
            "/oauth2/token",
            post(move || {
                issued.fetch_add(1, Ordering::SeqCst);
                async {
                    axum::Json(serde_json::json!({
                        "access_token": ACCESS_TOKEN,
                        "refresh_token": "bench-refresh",
                        "expires_in": 3600
                    }))
                }
            }),
        )
        .route(
            "/identity/api/identityprovider/scim",
            put(|| async {
                axum::Json(serde_json::json!({
                    "baseUrl": "https://example.lusid.com/identity/scim/v2",
                    "apiToken": "scim-token"
                }))
            }),
        )
        .route(
            "/bench/token-requests",
            get(move || {
                let n = counted.load(Ordering::SeqCst);
                async move { n.to_string() }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    println!("{}", listener.local_addr().expect("address").port());
    std::io::stdout().flush().expect("stdout");
    // The parent closes our stdin when it is done (or dies): stop then.
    tokio::spawn(async {
        let _ =
            tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
        std::process::exit(0);
    });
    axum::serve(listener, app).await.expect("serve");
}

/// The server child; it stops when this is dropped.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    pub base: String,
}

impl Server {
    /// Starts this bench's executable again as the server and waits for its port.
    pub fn spawn() -> Server {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .env(SERVE, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("server port");
        let port: u16 = line.trim().parse().expect("a port number");
        Server {
            stdin: child.stdin.take(),
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn scim_url(&self) -> String {
        format!(
            "{}/identity/api/identityprovider/scim?apiTokenAction=ensure",
            self.base
        )
    }

    /// Token requests the server has answered so far.
    pub async fn token_requests(&self) -> u64 {
        reqwest::get(format!("{}/bench/token-requests", self.base))
            .await
            .expect("count")
            .text()
            .await
            .expect("count")
            .parse()
            .expect("a number")
    }

    /// An SDK client using the password grant against this server.
    pub fn sdk(&self) -> IdentityClient {
        let config = ConfigLoader::new()
            .environment(|_| None)
            .no_secrets_file()
            .identity_url(format!("{}/identity", self.base))
            .token_url(format!("{}/oauth2/token", self.base))
            .username("bench")
            .password("bench")
            .client_id("bench")
            .client_secret("bench")
            .application_name("bench")
            .load()
            .expect("bench configuration");
        IdentityClient::new(config).expect("client")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// The bare contender's transport: what the SDK's default HTTP client sets up.
pub fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .tcp_keepalive(Duration::from_secs(60))
        .build()
        .expect("client")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScimAnswer {
    base_url: String,
    api_token: String,
}

/// The request a careful hand-written client sends: the same URL and headers as the SDK, a
/// token fetched once, the answer decoded into a typed value.
pub async fn bare_call(bare: &reqwest::Client, url: &str) {
    let answer = bare
        .put(url)
        .bearer_auth(ACCESS_TOKEN)
        .header("accept", "application/json")
        .header("content-length", "0")
        .header("x-lusid-application", "bench")
        .header("x-lusid-sdk-language", "Rust")
        .header("x-lusid-sdk-version", env!("CARGO_PKG_VERSION"))
        .send()
        .await
        .expect("bare call")
        .error_for_status()
        .expect("bare status");
    let scim: ScimAnswer = answer.json().await.expect("bare body");
    assert!(!scim.api_token.is_empty() && !scim.base_url.is_empty());
}

/// One SDK call of the same operation.
pub async fn sdk_call(sdk: &IdentityClient) {
    sdk.add_scim(finbourne_identity::ScimTokenAction::Ensure)
        .await
        .expect("sdk call");
}

/// The client's runtime: multi-thread (a worker per core) or current-thread.
pub fn runtime(multi_thread: bool) -> tokio::runtime::Runtime {
    if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    }
    .enable_all()
    .build()
    .expect("runtime")
}

/// Median, min and max.
pub fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}
