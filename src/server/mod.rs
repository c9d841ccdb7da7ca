//! Everything that runs only on the server (feature `ssr`).
//!
//! `db` is private to this module, so the portal's components and server functions cannot
//! reach SQL; they go through `services`.

pub mod application;
pub mod authz;
pub mod cli;
pub mod config;
pub use cli::ServeArgs;
pub mod context;
mod db;
pub mod drivers;
pub mod error;
pub mod files;
pub mod host;
pub mod portal;
pub mod rest;
mod saga;
pub mod serve;
pub mod services;
mod session_store;
pub mod state;
pub mod status;
pub mod telemetry;
pub mod time;

pub use db::{Backend, Db};
