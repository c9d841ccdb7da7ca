//! Interfaces attached to a server after launch and detached from it (Nova's
//! `os-interface`): a port made on a network, or the user's own, bound to the instance and
//! recorded in its first free NIC slot, and hot-plugged when the VM runs. An attach runs
//! while the request waits (as Nova's does) and is undone whole when a step fails; a
//! detach answers at once and unplugs in the background (the guest takes a few seconds to
//! let a PCI device go).

use async_trait::async_trait;

use super::actions::state_conflict;
use super::nics::NicPlan;
use super::servers::Server;
use super::{ComputeService, TaskState, VmState};
use crate::server::authz::Action;
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::drivers::compute::{NicSpec, PowerState, NIC_SLOTS};
use crate::server::error::{Error, Result};
use crate::server::saga::{Saga, Step};
use crate::server::services::network::Port;
use crate::server::services::now;

/// One of a server's interfaces, as `os-interface` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceAttachment {
    pub port_id: String,
    pub net_id: String,
    pub mac_addr: String,
    /// The port's status (`ACTIVE`, `DOWN`).
    pub port_state: String,
    /// `(ip_address, subnet_id)`.
    pub fixed_ips: Vec<(String, String)>,
}

impl From<Port> for InterfaceAttachment {
    fn from(p: Port) -> Self {
        InterfaceAttachment {
            fixed_ips: p
                .fixed_ips
                .into_iter()
                .map(|f| (f.ip_address, f.subnet_id))
                .collect(),
            port_id: p.id,
            net_id: p.network_id,
            mac_addr: p.mac_address,
            port_state: p.status,
        }
    }
}

/// `POST /servers/{id}/os-interface`: a network (with perhaps addresses on it), a port,
/// or neither (the one network the project can use).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterfaceAttach {
    pub net_id: Option<String>,
    pub port_id: Option<String>,
    pub fixed_ips: Vec<String>,
}

/// The states an interface may be attached or detached in, as Nova allows (a paused
/// guest cannot answer the unplug request, so detach waits for it to run).
const ATTACH_FROM: &[VmState] = &[VmState::Active, VmState::Paused, VmState::Stopped];
const DETACH_FROM: &[VmState] = &[VmState::Active, VmState::Stopped];

impl ComputeService {
    /// The server's interfaces in slot order.
    pub async fn interface_list(&self, ctx: &OpCtx, id: &str) -> Result<Vec<InterfaceAttachment>> {
        let server = self.load(ctx, id, Action::Read).await?;
        let nics = self.nic_rows(&server.id).await?;
        let ids: Vec<String> = nics.into_iter().map(|n| n.port_id).collect();
        Ok(self
            .network
            .ports_unchecked(&ids)
            .await?
            .into_iter()
            .map(InterfaceAttachment::from)
            .collect())
    }

    pub async fn interface_get(
        &self,
        ctx: &OpCtx,
        id: &str,
        port_id: &str,
    ) -> Result<InterfaceAttachment> {
        self.interface_list(ctx, id)
            .await?
            .into_iter()
            .find(|a| a.port_id == port_id)
            .ok_or_else(|| Error::not_found("attached port", port_id))
    }

    /// Attaches an interface and answers with it once the VM has it.
    pub async fn interface_attach(
        &self,
        ctx: &OpCtx,
        id: &str,
        request: InterfaceAttach,
    ) -> Result<InterfaceAttachment> {
        let server = self.load(ctx, id, Action::Modify).await?;
        self.check_unlocked(ctx, &server)?;
        if !ATTACH_FROM.contains(&server.vm_state) || server.task_state.is_some() {
            return Err(state_conflict("attach_interface", &server));
        }
        let plan = self.plan_interface(ctx, &request).await?;
        let slot = self.free_slot(&server).await?;
        if matches!(plan, NicPlan::New { .. }) {
            let project = server.project_id.as_str();
            if !self.network.port_room(project, 1).await? {
                return Err(Error::forbidden_msg(msg!(
                    "Maximum number of ports exceeded"
                )));
            }
        }
        self.claim_interface_task(&server, TaskState::InterfaceAttaching, "attach_interface")
            .await?;
        let action_id = self
            .action_start(ctx, id, &server.project_id, "attach_interface")
            .await?;
        // The saga runs in a task of its own, which the request waits for: a client that
        // hangs up never leaves half an attach behind.
        let svc = self.clone();
        let ctx = ctx.clone();
        let id = id.to_string();
        let task = tokio::spawn(async move {
            let started = now();
            let mut state = Attach {
                svc: svc.clone(),
                ctx,
                server: server.clone(),
                plan,
                slot,
                port_id: None,
            };
            let outcome = ATTACH_INTERFACE.execute(&mut state, &svc.fail_points).await;
            svc.end_interface_task(&server).await;
            let result = match outcome {
                Ok(()) => {
                    let port_id = state.port_id.unwrap_or_default();
                    svc.network
                        .ports_unchecked(&[port_id])
                        .await
                        .map(|ports| ports.into_iter().next().map(InterfaceAttachment::from))
                }
                Err(failure) => Err(failure.error),
            };
            let error = match &result {
                Ok(_) => None,
                Err(e) => Some(e.external_message()),
            };
            svc.action_finish(
                &action_id,
                "compute_attach_interface",
                started,
                error.as_deref(),
            )
            .await;
            result
        });
        task.await
            .map_err(|e| Error::internal("attaching an interface", e))??
            .ok_or_else(|| {
                Error::internal(
                    "attaching an interface",
                    anyhow::anyhow!("the port of instance {id} went away"),
                )
            })
    }

    /// Checks and claims a detach, then unplugs and lets the port go in the background.
    pub async fn interface_detach(&self, ctx: &OpCtx, id: &str, port_id: &str) -> Result<()> {
        let server = self.load(ctx, id, Action::Modify).await?;
        self.check_unlocked(ctx, &server)?;
        if !self
            .nic_rows(&server.id)
            .await?
            .iter()
            .any(|n| n.port_id == port_id)
        {
            return Err(Error::not_found("attached port", port_id));
        }
        if !DETACH_FROM.contains(&server.vm_state) || server.task_state.is_some() {
            return Err(state_conflict("detach_interface", &server));
        }
        self.claim_interface_task(&server, TaskState::InterfaceDetaching, "detach_interface")
            .await?;
        let action_id = self
            .action_start(ctx, id, &server.project_id, "detach_interface")
            .await?;
        let svc = self.clone();
        let port_id = port_id.to_string();
        tokio::spawn(async move {
            let started = now();
            let result = svc.detach_now(&server.id, &port_id).await;
            svc.end_interface_task(&server).await;
            let error = result.as_ref().err().map(|e| {
                let details = match e {
                    Error::Internal(cause) => format!("{cause:#}"),
                    other => other.external_message(),
                };
                tracing::warn!(instance = %server.id, port = %port_id, error = %details, "interface detach failed");
                details
            });
            svc.action_finish(
                &action_id,
                "compute_detach_interface",
                started,
                error.as_deref(),
            )
            .await;
        });
        Ok(())
    }

    async fn detach_now(&self, instance_id: &str, port_id: &str) -> Result<()> {
        if self.is_live(instance_id).await {
            self.driver
                .detach_nic(instance_id, port_id)
                .await
                .map_err(|e| Error::internal("unplugging the interface", e))?;
        }
        let nics = self.nic_rows(instance_id).await?;
        if let Some(nic) = nics.into_iter().find(|n| n.port_id == port_id) {
            self.release_nic(&nic).await?;
        }
        Ok(())
    }

    /// What `networks` would resolve to for one more interface, with the errors Nova
    /// gives for `os-interface` (a missing port or network is a 404 here).
    async fn plan_interface(&self, ctx: &OpCtx, request: &InterfaceAttach) -> Result<NicPlan> {
        if request.net_id.is_some() && request.port_id.is_some() {
            return Err(Error::invalid(msg!(
                "Must not input both network_id and port_id"
            )));
        }
        if !request.fixed_ips.is_empty() && request.net_id.is_none() {
            return Err(Error::invalid(msg!(
                "Must input network_id when request IP address"
            )));
        }
        if let Some(port_id) = &request.port_id {
            self.check_free_port(ctx, port_id, |id| Error::not_found("port", id))
                .await?;
            return Ok(NicPlan::Existing {
                port_id: port_id.clone(),
            });
        }
        let network_id =
            match &request.net_id {
                Some(n) => n.clone(),
                None => match self.usable_networks(ctx).await?.as_slice() {
                    [one] => one.id.clone(),
                    [] => {
                        return Err(Error::invalid(msg!(
                    "No specific network was requested and none are available for project '{project}'.",
                    project = ctx.auth.project_id().unwrap_or("")
                )))
                    }
                    _ => return Err(Error::invalid(
                        msg!("Multiple possible networks found, use a Network ID to be more specific."),
                    )),
                },
            };
        self.check_usable_network(ctx, &network_id, |id| Error::not_found("network", id))
            .await?;
        for ip in &request.fixed_ips {
            if ip.parse::<std::net::IpAddr>().is_err() {
                return Err(Error::invalid(msg!("Invalid input for field/attribute fixed_ips. Value: {ip}. '{ip}' is not a valid IP address.", ip)));
            }
        }
        Ok(NicPlan::New {
            network_id,
            fixed_ips: request.fixed_ips.clone(),
            security_groups: None,
        })
    }

    /// The lowest NIC slot the server does not use.
    async fn free_slot(&self, server: &Server) -> Result<usize> {
        let used: Vec<i64> = self
            .nic_rows(&server.id)
            .await?
            .into_iter()
            .map(|n| n.position)
            .collect();
        (0..NIC_SLOTS)
            .find(|s| !used.contains(&(*s as i64)))
            .ok_or_else(|| {
                Error::invalid(msg!("Instance {id} has {NIC_SLOTS} interfaces, the most it can have; detach one first.", id = server.id, NIC_SLOTS))
            })
    }

    async fn claim_interface_task(
        &self,
        server: &Server,
        task: TaskState,
        action: &str,
    ) -> Result<()> {
        let mut conn = self.db.conn().await?;
        if !db::compute::instance_claim_task(&mut conn, &server.id, task.as_str(), now()).await? {
            drop(conn);
            return Err(state_conflict(action, &self.reload(&server.id).await?));
        }
        drop(conn);
        self.notify(&server.id, &server.project_id);
        Ok(())
    }

    async fn end_interface_task(&self, server: &Server) {
        let result = async {
            let mut current = self.reload(&server.id).await?;
            current.task_state = None;
            current.updated_at = now();
            self.save(&current).await
        }
        .await;
        if let Err(e) = result {
            e.log();
        }
        self.notify(&server.id, &server.project_id);
    }

    /// Whether the instance has a VM that takes hot-plugged devices now.
    async fn is_live(&self, instance_id: &str) -> bool {
        matches!(
            self.driver.power_state(instance_id).await,
            PowerState::Running | PowerState::Paused
        )
    }
}

// --- The attach saga --------------------------------------------------------------------

struct Attach {
    svc: ComputeService,
    ctx: OpCtx,
    server: Server,
    plan: NicPlan,
    slot: usize,
    /// The port once made or bound.
    port_id: Option<String>,
}

/// Makes the port (or takes the user's), records it in the slot and binds it.
struct MakePort;

#[async_trait]
impl Step<Attach> for MakePort {
    fn name(&self) -> &'static str {
        "port"
    }

    async fn run(&self, a: &mut Attach) -> Result<()> {
        let nic = a.plan.row(&a.server.id, a.slot);
        a.port_id = Some(nic.port_id.clone());
        let host = a.server.host.clone().unwrap_or_default();
        a.svc.make_nic(&a.ctx, &a.plan, &nic, &host).await
    }

    async fn undo(&self, a: &mut Attach) -> Result<()> {
        let Some(port_id) = &a.port_id else {
            return Ok(());
        };
        let row = db::compute::NicRow {
            instance_id: a.server.id.clone(),
            position: a.slot as i64,
            port_id: port_id.clone(),
            preserve_on_delete: matches!(a.plan, NicPlan::Existing { .. }) as i64,
        };
        a.svc.release_nic(&row).await
    }
}

/// Hot-plugs the NIC into a VM that runs (a stopped one gets it at its next start).
struct Plug;

static ATTACH_INTERFACE: Saga<Attach> = Saga {
    name: "attach_interface",
    steps: &[&MakePort, &Plug],
};

pub(super) fn saga_points() -> Vec<String> {
    ATTACH_INTERFACE.points()
}

#[async_trait]
impl Step<Attach> for Plug {
    fn name(&self) -> &'static str {
        "plug"
    }

    async fn run(&self, a: &mut Attach) -> Result<()> {
        // The tap must exist before QEMU opens it.
        a.svc.network.sync().await?;
        if !a.svc.is_live(&a.server.id).await {
            return Ok(());
        }
        let port_id = a.port_id.clone().unwrap_or_default();
        let vif = a
            .svc
            .network
            .vifs(std::slice::from_ref(&port_id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found("port", &port_id))?;
        let nic = NicSpec {
            port_id: vif.port_id,
            mac: vif.mac,
            tap: vif.tap,
            slot: a.slot,
        };
        // The hypervisor's refusal is the request's answer (Nova's InterfaceAttachFailed),
        // with its reason; the whole chain goes to the log.
        a.svc
            .driver
            .attach_nic(&a.server.id, &nic)
            .await
            .map_err(|e| {
                tracing::warn!(instance = %a.server.id, error = %format!("{e:#}"), "hot-plug failed");
                Error::Conflict(msg!("Failed to attach network adapter device to {id}: {e}", id = a.server.id, e))
            })
    }

    async fn undo(&self, a: &mut Attach) -> Result<()> {
        if let Some(port_id) = &a.port_id {
            a.svc
                .driver
                .detach_nic(&a.server.id, port_id)
                .await
                .map_err(|e| Error::internal("unplugging the interface", e))?;
        }
        Ok(())
    }
}
