//! Identity dashboard panels.

pub mod app_creds;
pub mod groups;
pub mod projects;
pub mod roles;
pub mod users;
