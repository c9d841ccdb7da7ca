//! Floating IPs: an address of an external network, held by a port no project owns, and
//! (when associated) translated to a fixed address of a project's port by the router that
//! connects the port's subnet to that external network.

use super::fault::Fault;
use crate::message::Message;
use std::net::Ipv4Addr;

use super::networks::{owner, scope};
use super::ports::{FixedIpRequest, OwnedPort, Port, OWNER_FLOATING_IP};
use super::{conflict, invalid, ipam, parse_list, policy, refuse, to_json, NetworkService};
use crate::server::authz::{authorize, is_admin, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, l3::FloatingIpRow};
use crate::server::error::{Error, Result};
use crate::server::services::now;

pub use crate::server::db::l3::FloatingIpQuery;

#[derive(Clone, Debug, PartialEq)]
pub struct FloatingIp {
    pub id: String,
    pub project_id: String,
    pub floating_network_id: String,
    pub floating_ip_address: String,
    pub floating_port_id: String,
    pub port_id: Option<String>,
    pub fixed_ip_address: Option<String>,
    pub router_id: Option<String>,
    pub status: String,
    pub description: String,
    pub tags: Vec<String>,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FloatingIp {
    fn from_row(r: FloatingIpRow) -> FloatingIp {
        FloatingIp {
            tags: parse_list(&r.tags),
            id: r.id,
            project_id: r.project_id,
            floating_network_id: r.floating_network_id,
            floating_ip_address: r.floating_ip_address,
            floating_port_id: r.floating_port_id,
            port_id: r.port_id,
            fixed_ip_address: r.fixed_ip_address,
            router_id: r.router_id,
            status: r.status,
            description: r.description,
            revision_number: r.revision_number,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    fn to_row(&self) -> FloatingIpRow {
        FloatingIpRow {
            id: self.id.clone(),
            project_id: self.project_id.clone(),
            floating_network_id: self.floating_network_id.clone(),
            floating_ip_address: self.floating_ip_address.clone(),
            floating_port_id: self.floating_port_id.clone(),
            port_id: self.port_id.clone(),
            fixed_ip_address: self.fixed_ip_address.clone(),
            router_id: self.router_id.clone(),
            status: self.status.clone(),
            description: self.description.clone(),
            tags: to_json(&self.tags),
            revision_number: self.revision_number,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn resource(&self) -> Resource<'_> {
        Resource::ProjectOwned {
            kind: "floatingip",
            id: &self.id,
            project_id: &self.project_id,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct FloatingIpCreate {
    pub floating_network_id: String,
    /// A chosen address (administrators).
    pub floating_ip_address: Option<String>,
    /// The external subnet to take the address from.
    pub subnet_id: Option<String>,
    /// Associate at once.
    pub port_id: Option<String>,
    pub fixed_ip_address: Option<String>,
    pub description: String,
    pub project_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct FloatingIpUpdate {
    /// `Some(None)` disassociates.
    pub port_id: Option<Option<String>>,
    pub fixed_ip_address: Option<String>,
    pub description: Option<String>,
}

/// Neutron's "Bad floatingip request: ..." (the message says so itself).
fn bad_fip(message: Message) -> Error {
    invalid(Fault::BadRequest, message)
}

fn fip_not_found(id: &str) -> Error {
    refuse(
        Fault::FloatingIPNotFound,
        Error::not_found("floating IP", id),
    )
}

/// Where an association points: the port, its fixed address, and the router between.
struct Association {
    port_id: String,
    fixed_ip_address: String,
    router_id: String,
}

impl NetworkService {
    pub async fn floating_ip_create(
        &self,
        ctx: &OpCtx,
        req: FloatingIpCreate,
    ) -> Result<FloatingIp> {
        let project_id = owner(ctx, req.project_id.as_deref(), "floatingip")?;
        authorize(
            ctx,
            Action::Create,
            Resource::ProjectOwned {
                kind: "floatingip",
                id: "",
                project_id: &project_id,
            },
        )?;
        if !is_admin(ctx) && req.floating_ip_address.is_some() {
            return Err(policy("rule:create_floatingip:floating_ip_address"));
        }
        let network = self.network_get(ctx, &req.floating_network_id).await?;
        if !network.external {
            return Err(bad_fip(msg!(
                "Bad floatingip request: Network {id} is not a valid external network",
                id = network.id
            )));
        }
        let t = now();
        let mut fip = FloatingIp {
            id: super::new_uuid(),
            project_id: project_id.clone(),
            floating_network_id: network.id.clone(),
            floating_ip_address: String::new(),
            floating_port_id: String::new(),
            port_id: None,
            fixed_ip_address: None,
            router_id: None,
            status: "DOWN".into(),
            description: req.description,
            tags: Vec::new(),
            revision_number: 1,
            created_at: t,
            updated_at: t,
        };
        let _claim = self.claims.lock().await;
        self.check_quota(&project_id, "floatingip", 1).await?;
        if let Some(port_id) = &req.port_id {
            let a = self
                .association(ctx, &fip, port_id, req.fixed_ip_address.as_deref())
                .await?;
            fip.associate(a);
        }
        let request = match (req.subnet_id, req.floating_ip_address) {
            (None, None) => None,
            (subnet_id, ip_address) => Some(vec![FixedIpRequest {
                subnet_id,
                ip_address,
            }]),
        };
        let mut tx = self.db.begin().await?;
        let port = self
            .port_create_owned(
                &mut tx,
                &network,
                OwnedPort {
                    project_id: "",
                    device_owner: OWNER_FLOATING_IP,
                    device_id: &fip.id,
                    fixed_ips: request,
                },
            )
            .await?;
        let address = port
            .fixed_ips
            .first()
            .map(|f| f.ip_address.clone())
            .ok_or_else(|| {
                conflict(
                    Fault::IpAddressGenerationFailure,
                    msg!(
                        "No more IP addresses available on network {id}.",
                        id = network.id
                    ),
                )
            })?;
        fip.floating_ip_address = address;
        fip.floating_port_id = port.id;
        // Inserted unassociated, then associated through the check that no other floating
        // IP holds the same fixed address.
        let mut row = fip.to_row();
        (row.port_id, row.fixed_ip_address, row.router_id) = (None, None, None);
        db::insert(&mut tx, &row).await?;
        if fip.port_id.is_some() && !db::l3::fip_save(&mut tx, &fip.to_row()).await? {
            return Err(already_associated(&fip));
        }
        tx.commit().await?;
        self.changed();
        Ok(fip)
    }

    pub async fn floating_ip_get(&self, ctx: &OpCtx, id: &str) -> Result<FloatingIp> {
        let mut conn = self.db.conn().await?;
        let row = db::get::<db::l3::FloatingIpRow>(&mut conn, id)
            .await?
            .ok_or_else(|| fip_not_found(id))?;
        let fip = FloatingIp::from_row(row);
        authorize(ctx, Action::Read, fip.resource()).map_err(|e| match e {
            Error::NotFound { .. } => fip_not_found(id),
            e => e,
        })?;
        Ok(fip)
    }

    pub async fn floating_ip_list(
        &self,
        ctx: &OpCtx,
        q: FloatingIpQuery,
    ) -> Result<Vec<FloatingIp>> {
        let mut conn = self.db.conn().await?;
        Ok(db::l3::fip_list(&mut conn, &scope(ctx), &q)
            .await?
            .into_iter()
            .map(FloatingIp::from_row)
            .collect())
    }

    pub async fn floating_ip_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        u: FloatingIpUpdate,
    ) -> Result<FloatingIp> {
        let mut fip = self.floating_ip_get(ctx, id).await?;
        authorize(ctx, Action::Modify, fip.resource())?;
        if let Some(v) = u.description {
            fip.description = v;
        }
        let _claim = self.claims.lock().await;
        match u.port_id {
            Some(Some(port_id)) => {
                let a = self
                    .association(ctx, &fip, &port_id, u.fixed_ip_address.as_deref())
                    .await?;
                fip.associate(a);
            }
            Some(None) => fip.disassociate(),
            None if u.fixed_ip_address.is_some() => {
                return Err(bad_fip(
                    msg!("Bad floatingip request: fixed_ip_address cannot be specified without a port_id"),
                ));
            }
            None => {}
        }
        fip.revision_number += 1;
        fip.updated_at = now();
        let mut tx = self.db.begin().await?;
        if !db::l3::fip_save(&mut tx, &fip.to_row()).await? {
            return Err(already_associated(&fip));
        }
        tx.commit().await?;
        self.changed();
        Ok(fip)
    }

    pub async fn floating_ip_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let fip = self.floating_ip_get(ctx, id).await?;
        authorize(ctx, Action::Delete, fip.resource())?;
        let mut tx = self.db.begin().await?;
        if !db::delete::<db::l3::FloatingIpRow>(&mut tx, id).await? {
            return Err(fip_not_found(id));
        }
        Self::port_delete_owned(&mut tx, &fip.floating_port_id).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// Checks that a floating IP may point at a port's fixed address, and finds the router
    /// that will translate it.
    async fn association(
        &self,
        ctx: &OpCtx,
        fip: &FloatingIp,
        port_id: &str,
        fixed: Option<&str>,
    ) -> Result<Association> {
        let port: Port = self.port_get(ctx, port_id).await?;
        if port.project_id != fip.project_id && !is_admin(ctx) {
            return Err(refuse(
                Fault::PortNotFound,
                Error::not_found("port", port_id),
            ));
        }
        if port.network_id == fip.floating_network_id {
            return Err(bad_fip(msg!("Bad floatingip request: Port {port_id} is on the external network {network_id} itself.", port_id, network_id = port.network_id)));
        }
        let v4: Vec<_> = port
            .fixed_ips
            .iter()
            .filter(|f| f.ip_address.parse::<Ipv4Addr>().is_ok())
            .collect();
        let chosen = match fixed {
            Some(text) => {
                let ip = ipam::parse_ip(text, "fixed_ip_address").map_err(super::from_refusal)?;
                v4.iter()
                    .find(|f| f.ip_address == ip.to_string())
                    .copied()
                    .ok_or_else(|| {
                        bad_fip(msg!("Bad floatingip request: Port {port_id} does not have fixed ip {ip}", port_id, ip))
                    })?
            }
            None => match v4.as_slice() {
                [] => {
                    return Err(bad_fip(msg!("Bad floatingip request: Cannot add floating IP to port {port_id} that has no fixed IPv4 addresses", port_id)))
                }
                [one] => *one,
                _ => {
                    return Err(bad_fip(msg!("Bad floatingip request: Port {port_id} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP", port_id)))
                }
            },
        };
        let mut conn = self.db.conn().await?;
        let router_id =
            db::l3::router_between(&mut conn, &fip.floating_network_id, &chosen.subnet_id)
                .await?
                .ok_or_else(|| {
                    refuse(
                        Fault::ExternalGatewayForFloatingIPNotFound,
                        Error::not_found(
                            "external gateway",
                            format!(
                                "from subnet {} to external network {} (port {port_id} cannot have a floating IP)",
                                chosen.subnet_id, fip.floating_network_id
                            ),
                        ),
                    )
                })?;
        Ok(Association {
            port_id: port.id.clone(),
            fixed_ip_address: chosen.ip_address.clone(),
            router_id,
        })
    }
}

impl FloatingIp {
    fn associate(&mut self, a: Association) {
        self.port_id = Some(a.port_id);
        self.fixed_ip_address = Some(a.fixed_ip_address);
        self.router_id = Some(a.router_id);
        self.status = "ACTIVE".into();
    }

    fn disassociate(&mut self) {
        self.port_id = None;
        self.fixed_ip_address = None;
        self.router_id = None;
        self.status = "DOWN".into();
    }
}

fn already_associated(fip: &FloatingIp) -> Error {
    conflict(
        Fault::FloatingIPPortAlreadyAssociated,
        msg!(
            "Cannot associate floating IP {address} ({id}) with port {port} using fixed IP {fixed_ip}, as that fixed IP already has a floating IP on external network {network}.",
            address = fip.floating_ip_address,
            id = fip.id,
            port = fip.port_id.as_deref().unwrap_or(""),
            fixed_ip = fip.fixed_ip_address.as_deref().unwrap_or(""),
            network = fip.floating_network_id
        ),
    )
}
