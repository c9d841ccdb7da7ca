//! The login page: domain (optional), user name, password. One generic message for any
//! wrong credential; a distinct one for a locked account.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::session::Login;
use crate::ui::components::ActionError;

#[component]
pub fn LoginPage() -> impl IntoView {
    let t = use_texts();
    let login = ServerAction::<Login>::new();
    view! {
        <div class="login-page">
            <div class="login-box">
                <h1 class="brand">{move || t().brand}</h1>
                <h2>{move || t().log_in_title}</h2>
                <ActionForm action=login attr:id="login-form">
                    <ActionError value=login.value()/>
                    <label>{move || t().domain}
                        <input type="text" name="domain" placeholder="Default" autocomplete="organization"/>
                    </label>
                    <label>{move || t().user_name}
                        <input type="text" name="username" required autocomplete="username" autofocus/>
                    </label>
                    <label>{move || t().password}
                        <input type="password" name="password" required autocomplete="current-password"/>
                    </label>
                    <button type="submit" class="btn btn-primary" disabled=move || login.pending().get()>
                        {move || t().sign_in}
                    </button>
                </ActionForm>
                <div class="lang-links">
                    <LangLink code="en" label="English"/>" · "<LangLink code="ko" label="한국어"/>
                </div>
            </div>
        </div>
    }
}

/// Switches the language before login.
#[component]
fn LangLink(code: &'static str, label: &'static str) -> impl IntoView {
    let lang = expect_context::<RwSignal<crate::i18n::Lang>>();
    let set = ServerAction::<crate::server_fns::session::SetPreferences>::new();
    view! {
        <a href="#" class="lang" on:click=move |ev| {
            ev.prevent_default();
            lang.set(crate::i18n::Lang::from_code(code));
            set.dispatch(crate::server_fns::session::SetPreferences {
                lang: code.to_string(),
                theme: crate::ui::prefs::initial_theme().to_string(),
            });
        }>{label}</a>
    }
}
