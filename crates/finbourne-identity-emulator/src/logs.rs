//! The system log: an event for every state change (each successful call of an Identity API
//! operation other than a `GET`) and every sign-in at the token endpoint, in the shape of the
//! API's `SystemLog`, served by `ListLogs` and `ListUserLogs` with their filters and paging.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::call::Call;
use crate::operations::{Operation, PathParams};
use crate::reply::{Reply, ReplyBody, invalid_field, validation};
use crate::state::random_id;
use crate::{Emulator, Shared, lock};

/// How many system log events the emulator keeps: the oldest go first.
pub const LOG_CAPACITY: usize = 10_000;

/// The operations this module answers.
pub(crate) const OPERATIONS: &[&str] = &["ListLogs", "ListUserLogs"];

/// `oktaLimit` when none is given, as the identity provider's default.
const DEFAULT_LIMIT: usize = 100;
/// The largest `oktaLimit`.
const MAX_LIMIT: usize = 1000;
/// The longest `oktaAfter`, `oktaFilter` and `oktaQuery` the spec allows.
const MAX_AFTER: usize = 50;
const MAX_EXPRESSION: usize = 5000;
/// FINBOURNE error code: invalid pagination token.
const CODE_INVALID_PAGE_TOKEN: i32 = 689;

/// One event, stored.
#[derive(Debug, Clone)]
struct Event {
    seq: u64,
    published: DateTime<Utc>,
    /// The user ids and logins the event is about (actor and targets), lower case, for
    /// `ListUserLogs`.
    subjects: Vec<String>,
    json: Value,
}

impl Event {
    /// The paging position of the event: publication time, then order of recording.
    fn key(&self) -> (i64, u64) {
        (
            self.published.timestamp_nanos_opt().unwrap_or(i64::MAX),
            self.seq,
        )
    }
}

#[derive(Debug, Default)]
struct Inner {
    events: VecDeque<Event>,
    next_seq: u64,
}

/// The bounded store of system log events.
#[derive(Debug, Default)]
pub(crate) struct LogStore {
    inner: Mutex<Inner>,
}

impl LogStore {
    fn push(&self, published: DateTime<Utc>, subjects: Vec<String>, json: Value) {
        let mut inner = lock(&self.inner);
        let seq = inner.next_seq;
        inner.next_seq += 1;
        if inner.events.len() >= LOG_CAPACITY {
            inner.events.pop_front();
        }
        inner.events.push_back(Event {
            seq,
            published,
            subjects,
            json,
        });
    }

    pub(crate) fn clear(&self) {
        lock(&self.inner).events.clear();
    }

    fn snapshot(&self) -> Vec<Value> {
        lock(&self.inner)
            .events
            .iter()
            .map(|e| e.json.clone())
            .collect()
    }
}

impl Emulator {
    /// The system log events recorded so far, oldest first, as `SystemLog` JSON objects (what
    /// `ListLogs` serves): one for each successful call of an Identity API operation that is
    /// not a `GET`, and one for each sign-in at the token endpoint (a failed password sign-in
    /// too). At most [`LOG_CAPACITY`] are kept. Programmed answers ([`Emulator::answers`],
    /// [`Emulator::faults`]) record nothing; neither does seeding.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// let emu = finbourne_identity_emulator::Emulator::start().await?;
    /// assert!(emu.system_log().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn system_log(&self) -> Vec<Value> {
        self.shared.logs.snapshot()
    }

    /// Empties the system log.
    pub fn clear_system_log(&self) {
        self.shared.logs.clear();
    }
}

// ----- recording ---------------------------------------------------------------------------

/// Who did it: the signed-in user, as the state knows them.
struct Actor {
    id: Option<String>,
    login: String,
    display_name: Option<String>,
}

fn actor(shared: &Shared, login: &str) -> Actor {
    let st = lock(&shared.state);
    match st.user_by_login(login) {
        Some(user) => Actor {
            id: Some(user.id.clone()),
            login: user.login.clone(),
            display_name: Some(format!("{} {}", user.first_name, user.last_name)),
        },
        None => Actor {
            id: None,
            login: login.to_owned(),
            display_name: None,
        },
    }
}

/// What it was done to.
struct Target {
    kind: String,
    id: String,
    alternate_id: Option<String>,
    display_name: Option<String>,
}

/// Well-known operations get the identity provider's own event types; every other operation
/// gets `fbn.identity.<operation in snake case>`.
fn event_type(op: &Operation) -> String {
    let known = match op.operation_id {
        "CreateUser" => "user.lifecycle.create",
        "UpdateUser" => "user.account.update_profile",
        "DeleteUser" => "user.lifecycle.deactivate",
        "UnlockUser" => "user.account.unlock",
        "ResetPassword" => "user.account.reset_password",
        "ExpirePassword" => "user.account.expire_password",
        "SendActivationEmail" => "user.lifecycle.activate",
        "UnsuspendUser" => "user.lifecycle.unsuspend",
        "ResetFactors" => "user.mfa.factor.reset_all",
        "SetPassword" => "user.account.update_password",
        "CreateRole" => "group.lifecycle.create",
        "UpdateRole" => "group.profile.update",
        "DeleteRole" => "group.lifecycle.delete",
        "AddUserToRole" => "group.user_membership.add",
        "RemoveUserFromRole" => "group.user_membership.remove",
        "CreateApplication" => "application.lifecycle.create",
        "DeleteApplication" => "application.lifecycle.delete",
        "CreateNetworkZone" => "zone.create",
        "UpdateNetworkZone" => "zone.update",
        "DeleteNetworkZone" => "zone.delete",
        "UpdatePasswordPolicy" | "UpdateSessionPolicy" => "policy.lifecycle.update",
        _ => return format!("fbn.identity.{}", op.id),
    };
    known.to_owned()
}

/// A resource type from a path segment such as `networkzones`: the operation's tag spelled
/// as one word when it names the same thing (`NetworkZone`), else the segment capitalised, in
/// the singular either way.
fn resource_type(segment: &str, tag: &str) -> String {
    let tag_word: String = tag.split_whitespace().collect();
    let word = if tag_word.eq_ignore_ascii_case(segment) {
        tag_word
    } else {
        let mut chars = segment.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    };
    match word.strip_suffix('s') {
        Some(single) if !single.is_empty() && !single.ends_with('s') => single.to_owned(),
        _ => word,
    }
}

/// The targets of a call: one per resource its path names (`/api/roles/{id}/users/{userId}`:
/// a Role and a User; `/api/mcptools/{scope}/{code}`: one McpTool `scope/code`), else the
/// resource its answer describes (`POST /api/users` answers the new user's `id`).
fn targets(op: &Operation, params: &PathParams, answer: Option<&Value>) -> Vec<Target> {
    let mut found: Vec<Target> = Vec::new();
    let mut literal = "";
    let mut grouped = false;
    for segment in op.path.split('/').filter(|s| !s.is_empty()) {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let value = params.get(name);
            match found.last_mut() {
                Some(last) if grouped => {
                    last.id.push('/');
                    last.id.push_str(value);
                }
                _ => found.push(Target {
                    kind: resource_type(literal, op.tag),
                    id: value.to_owned(),
                    alternate_id: None,
                    display_name: None,
                }),
            }
            grouped = true;
        } else {
            literal = segment;
            grouped = false;
        }
    }
    let answer = answer.and_then(Value::as_object);
    let text = |map: &Map<String, Value>, key: &str| {
        map.get(key).and_then(Value::as_str).map(str::to_owned)
    };
    if found.is_empty()
        && let Some(map) = answer
        && let Some(id) = text(map, "id").or_else(|| text(map, "code"))
    {
        let last = op
            .path
            .split('/')
            .rfind(|s| !s.is_empty() && !s.starts_with('{'))
            .unwrap_or_default();
        found.push(Target {
            kind: resource_type(last, op.tag),
            id,
            alternate_id: None,
            display_name: None,
        });
    }
    // Names from the answer, for the target it describes.
    if let Some(map) = answer
        && let Some(target) = found
            .iter_mut()
            .find(|t| text(map, "id").is_some_and(|id| id == t.id))
    {
        target.alternate_id = text(map, "login").or_else(|| text(map, "clientId"));
        target.display_name = text(map, "displayName")
            .or_else(|| text(map, "name"))
            .or_else(|| {
                let first = text(map, "firstName")?;
                let last = text(map, "lastName")?;
                Some(format!("{first} {last}"))
            });
    }
    found
}

/// Builds and stores one event.
struct NewEvent<'a> {
    event_type: String,
    display_message: String,
    actor: Actor,
    targets: Vec<Target>,
    failure_reason: Option<&'a str>,
    debug: Map<String, Value>,
}

fn record(shared: &Shared, headers: &HeaderMap, event: NewEvent<'_>) {
    // Kept to the millisecond, as shown, so that `oktaSince`/`oktaUntil` set to a shown time
    // include the event.
    let now = shared.clock.now();
    let published = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    let mut subjects = vec![event.actor.login.to_ascii_lowercase()];
    subjects.extend(event.actor.id.iter().cloned());
    subjects.extend(event.targets.iter().map(|t| t.id.clone()));
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let transaction = header("correlationid")
        .map(str::to_owned)
        .unwrap_or_else(|| random_id("tx"));
    let targets: Vec<Value> = event
        .targets
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "type": t.kind,
                "alternateId": t.alternate_id,
                "displayName": t.display_name,
            })
        })
        .collect();
    let json = json!({
        "uuid": uuid(),
        "published": published.to_rfc3339_opts(SecondsFormat::Millis, true),
        "eventType": event.event_type,
        "version": "0",
        "severity": { "value": if event.failure_reason.is_some() { "WARN" } else { "INFO" } },
        "displayMessage": event.display_message,
        "actor": {
            "id": event.actor.id,
            "type": "User",
            "alternateId": event.actor.login,
            "displayName": event.actor.display_name,
        },
        "clientInfo": {
            "userAgent": { "rawUserAgent": header(header::USER_AGENT.as_str()) },
            "ipAddress": "127.0.0.1",
        },
        "outcome": {
            "result": if event.failure_reason.is_some() { "FAILURE" } else { "SUCCESS" },
            "reason": event.failure_reason,
        },
        "target": if targets.is_empty() { Value::Null } else { Value::Array(targets) },
        "transaction": { "type": "WEB", "id": transaction },
        "debugContext": { "debugData": event.debug },
        "request": { "ipChain": [{ "ip": "127.0.0.1", "version": "V4" }] },
    });
    shared.logs.push(published, subjects, json);
}

/// A random id in the UUID format.
fn uuid() -> String {
    let hex: String = random_id("")
        .bytes()
        .chain(random_id("").bytes())
        .map(|b| char::from_digit(u32::from(b) % 16, 16).unwrap_or('0'))
        .take(32)
        .collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// The hook `api::handle` calls after every answer: a successful call of an operation that
/// is not a `GET` changed state, and is recorded.
pub(crate) fn record_api(
    shared: &Shared,
    op: &Operation,
    params: &PathParams,
    username: &str,
    headers: &HeaderMap,
    instance: &str,
    reply: &Reply,
) {
    if op.method == "GET" || !reply.status.is_success() {
        return;
    }
    let answer = match &reply.body {
        ReplyBody::Json(value, _) => Some(value),
        ReplyBody::Empty => None,
    };
    let mut debug = Map::new();
    debug.insert("operationId".into(), json!(op.operation_id));
    debug.insert("method".into(), json!(op.method));
    debug.insert("requestUri".into(), json!(instance));
    record(
        shared,
        headers,
        NewEvent {
            event_type: event_type(op),
            display_message: format!("{} ({} {})", op.operation_id, op.method, op.path),
            actor: actor(shared, username),
            targets: targets(op, params, answer),
            failure_reason: None,
            debug,
        },
    );
}

/// The hook the token endpoint calls after every answer: sign-ins and token refreshes that
/// worked, and password sign-ins that did not.
pub(crate) fn record_token(shared: &Shared, form: &[u8], headers: &HeaderMap, reply: &Reply) {
    let field = |name: &str| {
        url::form_urlencoded::parse(form)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let grant = field("grant_type").unwrap_or_default();
    let answer = match &reply.body {
        ReplyBody::Json(value, _) => value,
        ReplyBody::Empty => return,
    };
    let (login, failure) = if reply.status == StatusCode::OK {
        let Some(token) = answer.get("access_token").and_then(Value::as_str) else {
            return;
        };
        let st = lock(&shared.state);
        let Some(login) = st.access_tokens.get(token).map(|t| t.username.clone()) else {
            return;
        };
        (login, None)
    } else if grant == "password" && answer["error"] == "invalid_grant" {
        (
            field("username").unwrap_or_default(),
            Some("INVALID_CREDENTIALS"),
        )
    } else {
        return;
    };
    let event_type = match grant.as_str() {
        "password" => "user.session.start",
        "refresh_token" => "app.oauth2.as.token.grant.refresh_token",
        _ => "app.oauth2.as.token.grant.access_token",
    };
    let mut debug = Map::new();
    debug.insert("grantType".into(), json!(grant));
    debug.insert("requestUri".into(), json!("/oauth2/token"));
    record(
        shared,
        headers,
        NewEvent {
            event_type: event_type.to_owned(),
            display_message: match failure {
                None => format!("Token issued ({grant} grant)"),
                Some(_) => "Sign-in failed: invalid credentials".to_owned(),
            },
            actor: actor(shared, &login),
            targets: Vec::new(),
            failure_reason: failure,
            debug,
        },
    );
}

// ----- serving -----------------------------------------------------------------------------

fn parse_date_time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    DateTime::parse_from_rfc3339(raw)
        .or_else(|_| DateTime::parse_from_rfc3339(&raw.replace(' ', "+")))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// A paging token: where the last page ended.
fn cursor(key: (i64, u64)) -> String {
    format!("{}.{}", key.0, key.1)
}

fn parse_cursor(token: &str) -> Option<(i64, u64)> {
    let (nanos, seq) = token.split_once('.')?;
    Some((nanos.parse().ok()?, seq.parse().ok()?))
}

/// `ListLogs` and `ListUserLogs`.
pub(crate) fn list(operation_id: &str, call: &Call<'_>) -> Result<Reply, Reply> {
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut error = |field: &str, message: String| {
        errors.entry(field.to_owned()).or_default().push(message);
    };
    let date = |name: &str, error: &mut dyn FnMut(&str, String)| match call
        .query(name)
        .map(str::trim)
    {
        None | Some("") => None,
        Some(v) => {
            let parsed = parse_date_time(v);
            if parsed.is_none() {
                error(
                    name,
                    format!(
                        "The value '{v}' is not a valid date-time: use RFC 3339, such as 2026-07-01T12:00:00Z."
                    ),
                );
            }
            parsed
        }
    };
    let since = date("oktaSince", &mut error);
    let until = date("oktaUntil", &mut error);
    if let (Some(since), Some(until)) = (since, until)
        && until < since
    {
        error(
            "oktaUntil",
            "The oktaUntil time must not be earlier than oktaSince.".to_owned(),
        );
    }
    let limit = match call.query("oktaLimit").map(str::trim) {
        None | Some("") => DEFAULT_LIMIT,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n <= MAX_LIMIT => n,
            _ => {
                error(
                    "oktaLimit",
                    format!(
                        "The value '{v}' is not valid for oktaLimit: use a whole number from 0 to {MAX_LIMIT}."
                    ),
                );
                0
            }
        },
    };
    let descending = match call.query("oktaSortOrder").map(str::trim) {
        None | Some("") => false,
        Some(v) if v.eq_ignore_ascii_case("ASCENDING") => false,
        Some(v) if v.eq_ignore_ascii_case("DESCENDING") => true,
        Some(v) => {
            error(
                "oktaSortOrder",
                format!(
                    "The value '{v}' is not valid for oktaSortOrder: use ASCENDING or DESCENDING."
                ),
            );
            false
        }
    };
    let user_logs = operation_id == "ListUserLogs";
    let mut filter = None;
    let mut keywords = Vec::new();
    if !user_logs {
        if let Some(expression) = call.query("oktaFilter").filter(|f| !f.trim().is_empty()) {
            if expression.chars().count() > MAX_EXPRESSION {
                error(
                    "oktaFilter",
                    format!(
                        "The oktaFilter field must be at most {MAX_EXPRESSION} characters long."
                    ),
                );
            } else {
                match filter::parse(expression) {
                    Ok(parsed) => filter = Some(parsed),
                    Err(message) => error("oktaFilter", message),
                }
            }
        }
        if let Some(query) = call.query("oktaQuery") {
            if query.chars().count() > MAX_EXPRESSION {
                error(
                    "oktaQuery",
                    format!(
                        "The oktaQuery field must be at most {MAX_EXPRESSION} characters long."
                    ),
                );
            }
            keywords = query
                .split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>();
        }
    }
    let after = match call.query("oktaAfter").map(str::trim) {
        None | Some("") => None,
        Some(v) if v.chars().count() > MAX_AFTER => {
            error(
                "oktaAfter",
                format!("The oktaAfter field must be at most {MAX_AFTER} characters long."),
            );
            None
        }
        Some(v) => match parse_cursor(v) {
            Some(key) => Some(key),
            None if errors.is_empty() => {
                let mut reply = invalid_field(
                    "oktaAfter",
                    format!(
                        "The paging token '{v}' is not one this service gave out: pass back the nextPage of an earlier answer."
                    ),
                    call.instance,
                );
                if let ReplyBody::Json(Value::Object(map), _) = &mut reply.body {
                    map.insert("code".into(), json!(CODE_INVALID_PAGE_TOKEN));
                    map.insert("name".into(), json!("InvalidPaginationToken"));
                }
                return Err(reply);
            }
            None => None,
        },
    };
    if !errors.is_empty() {
        return Err(validation(errors, call.instance));
    }

    // The caller's own account, for ListUserLogs.
    let me: Vec<String> = if user_logs {
        let st = lock(&call.shared.state);
        let mut me = vec![call.username.to_ascii_lowercase()];
        if let Some(user) = st.user_by_login(call.username) {
            me.push(user.id.clone());
        }
        me
    } else {
        Vec::new()
    };

    let mut page: Vec<&Event> = Vec::new();
    let inner = lock(&call.shared.logs.inner);
    let mut matching: Vec<&Event> = inner
        .events
        .iter()
        .filter(|e| since.is_none_or(|s| e.published >= s))
        .filter(|e| until.is_none_or(|u| e.published <= u))
        .filter(|e| !user_logs || e.subjects.iter().any(|s| me.contains(s)))
        .filter(|e| filter.as_ref().is_none_or(|f| f.matches(&e.json)))
        .filter(|e| {
            keywords.is_empty() || {
                let text = e.json.to_string().to_lowercase();
                keywords.iter().all(|k| text.contains(k.as_str()))
            }
        })
        .collect();
    matching.sort_by_key(|e| e.key());
    if descending {
        matching.reverse();
    }
    let mut rest = matching
        .into_iter()
        .filter(|e| match after {
            None => true,
            Some(key) if descending => e.key() < key,
            Some(key) => e.key() > key,
        })
        .peekable();
    while page.len() < limit {
        match rest.next() {
            Some(e) => page.push(e),
            None => break,
        }
    }
    let next_page = match (page.last(), rest.peek()) {
        (Some(last), Some(_)) => Some(cursor(last.key())),
        _ => None,
    };
    let values: Vec<Value> = page.iter().map(|e| e.json.clone()).collect();
    drop(inner);

    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(call.query.iter())
        .finish();
    let href = if query.is_empty() {
        format!("{}{}", call.shared.urls.base, call.instance)
    } else {
        format!("{}{}?{query}", call.shared.urls.base, call.instance)
    };
    Ok(Reply::json(
        StatusCode::OK,
        json!({
            "values": values,
            "href": href,
            "nextPage": next_page,
            "previousPage": null,
        }),
    ))
}

/// The identity provider's filter expressions, as far as the emulator understands them:
/// `attribute op "value"` with `eq`, `ne`, `co`, `sw`, `ew`, `gt`, `ge`, `lt`, `le`, or
/// `attribute pr`, combined with `and`, `or`, `not` and parentheses. Attributes are dotted
/// paths into the event (`eventType`, `outcome.result`, `actor.alternateId`, `target.id`:
/// an array matches when any element does). Strings compare ignoring ASCII case.
mod filter {
    use std::cmp::Ordering;

    use chrono::DateTime;
    use serde_json::Value;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Op {
        Eq,
        Ne,
        Co,
        Sw,
        Ew,
        Gt,
        Ge,
        Lt,
        Le,
    }

    #[derive(Debug, Clone, PartialEq)]
    pub(crate) enum Literal {
        Str(String),
        Num(f64),
        Bool(bool),
        Null,
    }

    #[derive(Debug, Clone, PartialEq)]
    pub(crate) enum Filter {
        And(Box<Filter>, Box<Filter>),
        Or(Box<Filter>, Box<Filter>),
        Not(Box<Filter>),
        Present(Vec<String>),
        Compare(Vec<String>, Op, Literal),
    }

    #[derive(Debug, Clone, PartialEq)]
    enum Token {
        Word(String),
        Str(String),
        Open,
        Close,
    }

    fn tokens(text: &str) -> Result<Vec<Token>, String> {
        let mut out = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c == '(' {
                chars.next();
                out.push(Token::Open);
            } else if c == ')' {
                chars.next();
                out.push(Token::Close);
            } else if c == '"' {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err("A quoted value is not closed.".to_owned()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(escaped) => s.push(escaped),
                            None => return Err("A quoted value is not closed.".to_owned()),
                        },
                        Some(other) => s.push(other),
                    }
                }
                out.push(Token::Str(s));
            } else {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
        Ok(out)
    }

    struct Parser {
        tokens: Vec<Token>,
        at: usize,
    }

    impl Parser {
        fn peek_word(&self, word: &str) -> bool {
            matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
        }

        fn next(&mut self) -> Option<Token> {
            let token = self.tokens.get(self.at).cloned();
            self.at += 1;
            token
        }

        fn or(&mut self) -> Result<Filter, String> {
            let mut left = self.and()?;
            while self.peek_word("or") {
                self.at += 1;
                left = Filter::Or(Box::new(left), Box::new(self.and()?));
            }
            Ok(left)
        }

        fn and(&mut self) -> Result<Filter, String> {
            let mut left = self.unary()?;
            while self.peek_word("and") {
                self.at += 1;
                left = Filter::And(Box::new(left), Box::new(self.unary()?));
            }
            Ok(left)
        }

        fn unary(&mut self) -> Result<Filter, String> {
            if self.peek_word("not") {
                self.at += 1;
                return Ok(Filter::Not(Box::new(self.unary()?)));
            }
            match self.next() {
                Some(Token::Open) => {
                    let inner = self.or()?;
                    match self.next() {
                        Some(Token::Close) => Ok(inner),
                        _ => Err("A '(' is not closed.".to_owned()),
                    }
                }
                Some(Token::Word(attribute)) => self.comparison(attribute),
                Some(Token::Str(s)) => Err(format!(
                    "Expected an attribute name, found the value \"{s}\"."
                )),
                Some(Token::Close) => Err("Unexpected ')'.".to_owned()),
                None => Err("The expression ends too soon.".to_owned()),
            }
        }

        fn comparison(&mut self, attribute: String) -> Result<Filter, String> {
            if attribute.is_empty()
                || !attribute
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
            {
                return Err(format!("'{attribute}' is not an attribute name."));
            }
            let path: Vec<String> = attribute.split('.').map(str::to_owned).collect();
            let op = match self.next() {
                Some(Token::Word(op)) => op.to_ascii_lowercase(),
                _ => return Err(format!("Expected an operator after '{attribute}'.")),
            };
            let op = match op.as_str() {
                "pr" => return Ok(Filter::Present(path)),
                "eq" => Op::Eq,
                "ne" => Op::Ne,
                "co" => Op::Co,
                "sw" => Op::Sw,
                "ew" => Op::Ew,
                "gt" => Op::Gt,
                "ge" => Op::Ge,
                "lt" => Op::Lt,
                "le" => Op::Le,
                other => {
                    return Err(format!(
                        "'{other}' is not an operator: use eq, ne, co, sw, ew, gt, ge, lt, le or pr."
                    ));
                }
            };
            let value = match self.next() {
                Some(Token::Str(s)) => Literal::Str(s),
                Some(Token::Word(w)) if w == "true" => Literal::Bool(true),
                Some(Token::Word(w)) if w == "false" => Literal::Bool(false),
                Some(Token::Word(w)) if w == "null" => Literal::Null,
                Some(Token::Word(w)) => match w.parse::<f64>() {
                    Ok(n) => Literal::Num(n),
                    Err(_) => {
                        return Err(format!(
                            "The value '{w}' must be quoted, a number, true, false or null."
                        ));
                    }
                },
                _ => return Err(format!("Expected a value after '{attribute}'.")),
            };
            Ok(Filter::Compare(path, op, value))
        }
    }

    /// Parses an expression; `Err` says what is wrong with it.
    pub(crate) fn parse(text: &str) -> Result<Filter, String> {
        let mut parser = Parser {
            tokens: tokens(text)?,
            at: 0,
        };
        let filter = parser.or()?;
        if parser.at < parser.tokens.len() {
            return Err(format!(
                "Unexpected text after the expression: {:?}.",
                parser.tokens[parser.at]
            ));
        }
        Ok(filter)
    }

    /// The values at a dotted path; arrays on the way are searched element by element.
    fn values_at<'a>(value: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
        match value {
            Value::Array(items) => {
                for item in items {
                    values_at(item, path, out);
                }
            }
            _ => match path.split_first() {
                None => out.push(value),
                Some((first, rest)) => {
                    if let Some(child) = value.as_object().and_then(|map| {
                        map.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(first))
                            .map(|(_, v)| v)
                    }) {
                        values_at(child, rest, out);
                    }
                }
            },
        }
    }

    fn order(value: &Value, literal: &Literal) -> Option<Ordering> {
        match (value, literal) {
            (Value::String(a), Literal::Str(b)) => {
                match (
                    DateTime::parse_from_rfc3339(a),
                    DateTime::parse_from_rfc3339(b),
                ) {
                    (Ok(a), Ok(b)) => Some(a.cmp(&b)),
                    _ => Some(a.to_lowercase().cmp(&b.to_lowercase())),
                }
            }
            (Value::Number(a), Literal::Num(b)) => a.as_f64()?.partial_cmp(b),
            (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
            (Value::Null, Literal::Null) => Some(Ordering::Equal),
            _ => None,
        }
    }

    fn compare(value: &Value, op: Op, literal: &Literal) -> bool {
        let text = |v: &Value| v.as_str().map(str::to_lowercase);
        let wanted = match literal {
            Literal::Str(s) => Some(s.to_lowercase()),
            _ => None,
        };
        match op {
            Op::Co | Op::Sw | Op::Ew => match (text(value), wanted) {
                (Some(v), Some(w)) => match op {
                    Op::Co => v.contains(&w),
                    Op::Sw => v.starts_with(&w),
                    _ => v.ends_with(&w),
                },
                _ => false,
            },
            Op::Eq | Op::Ne => order(value, literal) == Some(Ordering::Equal),
            Op::Gt => order(value, literal) == Some(Ordering::Greater),
            Op::Ge => matches!(
                order(value, literal),
                Some(Ordering::Greater | Ordering::Equal)
            ),
            Op::Lt => order(value, literal) == Some(Ordering::Less),
            Op::Le => matches!(
                order(value, literal),
                Some(Ordering::Less | Ordering::Equal)
            ),
        }
    }

    impl Filter {
        pub(crate) fn matches(&self, event: &Value) -> bool {
            match self {
                Filter::And(a, b) => a.matches(event) && b.matches(event),
                Filter::Or(a, b) => a.matches(event) || b.matches(event),
                Filter::Not(a) => !a.matches(event),
                Filter::Present(path) => {
                    let mut found = Vec::new();
                    values_at(event, path, &mut found);
                    found.iter().any(|v| !v.is_null())
                }
                Filter::Compare(path, op, literal) => {
                    let mut found = Vec::new();
                    values_at(event, path, &mut found);
                    if found.is_empty() {
                        found.push(&Value::Null);
                    }
                    match op {
                        // Not equal to any of the values.
                        Op::Ne => !found.iter().any(|v| compare(v, Op::Eq, literal)),
                        _ => found.iter().any(|v| compare(v, *op, literal)),
                    }
                }
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;

        #[test]
        fn expressions() {
            let event = json!({
                "eventType": "user.lifecycle.create",
                "published": "2026-07-01T12:00:00.000Z",
                "outcome": {"result": "SUCCESS"},
                "actor": {"alternateId": "Alice@Example.com"},
                "target": [{"id": "00u1", "type": "User"}, {"id": "00g1", "type": "Role"}],
                "severity": {"value": "INFO"},
            });
            let yes = [
                "eventType eq \"user.lifecycle.create\"",
                "eventType EQ \"USER.LIFECYCLE.CREATE\"",
                "eventType sw \"user.\" and outcome.result eq \"SUCCESS\"",
                "target.id eq \"00g1\"",
                "target.type eq \"Role\" or eventType eq \"nothing\"",
                "not (eventType eq \"group.lifecycle.create\")",
                "actor.alternateId co \"example\"",
                "published gt \"2026-07-01T11:00:00+00:00\"",
                "published le \"2026-07-01T12:00:00Z\"",
                "actor.displayName eq null",
                "actor pr",
                "eventType ne \"x\"",
            ];
            for expression in yes {
                assert!(parse(expression).unwrap().matches(&event), "{expression}");
            }
            let no = [
                "eventType eq \"user.session.start\"",
                "target.id eq \"00u2\"",
                "published lt \"2026-07-01T12:00:00Z\"",
                "debugContext pr",
                "target.id ne \"00u1\"",
                "eventType ew \"delete\"",
            ];
            for expression in no {
                assert!(!parse(expression).unwrap().matches(&event), "{expression}");
            }
            for bad in [
                "",
                "eventType",
                "eventType eq",
                "eventType is \"x\"",
                "eventType eq x",
                "(eventType eq \"x\"",
                "eventType eq \"x",
                "eventType eq \"x\" )",
                "\"x\" eq eventType",
            ] {
                assert!(parse(bad).is_err(), "{bad}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::operation_by_id;

    #[test]
    fn resource_types() {
        assert_eq!(resource_type("users", "Users"), "User");
        assert_eq!(
            resource_type("networkzones", "Network Zones"),
            "NetworkZone"
        );
        assert_eq!(resource_type("mcptools", "MCP Tools"), "MCPTool");
        assert_eq!(
            resource_type("keys", "Personal Authentication Tokens"),
            "Key"
        );
        assert_eq!(resource_type("scim", "Identity Provider"), "Scim");
        assert_eq!(resource_type("access", "x"), "Access");
    }

    #[test]
    fn targets_come_from_the_path_then_the_answer() {
        let op = operation_by_id("RemoveUserFromRole").unwrap();
        let params = match crate::operations::resolve(
            &axum::http::Method::DELETE,
            "/api/roles/00g1/users/00u1",
        ) {
            crate::operations::Resolution::Found(_, params) => params,
            _ => panic!("route"),
        };
        let found = targets(op, &params, None);
        let shown: Vec<(String, String)> = found.into_iter().map(|t| (t.kind, t.id)).collect();
        assert_eq!(
            shown,
            [
                ("Role".into(), "00g1".into()),
                ("User".into(), "00u1".into())
            ]
        );

        let op = operation_by_id("CreateUser").unwrap();
        let answer = json!({"id": "00u9", "login": "jo@example.com", "firstName": "Jo", "lastName": "Bloggs"});
        let found = targets(op, &PathParams::default(), Some(&answer));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, "User");
        assert_eq!(found[0].id, "00u9");
        assert_eq!(found[0].alternate_id.as_deref(), Some("jo@example.com"));
        assert_eq!(found[0].display_name.as_deref(), Some("Jo Bloggs"));

        let op = operation_by_id("DeleteMcpTool").unwrap();
        let params =
            match crate::operations::resolve(&axum::http::Method::DELETE, "/api/mcptools/sc/co") {
                crate::operations::Resolution::Found(_, params) => params,
                _ => panic!("route"),
            };
        let found = targets(op, &params, None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "sc/co");
    }

    #[test]
    fn the_store_is_bounded() {
        let store = LogStore::default();
        for i in 0..LOG_CAPACITY + 5 {
            store.push(Utc::now(), Vec::new(), json!({ "i": i }));
        }
        let events = store.snapshot();
        assert_eq!(events.len(), LOG_CAPACITY);
        assert_eq!(events[0]["i"], 5);
    }

    #[test]
    fn uuids_look_like_uuids() {
        let id = uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
        assert_ne!(uuid(), id);
    }
}
