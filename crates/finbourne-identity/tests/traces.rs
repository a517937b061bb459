//! What a call leaves in traces: one span per call with OpenTelemetry's HTTP client fields, an
//! event per retry and one per answer, a span per token request, and no secret anywhere. A
//! capturing layer records every span's fields (as created and as recorded later) and every
//! event; virtual time, as the emulator runs on the test's paused clock.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use finbourne_identity::{Error, IdentityClient, StandardRetry};
use finbourne_identity_emulator::http::{HeaderMap, HeaderValue, Method, StatusCode};
use finbourne_identity_emulator::{Emulator, Fault};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

mod common;

type Fields = BTreeMap<String, String>;

/// A span as it closed: its name and every field it was given.
#[derive(Debug, Clone)]
struct Span {
    name: &'static str,
    fields: Fields,
}

/// An event, with the name of the span it happened in.
#[derive(Debug, Clone)]
struct Happened {
    span: Option<&'static str>,
    fields: Fields,
}

#[derive(Default)]
struct Captured {
    spans: Vec<Span>,
    events: Vec<Happened>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let mut fields = Fields::new();
        attributes.record(&mut Visitor(&mut fields));
        if let Some(span) = context.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: Context<'_, S>) {
        if let Some(span) = context.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<Fields>()
        {
            values.record(&mut Visitor(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, context: Context<'_, S>) {
        let mut fields = Fields::new();
        event.record(&mut Visitor(&mut fields));
        let span = context.event_span(event).map(|span| span.name());
        self.0
            .lock()
            .unwrap()
            .events
            .push(Happened { span, fields });
    }

    fn on_close(&self, id: Id, context: Context<'_, S>) {
        if let Some(span) = context.span(&id) {
            let fields = span
                .extensions()
                .get::<Fields>()
                .cloned()
                .unwrap_or_default();
            let name = span.name();
            self.0.lock().unwrap().spans.push(Span { name, fields });
        }
    }
}

impl Capture {
    fn spans(&self, name: &str) -> Vec<Span> {
        let captured = self.0.lock().unwrap();
        captured
            .spans
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    }

    fn events_in(&self, span: &str) -> Vec<Fields> {
        let captured = self.0.lock().unwrap();
        captured
            .events
            .iter()
            .filter(|e| e.span == Some(span))
            .map(|e| e.fields.clone())
            .collect()
    }

    /// Everything captured, as text.
    fn everything(&self) -> String {
        let captured = self.0.lock().unwrap();
        format!("{:?}\n{:?}", captured.spans, captured.events)
    }
}

/// A client of `emulator` with the password grant and exact (jitter-free) backoff, and the
/// layer capturing what it traces, installed for this thread.
fn traced(emulator: &Emulator) -> (IdentityClient, Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let config = common::emulator_loader(emulator).load().unwrap();
    let identity = IdentityClient::builder(config)
        .retry_policy(Arc::new(
            StandardRetry::new(2, 3).with_jitter(Duration::ZERO),
        ))
        .build()
        .unwrap();
    (identity, capture, guard)
}

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Every secret of the exchange: the emulator's password and client secret, and the bearer
/// tokens the SDK sent.
fn secrets(emulator: &Emulator) -> Vec<String> {
    let mut secrets = vec![
        emulator.password().to_owned(),
        emulator.client_secret().to_owned(),
    ];
    for entry in emulator.journal() {
        if let Some(bearer) = entry.header("authorization")
            && let Some(token) = bearer.strip_prefix("Bearer ")
        {
            secrets.push(token.to_owned());
        }
    }
    secrets
}

#[tokio::test(start_paused = true)]
async fn a_call_runs_in_one_span_with_the_http_client_fields_and_an_event_per_retry() {
    let emulator = Emulator::start().await.unwrap();
    let (identity, capture, _guard) = traced(&emulator);
    let mut wait_a_second = HeaderMap::new();
    wait_a_second.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("1"));
    let faults = emulator.faults();
    faults
        .on(Method::GET, "/api/logs")
        .respond(StatusCode::SERVICE_UNAVAILABLE, wait_a_second, "");
    faults
        .on(Method::GET, "/api/logs")
        .respond_status(StatusCode::SERVICE_UNAVAILABLE);
    faults.on(Method::GET, "/api/logs").inject(Fault::json(
        StatusCode::OK,
        &serde_json::json!({"values": []}),
    ));

    identity
        .list_logs()
        .okta_filter("actor.id eq \"QUERY-VALUE-PLANTED\"")
        .send()
        .await
        .unwrap();

    let port = emulator.addr().port().to_string();
    let calls = capture.spans("invoke");
    assert_eq!(calls.len(), 1, "{calls:#?}");
    eprintln!("invoke span: {:#?}", calls[0].fields);
    assert_eq!(
        calls[0].fields,
        fields(&[
            ("otel.name", "list_logs"),
            ("otel.kind", "client"),
            ("http.request.method", "GET"),
            ("server.address", "127.0.0.1"),
            ("server.port", &port),
            ("url.template", "/api/logs"),
            ("http.response.status_code", "200"),
            ("attempts", "3"),
            ("retried", "true"),
        ])
    );
    let retries = capture.events_in("invoke");
    let retries: Vec<_> = retries
        .iter()
        .filter(|e| e.get("message").map(String::as_str) == Some("retrying"))
        .collect();
    eprintln!("retry events: {retries:#?}");
    let reason = "the service answered 503 Service Unavailable";
    assert_eq!(
        retries,
        [
            &fields(&[
                ("message", "retrying"),
                ("attempt", "1"),
                ("reason", reason),
                ("error.type", "503"),
                ("wait_ms", "1000"),
            ]),
            &fields(&[
                ("message", "retrying"),
                ("attempt", "2"),
                ("reason", reason),
                ("error.type", "503"),
                ("wait_ms", "400"),
            ]),
        ],
        "Retry-After first, then the second backoff"
    );
    // Each answer at DEBUG: its status and how long it took, nothing from the request.
    let answers: Vec<_> = capture
        .events_in("invoke")
        .into_iter()
        .filter(|e| e.get("message").map(String::as_str) == Some("answer"))
        .collect();
    let statuses: Vec<_> = answers.iter().map(|e| e["status"].as_str()).collect();
    assert_eq!(statuses, ["503", "503", "200"], "{answers:#?}");
    for answer in &answers {
        let keys: Vec<_> = answer.keys().map(String::as_str).collect();
        assert_eq!(keys, ["elapsed_ms", "message", "status"], "{answer:#?}");
    }

    let tokens = capture.spans("token_request");
    assert_eq!(tokens.len(), 1, "{tokens:#?}");
    eprintln!("token_request span: {:#?}", tokens[0].fields);
    assert_eq!(
        tokens[0].fields,
        fields(&[
            ("otel.name", "token_request"),
            ("otel.kind", "client"),
            ("grant", "password"),
            ("http.request.method", "POST"),
            ("server.address", "127.0.0.1"),
            ("server.port", &port),
            ("url.template", "/oauth2/token"),
            ("http.response.status_code", "200"),
            ("attempts", "1"),
            ("retried", "false"),
        ])
    );

    let everything = capture.everything();
    for secret in secrets(&emulator) {
        assert!(!everything.contains(&secret), "{secret} in {everything}");
    }
    assert!(!everything.contains("QUERY-VALUE-PLANTED"), "{everything}");
}

#[tokio::test(start_paused = true)]
async fn a_failed_call_says_its_error_type_and_a_refused_token_request_its_status() {
    let emulator = Emulator::start().await.unwrap();
    let (identity, capture, _guard) = traced(&emulator);
    emulator
        .faults()
        .on(Method::GET, "/api/users/{id}")
        .respond_status(StatusCode::NOT_FOUND);
    let error = identity
        .get_user()
        .id("00u-nobody")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(reqwest::StatusCode::NOT_FOUND));
    let calls = capture.spans("invoke");
    assert_eq!(calls.len(), 1);
    let call = &calls[0].fields;
    assert_eq!(call["url.template"], "/api/users/{id}");
    assert_eq!(call["http.response.status_code"], "404");
    assert_eq!(call["error.type"], "404");
    assert_eq!(call["attempts"], "1");
    assert_eq!(call["retried"], "false");
    assert!(!capture.everything().contains("00u-nobody"));

    // A token endpoint that refuses: the call fails without an attempt, the token request
    // says why.
    let (identity, capture, _guard) = traced(&emulator);
    emulator
        .faults()
        .on_token_endpoint()
        .respond_status(StatusCode::UNAUTHORIZED);
    let error = identity.get_user_info().send().await.unwrap_err();
    assert!(matches!(error, Error::Authentication(_)), "{error:?}");
    let call = &capture.spans("invoke")[0].fields;
    assert_eq!(call["error.type"], "authentication");
    assert!(!call.contains_key("attempts"), "no attempt without a token");
    let token = &capture.spans("token_request")[0].fields;
    assert_eq!(token["error.type"], "401");
    assert_eq!(token["http.response.status_code"], "401");
    assert_eq!(token["attempts"], "1");
}
