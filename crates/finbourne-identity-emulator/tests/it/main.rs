//! Integration tests: a real emulator on 127.0.0.1, driven with reqwest. No test touches any
//! other address.

mod answers;
mod applications;
mod bearer;
mod cells;
mod common;
mod coverage;
mod directory;
mod example;
mod families;
mod faults;
mod http;
mod journal;
mod keys;
mod lifecycle;
mod logs;
mod policies;
mod scim;
mod seed;
mod server;
mod support;
mod tokens;
mod unimplemented;
mod users_roles;
