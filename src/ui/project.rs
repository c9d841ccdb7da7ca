//! Project dashboard panels. API Access: the catalog's endpoints and the credential files.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::list_endpoints;

#[component]
pub fn ApiAccessPage() -> impl IntoView {
    let t = use_texts();
    let endpoints = Resource::new(|| (), |_| list_endpoints());
    view! {
        <div class="page-header">
            <h2>{move || t().api_access}</h2>
            <div class="actions">
                <a class="btn" id="download-openrc" href="/project/api_access/openrc" download>{move || t().download_openrc}</a>
                <a class="btn" id="download-clouds" href="/project/api_access/clouds.yaml" download>{move || t().download_clouds_yaml}</a>
            </div>
        </div>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                let list = endpoints.await.unwrap_or_default();
                let public: Vec<_> = list.into_iter().filter(|e| e.interface == "public").collect();
                view! {
                    <table class="table" id="endpoints">
                        <thead><tr><th>{t().service}</th><th>{t().service_endpoint}</th></tr></thead>
                        <tbody>
                            {public.into_iter().map(|e| view! {
                                <tr><td>{e.service_type.clone()}" ("{e.service_name.clone()}")"</td><td>{e.url.clone()}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            })}
        </Transition>
    }
}
