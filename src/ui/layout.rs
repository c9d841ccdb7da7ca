//! Horizon's chrome: the top bar (project switcher, user menu) and the side navigation
//! with the Project / Admin / Identity dashboards. Pages render in the `<Outlet/>`.

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

use crate::i18n::use_texts;
use crate::server_fns::session::{get_session, Logout, SwitchProject};
use crate::types::SessionInfo;
use crate::ui::paths::{self, Panel};

/// The signed-in session, for pages that need it.
pub type SessionResource = Resource<Result<Option<SessionInfo>, crate::types::AppError>>;

#[component]
pub fn Dashboard() -> impl IntoView {
    let switch = ServerAction::<SwitchProject>::new();
    let session: SessionResource = Resource::new(move || switch.version().get(), |_| get_session());
    provide_context(session);
    view! {
        <Suspense fallback=|| view! { <div class="loading-page"></div> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(info)) => view! { <Chrome info switch/> }.into_any(),
                    _ => view! { <Redirect path="/auth/login"/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Chrome(info: SessionInfo, switch: ServerAction<SwitchProject>) -> impl IntoView {
    let t = use_texts();
    let logout = ServerAction::<Logout>::new();
    let projects = info.projects.clone();
    let current = info.project_id.clone().unwrap_or_default();
    let is_admin = info.is_admin;
    let user_menu_open = RwSignal::new(false);
    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href=paths::API_ACCESS.href()>{move || t().brand}</a>
                <label class="project-switcher">
                    <span class="sr-only">{move || t().project}</span>
                    <select id="project-switcher" on:change=move |ev| {
                        switch.dispatch(SwitchProject { project_id: event_target_value(&ev) });
                    }>
                        {projects.is_empty().then(|| view! { <option value="">{move || t().no_project}</option> })}
                        {projects.into_iter().map(|(id, name)| {
                            let selected = id == current;
                            view! { <option value=id.clone() selected=selected>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <div class="spacer"></div>
                <div class="user-menu">
                    <button id="user-menu" class="btn" on:click=move |_| user_menu_open.update(|o| *o = !*o)>
                        {info.user_name.clone()}" ▾"
                    </button>
                    <div class="dropdown" class:open=move || user_menu_open.get()>
                        <a href="/settings">{move || t().settings}</a>
                        <ActionForm action=logout>
                            <button type="submit" id="sign-out" class="link">{move || t().sign_out}</button>
                        </ActionForm>
                    </div>
                </div>
            </header>
            <div class="body">
                <nav class="sidebar">
                    <NavGroup title=Signal::derive(move || t().project.to_string())>
                        <NavLink panel=paths::OVERVIEW/>
                        <NavLink panel=paths::INSTANCES/>
                        <NavLink panel=paths::IMAGES/>
                        <NavLink panel=paths::KEY_PAIRS/>
                        <NavLink panel=paths::API_ACCESS/>
                    </NavGroup>
                    <NavGroup title=Signal::derive(move || t().n.network.to_string())>
                        <NavLink panel=paths::TOPOLOGY/>
                        <NavLink panel=paths::NETWORKS/>
                        <NavLink panel=paths::ROUTERS/>
                        <NavLink panel=paths::SECURITY_GROUPS/>
                        <NavLink panel=paths::FLOATING_IPS/>
                    </NavGroup>
                    {is_admin.then(|| view! {
                        <NavGroup title=Signal::derive(move || t().admin.to_string())>
                            <NavLink panel=paths::ADMIN_OVERVIEW/>
                            <NavLink panel=paths::HYPERVISORS/>
                            <NavLink panel=paths::ADMIN_INSTANCES/>
                            <NavLink panel=paths::FLAVORS/>
                            <NavLink panel=paths::ADMIN_IMAGES/>
                            <NavLink panel=paths::ADMIN_NETWORKS/>
                            <NavLink panel=paths::ADMIN_ROUTERS/>
                            <NavLink panel=paths::ADMIN_FLOATING_IPS/>
                            <NavLink panel=paths::DEFAULTS/>
                            <NavLink panel=paths::SYSTEM_INFO/>
                        </NavGroup>
                    })}
                    <NavGroup title=Signal::derive(move || t().identity.to_string())>
                        {is_admin.then(|| view! {
                            <NavLink panel=paths::PROJECTS/>
                            <NavLink panel=paths::USERS/>
                            <NavLink panel=paths::GROUPS/>
                            <NavLink panel=paths::ROLES/>
                        })}
                        <NavLink panel=paths::APP_CREDS/>
                    </NavGroup>
                </nav>
                <main class="content">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

#[component]
fn NavGroup(title: Signal<String>, children: Children) -> impl IntoView {
    view! {
        <div class="nav-group">
            <h4>{move || title.get()}</h4>
            <ul>{children()}</ul>
        </div>
    }
}

#[component]
fn NavLink(panel: Panel) -> impl IntoView {
    let t = use_texts();
    let location = use_location();
    let href = panel.href();
    let active = {
        let href = href.clone();
        move || location.pathname.get().starts_with(&href)
    };
    view! { <li class:active=active><A href=href>{move || (panel.label)(t())}</A></li> }
}
