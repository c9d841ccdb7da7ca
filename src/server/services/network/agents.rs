//! Network agents (Neutron's `/agents`): the parts of the data plane that run on a host —
//! the bridge agent, DHCP and L3. A controller records its agents when it starts; they
//! are alive while the host's controller heartbeat is fresh.

use super::fault::Fault;
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, l3::AgentFilter, l3::AgentRow};
use crate::server::error::{Error, Result};
use crate::server::host::DOWN_AFTER_SECONDS;
use crate::server::services::now;

use super::{
    policy, refuse, Network, NetworkQuery, NetworkService, PortQuery, Router, RouterQuery,
    OWNER_DHCP,
};

#[derive(Clone, Debug, PartialEq)]
pub struct Agent {
    pub id: String,
    pub agent_type: String,
    pub binary: String,
    pub host: String,
    pub topic: String,
    pub availability_zone: Option<String>,
    pub admin_state_up: bool,
    pub alive: bool,
    pub description: String,
    pub configurations: serde_json::Value,
    pub created_at: i64,
    pub started_at: i64,
    pub heartbeat_timestamp: Option<i64>,
}

impl Agent {
    fn from_row(r: AgentRow, now: i64) -> Agent {
        Agent {
            alive: r.heartbeat.is_some_and(|h| now - h <= DOWN_AFTER_SECONDS),
            configurations: serde_json::from_str(&r.configurations)
                .unwrap_or_else(|_| serde_json::json!({})),
            id: r.id,
            agent_type: r.agent_type,
            binary: r.binary_name,
            host: r.host,
            topic: r.topic,
            availability_zone: r.availability_zone,
            admin_state_up: r.admin_state_up != 0,
            description: r.description,
            created_at: r.created_at,
            started_at: r.started_at,
            heartbeat_timestamp: r.heartbeat,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct AgentQuery {
    pub agent_type: Option<String>,
    pub host: Option<String>,
    pub binary: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct AgentUpdate {
    pub admin_state_up: Option<bool>,
    pub description: Option<String>,
}

const L3_AGENT: &str = "L3 agent";
const DHCP_AGENT: &str = "DHCP agent";

/// The agents a host runs: (agent type, binary, topic, availability zone).
const HOST_AGENTS: [(&str, &str, &str, Option<&str>); 3] = [
    (
        "Linux bridge agent",
        "gureum-linuxbridge-agent",
        "N/A",
        None,
    ),
    (DHCP_AGENT, "gureum-dhcp-agent", "dhcp_agent", Some("nova")),
    (L3_AGENT, "gureum-l3-agent", "l3_agent", Some("nova")),
];

/// Agents are the administrators' (Neutron's `rule:get_agent` and friends).
fn admin_only(ctx: &OpCtx, action: Action, rule: &'static str) -> Result<()> {
    authorize(ctx, action, Resource::AdminOnly(rule)).map_err(|_| policy(rule))
}

fn agent_not_found(id: &str) -> Error {
    refuse(Fault::AgentNotFound, Error::not_found("agent", id))
}

impl NetworkService {
    /// Records this host's agents (at controller start), with what drives them.
    pub async fn register_agents(&self, host: &str) -> Result<()> {
        let configurations = serde_json::json!({
            "driver": self.driver.kind(),
            "bridge_mappings": self.config.physnets,
        })
        .to_string();
        let t = now();
        let mut conn = self.db.conn().await?;
        for (agent_type, binary, topic, zone) in HOST_AGENTS {
            db::l3::agent_started(
                &mut conn,
                &AgentRow {
                    id: super::new_uuid(),
                    agent_type: agent_type.into(),
                    binary_name: binary.into(),
                    host: host.into(),
                    topic: topic.into(),
                    availability_zone: zone.map(str::to_string),
                    admin_state_up: 1,
                    description: String::new(),
                    configurations: configurations.clone(),
                    created_at: t,
                    started_at: t,
                    heartbeat: None,
                },
            )
            .await?;
        }
        Ok(())
    }

    pub async fn agent_list(&self, ctx: &OpCtx, q: AgentQuery) -> Result<Vec<Agent>> {
        // Neutron filters a list by the policy on each item: others see no agent at all.
        if authorize(ctx, Action::List, Resource::AdminOnly("rule:get_agent")).is_err() {
            return Ok(Vec::new());
        }
        let mut conn = self.db.conn().await?;
        let t = now();
        Ok(db::l3::agent_list(
            &mut conn,
            &AgentFilter {
                agent_type: q.agent_type,
                host: q.host,
                binary_name: q.binary,
            },
        )
        .await?
        .into_iter()
        .map(|r| Agent::from_row(r, t))
        .collect())
    }

    pub async fn agent_get(&self, ctx: &OpCtx, id: &str) -> Result<Agent> {
        admin_only(ctx, Action::Read, "rule:get_agent")?;
        let mut conn = self.db.conn().await?;
        let row = db::l3::agent_get(&mut conn, id)
            .await?
            .ok_or_else(|| agent_not_found(id))?;
        Ok(Agent::from_row(row, now()))
    }

    pub async fn agent_update(&self, ctx: &OpCtx, id: &str, u: AgentUpdate) -> Result<Agent> {
        admin_only(ctx, Action::Modify, "rule:update_agent")?;
        let mut agent = self.agent_get(ctx, id).await?;
        if let Some(v) = u.admin_state_up {
            agent.admin_state_up = v;
        }
        if let Some(v) = u.description {
            agent.description = v;
        }
        let mut conn = self.db.conn().await?;
        db::l3::agent_update(
            &mut conn,
            id,
            agent.admin_state_up as i64,
            &agent.description,
        )
        .await?;
        Ok(agent)
    }

    /// Forgets an agent (one of a host that is gone); a running host records it again.
    pub async fn agent_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        admin_only(ctx, Action::Delete, "rule:delete_agent")?;
        let mut conn = self.db.conn().await?;
        if !db::l3::agent_delete(&mut conn, id).await? {
            return Err(agent_not_found(id));
        }
        Ok(())
    }

    /// The routers an L3 agent runs (Neutron's `GET /agents/{id}/l3-routers`). Every host
    /// converges the whole cloud's data plane from the database, so a host's L3 agent runs
    /// every router and its DHCP agent serves every network with a DHCP port; an agent of
    /// another kind runs none.
    pub async fn agent_routers(&self, ctx: &OpCtx, agent_id: &str) -> Result<Vec<Router>> {
        admin_only(ctx, Action::List, "rule:get_l3-routers")?;
        let agent = self.agent_get(ctx, agent_id).await?;
        if agent.agent_type != L3_AGENT {
            return Ok(Vec::new());
        }
        self.router_list(ctx, RouterQuery::default()).await
    }

    /// The L3 agents that run a router (`GET /routers/{id}/l3-agents`).
    pub async fn router_agents(&self, ctx: &OpCtx, router_id: &str) -> Result<Vec<Agent>> {
        admin_only(ctx, Action::List, "rule:get_l3-agents")?;
        self.router_get(ctx, router_id).await?;
        self.agents_of_type(ctx, L3_AGENT).await
    }

    /// The networks a DHCP agent serves (`GET /agents/{id}/dhcp-networks`).
    pub async fn agent_networks(&self, ctx: &OpCtx, agent_id: &str) -> Result<Vec<Network>> {
        admin_only(ctx, Action::List, "rule:get_dhcp-networks")?;
        let agent = self.agent_get(ctx, agent_id).await?;
        if agent.agent_type != DHCP_AGENT {
            return Ok(Vec::new());
        }
        let ids = self.dhcp_network_ids(ctx, Vec::new()).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.network_list(
            ctx,
            NetworkQuery {
                ids,
                ..Default::default()
            },
        )
        .await
    }

    /// The DHCP agents that serve a network (`GET /networks/{id}/dhcp-agents`): none while
    /// it has no DHCP port (no subnet with DHCP enabled).
    pub async fn network_agents(&self, ctx: &OpCtx, network_id: &str) -> Result<Vec<Agent>> {
        admin_only(ctx, Action::List, "rule:get_dhcp-agents")?;
        self.network_get(ctx, network_id).await?;
        if self
            .dhcp_network_ids(ctx, vec![network_id.to_string()])
            .await?
            .is_empty()
        {
            return Ok(Vec::new());
        }
        self.agents_of_type(ctx, DHCP_AGENT).await
    }

    async fn agents_of_type(&self, ctx: &OpCtx, agent_type: &str) -> Result<Vec<Agent>> {
        self.agent_list(
            ctx,
            AgentQuery {
                agent_type: Some(agent_type.to_string()),
                ..Default::default()
            },
        )
        .await
    }

    /// The networks (of those given, or all) that have a DHCP port.
    async fn dhcp_network_ids(&self, ctx: &OpCtx, network_id: Vec<String>) -> Result<Vec<String>> {
        let ports = self
            .port_list(
                ctx,
                PortQuery {
                    network_id,
                    device_owner: vec![OWNER_DHCP.to_string()],
                    ..Default::default()
                },
            )
            .await?;
        let mut ids: Vec<String> = ports.into_iter().map(|p| p.network_id).collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }
}
