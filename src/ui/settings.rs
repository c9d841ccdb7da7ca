//! User Settings: language, theme, and the user's own password.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::i18n::Lang;
use crate::server_fns::session::{ChangePassword, SetPreferences};
use crate::ui::components::ActionError;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let t = use_texts();
    let lang = expect_context::<RwSignal<Lang>>();
    let prefs = ServerAction::<SetPreferences>::new();
    let password = ServerAction::<ChangePassword>::new();
    let theme = RwSignal::new(crate::ui::prefs::initial_theme().to_string());
    // Language and theme apply at once; the cookie makes them stick.
    Effect::new(move |_| {
        if let Some(Ok(())) = prefs.value().get() {
            apply_theme(&theme.get_untracked());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = password.value().get() {
            let _ = window().location().set_href("/auth/login");
        }
    });
    view! {
        <div class="page-header"><h2>{move || t().user_settings}</h2></div>
        <section class="card">
            <form id="preferences" on:submit=move |ev| {
                ev.prevent_default();
                prefs.dispatch(SetPreferences { lang: lang.get_untracked().code().into(), theme: theme.get_untracked() });
            }>
                <label>{move || t().language}
                    <select name="lang" id="language" on:change=move |ev| lang.set(Lang::from_code(&event_target_value(&ev)))>
                        <option value="en" selected=move || lang.get() == Lang::En>"English"</option>
                        <option value="ko" selected=move || lang.get() == Lang::Ko>"한국어"</option>
                    </select>
                </label>
                <label>{move || t().theme}
                    <select name="theme" id="theme" on:change=move |ev| theme.set(event_target_value(&ev))>
                        <option value="system" selected=move || theme.get() == "system">{move || t().theme_system}</option>
                        <option value="light" selected=move || theme.get() == "light">{move || t().theme_light}</option>
                        <option value="dark" selected=move || theme.get() == "dark">{move || t().theme_dark}</option>
                    </select>
                </label>
                <button type="submit" class="btn btn-primary" id="save-preferences">{move || t().save}</button>
                {move || matches!(prefs.value().get(), Some(Ok(()))).then(|| view! { <span class="saved">{t().saved}</span> })}
            </form>
        </section>
        <section class="card">
            <h3>{move || t().change_password}</h3>
            <ActionForm action=password attr:id="change-password">
                <ActionError value=password.value()/>
                <label>{move || t().original_password}<input type="password" name="original" required autocomplete="current-password"/></label>
                <label>{move || t().new_password}<input type="password" name="new_password" required minlength="8" autocomplete="new-password"/></label>
                <label>{move || t().confirm_password}<input type="password" name="confirm" required autocomplete="new-password"/></label>
                <button type="submit" class="btn btn-primary">{move || t().change_password}</button>
            </ActionForm>
        </section>
    }
}

fn apply_theme(theme: &str) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", theme);
    }
}
