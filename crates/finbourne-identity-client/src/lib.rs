//! Typed client for the FINBOURNE Identity API.

#[rustfmt::skip]
// The xtask removes progenitor's `api-version` header, leaving some header maps unmutated.
#[allow(clippy::all, unused_mut, unused_comparisons)]
mod generated_client;
pub use generated_client::*;
