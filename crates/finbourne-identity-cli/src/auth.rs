//! `fbn-identity auth login|status`, and what to say when nothing is configured.

use std::io::{BufRead, Read};

use base64::Engine as _;
use clap::{Arg, ArgAction, ArgMatches, Command};
use finbourne_identity::config::{ConfigProblem, Credentials, Setting, Source};
use finbourne_identity::{ConfigError, IdentityClient};
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use crate::failure::{self, Failure};
use crate::output::{Format, escape, note};
use crate::{confirm, feedback, profile};

/// The profile `auth login` writes, and the one read when no other configuration is present.
pub const DEFAULT_PROFILE: &str = "default";

/// The five settings of the password grant, with their `secrets.json` keys.
const PASSWORD_GRANT: [(Setting, &str); 5] = [
    (Setting::TokenUrl, "tokenUrl"),
    (Setting::Username, "username"),
    (Setting::Password, "password"),
    (Setting::ClientId, "clientId"),
    (Setting::ClientSecret, "clientSecret"),
];

/// The `auth` command.
pub fn command() -> Command {
    Command::new("auth")
        .about("Sign in to a profile, and see who you are")
        .subcommand_required(true)
        .subcommand(
            Command::new("login")
                .about("Save a profile (--profile, else `default`): asks for what is missing, then proves it with one call")
                .arg(
                    Arg::new("with-token")
                        .long("with-token")
                        .action(ArgAction::SetTrue)
                        .conflicts_with("password-grant")
                        .help("Read the personal access token from standard input instead of asking"),
                )
                .arg(
                    Arg::new("password-grant")
                        .long("password-grant")
                        .action(ArgAction::SetTrue)
                        .help("Sign in with the OAuth2 password grant (token URL, username, password, client id and secret) instead of a personal access token"),
                ),
        )
        .subcommand(Command::new("status").about(
            "Who you are (GetUserInfo), where the credentials came from, and when the token expires",
        ))
}

/// `auth status`.
pub async fn status(
    identity: &IdentityClient,
    profile: Option<&str>,
    format: Format,
) -> Result<(), Failure> {
    let me = feedback::busy("asking who you are", identity.get_user_info().send()).await?;
    let me = serde_json::to_value(me).unwrap_or(Value::Null);
    let config = identity.config();
    let (kind, setting) = match &config.credentials {
        Credentials::Password(_) => ("the OAuth2 password grant", Setting::Username),
        Credentials::ClientCredentials(_) => {
            ("the OAuth2 client credentials grant", Setting::ClientId)
        }
        _ => ("a personal access token", Setting::AccessToken),
    };
    let source = config
        .origins()
        .iter()
        .find(|o| o.setting == setting)
        .and_then(|o| o.source.as_ref())
        .map_or_else(|| "set in code".to_owned(), shown_source);
    let (expires, expiry) = expiry(identity);
    let shown = json!({
        "user": me.get("emailAddress").cloned().unwrap_or(Value::Null),
        "id": me.get("id").cloned().unwrap_or(Value::Null),
        "identityUrl": config.identity_url.as_str(),
        "profile": profile,
        "credentials": format!("{kind} from {source}"),
        "tokenExpires": expires,
        "tokenExpiry": expiry,
    });
    feedback::stop_spinner();
    format.print(&shown).map_err(Failure::stdout)
}

fn shown_source(source: &Source) -> String {
    match source {
        Source::Explicit => "a command-line option".to_owned(),
        other => other.to_string(),
    }
}

/// When the token stops working, as an RFC 3339 time where known, and how that is known.
fn expiry(identity: &IdentityClient) -> (Option<String>, String) {
    let at = |time: chrono::DateTime<chrono::Utc>| {
        Some(time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    if let Some(expires_at) = identity.token_expires_at() {
        let left = expires_at.saturating_duration_since(tokio::time::Instant::now());
        let when = chrono::Utc::now() + chrono::Duration::from_std(left).unwrap_or_default();
        return (
            at(when),
            format!(
                "in {} (the token endpoint's expires_in); renewed on its own before then",
                feedback::shown(left)
            ),
        );
    }
    let token = match &identity.config().credentials {
        Credentials::AccessToken(token) => Some(token.expose_secret().to_owned()),
        _ => None,
    };
    match token.as_deref().and_then(jwt_expiry) {
        Some(when) => (at(when), "read from the token's own `exp` claim".to_owned()),
        None => (
            None,
            "not known: this token does not say; a personal access token's end is set when it is made".to_owned(),
        ),
    }
}

/// The `exp` claim of a JSON Web Token, read without checking its signature (only to say when
/// it ends, never to trust it).
fn jwt_expiry(token: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    chrono::DateTime::from_timestamp(exp, 0)
}

/// `auth login`: works out the settings (flags, the environment, the profile as it is, else
/// asks), writes the profile, then proves it with one call.
pub async fn login(matches: &ArgMatches, args: &ArgMatches) -> Result<(), Failure> {
    let name = profile::chosen(matches).unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
    profile::path(&name)?;
    let mut api = profile::read_api(&name);
    let known = |key: &str, variable: &str, api: &Map<String, Value>| {
        std::env::var(variable)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| api.get(key).and_then(Value::as_str).map(str::to_owned))
            .filter(|v| !v.trim().is_empty())
    };
    let url = match matches.get_one::<String>("identity-url") {
        Some(url) => url.clone(),
        None => match known("identityUrl", "FBN_IDENTITY_URL", &api) {
            Some(url) => url,
            None => ask("Identity API URL (https://<your-domain>.lusid.com/identity)")?,
        },
    };
    api.insert("identityUrl".into(), Value::String(url));
    if args.get_flag("password-grant") {
        api.remove("accessToken");
        for (setting, key) in PASSWORD_GRANT {
            let variable = setting.env_vars()[0];
            let value = if setting.is_secret() {
                ask_secret(&setting.to_string())?
            } else {
                match known(key, variable, &api) {
                    Some(value) => value,
                    None => ask(&setting.to_string())?,
                }
            };
            api.insert(key.into(), Value::String(value));
        }
    } else {
        let token = if args.get_flag("with-token") {
            read_token_from_stdin()?
        } else {
            ask_secret("Personal access token")?
        };
        for (_, key) in PASSWORD_GRANT {
            api.remove(key);
        }
        api.insert("accessToken".into(), Value::String(token));
    }
    let path = profile::write(&name, api)?;
    note(&format!(
        "saved profile `{name}` to {} (readable by you only)",
        escape(&path.to_string_lossy())
    ));
    // The proof reads the file just written, as every later command will.
    let config = crate::loader(matches)?
        .secrets_file(&path)
        .load()
        .map_err(|e| failure::of_config(&e))?;
    feedback::remember(&config);
    let identity = IdentityClient::new(config)?;
    match feedback::busy("checking the profile", identity.get_user_info().send()).await {
        Ok(me) => {
            feedback::stop_spinner();
            let user = serde_json::to_value(me).unwrap_or(Value::Null);
            let user = user
                .get("emailAddress")
                .and_then(Value::as_str)
                .or_else(|| user.get("id").and_then(Value::as_str))
                .unwrap_or("(no name)")
                .to_owned();
            let how = if name == DEFAULT_PROFILE {
                "commands use it when nothing else is configured".to_owned()
            } else {
                format!("use it with --profile {name} or FBN_PROFILE={name}")
            };
            note(&format!(
                "logged in to {} as {}; {how}",
                escape(identity.config().identity_url.as_str()),
                escape(&user)
            ));
            Ok(())
        }
        Err(error) => {
            let mut failure = Failure::from(error);
            failure.add_line(&format!(
                "the profile `{name}` was saved but this check of it failed: fix the setting and run `fbn-identity auth login` again"
            ));
            Err(failure)
        }
    }
}

fn no_terminal(what: &str) -> Failure {
    Failure::Usage(format!(
        "{what} is not configured and there is no terminal to ask for it: give it with its option or environment variable (or --with-token for the token)"
    ))
}

/// A setting typed in plain view.
fn ask(what: &str) -> Result<String, Failure> {
    if !confirm::can_ask() {
        return Err(no_terminal(what));
    }
    dialoguer::Input::<String>::new()
        .with_prompt(what)
        .interact_text_on(&dialoguer::console::Term::stderr())
        .map(|text| text.trim().to_owned())
        .map_err(|e| Failure::Usage(format!("cancelled: {}", escape(&e.to_string()))))
}

/// A secret typed without echo.
fn ask_secret(what: &str) -> Result<String, Failure> {
    if !confirm::can_ask() {
        return Err(no_terminal(what));
    }
    dialoguer::Password::new()
        .with_prompt(format!("{what} (not shown)"))
        .interact_on(&dialoguer::console::Term::stderr())
        .map(|text| text.trim().to_owned())
        .map_err(|e| Failure::Usage(format!("cancelled: {}", escape(&e.to_string()))))
}

/// `--with-token`: the first line of standard input.
fn read_token_from_stdin() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(64 * 1024)
        .read_line(&mut line)
        .map_err(|e| Failure::Usage(format!("cannot read the token from standard input: {e}")))?;
    let token = line.trim();
    if token.is_empty() {
        return Err(Failure::Usage(
            "--with-token: standard input held no token".to_owned(),
        ));
    }
    Ok(token.to_owned())
}

/// With nothing configured, the short way first, instead of a line per missing setting; with
/// the identity URL but no credentials, one line for the credentials. `None` when something
/// else is wrong, which the problems themselves say best.
pub fn unconfigured(error: &ConfigError) -> Option<Failure> {
    let all_missing = error
        .problems()
        .iter()
        .all(|p| matches!(p, ConfigProblem::Missing { .. }));
    let given = |setting: Setting| {
        error
            .origins()
            .iter()
            .any(|o| o.setting == setting && !matches!(o.source, None | Some(Source::Default)))
    };
    if !all_missing || PASSWORD_GRANT.iter().any(|(s, _)| given(*s)) {
        return None;
    }
    let login = "or run `fbn-identity auth login` to be asked for them and save them in a profile; \
                 `fbn-identity config show` lists every setting and where it is read from";
    let message = if given(Setting::IdentityUrl) {
        format!(
            "no credentials are configured: set FBN_ACCESS_TOKEN to a personal access token \
             (or the password grant's FBN_TOKEN_URL, FBN_USERNAME, FBN_PASSWORD, FBN_CLIENT_ID and FBN_CLIENT_SECRET),\n{login}"
        )
    } else {
        format!(
            "nothing is configured. The quickest way is two variables:\n  \
             export FBN_IDENTITY_URL=https://<your-domain>.lusid.com/identity\n  \
             export FBN_ACCESS_TOKEN=<a personal access token>\n{login}"
        )
    };
    Some(Failure::Usage(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jwt_tells_its_expiry_and_other_tokens_do_not() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"u1","exp":1893456000}"#);
        let token = format!("eyJhbGciOiJub25lIn0.{payload}.sig");
        assert_eq!(
            jwt_expiry(&token).map(|t| t.to_rfc3339()),
            Some("2030-01-01T00:00:00+00:00".to_owned())
        );
        assert_eq!(jwt_expiry("emu_pat_abc"), None);
        assert_eq!(jwt_expiry("a.b.c.d"), None);
        assert_eq!(jwt_expiry("a.!!!.c"), None);
    }
}
