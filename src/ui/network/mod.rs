//! Project → Network panels (Network Topology, Networks, Routers, Security Groups,
//! Floating IPs), the Admin → Network panels built on the same tables, and System
//! Information → Network Agents.

pub mod floating_ips;
pub mod networks;
pub mod routers;
pub mod security_groups;
pub mod topology;

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::network::list_agents;

#[component]
pub fn AdminNetworksPage() -> impl IntoView {
    view! { <networks::NetworksPage admin=true/> }
}

#[component]
pub fn AdminRoutersPage() -> impl IntoView {
    view! { <routers::RoutersPage admin=true/> }
}

#[component]
pub fn AdminFloatingIpsPage() -> impl IntoView {
    view! { <floating_ips::FloatingIpsPage admin=true/> }
}

/// System Information → Network Agents: Type, Name (binary), Host, Status, State, last
/// heartbeat, and the driver behind them (`fake` says so).
#[component]
pub fn NetworkAgentsTab() -> impl IntoView {
    let t = use_texts();
    let agents = Resource::new(|| (), |_| list_agents());
    view! {
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match agents.await {
                    Err(e) => view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" id="network-agents">
                            <thead><tr><th>{t().n.agent_type}</th><th>{t().n.agent_binary}</th><th>{t().n.agent_host}</th><th>{t().n.agent_alive}</th><th>{t().n.admin_state}</th><th>{t().n.last_heartbeat}</th><th>"driver"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|a| view! {
                                    <tr data-type=a.agent_type.clone()>
                                        <td>{a.agent_type.clone()}</td><td>{a.binary.clone()}</td><td>{a.host.clone()}</td>
                                        <td class=if a.alive { "state-up" } else { "state-down" }>{if a.alive { t().up } else { t().down }}</td>
                                        <td>{if a.admin_state_up { t().enabled } else { t().no }}</td>
                                        <td>{a.heartbeat.clone().unwrap_or_default()}</td>
                                        <td>{a.driver.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
