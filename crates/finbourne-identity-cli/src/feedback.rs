//! What a person sees while a call runs and when it fails on the way: colour choice, `-v`
//! tracing, a spinner for slow calls, a line per retry, and the explanations of a connection
//! that could not be made and of the total timeout.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use finbourne_identity::config::{Setting, Source};
use finbourne_identity::{Config, Delivery, Error, TimeoutLimit};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::output::{escape, note};

/// How long a call runs before the spinner appears: quicker calls show nothing.
pub const SPINNER_AFTER: Duration = Duration::from_millis(300);

/// `--color`: whether text for a terminal may hold colour codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// The choice in `--color` (given as `--color X` or `--color=X`) among the raw arguments,
    /// read before clap parses them so that clap's own help and errors follow it too.
    pub fn from_args(args: &[std::ffi::OsString]) -> Color {
        let mut choice = Color::Auto;
        let mut args = args.iter().map(|a| a.to_string_lossy());
        while let Some(arg) = args.next() {
            let value = match arg.strip_prefix("--color") {
                Some("") => args.next().map(|v| v.into_owned()),
                Some(rest) => rest.strip_prefix('=').map(str::to_owned),
                None => None,
            };
            match value.as_deref() {
                Some("always") => choice = Color::Always,
                Some("never") => choice = Color::Never,
                Some("auto") => choice = Color::Auto,
                _ => {}
            }
        }
        choice
    }

    /// clap's equivalent.
    pub fn for_clap(self) -> clap::ColorChoice {
        match self {
            Color::Auto => clap::ColorChoice::Auto,
            Color::Always => clap::ColorChoice::Always,
            Color::Never => clap::ColorChoice::Never,
        }
    }

    /// Whether standard error gets colour: as asked, else only on a terminal and without a
    /// non-empty `NO_COLOR` (<https://no-color.org>).
    pub fn on_stderr(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        }
    }
}

/// Installs the tracing subscriber: the retry lines always, and with `-v` the SDK's request
/// tracing (`-vv`: everything, at trace level), coloured only as `color` allows.
pub fn init(verbosity: u8, color: Color) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let retries = RetryLines
        .with_filter(Targets::new().with_target("finbourne_identity::retry", LevelFilter::DEBUG));
    let verbose = match verbosity {
        0 => None,
        1 => Some(Targets::new().with_target("finbourne_identity", LevelFilter::DEBUG)),
        _ => Some(Targets::new().with_default(LevelFilter::TRACE)),
    }
    .map(|filter| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            // Its report of a failed write is an `eprintln!`, which panics on a failing
            // standard error: a trace that cannot be written is dropped.
            .log_internal_errors(false)
            .with_ansi(color.on_stderr())
            .with_filter(filter)
    });
    tracing_subscriber::registry()
        .with(retries)
        .with(verbose)
        .init();
}

/// The spinner on screen, if any: retry lines are printed above it.
static SPINNER: Mutex<Option<ProgressBar>> = Mutex::new(None);
/// Set once the answer has started to print: no spinner may then appear among it.
static PRINTING: AtomicBool = AtomicBool::new(false);
/// The attempts the last request made, as its retry events told.
static ATTEMPTS: AtomicU32 = AtomicU32::new(1);

/// Runs `call`, showing a spinner on standard error when it is a terminal and the call takes
/// longer than [`SPINNER_AFTER`]. The spinner is gone when this returns.
pub async fn busy<F: Future>(what: &str, call: F) -> F::Output {
    if !std::io::stderr().is_terminal() {
        return call.await;
    }
    let mut call = std::pin::pin!(call);
    tokio::select! {
        output = &mut call => return output,
        () = tokio::time::sleep(SPINNER_AFTER) => {}
    }
    if PRINTING.load(Ordering::SeqCst) {
        return call.await;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("a valid template")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "),
    );
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    *lock() = Some(bar);
    let output = call.await;
    stop_spinner();
    output
}

/// Removes the spinner for good, before the answer is printed on the same terminal.
pub fn stop_spinner() {
    PRINTING.store(true, Ordering::SeqCst);
    if let Some(bar) = lock().take() {
        bar.finish_and_clear();
    }
}

fn lock() -> std::sync::MutexGuard<'static, Option<ProgressBar>> {
    SPINNER.lock().unwrap_or_else(|p| p.into_inner())
}

/// A line on standard error that the spinner, if any, does not overwrite.
fn say(line: &str) {
    match lock().as_ref() {
        Some(bar) => bar.suspend(|| note(line)),
        None => note(line),
    }
}

/// Turns the SDK's retry events into one line each: why, and how long until the next attempt.
struct RetryLines;

#[derive(Default)]
struct RetryFields {
    message: Option<String>,
    attempt: Option<u64>,
    reason: Option<String>,
    wait_ms: Option<u64>,
}

impl Visit for RetryFields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "attempt" => self.attempt = Some(value),
            "wait_ms" => self.wait_ms = Some(value),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = Some(format!("{value:?}")),
            "reason" => self.reason = Some(format!("{value:?}")),
            _ => {}
        }
    }
}

impl<S: Subscriber> Layer<S> for RetryLines {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = RetryFields::default();
        event.record(&mut fields);
        let attempt = u32::try_from(fields.attempt.unwrap_or(1)).unwrap_or(u32::MAX);
        match fields.message.as_deref() {
            Some("retrying") => {
                ATTEMPTS.store(attempt.saturating_add(1), Ordering::SeqCst);
                let wait = Duration::from_millis(fields.wait_ms.unwrap_or(0));
                say(&format!(
                    "retrying in {}: attempt {attempt} failed, {}",
                    shown(wait),
                    escape(fields.reason.as_deref().unwrap_or("for a reason not told"))
                ));
            }
            Some(message) if message.starts_with("not retrying") => {
                ATTEMPTS.store(attempt, Ordering::SeqCst);
            }
            _ => {}
        }
    }
}

/// A duration as people write it (and `--timeout` reads it): `1.5s`, `200ms`, `2m`, `2h`, `1d`.
pub fn shown(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms.is_multiple_of(86_400_000) {
        format!("{}d", ms / 86_400_000)
    } else if ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

/// What the client was configured with, for the explanations below.
struct Settings {
    url: String,
    url_source: String,
    total_timeout: Option<Duration>,
    timeout_source: String,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Keeps what the explanations of network failures quote from `config`.
pub fn remember(config: &Config) {
    let source = |setting: Setting| {
        config
            .origins()
            .iter()
            .find(|o| o.setting == setting)
            .and_then(|o| o.source.as_ref())
            .map_or_else(String::new, |source| match source {
                Source::Explicit if setting == Setting::TotalTimeoutMs => "--timeout".to_owned(),
                Source::Explicit => "a command-line option".to_owned(),
                other => other.to_string(),
            })
    };
    let _ = SETTINGS.set(Settings {
        url: config.identity_url.to_string(),
        url_source: source(Setting::IdentityUrl),
        total_timeout: config.timeouts.total,
        timeout_source: source(Setting::TotalTimeoutMs),
    });
}

/// The message for a network failure or timeout `error`, which `message` (the error with its
/// causes) states: for a request that never left, which URL, after how many attempts and what
/// to check; for the total timeout, what it covers and the value used.
pub fn explain_network(error: &Error, message: String) -> String {
    let Some(settings) = SETTINGS.get() else {
        return message;
    };
    match error {
        Error::Transport(transport) if transport.delivery() == Delivery::NotSent => {
            let attempts = ATTEMPTS.load(Ordering::SeqCst);
            let tries = if attempts == 1 {
                "1 attempt".to_owned()
            } else {
                format!("{attempts} attempts")
            };
            format!(
                "cannot connect to {} after {tries}: {message}\n\
                 check the URL (identity API URL from {}; `fbn-identity config show` lists every setting), \
                 that the service is running there, and that this machine can reach it (network, VPN, FBN_PROXY_ADDRESS)",
                escape(&settings.url),
                settings.url_source,
            )
        }
        Error::Timeout(timeout) if timeout.limit() == TimeoutLimit::Total => {
            match settings.total_timeout {
                Some(limit) => format!(
                    "{message}: the limit of {} (from {}) covers the whole call: the token request, \
                     every attempt and every wait between retries; allow more with --timeout, e.g. --timeout {}",
                    shown(limit),
                    settings.timeout_source,
                    shown(limit.saturating_mul(2).max(Duration::from_secs(1))),
                ),
                None => message,
            }
        }
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_color_flag_is_read_in_either_form_and_the_last_wins() {
        let args = |list: &[&str]| list.iter().map(Into::into).collect::<Vec<_>>();
        assert_eq!(
            Color::from_args(&args(&["x", "--color", "never"])),
            Color::Never
        );
        assert_eq!(Color::from_args(&args(&["--color=always"])), Color::Always);
        assert_eq!(
            Color::from_args(&args(&["--color=always", "--color", "auto"])),
            Color::Auto
        );
        assert_eq!(Color::from_args(&args(&["--colour"])), Color::Auto);
        assert!(!Color::Never.on_stderr());
        assert!(Color::Always.on_stderr());
    }

    #[test]
    fn durations_read_as_typed() {
        assert_eq!(shown(Duration::from_millis(250)), "250ms");
        assert_eq!(shown(Duration::from_secs(30)), "30s");
        assert_eq!(shown(Duration::from_secs(120)), "2m");
        assert_eq!(shown(Duration::from_millis(1500)), "1.5s");
        assert_eq!(shown(Duration::from_secs(7200)), "2h");
        assert_eq!(shown(Duration::from_secs(90 * 60)), "90m");
        assert_eq!(shown(Duration::from_secs(86_400)), "1d");
    }
}
