//! Server actions (start, stop, reboot, pause, suspend, lock, resize, rebuild), the delete
//! and snapshot sagas, the console log, the action log, and reconciliation after a restart.
//!
//! An action is checked and claimed at once (`task_state`, so two never overlap) and run
//! in the background; the API answers 202, and the instance's status shows the progress.

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use serde_json::json;

use super::servers::{Fault, Server};
use super::ComputeService;
use crate::server::authz::{authorize, is_admin, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, compute::ActionRow};
use crate::server::drivers::compute::PowerState;
use crate::server::error::{Error, Result};
use crate::server::saga::{execute, Step};
use crate::server::services::image::ImageCreate;
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
    },
    ConfirmResize,
    RevertResize,
    Rebuild {
        image_id: String,
        name: Option<String>,
    },
}

impl ServerAction {
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

    /// The vm_states the action is allowed from, and the task it runs as.
    fn allowed(&self) -> (&'static [&'static str], &'static str) {
        match self {
            ServerAction::Start => (&["stopped"], "powering-on"),
            ServerAction::Stop => (&["active", "error"], "powering-off"),
            ServerAction::Reboot(RebootKind::Soft) => (&["active"], "rebooting"),
            ServerAction::Reboot(RebootKind::Hard) => (
                &["active", "stopped", "paused", "suspended", "error"],
                "rebooting_hard",
            ),
            ServerAction::Pause => (&["active"], "pausing"),
            ServerAction::Unpause => (&["paused"], "unpausing"),
            ServerAction::Suspend => (&["active"], "suspending"),
            ServerAction::Resume => (&["suspended"], "resuming"),
            ServerAction::Resize { .. } => (&["active", "stopped"], "resize_prep"),
            ServerAction::ConfirmResize => (&["resized"], "resize_confirming"),
            ServerAction::RevertResize => (&["resized"], "resize_reverting"),
            ServerAction::Rebuild { .. } => (&["active", "stopped", "error"], "rebuilding"),
            ServerAction::Lock { .. } | ServerAction::Unlock => (&[], ""),
        }
    }
}

/// How an action leaves the instance.
struct Outcome {
    vm_state: &'static str,
    power_state: PowerState,
}

pub(super) fn state_conflict(action: &str, server: &Server) -> Error {
    let (attr, state) = match &server.task_state {
        Some(t) => ("task_state", t.as_str()),
        None => ("vm_state", server.vm_state.as_str()),
    };
    Error::Conflict(format!(
        "Cannot '{action}' instance {} while it is in {attr} {state}",
        server.id
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
        db::compute::action_insert(&mut conn, &row).await?;
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
                    return Err(Error::invalid(
                        "Invalid input for field/attribute locked_reason.",
                    ));
                }
                return self.set_lock(ctx, server, true, reason.clone()).await;
            }
            ServerAction::Unlock => {
                if server.locked
                    && !is_admin(ctx)
                    && server.locked_by.as_deref() != Some(ctx.user_id())
                {
                    return Err(Error::forbidden_msg(format!(
                        "Instance {id} was locked by another user; only an administrator can unlock it."
                    )));
                }
                return self.set_lock(ctx, server, false, None).await;
            }
            _ => {}
        }
        self.check_unlocked(ctx, &server)?;
        let name = action.record_name();
        let (from, task) = action.allowed();
        if !from.contains(&server.vm_state.as_str()) || server.task_state.is_some() {
            return Err(state_conflict(name, &server));
        }
        // Checks that need more than the state, before anything is claimed.
        let new_flavor = match &action {
            ServerAction::Resize { flavor_id } => {
                let flavor = self.flavor_get(ctx, flavor_id).await.map_err(|e| match e {
                    Error::NotFound { .. } => {
                        Error::invalid(format!("Flavor {flavor_id} could not be found."))
                    }
                    other => other,
                })?;
                if flavor.id == server.flavor.id {
                    return Err(Error::invalid(
                        "When resizing, instances must change flavor!",
                    ));
                }
                if flavor.disk < server.flavor.disk {
                    return Err(Error::invalid(
                        "Resize to zero disk flavor or a smaller disk is not allowed.",
                    ));
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
            ServerAction::Rebuild { image_id, name } => {
                if let Some(n) = name {
                    if n.trim().is_empty() || n.chars().count() > 255 {
                        return Err(Error::invalid("Invalid input for field/attribute name."));
                    }
                }
                let image = self
                    .image
                    .image_get(ctx, image_id)
                    .await
                    .map_err(|e| match e {
                        Error::NotFound { .. } => {
                            Error::invalid(format!("Image {image_id} could not be found."))
                        }
                        other => other,
                    })?;
                if image.status != "active" {
                    return Err(Error::invalid(format!("Image {image_id} is not active.")));
                }
                if image.min_ram > server.flavor.ram
                    || (server.flavor.disk > 0 && image.min_disk > server.flavor.disk)
                {
                    return Err(Error::invalid(
                        "Flavor's memory or disk is too small for requested image.",
                    ));
                }
                Some(image)
            }
            _ => None,
        };
        {
            let mut conn = self.db.conn().await?;
            if !db::compute::instance_claim_task(&mut conn, id, task, now()).await? {
                return Err(state_conflict(name, &self.reload(id).await?));
            }
        }
        let mut server = self.reload(id).await?;
        if let Some(flavor) = &new_flavor {
            // Hold both sizes on the node until the resize is confirmed or reverted.
            server.new_flavor = Some(flavor.clone());
            server.old_flavor = Some(server.flavor.clone());
            self.save(&server).await?;
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
                    current.vm_state = outcome.vm_state.into();
                    current.power_state = outcome.power_state as i64;
                    None
                }
                Err(e) => {
                    let message = format!("{}", e.external_message());
                    let details = match &e {
                        Error::Internal(cause) => format!("{cause:#}"),
                        other => other.external_message(),
                    };
                    tracing::warn!(instance = %current.id, action = name, error = %details, "instance action failed");
                    current.power_state = svc.driver.power_state(&current.id).await as i64;
                    current.fault = Some(Fault {
                        code: 500,
                        message: message.clone(),
                        details: Some(details.clone()),
                        created: now(),
                    });
                    Some(details)
                }
            };
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
                vm_state: "active",
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
                        vm_state: "stopped",
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
                        vm_state: "paused",
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
                        vm_state: "suspended",
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
                    let was_running = server.vm_state == "active";
                    let new = server
                        .new_flavor
                        .clone()
                        .ok_or_else(|| Error::invalid("no flavor to resize to"))?;
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
                        vm_state: "resized",
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
                        .ok_or_else(|| Error::invalid("no flavor to revert to"))?;
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
                        vm_state: if was_running { "active" } else { "stopped" },
                        power_state: if was_running {
                            PowerState::Running
                        } else {
                            PowerState::Shutdown
                        },
                    })
                }
                ServerAction::Rebuild { name, .. } => {
                    let image =
                        rebuild_image.ok_or_else(|| Error::invalid("no image to rebuild from"))?;
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
                    let spec = self.spec_for(ctx, &server, Some(&image)).await?;
                    drv.create_disks(&spec)
                        .await
                        .map_err(fail("creating the new disks"))?;
                    drv.create_config_drive(&spec)
                        .await
                        .map_err(fail("creating the config drive"))?;
                    drv.spawn(&spec)
                        .await
                        .map_err(fail("starting the rebuilt instance"))?;
                    let mut current = self.reload(&server.id).await?;
                    current.image_id = server.image_id.clone();
                    current.name = server.name.clone();
                    self.save(&current).await?;
                    Ok(running)
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
                vm_state: "active",
                power_state: PowerState::Running,
            },
            PowerState::Paused => Outcome {
                vm_state: "paused",
                power_state: PowerState::Paused,
            },
            PowerState::Suspended => Outcome {
                vm_state: "suspended",
                power_state: PowerState::Suspended,
            },
            other => Outcome {
                vm_state: "stopped",
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
                return Err(Error::invalid(
                    "Invalid input for field/attribute length: it must be -1 or more.",
                ));
            }
        }
        if server.node_id.is_none() {
            return Err(Error::Conflict(format!(
                "Instance {id} is not ready: it has not been placed on a host yet."
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
        if server.vm_state != "active" {
            return Err(Error::Conflict(format!("Instance {id} is not running.")));
        }
        self.driver.vnc_address(id).await.ok_or_else(|| {
            Error::Conflict(format!(
                "Instance {id} has no graphical console on this hypervisor."
            ))
        })
    }

    // --- Delete --------------------------------------------------------------------------

    /// Marks the instance `deleting` and removes it from the host in the background.
    pub async fn server_delete(&self, ctx: &OpCtx, id: &str, force: bool) -> Result<()> {
        let mut server = self.load(ctx, id, Action::Delete).await?;
        self.check_unlocked(ctx, &server)?;
        if server.task_state.as_deref() == Some("deleting") && !force {
            return Ok(());
        }
        server.task_state = Some("deleting".into());
        server.updated_at = now();
        let mut conn = self.db.conn().await?;
        if !db::compute::instance_mark_deleting(&mut conn, id, server.updated_at).await? {
            return Err(Error::not_found("instance", id));
        }
        drop(conn);
        self.notify(&server.id, &server.project_id);
        let action_id = self
            .action_start(ctx, id, &server.project_id, "delete")
            .await?;
        let svc = self.clone();
        tokio::spawn(async move { svc.run_delete(server, Some(action_id)).await });
        Ok(())
    }

    pub(super) async fn run_delete(&self, server: Server, action_id: Option<String>) {
        let started = now();
        let mut state = DeleteState {
            svc: self.clone(),
            server,
        };
        let steps: [&dyn Step<DeleteState>; 5] = [
            &StopVm,
            &RemoveConfigDrive,
            &RemoveDisks,
            &ReleasePorts,
            &Forget,
        ];
        let outcome = execute("delete", &steps, &mut state, &self.fail_points).await;
        let error = match outcome {
            Ok(()) => None,
            Err(failure) => {
                let details = format!("{:#}", failure.error);
                // What is left stays visible, in ERROR, so the delete can be tried again.
                if let Ok(mut current) = self.reload(&state.server.id).await {
                    current.vm_state = "error".into();
                    current.task_state = None;
                    current.power_state = self.driver.power_state(&current.id).await as i64;
                    current.fault = Some(Fault {
                        code: 500,
                        message: format!(
                            "The instance could not be deleted (at step {}); try again.",
                            failure.step
                        ),
                        details: Some(details.clone()),
                        created: now(),
                    });
                    if let Err(e) = self.save_deleting(&current).await {
                        e.log();
                    }
                }
                Some(details)
            }
        };
        if let Some(action_id) = action_id {
            self.action_finish(
                &action_id,
                "compute_terminate_instance",
                started,
                error.as_deref(),
            )
            .await;
        }
    }

    // --- Snapshot ------------------------------------------------------------------------

    /// `createImage`: records a queued image at once (its id is the answer) and fills it
    /// from the instance's disk in the background.
    pub async fn server_snapshot(
        &self,
        ctx: &OpCtx,
        id: &str,
        name: &str,
        metadata: BTreeMap<String, String>,
    ) -> Result<String> {
        let server = self.load(ctx, id, Action::Modify).await?;
        self.check_unlocked(ctx, &server)?;
        if name.trim().is_empty() || name.chars().count() > 255 {
            return Err(Error::invalid("Invalid input for field/attribute name."));
        }
        if !["active", "stopped", "paused", "suspended"].contains(&server.vm_state.as_str())
            || server.task_state.is_some()
        {
            return Err(state_conflict("createImage", &server));
        }
        // The snapshot inherits the base image's boot properties, as Nova's does.
        let base = match &server.image_id {
            Some(image_id) => self.image.image_get(ctx, image_id).await.ok(),
            None => None,
        };
        let mut attributes = serde_json::Map::new();
        attributes.insert("name".into(), json!(name));
        attributes.insert("disk_format".into(), json!("qcow2"));
        attributes.insert("container_format".into(), json!("bare"));
        attributes.insert("min_disk".into(), json!(server.flavor.disk));
        attributes.insert(
            "min_ram".into(),
            json!(base.as_ref().map(|b| b.min_ram).unwrap_or(0)),
        );
        if let Some(base) = &base {
            for key in [
                "kernel_id",
                "ramdisk_id",
                "os_command_line",
                "os_distro",
                "os_type",
                "architecture",
                "hw_disk_bus",
                "hw_vif_model",
            ] {
                if let Some(v) = base.properties.get(key) {
                    attributes.insert(key.into(), json!(v));
                }
            }
            attributes.insert("base_image_ref".into(), json!(base.id));
        }
        attributes.insert("image_type".into(), json!("snapshot"));
        attributes.insert("instance_uuid".into(), json!(server.id));
        attributes.insert("owner_user_name".into(), json!(ctx.auth.user_name));
        for (k, v) in metadata {
            attributes.insert(k, json!(v));
        }
        {
            let mut conn = self.db.conn().await?;
            if !db::compute::instance_claim_task(&mut conn, id, "image_snapshot", now()).await? {
                return Err(state_conflict("createImage", &self.reload(id).await?));
            }
        }
        let image = match self
            .image
            .image_create(
                ctx,
                ImageCreate {
                    id: None,
                    attributes,
                },
            )
            .await
        {
            Ok(image) => image,
            Err(e) => {
                self.release_task(id).await;
                return Err(e);
            }
        };
        self.notify(id, &server.project_id);
        let action_id = self
            .action_start(ctx, id, &server.project_id, "createImage")
            .await?;
        let svc = self.clone();
        let ctx = ctx.clone();
        let image_id = image.id.clone();
        tokio::spawn(async move {
            let started = now();
            let mut state = SnapshotState {
                svc: svc.clone(),
                ctx,
                server_id: server.id.clone(),
                image_id: image.id.clone(),
                file: None,
            };
            let steps: [&dyn Step<SnapshotState>; 3] = [&ReserveImage, &CopyDisk, &Upload];
            let outcome = execute("snapshot", &steps, &mut state, &svc.fail_points).await;
            if outcome.is_err() {
                // The image was recorded before the saga began: a failed snapshot leaves
                // no image, whichever step failed.
                match svc.image.image_delete(&state.ctx, &state.image_id).await {
                    Ok(()) | Err(Error::NotFound { .. }) => {}
                    Err(e) => e.log(),
                }
            }
            svc.release_task(&server.id).await;
            let error = outcome
                .err()
                .map(|f| format!("{} (at step {})", f.error.external_message(), f.step));
            svc.action_finish(
                &action_id,
                "compute_snapshot_instance",
                started,
                error.as_deref(),
            )
            .await;
        });
        Ok(image_id)
    }

    async fn release_task(&self, id: &str) {
        if let Ok(mut current) = self.reload(id).await {
            current.task_state = None;
            current.updated_at = now();
            if let Err(e) = self.save(&current).await {
                e.log();
            }
        }
    }

    // --- Restart -------------------------------------------------------------------------

    /// After a restart, matches the database with what the host really runs: interrupted
    /// launches are undone and put in ERROR, interrupted deletes finished, instances whose
    /// VM is gone shown as stopped, and VMs no instance owns stopped.
    pub async fn reconcile(&self) -> Result<()> {
        let live = {
            let mut conn = self.db.conn().await?;
            db::compute::instance_list_all_live(&mut conn).await?
        };
        let gone = {
            let mut conn = self.db.conn().await?;
            db::compute::nics_of_gone_instances(&mut conn).await?
        };
        for nic in gone {
            tracing::warn!(instance = %nic.instance_id, port = %nic.port_id, "releasing the port of a gone instance");
            if let Err(e) = self.release_nic(&nic).await {
                e.log();
            }
        }
        let known: std::collections::HashSet<String> = live.iter().map(|r| r.id.clone()).collect();
        for id in self.driver.running().await {
            if !known.contains(&id) {
                tracing::warn!(instance = %id, "stopping a VM that no instance owns");
                let _ = self.driver.destroy(&id).await;
                let _ = self.driver.delete_config_drive(&id).await;
                let _ = self.driver.delete_disks(&id).await;
            }
        }
        for row in live {
            let mut server: Server = row.into();
            match (server.vm_state.as_str(), server.task_state.as_deref()) {
                (_, Some("deleting")) => {
                    tracing::info!(instance = %server.id, "finishing a delete a restart interrupted");
                    self.run_delete(server, None).await;
                }
                ("building", _) => {
                    tracing::warn!(instance = %server.id, "a launch was interrupted by a restart");
                    let _ = self.driver.destroy(&server.id).await;
                    let _ = self.driver.delete_config_drive(&server.id).await;
                    let _ = self.driver.delete_disks(&server.id).await;
                    // As the launch saga's undo would have: its ports go (the user's
                    // are unbound), so its addresses are free again.
                    if let Err(e) = self.release_nics(&server.id).await {
                        tracing::warn!(instance = %server.id, error = %format!("{e:#}"), "releasing an interrupted launch's ports");
                    }
                    server.vm_state = "error".into();
                    server.task_state = None;
                    server.node_id = None;
                    server.host = None;
                    server.power_state = 0;
                    server.fault = Some(Fault {
                        code: 500,
                        message: "The launch was interrupted by a restart of the controller."
                            .into(),
                        details: None,
                        created: now(),
                    });
                    self.save(&server).await?;
                }
                _ => {
                    let power = self.driver.power_state(&server.id).await;
                    server.task_state = None;
                    if server.node_id.is_some() {
                        match power {
                            PowerState::Running
                                if server.vm_state != "active" && server.vm_state != "resized" =>
                            {
                                server.vm_state = "active".into();
                            }
                            PowerState::NoState | PowerState::Shutdown | PowerState::Crashed
                                if ["active", "paused", "resized"]
                                    .contains(&server.vm_state.as_str()) =>
                            {
                                server.vm_state = "stopped".into();
                            }
                            _ => {}
                        }
                        server.power_state = power as i64;
                    }
                    self.save(&server).await?;
                }
            }
        }
        Ok(())
    }

    /// The compute services of this cloud (one per node), for `os-services`.
    pub async fn compute_services(&self, ctx: &OpCtx) -> Result<Vec<super::Hypervisor>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly {
                policy: "os_compute_api:os-services:list",
            },
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::compute::node_list(&mut conn).await?)
    }
}

// --- The delete saga --------------------------------------------------------------------

struct DeleteState {
    svc: ComputeService,
    server: Server,
}

struct StopVm;
struct RemoveConfigDrive;
struct RemoveDisks;
struct ReleasePorts;
struct Forget;

#[async_trait]
impl Step<DeleteState> for StopVm {
    fn name(&self) -> &'static str {
        "stop"
    }
    async fn run(&self, d: &mut DeleteState) -> Result<()> {
        d.svc
            .driver
            .destroy(&d.server.id)
            .await
            .map_err(|e| Error::internal("stopping the VM", e))
    }
}

#[async_trait]
impl Step<DeleteState> for RemoveConfigDrive {
    fn name(&self) -> &'static str {
        "config_drive"
    }
    async fn run(&self, d: &mut DeleteState) -> Result<()> {
        d.svc
            .driver
            .delete_config_drive(&d.server.id)
            .await
            .map_err(|e| Error::internal("deleting the config drive", e))
    }
}

#[async_trait]
impl Step<DeleteState> for RemoveDisks {
    fn name(&self) -> &'static str {
        "disks"
    }
    async fn run(&self, d: &mut DeleteState) -> Result<()> {
        d.svc
            .driver
            .delete_disks(&d.server.id)
            .await
            .map_err(|e| Error::internal("deleting the disks", e))
    }
}

#[async_trait]
impl Step<DeleteState> for ReleasePorts {
    fn name(&self) -> &'static str {
        "ports"
    }
    async fn run(&self, d: &mut DeleteState) -> Result<()> {
        d.svc.release_nics(&d.server.id).await
    }
}

#[async_trait]
impl Step<DeleteState> for Forget {
    fn name(&self) -> &'static str {
        "forget"
    }
    async fn run(&self, d: &mut DeleteState) -> Result<()> {
        let mut row = d.svc.reload(&d.server.id).await?.to_row();
        let t = now();
        row.vm_state = "deleted".into();
        row.task_state = None;
        row.power_state = 0;
        row.node_id = None;
        row.host = None;
        row.terminated_at = Some(t);
        row.updated_at = t;
        row.deleted = 1;
        let mut conn = d.svc.db.conn().await?;
        db::compute::instance_save_deleting(&mut conn, &row).await?;
        d.svc.notify(&row.id, &row.project_id);
        Ok(())
    }
}

// --- The snapshot saga ------------------------------------------------------------------

struct SnapshotState {
    svc: ComputeService,
    ctx: OpCtx,
    server_id: String,
    image_id: String,
    file: Option<std::path::PathBuf>,
}

struct ReserveImage;
struct CopyDisk;
struct Upload;

#[async_trait]
impl Step<SnapshotState> for ReserveImage {
    fn name(&self) -> &'static str {
        "image"
    }
    async fn run(&self, s: &mut SnapshotState) -> Result<()> {
        // The image was recorded when the API answered; it must still be waiting.
        let image = s.svc.image.image_get(&s.ctx, &s.image_id).await?;
        if image.status != "queued" {
            return Err(Error::Conflict(format!(
                "Snapshot image {} is {}.",
                image.id, image.status
            )));
        }
        Ok(())
    }
    async fn undo(&self, s: &mut SnapshotState) -> Result<()> {
        match s.svc.image.image_delete(&s.ctx, &s.image_id).await {
            Ok(()) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Step<SnapshotState> for CopyDisk {
    fn name(&self) -> &'static str {
        "copy_disk"
    }
    async fn run(&self, s: &mut SnapshotState) -> Result<()> {
        let path =
            std::env::temp_dir().join(format!("gureum-snapshot-{}.qcow2", uuid::Uuid::new_v4()));
        s.file = Some(path.clone());
        s.svc
            .driver
            .snapshot(&s.server_id, &path)
            .await
            .map_err(|e| Error::internal("copying the instance's disk", e))
    }
    async fn undo(&self, s: &mut SnapshotState) -> Result<()> {
        if let Some(path) = s.file.take() {
            let _ = tokio::fs::remove_file(path).await;
        }
        Ok(())
    }
}

#[async_trait]
impl Step<SnapshotState> for Upload {
    fn name(&self) -> &'static str {
        "upload"
    }
    async fn run(&self, s: &mut SnapshotState) -> Result<()> {
        let path = s
            .file
            .clone()
            .ok_or_else(|| Error::invalid("no snapshot file"))?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| Error::internal("opening the snapshot", e))?;
        let stream = tokio_util::io::ReaderStream::with_capacity(file, 1 << 20);
        let result = s.svc.image.image_upload(&s.ctx, &s.image_id, stream).await;
        let _ = tokio::fs::remove_file(&path).await;
        s.file = None;
        result.map(|_| ())
    }
}
