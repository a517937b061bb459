//! The emulator's in-memory state: tokens, SCIM API tokens, users and roles.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::lock;

/// The emulator's clock: wall-clock time plus an offset that tests can advance.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: Mutex<chrono::Duration>,
}

impl Clock {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let offset = *lock(&self.offset);
        Utc::now()
            .checked_add_signed(offset)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    pub(crate) fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        let mut offset = lock(&self.offset);
        *offset = offset.checked_add(&by).unwrap_or(*offset);
    }
}

/// Adds a std duration to an instant, saturating far in the future.
pub(crate) fn add(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(by)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Random bytes from the operating system's CSPRNG. Should that ever fail, falls back to a
/// per-process keyed hash of a counter and the time, so that the emulator never panics.
fn random_bytes(buf: &mut [u8]) {
    if getrandom::fill(buf).is_ok() {
        return;
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    for chunk in buf.chunks_mut(8) {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_i64(Utc::now().timestamp_nanos_opt().unwrap_or_default());
        let value = hasher.finish().to_le_bytes();
        chunk.copy_from_slice(&value[..chunk.len()]);
    }
}

/// A random opaque token: `prefix` then 43 URL-safe characters (256 bits).
pub(crate) fn random_token(prefix: &str) -> String {
    use base64::Engine as _;
    let mut buf = [0u8; 32];
    random_bytes(&mut buf);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
    )
}

/// A random id in the style of the identity provider's ids: `prefix` then 17 letters and digits.
pub(crate) fn random_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut buf = [0u8; 17];
    random_bytes(&mut buf);
    let mut id = String::from(prefix);
    id.extend(
        buf.iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char),
    );
    id
}

/// An access token the emulator issued (OAuth2 or personal access token).
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub(crate) username: String,
    /// `None` for a token that never expires (personal access tokens).
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

/// A refresh token the emulator issued.
#[derive(Debug, Clone)]
pub(crate) struct RefreshToken {
    pub(crate) username: String,
    pub(crate) client_id: String,
    pub(crate) scope: String,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) revoked: bool,
}

/// A SCIM API token.
#[derive(Debug, Clone)]
pub(crate) struct ScimToken {
    pub(crate) token: String,
    /// When the token stops working; `None` while it has no end.
    pub(crate) ends_at: Option<DateTime<Utc>>,
}

impl ScimToken {
    pub(crate) fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.ends_at.is_none_or(|end| now < end)
    }
}

/// `RoleId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RoleId {
    pub(crate) scope: String,
    pub(crate) code: String,
}

/// A user, stored.
#[derive(Debug, Clone)]
pub(crate) struct UserRecord {
    pub(crate) id: String,
    pub(crate) email_address: String,
    pub(crate) second_email_address: Option<String>,
    pub(crate) login: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) alternative_user_ids: Option<HashMap<String, Option<String>>>,
    pub(crate) user_type: String,
    pub(crate) status: String,
    pub(crate) last_login: Option<DateTime<Utc>>,
    pub(crate) last_updated: DateTime<Utc>,
    pub(crate) created: DateTime<Utc>,
    pub(crate) user_expiry: Option<DateTime<Utc>>,
    /// Deleted without purge: kept, shown only with `includeDeactivated=true`.
    pub(crate) deactivated: bool,
}

/// A role, stored with its members' user ids.
#[derive(Debug, Clone)]
pub(crate) struct RoleRecord {
    pub(crate) id: String,
    pub(crate) role_id: RoleId,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) members: Vec<String>,
}

/// The scope given to roles created through the API.
pub(crate) const ROLE_SCOPE: &str = "default";

/// Everything the emulator remembers between requests.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) access_tokens: HashMap<String, AccessToken>,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    /// Every SCIM token ever issued, oldest first.
    pub(crate) scim_tokens: Vec<ScimToken>,
    /// Index in `scim_tokens` of the token `ensure` hands out, if one is current.
    pub(crate) current_scim: Option<usize>,
    pub(crate) users: Vec<UserRecord>,
    pub(crate) roles: Vec<RoleRecord>,
    /// The records of the resource families (applications, keys, network zones...).
    pub(crate) resources: crate::resources::Store,
    /// Passwords changed through the API and failed sign-ins, by login.
    pub(crate) accounts: crate::area::lifecycle::Accounts,
    /// Password policies per type of user and the session policy.
    pub(crate) policies: crate::area::policies::Policies,
    /// Grants of FINBOURNE support access.
    pub(crate) support: crate::area::support::Support,
    /// The alternative user id fields of the domain.
    pub(crate) user_schema: crate::area::schema::UserSchema,
    pub(crate) cell: crate::cells::Cell,
}

impl State {
    pub(crate) fn user(&self, id: &str) -> Option<&UserRecord> {
        self.users.iter().find(|u| u.id == id && !u.deactivated)
    }

    pub(crate) fn user_by_login(&self, login: &str) -> Option<&UserRecord> {
        self.users
            .iter()
            .find(|u| u.login.eq_ignore_ascii_case(login) && !u.deactivated)
    }

    pub(crate) fn role(&self, id: &str) -> Option<&RoleRecord> {
        self.roles.iter().find(|r| r.id == id)
    }

    pub(crate) fn roles_of(&self, user_id: &str) -> Vec<&RoleRecord> {
        self.roles
            .iter()
            .filter(|r| r.members.iter().any(|m| m == user_id))
            .collect()
    }

    /// A seeded user for a configured sign-in name.
    pub(crate) fn seed_user(&mut self, username: &str, now: DateTime<Utc>) {
        let email = if username.contains('@') {
            username.to_owned()
        } else {
            format!("{username}@example.com")
        };
        self.users.push(UserRecord {
            id: random_id("00u"),
            email_address: email,
            second_email_address: None,
            login: username.to_owned(),
            first_name: "Emulator".to_owned(),
            last_name: "User".to_owned(),
            alternative_user_ids: None,
            user_type: "Personal".to_owned(),
            status: "ACTIVE".to_owned(),
            last_login: None,
            last_updated: now,
            created: now,
            user_expiry: None,
            deactivated: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_url_safe() {
        let a = random_token("x_");
        let b = random_token("x_");
        assert_ne!(a, b);
        assert_eq!(a.len(), 2 + 43);
        assert!(
            a[2..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        let id = random_id("00u");
        assert_eq!(id.len(), 20);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn clock_advances_and_saturates() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() - before >= chrono::Duration::seconds(3600));
        clock.advance(Duration::MAX);
        let _ = clock.now();
        assert_eq!(
            add(DateTime::<Utc>::MAX_UTC, Duration::from_secs(1)),
            DateTime::<Utc>::MAX_UTC
        );
    }
}
