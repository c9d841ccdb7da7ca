//! The document shell and the route table. No data loading and no forms here: each page
//! lives in `ui/`.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::ui::{
    admin, compute, identity, layout::Dashboard, login::LoginPage, network, project,
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
                <Route path=path!("/") view=|| view! { <Redirect path="/project/api_access"/> }/>
                <ParentRoute path=path!("") view=Dashboard>
                    <Route path=path!("/project/overview") view=compute::overview::OverviewPage/>
                    <Route path=path!("/project/instances") view=compute::instances::InstancesPage/>
                    <Route path=path!("/project/instances/:id") view=compute::detail::InstanceDetailPage/>
                    <Route path=path!("/project/images") view=compute::images::ImagesPage/>
                    <Route path=path!("/project/key_pairs") view=compute::keypairs::KeypairsPage/>
                    <Route path=path!("/project/api_access") view=project::ApiAccessPage/>
                    <Route path=path!("/project/network_topology") view=network::topology::TopologyPage/>
                    <Route path=path!("/project/networks") view=|| view! { <network::networks::NetworksPage/> }/>
                    <Route path=path!("/project/routers") view=|| view! { <network::routers::RoutersPage/> }/>
                    <Route path=path!("/project/security_groups") view=network::security_groups::SecurityGroupsPage/>
                    <Route path=path!("/project/floating_ips") view=|| view! { <network::floating_ips::FloatingIpsPage/> }/>
                    <Route path=path!("/admin/networks") view=network::AdminNetworksPage/>
                    <Route path=path!("/admin/routers") view=network::AdminRoutersPage/>
                    <Route path=path!("/admin/floating_ips") view=network::AdminFloatingIpsPage/>
                    <Route path=path!("/admin/instances") view=compute::instances::AdminInstancesPage/>
                    <Route path=path!("/admin/instances/:id") view=compute::detail::InstanceDetailPage/>
                    <Route path=path!("/admin/images") view=compute::images::AdminImagesPage/>
                    <Route path=path!("/admin/flavors") view=compute::admin::FlavorsPage/>
                    <Route path=path!("/admin/overview") view=compute::overview::AdminOverviewPage/>
                    <Route path=path!("/admin/hypervisors") view=compute::admin::HypervisorsPage/>
                    <Route path=path!("/admin/defaults") view=compute::admin::DefaultsPage/>
                    <Route path=path!("/admin/info") view=admin::SystemInfoPage/>
                    <Route path=path!("/identity/projects") view=identity::projects::ProjectsPage/>
                    <Route path=path!("/identity/users") view=identity::users::UsersPage/>
                    <Route path=path!("/identity/groups") view=identity::groups::GroupsPage/>
                    <Route path=path!("/identity/roles") view=identity::roles::RolesPage/>
                    <Route path=path!("/identity/application_credentials") view=identity::app_creds::AppCredsPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
