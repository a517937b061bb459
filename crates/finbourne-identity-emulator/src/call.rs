//! One authenticated, routed Identity API call, as the cell-management and log handlers see it,
//! and the hook through which `api::handle` hands those operations over.

use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::Shared;
use crate::reply::Reply;

/// What a handler in this crate's newer modules gets of a request.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Shared,
    /// The signed-in user's login.
    pub(crate) username: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) query: &'a [(String, String)],
    pub(crate) body: &'a [u8],
    /// The request path, for problem details' `instance`.
    pub(crate) instance: &'a str,
}

impl Call<'_> {
    /// The first query parameter with this name (ASCII case-insensitive, like the service).
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The bearer token the call was authenticated with.
    pub(crate) fn token(&self) -> &str {
        crate::scim::bearer_token(self.headers).unwrap_or("")
    }

    /// The JSON body as `T`; `Err` is a 400 answer naming the field at fault where possible.
    pub(crate) fn json_body<T: DeserializeOwned>(&self) -> Result<T, Reply> {
        crate::reply::json_body(self.body, self.instance)
    }
}

/// Whether one of the newer modules answers this operation.
pub(crate) fn serves(operation_id: &str) -> bool {
    crate::cells::OPERATIONS.contains(&operation_id)
        || crate::logs::OPERATIONS.contains(&operation_id)
}

/// Answers an operation for which [`serves`] is true.
pub(crate) fn answer(operation_id: &str, call: &Call<'_>) -> Reply {
    let result = if crate::logs::OPERATIONS.contains(&operation_id) {
        crate::logs::list(operation_id, call)
    } else {
        crate::cells::answer(operation_id, call)
    };
    result.unwrap_or_else(|reply| reply)
}
