//! Project dashboard panels. API Access: the catalog's endpoints and the credential files.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::list_endpoints;
use crate::types::EndpointView;
use crate::ui::components::{use_list_query, Column, ListTable};

#[component]
pub fn ApiAccessPage() -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let endpoints = Resource::new(
        move || query.get(),
        |q| list_endpoints(q, Some("public".into())),
    );
    let columns = vec![
        Column::sorted(|t| t.service, "service_type"),
        Column::new(|t| t.service_endpoint),
    ];
    view! {
        <div class="page-header">
            <h2>{move || t().api_access}</h2>
            <div class="actions">
                <a class="btn" id="download-openrc" href="/project/api_access/openrc" download>{move || t().download_openrc}</a>
                <a class="btn" id="download-clouds" href="/project/api_access/clouds.yaml" download>{move || t().download_clouds_yaml}</a>
            </div>
        </div>
        <ListTable id="endpoints" columns rows=endpoints cells=|e: EndpointView| view! {
            <td>{e.service_type}" ("{e.service_name}")"</td><td>{e.url}</td>
        }/>
    }
}
