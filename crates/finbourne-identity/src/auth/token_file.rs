//! A token kept in a file by another process (`FBN_ACCESS_TOKEN_FILE`).

use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::HeaderValue;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{AuthError, bearer};

/// How long a token read from the file is used before the file is read again.
pub(crate) const REREAD_AFTER: Duration = Duration::from_secs(120);

pub(crate) struct TokenFile {
    path: PathBuf,
    cached: Mutex<Option<(HeaderValue, Instant)>>,
}

impl TokenFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            cached: Mutex::new(None),
        }
    }

    /// The cached token, or the file's when the cache is older than [`REREAD_AFTER`].
    pub(crate) async fn bearer(&self) -> Result<HeaderValue, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, read_at)) = cached.as_ref()
            && read_at.elapsed() < REREAD_AFTER
        {
            return Ok(token.clone());
        }
        let token = self.read().await?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    /// Reads the file now, whatever the cache's age.
    pub(crate) async fn reread(&self) -> Result<HeaderValue, AuthError> {
        let mut cached = self.cached.lock().await;
        let token = self.read().await?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    async fn read(&self) -> Result<HeaderValue, AuthError> {
        let text = tokio::fs::read_to_string(&self.path).await.map_err(|e| {
            AuthError::caused_by(
                format!("cannot read the access token file {}", self.path.display()),
                e,
            )
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(AuthError::new(format!(
                "the access token file {} is empty",
                self.path.display()
            )));
        }
        bearer(&token.to_owned().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_file_is_read_again_once_the_cached_token_is_120_s_old() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "first\n").unwrap();
        let file = TokenFile::new(path.clone());
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
        let error = TokenFile::new(path.clone()).bearer().await.unwrap_err();
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
    async fn an_empty_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  \n").unwrap();
        let error = TokenFile::new(path.clone()).bearer().await.unwrap_err();
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{error}"
        );
    }
}
