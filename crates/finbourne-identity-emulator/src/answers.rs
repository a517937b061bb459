//! One-off answers chosen by operationId: the faults machinery, keyed by operation instead of
//! method and path.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;

use crate::Emulator;
use crate::faults::{Fault, FaultBuilder, Faults};

/// Programs answers for operations of the Identity API by `operationId`; get it from
/// [`Emulator::answers`].
///
/// A programmed answer replaces (or, for a delay, precedes) the emulator's own answer to the
/// next call of that operation, or the next N calls, then the operation answers with state
/// again. It is a rule of the emulator's [`Faults`], matched to the requests that route to the
/// operation (so `"GetUser"` does not catch `GET /api/users/schema`): the request is still
/// journaled and counted, and [`Faults::pending`] and [`Faults::clear`] cover it. A
/// programmed answer changes no state and writes no system log event.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
/// use std::time::Duration;
/// use finbourne_identity_emulator::Emulator;
/// use finbourne_identity_emulator::http::StatusCode;
///
/// let emu = Emulator::start().await?;
/// // The next GetUser call answers 404 with this body, whatever the state holds.
/// emu.answers().on("GetUser").respond(
///     StatusCode::NOT_FOUND,
///     serde_json::json!({"name": "UserNotFound", "code": 657, "title": "Not found"}),
/// );
/// // The next three ListRoles calls wait 2 s (Tokio time) and then answer normally.
/// emu.answers().on("ListRoles").times(3).delay(Duration::from_secs(2));
/// assert_eq!(emu.answers().pending(), 4);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Answers<'a> {
    faults: &'a Faults,
}

impl<'a> Answers<'a> {
    /// Starts a one-off answer for the operation with this `operationId` (as in the OpenAPI
    /// description and [`operations`](crate::operations)); nothing is programmed until one of
    /// the [`AnswerBuilder`]'s final methods is called.
    ///
    /// # Panics
    ///
    /// When no operation of the API has this operationId, so that a typo fails the test
    /// instead of never matching.
    pub fn on(&self, operation_id: &str) -> AnswerBuilder<'a> {
        AnswerBuilder {
            inner: self.faults.on_operation(operation_id),
        }
    }

    /// How many programmed calls (answers and faults of any kind) are still to be played; as
    /// [`Faults::pending`].
    pub fn pending(&self) -> u32 {
        self.faults.pending()
    }

    /// Removes every programmed answer and fault; as [`Faults::clear`].
    pub fn clear(&self) {
        self.faults.clear();
    }
}

/// Builds one programmed answer; made by [`Answers::on`]. Without [`times`](Self::times) it
/// applies to the next call of the operation only.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
/// use finbourne_identity_emulator::{Emulator, Fault};
/// use finbourne_identity_emulator::http::{header, HeaderValue, StatusCode};
///
/// let emu = Emulator::start().await?;
/// emu.answers().on("CreateUser").times(2).respond_status(StatusCode::SERVICE_UNAVAILABLE);
/// emu.answers().on("AddScim").inject(
///     Fault::status(StatusCode::TOO_MANY_REQUESTS)
///         .with_header(header::RETRY_AFTER, HeaderValue::from_static("1")),
/// );
/// emu.answers().on("DeleteUser").drop_connection();
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an answer is programmed only by respond, respond_status, respond_raw, delay, drop_connection or inject"]
pub struct AnswerBuilder<'a> {
    inner: FaultBuilder<'a>,
}

impl AnswerBuilder<'_> {
    /// Plays the answer for the next `n` calls of the operation, then the operation answers with
    /// state again.
    pub fn times(self, n: u32) -> Self {
        AnswerBuilder {
            inner: self.inner.times(n),
        }
    }

    /// Plays the answer for every call of the operation until [`Answers::clear`].
    pub fn always(self) -> Self {
        AnswerBuilder {
            inner: self.inner.always(),
        }
    }

    /// Answers with this status and JSON body (`Content-Type: application/json`).
    pub fn respond(self, status: StatusCode, body: serde_json::Value) {
        self.inner.respond_json(status, &body);
    }

    /// Answers with this status and no body.
    pub fn respond_status(self, status: StatusCode) {
        self.inner.respond_status(status);
    }

    /// Answers with this status, these headers and this body, as they are.
    pub fn respond_raw(self, status: StatusCode, headers: HeaderMap, body: impl Into<Bytes>) {
        self.inner.respond(status, headers, body);
    }

    /// Waits this long (Tokio time, so a test with paused time does not wait for real), then
    /// answers with state as usual.
    pub fn delay(self, delay: Duration) {
        self.inner.delay(delay);
    }

    /// Closes the connection without an answer.
    pub fn drop_connection(self) {
        self.inner.drop_connection();
    }

    /// Plays any [`Fault`].
    pub fn inject(self, fault: Fault) {
        self.inner.inject(fault);
    }
}

impl Emulator {
    /// One-off answers for operations of the Identity API, chosen by `operationId`: a status
    /// with a body, a delay, a dropped connection, for the next call or the next N calls. See
    /// [`Answers`]; [`faults`](Self::faults) programs the same by method and path.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// use finbourne_identity_emulator::Emulator;
    /// use finbourne_identity_emulator::http::StatusCode;
    ///
    /// let emu = Emulator::start().await?;
    /// emu.answers().on("GetUserInfo").respond_status(StatusCode::BAD_GATEWAY);
    /// # Ok(()) }
    /// ```
    pub fn answers(&self) -> Answers<'_> {
        Answers {
            faults: &self.shared.faults,
        }
    }
}
