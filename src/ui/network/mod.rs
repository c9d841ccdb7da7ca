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
use crate::types::{AgentView, ListQuery};
use crate::ui::components::{Column, ListTable, TableRow};

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

/// An agent is called by its type (`L3 agent`).
impl TableRow for AgentView {
    fn row_id(&self) -> String {
        self.id.clone()
    }
    fn row_name(&self) -> String {
        self.agent_type.clone()
    }
}

/// System Information → Network Agents: Type, Name (binary), Host, Status, State, last
/// heartbeat, and the driver behind them (`fake` says so).
#[component]
pub fn NetworkAgentsTab() -> impl IntoView {
    let t = use_texts();
    let agents = Resource::new(|| (), |_| list_agents(ListQuery::all()));
    let columns = vec![
        Column::new(|t| t.n.agent_type),
        Column::new(|t| t.n.agent_binary),
        Column::new(|t| t.n.agent_host),
        Column::new(|t| t.n.agent_alive),
        Column::new(|t| t.n.admin_state),
        Column::new(|t| t.n.last_heartbeat),
        Column::new(|t| t.n.agent_driver),
    ];
    view! {
        <ListTable id="network-agents" columns rows=agents cells=move |a: AgentView| view! {
            <td>{a.agent_type}</td><td>{a.binary}</td><td>{a.host}</td>
            <td class=if a.alive { "state-up" } else { "state-down" }>{if a.alive { t().up } else { t().down }}</td>
            <td>{if a.admin_state_up { t().enabled } else { t().no }}</td>
            <td>{a.heartbeat.unwrap_or_default()}</td>
            <td>{a.driver}</td>
        }/>
    }
}
