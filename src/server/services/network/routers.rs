//! Routers: a gateway on an external network (SNAT by default), interfaces on project
//! subnets (each one a port holding the subnet's gateway address), and static routes.
//! A router's ports are made and removed in the same transaction as the router change.

use super::fault::Fault;
use super::PortQuery;
use crate::message::Message;
use crate::server::db::network::Scope;
use serde::{Deserialize, Serialize};

use super::networks::{owner, scope};
use super::ports::{
    FixedIp, FixedIpRequest, OwnedPort, OWNER_ROUTER_GATEWAY, OWNER_ROUTER_INTERFACE,
};
use super::subnets::Subnet;
use super::{
    conflict, from_refusal, invalid, ipam, parse_list, policy, refuse, to_json, NetworkService,
};
use crate::server::authz::{authorize, is_admin, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, l3::RouterRow, Tx};
use crate::server::error::{Error, Result};
use crate::server::services::now;

pub use crate::server::db::l3::RouterQuery;

/// The most static routes a router takes (Neutron's `max_routes`).
const MAX_ROUTES: usize = 30;

/// A static route: traffic for `destination` goes to `nexthop`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub destination: String,
    pub nexthop: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouterGateway {
    pub network_id: String,
    pub enable_snat: bool,
    pub external_fixed_ips: Vec<FixedIp>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Router {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub admin_state_up: bool,
    pub status: String,
    pub gateway: Option<RouterGateway>,
    /// The gateway's port (not part of the API's router body).
    pub gw_port_id: Option<String>,
    pub routes: Vec<Route>,
    pub tags: Vec<String>,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Router {
    fn from_row(r: RouterRow, gw_ips: Vec<FixedIp>) -> Router {
        Router {
            gateway: r.gw_network_id.clone().map(|network_id| RouterGateway {
                network_id,
                enable_snat: r.enable_snat != 0,
                external_fixed_ips: gw_ips,
            }),
            routes: parse_list(&r.routes),
            tags: parse_list(&r.tags),
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            description: r.description,
            admin_state_up: r.admin_state_up != 0,
            status: r.status,
            gw_port_id: r.gw_port_id,
            revision_number: r.revision_number,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    fn to_row(&self) -> RouterRow {
        RouterRow {
            id: self.id.clone(),
            project_id: self.project_id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            admin_state_up: self.admin_state_up as i64,
            status: self.status.clone(),
            gw_network_id: self.gateway.as_ref().map(|g| g.network_id.clone()),
            gw_port_id: self.gw_port_id.clone(),
            enable_snat: self.gateway.as_ref().is_none_or(|g| g.enable_snat) as i64,
            routes: to_json(&self.routes),
            tags: to_json(&self.tags),
            revision_number: self.revision_number,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn resource(&self) -> Resource<'_> {
        Resource::ProjectOwned {
            kind: "router",
            id: &self.id,
            project_id: &self.project_id,
        }
    }
}

/// `external_gateway_info` as a request gives it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExternalGateway {
    pub network_id: String,
    pub enable_snat: Option<bool>,
    pub external_fixed_ips: Option<Vec<FixedIpRequest>>,
}

#[derive(Clone, Debug, Default)]
pub struct RouterCreate {
    pub name: String,
    pub description: String,
    pub admin_state_up: Option<bool>,
    pub external_gateway: Option<ExternalGateway>,
    pub project_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct RouterUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub admin_state_up: Option<bool>,
    /// `Some(None)` clears the gateway.
    pub external_gateway: Option<Option<ExternalGateway>>,
    pub routes: Option<Vec<Route>>,
}

/// What `add_router_interface` and `remove_router_interface` name.
#[derive(Clone, Debug, PartialEq)]
pub enum InterfaceRequest {
    Subnet(String),
    Port(String),
}

/// The answer to adding or removing an interface.
#[derive(Clone, Debug, PartialEq)]
pub struct RouterInterface {
    pub router_id: String,
    pub project_id: String,
    pub network_id: String,
    pub port_id: String,
    pub subnet_ids: Vec<String>,
}

/// Neutron's "Bad router request: ..." (the message says so itself).
fn bad_router(message: Message) -> Error {
    invalid(Fault::BadRequest, message)
}

fn router_not_found(id: &str) -> Error {
    refuse(Fault::RouterNotFound, Error::not_found("router", id))
}

impl NetworkService {
    pub async fn router_create(&self, ctx: &OpCtx, req: RouterCreate) -> Result<Router> {
        let project_id = owner(ctx, req.project_id.as_deref(), "router")?;
        authorize(
            ctx,
            Action::Create,
            Resource::ProjectOwned {
                kind: "router",
                id: "",
                project_id: &project_id,
            },
        )?;
        let t = now();
        let mut router = Router {
            id: super::new_uuid(),
            project_id: project_id.clone(),
            name: req.name,
            description: req.description,
            admin_state_up: req.admin_state_up.unwrap_or(true),
            status: "ACTIVE".into(),
            gateway: None,
            gw_port_id: None,
            routes: Vec::new(),
            tags: Vec::new(),
            revision_number: 1,
            created_at: t,
            updated_at: t,
        };
        let _claim = self.claims.lock().await;
        self.check_quota(&project_id, "router", 1).await?;
        let mut tx = self.db.begin().await?;
        db::insert(&mut tx, &router.to_row()).await?;
        if let Some(gw) = req.external_gateway {
            self.set_gateway(ctx, &mut tx, &mut router, gw).await?;
            db::save(&mut tx, &router.to_row()).await?;
        }
        tx.commit().await?;
        self.changed();
        self.announce(&router.project_id, false);
        Ok(router)
    }

    /// A router as its owner (or an administrator) sees it; another project's is a 404.
    pub async fn router_get(&self, ctx: &OpCtx, id: &str) -> Result<Router> {
        let mut conn = self.db.conn().await?;
        let row = db::get::<db::l3::RouterRow>(&mut conn, id)
            .await?
            .ok_or_else(|| router_not_found(id))?;
        let router = load_router(&mut conn, row).await?;
        authorize(ctx, Action::Read, router.resource()).map_err(|e| match e {
            Error::NotFound { .. } => router_not_found(id),
            e => e,
        })?;
        Ok(router)
    }

    pub async fn router_list(&self, ctx: &OpCtx, q: RouterQuery) -> Result<Vec<Router>> {
        let mut conn = self.db.conn().await?;
        let rows = db::l3::router_list(&mut conn, &scope(ctx), &q).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(load_router(&mut conn, row).await?);
        }
        Ok(out)
    }

    pub async fn router_update(&self, ctx: &OpCtx, id: &str, u: RouterUpdate) -> Result<Router> {
        let mut router = self.router_get(ctx, id).await?;
        authorize(ctx, Action::Modify, router.resource())?;
        if let Some(v) = u.name {
            router.name = v;
        }
        if let Some(v) = u.description {
            router.description = v;
        }
        if let Some(v) = u.admin_state_up {
            router.admin_state_up = v;
        }
        let _claim = self.claims.lock().await;
        let mut tx = self.db.begin().await?;
        if let Some(routes) = u.routes {
            router.routes = self.checked_routes(&mut tx, &router, routes).await?;
        }
        match u.external_gateway {
            None => {}
            Some(None) => self.clear_gateway(&mut tx, &mut router).await?,
            Some(Some(gw)) => self.set_gateway(ctx, &mut tx, &mut router, gw).await?,
        }
        router.revision_number += 1;
        router.updated_at = now();
        db::save(&mut tx, &router.to_row()).await?;
        tx.commit().await?;
        self.changed();
        self.announce(&router.project_id, false);
        Ok(router)
    }

    /// `add_extraroutes` / `remove_extraroutes`: changes some routes, keeps the others.
    pub async fn router_routes_change(
        &self,
        ctx: &OpCtx,
        id: &str,
        add: bool,
        routes: Vec<Route>,
    ) -> Result<Router> {
        let router = self.router_get(ctx, id).await?;
        let mut list = router.routes.clone();
        for r in routes {
            if add {
                if !list.contains(&r) {
                    list.push(r);
                }
            } else {
                list.retain(|x| *x != r);
            }
        }
        self.router_update(
            ctx,
            id,
            RouterUpdate {
                routes: Some(list),
                ..Default::default()
            },
        )
        .await
    }

    pub async fn router_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let mut router = self.router_get(ctx, id).await?;
        authorize(ctx, Action::Delete, router.resource())?;
        let _claim = self.claims.lock().await;
        let mut tx = self.db.begin().await?;
        if !interface_ports(&mut tx, &router).await?.is_empty() {
            return Err(conflict(
                Fault::RouterInUse,
                msg!("Router {id} still has ports", id),
            ));
        }
        self.clear_gateway(&mut tx, &mut router).await?;
        db::delete::<db::l3::RouterRow>(&mut tx, id).await?;
        tx.commit().await?;
        self.changed();
        self.announce(&router.project_id, false);
        Ok(())
    }

    pub async fn router_interface_add(
        &self,
        ctx: &OpCtx,
        id: &str,
        what: InterfaceRequest,
    ) -> Result<RouterInterface> {
        let router = self.router_get(ctx, id).await?;
        authorize(ctx, Action::Modify, router.resource())?;
        let _claim = self.claims.lock().await;
        match what {
            InterfaceRequest::Subnet(subnet_id) => {
                let subnet = self.subnet_get(ctx, &subnet_id).await?;
                let Some(gateway_ip) = subnet.gateway_ip.clone() else {
                    return Err(bad_router(msg!(
                        "Bad router request: Subnet {subnet_id} does not have a gateway IP.",
                        subnet_id
                    )));
                };
                let network = self.network_unchecked(&subnet.network_id).await?;
                if network.external {
                    return Err(bad_router(msg!("Bad router request: Subnet {subnet_id} is on the external network {id}; it is the router's gateway network, not an interface.", subnet_id, id = network.id)));
                }
                self.check_quota(&router.project_id, "port", 1).await?;
                let mut tx = self.db.begin().await?;
                self.check_no_overlap(&mut tx, &router, &[subnet.clone()])
                    .await?;
                let port = self
                    .port_create_owned(
                        &mut tx,
                        &network,
                        OwnedPort {
                            project_id: &router.project_id,
                            device_owner: OWNER_ROUTER_INTERFACE,
                            device_id: &router.id,
                            fixed_ips: Some(vec![FixedIpRequest {
                                subnet_id: Some(subnet.id.clone()),
                                ip_address: Some(gateway_ip),
                            }]),
                        },
                    )
                    .await?;
                tx.commit().await?;
                self.changed();
                self.announce(&router.project_id, false);
                Ok(RouterInterface {
                    router_id: router.id,
                    project_id: router.project_id,
                    network_id: network.id,
                    port_id: port.id,
                    subnet_ids: vec![subnet.id],
                })
            }
            InterfaceRequest::Port(port_id) => {
                let mut port = self.port_get(ctx, &port_id).await?;
                authorize(ctx, Action::Modify, port.resource())?;
                // A router's interfaces are ports of its own project: the data plane and
                // floating IPs honour no other.
                if port.project_id != router.project_id {
                    return Err(bad_router(msg!("Bad router request: Port {port_id} belongs to another project than router {id}.", port_id, id)));
                }
                if !port.device_id.is_empty() {
                    return Err(conflict(
                        Fault::PortInUse,
                        msg!("Unable to complete operation on port {port_id} for network {network_id}. Port already has an attached device {device_id}.", port_id, network_id = port.network_id, device_id = port.device_id),
                    ));
                }
                if port.fixed_ips.is_empty() {
                    return Err(bad_router(msg!(
                        "Bad router request: Router port must have at least one fixed IP"
                    )));
                }
                let network = self.network_unchecked(&port.network_id).await?;
                if network.external {
                    return Err(bad_router(msg!(
                        "Bad router request: Port {port_id} is on the external network {id}.",
                        port_id,
                        id = network.id
                    )));
                }
                let mut subnets = Vec::new();
                for f in &port.fixed_ips {
                    subnets.push(self.subnet_unchecked(&f.subnet_id).await?);
                }
                let mut tx = self.db.begin().await?;
                self.check_no_overlap(&mut tx, &router, &subnets).await?;
                port.device_id = router.id.clone();
                port.device_owner = OWNER_ROUTER_INTERFACE.into();
                port.status = "ACTIVE".into();
                port.security_groups.clear();
                port.revision_number += 1;
                port.updated_at = now();
                db::save(&mut tx, &port.to_row()).await?;
                db::network::port_groups_set(&mut tx, &port.id, &[]).await?;
                tx.commit().await?;
                self.changed();
                self.announce(&router.project_id, false);
                Ok(RouterInterface {
                    router_id: router.id,
                    project_id: router.project_id,
                    network_id: network.id,
                    port_id: port.id,
                    subnet_ids: subnets.into_iter().map(|s| s.id).collect(),
                })
            }
        }
    }

    pub async fn router_interface_remove(
        &self,
        ctx: &OpCtx,
        id: &str,
        what: InterfaceRequest,
    ) -> Result<RouterInterface> {
        let router = self.router_get(ctx, id).await?;
        authorize(ctx, Action::Modify, router.resource())?;
        let _claim = self.claims.lock().await;
        let mut tx = self.db.begin().await?;
        let ports = interface_ports(&mut tx, &router).await?;
        let allocations = db::network::allocations_of_ports(
            &mut tx,
            &ports.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        )
        .await?;
        let port = match &what {
            InterfaceRequest::Port(port_id) => {
                ports.iter().find(|p| &p.id == port_id).ok_or_else(|| {
                    refuse(
                        Fault::RouterInterfaceNotFound,
                        Error::not_found("router interface", format!("{port_id} of router {id}")),
                    )
                })?
            }
            InterfaceRequest::Subnet(subnet_id) => allocations
                .iter()
                .find(|a| &a.subnet_id == subnet_id)
                .and_then(|a| ports.iter().find(|p| p.id == a.port_id))
                .ok_or_else(|| {
                    refuse(
                        Fault::RouterInterfaceNotFoundForSubnet,
                        Error::not_found(
                            "router interface",
                            format!("on subnet {subnet_id} of router {id}"),
                        ),
                    )
                })?,
        };
        let subnet_ids: Vec<String> = allocations
            .iter()
            .filter(|a| a.port_id == port.id)
            .map(|a| a.subnet_id.clone())
            .collect();
        for subnet_id in &subnet_ids {
            if db::l3::fips_via_router(&mut tx, id, Some(subnet_id)).await? > 0 {
                return Err(conflict(
                    Fault::RouterInterfaceInUseByFloatingIP,
                    msg!("Router interface for subnet {subnet_id} on router {id} cannot be deleted, as it is required by one or more floating IPs.", subnet_id, id),
                ));
            }
            let subnet = self.subnet_unchecked(subnet_id).await?;
            let net = subnet.net()?;
            if let Some(route) = router.routes.iter().find(|r| {
                r.nexthop
                    .parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|ip| net.contains(&ip))
            }) {
                return Err(conflict(
                    Fault::RouterInterfaceInUseByRoute,
                    msg!("Router interface for subnet {subnet_id} on router {id} cannot be deleted, as it is required by one or more routes ({destination} via {nexthop}).", subnet_id, id, destination = route.destination, nexthop = route.nexthop),
                ));
            }
        }
        Self::port_delete_owned(&mut tx, &port.id).await?;
        tx.commit().await?;
        self.changed();
        self.announce(&router.project_id, false);
        Ok(RouterInterface {
            router_id: router.id,
            project_id: router.project_id,
            network_id: port.network_id.clone(),
            port_id: port.id.clone(),
            subnet_ids,
        })
    }

    /// Puts the router's gateway on an external network (or changes SNAT on the same one).
    async fn set_gateway(
        &self,
        ctx: &OpCtx,
        tx: &mut Tx,
        router: &mut Router,
        gw: ExternalGateway,
    ) -> Result<()> {
        if !is_admin(ctx) {
            if gw.enable_snat.is_some() {
                return Err(policy(
                    "rule:update_router:external_gateway_info:enable_snat",
                ));
            }
            if gw.external_fixed_ips.is_some() {
                return Err(policy(
                    "rule:update_router:external_gateway_info:external_fixed_ips",
                ));
            }
        }
        let network = self.network_get(ctx, &gw.network_id).await?;
        if !network.external {
            return Err(bad_router(msg!(
                "Bad router request: Network {id} is not an external network",
                id = network.id
            )));
        }
        let same = router
            .gateway
            .as_ref()
            .is_some_and(|g| g.network_id == network.id);
        if same && gw.external_fixed_ips.is_none() {
            if let (Some(g), Some(snat)) = (router.gateway.as_mut(), gw.enable_snat) {
                g.enable_snat = snat;
            }
            return Ok(());
        }
        if network.subnets.is_empty() {
            return Err(bad_router(msg!(
                "Bad router request: Network {id} has no subnet for the router's gateway address.",
                id = network.id
            )));
        }
        self.clear_gateway(tx, router).await?;
        let port = self
            .port_create_owned(
                tx,
                &network,
                OwnedPort {
                    project_id: "",
                    device_owner: OWNER_ROUTER_GATEWAY,
                    device_id: &router.id,
                    fixed_ips: gw.external_fixed_ips,
                },
            )
            .await?;
        router.gw_port_id = Some(port.id);
        router.gateway = Some(RouterGateway {
            network_id: network.id,
            enable_snat: gw.enable_snat.unwrap_or(true),
            external_fixed_ips: port.fixed_ips,
        });
        Ok(())
    }

    /// Takes the gateway away, unless floating IPs still translate through it.
    async fn clear_gateway(&self, tx: &mut Tx, router: &mut Router) -> Result<()> {
        let Some(gw) = router.gateway.take() else {
            return Ok(());
        };
        if db::l3::fips_via_router(tx, &router.id, None).await? > 0 {
            return Err(conflict(
                Fault::RouterExternalGatewayInUseByFloatingIp,
                msg!("Gateway cannot be updated for router {id}, since a gateway to external network {network_id} is required by one or more floating IPs.", id = router.id, network_id = gw.network_id),
            ));
        }
        if let Some(port_id) = router.gw_port_id.take() {
            Self::port_delete_owned(tx, &port_id).await?;
        }
        Ok(())
    }

    /// Refuses subnets whose CIDR overlaps a subnet the router is on already.
    async fn check_no_overlap(&self, tx: &mut Tx, router: &Router, new: &[Subnet]) -> Result<()> {
        let ports = interface_ports(tx, router).await?;
        let ids: Vec<String> = ports.iter().map(|p| p.id.clone()).collect();
        let attached = db::network::allocations_of_ports(tx, &ids).await?;
        for a in attached {
            let Some(row) = db::get::<db::network::SubnetRow>(tx, &a.subnet_id).await? else {
                continue;
            };
            let existing = Subnet::from_row(row, false);
            let old_net = existing.net()?;
            for s in new {
                let net = s.net()?;
                if net.contains(&old_net.network()) || old_net.contains(&net.network()) {
                    return Err(bad_router(msg!("Bad router request: Cidr {cidr} of subnet {id} overlaps with cidr {cidr2} of subnet {id2}", cidr = s.cidr, id = s.id, cidr2 = existing.cidr, id2 = existing.id)));
                }
            }
        }
        Ok(())
    }

    /// Neutron's checks of static routes: parseable, at most [`MAX_ROUTES`], and each
    /// next hop on a subnet the router has an interface on.
    async fn checked_routes(
        &self,
        tx: &mut Tx,
        router: &Router,
        routes: Vec<Route>,
    ) -> Result<Vec<Route>> {
        let mut out: Vec<Route> = Vec::new();
        for r in routes {
            if !out.contains(&r) {
                out.push(r);
            }
            // Counted as they come: a long list costs no more than the cap.
            if out.len() > MAX_ROUTES {
                break;
            }
        }
        if out.len() > MAX_ROUTES {
            return Err(invalid(
                Fault::RoutesExhausted,
                msg!("Unable to complete operation for {id}. The number of routes exceeds the maximum {MAX_ROUTES}.", id = router.id, MAX_ROUTES),
            ));
        }
        let ports = interface_ports(tx, router).await?;
        let ids: Vec<String> = ports.iter().map(|p| p.id.clone()).collect();
        let mut connected = Vec::new();
        let mut own_addresses = Vec::new();
        for a in db::network::allocations_of_ports(tx, &ids).await? {
            own_addresses.push(a.ip_address.clone());
            if let Some(row) = db::get::<db::network::SubnetRow>(tx, &a.subnet_id).await? {
                connected.push(Subnet::from_row(row, false).net()?);
            }
        }
        for r in &out {
            let bad = |message: Message| invalid(Fault::InvalidRoutes, message);
            let (destination, nexthop) = (&r.destination, &r.nexthop);
            ipam::parse_cidr(destination).map_err(|_| {
                bad(msg!(
                    "Invalid format for routes: [{'destination': '{destination}', 'nexthop': '{nexthop}'}], the destination is not a valid CIDR",
                    destination,
                    nexthop
                ))
            })?;
            let hop = ipam::parse_ip(nexthop, "nexthop").map_err(from_refusal)?;
            if !connected.iter().any(|n| n.contains(&hop)) {
                return Err(bad(msg!(
                    "Invalid format for routes: [{'destination': '{destination}', 'nexthop': '{nexthop}'}], the nexthop is not connected with router",
                    destination,
                    nexthop
                )));
            }
            if own_addresses.contains(&hop.to_string()) {
                return Err(bad(msg!(
                    "Invalid format for routes: [{'destination': '{destination}', 'nexthop': '{nexthop}'}], the nexthop is used by router",
                    destination,
                    nexthop
                )));
            }
        }
        Ok(out)
    }
}

/// The router's interface ports: those of its own project only, so a port another
/// project labels with this router's id is not one of them.
async fn interface_ports(
    c: &mut crate::server::db::C,
    router: &Router,
) -> Result<Vec<db::network::PortRow>> {
    Ok(db::network::port_list(
        c,
        &Scope::default(),
        &PortQuery {
            device_id: vec![router.id.clone()],
            device_owner: vec![OWNER_ROUTER_INTERFACE.to_string()],
            project_id: vec![router.project_id.clone()],
            ..Default::default()
        },
    )
    .await?)
}

async fn load_router(c: &mut crate::server::db::C, row: RouterRow) -> Result<Router> {
    let gw_ips = match &row.gw_port_id {
        Some(port) => db::network::allocations_of_ports(c, &[port.clone()])
            .await?
            .into_iter()
            .map(|a| FixedIp {
                subnet_id: a.subnet_id,
                ip_address: a.ip_address,
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(Router::from_row(row, gw_ips))
}
