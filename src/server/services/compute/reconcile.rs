//! After a restart: the database matched with what the host really runs.

use super::servers::{Fault, Server};
use super::{ComputeService, TaskState, VmState};
use crate::server::db::{self};
use crate::server::drivers::compute::PowerState;
use crate::server::error::Result;
use crate::server::services::now;

impl ComputeService {
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
                self.clear_host(&id).await;
            }
        }
        for row in live {
            // Instances recorded before Placement kept their allocations there get them
            // (Nova's heal_allocations).
            if let Err(e) = self.sync_allocation(&row).await {
                tracing::warn!(instance = %row.id, error = %format!("{e:#}"), "recording the instance's allocations in placement");
            }
            let mut server: Server = row.into();
            match (server.vm_state, server.task_state) {
                (_, Some(TaskState::Deleting)) => {
                    tracing::info!(instance = %server.id, "finishing a delete a restart interrupted");
                    self.run_delete(server, None).await;
                }
                (VmState::Building, _) => {
                    tracing::warn!(instance = %server.id, "a launch was interrupted by a restart");
                    self.clear_host(&server.id).await;
                    // As the launch saga's undo would have: its ports go (the user's
                    // are unbound), so its addresses are free again.
                    if let Err(e) = self.release_nics(&server.id).await {
                        tracing::warn!(instance = %server.id, error = %format!("{e:#}"), "releasing an interrupted launch's ports");
                    }
                    server.vm_state = VmState::Error;
                    server.task_state = None;
                    server.node_id = None;
                    server.host = None;
                    server.power_state = PowerState::NoState;
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
                                if ![VmState::Active, VmState::Resized]
                                    .contains(&server.vm_state) =>
                            {
                                server.vm_state = VmState::Active;
                            }
                            PowerState::NoState | PowerState::Shutdown | PowerState::Crashed
                                if [VmState::Active, VmState::Paused, VmState::Resized]
                                    .contains(&server.vm_state) =>
                            {
                                server.vm_state = VmState::Stopped;
                            }
                            _ => {}
                        }
                        server.power_state = power;
                    }
                    self.save(&server).await?;
                }
            }
        }
        Ok(())
    }

    /// Stops an instance's VM and removes its config drive and disks, for a restart's
    /// clean-up: each step runs even when one before it fails, and each failure is logged
    /// (a restart goes on with the other instances).
    async fn clear_host(&self, id: &str) {
        for (what, result) in [
            ("stopping the VM", self.driver.destroy(id).await),
            (
                "deleting the config drive",
                self.driver.delete_config_drive(id).await,
            ),
            ("deleting the disks", self.driver.delete_disks(id).await),
        ] {
            if let Err(e) = result {
                tracing::warn!(instance = %id, error = %format!("{e:#}"), "{what} after a restart failed");
            }
        }
    }
}
