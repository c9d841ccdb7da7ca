//! Language and theme preferences, kept in cookies so the server renders the first paint
//! in the right language and theme, and the browser hydrates with the same values.

use crate::i18n::Lang;

fn parse(cookies: &str) -> (Lang, &'static str) {
    let mut theme = "system";
    for part in cookies.split(';') {
        match part.trim().split_once('=').unwrap_or_default() {
            ("gureum_theme", "light") => theme = "light",
            ("gureum_theme", "dark") => theme = "dark",
            _ => {}
        }
    }
    (Lang::from_cookies(cookies), theme)
}

/// The preferences of the request being rendered (server) or of the page (browser).
pub fn from_request() -> (Lang, &'static str) {
    parse(&cookie_header())
}

pub fn initial_lang() -> Lang {
    from_request().0
}

pub fn initial_theme() -> &'static str {
    from_request().1
}

#[cfg(feature = "ssr")]
fn cookie_header() -> String {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(axum::http::header::COOKIE)
                .and_then(|c| c.to_str().ok())
                .map(String::from)
        })
        .unwrap_or_default()
}

#[cfg(not(feature = "ssr"))]
fn cookie_header() -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Ok(html) = doc.dyn_into::<web_sys::HtmlDocument>() {
                return html.cookie().unwrap_or_default();
            }
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_preferences_from_cookies() {
        assert_eq!(parse(""), (Lang::En, "system"));
        assert_eq!(
            parse("a=b; gureum_lang=ko; gureum_theme=dark"),
            (Lang::Ko, "dark")
        );
        assert_eq!(parse("gureum_theme=<script>"), (Lang::En, "system"));
    }
}
