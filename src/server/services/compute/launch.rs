//! The launch saga: schedule → ports → disks → config drive → spawn → active.
//!
//! Each step that changes the host has an undo, so a launch that fails anywhere ends with
//! the instance in `ERROR` (with its fault), no VM process, no port, disk or config drive,
//! and no node resources held (which also gives its cores and RAM back to the quota).

use crate::message::Message;
use async_trait::async_trait;
use std::collections::BTreeMap;

use super::aggregates::zone_of;
use super::nics::NicPlan;
use super::server_groups::{host_fits, host_weight};
use super::servers::{Fault, Server};
use super::{ComputeService, TaskState, VmState};
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::drivers::compute::{self as driver, BootImage, InstanceSpec, PowerState};
use crate::server::error::{Error, Result};
use crate::server::saga::{Saga, Step};
use crate::server::services::image::Image;
use crate::server::services::now;

/// What a build (a launch or a rebuild) makes besides the instance's spec.
pub(super) struct Build<'a> {
    /// The image the root disk is made from.
    pub image: &'a Image,
    pub admin_pass: &'a str,
}

pub(super) fn no_valid_host() -> Message {
    msg!("No valid host was found. There are not enough hosts available.")
}

/// What the steps share.
pub(super) struct Launch {
    pub svc: ComputeService,
    pub ctx: OpCtx,
    pub server: Server,
    pub image: Image,
    pub nics: Vec<NicPlan>,
    /// The administrator password the create answered with, for the config drive.
    pub admin_pass: String,
    pub spec: Option<InstanceSpec>,
}

impl Launch {
    /// Fails the step when the instance was deleted while it was being built.
    async fn still_wanted(&self) -> Result<()> {
        let mut conn = self.svc.db.conn().await?;
        match db::compute::instance_get(&mut conn, &self.server.id).await? {
            Some(row) if row.task_state.as_deref() != Some(TaskState::Deleting.as_str()) => Ok(()),
            _ => Err(Error::Conflict(msg!(
                "The instance was deleted while it was being built."
            ))),
        }
    }

    async fn set_task(&mut self, task: TaskState) -> Result<()> {
        self.still_wanted().await?;
        self.server.task_state = Some(task);
        self.server.updated_at = now();
        self.svc.save(&self.server).await
    }
}

struct Schedule;
struct Ports;
struct Disks;
struct ConfigDrive;
struct Spawn;
struct Finish;

static LAUNCH: Saga<Launch> = Saga {
    name: "launch",
    steps: &[&Schedule, &Ports, &Disks, &ConfigDrive, &Spawn, &Finish],
};

pub(super) fn saga_points() -> Vec<String> {
    LAUNCH.points()
}

#[async_trait]
impl Step<Launch> for Schedule {
    fn name(&self) -> &'static str {
        "schedule"
    }

    async fn run(&self, l: &mut Launch) -> Result<()> {
        l.still_wanted().await?;
        let _claim = l.svc.claims.lock().await;
        let (node, zone) = l.svc.pick_node(&l.server, &l.image).await?;
        l.server.node_id = Some(node.id);
        l.server.host = Some(node.host);
        l.server.availability_zone = zone;
        l.server.updated_at = now();
        // Placement's record of the node decides, as in Nova.
        l.svc.claim_for(&l.server.to_row()).await?;
        l.svc.save(&l.server).await
    }

    async fn undo(&self, l: &mut Launch) -> Result<()> {
        l.server.node_id = None;
        l.server.host = None;
        match l.svc.save(&l.server).await {
            // A delete has begun: it lets go of the host itself, and of the claim here.
            Err(Error::Conflict(_)) => l.svc.placement.release(&l.server.id).await,
            other => other,
        }
    }
}

#[async_trait]
impl Step<Launch> for Ports {
    fn name(&self) -> &'static str {
        "ports"
    }

    async fn run(&self, l: &mut Launch) -> Result<()> {
        l.set_task(TaskState::Networking).await?;
        let host = l.server.host.clone().unwrap_or_default();
        l.svc
            .attach_nics(&l.ctx, &l.server.id, &host, &l.nics)
            .await?;
        // The taps must exist before QEMU opens them.
        if !l.nics.is_empty() {
            l.svc.network.sync().await?;
        }
        Ok(())
    }

    async fn undo(&self, l: &mut Launch) -> Result<()> {
        l.svc.release_nics(&l.server.id).await
    }
}

#[async_trait]
impl Step<Launch> for Disks {
    fn name(&self) -> &'static str {
        "disks"
    }

    async fn run(&self, l: &mut Launch) -> Result<()> {
        l.set_task(TaskState::BlockDeviceMapping).await?;
        let build = Build {
            image: &l.image,
            admin_pass: &l.admin_pass,
        };
        let spec = l.svc.spec_for(&l.ctx, &l.server, Some(build)).await?;
        l.svc
            .driver
            .create_disks(&spec)
            .await
            .map_err(|e| Error::internal("creating the instance's disks", e))?;
        l.spec = Some(spec);
        Ok(())
    }

    async fn undo(&self, l: &mut Launch) -> Result<()> {
        l.svc
            .driver
            .delete_disks(&l.server.id)
            .await
            .map_err(|e| Error::internal("deleting the instance's disks", e))
    }
}

#[async_trait]
impl Step<Launch> for ConfigDrive {
    fn name(&self) -> &'static str {
        "config_drive"
    }

    async fn run(&self, l: &mut Launch) -> Result<()> {
        let spec = l
            .spec
            .as_ref()
            .ok_or_else(|| Error::invalid(msg!("no instance spec")))?;
        l.svc
            .driver
            .create_config_drive(spec)
            .await
            .map_err(|e| Error::internal("creating the config drive", e))
    }

    async fn undo(&self, l: &mut Launch) -> Result<()> {
        l.svc
            .driver
            .delete_config_drive(&l.server.id)
            .await
            .map_err(|e| Error::internal("deleting the config drive", e))
    }
}

#[async_trait]
impl Step<Launch> for Spawn {
    fn name(&self) -> &'static str {
        "spawn"
    }

    async fn run(&self, l: &mut Launch) -> Result<()> {
        l.set_task(TaskState::Spawning).await?;
        let spec = l
            .spec
            .as_ref()
            .ok_or_else(|| Error::invalid(msg!("no instance spec")))?;
        l.svc
            .driver
            .spawn(spec)
            .await
            .map_err(|e| Error::internal("starting the virtual machine", e))
    }

    async fn undo(&self, l: &mut Launch) -> Result<()> {
        l.svc
            .driver
            .destroy(&l.server.id)
            .await
            .map_err(|e| Error::internal("stopping the virtual machine", e))
    }
}

#[async_trait]
impl Step<Launch> for Finish {
    fn name(&self) -> &'static str {
        "finish"
    }

    async fn run(&self, l: &mut Launch) -> Result<()> {
        l.still_wanted().await?;
        let t = now();
        l.server.vm_state = VmState::Active;
        l.server.task_state = None;
        l.server.power_state = PowerState::Running;
        l.server.launched_at = Some(t);
        l.server.progress = 100;
        l.server.updated_at = t;
        l.svc.save(&l.server).await
    }
}

impl ComputeService {
    /// Runs the launch saga in the background and records how it ended.
    pub(super) fn spawn_launch(
        &self,
        ctx: OpCtx,
        server: Server,
        image: Image,
        nics: Vec<NicPlan>,
        admin_pass: String,
        action_id: String,
    ) {
        let svc = self.clone();
        tokio::spawn(async move {
            let started = now();
            let mut launch = Launch {
                svc: svc.clone(),
                ctx,
                server,
                image,
                nics,
                admin_pass,
                spec: None,
            };
            let outcome = LAUNCH.execute(&mut launch, &svc.fail_points).await;
            let id = launch.server.id.clone();
            match outcome {
                Ok(()) => {
                    svc.action_finish(
                        &action_id,
                        "compute__do_build_and_run_instance",
                        started,
                        None,
                    )
                    .await;
                }
                Err(failure) => {
                    let message = match &failure.error {
                        Error::Conflict(m) if failure.step != "schedule" => m.to_string(),
                        e if failure.step == "schedule"
                            && matches!(e, Error::InvalidRequest(_)) =>
                        {
                            no_valid_host().to_string()
                        }
                        e => format!("Build of instance {id} aborted: {}", e.external_message()),
                    };
                    let details = match &failure.error {
                        Error::Internal(cause) => Some(format!("{cause:#}")),
                        _ => None,
                    };
                    if let Ok(mut server) = svc.reload(&id).await {
                        if server.task_state != Some(TaskState::Deleting) {
                            server.vm_state = VmState::Error;
                            server.task_state = None;
                            server.power_state = PowerState::NoState;
                            server.node_id = None;
                            server.host = None;
                            server.fault = Some(Fault {
                                code: 500,
                                message: message.clone(),
                                details: details.clone(),
                                created: now(),
                            });
                            server.updated_at = now();
                            if let Err(e) = svc.save(&server).await {
                                e.log();
                            }
                        }
                    }
                    svc.action_finish(
                        &action_id,
                        "compute__do_build_and_run_instance",
                        started,
                        Some(&format!(
                            "{} (at step {}){}",
                            message,
                            failure.step,
                            if failure.undone {
                                ""
                            } else {
                                "; clean-up was incomplete, see the controller log"
                            }
                        )),
                    )
                    .await;
                }
            }
        });
    }

    /// The instance as the database has it now.
    pub(super) async fn reload(&self, id: &str) -> Result<Server> {
        let mut conn = self.db.conn().await?;
        Ok(db::compute::instance_get(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("instance", id))?
            .into())
    }

    /// The scheduler: enabled nodes in the requested availability zone, with room for the
    /// flavor (after allocation ratios) and allowed by the server group's policy, weighed
    /// by the group's preference and then by free RAM. Answers the node and its zone. The
    /// caller holds the claims lock.
    pub(super) async fn pick_node(
        &self,
        server: &Server,
        image: &Image,
    ) -> Result<(db::compute::NodeRow, String)> {
        let flavor = &server.flavor;
        if image.min_ram > flavor.ram || (flavor.disk > 0 && image.min_disk > flavor.disk) {
            return Err(Error::invalid(no_valid_host()));
        }
        let gib = 1i64 << 30;
        let root_gb = if flavor.disk > 0 {
            flavor.disk
        } else {
            (image.virtual_size.or(image.size).unwrap_or(0) + gib - 1) / gib
        };
        let disk_needed = root_gb + flavor.ephemeral + (flavor.swap + 1023) / 1024;
        let aggregates = self.aggregates_all().await?;
        let wanted_zone = Some(server.availability_zone.as_str()).filter(|z| !z.is_empty());
        let group = match &server.server_group {
            Some(id) => self.group_for_scheduling(id).await?,
            None => None,
        };
        // Where the group's other members run.
        let mut members_on: BTreeMap<String, i64> = BTreeMap::new();
        if let Some(g) = &group {
            for (id, host) in &g.members {
                if let (true, Some(host)) = (id != &server.id, host) {
                    *members_on.entry(host.clone()).or_default() += 1;
                }
            }
        }
        let placed: i64 = members_on.values().sum();
        let mut conn = self.db.conn().await?;
        let mut best: Option<((i64, f64), db::compute::NodeRow, String)> = None;
        for (node, used) in db::compute::node_loads(&mut conn).await? {
            if node.status != "enabled" {
                continue;
            }
            let zone = zone_of(&aggregates, &node.host);
            if wanted_zone.is_some_and(|z| z != zone) {
                continue;
            }
            let here = members_on.get(&node.host).copied().unwrap_or(0);
            let group_weight = match &group {
                Some(g) if !host_fits(g.policy, g.max_server_per_host, here, placed) => continue,
                Some(g) => host_weight(g.policy, here),
                None => 0,
            };
            let free_cpu = node.vcpus as f64 * node.cpu_allocation_ratio - used.vcpus as f64;
            let free_ram =
                node.memory_mb as f64 * node.ram_allocation_ratio - used.memory_mb as f64;
            let free_disk = node.local_gb as f64 * node.disk_allocation_ratio - used.disk_gb as f64;
            if free_cpu < flavor.vcpus as f64
                || free_ram < flavor.ram as f64
                || free_disk < disk_needed as f64
            {
                continue;
            }
            let weight = (group_weight, free_ram);
            if best.as_ref().is_none_or(|(w, _, _)| weight > *w) {
                best = Some((weight, node, zone));
            }
        }
        best.map(|(_, n, zone)| (n, zone))
            .ok_or_else(|| Error::invalid(no_valid_host()))
    }

    /// What the driver needs to know of an instance; `build` when its disks and config
    /// drive are to be made.
    pub(super) async fn spec_for(
        &self,
        ctx: &OpCtx,
        server: &Server,
        build: Option<Build<'_>>,
    ) -> Result<InstanceSpec> {
        let mut spec = InstanceSpec {
            id: server.id.clone(),
            name: server.name.clone(),
            hostname: server.hostname.clone(),
            vcpus: server.flavor.vcpus,
            memory_mb: server.flavor.ram,
            root_gb: server.flavor.disk,
            ephemeral_gb: server.flavor.ephemeral,
            swap_mb: server.flavor.swap,
            image: None,
            kernel: None,
            ramdisk: None,
            kernel_args: None,
            config_drive: None,
            nics: self.nic_specs(&server.id).await?,
        };
        if let Some(Build { image, .. }) = &build {
            let (image, path) = self
                .image
                .image_data(ctx, &image.id)
                .await?
                .ok_or_else(|| Error::invalid(msg!("Image {id} has no data.", id = image.id)))?;
            if let Some(kernel_id) = image.properties.get("kernel_id") {
                let (_, path) = self
                    .image
                    .image_data(ctx, kernel_id)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid(msg!("Kernel image {kernel_id} has no data.", kernel_id))
                    })?;
                spec.kernel = Some(path);
            }
            if let Some(ramdisk_id) = image.properties.get("ramdisk_id") {
                let (_, path) = self
                    .image
                    .image_data(ctx, ramdisk_id)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid(msg!("Ramdisk image {ramdisk_id} has no data.", ramdisk_id))
                    })?;
                spec.ramdisk = Some(path);
            }
            spec.kernel_args = image.properties.get("os_command_line").cloned();
            spec.image = Some(BootImage {
                id: image.id.clone(),
                path,
                disk_format: image.disk_format.clone().unwrap_or_else(|| "raw".into()),
                virtual_size: image.virtual_size,
            });
        }
        if server.config_drive {
            let metadata = serde_json::to_value(&server.metadata).unwrap_or_default();
            let user_data = server.user_data_bytes();
            let drive = driver::ConfigDrive {
                id: &server.id,
                hostname: &server.hostname,
                name: &server.name,
                key: server.key_name.as_deref().zip(server.key_data.as_deref()),
                metadata: &metadata,
                user_data: user_data.as_deref(),
                admin_pass: build.as_ref().map(|b| b.admin_pass),
            };
            spec.config_drive = Some(drive.files());
        }
        Ok(spec)
    }
}
