//! Admin dashboard panels. System Information → Services: every service with its region
//! and endpoints.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::list_endpoints;

#[component]
pub fn SystemInfoPage() -> impl IntoView {
    let t = use_texts();
    let endpoints = Resource::new(|| (), |_| list_endpoints());
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
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                let list = endpoints.await.unwrap_or_default();
                view! {
                    <table class="table" id="services">
                        <thead><tr>
                            <th>{t().name}</th><th>{t().service_type}</th><th>{t().region}</th>
                            <th>{t().interface}</th><th>{t().service_endpoint}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|e| view! {
                                <tr>
                                    <td>{e.service_name.clone()}</td><td>{e.service_type.clone()}</td><td>{e.region.clone()}</td>
                                    <td>{e.interface.clone()}</td><td>{e.url.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            })}
        </Transition>
        </Show>
    }
}
