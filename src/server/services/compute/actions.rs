//! Server actions (start, stop, reboot, pause, suspend, lock, resize, rebuild), the
//! console log and address, and the instance action log every operation writes.
//!
//! An action is checked and claimed at once (`task_state`, so two never overlap) and run
//! in the background; the API answers 202, and the instance's status shows the progress.

use futures_util::future::BoxFuture;
use serde_json::json;

use super::launch::Build;
use super::servers::{Fault, LabelsChange, Server};
use super::{ComputeService, TaskState, VmState};
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, compute::ActionRow};
use crate::server::drivers::compute::PowerState;
use crate::server::error::{Error, Result};
use crate::server::services::now;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RebootKind {
    Soft,
    Hard,
}

/// The actions of `POST /servers/{id}/action` that change state.
#[derive(Clone, Debug)]
pub enum ServerAction {
    Start,
    Stop,
    Reboot(RebootKind),
    Pause,
    Unpause,
    Suspend,
    Resume,
    Lock {
        reason: Option<String>,
    },
    Unlock,
    Resize {
        flavor_id: String,
        labels: LabelsChange,
    },
    ConfirmResize,
    RevertResize,
    Rebuild {
        image_id: String,
        name: Option<String>,
        /// The new administrator password, written to the new config drive.
        admin_pass: String,
        labels: LabelsChange,
    },
}

impl ServerAction {
    /// The change to the server's labels an action carries (resize and rebuild).
    fn labels(&self) -> Option<&LabelsChange> {
        match self {
            ServerAction::Resize { labels, .. } | ServerAction::Rebuild { labels, .. } => {
                Some(labels)
            }
            _ => None,
        }
    }

    /// The instance action's name, as Nova records it.
    fn record_name(&self) -> &'static str {
        match self {
            ServerAction::Start => "start",
            ServerAction::Stop => "stop",
            ServerAction::Reboot(_) => "reboot",
            ServerAction::Pause => "pause",
            ServerAction::Unpause => "unpause",
            ServerAction::Suspend => "suspend",
            ServerAction::Resume => "resume",
            ServerAction::Lock { .. } => "lock",
            ServerAction::Unlock => "unlock",
            ServerAction::Resize { .. } => "resize",
            ServerAction::ConfirmResize => "confirmResize",
            ServerAction::RevertResize => "revertResize",
            ServerAction::Rebuild { .. } => "rebuild",
        }
    }

    /// The vm_states the action is allowed from, and the task it runs as (none for lock
    /// and unlock, which run no task).
    fn allowed(&self) -> Option<(&'static [VmState], TaskState)> {
        use TaskState::*;
        use VmState::{Active, Error as Failed, Paused, Resized, Stopped, Suspended};
        Some(match self {
            ServerAction::Start => (&[Stopped], PoweringOn),
            ServerAction::Stop => (&[Active, Failed], PoweringOff),
            ServerAction::Reboot(RebootKind::Soft) => (&[Active], Rebooting),
            ServerAction::Reboot(RebootKind::Hard) => {
                (&[Active, Stopped, Paused, Suspended, Failed], RebootingHard)
            }
            ServerAction::Pause => (&[Active], Pausing),
            ServerAction::Unpause => (&[Paused], Unpausing),
            ServerAction::Suspend => (&[Active], Suspending),
            ServerAction::Resume => (&[Suspended], Resuming),
            ServerAction::Resize { .. } => (&[Active, Stopped], ResizePrep),
            ServerAction::ConfirmResize => (&[Resized], ResizeConfirming),
            ServerAction::RevertResize => (&[Resized], ResizeReverting),
            ServerAction::Rebuild { .. } => (&[Active, Stopped, Failed], Rebuilding),
            ServerAction::Lock { .. } | ServerAction::Unlock => return None,
        })
    }
}

/// How an action leaves the instance.
struct Outcome {
    vm_state: VmState,
    power_state: PowerState,
}

pub(super) fn state_conflict(action: &str, server: &Server) -> Error {
    let (attr, state) = match server.task_state {
        Some(t) => ("task_state", t.as_str()),
        None => ("vm_state", server.vm_state.as_str()),
    };
    Error::Conflict(msg!(
        "Cannot '{action}' instance {id} while it is in {attr} {state}",
        action,
        id = server.id,
        attr,
        state
    ))
}

impl ComputeService {
    pub(super) async fn action_start(
        &self,
        ctx: &OpCtx,
        instance_id: &str,
        project_id: &str,
        action: &str,
    ) -> Result<String> {
        let row = ActionRow {
            id: uuid::Uuid::new_v4().to_string(),
            instance_id: instance_id.to_string(),
            action: action.to_string(),
            request_id: if ctx.request_id.is_empty() {
                format!("req-{}", uuid::Uuid::new_v4())
            } else {
                ctx.request_id.clone()
            },
            user_id: ctx.user_id().to_string(),
            project_id: project_id.to_string(),
            message: None,
            start_time: now(),
            finish_time: None,
            events: "[]".into(),
        };
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &row).await?;
        Ok(row.id)
    }

    /// Closes an action record with its one event; `error` when it failed.
    pub(super) async fn action_finish(
        &self,
        action_id: &str,
        event: &str,
        started: i64,
        error: Option<&str>,
    ) {
        let t = now();
        let events = json!([{
            "event": event,
            "start_time": started,
            "finish_time": t,
            "result": if error.is_some() { "Error" } else { "Success" },
            "traceback": error,
        }]);
        let message = error.map(|_| "Error");
        let result = async {
            let mut conn = self.db.conn().await?;
            db::compute::action_finish(&mut conn, action_id, message, t, &events.to_string()).await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record the end of an instance action");
        }
    }

    /// Checks and claims an action, then runs it in the background.
    pub async fn server_action(&self, ctx: &OpCtx, id: &str, action: ServerAction) -> Result<()> {
        let server = self.load(ctx, id, Action::Modify).await?;
        match &action {
            ServerAction::Lock { reason } => {
                if reason.as_ref().is_some_and(|r| r.chars().count() > 255) {
                    return Err(Error::invalid(msg!(
                        "Invalid input for field/attribute locked_reason."
                    )));
                }
                return self.set_lock(ctx, server, true, reason.clone()).await;
            }
            ServerAction::Unlock => {
                if !super::servers::may_unlock(ctx, &server) {
                    return Err(Error::forbidden_msg(msg!("Instance {id} was locked by another user; only an administrator can unlock it.", id)));
                }
                return self.set_lock(ctx, server, false, None).await;
            }
            _ => {}
        }
        self.check_unlocked(ctx, &server)?;
        let name = action.record_name();
        let Some((from, task)) = action.allowed() else {
            return Err(state_conflict(name, &server));
        };
        if !from.contains(&server.vm_state) || server.task_state.is_some() {
            return Err(state_conflict(name, &server));
        }
        // Checks that need more than the state, before anything is claimed.
        let mut labels = server.labels.clone();
        if let Some(change) = action.labels() {
            labels.apply(change)?;
        }
        let new_flavor = match &action {
            ServerAction::Resize { flavor_id, .. } => {
                let flavor = self.flavor_get(ctx, flavor_id).await.map_err(|e| match e {
                    Error::NotFound { .. } => {
                        Error::invalid(msg!("Flavor {flavor_id} could not be found.", flavor_id))
                    }
                    other => other,
                })?;
                if flavor.id == server.flavor.id {
                    return Err(Error::invalid(msg!(
                        "When resizing, instances must change flavor!"
                    )));
                }
                if flavor.disk < server.flavor.disk {
                    return Err(Error::invalid(msg!(
                        "Resize to zero disk flavor or a smaller disk is not allowed."
                    )));
                }
                let _claim = self.quota_claim(&server.project_id).await;
                self.check_quota(
                    &server.project_id,
                    &[
                        ("cores", (flavor.vcpus - server.flavor.vcpus).max(0)),
                        ("ram", (flavor.ram - server.flavor.ram).max(0)),
                    ],
                )
                .await?;
                Some(flavor)
            }
            _ => None,
        };
        let rebuild_image = match &action {
            ServerAction::Rebuild { image_id, name, .. } => {
                if let Some(n) = name {
                    if n.trim().is_empty() || n.chars().count() > 255 {
                        return Err(Error::invalid(msg!(
                            "Invalid input for field/attribute name."
                        )));
                    }
                }
                let image = self
                    .image
                    .image_get(ctx, image_id)
                    .await
                    .map_err(|e| match e {
                        Error::NotFound { .. } => {
                            Error::invalid(msg!("Image {image_id} could not be found.", image_id))
                        }
                        other => other,
                    })?;
                if image.status != "active" {
                    return Err(Error::invalid(msg!(
                        "Image {image_id} is not active.",
                        image_id
                    )));
                }
                if image.min_ram > server.flavor.ram
                    || (server.flavor.disk > 0 && image.min_disk > server.flavor.disk)
                {
                    return Err(Error::invalid(msg!(
                        "Flavor's memory or disk is too small for requested image."
                    )));
                }
                Some(image)
            }
            _ => None,
        };
        {
            let mut conn = self.db.conn().await?;
            if !db::compute::instance_claim_task(&mut conn, id, task.as_str(), now()).await? {
                return Err(state_conflict(name, &self.reload(id).await?));
            }
        }
        let mut server = self.reload(id).await?;
        if let Some(flavor) = &new_flavor {
            // Hold both sizes on the node until the resize is confirmed or reverted; what
            // it holds more must fit there.
            let mut grown = server.clone();
            grown.new_flavor = Some(flavor.clone());
            grown.old_flavor = Some(server.flavor.clone());
            if let Err(e) = self.claim_for(&grown.to_row()).await {
                // Let go of the task, so the server is not left in resize_prep.
                server.task_state = None;
                self.save(&server).await?;
                return Err(e);
            }
            server = grown;
        }
        // A rebuild shows its new image from the moment it is accepted, as in Nova.
        let new_image = rebuild_image
            .as_ref()
            .map(|i| Some(i.id.clone()))
            .filter(|i| *i != server.image_id);
        if new_flavor.is_some() || server.labels != labels || new_image.is_some() {
            server.labels = labels;
            if let Some(image) = new_image {
                server.image_id = image;
            }
            self.save(&server).await?;
        }
        if let Some(flavor) = &new_flavor {
            if let Err(e) = self.migration_start(ctx, &server, &flavor.id).await {
                // Let go of the task, so the server is not left in resize_prep.
                server.task_state = None;
                server.new_flavor = None;
                server.old_flavor = None;
                self.save(&server).await?;
                return Err(e);
            }
        }
        self.notify(id, &server.project_id);
        let action_id = self.action_start(ctx, id, &server.project_id, name).await?;
        let svc = self.clone();
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let started = now();
            let event = format!("compute_{}_instance", name.to_lowercase());
            let result = svc
                .perform(&ctx, server.clone(), action, rebuild_image)
                .await;
            let mut current = match svc.reload(&server.id).await {
                Ok(s) => s,
                Err(_) => return,
            };
            current.task_state = None;
            current.updated_at = now();
            let error = match result {
                Ok(outcome) => {
                    current.vm_state = outcome.vm_state;
                    current.power_state = outcome.power_state;
                    None
                }
                Err(e) => {
                    let message = format!("{}", e.external_message());
                    let details = match &e {
                        Error::Internal(cause) => format!("{cause:#}"),
                        other => other.external_message(),
                    };
                    tracing::warn!(instance = %current.id, action = name, error = %details, "instance action failed");
                    current.power_state = svc.driver.power_state(&current.id).await;
                    current.fault = Some(Fault {
                        code: 500,
                        message: message.clone(),
                        details: Some(details.clone()),
                        created: now(),
                    });
                    Some(details)
                }
            };
            // A resize's migration record follows it (before the instance shows the end).
            let step = match name {
                "resize" => Some((&["pre-migrating"][..], "finished")),
                "confirmResize" => Some((&["finished"][..], "confirmed")),
                "revertResize" => Some((&["finished"][..], "reverted")),
                _ => None,
            };
            if let Some((from, to)) = step {
                let to = if error.is_some() { "error" } else { to };
                if let Err(e) = svc.migration_advance(&current.id, from, to).await {
                    e.log();
                }
            }
            if let Err(e) = svc.save(&current).await {
                e.log();
            }
            svc.action_finish(&action_id, &event, started, error.as_deref())
                .await;
        });
        Ok(())
    }

    async fn set_lock(
        &self,
        ctx: &OpCtx,
        mut server: Server,
        locked: bool,
        reason: Option<String>,
    ) -> Result<()> {
        let action_id = self
            .action_start(
                ctx,
                &server.id,
                &server.project_id,
                if locked { "lock" } else { "unlock" },
            )
            .await?;
        server.locked = locked;
        server.locked_by = locked.then(|| ctx.user_id().to_string());
        server.locked_reason = if locked { reason } else { None };
        server.updated_at = now();
        self.save(&server).await?;
        self.action_finish(
            &action_id,
            if locked {
                "compute_lock"
            } else {
                "compute_unlock"
            },
            now(),
            None,
        )
        .await;
        Ok(())
    }

    /// The driver work of an action; returns the state the instance ends in.
    fn perform<'a>(
        &'a self,
        ctx: &'a OpCtx,
        mut server: Server,
        action: ServerAction,
        rebuild_image: Option<crate::server::services::image::Image>,
    ) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async move {
            let drv = &self.driver;
            let fail = |what: &'static str| move |e: anyhow::Error| Error::internal(what, e);
            let running = Outcome {
                vm_state: VmState::Active,
                power_state: PowerState::Running,
            };
            match action {
                ServerAction::Start => {
                    let spec = self.spec_for(ctx, &server, None).await?;
                    drv.resume(&spec)
                        .await
                        .map_err(fail("starting the instance"))?;
                    Ok(running)
                }
                ServerAction::Stop => {
                    drv.power_off(&server.id, self.config.shutdown_timeout)
                        .await
                        .map_err(fail("stopping the instance"))?;
                    Ok(Outcome {
                        vm_state: VmState::Stopped,
                        power_state: PowerState::Shutdown,
                    })
                }
                ServerAction::Reboot(kind) => {
                    let spec = self.spec_for(ctx, &server, None).await?;
                    drv.reboot(&spec, kind == RebootKind::Hard)
                        .await
                        .map_err(fail("rebooting the instance"))?;
                    Ok(running)
                }
                ServerAction::Pause => {
                    drv.pause(&server.id)
                        .await
                        .map_err(fail("pausing the instance"))?;
                    Ok(Outcome {
                        vm_state: VmState::Paused,
                        power_state: PowerState::Paused,
                    })
                }
                ServerAction::Unpause => {
                    drv.unpause(&server.id)
                        .await
                        .map_err(fail("unpausing the instance"))?;
                    Ok(running)
                }
                ServerAction::Suspend => {
                    drv.suspend(&server.id)
                        .await
                        .map_err(fail("suspending the instance"))?;
                    Ok(Outcome {
                        vm_state: VmState::Suspended,
                        power_state: PowerState::Suspended,
                    })
                }
                ServerAction::Resume => {
                    let spec = self.spec_for(ctx, &server, None).await?;
                    drv.resume(&spec)
                        .await
                        .map_err(fail("resuming the instance"))?;
                    Ok(running)
                }
                ServerAction::Resize { .. } => {
                    let was_running = server.vm_state == VmState::Active;
                    let new = server
                        .new_flavor
                        .clone()
                        .ok_or_else(|| Error::invalid(msg!("no flavor to resize to")))?;
                    if was_running {
                        drv.power_off(&server.id, self.config.shutdown_timeout)
                            .await
                            .map_err(fail("stopping the instance for its resize"))?;
                    }
                    server.flavor = new;
                    let spec = self.spec_for(ctx, &server, None).await?;
                    drv.resize(&spec)
                        .await
                        .map_err(fail("resizing the instance"))?;
                    if was_running {
                        drv.resume(&spec)
                            .await
                            .map_err(fail("starting the resized instance"))?;
                    }
                    // The flavor changes now; confirm or revert finishes it.
                    let mut current = self.reload(&server.id).await?;
                    current.flavor = server.flavor.clone();
                    self.save(&current).await?;
                    Ok(Outcome {
                        vm_state: VmState::Resized,
                        power_state: if was_running {
                            PowerState::Running
                        } else {
                            PowerState::Shutdown
                        },
                    })
                }
                ServerAction::ConfirmResize => {
                    let mut current = self.reload(&server.id).await?;
                    current.new_flavor = None;
                    current.old_flavor = None;
                    self.save(&current).await?;
                    Ok(self.resting_state(&server.id).await)
                }
                ServerAction::RevertResize => {
                    let old = server
                        .old_flavor
                        .clone()
                        .ok_or_else(|| Error::invalid(msg!("no flavor to revert to")))?;
                    let was_running = drv.power_state(&server.id).await == PowerState::Running;
                    if was_running {
                        drv.power_off(&server.id, self.config.shutdown_timeout)
                            .await
                            .map_err(fail("stopping the instance to revert its resize"))?;
                    }
                    server.flavor = old;
                    let spec = self.spec_for(ctx, &server, None).await?;
                    drv.resize(&spec)
                        .await
                        .map_err(fail("reverting the resize"))?;
                    if was_running {
                        drv.resume(&spec)
                            .await
                            .map_err(fail("starting the reverted instance"))?;
                    }
                    let mut current = self.reload(&server.id).await?;
                    current.flavor = server.flavor.clone();
                    current.new_flavor = None;
                    current.old_flavor = None;
                    self.save(&current).await?;
                    Ok(Outcome {
                        vm_state: if was_running {
                            VmState::Active
                        } else {
                            VmState::Stopped
                        },
                        power_state: if was_running {
                            PowerState::Running
                        } else {
                            PowerState::Shutdown
                        },
                    })
                }
                ServerAction::Rebuild {
                    name, admin_pass, ..
                } => {
                    let image = rebuild_image
                        .ok_or_else(|| Error::invalid(msg!("no image to rebuild from")))?;
                    // A stopped instance stays stopped, as in Nova.
                    let was_stopped = server.vm_state == VmState::Stopped;
                    drv.destroy(&server.id)
                        .await
                        .map_err(fail("stopping the instance for its rebuild"))?;
                    drv.delete_disks(&server.id)
                        .await
                        .map_err(fail("deleting the old disks"))?;
                    drv.delete_config_drive(&server.id)
                        .await
                        .map_err(fail("deleting the old config drive"))?;
                    server.image_id = Some(image.id.clone());
                    if let Some(n) = name {
                        server.name = n;
                    }
                    let build = Build {
                        image: &image,
                        admin_pass: &admin_pass,
                    };
                    let spec = self.spec_for(ctx, &server, Some(build)).await?;
                    drv.create_disks(&spec)
                        .await
                        .map_err(fail("creating the new disks"))?;
                    drv.create_config_drive(&spec)
                        .await
                        .map_err(fail("creating the config drive"))?;
                    if !was_stopped {
                        drv.spawn(&spec)
                            .await
                            .map_err(fail("starting the rebuilt instance"))?;
                    }
                    let mut current = self.reload(&server.id).await?;
                    current.image_id = server.image_id.clone();
                    current.name = server.name.clone();
                    self.save(&current).await?;
                    Ok(if was_stopped {
                        Outcome {
                            vm_state: VmState::Stopped,
                            power_state: PowerState::Shutdown,
                        }
                    } else {
                        running
                    })
                }
                ServerAction::Lock { .. } | ServerAction::Unlock => {
                    Ok(self.resting_state(&server.id).await)
                }
            }
        })
    }

    /// The state matching what the hypervisor reports.
    async fn resting_state(&self, id: &str) -> Outcome {
        match self.driver.power_state(id).await {
            PowerState::Running => Outcome {
                vm_state: VmState::Active,
                power_state: PowerState::Running,
            },
            PowerState::Paused => Outcome {
                vm_state: VmState::Paused,
                power_state: PowerState::Paused,
            },
            PowerState::Suspended => Outcome {
                vm_state: VmState::Suspended,
                power_state: PowerState::Suspended,
            },
            other => Outcome {
                vm_state: VmState::Stopped,
                power_state: other,
            },
        }
    }

    /// The serial console's log.
    pub async fn console_output(
        &self,
        ctx: &OpCtx,
        id: &str,
        length: Option<i64>,
    ) -> Result<String> {
        // Nova's os-console-output policy: project members, not readers.
        let server = self.load(ctx, id, Action::Modify).await?;
        if let Some(n) = length {
            if n < -1 {
                return Err(Error::invalid(msg!(
                    "Invalid input for field/attribute length: it must be -1 or more."
                )));
            }
        }
        if server.node_id.is_none() {
            return Err(Error::Conflict(msg!(
                "Instance {id} is not ready: it has not been placed on a host yet.",
                id
            )));
        }
        let lines = length.filter(|n| *n >= 0).map(|n| n as usize);
        self.driver
            .console_output(id, lines)
            .await
            .map_err(|e| Error::internal("reading the console log", e))
    }

    /// The VNC server of an instance whose console the caller may use (members of its
    /// project, not readers), for the portal's proxied browser console.
    pub async fn console_address(&self, ctx: &OpCtx, id: &str) -> Result<std::net::SocketAddr> {
        let server = self.load(ctx, id, Action::Modify).await?;
        if server.vm_state != VmState::Active {
            return Err(Error::Conflict(msg!("Instance {id} is not running.", id)));
        }
        self.driver.vnc_address(id).await.ok_or_else(|| {
            Error::Conflict(msg!(
                "Instance {id} has no graphical console on this hypervisor.",
                id
            ))
        })
    }
}

impl ComputeService {
    /// Restores a soft-deleted server (`restore`). Gureum deletes at once (Nova's
    /// `reclaim_instance_interval` of 0), so no server is ever soft-deleted: a server
    /// that exists is in the wrong state for it.
    pub async fn server_restore(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let server = self.load(ctx, id, Action::Modify).await?;
        Err(state_conflict("restore", &server))
    }

    /// Deletes a soft-deleted server at once (`forceDelete`). No server is ever
    /// soft-deleted here, so a server that exists is in the wrong state for it (as in Nova).
    pub async fn server_force_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let server = self.load(ctx, id, Action::Delete).await?;
        Err(state_conflict("forceDelete", &server))
    }

    /// Moves a server to another compute host (`migrate`, administrators). This
    /// controller drives one compute host, so there is never another to move to.
    pub async fn server_migrate(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let server = self.load(ctx, id, Action::Read).await?;
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("os_compute_api:os-migrate-server:migrate"),
        )?;
        self.check_unlocked(ctx, &server)?;
        let mut conn = self.db.conn().await?;
        let others = db::compute::node_list(&mut conn)
            .await?
            .into_iter()
            .filter(|n| n.status == "enabled" && Some(&n.host) != server.host.as_ref())
            .count();
        if others == 0 {
            return Err(Error::invalid(super::launch::no_valid_host()));
        }
        Err(Error::invalid(msg!(
            "Moving an instance between compute hosts is not offered yet."
        )))
    }

    /// Re-sends a server's network configuration to its guest (`injectNetworkInfo`,
    /// administrators). The guest reads it from the config drive and DHCP, which always
    /// hold the current configuration, so there is nothing to send.
    pub async fn server_inject_network_info(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        self.load(ctx, id, Action::Read).await?;
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("os_compute_api:os-admin-actions:inject_network_info"),
        )?;
        Ok(())
    }
}
