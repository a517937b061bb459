//! Integration tests: a real emulator on 127.0.0.1, driven with reqwest. No test touches any
//! other address.

mod answers;
mod bearer;
mod cells;
mod common;
mod example;
mod faults;
mod journal;
mod logs;
mod scim;
mod seed;
mod server;
mod tokens;
mod unimplemented;
mod users_roles;
