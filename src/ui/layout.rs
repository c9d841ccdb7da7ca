//! Horizon's chrome: the top bar (project switcher, user menu) and the side navigation
//! with the Project / Admin / Identity dashboards. Pages render in the `<Outlet/>`.

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

use crate::i18n::use_texts;
use crate::server_fns::session::{get_session, Logout, SwitchProject};
use crate::types::SessionInfo;

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
                <a class="brand" href="/project/api_access">{move || t().brand}</a>
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
                        <NavLink href="/project/overview" label=Signal::derive(move || t().c.overview.to_string())/>
                        <NavLink href="/project/instances" label=Signal::derive(move || t().c.instances.to_string())/>
                        <NavLink href="/project/images" label=Signal::derive(move || t().c.images.to_string())/>
                        <NavLink href="/project/key_pairs" label=Signal::derive(move || t().c.key_pairs.to_string())/>
                        <NavLink href="/project/api_access" label=Signal::derive(move || t().api_access.to_string())/>
                    </NavGroup>
                    <NavGroup title=Signal::derive(move || t().n.network.to_string())>
                        <NavLink href="/project/network_topology" label=Signal::derive(move || t().n.topology.to_string())/>
                        <NavLink href="/project/networks" label=Signal::derive(move || t().n.networks.to_string())/>
                        <NavLink href="/project/routers" label=Signal::derive(move || t().n.routers.to_string())/>
                        <NavLink href="/project/security_groups" label=Signal::derive(move || t().n.security_groups.to_string())/>
                        <NavLink href="/project/floating_ips" label=Signal::derive(move || t().n.floating_ips.to_string())/>
                    </NavGroup>
                    {is_admin.then(|| view! {
                        <NavGroup title=Signal::derive(move || t().admin.to_string())>
                            <NavLink href="/admin/overview" label=Signal::derive(move || t().c.overview.to_string())/>
                            <NavLink href="/admin/hypervisors" label=Signal::derive(move || t().c.hypervisors.to_string())/>
                            <NavLink href="/admin/instances" label=Signal::derive(move || t().c.instances.to_string())/>
                            <NavLink href="/admin/flavors" label=Signal::derive(move || t().c.flavors.to_string())/>
                            <NavLink href="/admin/images" label=Signal::derive(move || t().c.images.to_string())/>
                            <NavLink href="/admin/networks" label=Signal::derive(move || t().n.networks.to_string())/>
                            <NavLink href="/admin/routers" label=Signal::derive(move || t().n.routers.to_string())/>
                            <NavLink href="/admin/floating_ips" label=Signal::derive(move || t().n.floating_ips.to_string())/>
                            <NavLink href="/admin/defaults" label=Signal::derive(move || t().c.defaults.to_string())/>
                            <NavLink href="/admin/info" label=Signal::derive(move || t().system_information.to_string())/>
                        </NavGroup>
                    })}
                    <NavGroup title=Signal::derive(move || t().identity.to_string())>
                        {is_admin.then(|| view! {
                            <NavLink href="/identity/projects" label=Signal::derive(move || t().projects.to_string())/>
                            <NavLink href="/identity/users" label=Signal::derive(move || t().users.to_string())/>
                            <NavLink href="/identity/groups" label=Signal::derive(move || t().groups.to_string())/>
                            <NavLink href="/identity/roles" label=Signal::derive(move || t().roles.to_string())/>
                        })}
                        <NavLink href="/identity/application_credentials" label=Signal::derive(move || t().application_credentials.to_string())/>
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
fn NavLink(href: &'static str, label: Signal<String>) -> impl IntoView {
    let location = use_location();
    let active = move || location.pathname.get().starts_with(href);
    view! { <li class:active=active><A href=href>{move || label.get()}</A></li> }
}
