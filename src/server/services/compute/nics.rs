//! Instances' network interfaces: what `networks` in a create request resolves to (checked
//! before anything is recorded, with Nova's errors), the launch step that makes or binds
//! the ports, and their release when the instance goes.

use std::collections::HashMap;

use super::{ComputeService, TaskState};
use crate::server::authz::{is_admin, Action};
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::drivers::compute::NicSpec;
use crate::server::drivers::compute::NIC_SLOTS;
use crate::server::error::{Error, Result};
use crate::server::services::network::{
    FixedIpRequest, InstanceNetworking, Network, NetworkQuery, PortCreate, PortUpdate,
    SecurityGroupQuery, OWNER_COMPUTE,
};

/// `networks` of a create request.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum NetworkRequest {
    /// The one network the project can use (none: no interface before 2.37).
    #[default]
    Legacy,
    /// `"auto"`: the one network the project can use; an error when there is none.
    Auto,
    /// `"none"`: no interface.
    None,
    List(Vec<NicRequest>),
}

/// One entry of `networks`: a network (with perhaps an address on it) or a port.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NicRequest {
    pub network_id: Option<String>,
    pub port_id: Option<String>,
    pub fixed_ip: Option<String>,
}

/// A resolved interface: a port to make on a network, or the user's port to bind.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum NicPlan {
    /// A port Nova makes on the network: with the addresses asked for (none: the first
    /// free one), in the groups named (none: `default`), deleted with the instance.
    New {
        network_id: String,
        fixed_ips: Vec<String>,
        security_groups: Option<Vec<String>>,
    },
    /// The user's port, kept (only unbound) when the instance goes.
    Existing { port_id: String },
}

impl NicPlan {
    /// The interface record this plan gives an instance in `slot`. A port still to be
    /// made gets its id here, so that the record can be written before the port exists.
    pub(super) fn row(&self, instance_id: &str, slot: usize) -> db::compute::NicRow {
        let (port_id, preserve) = match self {
            NicPlan::Existing { port_id } => (port_id.clone(), true),
            NicPlan::New { .. } => (uuid::Uuid::new_v4().to_string(), false),
        };
        db::compute::NicRow {
            instance_id: instance_id.to_string(),
            position: slot as i64,
            port_id,
            preserve_on_delete: preserve as i64,
        }
    }
}

impl ComputeService {
    /// Checks `networks` and `security_groups` of a create request as Nova does before it
    /// records anything, and says which ports each instance gets.
    pub(super) async fn plan_nics(
        &self,
        ctx: &OpCtx,
        request: &NetworkRequest,
        security_groups: &[String],
        count: i64,
    ) -> Result<Vec<NicPlan>> {
        let groups = self.resolve_groups(ctx, security_groups).await?;
        let new = |network_id: String, fixed_ip: Option<String>| NicPlan::New {
            network_id,
            fixed_ips: fixed_ip.into_iter().collect(),
            security_groups: groups.clone(),
        };
        let plans = match request {
            NetworkRequest::None => Vec::new(),
            NetworkRequest::Legacy | NetworkRequest::Auto => {
                let usable = self.usable_networks(ctx).await?;
                match usable.as_slice() {
                    [] if *request == NetworkRequest::Legacy => Vec::new(),
                    [] => {
                        return Err(Error::invalid(msg!(
                            "Unable to automatically allocate a network for project {project}: it has no network. Create one (with a subnet) or use \"networks\": \"none\".",
                            project = ctx.auth.project_id().unwrap_or("")
                        )))
                    }
                    [one] => vec![new(one.id.clone(), None)],
                    _ => {
                        return Err(Error::Conflict(msg!(
                            "Multiple possible networks found, use a Network ID to be more specific."
                        )))
                    }
                }
            }
            NetworkRequest::List(list) => {
                // Counted before any entry is looked up.
                if list.len() > NIC_SLOTS {
                    return Err(Error::invalid(msg!("An instance can have at most {NIC_SLOTS} interfaces; {len} were asked for.", NIC_SLOTS, len = list.len())));
                }
                let mut plans = Vec::new();
                for nic in list {
                    plans.push(self.plan_nic(ctx, nic, &new, count).await?);
                }
                plans
            }
        };
        if plans.len() > NIC_SLOTS {
            return Err(Error::invalid(msg!(
                "An instance can have at most {NIC_SLOTS} interfaces; {len} were asked for.",
                NIC_SLOTS,
                len = plans.len()
            )));
        }
        if !plans.is_empty() {
            let project = ctx.auth.project_id().unwrap_or("");
            let wanted = plans
                .iter()
                .filter(|p| matches!(p, NicPlan::New { .. }))
                .count() as i64
                * count;
            if wanted > 0 && !self.network.port_room(project, wanted).await? {
                return Err(Error::forbidden_msg(msg!(
                    "Maximum number of ports exceeded"
                )));
            }
        }
        Ok(plans)
    }

    async fn plan_nic(
        &self,
        ctx: &OpCtx,
        nic: &NicRequest,
        new: &impl Fn(String, Option<String>) -> NicPlan,
        count: i64,
    ) -> Result<NicPlan> {
        if let Some(port_id) = &nic.port_id {
            if count > 1 {
                return Err(Error::invalid(
                    msg!("Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports."),
                ));
            }
            self.check_free_port(ctx, port_id, |id| {
                Error::invalid(msg!("Port {id} could not be found.", id))
            })
            .await?;
            return Ok(NicPlan::Existing {
                port_id: port_id.clone(),
            });
        }
        let Some(network_id) = &nic.network_id else {
            return Err(Error::invalid(msg!(
                "Invalid input for field/attribute networks: each entry needs a uuid or a port."
            )));
        };
        self.check_usable_network(ctx, network_id, |id| {
            Error::invalid(msg!("Network {id} could not be found.", id))
        })
        .await?;
        if let Some(ip) = &nic.fixed_ip {
            if ip.parse::<std::net::Ipv4Addr>().is_err() {
                return Err(Error::invalid(msg!("Invalid input for field/attribute fixed_ip. Value: {ip}. '{ip}' is not a 'ipv4' address.", ip)));
            }
            if count > 1 {
                return Err(Error::invalid(msg!(
                    "Unable to launch multiple instances with a single fixed IP address."
                )));
            }
        }
        Ok(new(network_id.clone(), nic.fixed_ip.clone()))
    }

    /// A port an instance may take: found (else `missing`), no device's, with an address.
    pub(super) async fn check_free_port(
        &self,
        ctx: &OpCtx,
        port_id: &str,
        missing: fn(&str) -> Error,
    ) -> Result<()> {
        let port = self
            .network
            .port_get(ctx, port_id)
            .await
            .map_err(|_| missing(port_id))?;
        if !port.device_id.is_empty() {
            return Err(Error::Conflict(msg!(
                "Port {port_id} is still in use.",
                port_id
            )));
        }
        if port.fixed_ips.is_empty() {
            return Err(Error::invalid(msg!(
                "Port {port_id} requires a FixedIP in order to be used.",
                port_id
            )));
        }
        Ok(())
    }

    /// A network an instance may have an interface on: found (else `missing`), not
    /// another project's external one (unless shared or for an administrator), with a
    /// subnet.
    pub(super) async fn check_usable_network(
        &self,
        ctx: &OpCtx,
        network_id: &str,
        missing: fn(&str) -> Error,
    ) -> Result<()> {
        let network = self
            .network
            .network_get(ctx, network_id)
            .await
            .map_err(|_| missing(network_id))?;
        let own = Some(network.project_id.as_str()) == ctx.auth.project_id();
        if network.external && !network.shared && !own && !is_admin(ctx) {
            return Err(Error::forbidden_msg(msg!(
                "It is not allowed to create an interface on external network {network_id}",
                network_id
            )));
        }
        if network.subnets.is_empty() {
            return Err(Error::invalid(msg!(
                "Network {network_id} requires a subnet in order to boot instances on.",
                network_id
            )));
        }
        Ok(())
    }

    /// The networks an instance of the project may be put on: its own and shared ones,
    /// not external, that have a subnet (what Launch Instance and Attach Interface offer).
    pub async fn usable_networks(&self, ctx: &OpCtx) -> Result<Vec<Network>> {
        let list = self
            .network
            .network_list(ctx, NetworkQuery::default())
            .await?;
        let project = ctx.auth.project_id();
        Ok(list
            .into_iter()
            .filter(|n| !n.external && !n.subnets.is_empty())
            .filter(|n| n.shared || Some(n.project_id.as_str()) == project)
            .collect())
    }

    /// Security groups by name or id, within the project; `None` when none are named.
    async fn resolve_groups(&self, ctx: &OpCtx, names: &[String]) -> Result<Option<Vec<String>>> {
        if names.is_empty() {
            return Ok(None);
        }
        let groups = self
            .network
            .security_group_list(ctx, SecurityGroupQuery::default())
            .await?;
        let project = ctx.auth.project_id();
        let mut ids = Vec::new();
        for name in names {
            let found: Vec<_> = groups
                .iter()
                .filter(|g| Some(g.project_id.as_str()) == project)
                .filter(|g| &g.id == name || &g.name == name)
                .collect();
            match found.as_slice() {
                [g] => {
                    if !ids.contains(&g.id) {
                        ids.push(g.id.clone())
                    }
                }
                [] => {
                    return Err(Error::invalid(msg!("Unable to find security_group with name or id '{name}'", name)))
                }
                _ => {
                    return Err(Error::Conflict(msg!("Multiple security_group matches found for name '{name}', use an ID to be more specific.", name)))
                }
            }
        }
        Ok(Some(ids))
    }

    /// Makes (or binds) an instance's ports in order and records them as its interfaces;
    /// on a failure, lets go of the ones it made.
    pub(super) async fn attach_nics(
        &self,
        ctx: &OpCtx,
        instance_id: &str,
        host: &str,
        plans: &[NicPlan],
    ) -> Result<()> {
        for (slot, plan) in plans.iter().enumerate() {
            if let Err(e) = self
                .make_nic(ctx, plan, &plan.row(instance_id, slot), host)
                .await
            {
                // The step failed, so its undo will not run: the ones made go now.
                if let Err(undo) = self.release_nics(instance_id).await {
                    undo.log();
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Gives an instance one interface: records it, makes the port (or takes the user's)
    /// and binds it. The record comes first, with the id the port will have, so a step
    /// cut short (an error, or the controller killed) leaves nothing that
    /// [`Self::release_nic`] cannot find.
    pub(super) async fn make_nic(
        &self,
        ctx: &OpCtx,
        plan: &NicPlan,
        nic: &db::compute::NicRow,
        host: &str,
    ) -> Result<()> {
        // Made whole or not at all before a delete releases the instance's ports, and
        // not at all once it has begun.
        let _guard = self.nic_lock(&nic.instance_id).await;
        let mut conn = self.db.conn().await?;
        match db::compute::instance_get(&mut conn, &nic.instance_id).await? {
            Some(row) if row.task_state.as_deref() != Some(TaskState::Deleting.as_str()) => {}
            _ => {
                return Err(Error::Conflict(msg!(
                    "Instance {instance_id} is being deleted.",
                    instance_id = nic.instance_id
                )))
            }
        }
        db::compute::nic_insert(&mut conn, nic).await?;
        drop(conn);
        // A saga undoes the steps before a failed one, not the failed one itself.
        if let Err(e) = self.make_port(ctx, plan, nic, host).await {
            if let Err(undo) = self.release_nic(nic).await {
                undo.log();
            }
            return Err(e);
        }
        Ok(())
    }

    async fn make_port(
        &self,
        ctx: &OpCtx,
        plan: &NicPlan,
        nic: &db::compute::NicRow,
        host: &str,
    ) -> Result<()> {
        if let NicPlan::New {
            network_id,
            fixed_ips,
            security_groups,
        } = plan
        {
            self.network
                .port_create(
                    ctx,
                    PortCreate {
                        id: Some(nic.port_id.clone()),
                        network_id: network_id.clone(),
                        device_id: nic.instance_id.clone(),
                        device_owner: OWNER_COMPUTE.to_string(),
                        fixed_ips: (!fixed_ips.is_empty()).then(|| {
                            fixed_ips
                                .iter()
                                .map(|ip| FixedIpRequest {
                                    subnet_id: None,
                                    ip_address: Some(ip.clone()),
                                })
                                .collect()
                        }),
                        security_groups: security_groups.clone(),
                        ..Default::default()
                    },
                )
                .await?;
        }
        self.network
            .port_bind(&nic.port_id, &nic.instance_id, host)
            .await?;
        Ok(())
    }

    /// Deletes the ports made for an instance and unbinds the ones the user brought.
    pub(super) async fn release_nics(&self, instance_id: &str) -> Result<()> {
        let _guard = self.nic_lock(instance_id).await;
        for nic in self.nic_rows(instance_id).await? {
            self.release_nic(&nic).await?;
        }
        Ok(())
    }

    /// Lets one interface go: its port deleted (or unbound, when the user brought it)
    /// and its slot freed. Fine when it is gone already (undo and retries).
    pub(super) async fn release_nic(&self, nic: &db::compute::NicRow) -> Result<()> {
        if nic.preserve_on_delete != 0 {
            self.network.port_unbind(&nic.port_id).await?;
        } else {
            self.network.port_release(&nic.port_id).await?;
        }
        let mut conn = self.db.conn().await?;
        db::compute::nic_delete(&mut conn, &nic.instance_id, &nic.port_id).await?;
        Ok(())
    }

    /// An instance's interfaces in slot order.
    pub(super) async fn nic_rows(&self, instance_id: &str) -> Result<Vec<db::compute::NicRow>> {
        let mut conn = self.db.conn().await?;
        Ok(db::compute::nics_of(&mut conn, &[instance_id.to_string()]).await?)
    }

    /// The NICs the hypervisor gives an instance, in slot order.
    pub(super) async fn nic_specs(&self, instance_id: &str) -> Result<Vec<NicSpec>> {
        let nics = self.nic_rows(instance_id).await?;
        let ids: Vec<String> = nics.iter().map(|n| n.port_id.clone()).collect();
        Ok(self
            .network
            .vifs(&ids)
            .await?
            .into_iter()
            .filter_map(|v| {
                let nic = nics.iter().find(|n| n.port_id == v.port_id)?;
                Some(NicSpec {
                    slot: nic.position as usize,
                    port_id: v.port_id,
                    mac: v.mac,
                    tap: v.tap,
                })
            })
            .collect())
    }

    /// The addresses and security groups of these instances (for their API bodies).
    pub async fn networking_of(
        &self,
        instance_ids: &[String],
    ) -> Result<HashMap<String, InstanceNetworking>> {
        let mut conn = self.db.conn().await?;
        let nics = db::compute::nics_of(&mut conn, instance_ids).await?;
        drop(conn);
        let pairs: Vec<(String, String)> = nics
            .into_iter()
            .map(|n| (n.instance_id, n.port_id))
            .collect();
        self.network.instance_networking(&pairs).await
    }
}

impl ComputeService {
    /// Adds a security group (by name or id, one of the server's project's) to every port
    /// of the server, or takes it off them (`addSecurityGroup`, `removeSecurityGroup`).
    pub async fn server_security_group(
        &self,
        ctx: &OpCtx,
        id: &str,
        group: &str,
        add: bool,
    ) -> Result<()> {
        let server = self.load(ctx, id, Action::Modify).await?;
        self.check_unlocked(ctx, &server)?;
        let group_id = self
            .resolve_groups(ctx, &[group.to_string()])
            .await
            .map_err(|e| match e {
                Error::InvalidRequest(_) => Error::not_found("security group", group),
                other => other,
            })?
            .and_then(|ids| ids.into_iter().next())
            .ok_or_else(|| Error::not_found("security group", group))?;
        let mut conn = self.db.conn().await?;
        let nics = db::compute::nics_of(&mut conn, std::slice::from_ref(&server.id)).await?;
        drop(conn);
        if nics.is_empty() {
            let name = &server.name;
            return Err(Error::invalid(msg!(
                "Instance {name} has no network interface to put a security group on.",
                name
            )));
        }
        let port_ids: Vec<String> = nics.into_iter().map(|n| n.port_id).collect();
        let ports = self.network.ports_unchecked(&port_ids).await?;
        if !add && !ports.iter().any(|p| p.security_groups.contains(&group_id)) {
            let name = &server.name;
            return Err(Error::invalid(msg!(
                "Security group {group} is not on instance {name}.",
                group,
                name
            )));
        }
        for port in ports {
            let mut groups = port.security_groups.clone();
            if add {
                if groups.contains(&group_id) {
                    continue;
                }
                groups.push(group_id.clone());
            } else {
                groups.retain(|g| g != &group_id);
            }
            let update = PortUpdate {
                security_groups: Some(groups),
                ..Default::default()
            };
            self.network.port_update(ctx, &port.id, update).await?;
        }
        Ok(())
    }
}
