//! Pages as streams: every operation whose answer is one page of a list has
//! [`Call::pages`] and [`Call::items`].
//!
//! Which operations page is read from the spec by the generator (the table's
//! [`Operation::paging`](crate::client::operations::Operation::paging)): the answer is a
//! `ResourceListOf*` record with a `nextPage` token, and a query parameter takes the token
//! back.

use std::collections::HashSet;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use finbourne_identity_client::operations::Operation;
use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};

use crate::call::{Call, CallOptions, Requests, run};
use crate::error::Error;
use crate::identity_client::IdentityClient;

mod sealed {
    /// A generated builder whose answer is one page of a list: implemented by the generated
    /// layer for every paged operation, and by nothing else.
    pub trait PagedOperation<'a>: crate::call::RawOperation<'a> + Clone + Send + Sync + 'a {
        /// One item of a page.
        type Item;
        /// The builder asking for the page `token` names.
        fn with_token(self, token: String) -> Self;
        /// The next page's token; `None` on the last page.
        fn next_token(page: &Self::Output) -> Option<&str>;
        /// The page's items.
        fn into_items(page: Self::Output) -> Vec<Self::Item>;
    }
}

pub(crate) use sealed::PagedOperation;

/// A stream of `T`, boxed so that it can name no type of the generated client.
type Boxed<'a, T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'a>>;

macro_rules! stream_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[must_use = "a stream does nothing until it is polled"]
        pub struct $name<'a, T> {
            inner: Boxed<'a, T>,
        }

        impl<'a, T> $name<'a, T> {
            #[doc = concat!("The next ", $what, ", `None` after the last, or the error that ended the stream.")]
            ///
            /// The same as [`TryStreamExt::try_next`](futures_util::TryStreamExt::try_next),
            /// without importing it.
            pub async fn try_next(&mut self) -> Result<Option<T>, Error> {
                self.inner.next().await.transpose()
            }

            #[doc = concat!("The next ", $what, " or error; `None` when the stream has ended.")]
            pub async fn next(&mut self) -> Option<Result<T, Error>> {
                self.inner.next().await
            }

            #[doc = concat!("Every ", $what, " until the end, or the first error.")]
            pub async fn try_collect(self) -> Result<Vec<T>, Error> {
                TryStreamExt::try_collect(self.inner).await
            }
        }

        impl<T> Stream for $name<'_, T> {
            type Item = Result<T, Error>;

            fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                self.inner.as_mut().poll_next(cx)
            }
        }

        impl<T> fmt::Debug for $name<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}

stream_type!(
    /// The pages of a paged call, as [`Call::pages`] returns them: a [`Stream`] of
    /// `Result<page, Error>`.
    ///
    /// Each page is one call with the call's settings: its own retries and its own total
    /// timeout, so one page's retry never repeats another page, and a long listing is not cut
    /// short by a deadline meant for one call. The stream ends after the last page (no next
    /// token), when the service gives a token it gave before (rather than loop), and after an
    /// error.
    Pages,
    "page"
);

stream_type!(
    /// The items of every page of a paged call, as [`Call::items`] returns them: a [`Stream`]
    /// of `Result<item, Error>`. Pages are asked for as the items are taken, one call each, as
    /// [`Pages`] says.
    Items,
    "item"
);

/// What the stream of pages needs, with nothing generic over the generated builder: the
/// future of each page is then `Send` for any lifetime.
struct PageState<'a, P> {
    identity: &'a IdentityClient,
    operation: &'static Operation,
    options: CallOptions,
    /// The builder of the first page (`None`) or of the page a token names.
    request: Box<dyn Fn(Option<String>) -> Box<dyn Requests + 'a> + Send + 'a>,
    decode: fn(&[u8]) -> Result<P, Error>,
    next_token: fn(&P) -> Option<&str>,
    /// The token of the page to ask for next.
    token: Option<String>,
    /// Every token asked for: a token given again ends the stream.
    asked: HashSet<String>,
    done: bool,
}

impl<'a, R> Call<'a, R>
where
    R: PagedOperation<'a>,
    R::Output: Send + 'a,
{
    /// Every page of the answer, as a stream: this call asks for the first page, and each next
    /// page is the same call with the previous page's token. See [`Pages`].
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// let mut pages = identity.list_logs().okta_limit(100).pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} events", page.values.len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn pages(self) -> Pages<'a, R::Output> {
        Pages {
            inner: self.page_stream(),
        }
    }

    /// The items of every page, as a stream: pages are asked for as the items are taken. See
    /// [`Items`].
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// let mut events = identity.list_logs().okta_filter("eventType eq \"user.session.start\"").items();
    /// while let Some(event) = events.try_next().await? {
    ///     println!("{:?} {:?}", event.published, event.display_message);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn items(self) -> Items<'a, R::Item>
    where
        R::Item: Send + 'a,
    {
        let into_items: fn(R::Output) -> Vec<R::Item> = R::into_items;
        let inner = self
            .page_stream()
            .map_ok(move |page| stream::iter(into_items(page).into_iter().map(Ok)))
            .try_flatten();
        Items {
            inner: Box::pin(inner),
        }
    }

    fn page_stream(self) -> Boxed<'a, R::Output> {
        let (identity, raw, options) = self.into_parts();
        let state = PageState {
            identity,
            operation: R::operation(),
            options,
            request: Box::new(move |token| {
                Box::new(match token {
                    Some(token) => raw.clone().with_token(token),
                    None => raw.clone(),
                })
            }),
            decode: R::decode,
            next_token: R::next_token,
            token: None,
            asked: HashSet::new(),
            done: false,
        };
        Box::pin(stream::try_unfold(state, next_page))
    }
}

/// Asks for one page; the state for the next.
async fn next_page<P: Send>(
    mut state: PageState<'_, P>,
) -> Result<Option<(P, PageState<'_, P>)>, Error> {
    if state.done {
        return Ok(None);
    }
    let requests = (state.request)(state.token.clone());
    let page = run(
        state.identity,
        state.operation,
        requests,
        state.options.clone(),
        state.decode,
    )
    .await?
    .into_inner();
    match (state.next_token)(&page).filter(|token| !token.is_empty()) {
        None => state.done = true,
        Some(token) if !state.asked.insert(token.to_owned()) => {
            tracing::warn!(
                operation = state.operation.id,
                "the service gave a page token it gave before; the listing ends here"
            );
            state.done = true;
        }
        Some(token) => state.token = Some(token.to_owned()),
    }
    Ok(Some((page, state)))
}
