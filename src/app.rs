//! The document shell and the route table. No data loading and no forms here: each page
//! lives in `ui/`.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::ui::{
    admin, compute, identity, layout::Dashboard, login::LoginPage, network, paths, project,
    settings::SettingsPage,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let (lang, theme) = crate::ui::prefs::from_request();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code() data-theme=theme>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let lang = RwSignal::new(crate::ui::prefs::initial_lang());
    provide_context(lang);
    let t = move || lang.get().texts();
    view! {
        <Stylesheet id="leptos" href="/pkg/gureum.css"/>
        <Title text=move || t().brand/>
        <Router>
            <Routes fallback=move || view! { <p class="not-found">{move || t().not_found}</p> }>
                <Route path=path!("/auth/login") view=LoginPage/>
                <Route path=path!("/") view=|| view! { <Redirect path=paths::API_ACCESS.href()/> }/>
                <ParentRoute path=path!("") view=Dashboard>
                    <Route path=paths::OVERVIEW.route() view=compute::overview::OverviewPage/>
                    <Route path=paths::INSTANCES.route() view=compute::instances::InstancesPage/>
                    <Route path=paths::INSTANCES.detail_route() view=compute::detail::InstanceDetailPage/>
                    <Route path=paths::IMAGES.route() view=compute::images::ImagesPage/>
                    <Route path=paths::KEY_PAIRS.route() view=compute::keypairs::KeypairsPage/>
                    <Route path=paths::API_ACCESS.route() view=project::ApiAccessPage/>
                    <Route path=paths::TOPOLOGY.route() view=network::topology::TopologyPage/>
                    <Route path=paths::NETWORKS.route() view=|| view! { <network::networks::NetworksPage/> }/>
                    <Route path=paths::ROUTERS.route() view=|| view! { <network::routers::RoutersPage/> }/>
                    <Route path=paths::SECURITY_GROUPS.route() view=network::security_groups::SecurityGroupsPage/>
                    <Route path=paths::FLOATING_IPS.route() view=|| view! { <network::floating_ips::FloatingIpsPage/> }/>
                    <Route path=paths::ADMIN_NETWORKS.route() view=network::AdminNetworksPage/>
                    <Route path=paths::ADMIN_ROUTERS.route() view=network::AdminRoutersPage/>
                    <Route path=paths::ADMIN_FLOATING_IPS.route() view=network::AdminFloatingIpsPage/>
                    <Route path=paths::ADMIN_INSTANCES.route() view=compute::instances::AdminInstancesPage/>
                    <Route path=paths::ADMIN_INSTANCES.detail_route() view=compute::detail::InstanceDetailPage/>
                    <Route path=paths::ADMIN_IMAGES.route() view=compute::images::AdminImagesPage/>
                    <Route path=paths::FLAVORS.route() view=compute::admin::FlavorsPage/>
                    <Route path=paths::ADMIN_OVERVIEW.route() view=compute::overview::AdminOverviewPage/>
                    <Route path=paths::HYPERVISORS.route() view=compute::admin::HypervisorsPage/>
                    <Route path=paths::DEFAULTS.route() view=compute::admin::DefaultsPage/>
                    <Route path=paths::SYSTEM_INFO.route() view=admin::SystemInfoPage/>
                    <Route path=paths::PROJECTS.route() view=identity::projects::ProjectsPage/>
                    <Route path=paths::USERS.route() view=identity::users::UsersPage/>
                    <Route path=paths::GROUPS.route() view=identity::groups::GroupsPage/>
                    <Route path=paths::ROLES.route() view=identity::roles::RolesPage/>
                    <Route path=paths::APP_CREDS.route() view=identity::app_creds::AppCredsPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
