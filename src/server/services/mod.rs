//! The service layer: business rules, authorization, and the only callers of `db/`
//! (and, in later services, of `drivers/` and `sagas/`). REST handlers and server
//! functions are thin adapters over these methods.

pub mod compute;
pub mod identity;
pub mod image;
pub mod network;

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A Keystone-style id: 32 lowercase hex digits.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
