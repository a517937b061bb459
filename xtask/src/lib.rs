//! Developer tasks for the finbourne-identity workspace, as a library so tests can drive them.

pub mod cli_flags;
pub mod cli_names;
pub mod diff;
pub mod generatable;
pub mod generate;
pub mod msrv;
pub mod operations;
pub mod passes;
pub mod rewrite;
pub mod sdk;
pub mod setters;
pub mod spec;
pub mod sync;
