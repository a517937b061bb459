//! What both benches share: a minimal Identity server run in a child process (so that its work
//! is not counted against either contender, and its allocations not counted at all), the SDK
//! client and the bare reqwest client pointed at it, and the bare client's call.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use finbourne_identity::{ConfigLoader, IdentityClient};
use finbourne_identity_client::types::AddScimResponse;
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, HeaderMap, HeaderName, HeaderValue};

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
    // The head of the last SCIM request, once asked for: recorded only while the contenders
    // are compared for sameness, not while they are timed.
    let last = Arc::new(std::sync::Mutex::new(String::new()));
    let shown = last.clone();
    let recording = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let recorder = recording.clone();
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
            put(move |headers: axum::http::HeaderMap| {
                if recording.load(Ordering::Relaxed) {
                    *last.lock().expect("last head") = head(&headers);
                }
                async {
                    axum::Json(serde_json::json!({
                        "baseUrl": "https://example.lusid.com/identity/scim/v2",
                        "apiToken": "scim-token"
                    }))
                }
            }),
        )
        .route(
            "/bench/last-head",
            get(move || {
                recorder.store(true, Ordering::Relaxed);
                let head = shown.lock().expect("last head").clone();
                async move { head }
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

/// A request's headers, one `name: value` a line, sorted: what two contenders must agree on.
fn head(headers: &axum::http::HeaderMap) -> String {
    let mut lines: Vec<String> = headers
        .iter()
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or("<bytes>")))
        .collect();
    lines.sort();
    lines.join("\n")
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

    /// The headers of the last SCIM request (recording starts with the first ask).
    pub async fn last_head(&self) -> String {
        reqwest::get(format!("{}/bench/last-head", self.base))
            .await
            .expect("last head")
            .text()
            .await
            .expect("last head")
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

/// The headers every contender sends besides reqwest's own, built once: the SDK's, with the
/// token the SDK fetches.
fn prepared_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_static;
    headers.insert(AUTHORIZATION, value(concat!("Bearer ", "bench-access")));
    headers.insert(ACCEPT, value("application/json"));
    headers.insert(CONTENT_LENGTH, value("0"));
    headers.insert("x-lusid-application", value("bench"));
    headers.insert("x-lusid-sdk-language", value("Rust"));
    headers.insert("x-lusid-sdk-version", value(env!("CARGO_PKG_VERSION")));
    headers
}

/// The transport both hand-written contenders use: what the SDK's default HTTP client sets up
/// (keep-alive, its `User-Agent`, no proxy; gzip is on wherever reqwest has the feature).
fn transport(default_headers: HeaderMap) -> reqwest::Client {
    reqwest::Client::builder()
        .tcp_keepalive(Duration::from_secs(60))
        .user_agent(concat!(
            "finbourne-identity-rust/",
            env!("CARGO_PKG_VERSION")
        ))
        .no_proxy()
        .default_headers(default_headers)
        .build()
        .expect("client")
}

/// The bare contender: what a careful application writes by hand. One client, the URL parsed
/// once and the header values built once, the answer decoded into the type the SDK decodes.
#[derive(Clone)]
pub struct Bare {
    client: reqwest::Client,
    url: reqwest::Url,
    headers: Arc<[(HeaderName, HeaderValue)]>,
}

impl Bare {
    pub fn new(server: &Server) -> Bare {
        Bare {
            client: transport(HeaderMap::new()),
            url: server.scim_url().parse().expect("SCIM URL"),
            headers: prepared_headers()
                .into_iter()
                .map(|(name, value)| (name.expect("a name per value"), value))
                .collect(),
        }
    }

    /// One `add_scim`: the same request as the SDK's, the answer checked and decoded.
    pub async fn call(&self) {
        let mut request = reqwest::Request::new(Method::PUT, self.url.clone());
        let headers = request.headers_mut();
        for (name, value) in self.headers.iter() {
            headers.insert(name.clone(), value.clone());
        }
        let answer = self.client.execute(request).await.expect("bare call");
        assert!(answer.status().is_success(), "bare status");
        let body = answer.bytes().await.expect("bare body");
        let scim: AddScimResponse = serde_json::from_slice(&body).expect("bare decode");
        assert!(scim.api_token.is_some() && scim.base_url.is_some());
    }
}

/// The third contender: the generated client alone, with no middleware; the same headers as
/// the client's default headers, so that the bytes match.
pub fn generated(server: &Server) -> finbourne_identity_client::Client {
    finbourne_identity_client::Client::new_with_client(
        &format!("{}/identity", server.base),
        transport(prepared_headers()),
        finbourne_identity_client::Hooks::none(),
    )
}

/// One `add_scim` through the generated client.
pub async fn generated_call(client: &finbourne_identity_client::Client) {
    let scim = client
        .add_scim()
        .api_token_action("ensure")
        .send()
        .await
        .expect("generated call")
        .into_inner();
    assert!(scim.api_token.is_some() && scim.base_url.is_some());
}

/// One SDK call of the same operation.
pub async fn sdk_call(sdk: &IdentityClient) {
    sdk.add_scim(finbourne_identity::ScimTokenAction::Ensure)
        .await
        .expect("sdk call");
}

/// The three contenders, cheap to clone into tasks.
#[derive(Clone)]
pub struct Contenders {
    pub sdk: IdentityClient,
    pub bare: Bare,
    pub generated: finbourne_identity_client::Client,
}

/// Who makes a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Sdk,
    Bare,
    Generated,
}

impl Who {
    /// The three, in the order their figures are kept and printed: their declaration order,
    /// which [`Who::at`] counts on.
    pub const ALL: [Who; 3] = [Who::Sdk, Who::Bare, Who::Generated];

    /// The contender's place in [`Who::ALL`].
    pub fn at(self) -> usize {
        self as usize
    }

    /// The order the three run in, in round `round`: every order of the three in turn, so
    /// that over six rounds each runs just before each other one as often as just after it.
    /// A rotation alone runs the SDK just before bare reqwest in two rounds of three, and the
    /// one that runs second in a pair finds the machine and the server in another state.
    pub fn order(round: usize) -> [Who; 3] {
        use Who::{Bare, Generated, Sdk};
        const ORDERS: [[Who; 3]; 6] = [
            [Sdk, Bare, Generated],
            [Bare, Generated, Sdk],
            [Generated, Sdk, Bare],
            [Generated, Bare, Sdk],
            [Bare, Sdk, Generated],
            [Sdk, Generated, Bare],
        ];
        ORDERS[round % ORDERS.len()]
    }
}

impl Contenders {
    pub fn new(server: &Server) -> Contenders {
        Contenders {
            sdk: server.sdk(),
            bare: Bare::new(server),
            generated: generated(server),
        }
    }

    pub async fn call(&self, who: Who) {
        match who {
            Who::Sdk => sdk_call(&self.sdk).await,
            Who::Bare => self.bare.call().await,
            Who::Generated => generated_call(&self.generated).await,
        }
    }

    /// Fails unless the three send the same headers (after a first SDK call for its token).
    pub async fn check_same_requests(&self, server: &Server) {
        server.last_head().await;
        let mut heads = Vec::new();
        for who in Who::ALL {
            self.call(who).await;
            heads.push((who, server.last_head().await));
        }
        for (who, head) in &heads[1..] {
            assert_eq!(
                head, &heads[0].1,
                "{who:?} sends other headers than the SDK"
            );
        }
    }
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
