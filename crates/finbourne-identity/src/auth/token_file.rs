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
            AuthError::new(format!(
                "cannot read the access token file {}: {e}",
                self.path.display()
            ))
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
