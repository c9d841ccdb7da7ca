//! Subnets: an IPv4 CIDR on a network, its gateway, allocation pools, DNS servers and
//! host routes. Overlapping CIDRs are refused within a network, allowed across networks.

use super::fault::Fault;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::ipam::{self, Pool};
use super::networks::{owner, scope};
use super::{conflict, from_refusal, invalid, not_found, parse_list, to_json, NetworkService};
use crate::server::authz::{authorize, is_admin, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, network::SubnetRow};
use crate::server::error::{Error, Result};
use crate::server::services::now;

pub use crate::server::db::network::SubnetQuery;

/// The most DNS servers and host routes a subnet takes (Neutron's defaults).
const MAX_DNS: usize = 5;
const MAX_ROUTES: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRoute {
    pub destination: String,
    pub nexthop: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Subnet {
    pub id: String,
    pub network_id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub ip_version: i64,
    pub cidr: String,
    pub gateway_ip: Option<String>,
    pub enable_dhcp: bool,
    pub allocation_pools: Vec<Pool>,
    pub dns_nameservers: Vec<String>,
    pub host_routes: Vec<HostRoute>,
    pub tags: Vec<String>,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Whether its network is `router:external` (Neutron mirrors it on the subnet).
    pub external: bool,
}

impl Subnet {
    pub(super) fn from_row(r: SubnetRow, external: bool) -> Subnet {
        Subnet {
            allocation_pools: parse_list(&r.allocation_pools),
            dns_nameservers: parse_list(&r.dns_nameservers),
            host_routes: parse_list(&r.host_routes),
            tags: parse_list(&r.tags),
            id: r.id,
            network_id: r.network_id,
            project_id: r.project_id,
            name: r.name,
            description: r.description,
            ip_version: r.ip_version,
            cidr: r.cidr,
            gateway_ip: r.gateway_ip,
            enable_dhcp: r.enable_dhcp != 0,
            revision_number: r.revision_number,
            created_at: r.created_at,
            updated_at: r.updated_at,
            external,
        }
    }

    fn to_row(&self) -> SubnetRow {
        SubnetRow {
            id: self.id.clone(),
            network_id: self.network_id.clone(),
            project_id: self.project_id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            ip_version: self.ip_version,
            cidr: self.cidr.clone(),
            gateway_ip: self.gateway_ip.clone(),
            enable_dhcp: self.enable_dhcp as i64,
            allocation_pools: to_json(&self.allocation_pools),
            dns_nameservers: to_json(&self.dns_nameservers),
            host_routes: to_json(&self.host_routes),
            tags: to_json(&self.tags),
            revision_number: self.revision_number,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The parsed CIDR (stored normalised, so this does not fail on stored rows).
    pub(super) fn net(&self) -> Result<ipnet::Ipv4Net> {
        ipam::parse_cidr(&self.cidr).map_err(from_refusal)
    }
}

/// The gateway as a request gives it: absent (the default, the first address), `null`
/// (no gateway), or an address.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum GatewayRequest {
    #[default]
    Default,
    None,
    Address(String),
}

#[derive(Clone, Debug, Default)]
pub struct SubnetCreate {
    pub network_id: String,
    pub name: String,
    pub description: String,
    pub ip_version: Option<i64>,
    pub cidr: Option<String>,
    pub gateway_ip: GatewayRequest,
    pub enable_dhcp: Option<bool>,
    pub allocation_pools: Option<Vec<(String, String)>>,
    pub dns_nameservers: Vec<String>,
    pub host_routes: Vec<HostRoute>,
    pub project_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct SubnetUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(None)`: remove the gateway.
    pub gateway_ip: Option<Option<String>>,
    pub enable_dhcp: Option<bool>,
    pub allocation_pools: Option<Vec<(String, String)>>,
    pub dns_nameservers: Option<Vec<String>>,
    pub host_routes: Option<Vec<HostRoute>>,
}

fn pools_of(list: &[(String, String)]) -> Result<Vec<Pool>> {
    list.iter()
        .map(|(a, b)| {
            Ok(Pool {
                start: ipam::parse_ip(a, "allocation_pools").map_err(from_refusal)?,
                end: ipam::parse_ip(b, "allocation_pools").map_err(from_refusal)?,
            })
        })
        .collect()
}

fn check_dns(list: &[String]) -> Result<()> {
    if list.len() > MAX_DNS {
        return Err(invalid(
            Fault::DNSNameServersExhausted,
            msg!("Unable to complete operation for the subnet. The number of DNS nameservers exceeds the limit {MAX_DNS}.", MAX_DNS),
        ));
    }
    for (i, d) in list.iter().enumerate() {
        d.parse::<std::net::IpAddr>().map_err(|_| {
            invalid(
                Fault::InvalidInput,
                msg!(
                    "Invalid input for dns_nameservers. Reason: '{d}' is not a valid nameserver.",
                    d
                ),
            )
        })?;
        if list[..i].contains(d) {
            return Err(invalid(
                Fault::InvalidInput,
                msg!(
                    "Invalid input for dns_nameservers. Reason: Duplicate nameserver '{d}'.",
                    d
                ),
            ));
        }
    }
    Ok(())
}

fn check_routes(routes: &[HostRoute]) -> Result<()> {
    if routes.len() > MAX_ROUTES {
        return Err(invalid(
            Fault::HostRoutesExhausted,
            msg!("Unable to complete operation for the subnet. The number of host routes exceeds the limit {MAX_ROUTES}.", MAX_ROUTES),
        ));
    }
    for r in routes {
        ipam::parse_cidr(&r.destination)
            .or_else(|e| {
                // 0.0.0.0/0 and host routes (/31, /32) are destinations too.
                r.destination
                    .parse::<ipnet::Ipv4Net>()
                    .map(|n| n.trunc())
                    .map_err(|_| e)
            })
            .map_err(from_refusal)?;
        // A next hop may be anywhere the guest can route to (Neutron checks its form only).
        ipam::parse_ip(&r.nexthop, "host_routes").map_err(from_refusal)?;
    }
    Ok(())
}

impl NetworkService {
    pub async fn subnet_create(&self, ctx: &OpCtx, req: SubnetCreate) -> Result<Subnet> {
        let network = self.network_get(ctx, &req.network_id).await?;
        let project_id = owner(ctx, req.project_id.as_deref(), "subnet")?;
        // Subnets go on one's own networks (administrators: anywhere); a shared network
        // is visible, so refusing it is a 403.
        authorize(
            ctx,
            Action::Create,
            Resource::ProjectOwned {
                kind: "subnet",
                id: "",
                project_id: &project_id,
            },
        )?;
        if !is_admin(ctx) && Some(network.project_id.as_str()) != ctx.auth.project_id() {
            return Err(super::policy(
                "rule:create_subnet and rule:create_subnet:network_owner",
            ));
        }
        if req.ip_version.unwrap_or(4) != 4 {
            return Err(invalid(
                Fault::InvalidInput,
                msg!("Invalid input for operation: only IPv4 subnets are supported."),
            ));
        }
        let cidr = req.cidr.as_deref().ok_or_else(|| {
            invalid(
                Fault::BadRequest,
                msg!("Bad subnets request: a cidr must be specified in the absence of a subnet pool."),
            )
        })?;
        let net = ipam::parse_cidr(cidr).map_err(from_refusal)?;
        let gateway: Option<Ipv4Addr> = match &req.gateway_ip {
            GatewayRequest::Default => Some(ipam::default_gateway(&net)),
            GatewayRequest::None => None,
            GatewayRequest::Address(a) => {
                Some(ipam::parse_ip(a, "gateway_ip").map_err(from_refusal)?)
            }
        };
        let pools = match &req.allocation_pools {
            Some(list) if !list.is_empty() => pools_of(list)?,
            _ => ipam::default_pools(&net, gateway),
        };
        ipam::check_pools(&net, &pools, gateway).map_err(from_refusal)?;
        check_dns(&req.dns_nameservers)?;
        check_routes(&req.host_routes)?;
        let t = now();
        let subnet = Subnet {
            id: super::new_uuid(),
            network_id: network.id.clone(),
            project_id: project_id.clone(),
            name: req.name,
            description: req.description,
            ip_version: 4,
            cidr: net.to_string(),
            gateway_ip: gateway.map(|g| g.to_string()),
            enable_dhcp: req.enable_dhcp.unwrap_or(true),
            allocation_pools: pools,
            dns_nameservers: req.dns_nameservers,
            host_routes: req.host_routes,
            tags: Vec::new(),
            revision_number: 1,
            created_at: t,
            updated_at: t,
            external: network.external,
        };
        let _claim = self.claims.lock().await;
        self.check_quota(&project_id, "subnet", 1).await?;
        let mut tx = self.db.begin().await?;
        for other in db::network::subnets_of(&mut tx, &network.id).await? {
            let theirs = ipam::parse_cidr(&other.cidr).map_err(from_refusal)?;
            if theirs.contains(&net.network()) || net.contains(&theirs.network()) {
                return Err(invalid(
                    Fault::InvalidInput,
                    msg!("Invalid input for operation: Requested subnet with cidr: {net} for network: {id} overlaps with another subnet.", net, id = network.id),
                ));
            }
        }
        db::insert(&mut tx, &subnet.to_row()).await?;
        // The network's DHCP server takes an address on it (when it has DHCP).
        self.sync_dhcp_port(&mut tx, &network).await?;
        tx.commit().await?;
        self.changed();
        self.announce(&network.project_id, network.shared || network.external);
        Ok(subnet)
    }

    /// A subnet without the caller's check (for services that checked its network).
    pub(super) async fn subnet_unchecked(&self, id: &str) -> Result<Subnet> {
        let mut conn = self.db.conn().await?;
        let row = db::get::<db::network::SubnetRow>(&mut conn, id)
            .await?
            .ok_or_else(|| not_found("subnet", id))?;
        let external = db::get::<db::network::NetworkRow>(&mut conn, &row.network_id)
            .await?
            .is_some_and(|n| n.external != 0);
        Ok(Subnet::from_row(row, external))
    }

    pub async fn subnet_get(&self, ctx: &OpCtx, id: &str) -> Result<Subnet> {
        let mut conn = self.db.conn().await?;
        let row = db::get::<db::network::SubnetRow>(&mut conn, id)
            .await?
            .ok_or_else(|| not_found("subnet", id))?;
        let network = db::get::<db::network::NetworkRow>(&mut conn, &row.network_id)
            .await?
            .ok_or_else(|| not_found("subnet", id))?;
        let public = network.shared != 0 || network.external != 0;
        let subnet = Subnet::from_row(row, network.external != 0);
        authorize(
            ctx,
            Action::Read,
            Resource::Shareable {
                kind: "subnet",
                id,
                project_id: &subnet.project_id,
                shared: public,
            },
        )
        .map_err(|e| match e {
            Error::NotFound { .. } => not_found("subnet", id),
            e => e,
        })?;
        Ok(subnet)
    }

    pub async fn subnet_list(&self, ctx: &OpCtx, q: SubnetQuery) -> Result<Vec<Subnet>> {
        let mut conn = self.db.conn().await?;
        let rows = db::network::subnet_list(&mut conn, &scope(ctx), &q).await?;
        let mut network_ids: Vec<String> = rows.iter().map(|r| r.network_id.clone()).collect();
        network_ids.sort();
        network_ids.dedup();
        let external: Vec<String> = db::network::network_list(
            &mut conn,
            &db::network::Scope::default(),
            &db::network::NetworkQuery {
                ids: network_ids,
                external: Some(true),
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let ext = external.contains(&r.network_id);
                Subnet::from_row(r, ext)
            })
            .collect())
    }

    pub async fn subnet_update(&self, ctx: &OpCtx, id: &str, u: SubnetUpdate) -> Result<Subnet> {
        let mut subnet = self.subnet_get(ctx, id).await?;
        authorize(
            ctx,
            Action::Modify,
            Resource::ProjectOwned {
                kind: "subnet",
                id,
                project_id: &subnet.project_id,
            },
        )?;
        let net = subnet.net()?;
        if let Some(g) = u.gateway_ip {
            subnet.gateway_ip = match g {
                None => None,
                Some(a) => Some(
                    ipam::parse_ip(&a, "gateway_ip")
                        .map_err(from_refusal)?
                        .to_string(),
                ),
            };
        }
        if let Some(list) = u.allocation_pools {
            subnet.allocation_pools = pools_of(&list)?;
        }
        let gateway = subnet
            .gateway_ip
            .as_deref()
            .map(|g| ipam::parse_ip(g, "gateway_ip").map_err(from_refusal))
            .transpose()?;
        ipam::check_pools(&net, &subnet.allocation_pools, gateway).map_err(from_refusal)?;
        if let Some(d) = u.dns_nameservers {
            check_dns(&d)?;
            subnet.dns_nameservers = d;
        }
        if let Some(r) = u.host_routes {
            check_routes(&r)?;
            subnet.host_routes = r;
        }
        if let Some(v) = u.name {
            subnet.name = v;
        }
        if let Some(v) = u.description {
            subnet.description = v;
        }
        if let Some(v) = u.enable_dhcp {
            subnet.enable_dhcp = v;
        }
        subnet.revision_number += 1;
        subnet.updated_at = now();
        let network = self.network_unchecked(&subnet.network_id).await?;
        let mut tx = self.db.begin().await?;
        db::save(&mut tx, &subnet.to_row()).await?;
        self.sync_dhcp_port(&mut tx, &network).await?;
        tx.commit().await?;
        self.changed();
        self.announce(&network.project_id, network.shared || network.external);
        Ok(subnet)
    }

    /// Deletes a subnet no port but DHCP's holds an address on.
    pub async fn subnet_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let subnet = self.subnet_get(ctx, id).await?;
        authorize(
            ctx,
            Action::Delete,
            Resource::ProjectOwned {
                kind: "subnet",
                id,
                project_id: &subnet.project_id,
            },
        )?;
        let mut tx = self.db.begin().await?;
        if db::network::ports_in_use(&mut tx, &subnet.network_id, Some(id), "network:dhcp").await?
            > 0
        {
            return Err(conflict(
                Fault::SubnetInUse,
                msg!("Unable to complete operation on subnet {id}: One or more ports have an IP allocation from this subnet.", id),
            ));
        }
        // Only DHCP ports still hold addresses here; they give them up.
        db::network::allocations_delete_for_subnet(&mut tx, id).await?;
        if !db::delete::<db::network::SubnetRow>(&mut tx, id).await? {
            return Err(not_found("subnet", id));
        }
        let network = self.network_unchecked(&subnet.network_id).await?;
        self.sync_dhcp_port(&mut tx, &network).await?;
        tx.commit().await?;
        self.changed();
        self.announce(&network.project_id, network.shared || network.external);
        Ok(())
    }
}
