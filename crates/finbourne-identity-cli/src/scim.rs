//! `fbn-identity scim enable|disable`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use finbourne_identity::{IdentityClient, ScimTokenAction};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::duration::parse_time;
use crate::failure::Failure;
use crate::output::{Format, escape, note};

const REMINDER: &str = "note: the SCIM API token is a credential: whoever holds it can create users in your domain; keep it like a password";

pub async fn enable(
    identity: &IdentityClient,
    args: &ArgMatches,
    format: Format,
) -> Result<(), Failure> {
    let token_file = args.get_one::<PathBuf>("token-file");
    // Checked before the API is called: a refused path must not cost the user a token.
    if let Some(path) = token_file {
        may_replace(path).map_err(|why| Failure::Usage(cannot_write(path, &why)))?;
    }
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
    let lost = lost_token(&action);
    let scim = identity.add_scim(action).await?;
    let token = scim.api_token().expose_secret();
    let shown = match token_file {
        Some(path) => {
            write_private(path, &format!("{token}\n")).map_err(|why| {
                Failure::Usage(format!(
                    "{}; the token was issued: `fbn-identity scim enable` (without --regenerate) returns it",
                    cannot_write(path, &why)
                ))
            })?;
            json!({"baseUrl": scim.base_url(), "tokenFile": path})
        }
        None => json!({"baseUrl": scim.base_url(), "apiToken": token}),
    };
    if let Err(error) = format.print(&shown) {
        // With --token-file the token is safe in its file; without, it was on its way to the
        // output that failed.
        let lost = token_file.is_none().then_some(lost);
        return Err(Failure::Output { error, lost });
    }
    note(REMINDER);
    Ok(())
}

/// What to say when the token `action` gives could not be printed: that it exists, the state of
/// the previous one, and how to have it again; never the token.
fn lost_token(action: &ScimTokenAction) -> String {
    match action {
        ScimTokenAction::Regenerate { old_token_ends } => {
            let previous = match old_token_ends {
                Some(ends) => format!(
                    "the previous token works until {}",
                    ends.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                None => "the previous token has stopped working".to_owned(),
            };
            format!(
                "the new SCIM API token WAS created but could not be written, and is shown \
                 nowhere else; {previous}; `fbn-identity scim enable` (without --regenerate) \
                 prints the new one"
            )
        }
        _ => "the SCIM API token WAS created (or was already active) but could not be written, \
              and is shown nowhere else; `fbn-identity scim enable` prints it again"
            .to_owned(),
    }
}

fn cannot_write(path: &Path, why: &str) -> String {
    format!(
        "cannot write the token to {}: {}",
        escape(&path.to_string_lossy()),
        escape(why)
    )
}

pub async fn disable(identity: &IdentityClient) -> Result<(), Failure> {
    identity.remove_scim().await?;
    note("SCIM provisioning is off: every SCIM API token has stopped working");
    Ok(())
}

/// Whether the token may go to `path`: nothing is there, or a regular file of ours, which is
/// replaced. A symbolic link (even a dangling one) could send the token elsewhere; a directory,
/// FIFO or device is no token file; another user's file is not ours to replace.
pub(crate) fn may_replace(path: &Path) -> Result<(), String> {
    // `new/` passes for a file named `new` in Path's eyes, but the rename would fail.
    if path.file_name().is_none() || path.to_string_lossy().ends_with(std::path::is_separator) {
        return Err("it names a directory".into());
    }
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match std::fs::metadata(directory_of(path)) {
                Ok(dir) if dir.is_dir() => Ok(()),
                _ => Err("its directory does not exist".into()),
            };
        }
        Err(e) => return Err(e.to_string()),
    };
    let kind = metadata.file_type();
    if kind.is_symlink() {
        return Err("it is a symbolic link; give the path of the file itself".into());
    }
    if kind.is_dir() {
        return Err("it is a directory".into());
    }
    if !kind.is_file() {
        return Err("it is not a regular file (a FIFO, socket or device)".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ours = rustix::process::geteuid().as_raw();
        if metadata.uid() != ours {
            return Err(format!(
                "it belongs to another user (uid {}, not {ours})",
                metadata.uid()
            ));
        }
    }
    Ok(())
}

/// Writes `contents` (a token, a profile) to `path`, readable and writable by the owner only:
/// into a new 0600 file beside it, synced, then renamed over it, so `path` is never a partly
/// written or wider-open file, and a link put there meanwhile is replaced, never followed.
pub(crate) fn write_private(path: &Path, contents: &str) -> Result<(), String> {
    may_replace(path)?;
    let dir = directory_of(path);
    let mut builder = tempfile::Builder::new();
    // A short fixed name: one made from the file's name could exceed the length limit.
    builder.prefix(".fbn-identity.").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    // Dropped on any error below, the temporary file is removed.
    let mut file = builder.tempfile_in(dir).map_err(|e| e.to_string())?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| e.to_string())?;
    file.persist(path).map_err(|e| e.error.to_string())?;
    // Makes the rename itself durable; the file is complete either way, so a failure is no error.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The directory `path` is in: `.` for a bare file name.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}
