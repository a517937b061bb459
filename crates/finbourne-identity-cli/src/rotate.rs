//! `fbn-identity scim rotate`: the periodic SCIM token chore in one command. A new token, the
//! old one ending after the overlap; the new one proven against the SCIM endpoint; saved or
//! printed; and what is left to do, by when.

use std::future::IntoFuture;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, ArgMatches, Command, value_parser};
use finbourne_identity::{Config, IdentityClient, ScimCredentials, ScimTokenAction};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::failure::Failure;
use crate::output::{Format, escape, note};
use crate::{confirm, feedback, scim};

/// How long the proof may take.
const PROOF_TIMEOUT: Duration = Duration::from_secs(30);

/// The `scim rotate` command.
pub fn command() -> Command {
    Command::new("rotate")
        .about("Replace the SCIM API token: the old one keeps working for the overlap; the new one is proven, then saved or printed")
        .arg(
            Arg::new("overlap")
                .long("overlap")
                .value_name("DURATION")
                .default_value("1h")
                .value_parser(crate::duration::parse_duration)
                .help("How long the old token keeps working, e.g. 30m or 1d; 0s ends it at once"),
        )
        .arg(
            Arg::new("token-file")
                .long("token-file")
                .value_name("PATH")
                .value_parser(value_parser!(PathBuf))
                .help("Write the new token to this file (0600, replaced atomically, never through a symbolic link) instead of printing it"),
        )
}

/// Runs `scim rotate`.
pub async fn rotate(
    identity: &IdentityClient,
    matches: &ArgMatches,
    args: &ArgMatches,
    format: Format,
) -> Result<(), Failure> {
    let token_file = args.get_one::<PathBuf>("token-file");
    let overlap = *args
        .get_one::<Duration>("overlap")
        .expect("it has a default");
    // Checked before anything changes: a refused path must not cost the user a token.
    if let Some(path) = token_file {
        scim::may_replace(path).map_err(|why| Failure::Usage(cannot_write(path, &why)))?;
    }
    let overlap = chrono::Duration::from_std(overlap)
        .map_err(|_| Failure::Usage("--overlap: too long".to_owned()))?;
    let ends = chrono::Utc::now() + overlap;
    let ends_text = ends.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    confirm::ask(
        matches,
        &format!("issue a new SCIM API token; the current one stops working at {ends_text}"),
    )?;
    let scim = feedback::busy(
        "issuing a new SCIM API token",
        identity
            .add_scim(ScimTokenAction::Regenerate {
                old_token_ends: Some(ends),
            })
            .into_future(),
    )
    .await?;
    let token = scim.api_token().expose_secret();

    // Saved (or printed) before the proof, so that a failed proof never loses the token.
    let (mut shown, kept) = match token_file {
        Some(path) => {
            scim::write_private(path, &format!("{token}\n")).map_err(|why| {
                Failure::Usage(format!(
                    "{}; the new token was issued and the old one works until {ends_text}: `fbn-identity scim enable` (without --regenerate) prints the new one",
                    cannot_write(path, &why)
                ))
            })?;
            (
                json!({"baseUrl": scim.base_url(), "tokenFile": path}),
                format!("the new token is in {}", escape(&path.to_string_lossy())),
            )
        }
        None => (
            json!({"baseUrl": scim.base_url(), "apiToken": token}),
            "the new token is printed above".to_owned(),
        ),
    };
    let proof = feedback::busy("proving the new token", prove(identity.config(), &scim)).await;
    feedback::stop_spinner();
    shown["oldTokenEnds"] = json!(ends_text);
    shown["proven"] = json!(proof.is_ok());
    if let Err(error) = format.print(&shown) {
        let lost = token_file.is_none().then(|| {
            format!(
                "the new SCIM API token WAS created but could not be written, and is shown nowhere else; \
                 the old one works until {ends_text}; `fbn-identity scim enable` (without --regenerate) prints the new one"
            )
        });
        return Err(Failure::Output { error, lost });
    }
    match proof {
        Ok(status) => {
            note(&format!(
                "the new token works: the SCIM endpoint's ServiceProviderConfig answered {status}"
            ));
            note(&format!(
                "the old token stops working at {ends_text} (in {})",
                feedback::shown(overlap.to_std().unwrap_or_default())
            ));
            note(&format!(
                "left to do: give your identity provider (Okta, Entra ID...) the new token before {ends_text}; {kept}"
            ));
            Ok(())
        }
        Err(failure) => {
            let mut failure = failure;
            failure.add_line(&format!(
                "the new token was issued but NOT proven: {kept}; the old token works until {ends_text}; \
                 check the SCIM endpoint {} before giving the new token to your identity provider",
                escape(scim.base_url())
            ));
            Err(failure)
        }
    }
}

/// Calls the SCIM endpoint's `ServiceProviderConfig` with the new token: its status when the
/// token is accepted.
async fn prove(config: &Config, scim: &ScimCredentials) -> Result<String, Failure> {
    let url = format!(
        "{}/ServiceProviderConfig",
        scim.base_url().trim_end_matches('/')
    );
    // The way the SDK goes: its proxy only, its CA certificate, no redirects.
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(PROOF_TIMEOUT);
    if let Some(proxy) = &config.proxy {
        let mut with = reqwest::Proxy::all(proxy.address.as_str())
            .map_err(|e| Failure::Usage(format!("the proxy cannot be used: {e}")))?;
        if let Some(user) = &proxy.username {
            let password = proxy.password.as_ref().map_or("", |p| p.expose_secret());
            with = with.basic_auth(user, password);
        }
        builder = builder.proxy(with);
    }
    if let Some(path) = &config.ca_certificate {
        let pem = std::fs::read(path).map_err(|e| {
            Failure::Usage(format!(
                "cannot read the CA certificate {}: {e}",
                escape(&path.to_string_lossy())
            ))
        })?;
        let certificate = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| Failure::Usage(format!("the CA certificate cannot be used: {e}")))?;
        builder = builder.add_root_certificate(certificate);
    }
    let client = builder
        .build()
        .map_err(|e| Failure::Usage(format!("cannot make an HTTP client: {e}")))?;
    let answer = client
        .get(&url)
        .bearer_auth(scim.api_token().expose_secret())
        .header(reqwest::header::ACCEPT, "application/scim+json")
        .send()
        .await
        .map_err(|e| {
            Failure::Network(format!(
                "cannot reach the SCIM endpoint {}: {}",
                escape(&url),
                escape(&e.to_string())
            ))
        })?;
    let status = answer.status();
    if status.is_success() {
        Ok(status.to_string())
    } else {
        Err(Failure::Api(format!(
            "the SCIM endpoint {} refused the new token: it answered {status}",
            escape(&url)
        )))
    }
}

fn cannot_write(path: &std::path::Path, why: &str) -> String {
    format!(
        "cannot write the token to {}: {}",
        escape(&path.to_string_lossy()),
        escape(why)
    )
}
