//! End-to-end tests of the workspace live in this crate's `tests/` folder.
