//! Project → Overview: the limit summary (Horizon's quota pies).

use leptos::prelude::*;

use super::QuotaCharts;
use crate::app::use_texts;
use crate::server_fns::compute::project_usage;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let t = use_texts();
    let events = super::use_instance_events();
    let usage = Resource::new(move || events.get(), |_| project_usage());
    view! {
        <div class="page-header"><h2>{move || t().c.overview}</h2></div>
        <h3>{move || t().c.limit_summary}</h3>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match usage.await {
                    Ok(u) => view! { <div id="limit-summary"><QuotaCharts usage=u/></div> }.into_any(),
                    Err(e) => view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
    }
}
