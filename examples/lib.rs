//! Runnable examples of the `finbourne-identity` SDK; nothing to link against. Run one from
//! the workspace root:
//!
//! ```text
//! cargo run --example scim   # the SCIM lifecycle, against the built-in emulator when no
//!                            # FINBOURNE configuration is present
//! ```
