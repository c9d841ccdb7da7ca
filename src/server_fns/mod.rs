//! Server functions: the portal's calls to the server. Each is a thin adapter: find the
//! caller (`request_ctx`), parse, call one service method, convert to a view.

pub mod compute;
pub mod identity;
pub mod network;
pub mod session;
