//! A token kept in a file by another process (`FBN_ACCESS_TOKEN_FILE`).

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use super::{AuthError, Token, TokenFuture, TokenProvider};

/// How long a token read from the file is used before the file is read again: the token's
/// expiry as far as the cache knows.
pub(crate) const REREAD_AFTER: Duration = Duration::from_secs(120);
/// The largest token file read, as at load: a mistaken path (a log, an image) must not be read
/// whole into memory.
const MAX_LENGTH: u64 = crate::config::TOKEN_FILE_CAP;

#[derive(Debug)]
pub(crate) struct TokenFile {
    path: PathBuf,
}

impl TokenProvider for TokenFile {
    /// The file's token, to be used for [`REREAD_AFTER`].
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let read_at = Instant::now();
            let secret = self.read().await?;
            Ok(Token::new(secret, Some(read_at + REREAD_AFTER)))
        })
    }
}

impl TokenFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    async fn read(&self) -> Result<SecretString, AuthError> {
        let path = crate::config::shown_path(&self.path);
        let unreadable = |e: std::io::Error| {
            AuthError::caused_by(format!("cannot read the access token file {path}"), e)
        };
        // Checked before opening: opening a FIFO waits for a writer, and a device such as
        // /dev/zero never ends.
        if !tokio::fs::metadata(&self.path)
            .await
            .map_err(unreadable)?
            .is_file()
        {
            return Err(AuthError::new(format!(
                "the access token file {path} is not a regular file"
            )));
        }
        let mut bytes = Vec::new();
        tokio::fs::File::open(&self.path)
            .await
            .map_err(unreadable)?
            .take(MAX_LENGTH + 1)
            .read_to_end(&mut bytes)
            .await
            .map_err(unreadable)?;
        if bytes.len() as u64 > MAX_LENGTH {
            return Err(AuthError::new(format!(
                "the access token file {path} is larger than {} KiB, too large for a token",
                MAX_LENGTH / 1024
            )));
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            AuthError::new(format!("the access token file {path} is not UTF-8 text"))
        })?;
        // Trimmed, and a leading "Bearer " dropped, as when the configuration was loaded.
        let token = crate::config::access_token(&text).map_err(|reason| {
            AuthError::new(format!(
                "the access token file {path} cannot be used: {reason}"
            ))
        })?;
        Ok(token.to_owned().into())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Credential;
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_file_is_read_again_once_the_cached_token_is_120_s_old() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "first\n").unwrap();
        let file = Credential::file(TokenFile::new(path.clone()));
        let first = file.bearer().await.unwrap();
        std::fs::write(&path, "second\n").unwrap();

        tokio::time::advance(Duration::from_secs(119)).await;
        assert_eq!(file.bearer().await.unwrap(), first, "cached for 120 s");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(file.bearer().await.unwrap(), "Bearer second");
    }

    #[tokio::test]
    async fn a_missing_file_is_an_error_naming_it_caused_by_the_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent");
        let error = TokenFile::new(path.clone()).token().await.unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("cannot read the access token file {}", path.display())
        );
        let source = std::error::Error::source(&error).expect("the cause is kept");
        assert!(
            source.downcast_ref::<std::io::Error>().is_some(),
            "{source:?}"
        );
    }

    #[tokio::test]
    async fn what_is_not_a_regular_file_is_refused_at_once_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = vec![dir.path().to_owned()];
        if cfg!(unix) {
            let fifo = dir.path().join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|status| status.success()) {
                paths.push(fifo);
            } else {
                eprintln!("skipped the FIFO: mkfifo is not available");
            }
            paths.push("/dev/zero".into());
        }
        for path in paths {
            let error = TokenFile::new(path.clone()).token().await.unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "the access token file {} is not a regular file",
                    path.display()
                )
            );
        }
    }

    #[tokio::test]
    async fn a_file_over_64_kib_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "a".repeat(64 * 1024)).unwrap();
        let file = TokenFile::new(path.clone());
        assert!(file.token().await.is_ok(), "64 KiB is allowed");
        std::fs::write(&path, "a".repeat(64 * 1024 + 1)).unwrap();
        let error = file.token().await.unwrap_err();
        assert!(error.to_string().contains("larger than 64 KiB"), "{error}");
        assert!(error.to_string().contains(&path.display().to_string()));
    }

    #[tokio::test]
    async fn a_file_that_became_unusable_after_load_is_an_error_naming_it_never_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        for (content, reason) in [
            ("Bearer \n", "it holds only the word Bearer"),
            ("PLANTED\r\nX-Injected: 1", "control character"),
            ("PLANTED\u{200B}", "not ASCII"),
        ] {
            std::fs::write(&path, content).unwrap();
            let error = TokenFile::new(path.clone()).token().await.unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(shown.contains(reason), "{shown}");
            assert!(shown.contains(&path.display().to_string()), "{shown}");
            assert!(!shown.contains("PLANTED"), "{shown}");
        }
    }

    #[tokio::test]
    async fn an_empty_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  \n").unwrap();
        let error = TokenFile::new(path.clone()).token().await.unwrap_err();
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{error}"
        );
    }
}
