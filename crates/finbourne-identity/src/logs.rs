//! Following the system log: [`Call::follow`] on `list_logs` and `list_user_logs`.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, Utc};
use finbourne_identity_client::builder as raw;
use finbourne_identity_client::operations::Operation;
use finbourne_identity_client::types::{ResourceListOfSystemLog, SystemLog};
use futures_util::stream::{self, Stream, StreamExt};

use crate::call::{Call, CallOptions, Requests, run};
use crate::error::Error;
use crate::identity_client::IdentityClient;

mod sealed {
    use chrono::{DateTime, Utc};

    /// A paged operation of system log events that can be asked for the events since a time:
    /// `ListLogs` and `ListUserLogs`.
    pub trait LogOperation<'a>:
        crate::paging::PagedOperation<
            'a,
            Output = finbourne_identity_client::types::ResourceListOfSystemLog,
            Item = finbourne_identity_client::types::SystemLog,
        >
    {
        /// The builder asking for the events published at `since` or later, with no page token.
        fn since(self, since: DateTime<Utc>) -> Self;
    }
}

use sealed::LogOperation;

impl<'a> LogOperation<'a> for raw::ListLogs<'a> {
    fn since(self, since: DateTime<Utc>) -> Self {
        self.set_okta_after(None).okta_since(since)
    }
}

impl<'a> LogOperation<'a> for raw::ListUserLogs<'a> {
    fn since(self, since: DateTime<Utc>) -> Self {
        self.set_okta_after(None).okta_since(since)
    }
}

/// The shortest wait between two polls: [`Follow::poll_interval`] never asks more often.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// The longest wait between two polls: [`Follow::poll_interval`] never waits longer.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(3600);
/// The wait between two polls unless [`Follow::poll_interval`] says otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(15);

impl<'a, R> Call<'a, R>
where
    R: LogOperation<'a>,
{
    /// The events of the log as they come: every page there is now, then, forever, a poll
    /// every [`poll_interval`](Follow::poll_interval) for events published since. The stream
    /// ends when it is dropped (or after an error that asking again cannot mend); see
    /// [`Follow`].
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// use std::time::Duration;
    ///
    /// let mut events = identity
    ///     .list_logs()
    ///     .okta_since(chrono::Utc::now() - chrono::Duration::minutes(5))
    ///     .okta_sort_order("ASCENDING")
    ///     .follow()
    ///     .poll_interval(Duration::from_secs(30));
    /// while let Some(event) = events.try_next().await? {
    ///     println!("{:?} {:?}", event.published, event.display_message);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn follow(self) -> Follow<'a> {
        let interval = Arc::new(AtomicU64::new(millis(DEFAULT_POLL_INTERVAL)));
        let (identity, raw, options) = self.into_parts();
        let state = FollowState {
            identity,
            operation: R::operation(),
            options,
            request: Box::new(move |ask| {
                Box::new(match ask {
                    Ask::First => raw.clone(),
                    Ask::Token(token) => raw.clone().with_token(token),
                    Ask::Since(since) => raw.clone().since(since),
                })
            }),
            decode: R::decode,
            interval: interval.clone(),
            ask: Ask::First,
            wait: false,
            ready: VecDeque::new(),
            latest: None,
            tokens: HashSet::new(),
            ended: false,
        };
        Follow {
            inner: Box::pin(stream::unfold(state, follow_step)),
            interval,
        }
    }
}

/// A stream of log events that does not end: [`Call::follow`] returns it.
///
/// It asks for every page there is, at once, one call each with the call's settings (as
/// [`Pages`](crate::Pages)). Then it polls: after [`poll_interval`](Self::poll_interval), it
/// asks again, with the page token the service gave last (as Okta's polling does) or, when
/// the last page gave none, for the events published since the newest one it has, leaving out
/// those it has given already (by `uuid`). A poll that brings no event waits the interval
/// before the next; a page that brings events is followed at once.
///
/// An error is given to the caller; the stream then goes on polling when asking again may
/// mend it ([`Error::is_retryable`]: the call's own retries were used up on a busy or
/// unreachable service), and ends otherwise. It ends when dropped: it runs nothing on its own.
///
/// Events come in the order the service sends them: ask for `ASCENDING` order
/// (`okta_sort_order`), as Okta requires for polling, and set no `okta_until`.
#[must_use = "a stream does nothing until it is polled"]
pub struct Follow<'a> {
    inner: Pin<Box<dyn Stream<Item = Result<SystemLog, Error>> + Send + 'a>>,
    interval: Arc<AtomicU64>,
}

impl<'a> Follow<'a> {
    /// How long to wait before asking again when a poll brings nothing new: at least
    /// [`MIN_POLL_INTERVAL`] (1 s) and at most [`MAX_POLL_INTERVAL`] (1 h); 15 s unless set.
    /// It also applies to a stream already being polled, from its next wait.
    ///
    /// ```
    /// # async fn run(identity: finbourne_identity::IdentityClient) {
    /// use std::time::Duration;
    ///
    /// let events = identity.list_user_logs().follow().poll_interval(Duration::from_secs(60));
    /// # let _ = events;
    /// # }
    /// ```
    pub fn poll_interval(self, every: Duration) -> Self {
        let every = every.clamp(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL);
        self.interval.store(millis(every), Ordering::Relaxed);
        self
    }

    /// The next event, or the error that ended the stream; it never ends otherwise.
    pub async fn try_next(&mut self) -> Result<Option<SystemLog>, Error> {
        self.inner.next().await.transpose()
    }

    /// The next event or error.
    pub async fn next(&mut self) -> Option<Result<SystemLog, Error>> {
        self.inner.next().await
    }
}

impl Stream for Follow<'_> {
    type Item = Result<SystemLog, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for Follow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Follow")
            .field(
                "poll_interval",
                &Duration::from_millis(self.interval.load(Ordering::Relaxed)),
            )
            .finish_non_exhaustive()
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What to ask the service for next.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ask {
    /// The call as the caller set it.
    First,
    /// The page this token names.
    Token(String),
    /// The events published at this time or later.
    Since(DateTime<Utc>),
}

/// How many page tokens a follower remembers to tell a new page from one it had.
const TOKENS_KEPT: usize = 1024;

struct FollowState<'a> {
    identity: &'a IdentityClient,
    operation: &'static Operation,
    options: CallOptions,
    /// The builder of the page or poll `Ask` names.
    request: Box<dyn Fn(Ask) -> Box<dyn Requests + 'a> + Send + 'a>,
    decode: fn(&[u8]) -> Result<ResourceListOfSystemLog, Error>,
    interval: Arc<AtomicU64>,
    ask: Ask,
    /// Wait the interval before asking.
    wait: bool,
    /// Events received and not yet given.
    ready: VecDeque<SystemLog>,
    /// The newest publication time given, and the ids of the events given with it.
    latest: Option<(DateTime<Utc>, HashSet<String>)>,
    /// Page tokens received: one received again means nothing new yet.
    tokens: HashSet<String>,
    ended: bool,
}

impl FollowState<'_> {
    /// Takes the events of a page the service gave for `asked`, and decides what to ask next.
    fn take(&mut self, asked: &Ask, page: ResourceListOfSystemLog) {
        let since = matches!(asked, Ask::Since(_));
        let before = self.ready.len();
        for event in page.values {
            if let (Some(published), Some(uuid)) = (event.published, event.uuid.as_ref()) {
                match &mut self.latest {
                    Some((at, ids)) if published == *at => {
                        if !ids.insert(uuid.clone()) && since {
                            continue; // given already, by the poll before
                        }
                    }
                    Some((at, _)) if published < *at => {}
                    _ => self.latest = Some((published, HashSet::from([uuid.clone()]))),
                }
            } else if let Some(published) = event.published
                && self.latest.as_ref().is_none_or(|(at, _)| published > *at)
            {
                self.latest = Some((published, HashSet::new()));
            }
            self.ready.push_back(event);
        }
        let new_events = self.ready.len() > before;
        match page.next_page.filter(|token| !token.is_empty()) {
            Some(token) if *asked != Ask::Token(token.clone()) && !self.tokens.contains(&token) => {
                if self.tokens.len() >= TOKENS_KEPT {
                    self.tokens.clear();
                }
                self.tokens.insert(token.clone());
                self.ask = Ask::Token(token);
                self.wait = !new_events;
            }
            // The same token again: nothing newer yet, ask with it after the interval.
            Some(token) => {
                self.ask = Ask::Token(token);
                self.wait = true;
            }
            None => {
                self.ask = match &self.latest {
                    Some((at, _)) => Ask::Since(*at),
                    None => asked.clone(),
                };
                self.wait = true;
            }
        }
    }
}

/// Gives the next event, polling for it as long as it takes.
async fn follow_step(
    mut state: FollowState<'_>,
) -> Option<(Result<SystemLog, Error>, FollowState<'_>)> {
    loop {
        if let Some(event) = state.ready.pop_front() {
            return Some((Ok(event), state));
        }
        if state.ended {
            return None;
        }
        if state.wait {
            let every = Duration::from_millis(state.interval.load(Ordering::Relaxed));
            tokio::time::sleep(every).await;
        }
        let asked = state.ask.clone();
        let requests = (state.request)(asked.clone());
        let answer = run(
            state.identity,
            state.operation,
            requests,
            state.options.clone(),
            state.decode,
        )
        .await;
        match answer {
            Ok(page) => state.take(&asked, page.into_inner()),
            Err(error) => {
                state.ended = !error.is_retryable();
                state.wait = true;
                return Some((Err(error), state));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(uuid: &str, second: i64) -> SystemLog {
        serde_json::from_value(serde_json::json!({
            "uuid": uuid,
            "published": DateTime::<Utc>::from_timestamp(1_700_000_000 + second, 0).unwrap(),
        }))
        .unwrap()
    }

    fn page(events: Vec<SystemLog>, next: Option<&str>) -> ResourceListOfSystemLog {
        serde_json::from_value(serde_json::json!({
            "values": events,
            "nextPage": next,
        }))
        .unwrap()
    }

    fn state(identity: &IdentityClient) -> FollowState<'_> {
        FollowState {
            identity,
            operation: finbourne_identity_client::operations::by_id("list_logs").unwrap(),
            options: CallOptions::default(),
            request: Box::new(|_| unreachable!("not asked")),
            decode: |_| unreachable!("not decoded"),
            interval: Arc::new(AtomicU64::new(0)),
            ask: Ask::First,
            wait: false,
            ready: VecDeque::new(),
            latest: None,
            tokens: HashSet::new(),
            ended: false,
        }
    }

    fn identity() -> IdentityClient {
        let config = crate::ConfigLoader::new()
            .environment(|_| None)
            .no_secrets_file()
            .identity_url("http://127.0.0.1:9/identity")
            .access_token("t")
            .load()
            .unwrap();
        IdentityClient::new(config).unwrap()
    }

    #[test]
    fn a_new_token_is_followed_at_once_and_the_same_token_after_the_interval() {
        let identity = identity();
        let mut state = state(&identity);
        state.take(&Ask::First, page(vec![event("a", 0)], Some("t1")));
        assert_eq!(
            (state.ask.clone(), state.wait),
            (Ask::Token("t1".into()), false)
        );
        state.take(&Ask::Token("t1".into()), page(vec![], Some("t1")));
        assert_eq!(
            (state.ask.clone(), state.wait),
            (Ask::Token("t1".into()), true)
        );
        // A token seen before, even not the last one, is not a new page.
        state.take(
            &Ask::Token("t1".into()),
            page(vec![event("b", 1)], Some("t2")),
        );
        state.take(&Ask::Token("t2".into()), page(vec![], Some("t1")));
        assert_eq!(
            (state.ask.clone(), state.wait),
            (Ask::Token("t1".into()), true)
        );
    }

    #[test]
    fn after_the_last_page_it_asks_since_the_newest_event_and_skips_those_given() {
        let identity = identity();
        let mut state = state(&identity);
        state.take(&Ask::First, page(vec![event("a", 0), event("b", 5)], None));
        let since = DateTime::<Utc>::from_timestamp(1_700_000_005, 0).unwrap();
        assert_eq!((state.ask.clone(), state.wait), (Ask::Since(since), true));
        state.ready.clear();
        state.take(
            &Ask::Since(since),
            page(vec![event("b", 5), event("c", 5), event("d", 9)], None),
        );
        let given: Vec<_> = state
            .ready
            .iter()
            .map(|e| e.uuid.clone().unwrap())
            .collect();
        assert_eq!(given, ["c", "d"]);
        let later = DateTime::<Utc>::from_timestamp(1_700_000_009, 0).unwrap();
        assert_eq!(state.ask, Ask::Since(later));
    }

    #[test]
    fn with_no_event_yet_it_asks_again_as_before() {
        let identity = identity();
        let mut state = state(&identity);
        state.take(&Ask::First, page(vec![], None));
        assert_eq!((state.ask.clone(), state.wait), (Ask::First, true));
    }

    #[test]
    fn the_interval_is_bounded() {
        let identity = identity();
        let follow = identity.list_logs().follow();
        let follow = follow.poll_interval(Duration::ZERO);
        assert_eq!(follow.interval.load(Ordering::Relaxed), 1000);
        let follow = follow.poll_interval(Duration::from_secs(86_400));
        assert_eq!(follow.interval.load(Ordering::Relaxed), 3_600_000);
    }
}
