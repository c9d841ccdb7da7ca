//! Ports: a MAC address and fixed IPs on a network, bound to a device (an instance, a
//! router, a DHCP server). Addresses are taken from the subnets' pools, lowest first; the
//! database refuses a second holder of an address, and the next one is tried.

use super::fault::Fault;
use std::collections::HashSet;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::ipam;
use super::networks::{owner, scope, Network};
use super::subnets::Subnet;
use super::{
    conflict, from_refusal, invalid, not_found, parse_list, policy, refuse, to_json, NetworkService,
};
use crate::server::authz::{authorize, is_admin, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, network::AllocationRow, network::PortRow, Tx};
use crate::server::error::{Error, Result};
use crate::server::services::now;

pub use crate::server::db::network::PortQuery;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedIp {
    pub subnet_id: String,
    pub ip_address: String,
}

/// An address a port may also use (a VIP, a container's address).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressPair {
    pub ip_address: String,
    pub mac_address: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Port {
    pub id: String,
    pub network_id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub mac_address: String,
    pub admin_state_up: bool,
    pub status: String,
    pub device_id: String,
    pub device_owner: String,
    pub port_security_enabled: bool,
    pub allowed_address_pairs: Vec<AddressPair>,
    pub binding_host_id: String,
    pub binding_vif_type: String,
    pub tags: Vec<String>,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub fixed_ips: Vec<FixedIp>,
    pub security_groups: Vec<String>,
}

impl Port {
    fn from_row(r: PortRow, fixed_ips: Vec<FixedIp>, security_groups: Vec<String>) -> Port {
        Port {
            allowed_address_pairs: parse_list(&r.allowed_address_pairs),
            tags: parse_list(&r.tags),
            id: r.id,
            network_id: r.network_id,
            project_id: r.project_id,
            name: r.name,
            description: r.description,
            mac_address: r.mac_address,
            admin_state_up: r.admin_state_up != 0,
            status: r.status,
            device_id: r.device_id,
            device_owner: r.device_owner,
            port_security_enabled: r.port_security_enabled != 0,
            binding_host_id: r.binding_host_id,
            binding_vif_type: r.binding_vif_type,
            revision_number: r.revision_number,
            created_at: r.created_at,
            updated_at: r.updated_at,
            fixed_ips,
            security_groups,
        }
    }

    pub(super) fn to_row(&self) -> PortRow {
        PortRow {
            id: self.id.clone(),
            network_id: self.network_id.clone(),
            project_id: self.project_id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            mac_address: self.mac_address.clone(),
            admin_state_up: self.admin_state_up as i64,
            status: self.status.clone(),
            device_id: self.device_id.clone(),
            device_owner: self.device_owner.clone(),
            port_security_enabled: self.port_security_enabled as i64,
            allowed_address_pairs: to_json(&self.allowed_address_pairs),
            binding_host_id: self.binding_host_id.clone(),
            binding_vif_type: self.binding_vif_type.clone(),
            tags: to_json(&self.tags),
            revision_number: self.revision_number,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    pub(super) fn resource(&self) -> Resource<'_> {
        Resource::ProjectOwned {
            kind: "port",
            id: &self.id,
            project_id: &self.project_id,
        }
    }
}

/// Device owners of the ports routers and floating IPs hold: only their own API removes
/// them.
pub const OWNER_ROUTER_INTERFACE: &str = "network:router_interface";
pub const OWNER_ROUTER_GATEWAY: &str = "network:router_gateway";
pub const OWNER_FLOATING_IP: &str = "network:floatingip";
const L3_OWNERS: [&str; 3] = [
    OWNER_ROUTER_INTERFACE,
    OWNER_ROUTER_GATEWAY,
    OWNER_FLOATING_IP,
];

/// Neutron's `max_fixed_ips_per_port`: more addresses on one port are refused.
pub const MAX_FIXED_IPS_PER_PORT: usize = 5;

fn check_fixed_ip_count(wanted: Option<&Vec<FixedIpRequest>>) -> Result<()> {
    if wanted.is_some_and(|w| w.len() > MAX_FIXED_IPS_PER_PORT) {
        return Err(invalid(
            Fault::InvalidInput,
            msg!("Invalid input for operation: Exceeded maximum amount of fixed ips per port."),
        ));
    }
    Ok(())
}

/// What a network-owned port is for (see [`NetworkService::port_create_owned`]).
pub(super) struct OwnedPort<'a> {
    /// '' for ports no project owns (gateways, floating IPs).
    pub project_id: &'a str,
    pub device_owner: &'a str,
    pub device_id: &'a str,
    pub fixed_ips: Option<Vec<FixedIpRequest>>,
}

/// One entry of a request's `fixed_ips`: a subnet, an address, or both.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FixedIpRequest {
    pub subnet_id: Option<String>,
    pub ip_address: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct PortCreate {
    /// The id, when the caller chose it (the compute service records an instance's port
    /// before making it); never from a request body.
    pub id: Option<String>,
    pub network_id: String,
    pub name: String,
    pub description: String,
    /// `None`: one address from the first subnet with room; `Some([])`: none.
    pub fixed_ips: Option<Vec<FixedIpRequest>>,
    pub mac_address: Option<String>,
    pub device_id: String,
    pub device_owner: String,
    pub admin_state_up: Option<bool>,
    pub port_security_enabled: Option<bool>,
    pub allowed_address_pairs: Vec<(String, Option<String>)>,
    pub binding_host_id: Option<String>,
    pub project_id: Option<String>,
    /// `None`: the project's `default` group (none for unprotected or network ports).
    pub security_groups: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct PortUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub fixed_ips: Option<Vec<FixedIpRequest>>,
    pub device_id: Option<String>,
    pub device_owner: Option<String>,
    pub admin_state_up: Option<bool>,
    pub port_security_enabled: Option<bool>,
    pub allowed_address_pairs: Option<Vec<(String, Option<String>)>>,
    pub binding_host_id: Option<String>,
    pub security_groups: Option<Vec<String>>,
}

/// Neutron's `max_allowed_address_pair`.
const MAX_ADDRESS_PAIRS: usize = 10;

fn address_pairs(list: &[(String, Option<String>)], own_mac: &str) -> Result<Vec<AddressPair>> {
    if list.len() > MAX_ADDRESS_PAIRS {
        return Err(invalid(
            Fault::AllowedAddressPairExhausted,
            msg!(
                "The number of allowed address pair exceeds the maximum {MAX_ADDRESS_PAIRS}.",
                MAX_ADDRESS_PAIRS
            ),
        ));
    }
    list.iter()
        .map(|(ip, mac)| {
            let ok = ip.parse::<std::net::IpAddr>().is_ok() || ip.parse::<ipnet::IpNet>().is_ok();
            if !ok {
                return Err(invalid(
                    Fault::InvalidInput,
                    msg!("Invalid input for allowed_address_pairs. Reason: '{ip}' is not a valid IP address.", ip),
                ));
            }
            let mac = match mac {
                Some(m) => ipam::parse_mac(m).map_err(from_refusal)?,
                None => own_mac.to_string(),
            };
            Ok(AddressPair {
                ip_address: ip.clone(),
                mac_address: mac,
            })
        })
        .collect()
}

/// Which subnet of the network holds an address, if any.
fn subnet_for(subnets: &[Subnet], ip: Ipv4Addr) -> Option<&Subnet> {
    subnets.iter().find(|s| {
        s.net()
            .is_ok_and(|n| n.contains(&ip) && ip != n.network() && ip != n.broadcast())
    })
}

impl NetworkService {
    /// Neutron's `create_port:device_owner` and its guard against borrowed routers: the
    /// network's own device owners (`network:*`) are set by administrators only, and a
    /// port labelled a router's interface must name a router of the port's own project
    /// (`DeviceIDNotOwnedByTenant`), or another project could route through that router.
    async fn check_device(
        &self,
        ctx: &OpCtx,
        project_id: &str,
        device_owner: &str,
        device_id: &str,
        action: &str,
    ) -> Result<()> {
        if device_owner.starts_with("network:") && !is_admin(ctx) {
            return Err(policy(&format!("rule:{action}_port:device_owner")));
        }
        if device_owner == OWNER_ROUTER_INTERFACE && !device_id.is_empty() {
            let mut conn = self.db.conn().await?;
            if let Some(router) = db::get::<db::l3::RouterRow>(&mut conn, device_id).await? {
                if router.project_id != project_id {
                    return Err(refuse(
                        Fault::DeviceIDNotOwnedByTenant,
                        Error::forbidden_msg(msg!("The following device_id {device_id} is not owned by your project or matches another project's router.", device_id)),
                    ));
                }
            }
        }
        Ok(())
    }

    pub async fn port_create(&self, ctx: &OpCtx, req: PortCreate) -> Result<Port> {
        let network = self.network_get(ctx, &req.network_id).await?;
        let project_id = owner(ctx, req.project_id.as_deref(), "port")?;
        let admin = is_admin(ctx);
        // Ports go on one's own networks and on shared ones.
        if !admin && !network.shared && Some(network.project_id.as_str()) != ctx.auth.project_id() {
            return Err(policy("rule:create_port and rule:create_port:network"));
        }
        authorize(
            ctx,
            Action::Create,
            Resource::ProjectOwned {
                kind: "port",
                id: "",
                project_id: &project_id,
            },
        )?;
        // The network's owner chooses MAC addresses on it; hosts are the administrators'.
        let network_owner = Some(network.project_id.as_str()) == ctx.auth.project_id();
        if !admin && req.mac_address.is_some() && !network_owner {
            return Err(policy("rule:create_port:mac_address"));
        }
        if !admin && req.binding_host_id.is_some() {
            return Err(policy("rule:create_port:binding:host_id"));
        }
        self.check_device(
            ctx,
            &project_id,
            &req.device_owner,
            &req.device_id,
            "create",
        )
        .await?;
        check_fixed_ip_count(req.fixed_ips.as_ref())?;
        let port_security = req
            .port_security_enabled
            .unwrap_or(network.port_security_enabled);
        if !port_security && !req.allowed_address_pairs.is_empty() {
            return Err(conflict(
                Fault::AddressPairAndPortSecurityRequired,
                msg!("Port Security must be enabled in order to have allowed address pairs on a port."),
            ));
        }
        let given_mac = req
            .mac_address
            .as_deref()
            .map(|m| ipam::parse_mac(m).map_err(from_refusal))
            .transpose()?;
        let t = now();
        let mut port = Port {
            id: req.id.unwrap_or_else(super::new_uuid),
            network_id: network.id.clone(),
            project_id: project_id.clone(),
            name: req.name,
            description: req.description,
            mac_address: given_mac.clone().unwrap_or_else(ipam::random_mac),
            admin_state_up: req.admin_state_up.unwrap_or(true),
            status: "DOWN".into(),
            device_id: req.device_id,
            device_owner: req.device_owner,
            port_security_enabled: port_security,
            allowed_address_pairs: Vec::new(),
            binding_host_id: req.binding_host_id.unwrap_or_default(),
            binding_vif_type: "unbound".into(),
            tags: Vec::new(),
            revision_number: 1,
            created_at: t,
            updated_at: t,
            fixed_ips: Vec::new(),
            security_groups: Vec::new(),
        };
        let _claim = self.claims.lock().await;
        self.check_quota(&project_id, "port", 1).await?;
        port.security_groups = self
            .groups_for_port(
                ctx,
                &project_id,
                req.security_groups,
                port_security,
                &port.device_owner,
            )
            .await?;
        let subnets = self.subnets_on(&network).await?;
        let mut tx = self.db.begin().await?;
        let mut tries = 0;
        while !db::network::port_insert(&mut tx, &port.to_row()).await? {
            tries += 1;
            if given_mac.is_some() || tries > 8 {
                return Err(conflict(
                    Fault::MacAddressInUse,
                    msg!("Unable to complete operation for network {id}. The mac address {mac_address} is in use.", id = network.id, mac_address = port.mac_address),
                ));
            }
            port.mac_address = ipam::random_mac();
        }
        port.allowed_address_pairs = address_pairs(&req.allowed_address_pairs, &port.mac_address)?;
        if !port.allowed_address_pairs.is_empty() {
            db::save(&mut tx, &port.to_row()).await?;
        }
        port.fixed_ips =
            allocate(&mut tx, &network, &subnets, &port.id, req.fixed_ips, &[]).await?;
        db::network::port_groups_set(&mut tx, &port.id, &port.security_groups).await?;
        tx.commit().await?;
        self.changed();
        Ok(port)
    }

    /// A port the network itself owns — a router's interface or gateway, a floating IP's
    /// address — made inside the caller's transaction: no security groups, no port
    /// security, and no policy or quota check (the caller has made those).
    pub(super) async fn port_create_owned(
        &self,
        tx: &mut Tx,
        network: &Network,
        owned: OwnedPort<'_>,
    ) -> Result<Port> {
        let subnets: Vec<Subnet> = db::network::subnets_of(tx, &network.id)
            .await?
            .into_iter()
            .map(|r| Subnet::from_row(r, network.external))
            .collect();
        let t = now();
        let mut port = Port {
            id: super::new_uuid(),
            network_id: network.id.clone(),
            project_id: owned.project_id.to_string(),
            name: String::new(),
            description: String::new(),
            mac_address: ipam::random_mac(),
            admin_state_up: true,
            status: "ACTIVE".into(),
            device_id: owned.device_id.to_string(),
            device_owner: owned.device_owner.to_string(),
            port_security_enabled: false,
            allowed_address_pairs: Vec::new(),
            binding_host_id: String::new(),
            binding_vif_type: "unbound".into(),
            tags: Vec::new(),
            revision_number: 1,
            created_at: t,
            updated_at: t,
            fixed_ips: Vec::new(),
            security_groups: Vec::new(),
        };
        let mut tries = 0;
        while !db::network::port_insert(tx, &port.to_row()).await? {
            tries += 1;
            if tries > 8 {
                return Err(conflict(
                    Fault::MacAddressGenerationFailure,
                    msg!(
                        "Unable to generate unique mac on network {id}.",
                        id = network.id
                    ),
                ));
            }
            port.mac_address = ipam::random_mac();
        }
        port.fixed_ips = allocate(tx, network, &subnets, &port.id, owned.fixed_ips, &[]).await?;
        Ok(port)
    }

    /// Removes a port and its addresses inside the caller's transaction.
    pub(super) async fn port_delete_owned(tx: &mut Tx, id: &str) -> Result<()> {
        db::network::allocations_delete_for_port(tx, id).await?;
        db::delete::<db::network::PortRow>(tx, id).await?;
        Ok(())
    }

    async fn subnets_on(&self, network: &Network) -> Result<Vec<Subnet>> {
        let mut conn = self.db.conn().await?;
        Ok(db::network::subnets_of(&mut conn, &network.id)
            .await?
            .into_iter()
            .map(|r| Subnet::from_row(r, network.external))
            .collect())
    }

    pub async fn port_get(&self, ctx: &OpCtx, id: &str) -> Result<Port> {
        let mut conn = self.db.conn().await?;
        let row = db::get::<db::network::PortRow>(&mut conn, id)
            .await?
            .ok_or_else(|| not_found("port", id))?;
        let fixed = fixed_ips(&mut conn, &[row.id.clone()]).await?;
        let groups = db::network::port_groups_of(&mut conn, &[row.id.clone()]).await?;
        let port = Port::from_row(
            row,
            fixed.into_iter().map(|(_, f)| f).collect(),
            groups.into_iter().map(|(_, g)| g).collect(),
        );
        authorize(ctx, Action::Read, port.resource()).map_err(|e| match e {
            Error::NotFound { .. } => not_found("port", id),
            e => e,
        })?;
        Ok(port)
    }

    pub async fn port_list(&self, ctx: &OpCtx, q: PortQuery) -> Result<Vec<Port>> {
        let mut conn = self.db.conn().await?;
        let rows = db::network::port_list(&mut conn, &scope(ctx), &q).await?;
        drop(conn);
        self.ports_from_rows(rows).await
    }

    /// Ports with their addresses and groups (two queries for any number of rows).
    pub(super) async fn ports_from_rows(&self, rows: Vec<PortRow>) -> Result<Vec<Port>> {
        let mut conn = self.db.conn().await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut fixed = fixed_ips(&mut conn, &ids).await?;
        let mut groups = db::network::port_groups_of(&mut conn, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mine = fixed
                    .iter()
                    .filter(|(p, _)| *p == r.id)
                    .map(|(_, f)| f.clone())
                    .collect();
                fixed.retain(|(p, _)| *p != r.id);
                let sgs = groups
                    .iter()
                    .filter(|(p, _)| *p == r.id)
                    .map(|(_, g)| g.clone())
                    .collect();
                groups.retain(|(p, _)| *p != r.id);
                Port::from_row(r, mine, sgs)
            })
            .collect())
    }

    pub async fn port_update(&self, ctx: &OpCtx, id: &str, u: PortUpdate) -> Result<Port> {
        let mut port = self.port_get(ctx, id).await?;
        authorize(ctx, Action::Modify, port.resource())?;
        if !is_admin(ctx) && u.binding_host_id.is_some() {
            return Err(policy("rule:update_port:binding:host_id"));
        }
        check_fixed_ip_count(u.fixed_ips.as_ref())?;
        if u.device_owner.is_some() || u.device_id.is_some() {
            let owner = u.device_owner.as_deref().unwrap_or(&port.device_owner);
            let device = u.device_id.as_deref().unwrap_or(&port.device_id);
            // The network's own ports keep their owner: only their API changes them.
            if L3_OWNERS.contains(&port.device_owner.as_str()) && !is_admin(ctx) {
                return Err(policy("rule:update_port:device_owner"));
            }
            self.check_device(ctx, &port.project_id, owner, device, "update")
                .await?;
        }
        if let Some(v) = u.name {
            port.name = v;
        }
        if let Some(v) = u.description {
            port.description = v;
        }
        if let Some(v) = u.device_id {
            port.device_id = v;
        }
        if let Some(v) = u.device_owner {
            port.device_owner = v;
        }
        if let Some(v) = u.admin_state_up {
            port.admin_state_up = v;
        }
        if let Some(v) = u.binding_host_id {
            port.binding_host_id = v;
        }
        if let Some(v) = u.port_security_enabled {
            port.port_security_enabled = v;
        }
        if let Some(pairs) = u.allowed_address_pairs {
            port.allowed_address_pairs = address_pairs(&pairs, &port.mac_address)?;
        }
        if !port.port_security_enabled && !port.allowed_address_pairs.is_empty() {
            return Err(conflict(
                Fault::AddressPairAndPortSecurityRequired,
                msg!("Port Security must be enabled in order to have allowed address pairs on a port."),
            ));
        }
        port.revision_number += 1;
        port.updated_at = now();
        let _claim = self.claims.lock().await;
        let groups_changed = u.security_groups.is_some();
        if let Some(list) = u.security_groups {
            let project_id = port.project_id.clone();
            port.security_groups = self
                .groups_for_port(
                    ctx,
                    &project_id,
                    Some(list),
                    port.port_security_enabled,
                    &port.device_owner,
                )
                .await?;
        } else if !port.port_security_enabled && !port.security_groups.is_empty() {
            return Err(conflict(
                Fault::PortSecurityPortHasSecurityGroup,
                msg!("Port has security group associated. Cannot disable port security or ip address until security group is removed."),
            ));
        }
        let on = match &u.fixed_ips {
            Some(_) => {
                let network = self.network_unchecked(&port.network_id).await?;
                let subnets = self.subnets_on(&network).await?;
                Some((network, subnets))
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        if let (Some(wanted), Some((network, subnets))) = (u.fixed_ips, on) {
            // Addresses asked for again are kept; the others are given up.
            let keep: Vec<FixedIp> = port
                .fixed_ips
                .iter()
                .filter(|f| {
                    wanted
                        .iter()
                        .any(|w| w.ip_address.as_deref() == Some(f.ip_address.as_str()))
                })
                .cloned()
                .collect();
            db::network::allocations_delete_for_port(&mut tx, &port.id).await?;
            let fresh: Vec<FixedIpRequest> = wanted
                .into_iter()
                .filter(|w| {
                    !keep
                        .iter()
                        .any(|k| w.ip_address.as_deref() == Some(k.ip_address.as_str()))
                })
                .collect();
            port.fixed_ips =
                allocate(&mut tx, &network, &subnets, &port.id, Some(fresh), &keep).await?;
        }
        db::save(&mut tx, &port.to_row()).await?;
        if groups_changed {
            db::network::port_groups_set(&mut tx, &port.id, &port.security_groups).await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(port)
    }

    pub async fn port_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let port = self.port_get(ctx, id).await?;
        authorize(ctx, Action::Delete, port.resource())?;
        if L3_OWNERS.contains(&port.device_owner.as_str()) {
            return Err(conflict(
                Fault::L3PortInUse,
                msg!("Port {id} has owner {device_owner} and therefore cannot be deleted directly via the port API.", id, device_owner = port.device_owner),
            ));
        }
        let mut tx = self.db.begin().await?;
        // A floating IP outlives its port; it is only let go.
        db::l3::fips_disassociate_port(&mut tx, id, now()).await?;
        // An instance's interface whose port is deleted here is gone from the instance.
        db::compute::nic_delete_port(&mut tx, id).await?;
        db::network::allocations_delete_for_port(&mut tx, id).await?;
        if !db::delete::<db::network::PortRow>(&mut tx, id).await? {
            return Err(not_found("port", id));
        }
        tx.commit().await?;
        self.changed();
        Ok(())
    }
}

/// The fixed IPs of these ports, as (port id, address).
async fn fixed_ips(
    c: &mut crate::server::db::Conn,
    port_ids: &[String],
) -> Result<Vec<(String, FixedIp)>> {
    let mut rows = db::network::allocations_of_ports(c, port_ids).await?;
    rows.sort_by(|a, b| {
        let key = |r: &AllocationRow| {
            r.ip_address
                .parse::<Ipv4Addr>()
                .map(u32::from)
                .unwrap_or(u32::MAX)
        };
        key(a).cmp(&key(b))
    });
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.port_id,
                FixedIp {
                    subnet_id: r.subnet_id,
                    ip_address: r.ip_address,
                },
            )
        })
        .collect())
}

/// Takes addresses for a port: the ones asked for, or (no request) one from the first
/// subnet that has room. `kept` are addresses the port holds already, taken again.
pub(super) async fn allocate(
    tx: &mut Tx,
    network: &Network,
    subnets: &[Subnet],
    port_id: &str,
    request: Option<Vec<FixedIpRequest>>,
    kept: &[FixedIp],
) -> Result<Vec<FixedIp>> {
    let mut out = Vec::new();
    let take = |subnet: &Subnet, ip: Ipv4Addr| AllocationRow {
        network_id: network.id.clone(),
        ip_address: ip.to_string(),
        subnet_id: subnet.id.clone(),
        port_id: port_id.to_string(),
    };
    for k in kept {
        let row = AllocationRow {
            network_id: network.id.clone(),
            ip_address: k.ip_address.clone(),
            subnet_id: k.subnet_id.clone(),
            port_id: port_id.to_string(),
        };
        db::network::allocation_try_insert(tx, &row).await?;
        out.push(k.clone());
    }
    let exhausted = || {
        conflict(
            Fault::IpAddressGenerationFailure,
            msg!(
                "No more IP addresses available on network {id}.",
                id = network.id
            ),
        )
    };
    let Some(request) = request else {
        if subnets.is_empty() {
            return Ok(out);
        }
        for s in subnets {
            if let Some(ip) = take_any(tx, s, &take).await? {
                out.push(FixedIp {
                    subnet_id: s.id.clone(),
                    ip_address: ip.to_string(),
                });
                return Ok(out);
            }
        }
        return Err(exhausted());
    };
    for r in request {
        let subnet = match &r.subnet_id {
            Some(id) => Some(subnets.iter().find(|s| &s.id == id).ok_or_else(|| {
                invalid(
                    Fault::InvalidInput,
                    msg!("Invalid input for operation: Failed to create port on network {network_id}, because fixed_ips included invalid subnet {subnet_id}.", network_id = network.id, subnet_id = id),
                )
            })?),
            None => None,
        };
        match &r.ip_address {
            Some(text) => {
                let ip = ipam::parse_ip(text, "fixed_ips").map_err(from_refusal)?;
                let within = subnet_for(subnets, ip);
                let s = match (subnet, within) {
                    (Some(s), Some(w)) if s.id == w.id => s,
                    (None, Some(w)) => w,
                    _ => {
                        return Err(invalid(
                            Fault::InvalidIpForNetwork,
                            msg!("IP address {ip} is not a valid IP for any of the subnets on the specified network.", ip),
                        ))
                    }
                };
                if !db::network::allocation_try_insert(tx, &take(s, ip)).await? {
                    return Err(conflict(
                        Fault::IpAddressInUse,
                        msg!("Unable to complete operation for network {id}. The IP address {ip} is in use.", id = network.id, ip),
                    ));
                }
                out.push(FixedIp {
                    subnet_id: s.id.clone(),
                    ip_address: ip.to_string(),
                });
            }
            None => {
                let s = subnet.ok_or_else(|| {
                    invalid(Fault::InvalidInput, msg!("Invalid input for fixed_ips. Reason: each entry needs a subnet_id or an ip_address."))
                })?;
                let ip = take_any(tx, s, &take).await?.ok_or_else(exhausted)?;
                out.push(FixedIp {
                    subnet_id: s.id.clone(),
                    ip_address: ip.to_string(),
                });
            }
        }
    }
    Ok(out)
}

/// The lowest free address of a subnet's pools, taken; `None` when all are held.
async fn take_any(
    tx: &mut Tx,
    subnet: &Subnet,
    take: &impl Fn(&Subnet, Ipv4Addr) -> AllocationRow,
) -> Result<Option<Ipv4Addr>> {
    let held: HashSet<String> = db::network::allocated_on_subnet(tx, &subnet.id)
        .await?
        .into_iter()
        .collect();
    for ip in ipam::candidates(&subnet.allocation_pools) {
        if held.contains(&ip.to_string()) {
            continue;
        }
        if db::network::allocation_try_insert(tx, &take(subnet, ip)).await? {
            return Ok(Some(ip));
        }
    }
    Ok(None)
}
