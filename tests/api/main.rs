//! Integration tests of the identity service (Keystone v3) over HTTP: one test binary
//! (`cargo test --features ssr --test api`), each test against its own `Application` on
//! an ephemeral port with a fresh data directory (and, with `GUREUM_TEST_DATABASE_URL`
//! set, a fresh PostgreSQL database).

// The server only exists with `ssr`; without it this binary is empty.
#![cfg(feature = "ssr")]

mod helpers;

mod bad_input;
mod compute;
mod forged;
mod images;
mod isolation;
mod l3;
mod limits;
mod network;
mod network_contract;
mod placement;
mod portal;
mod resources;
mod route_matrix;
mod scheduling;
mod server_networks;
mod tokens;
