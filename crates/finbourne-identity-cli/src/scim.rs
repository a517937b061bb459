//! `fbn-identity scim enable|disable`.

use std::io::Write;
use std::path::Path;

use clap::ArgMatches;
use finbourne_identity::{IdentityClient, ScimTokenAction};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::duration::parse_time;
use crate::failure::Failure;
use crate::output::{Format, escape};

const REMINDER: &str = "note: the SCIM API token is a credential: whoever holds it can create users in your domain; keep it like a password";

pub async fn enable(
    identity: &IdentityClient,
    args: &ArgMatches,
    format: Format,
) -> Result<(), Failure> {
    let action = if args.get_flag("regenerate") {
        let old_token_ends = args
            .get_one::<String>("old-token-ends")
            .map(|text| parse_time(text, chrono::Utc::now()))
            .transpose()
            .map_err(|e| Failure::Usage(format!("--old-token-ends: {e}")))?;
        ScimTokenAction::Regenerate { old_token_ends }
    } else {
        ScimTokenAction::Ensure
    };
    let scim = identity.add_scim(action).await?;
    let token = scim.api_token().expose_secret();
    let shown = match args.get_one::<std::path::PathBuf>("token-file") {
        Some(path) => {
            write_private(path, token).map_err(|e| {
                Failure::Usage(format!(
                    "cannot write the token to {}: {e}",
                    escape(&path.to_string_lossy())
                ))
            })?;
            json!({"baseUrl": scim.base_url().as_str(), "tokenFile": path})
        }
        None => json!({"baseUrl": scim.base_url().as_str(), "apiToken": token}),
    };
    format.print(&shown);
    eprintln!("{REMINDER}");
    Ok(())
}

pub async fn disable(identity: &IdentityClient) -> Result<(), Failure> {
    identity.remove_scim().await?;
    eprintln!("SCIM provisioning is off: every SCIM API token has stopped working");
    Ok(())
}

/// Writes `token` to `path`, readable and writable by the owner only.
fn write_private(path: &Path, token: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // An existing file keeps its mode on open; narrow it before writing the secret.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        writeln!(file, "{token}")
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        writeln!(file, "{token}")
    }
}
