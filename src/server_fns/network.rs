//! Network panels: networks with the Create Network workflow, routers, security groups
//! with Horizon's rule templates, floating IPs, the topology and network agents. Each
//! function is one or a few calls into the network service.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::types::{
    AgentView, AppError, FloatingIpView, ListQuery, NetworkCreateRequest, NetworkView, Page,
    PortChoice, RouterView, RuleRequest, SecurityGroupView, TopologyView,
};

#[cfg(feature = "ssr")]
mod convert {
    use std::collections::HashMap;

    use crate::server::services::network::{Network, SecurityGroup, SecurityGroupRule, Subnet};
    use crate::types::{NetworkView, RuleView, SecurityGroupView, SubnetView};

    pub fn subnet(s: &Subnet) -> SubnetView {
        SubnetView {
            id: s.id.clone(),
            name: s.name.clone(),
            cidr: s.cidr.clone(),
            gateway_ip: s.gateway_ip.clone(),
            enable_dhcp: s.enable_dhcp,
            pools: s
                .allocation_pools
                .iter()
                .map(|p| (p.start.to_string(), p.end.to_string()))
                .collect(),
            dns: s.dns_nameservers.clone(),
        }
    }

    pub fn network(n: &Network, subnets: &[Subnet]) -> NetworkView {
        NetworkView {
            id: n.id.clone(),
            name: n.name.clone(),
            project_id: n.project_id.clone(),
            subnets: subnets
                .iter()
                .filter(|s| s.network_id == n.id)
                .map(subnet)
                .collect(),
            shared: n.shared,
            external: n.external,
            status: n.status.clone(),
            admin_state_up: n.admin_state_up,
            network_type: n.network_type.clone(),
            physical_network: n.physical_network.clone(),
            segmentation_id: n.segmentation_id,
            mtu: n.mtu,
        }
    }

    fn rule(r: &SecurityGroupRule, names: &HashMap<String, String>) -> RuleView {
        let port_range = match (r.protocol.as_deref(), r.port_range_min, r.port_range_max) {
            (Some("icmp"), Some(t), Some(c)) => format!("type {t}, code {c}"),
            (Some("icmp"), Some(t), None) => format!("type {t}"),
            (_, Some(a), Some(b)) if a == b => a.to_string(),
            (_, Some(a), Some(b)) => format!("{a} - {b}"),
            _ => "Any".into(),
        };
        let remote = match (&r.remote_ip_prefix, &r.remote_group_id) {
            (Some(p), _) => p.clone(),
            (_, Some(g)) => names.get(g).cloned().unwrap_or_else(|| g.clone()),
            _ => if r.ethertype == "IPv6" {
                "::/0"
            } else {
                "0.0.0.0/0"
            }
            .into(),
        };
        RuleView {
            id: r.id.clone(),
            direction: r.direction.clone(),
            ethertype: r.ethertype.clone(),
            protocol: r.protocol.clone().unwrap_or_else(|| "Any".into()),
            port_range,
            remote,
        }
    }

    pub fn groups(list: &[SecurityGroup]) -> Vec<SecurityGroupView> {
        let names: HashMap<String, String> = list
            .iter()
            .map(|g| (g.id.clone(), g.name.clone()))
            .collect();
        list.iter()
            .map(|g| SecurityGroupView {
                id: g.id.clone(),
                name: g.name.clone(),
                description: g.description.clone(),
                project_id: g.project_id.clone(),
                rules: g.rules.iter().map(|r| rule(r, &names)).collect(),
            })
            .collect()
    }
}

/// Lines of a text area, trimmed, blanks dropped.
#[cfg(feature = "ssr")]
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[server(input = Json)]
pub async fn list_networks(
    query: ListQuery,
    all_projects: bool,
) -> Result<Page<NetworkView>, AppError> {
    use crate::server::services::network::{NetworkQuery, SubnetQuery};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let mut networks = state
        .network
        .network_list(&ctx, NetworkQuery::default())
        .await?;
    if !all_projects {
        // Horizon's project panel: the project's own networks, shared and external ones.
        let own = ctx.auth.project_id().unwrap_or("").to_string();
        networks.retain(|n| n.project_id == own || n.shared || n.external);
    }
    let subnets = state
        .network
        .subnet_list(&ctx, SubnetQuery::default())
        .await?;
    let mut out: Vec<NetworkView> = networks
        .iter()
        .map(|n| convert::network(n, &subnets))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(super::table_page(
        out,
        &query,
        |n| &n.name,
        |n, col| match col {
            "status" => n.status.clone(),
            _ => n.name.clone(),
        },
    ))
}

/// Create Network: the network and (when asked) its subnet, all or nothing.
#[server(input = Json)]
pub async fn create_network(req: NetworkCreateRequest) -> Result<String, AppError> {
    use crate::server::services::network::{GatewayRequest, NetworkCreate, SubnetCreate};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    if req.name.trim().is_empty() && !req.create_subnet {
        return Err(AppError::Invalid(msg!(
            "A network needs a name or a subnet."
        )));
    }
    let subnet = if req.create_subnet {
        let pools = lines(&req.pools)
            .iter()
            .map(|l| {
                l.split_once(',')
                    .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
                    .ok_or_else(|| {
                        AppError::Invalid(msg!("Allocation pool `{l}` is not start,end.", l))
                    })
            })
            .collect::<Result<Vec<(String, String)>, AppError>>()?;
        Some(SubnetCreate {
            name: req.subnet_name.trim().to_string(),
            ip_version: Some(4),
            cidr: Some(req.cidr.trim().to_string()),
            gateway_ip: if req.disable_gateway {
                GatewayRequest::None
            } else if req.gateway_ip.trim().is_empty() {
                GatewayRequest::Default
            } else {
                GatewayRequest::Address(req.gateway_ip.trim().to_string())
            },
            enable_dhcp: Some(req.enable_dhcp),
            allocation_pools: (!pools.is_empty()).then_some(pools),
            dns_nameservers: lines(&req.dns),
            ..Default::default()
        })
    } else {
        None
    };
    let admin = crate::server::authz::is_admin(&ctx);
    let provider = admin && !req.network_type.is_empty();
    let network = state
        .network
        .network_create_with_subnet(
            &ctx,
            NetworkCreate {
                name: req.name.trim().to_string(),
                admin_state_up: Some(req.admin_state_up),
                shared: Some(req.shared),
                external: admin.then_some(req.external),
                network_type: provider.then(|| req.network_type.clone()),
                physical_network: (provider && !req.physical_network.is_empty())
                    .then(|| req.physical_network.clone()),
                segmentation_id: provider.then_some(req.segmentation_id).flatten(),
                ..Default::default()
            },
            subnet,
        )
        .await?;
    Ok(network.id)
}

#[server(input = Json)]
pub async fn delete_networks(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.network.network_delete(&ctx, &id).await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn list_routers(
    query: ListQuery,
    all_projects: bool,
) -> Result<Page<RouterView>, AppError> {
    use crate::server::services::network::{NetworkQuery, PortQuery, RouterQuery};
    use crate::types::RouterInterfaceView;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let own = ctx.auth.project_id().unwrap_or("").to_string();
    let mut routers = state
        .network
        .router_list(&ctx, RouterQuery::default())
        .await?;
    if !all_projects {
        routers.retain(|r| r.project_id == own);
    }
    let networks = state
        .network
        .network_list(&ctx, NetworkQuery::default())
        .await?;
    let name_of = |id: &str| {
        networks
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let ports = state
        .network
        .port_list(
            &ctx,
            PortQuery {
                device_owner: vec!["network:router_interface".into()],
                ..Default::default()
            },
        )
        .await?;
    let mut out: Vec<RouterView> = routers
        .iter()
        .map(|r| RouterView {
            id: r.id.clone(),
            name: r.name.clone(),
            project_id: r.project_id.clone(),
            status: r.status.clone(),
            admin_state_up: r.admin_state_up,
            gateway: r
                .gateway
                .as_ref()
                .map(|g| (g.network_id.clone(), name_of(&g.network_id))),
            gateway_ips: r
                .gateway
                .as_ref()
                .map(|g| {
                    g.external_fixed_ips
                        .iter()
                        .map(|f| f.ip_address.clone())
                        .collect()
                })
                .unwrap_or_default(),
            snat: r.gateway.as_ref().is_some_and(|g| g.enable_snat),
            interfaces: ports
                .iter()
                .filter(|p| p.device_id == r.id)
                .flat_map(|p| {
                    p.fixed_ips.iter().map(|f| RouterInterfaceView {
                        port_id: p.id.clone(),
                        subnet_id: f.subnet_id.clone(),
                        network_name: name_of(&p.network_id),
                        ip: f.ip_address.clone(),
                        status: p.status.clone(),
                    })
                })
                .collect(),
            routes: r
                .routes
                .iter()
                .map(|x| (x.destination.clone(), x.nexthop.clone()))
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(super::table_page(
        out,
        &query,
        |r| &r.name,
        |r, col| match col {
            "status" => r.status.clone(),
            _ => r.name.clone(),
        },
    ))
}

#[server(input = Json)]
pub async fn create_router(
    name: String,
    external_network: Option<String>,
) -> Result<String, AppError> {
    use crate::server::services::network::{ExternalGateway, RouterCreate};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let r = state
        .network
        .router_create(
            &ctx,
            RouterCreate {
                name: name.trim().to_string(),
                external_gateway: external_network
                    .filter(|n| !n.is_empty())
                    .map(|network_id| ExternalGateway {
                        network_id,
                        ..Default::default()
                    }),
                ..Default::default()
            },
        )
        .await?;
    Ok(r.id)
}

/// Set Gateway (a network) or Clear Gateway (`None`).
#[server(input = Json)]
pub async fn set_router_gateway(
    router_id: String,
    network_id: Option<String>,
) -> Result<(), AppError> {
    use crate::server::services::network::{ExternalGateway, RouterUpdate};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state
        .network
        .router_update(
            &ctx,
            &router_id,
            RouterUpdate {
                external_gateway: Some(network_id.filter(|n| !n.is_empty()).map(|network_id| {
                    ExternalGateway {
                        network_id,
                        ..Default::default()
                    }
                })),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}

/// Add Interface on a subnet (`add`), or remove the interface port (`!add`).
#[server(input = Json)]
pub async fn router_interface(router_id: String, add: bool, id: String) -> Result<(), AppError> {
    use crate::server::services::network::InterfaceRequest;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    if add {
        state
            .network
            .router_interface_add(&ctx, &router_id, InterfaceRequest::Subnet(id))
            .await?;
    } else {
        state
            .network
            .router_interface_remove(&ctx, &router_id, InterfaceRequest::Port(id))
            .await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn router_route(
    router_id: String,
    add: bool,
    destination: String,
    nexthop: String,
) -> Result<(), AppError> {
    use crate::server::services::network::Route;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state
        .network
        .router_routes_change(
            &ctx,
            &router_id,
            add,
            vec![Route {
                destination: destination.trim().to_string(),
                nexthop: nexthop.trim().to_string(),
            }],
        )
        .await?;
    Ok(())
}

#[server(input = Json)]
pub async fn delete_routers(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.network.router_delete(&ctx, &id).await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn list_security_groups(query: ListQuery) -> Result<Page<SecurityGroupView>, AppError> {
    use crate::server::services::network::SecurityGroupQuery;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let own = ctx.auth.project_id().unwrap_or("").to_string();
    let mut list = state
        .network
        .security_group_list(&ctx, SecurityGroupQuery::default())
        .await?;
    list.retain(|g| g.project_id == own);
    list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let rows = convert::groups(&list);
    Ok(super::table_page(
        rows,
        &query,
        |g| &g.name,
        |g, _| g.name.clone(),
    ))
}

#[server(input = Json)]
pub async fn create_security_group(name: String, description: String) -> Result<String, AppError> {
    use crate::server::services::network::SecurityGroupCreate;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let g = state
        .network
        .security_group_create(
            &ctx,
            SecurityGroupCreate {
                name: name.trim().to_string(),
                description,
                ..Default::default()
            },
        )
        .await?;
    Ok(g.id)
}

#[server(input = Json)]
pub async fn delete_security_groups(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.network.security_group_delete(&ctx, &id).await?;
    }
    Ok(())
}

/// Add Rule from one of Horizon's templates (custom ones take ports, ICMP type/code).
#[server(input = Json)]
pub async fn add_rule(req: RuleRequest) -> Result<(), AppError> {
    use crate::server::services::network::RuleCreate;
    use crate::types::RULE_TEMPLATES;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let Some((key, _, protocol, range)) = RULE_TEMPLATES.iter().find(|t| t.0 == req.template)
    else {
        return Err(AppError::Invalid(msg!(
            "Unknown rule `{template}`.",
            template = req.template
        )));
    };
    let (min, max) = match (*key, range) {
        (_, Some((a, b))) => (Some(*a), Some(*b)),
        ("custom_tcp" | "custom_udp", None) => match req.port_mode.as_str() {
            "range" => (req.from_port, req.to_port),
            _ => (req.port, req.port),
        },
        ("custom_icmp", None) => (req.icmp_type, req.icmp_code),
        _ => (None, None),
    };
    if matches!(*key, "custom_tcp" | "custom_udp") && (min.is_none() || max.is_none()) {
        return Err(AppError::Invalid(msg!(
            "Give a port, or both ends of a range (1-65535)."
        )));
    }
    let (prefix, group) = if req.remote == "group" && !req.remote_group_id.is_empty() {
        (None, Some(req.remote_group_id.clone()))
    } else {
        let cidr = req.cidr.trim();
        (
            Some(if cidr.is_empty() {
                "0.0.0.0/0".to_string()
            } else {
                cidr.to_string()
            }),
            None,
        )
    };
    state
        .network
        .rule_create(
            &ctx,
            RuleCreate {
                security_group_id: req.group_id,
                direction: if req.direction == "egress" {
                    "egress"
                } else {
                    "ingress"
                }
                .into(),
                ethertype: Some("IPv4".into()),
                protocol: Some(protocol.to_string()),
                port_range_min: min,
                port_range_max: max,
                remote_ip_prefix: prefix,
                remote_group_id: group,
                description: req.description,
            },
        )
        .await?;
    Ok(())
}

#[server(input = Json)]
pub async fn delete_rules(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.network.rule_delete(&ctx, &id).await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn list_floating_ips(
    query: ListQuery,
    all_projects: bool,
) -> Result<Page<FloatingIpView>, AppError> {
    use crate::server::services::network::{FloatingIpQuery, NetworkQuery, PortQuery};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let own = ctx.auth.project_id().unwrap_or("").to_string();
    let mut list = state
        .network
        .floating_ip_list(&ctx, FloatingIpQuery::default())
        .await?;
    if !all_projects {
        list.retain(|f| f.project_id == own);
    }
    let networks = state
        .network
        .network_list(&ctx, NetworkQuery::default())
        .await?;
    let ports = state.network.port_list(&ctx, PortQuery::default()).await?;
    let names = instance_names(&state, &ctx).await?;
    let mut out: Vec<FloatingIpView> = list
        .iter()
        .map(|f| {
            let device = f
                .port_id
                .as_ref()
                .and_then(|p| ports.iter().find(|x| &x.id == p))
                .map(|p| p.device_id.clone());
            FloatingIpView {
                id: f.id.clone(),
                address: f.floating_ip_address.clone(),
                pool: networks
                    .iter()
                    .find(|n| n.id == f.floating_network_id)
                    .map(|n| n.name.clone())
                    .unwrap_or_else(|| f.floating_network_id.clone()),
                fixed_ip: f.fixed_ip_address.clone(),
                port_id: f.port_id.clone(),
                instance: device.and_then(|d| names.get(&d).map(|n| (d.clone(), n.clone()))),
                status: f.status.clone(),
                project_id: f.project_id.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(super::table_page(
        out,
        &query,
        |f| &f.address,
        |f, col| match col {
            "pool" => f.pool.clone(),
            _ => f.address.clone(),
        },
    ))
}

/// Instance id → name, for the project (or everything an administrator sees).
#[cfg(feature = "ssr")]
async fn instance_names(
    state: &crate::server::state::AppState,
    ctx: &crate::server::context::OpCtx,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    use crate::server::services::compute::ServerListQuery;
    let page = state
        .compute
        .server_list(
            ctx,
            ServerListQuery {
                limit: Some(1000),
                ..Default::default()
            },
        )
        .await?;
    Ok(page.servers.into_iter().map(|s| (s.id, s.name)).collect())
}

#[server(input = Json)]
pub async fn allocate_floating_ip(network_id: String) -> Result<String, AppError> {
    use crate::server::services::network::FloatingIpCreate;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let f = state
        .network
        .floating_ip_create(
            &ctx,
            FloatingIpCreate {
                floating_network_id: network_id,
                ..Default::default()
            },
        )
        .await?;
    Ok(f.floating_ip_address)
}

/// Associate with a port (`Some`) or disassociate (`None`).
#[server(input = Json)]
pub async fn associate_floating_ip(id: String, port_id: Option<String>) -> Result<(), AppError> {
    use crate::server::services::network::FloatingIpUpdate;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state
        .network
        .floating_ip_update(
            &ctx,
            &id,
            FloatingIpUpdate {
                port_id: Some(port_id.filter(|p| !p.is_empty())),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}

#[server(input = Json)]
pub async fn release_floating_ips(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.network.floating_ip_delete(&ctx, &id).await?;
    }
    Ok(())
}

/// The project's instance ports a floating IP can point at.
#[server]
pub async fn port_choices() -> Result<Vec<PortChoice>, AppError> {
    use crate::server::services::network::{PortQuery, OWNER_COMPUTE};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let own = ctx.auth.project_id().unwrap_or("").to_string();
    let ports = state
        .network
        .port_list(
            &ctx,
            PortQuery {
                device_owner: vec![OWNER_COMPUTE.into()],
                ..Default::default()
            },
        )
        .await?;
    let names = instance_names(&state, &ctx).await?;
    let mut out: Vec<PortChoice> = ports
        .iter()
        .filter(|p| p.project_id == own)
        .flat_map(|p| {
            let name = names
                .get(&p.device_id)
                .cloned()
                .unwrap_or_else(|| p.device_id.clone());
            p.fixed_ips.iter().map(move |f| PortChoice {
                port_id: p.id.clone(),
                fixed_ip: f.ip_address.clone(),
                label: format!("{name}: {}", f.ip_address),
            })
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(out)
}

/// Network Topology: the networks the project sees, its routers and its instances with
/// their interfaces.
#[server]
pub async fn topology() -> Result<TopologyView, AppError> {
    use crate::server::services::network::{
        NetworkQuery, PortQuery, RouterQuery, SubnetQuery, OWNER_COMPUTE,
    };
    use crate::types::{TopologyInstance, TopologyNetwork, TopologyRouter};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let own = ctx.auth.project_id().unwrap_or("").to_string();
    let networks = state
        .network
        .network_list(&ctx, NetworkQuery::default())
        .await?;
    let subnets = state
        .network
        .subnet_list(&ctx, SubnetQuery::default())
        .await?;
    let routers = state
        .network
        .router_list(&ctx, RouterQuery::default())
        .await?;
    let ports = state.network.port_list(&ctx, PortQuery::default()).await?;
    let page = state
        .compute
        .server_list(
            &ctx,
            crate::server::services::compute::ServerListQuery {
                limit: Some(1000),
                ..Default::default()
            },
        )
        .await?;
    let mut view = TopologyView::default();
    for n in networks
        .iter()
        .filter(|n| n.project_id == own || n.shared || n.external)
    {
        view.networks.push(TopologyNetwork {
            id: n.id.clone(),
            name: n.name.clone(),
            cidrs: subnets
                .iter()
                .filter(|s| s.network_id == n.id)
                .map(|s| s.cidr.clone())
                .collect(),
            external: n.external,
        });
    }
    view.networks
        .sort_by(|a, b| b.external.cmp(&a.external).then(a.name.cmp(&b.name)));
    for r in routers.iter().filter(|r| r.project_id == own) {
        let mut nets: Vec<String> = ports
            .iter()
            .filter(|p| p.device_id == r.id && p.device_owner == "network:router_interface")
            .map(|p| p.network_id.clone())
            .collect();
        nets.sort();
        nets.dedup();
        view.routers.push(TopologyRouter {
            id: r.id.clone(),
            name: r.name.clone(),
            gateway: r.gateway.as_ref().map(|g| g.network_id.clone()),
            networks: nets,
        });
    }
    view.routers.sort_by(|a, b| a.name.cmp(&b.name));
    for s in page.servers.iter().filter(|s| s.project_id == own) {
        let mut mine: Vec<(String, String)> = ports
            .iter()
            .filter(|p| p.device_id == s.id && p.device_owner == OWNER_COMPUTE)
            .flat_map(|p| {
                p.fixed_ips
                    .iter()
                    .map(move |f| (p.network_id.clone(), f.ip_address.clone()))
            })
            .collect();
        mine.sort();
        view.instances.push(TopologyInstance {
            id: s.id.clone(),
            name: s.name.clone(),
            status: s.status().to_string(),
            ports: mine,
        });
    }
    view.instances.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(view)
}

#[server(input = Json)]
pub async fn list_agents(query: ListQuery) -> Result<Page<AgentView>, AppError> {
    use crate::server::services::network::AgentQuery;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let list = state
        .network
        .agent_list(&ctx, AgentQuery::default())
        .await?;
    let rows = list
        .iter()
        .map(|a| AgentView {
            id: a.id.clone(),
            agent_type: a.agent_type.clone(),
            binary: a.binary.clone(),
            host: a.host.clone(),
            alive: a.alive,
            admin_state_up: a.admin_state_up,
            heartbeat: a.heartbeat_timestamp.map(crate::server::time::iso_micros),
            driver: a.configurations["driver"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        })
        .collect();
    Ok(super::table_page(
        rows,
        &query,
        |a| &a.agent_type,
        |a, col| match col {
            "host" => a.host.clone(),
            _ => a.agent_type.clone(),
        },
    ))
}
