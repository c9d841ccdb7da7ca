//! Gureum: an OpenStack-compatible private cloud in one binary.
//!
//! The crate builds twice: with `ssr` as the server (portal SSR, server functions, the
//! OpenStack REST APIs, services, database, drivers) and with `hydrate` as the portal's
//! WASM. `server` is the one ssr-only module; `ui`, `server_fns`, `types` and `i18n`
//! compile for both.

#![recursion_limit = "256"]

#[macro_use]
pub mod message;

pub mod app;
pub mod i18n;
pub mod server_fns;
pub mod types;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Browser tests wait for this before they click: clicks before hydration are lost.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "1");
    }
}
