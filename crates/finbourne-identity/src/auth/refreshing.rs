//! Tokens from any [`TokenProvider`] kept fresh: one request for a token at a time, its outcome
//! shared by every caller waiting for it, as google-cloud-auth's token cache does.
//!
//! The request in flight is a [`Shared`] future owned by its waiters alone. Whichever waiter is
//! polled drives it, so a caller that gives up (its future dropped at its deadline) strands
//! nobody; once the last waiter is gone the request is dropped with it, so it never outlives
//! the latest deadline of those who wanted it.
//!
//! A provider that panics fails its request like any failure: a panic let through would poison
//! the shared request, and every caller joining it until its last waiter left would panic too.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared, WeakShared};
use reqwest::header::HeaderValue;
use tokio::time::Instant;

use super::provider::panicked;
use super::{AuthError, Token, TokenProvider, bearer};

/// The official SDKs refresh this long before expiry.
const REFRESH_AHEAD: Duration = Duration::from_secs(60);
/// How long a failed token request stays the answer. Callers arriving just after a failure
/// would otherwise each send a request of their own, and a refusal (wrong password, endpoint
/// down) would cost one request per call instead of one per second.
const FAILURE_HOLD: Duration = Duration::from_secs(1);
/// The longest a `Retry-After` keeps a failure standing: a mistaken date cannot lock the
/// client out for more than this.
const MAX_FAILURE_HOLD: Duration = Duration::from_secs(120);

type Outcome = Result<HeaderValue, AuthError>;
type Flight = BoxFuture<'static, Outcome>;

/// Whether a token is renewed ahead of its expiry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ahead {
    /// 60 s ahead, or at half-life for shorter-lived tokens: for real expiries.
    Refresh,
    /// At the expiry itself: for sources whose "expiry" is when to look again (a token file).
    AtExpiry,
}

pub(crate) struct TokenCache {
    inner: Arc<Inner>,
}

/// What the flight shares with the callers; the flight holds it so that it needs no caller.
struct Inner {
    provider: Arc<dyn TokenProvider>,
    ahead: Ahead,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    current: Option<Current>,
    /// The token request in flight. Weak: the waiters own it, so it is dropped with the last.
    flight: Option<WeakShared<Flight>>,
    /// The last token request's failure, and until when it is every caller's answer.
    failure: Option<(AuthError, Instant)>,
}

struct Current {
    bearer: HeaderValue,
    /// When to stop using `bearer`: ahead of its expiry; `None` for a token without one.
    use_until: Option<Instant>,
    /// When `bearer` itself expires, for sources whose expiry is real ([`Ahead::Refresh`]).
    expires_at: Option<Instant>,
}

impl TokenCache {
    pub(crate) fn new(provider: Arc<dyn TokenProvider>, ahead: Ahead) -> Self {
        Self {
            inner: Arc::new(Inner {
                provider,
                ahead,
                state: Mutex::default(),
            }),
        }
    }

    /// The token held now when it is not about to expire: no wait and no request.
    pub(crate) fn fresh(&self) -> Option<HeaderValue> {
        self.inner.lock().fresh()
    }

    /// A token that is not about to expire, fetching one when needed.
    pub(crate) async fn bearer(&self) -> Outcome {
        let flight = {
            let mut state = self.inner.lock();
            if let Some(bearer) = state.fresh() {
                return Ok(bearer);
            }
            self.join(&mut state)?
        };
        flight.await
    }

    /// A value other than `rejected`, which the API answered 401 to.
    pub(crate) async fn renew(&self, rejected: &HeaderValue) -> Outcome {
        let flight = {
            let mut state = self.inner.lock();
            if let Some(bearer) = state.fresh().filter(|bearer| bearer != rejected) {
                return Ok(bearer);
            }
            self.join(&mut state)?
        };
        flight.await
    }

    /// When the token held now expires: `None` before the first token, for a token whose end
    /// is not known, and for a token file's.
    pub(crate) fn expires_at(&self) -> Option<Instant> {
        self.inner.lock().current.as_ref()?.expires_at
    }

    /// The failure that still stands, else the token request in flight, else a new one.
    fn join(&self, state: &mut State) -> Result<Shared<Flight>, AuthError> {
        if let Some((error, until)) = &state.failure
            && Instant::now() < *until
        {
            return Err(error.clone());
        }
        if let Some(flight) = state.flight.as_ref().and_then(WeakShared::upgrade) {
            return Ok(flight);
        }
        let flight = Arc::clone(&self.inner).fly().boxed().shared();
        state.flight = flight.downgrade();
        Ok(flight)
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One token request, start to end; its outcome is every waiter's.
    async fn fly(self: Arc<Self>) -> Outcome {
        // Inside the async block, a panic of `token()` itself is caught as well as one of the
        // future it returns. Unwind safety: the cache's state is not touched until the request
        // has ended, and a provider that panicked is simply asked again later.
        let fetched = AssertUnwindSafe(async { self.provider.token().await })
            .catch_unwind()
            .await
            .unwrap_or_else(|payload| Err(panicked(&*self.provider, &*payload)));
        let mut state = self.lock();
        // Cleared here, not left for the weak reference to lapse: a waiter still holding this
        // finished flight would otherwise hand its outcome to callers arriving much later.
        state.flight = None;
        let outcome = fetched.and_then(|token| state.store(&token, self.ahead));
        state.failure = outcome.as_ref().err().map(|error| {
            let hold = error.retry_after.map_or(FAILURE_HOLD, |wait| {
                wait.clamp(FAILURE_HOLD, MAX_FAILURE_HOLD)
            });
            (error.clone(), Instant::now() + hold)
        });
        outcome
    }
}

impl State {
    fn fresh(&self) -> Option<HeaderValue> {
        self.current
            .as_ref()
            .filter(|c| c.use_until.is_none_or(|until| Instant::now() < until))
            .map(|c| c.bearer.clone())
    }

    fn store(&mut self, token: &Token, ahead: Ahead) -> Outcome {
        let value = bearer(token.secret())?;
        let use_until = token.expires_at().map(|expires_at| {
            let lifetime = expires_at.saturating_duration_since(Instant::now());
            // Short-lived tokens (tests, odd providers) refresh at half-life instead of 60 s
            // ahead.
            match ahead {
                Ahead::Refresh => expires_at - REFRESH_AHEAD.min(lifetime / 2),
                Ahead::AtExpiry => expires_at,
            }
        });
        self.current = Some(Current {
            bearer: value.clone(),
            use_until,
            // A token file's "expiry" is only when to read it again.
            expires_at: token.expires_at().filter(|_| ahead == Ahead::Refresh),
        });
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use finbourne_identity_emulator::http::{
        HeaderMap, HeaderValue as Value, StatusCode as Status,
    };
    use finbourne_identity_emulator::{Emulator, Fault};
    use tokio::task::JoinSet;

    use super::super::OAuthGrant;
    use super::super::test_support::{endpoint_at, http};
    use super::*;

    const CALLERS: usize = 200;

    /// The password grant at the emulator, cached.
    fn token(emulator: &Emulator) -> Arc<TokenCache> {
        let endpoint = endpoint_at(emulator, emulator.token_url(), http());
        let grant = OAuthGrant::new(Arc::new(endpoint));
        Arc::new(TokenCache::new(Arc::new(grant), Ahead::Refresh))
    }

    /// `CALLERS` concurrent calls of `bearer`, each on its own task.
    async fn callers(token: &Arc<TokenCache>) -> Vec<Outcome> {
        let mut calls = JoinSet::new();
        for _ in 0..CALLERS {
            let token = Arc::clone(token);
            calls.spawn(async move { token.bearer().await });
        }
        calls.join_all().await
    }

    fn rate_limited(retry_after: &'static str) -> Fault {
        Fault::status(Status::TOO_MANY_REQUESTS).with_header(
            reqwest::header::RETRY_AFTER,
            Value::from_static(retry_after),
        )
    }

    fn flight_alive(token: &TokenCache) -> bool {
        token
            .inner
            .lock()
            .flight
            .as_ref()
            .and_then(WeakShared::upgrade)
            .is_some()
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_is_one_request_for_every_waiter_and_stands_for_a_second() {
        let emulator = Emulator::start().await.unwrap();
        emulator
            .faults()
            .on_token_endpoint()
            .always()
            .inject(Fault::json(
                Status::UNAUTHORIZED,
                &serde_json::json!({"error": "invalid_client"}),
            ));
        let token = token(&emulator);
        let outcomes = callers(&token).await;
        assert_eq!(outcomes.len(), CALLERS);
        for outcome in outcomes {
            let error = outcome.expect_err("an authentication error");
            assert_eq!(error.status(), Some(Status::UNAUTHORIZED));
            assert_eq!(error.oauth_error(), Some("invalid_client"));
        }
        assert_eq!(emulator.counters().token_requests(), 1);

        tokio::time::advance(Duration::from_millis(900)).await;
        let late = token.bearer().await.expect_err("the same failure");
        assert_eq!(late.oauth_error(), Some("invalid_client"));
        assert_eq!(
            emulator.counters().token_requests(),
            1,
            "answered from memory"
        );
        tokio::time::advance(Duration::from_millis(200)).await;
        token.bearer().await.expect_err("refused again");
        assert_eq!(
            emulator.counters().token_requests(),
            2,
            "asked again after 1 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_share_the_retries_of_a_rate_limited_request() {
        let emulator = Emulator::start().await.unwrap();
        emulator
            .faults()
            .on_token_endpoint()
            .always()
            .inject(rate_limited("1"));
        let token = token(&emulator);
        let started = Instant::now();
        let impatient = tokio::spawn({
            let token = Arc::clone(&token);
            async move { tokio::time::timeout(Duration::from_millis(1500), token.bearer()).await }
        });
        let outcomes = callers(&token).await;
        assert!(impatient.await.unwrap().is_err(), "left at its deadline");
        for outcome in outcomes {
            let error = outcome.expect_err("rate-limited");
            assert_eq!(error.status(), Some(Status::TOO_MANY_REQUESTS));
        }
        assert_eq!(emulator.counters().token_requests(), 5, "5 tries in all");
        assert_eq!(
            started.elapsed().as_secs(),
            4,
            "Retry-After: 1 between tries"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_retry_after_is_given_up_at_once_and_stands_at_most_two_minutes() {
        let emulator = Emulator::start().await.unwrap();
        emulator
            .faults()
            .on_token_endpoint()
            .always()
            .inject(rate_limited("3600"));
        let token = token(&emulator);
        assert!(token.bearer().await.is_err());
        assert_eq!(emulator.counters().token_requests(), 1);
        tokio::time::advance(Duration::from_secs(119)).await;
        assert!(token.bearer().await.is_err());
        assert_eq!(emulator.counters().token_requests(), 1, "still standing");
        tokio::time::advance(Duration::from_secs(2)).await;
        emulator.faults().clear();
        assert!(token.bearer().await.is_ok());
        assert_eq!(emulator.counters().token_requests(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_giving_up_strands_none_of_the_others() {
        let emulator = Emulator::start().await.unwrap();
        emulator
            .faults()
            .on_token_endpoint()
            .delay(Duration::from_millis(100));
        let token = token(&emulator);
        let starter = tokio::spawn({
            let token = Arc::clone(&token);
            async move { tokio::time::timeout(Duration::from_millis(5), token.bearer()).await }
        });
        while !flight_alive(&token) {
            tokio::task::yield_now().await;
        }
        let outcomes = callers(&token).await;
        assert!(starter.await.unwrap().is_err(), "the starter left at 5 ms");
        assert!(
            outcomes.iter().all(Result::is_ok),
            "the others got the token"
        );
        assert_eq!(emulator.counters().token_requests(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_nobody_waits_for_any_more_is_dropped() {
        let emulator = Emulator::start().await.unwrap();
        emulator
            .faults()
            .on_token_endpoint()
            .delay(Duration::from_millis(100));
        let token = token(&emulator);
        let gave_up = tokio::time::timeout(Duration::from_millis(5), token.bearer()).await;
        assert!(gave_up.is_err());
        assert!(!flight_alive(&token), "dropped with its last waiter");
        assert!(token.bearer().await.is_ok(), "no failure is remembered");
        assert_eq!(emulator.counters().token_requests(), 2);
    }

    /// A provider whose first token request panics once it has been polled twice (so that a
    /// caller can leave it pending), and whose later ones give `fixed`.
    #[derive(Default)]
    struct PanicsFirst {
        asked: AtomicUsize,
    }

    impl std::fmt::Debug for PanicsFirst {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("PanicsFirst")
        }
    }

    impl TokenProvider for PanicsFirst {
        fn token(&self) -> super::super::TokenFuture<'_> {
            let first = self.asked.fetch_add(1, Ordering::SeqCst) == 0;
            Box::pin(async move {
                tokio::task::yield_now().await;
                if first {
                    panic!("the vault\u{1b}[2J exploded");
                }
                Ok(Token::new("fixed", None))
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_provider_is_a_failure_for_every_waiter_and_is_asked_again() {
        let provider = Arc::new(PanicsFirst::default());
        let token = TokenCache::new(Arc::clone(&provider) as _, Ahead::Refresh);
        // A call that started the token request and is then held, not polled again.
        let mut held = std::pin::pin!(token.bearer());
        assert!(
            (&mut held).now_or_never().is_none(),
            "waiting on the provider"
        );

        let expected = "the token provider PanicsFirst panicked: the vault\\u{1b}[2J exploded";
        // This caller drives the request the held one started, and the provider panics in it.
        let error = token.bearer().await.expect_err("the panic, as a failure");
        assert_eq!(error.to_string(), expected);
        // Callers arriving while the held call still owns the finished request get the
        // failure, not a panic of their own.
        let error = token.bearer().await.expect_err("the failure stands");
        assert_eq!(error.to_string(), expected);
        let error = held.await.expect_err("the held call shares it");
        assert_eq!(error.to_string(), expected);
        assert_eq!(provider.asked.load(Ordering::SeqCst), 1);

        // Held for a second, as any failure; then the provider is asked again.
        tokio::time::advance(FAILURE_HOLD).await;
        assert_eq!(token.bearer().await.unwrap(), "Bearer fixed");
        assert_eq!(provider.asked.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_while_the_provider_is_called_is_a_failure_too() {
        #[derive(Debug)]
        struct PanicsAtOnce;
        impl TokenProvider for PanicsAtOnce {
            fn token(&self) -> super::super::TokenFuture<'_> {
                panic!("no future at all");
            }
        }
        let token = TokenCache::new(Arc::new(PanicsAtOnce), Ahead::Refresh);
        let error = token.bearer().await.expect_err("the panic, as a failure");
        assert_eq!(
            error.to_string(),
            "the token provider PanicsAtOnce panicked: no future at all"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_are_refreshed_60_s_ahead_with_basic_auth() {
        let emulator = Emulator::start().await.unwrap();
        let token = token(&emulator);
        let first = token.bearer().await.unwrap();
        tokio::time::advance(Duration::from_secs(3539)).await;
        assert_eq!(token.bearer().await.unwrap(), first);
        assert_eq!(emulator.counters().token_requests(), 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_ne!(token.bearer().await.unwrap(), first);

        let counters = emulator.counters();
        assert_eq!(
            (
                counters.token_requests_password,
                counters.token_requests_refresh_token
            ),
            (1, 1)
        );
        let refresh = emulator.journal().pop().unwrap();
        assert_eq!(
            refresh.form_field("grant_type").as_deref(),
            Some("refresh_token")
        );
        assert!(
            refresh
                .header("authorization")
                .unwrap()
                .starts_with("Basic ")
        );
        assert_eq!(refresh.form_field("client_secret"), None);
        assert_eq!(
            refresh.form_field("scope").as_deref(),
            Some("openid client groups offline_access")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn short_lived_tokens_are_refreshed_at_half_life() {
        let emulator = Emulator::builder()
            .token_lifetime(Duration::from_secs(10))
            .start()
            .await
            .unwrap();
        let token = token(&emulator);
        let first = token.bearer().await.unwrap();
        tokio::time::advance(Duration::from_millis(4900)).await;
        assert_eq!(token.bearer().await.unwrap(), first);
        tokio::time::advance(Duration::from_millis(200)).await;
        assert_ne!(token.bearer().await.unwrap(), first);
        assert_eq!(emulator.counters().token_requests(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_refresh_token_signs_in_again() {
        let emulator = Emulator::builder()
            .token_lifetime(Duration::from_secs(10))
            .start()
            .await
            .unwrap();
        let token = token(&emulator);
        let first = token.bearer().await.unwrap();
        emulator.revoke_all_refresh_tokens();
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_ne!(token.bearer().await.unwrap(), first);
        let counters = emulator.counters();
        assert_eq!(
            (
                counters.token_requests_password,
                counters.token_requests_refresh_token
            ),
            (2, 1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limited_refresh_is_not_taken_for_a_rejection() {
        let emulator = Emulator::builder()
            .token_lifetime(Duration::from_secs(10))
            .start()
            .await
            .unwrap();
        let token = token(&emulator);
        token.bearer().await.unwrap();
        emulator.faults().on_token_endpoint().always().respond(
            Status::TOO_MANY_REQUESTS,
            HeaderMap::new(),
            "",
        );
        tokio::time::advance(Duration::from_secs(6)).await;
        let error = token.bearer().await.expect_err("rate-limited");
        assert_eq!(error.status(), Some(Status::TOO_MANY_REQUESTS));
        let counters = emulator.counters();
        assert_eq!(
            (
                counters.token_requests_password,
                counters.token_requests_refresh_token
            ),
            (1, 5),
            "no password grant after the refresh's 429s"
        );
    }
}
