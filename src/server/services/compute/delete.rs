//! Deleting an instance: marked `deleting` at once (a delete wins over anything still
//! running on it), then removed from the host by a saga; a step that fails leaves the
//! instance in ERROR with what is left, so the delete can be tried again.

use async_trait::async_trait;

use super::servers::{Fault, Server};
use super::{ComputeService, TaskState, VmState};
use crate::server::authz::Action;
use crate::server::context::OpCtx;
use crate::server::db::{self};
use crate::server::drivers::compute::PowerState;
use crate::server::error::{Error, Result};
use crate::server::saga::{Saga, Step};
use crate::server::services::now;

impl ComputeService {
    /// Marks the instance `deleting` and removes it from the host in the background.
    pub async fn server_delete(&self, ctx: &OpCtx, id: &str, force: bool) -> Result<()> {
        let mut server = self.load(ctx, id, Action::Delete).await?;
        self.check_unlocked(ctx, &server)?;
        if server.task_state == Some(TaskState::Deleting) && !force {
            return Ok(());
        }
        server.task_state = Some(TaskState::Deleting);
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
        let outcome = DELETE.execute(&mut state, &self.fail_points).await;
        let error = match outcome {
            Ok(()) => None,
            Err(failure) => {
                let details = format!("{:#}", failure.error);
                // What is left stays visible, in ERROR, so the delete can be tried again.
                if let Ok(mut current) = self.reload(&state.server.id).await {
                    current.vm_state = VmState::Error;
                    current.task_state = None;
                    current.power_state = self.driver.power_state(&current.id).await;
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

static DELETE: Saga<DeleteState> = Saga {
    name: "delete",
    steps: &[
        &StopVm,
        &RemoveConfigDrive,
        &RemoveDisks,
        &ReleasePorts,
        &Forget,
    ],
};

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
        row.vm_state = VmState::Deleted.as_str().to_string();
        row.task_state = None;
        row.power_state = PowerState::NoState.code();
        row.node_id = None;
        row.host = None;
        row.terminated_at = Some(t);
        row.updated_at = t;
        row.deleted = 1;
        // What it holds in Placement goes first: once the instance is gone from the API,
        // its node's usage no longer counts it (a failure here leaves it deleting, and the
        // reconciler records the allocation again).
        d.svc.sync_allocation(&row).await?;
        let mut conn = d.svc.db.conn().await?;
        db::save(&mut conn, &row).await?;
        drop(conn);
        d.svc.notify(&row.id, &row.project_id);
        Ok(())
    }
}

pub(super) fn saga_points() -> Vec<String> {
    DELETE.points()
}
