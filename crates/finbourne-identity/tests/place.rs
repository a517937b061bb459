//! A value keeps its place: for every operation of the table and each of its path and query
//! parameters, arbitrary values either reach the emulator as the same operation with the same
//! decoded value, or are refused before anything is sent, naming the operation and parameter.
//!
//! The operations and parameters come from the generated table; each call goes through the
//! operation's own typed setter and the SDK's call path (`operations::call_by_name`).

use finbourne_identity::client::operations::{
    OPERATIONS, Operation, Param, ParamKind, ParamLocation, Route, route,
};
use finbourne_identity::{ConfigLoader, DynCall, Error, IdentityClient, operations};
use finbourne_identity_emulator::Emulator;

/// Values people and generators have got wrong: dot segments, separators, escapes, controls.
const HOSTILE: &[&str] = &[
    "",
    ".",
    "..",
    "...",
    "\\",
    "/",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%",
    "%%",
    "%zz",
    "?",
    "#",
    "+",
    " ",
    "a b",
    "a+b",
    "a&b=c",
    "=",
    ";",
    ":",
    "@",
    "$activate",
    "~",
    "..\\identityprovider\\scim",
    "../users",
    "..%2Fusers",
    "a/../b",
    "./",
    "é",
    "日本語",
    "\u{0}",
    "\n",
    "\r\n",
    "\t",
    "\u{7f}",
    "\u{1b}[2J",
    "\u{9b}",
    "\u{feff}",
    "\u{202e}",
    "😀",
    "schema",
    "SCHEMA",
    "me",
    "scim",
];

/// How many generated values each parameter gets, besides `HOSTILE`.
const CASES: u32 = 1_000;

/// Characters that have moved values before.
const RISKY: &[char] = &[
    '.', '/', '\\', '%', '?', '#', '+', ' ', '&', '=', ';', ':', '@', '$', '~', '-', '_', '\u{0}',
    '\n', '\r', '\u{7f}', '\u{9b}', '\u{feff}', '\u{202e}', 'é', '日', '😀', 'a', 'Z', '0', '2',
    'e', 'E', 'F',
];

/// Arbitrary text: up to 12 characters, most from `RISKY`, the rest any ASCII or any Unicode
/// scalar value. A seeded generator of its own: proptest's strategies took 30 s of the 37 in
/// a debug build.
fn text(rng: &mut fastrand::Rng) -> String {
    let length = rng.usize(0..=12);
    (0..length)
        .map(|_| match rng.u8(0..10) {
            0..=6 => RISKY[rng.usize(0..RISKY.len())],
            7 => char::from(rng.u8(0..0x80)),
            _ => std::iter::repeat_with(|| char::from_u32(rng.u32(0..0x11_0000)))
                .flatten()
                .next()
                .unwrap_or('x'),
        })
        .collect()
}

/// A generated value of a parameter's kind, as text its setter converts.
fn value(kind: ParamKind, rng: &mut fastrand::Rng) -> String {
    match kind {
        ParamKind::Boolean => rng.bool().to_string(),
        ParamKind::Integer => rng.i32(..).to_string(),
        ParamKind::DateTime => chrono::DateTime::from_timestamp(
            rng.i64(0..4_102_444_800),
            rng.u32(0..1_000_000) * 1000,
        )
        .unwrap()
        .to_rfc3339(),
        _ => text(rng),
    }
}

/// A plain value for each required parameter other than `tested`.
fn baseline(op: &Operation, tested: &Param) -> Vec<(&'static str, String)> {
    op.params
        .iter()
        .filter(|p| p.required && p.name != tested.name)
        .map(|p| {
            let value = match p.kind {
                ParamKind::Boolean => "true",
                ParamKind::Integer => "1",
                ParamKind::DateTime => "2030-01-01T00:00:00Z",
                _ => "p1",
            };
            (p.name, value.to_owned())
        })
        .collect()
}

/// Literal segments other operations with the same method and shape have where `op` has
/// `param`: a value equal to one of them names that operation, and refusing it is right.
fn literal_rivals(op: &Operation, param: &Param) -> Vec<String> {
    let mine: Vec<&str> = op.path.split('/').collect();
    let Some(at) = mine
        .iter()
        .position(|s| *s == format!("{{{}}}", param.name))
    else {
        return Vec::new();
    };
    OPERATIONS
        .iter()
        .filter(|other| other.method == op.method)
        .map(|other| other.path.split('/').collect::<Vec<_>>())
        .filter(|theirs| theirs.len() == mine.len() && !theirs[at].starts_with('{'))
        .map(|theirs| theirs[at].to_ascii_lowercase())
        .collect()
}

#[derive(Default)]
struct Tally {
    reached: usize,
    refused: usize,
}

/// Where a request went: its method, its path below the API's base URL and its query.
struct Sent {
    method: String,
    below: String,
    query: Vec<(String, String)>,
}

/// The call of `op` with `value` for `param` (and plain values for the other required ones).
fn call<'a>(
    identity: &'a IdentityClient,
    op: &'static Operation,
    param: &Param,
    value: &str,
) -> Box<dyn DynCall<'a> + 'a> {
    let mut given = baseline(op, param);
    given.push((param.name, value.to_owned()));
    let given: Vec<(&str, &str)> = given.iter().map(|(n, v)| (*n, v.as_str())).collect();
    operations::call_by_name(identity, op.operation_id, &given, op.minimal_body)
        .unwrap_or_else(|e| panic!("{}: {e}", op.operation_id))
}

/// Checks one outcome: `Ok` with where the request went, or the error that stopped it.
fn judge(
    op: &'static Operation,
    param: &Param,
    value: &str,
    outcome: Result<Sent, Error>,
    tally: &mut Tally,
) {
    let case = format!("{} {}={:?}", op.operation_id, param.name, value);
    let sent = match outcome {
        Ok(sent) => sent,
        Err(Error::InvalidRequest(refused)) => {
            let message = refused.message();
            assert_eq!(refused.operation(), op.id, "{case}");
            let justified = param.location == ParamLocation::Path
                && (["", ".", ".."].contains(&value)
                    || literal_rivals(op, param).contains(&value.to_ascii_lowercase()));
            assert!(
                justified,
                "{case}: refused a value that has a place: {message}"
            );
            assert!(
                message.contains(&format!("`{}`", snake(param.name)))
                    || message.contains(&format!("`{}`", param.name)),
                "{case}: the refusal does not name the parameter: {message}"
            );
            tally.refused += 1;
            return;
        }
        Err(other) => panic!("{case}: {other:?}"),
    };
    let Route::Found(reached, params) = route(&sent.method, &sent.below) else {
        panic!(
            "{case}: {} {} reaches no operation",
            sent.method, sent.below
        );
    };
    assert_eq!(
        reached.operation_id, op.operation_id,
        "{case}: sent as {}",
        sent.below
    );
    let received = match param.location {
        ParamLocation::Path => params
            .into_iter()
            .find(|(n, _)| *n == param.name)
            .map(|(_, v)| v),
        _ => sent
            .query
            .into_iter()
            .find(|(n, _)| n == param.name)
            .map(|(_, v)| v),
    };
    let received = received.unwrap_or_else(|| panic!("{case}: no value in {}", sent.below));
    if param.kind == ParamKind::DateTime {
        let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
        assert_eq!(parse(&received), parse(value), "{case}");
    } else {
        assert_eq!(received, value, "{case}: sent as {}", sent.below);
    }
    tally.reached += 1;
}

/// Where the SDK's call path would send the call, without sending it.
fn built(
    identity: &IdentityClient,
    op: &'static Operation,
    param: &Param,
    value: &str,
) -> Result<Sent, Error> {
    let request = call(identity, op, param, value).request()?;
    let url = request.url();
    Ok(Sent {
        method: request.method().to_string(),
        below: url.path().strip_prefix("/identity").unwrap().to_owned(),
        query: url
            .query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect(),
    })
}

/// Where the call arrived at the emulator, or the error that stopped it before sending.
async fn delivered(
    emulator: &Emulator,
    identity: &IdentityClient,
    op: &'static Operation,
    param: &Param,
    value: &str,
) -> Result<Sent, Error> {
    emulator.clear_journal();
    let result = call(identity, op, param, value).send_json().await;
    let journal: Vec<_> = emulator
        .journal()
        .into_iter()
        .filter(|e| e.path().starts_with("/identity/api/"))
        .collect();
    let case = format!("{} {}={:?}", op.operation_id, param.name, value);
    if let Err(error @ Error::InvalidRequest(_)) = result {
        assert!(journal.is_empty(), "{case}: refused, yet sent");
        return Err(error);
    }
    assert_eq!(journal.len(), 1, "{case}: {result:?}");
    let entry = &journal[0];
    Ok(Sent {
        method: entry.method().to_string(),
        below: entry.path().strip_prefix("/identity").unwrap().to_owned(),
        query: url::form_urlencoded::parse(entry.query().unwrap_or("").as_bytes())
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect(),
    })
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

async fn identity_for(emulator: &Emulator) -> IdentityClient {
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(emulator.identity_url())
        .access_token(emulator.issue_access_token())
        .retries(0)
        .rate_limit_retries(0)
        .load()
        .unwrap();
    IdentityClient::new(config).unwrap()
}

/// Every parameter with `HOSTILE` and `CASES` generated values, checked on the request the
/// call path builds: the URL it holds is the one that goes on the wire.
#[tokio::test]
async fn every_parameter_of_every_operation_keeps_its_place() {
    let emulator = Emulator::start().await.unwrap();
    let identity = identity_for(&emulator).await;
    let mut tally = Tally::default();
    let mut parameters = 0;
    let mut rng = fastrand::Rng::with_seed(7);
    for op in OPERATIONS {
        for param in op.params {
            parameters += 1;
            if matches!(param.kind, ParamKind::String | ParamKind::Array) {
                for value in HOSTILE {
                    judge(
                        op,
                        param,
                        value,
                        built(&identity, op, param, value),
                        &mut tally,
                    );
                }
            }
            for _ in 0..CASES {
                let value = value(param.kind, &mut rng);
                judge(
                    op,
                    param,
                    &value,
                    built(&identity, op, param, &value),
                    &mut tally,
                );
            }
        }
    }
    println!(
        "{} operations, {parameters} path and query parameters: {} values kept their place, {} were refused before sending",
        OPERATIONS.len(),
        tally.reached,
        tally.refused
    );
    assert!(tally.refused > 0 && tally.reached > parameters * CASES as usize / 2);
}

/// The hostile values over the wire: what the emulator receives is what the request held,
/// and a refused call sends nothing.
#[tokio::test]
async fn hostile_values_arrive_at_the_emulator_in_their_place() {
    let emulator = Emulator::start().await.unwrap();
    let identity = identity_for(&emulator).await;
    let mut tally = Tally::default();
    for op in OPERATIONS {
        for param in op
            .params
            .iter()
            .filter(|p| matches!(p.kind, ParamKind::String | ParamKind::Array))
        {
            for value in HOSTILE {
                let outcome = delivered(&emulator, &identity, op, param, value).await;
                judge(op, param, value, outcome, &mut tally);
            }
        }
    }
    println!(
        "over HTTP: {} values arrived in their place, {} were refused before sending",
        tally.reached, tally.refused
    );
    assert!(tally.refused > 0 && tally.reached > 0);
}

/// The cases that were found by hand: each either refused naming its operation and parameter,
/// or delivered to its own operation; the user, the role membership and SCIM all survive.
#[tokio::test]
async fn dot_segments_and_backslashes_reach_no_other_operation() {
    use finbourne_identity::ScimTokenAction;
    use finbourne_identity::client::types;

    let emulator = Emulator::start().await.unwrap();
    let identity = identity_for(&emulator).await;
    identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    let user = types::CreateUserRequest::builder()
        .first_name("Grace")
        .last_name("Hopper")
        .email_address("grace@example.com")
        .login("grace@example.com")
        .type_("Personal");
    let user = identity.create_user().body(user).send().await.unwrap().id;
    emulator.clear_journal();

    let refused = [
        identity
            .remove_user_from_role()
            .id("..")
            .user_id(user.as_str())
            .send()
            .await,
        identity.get_user().id(".").send().await.map(drop),
        identity
            .get_user_from_login()
            .login("..")
            .send()
            .await
            .map(drop),
        identity.get_user().id("schema").send().await.map(drop),
    ];
    let expected = [
        (
            "remove_user_from_role",
            "path parameter `id` cannot be `..`",
        ),
        ("get_user", "path parameter `id` cannot be `.`"),
        (
            "get_user_from_login",
            "path parameter `login` cannot be `..`",
        ),
        (
            "get_user",
            "path parameter `id` cannot be `schema`: the request would reach get_user_schema",
        ),
    ];
    for (result, (operation, says)) in refused.into_iter().zip(expected) {
        let error = result.unwrap_err();
        assert!(
            matches!(&error, Error::InvalidRequest(e) if e.operation() == operation),
            "{error:?}"
        );
        let shown = error.to_string();
        assert!(
            shown.starts_with(operation) && shown.contains(says),
            "{shown}"
        );
    }
    assert!(emulator.journal().is_empty(), "nothing was sent");

    // One segment, delivered to DeleteRole, which finds no such role.
    let error = identity
        .delete_role()
        .id("..\\identityprovider\\scim")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{error}");
    let journal = emulator.journal();
    assert_eq!(
        journal[0].path(),
        "/identity/api/roles/..%5Cidentityprovider%5Cscim"
    );

    assert!(
        identity.get_user().id(user.as_str()).send().await.is_ok(),
        "the user is still there"
    );
    assert_eq!(emulator.active_scim_tokens().len(), 1, "SCIM is still on");
}
