//! Admin dashboard panels. System Information → Services: every service with its region
//! and endpoints.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::list_endpoints;
use crate::types::{EndpointView, ListQuery};
use crate::ui::components::{Column, ListTable, TableRow};

/// An endpoint is known by its URL and called by its service's name.
impl TableRow for EndpointView {
    fn row_id(&self) -> String {
        self.url.clone()
    }
    fn row_name(&self) -> String {
        self.service_name.clone()
    }
}

fn service_columns() -> Vec<Column> {
    vec![
        Column::new(|t| t.name),
        Column::new(|t| t.service_type),
        Column::new(|t| t.region),
        Column::new(|t| t.interface),
        Column::new(|t| t.service_endpoint),
    ]
}

#[component]
pub fn SystemInfoPage() -> impl IntoView {
    let t = use_texts();
    let endpoints = Resource::new(|| (), |_| list_endpoints(ListQuery::all(), None));
    let query = leptos_router::hooks::use_query_map();
    let compute_tab = move || query.with(|q| q.get("tab").as_deref() == Some("compute"));
    let network_tab = move || query.with(|q| q.get("tab").as_deref() == Some("network"));
    view! {
        <div class="page-header"><h2>{move || t().system_information}</h2></div>
        <div class="tabs">
            <a class="tab" class:active=move || !compute_tab() && !network_tab() href="?tab=services">{move || t().services}</a>
            <a class="tab" class:active=compute_tab href="?tab=compute" id="compute-services-tab">{move || t().c.compute_services}</a>
            <a class="tab" class:active=network_tab href="?tab=network" id="network-agents-tab">{move || t().n.network_agents}</a>
        </div>
        <Show when=compute_tab><crate::ui::compute::admin::ComputeServicesTab/></Show>
        <Show when=network_tab><crate::ui::network::NetworkAgentsTab/></Show>
        <Show when=move || !compute_tab() && !network_tab()>
            <ListTable id="services" columns=service_columns() rows=endpoints cells=|e: EndpointView| view! {
                <td>{e.service_name}</td><td>{e.service_type}</td><td>{e.region}</td>
                <td>{e.interface}</td><td>{e.url}</td>
            }/>
        </Show>
    }
}
