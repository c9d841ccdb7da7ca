//! Networks: project networks, and the administrators' provider networks (flat or VLAN
//! on a physical network) that may be external (`router:external`) or shared.

use super::fault::Fault;
use super::{
    conflict, invalid, not_found, parse_list, policy, to_json, NetworkService, SubnetCreate,
};
use crate::server::authz::{authorize, is_admin, visible_project, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, network::NetworkRow, network::Scope};
use crate::server::error::{Error, Result};
use crate::server::services::now;

pub use crate::server::db::network::NetworkQuery;

#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub admin_state_up: bool,
    pub status: String,
    pub shared: bool,
    pub external: bool,
    pub mtu: i64,
    pub network_type: String,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i64>,
    pub port_security_enabled: bool,
    pub tags: Vec<String>,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Its subnets' ids, oldest first.
    pub subnets: Vec<String>,
}

impl Network {
    fn from_row(r: NetworkRow, subnets: Vec<String>) -> Network {
        Network {
            tags: parse_list(&r.tags),
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            description: r.description,
            admin_state_up: r.admin_state_up != 0,
            status: r.status,
            shared: r.shared != 0,
            external: r.external != 0,
            mtu: r.mtu,
            network_type: r.network_type,
            physical_network: r.physical_network,
            segmentation_id: r.segmentation_id,
            port_security_enabled: r.port_security_enabled != 0,
            revision_number: r.revision_number,
            created_at: r.created_at,
            updated_at: r.updated_at,
            subnets,
        }
    }

    fn to_row(&self) -> NetworkRow {
        NetworkRow {
            id: self.id.clone(),
            project_id: self.project_id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            admin_state_up: self.admin_state_up as i64,
            status: self.status.clone(),
            shared: self.shared as i64,
            external: self.external as i64,
            mtu: self.mtu,
            network_type: self.network_type.clone(),
            physical_network: self.physical_network.clone(),
            segmentation_id: self.segmentation_id,
            port_security_enabled: self.port_security_enabled as i64,
            tags: to_json(&self.tags),
            revision_number: self.revision_number,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// Every project reads a shared or external network.
    pub(super) fn resource(&self) -> Resource<'_> {
        Resource::Shareable {
            kind: "network",
            id: &self.id,
            project_id: &self.project_id,
            shared: self.shared || self.external,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct NetworkCreate {
    pub name: String,
    pub description: String,
    pub admin_state_up: Option<bool>,
    pub shared: Option<bool>,
    pub external: Option<bool>,
    pub mtu: Option<i64>,
    pub network_type: Option<String>,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i64>,
    pub port_security_enabled: Option<bool>,
    /// Another project's network (administrators).
    pub project_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct NetworkUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub admin_state_up: Option<bool>,
    pub shared: Option<bool>,
    pub external: Option<bool>,
    pub mtu: Option<i64>,
    pub port_security_enabled: Option<bool>,
}

/// The project a caller creates in: its own, or (administrators) any it names.
pub(super) fn owner(ctx: &OpCtx, requested: Option<&str>, kind: &str) -> Result<String> {
    let own = ctx.auth.project_id();
    match (requested, own) {
        (Some(p), _) if is_admin(ctx) => Ok(p.to_string()),
        (Some(p), Some(own)) if p == own => Ok(p.to_string()),
        (Some(_), _) => Err(policy(&format!("rule:create_{kind}:project_id"))),
        (None, Some(own)) => Ok(own.to_string()),
        (None, None) => Err(Error::forbidden_msg(msg!(
            "A project-scoped token is needed to create a {kind}.",
            kind
        ))),
    }
}

fn check_mtu(mtu: i64) -> Result<()> {
    if !(68..=9000).contains(&mtu) {
        return Err(invalid(
            Fault::InvalidInput,
            msg!(
                "Invalid input for mtu. Reason: '{mtu}' is not in range 68 through 9000.",
                mtu
            ),
        ));
    }
    Ok(())
}

/// The caller's scope for lists: administrators see everything.
pub(super) fn scope(ctx: &OpCtx) -> Scope {
    Scope {
        project_id: visible_project(ctx),
    }
}

impl NetworkService {
    /// Creates a network and, when asked, its first subnet (Horizon's Create Network
    /// workflow). If the subnet fails, the network is deleted again: the caller sees all or
    /// nothing. The subnet's `network_id` is the new network's.
    pub async fn network_create_with_subnet(
        &self,
        ctx: &OpCtx,
        req: NetworkCreate,
        subnet: Option<SubnetCreate>,
    ) -> Result<Network> {
        let network = self.network_create(ctx, req).await?;
        if let Some(subnet) = subnet {
            let subnet = SubnetCreate {
                network_id: network.id.clone(),
                ..subnet
            };
            if let Err(e) = self.subnet_create(ctx, subnet).await {
                // Undo: the network goes, with whatever the failed subnet left on it.
                if let Err(undo) = self.network_delete(ctx, &network.id).await {
                    undo.log();
                }
                return Err(e);
            }
        }
        Ok(network)
    }

    pub async fn network_create(&self, ctx: &OpCtx, req: NetworkCreate) -> Result<Network> {
        let project_id = owner(ctx, req.project_id.as_deref(), "network")?;
        authorize(
            ctx,
            Action::Create,
            Resource::ProjectOwned {
                kind: "network",
                id: "",
                project_id: &project_id,
            },
        )?;
        let admin = is_admin(ctx);
        if !admin {
            if req.shared == Some(true) {
                return Err(policy("rule:create_network and rule:create_network:shared"));
            }
            if req.external == Some(true) {
                return Err(policy(
                    "rule:create_network and rule:create_network:router:external",
                ));
            }
            if req.network_type.is_some()
                || req.physical_network.is_some()
                || req.segmentation_id.is_some()
            {
                return Err(policy(
                    "rule:create_network and rule:create_network:provider:network_type",
                ));
            }
        }
        let (network_type, physical_network, segmentation_id) = self.provider(&req)?;
        let mtu = req.mtu.unwrap_or(self.config.default_mtu);
        check_mtu(mtu)?;
        let t = now();
        let network = Network {
            id: super::new_uuid(),
            project_id: project_id.clone(),
            name: req.name,
            description: req.description,
            admin_state_up: req.admin_state_up.unwrap_or(true),
            status: "ACTIVE".into(),
            shared: req.shared.unwrap_or(false),
            external: req.external.unwrap_or(false),
            mtu,
            network_type,
            physical_network,
            segmentation_id,
            port_security_enabled: req.port_security_enabled.unwrap_or(true),
            tags: Vec::new(),
            revision_number: 1,
            created_at: t,
            updated_at: t,
            subnets: Vec::new(),
        };
        let _claim = self.claims.lock().await;
        self.check_quota(&project_id, "network", 1).await?;
        let mut conn = self.db.conn().await?;
        if let Err(e) = db::insert(&mut conn, &network.to_row()).await {
            if db::is_unique_violation(&e) {
                let physnet = network.physical_network.clone().unwrap_or_default();
                return Err(match network.network_type.as_str() {
                    "flat" => conflict(
                        Fault::FlatNetworkInUse,
                        msg!("Unable to create the flat network. Physical network {physnet} is in use.", physnet),
                    ),
                    _ => conflict(
                        Fault::VlanIdInUse,
                        msg!("Unable to create the network. The VLAN {segmentation_id} on physical network {physnet} is in use.", segmentation_id = network.segmentation_id.unwrap_or_default(), physnet),
                    ),
                });
            }
            return Err(e.into());
        }
        self.announce(&network.project_id, network.shared || network.external);
        Ok(network)
    }

    /// Checks the provider attributes; a network that names none is a `local` one (this
    /// host's own bridge, reachable by its instances only).
    fn provider(&self, req: &NetworkCreate) -> Result<(String, Option<String>, Option<i64>)> {
        let kind = req.network_type.clone().unwrap_or_else(|| {
            if req.physical_network.is_some() {
                "flat".into()
            } else {
                "local".into()
            }
        });
        let physnet = req.physical_network.clone();
        let known = |p: &Option<String>| -> Result<String> {
            let p = p.clone().ok_or_else(|| {
                invalid(
                    Fault::InvalidInput,
                    msg!("Invalid input for operation: physical_network required for {kind} provider network.", kind),
                )
            })?;
            if !self.config.physnets.contains_key(&p) {
                return Err(invalid(
                    Fault::InvalidInput,
                    msg!("Invalid input for operation: physical_network '{p}' unknown for {kind} provider network.", p, kind),
                ));
            }
            Ok(p)
        };
        match kind.as_str() {
            "local" => {
                if physnet.is_some() || req.segmentation_id.is_some() {
                    return Err(invalid(
                        Fault::InvalidInput,
                        msg!("Invalid input for operation: provider:physical_network and provider:segmentation_id are not allowed for local provider network."),
                    ));
                }
                Ok((kind, None, None))
            }
            "flat" => {
                let p = known(&physnet)?;
                if req.segmentation_id.is_some() {
                    return Err(invalid(
                        Fault::InvalidInput,
                        msg!("Invalid input for operation: segmentation_id not allowed for flat provider network."),
                    ));
                }
                Ok((kind, Some(p), None))
            }
            "vlan" => {
                let p = known(&physnet)?;
                let vid = req.segmentation_id.ok_or_else(|| {
                    invalid(
                        Fault::InvalidInput,
                        msg!("Invalid input for operation: segmentation_id required for VLAN provider network."),
                    )
                })?;
                if !(1..=4094).contains(&vid) {
                    return Err(invalid(
                        Fault::InvalidInput,
                        msg!("Invalid input for operation: segmentation_id out of range (1 through 4094)."),
                    ));
                }
                Ok((kind, Some(p), Some(vid)))
            }
            other => Err(invalid(
                Fault::InvalidInput,
                msg!(
                    "Invalid input for operation: network_type value '{other}' not supported.",
                    other
                ),
            )),
        }
    }

    /// A network by id, without asking who wants it (the service's own lookups).
    pub(super) async fn network_unchecked(&self, id: &str) -> Result<Network> {
        let mut conn = self.db.conn().await?;
        let row = db::get::<db::network::NetworkRow>(&mut conn, id)
            .await?
            .ok_or_else(|| not_found("network", id))?;
        Ok(Network::from_row(row, Vec::new()))
    }

    /// A network the caller may read.
    pub async fn network_get(&self, ctx: &OpCtx, id: &str) -> Result<Network> {
        let mut conn = self.db.conn().await?;
        let row = db::get::<db::network::NetworkRow>(&mut conn, id)
            .await?
            .ok_or_else(|| not_found("network", id))?;
        let subnets = db::network::subnet_ids_of(&mut conn, &[row.id.clone()])
            .await?
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        let network = Network::from_row(row, subnets);
        authorize(ctx, Action::Read, network.resource()).map_err(|e| match e {
            Error::NotFound { .. } => not_found("network", id),
            e => e,
        })?;
        Ok(network)
    }

    pub async fn network_list(&self, ctx: &OpCtx, q: NetworkQuery) -> Result<Vec<Network>> {
        let mut conn = self.db.conn().await?;
        let rows = db::network::network_list(&mut conn, &scope(ctx), &q).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut subnets = db::network::subnet_ids_of(&mut conn, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mine = subnets
                    .iter()
                    .filter(|(n, _)| *n == r.id)
                    .map(|(_, s)| s.clone())
                    .collect();
                subnets.retain(|(n, _)| *n != r.id);
                Network::from_row(r, mine)
            })
            .collect())
    }

    pub async fn network_update(&self, ctx: &OpCtx, id: &str, u: NetworkUpdate) -> Result<Network> {
        let mut network = self.network_get(ctx, id).await?;
        authorize(ctx, Action::Modify, network.resource())?;
        let was_public = network.shared || network.external;
        if !is_admin(ctx) && (u.shared.is_some() || u.external.is_some()) {
            return Err(policy(
                "rule:update_network:shared or rule:update_network:router:external",
            ));
        }
        if let Some(mtu) = u.mtu {
            check_mtu(mtu)?;
            network.mtu = mtu;
        }
        if let Some(v) = u.name {
            network.name = v;
        }
        if let Some(v) = u.description {
            network.description = v;
        }
        if let Some(v) = u.admin_state_up {
            network.admin_state_up = v;
        }
        if let Some(v) = u.shared {
            network.shared = v;
        }
        if let Some(v) = u.external {
            network.external = v;
        }
        if let Some(v) = u.port_security_enabled {
            network.port_security_enabled = v;
        }
        network.revision_number += 1;
        network.updated_at = now();
        let mut conn = self.db.conn().await?;
        db::save(&mut conn, &network.to_row()).await?;
        self.changed();
        self.announce(
            &network.project_id,
            was_public || network.shared || network.external,
        );
        Ok(network)
    }

    /// Deletes a network with its subnets and DHCP ports; any other port keeps it.
    pub async fn network_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let network = self.network_get(ctx, id).await?;
        authorize(ctx, Action::Delete, network.resource())?;
        let mut tx = self.db.begin().await?;
        if db::network::ports_in_use(&mut tx, id, None, "network:dhcp").await? > 0 {
            return Err(conflict(
                Fault::NetworkInUse,
                msg!("Unable to complete operation on network {id}. There are one or more ports still in use on the network.", id),
            ));
        }
        let dhcp = db::network::port_list(
            &mut tx,
            &Scope::default(),
            &db::network::PortQuery {
                network_id: vec![id.to_string()],
                ..Default::default()
            },
        )
        .await?;
        for p in dhcp {
            db::network::allocations_delete_for_port(&mut tx, &p.id).await?;
            db::delete::<db::network::PortRow>(&mut tx, &p.id).await?;
        }
        for s in db::network::subnets_of(&mut tx, id).await? {
            db::delete::<db::network::SubnetRow>(&mut tx, &s.id).await?;
        }
        if !db::delete::<db::network::NetworkRow>(&mut tx, id).await? {
            return Err(not_found("network", id));
        }
        tx.commit().await?;
        self.changed();
        self.announce(&network.project_id, network.shared || network.external);
        Ok(())
    }
}
