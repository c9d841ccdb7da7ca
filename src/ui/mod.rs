//! The portal's pages and components (both targets). No SQL, no policy, no driver types:
//! data comes from `server_fns`, and hiding a button is never authorization.

pub mod admin;
pub mod components;
pub mod compute;
pub mod identity;
pub mod layout;
pub mod login;
pub mod network;
pub mod paths;
pub mod prefs;
pub mod project;
pub mod settings;
