//! Reading the files configuration names (`secrets.json`, the access token file, the CA
//! certificate file): regular files only, and never more than a cap.

use std::io::{self, Read};
use std::path::Path;

use url::Url;

/// The largest `secrets.json` read: real ones are well under a KiB.
pub(crate) const SECRETS_FILE_CAP: u64 = 1024 * 1024;
/// The largest CA certificate bundle read: a full public bundle is about 200 KiB.
pub(crate) const CA_FILE_CAP: u64 = 4 * 1024 * 1024;
/// The largest access token file read: tokens are a few KiB.
pub(crate) const TOKEN_FILE_CAP: u64 = 64 * 1024;

/// Why a file could not be read.
pub(crate) enum FileError {
    /// It does not exist (a default `./secrets.json` may be absent).
    NotFound,
    /// Anything else, as a reason for a message; never the file's content.
    Unusable(String),
}

/// The whole of the regular file at `path`, if it holds at most `cap` bytes.
///
/// Checked before opening: opening a FIFO waits for a writer, and a device such as
/// `/dev/zero` never ends. The read is capped too, in case the file changes in between.
pub(crate) fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, FileError> {
    let unusable = |error: io::Error| match error.kind() {
        io::ErrorKind::NotFound => FileError::NotFound,
        _ => FileError::Unusable(error.to_string()),
    };
    let metadata = std::fs::metadata(path).map_err(unusable)?;
    if metadata.is_dir() {
        return Err(FileError::Unusable("it is a directory".into()));
    }
    if !metadata.is_file() {
        return Err(FileError::Unusable(
            "it is not a regular file (a pipe, socket or device)".into(),
        ));
    }
    let too_large = || FileError::Unusable(format!("it is larger than {}", size(cap)));
    if metadata.len() > cap {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(unusable)?
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(unusable)?;
    if bytes.len() as u64 > cap {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The certificates of the PEM bundle at `path`, read as [`read_capped`] reads; otherwise why
/// there are none, for a message that names the file. Used at load and again when a client is
/// built, so a file swapped in between (for a FIFO, say) is refused the same way.
pub(crate) fn read_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = read_capped(path, CA_FILE_CAP).map_err(|error| match error {
        FileError::NotFound => "it does not exist".to_owned(),
        FileError::Unusable(reason) => reason,
    })?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|_| "it is not a readable PEM certificate bundle".to_owned())?;
    if certificates.is_empty() {
        return Err("it holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)".into());
    }
    Ok(certificates)
}

fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

/// `path` as messages show it: control characters escaped (a line break as `\n`), so that a
/// path cannot break a one-line message in two or forge another line.
pub(crate) fn shown_path(path: &Path) -> String {
    let mut shown = String::new();
    for c in path.display().to_string().chars() {
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// `url` as messages and `Debug` show it: without its query, fragment and user-info, which
/// may hold credentials (`?client_secret=...`, `https://user:password@...`).
pub(crate) fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    // Only URLs that cannot have user-info (`data:`) refuse these, and then there is none.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(result: Result<Vec<u8>, FileError>) -> String {
        match result {
            Ok(_) => "read".into(),
            Err(FileError::NotFound) => "not found".into(),
            Err(FileError::Unusable(reason)) => reason,
        }
    }

    #[test]
    fn only_regular_files_under_the_cap_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        std::fs::write(&small, b"12345").unwrap();
        assert_eq!(read_capped(&small, 5).ok(), Some(b"12345".to_vec()));
        assert_eq!(reason(read_capped(&small, 4)), "it is larger than 0 KiB");
        assert_eq!(reason(read_capped(dir.path(), 5)), "it is a directory");
        assert_eq!(
            reason(read_capped(&dir.path().join("absent"), 5)),
            "not found"
        );
        // A device that never ends is refused at once, not read until memory runs out.
        assert_eq!(
            reason(read_capped(Path::new("/dev/zero"), 5)),
            "it is not a regular file (a pipe, socket or device)"
        );
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        match std::process::Command::new("mkfifo").arg(&fifo).status() {
            Ok(status) if status.success() => {}
            _ => return eprintln!("skipped: mkfifo is not available"),
        }
        assert_eq!(
            reason(read_capped(&fifo, 1024)),
            "it is not a regular file (a pipe, socket or device)"
        );
    }

    #[test]
    fn shown_paths_escape_control_characters() {
        let path = Path::new("/tmp/x\nFAKE: line\u{1b}[2J/é");
        assert_eq!(shown_path(path), "/tmp/x\\nFAKE: line\\u{1b}[2J/é");
    }

    #[test]
    fn shown_urls_lose_query_fragment_and_user_info() {
        let url =
            Url::parse("https://user:pw@idp.example.com:8443/oauth2/token?client_secret=PLANTED#f")
                .unwrap();
        assert_eq!(shown_url(&url), "https://idp.example.com:8443/oauth2/token");
    }
}
