//! `cargo run --example scim` (from the workspace root): SCIM provisioning from start to end.
//!
//! With no FINBOURNE configuration anywhere (no `FBN_*` environment variable, no `secrets.json`)
//! it starts the built-in emulator and walks the whole lifecycle: ensure a token, regenerate it
//! with the old one ending in an hour, prove both work, remove SCIM, prove none does.
//!
//! With configuration present it talks to that domain and only ensures a token; changing tokens
//! takes a flag:
//!
//! ```text
//! cargo run --example scim -- [--regenerate [--old-token-ends-in MINUTES]] [--remove]
//! ```

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use finbourne_identity::{ConfigLoader, IdentityClient, ScimCredentials, ScimTokenAction};
use finbourne_identity_emulator::Emulator;
use secrecy::ExposeSecret;

const USAGE: &str =
    "usage: cargo run --example scim -- [--regenerate [--old-token-ends-in MINUTES]] [--remove]";

/// What to do against a real domain; the emulator run does everything.
#[derive(Debug, Default)]
struct Flags {
    regenerate: bool,
    old_token_ends_in: Option<chrono::Duration>,
    remove: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let flags = match parse(std::env::args().skip(1)) {
        Ok(flags) => flags,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let outcome = if configured() {
        against_domain(flags).await
    } else {
        against_emulator().await
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: impl Iterator<Item = String>) -> Result<Flags, String> {
    let mut flags = Flags::default();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--regenerate" => flags.regenerate = true,
            "--remove" => flags.remove = true,
            "--old-token-ends-in" => {
                let minutes = args
                    .next()
                    .ok_or("--old-token-ends-in needs a number of minutes")?;
                let minutes: i64 = minutes.parse().map_err(|_| {
                    format!("--old-token-ends-in takes whole minutes, not {minutes:?}")
                })?;
                flags.old_token_ends_in = Some(chrono::Duration::minutes(minutes));
            }
            "-h" | "--help" => return Err("help requested".into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if flags.old_token_ends_in.is_some() && !flags.regenerate {
        return Err("--old-token-ends-in only goes with --regenerate".into());
    }
    Ok(flags)
}

/// Whether any source the SDK reads has FINBOURNE settings.
fn configured() -> bool {
    std::env::vars_os().any(|(name, _)| name.to_string_lossy().starts_with("FBN_"))
        || std::path::Path::new("secrets.json").exists()
}

async fn against_domain(flags: Flags) -> Result<(), String> {
    let config = ConfigLoader::new().load().map_err(|e| e.to_string())?;
    println!("Using the FINBOURNE domain at {}", config.identity_url);
    let identity = IdentityClient::new(config).map_err(|e| e.to_string())?;
    let scim = identity
        .add_scim(ScimTokenAction::Ensure)
        .await
        .map_err(|e| e.to_string())?;
    show("ensure", &scim);
    if flags.regenerate {
        let old_token_ends = flags.old_token_ends_in.map(|d| Utc::now() + d);
        let action = ScimTokenAction::Regenerate { old_token_ends };
        let renewed = identity.add_scim(action).await.map_err(|e| e.to_string())?;
        show("regenerate", &renewed);
    }
    if flags.remove {
        identity.remove_scim().await.map_err(|e| e.to_string())?;
        println!("remove: SCIM provisioning is off; every SCIM token has stopped working");
    }
    Ok(())
}

async fn against_emulator() -> Result<(), String> {
    let emulator = Emulator::start()
        .await
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    println!(
        "No FINBOURNE configuration found (no FBN_* variables, no secrets.json): using the built-in emulator at {}",
        emulator.identity_url()
    );
    let settings: HashMap<_, _> = emulator.fbn_environment().into_iter().collect();
    let config = ConfigLoader::new()
        .environment(move |name| settings.get(name).cloned())
        .no_secrets_file()
        .application_name("scim-example")
        .load()
        .map_err(|e| e.to_string())?;
    let identity = IdentityClient::new(config).map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let fail = |e: finbourne_identity::Error| e.to_string();

    let first = identity
        .add_scim(ScimTokenAction::Ensure)
        .await
        .map_err(fail)?;
    show("ensure", &first);

    let old_token_ends = Some(emulator.now() + chrono::Duration::hours(1));
    let second = identity
        .add_scim(ScimTokenAction::Regenerate { old_token_ends })
        .await
        .map_err(fail)?;
    show("regenerate (old token ends in one hour)", &second);
    expect(&http, &first, true, "the old token, still inside its hour").await?;
    expect(&http, &second, true, "the new token").await?;

    identity.remove_scim().await.map_err(fail)?;
    println!("remove: SCIM provisioning is off");
    expect(&http, &first, false, "the old token").await?;
    expect(&http, &second, false, "the new token").await?;
    println!(
        "done: {} token request(s) for the whole run",
        identity.token_requests()
    );
    Ok(())
}

/// Prints what an identity provider needs, the token shortened to its first four characters.
fn show(step: &str, scim: &ScimCredentials) {
    println!(
        "{step}: base URL {}, API token {}",
        scim.base_url(),
        redacted(scim.api_token().expose_secret())
    );
}

fn redacted(token: &str) -> String {
    let shown: String = token.chars().take(4).collect();
    format!("{shown}… ({} characters)", token.chars().count())
}

/// Calls the SCIM endpoint with `scim`'s token and checks it is accepted or refused.
async fn expect(
    http: &reqwest::Client,
    scim: &ScimCredentials,
    works: bool,
    what: &str,
) -> Result<(), String> {
    let url = format!(
        "{}/ServiceProviderConfig",
        scim.base_url().trim_end_matches('/')
    );
    let answer = http
        .get(&url)
        .bearer_auth(scim.api_token().expose_secret())
        .send()
        .await
        .map_err(|e| format!("cannot reach the SCIM endpoint: {e}"))?;
    let status = answer.status();
    let token = redacted(scim.api_token().expose_secret());
    match (works, status.is_success()) {
        (true, true) => {
            println!("  proof: {what} {token} is accepted by the SCIM endpoint ({status})")
        }
        (false, false) => {
            println!("  proof: {what} {token} is refused by the SCIM endpoint ({status})")
        }
        (true, false) => {
            return Err(format!(
                "{what} {token} should work but the SCIM endpoint answered {status}"
            ));
        }
        (false, true) => {
            return Err(format!(
                "{what} {token} should be refused but the SCIM endpoint answered {status}"
            ));
        }
    }
    Ok(())
}
