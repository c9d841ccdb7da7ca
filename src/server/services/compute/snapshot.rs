//! `createImage`: an instance's disk as a new image. The image is recorded (queued) at
//! once and filled by a saga; a snapshot that fails at any step leaves no image.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::actions::state_conflict;
use super::{ComputeService, TaskState, VmState};
use crate::server::authz::Action;
use crate::server::context::OpCtx;
use crate::server::db::{self};
use crate::server::error::{Error, Result};
use crate::server::saga::{Saga, Step};
use crate::server::services::image::{ImageAttr, ImageCreate};
use crate::server::services::now;

impl ComputeService {
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
            return Err(Error::invalid(msg!(
                "Invalid input for field/attribute name."
            )));
        }
        if ![
            VmState::Active,
            VmState::Stopped,
            VmState::Paused,
            VmState::Suspended,
        ]
        .contains(&server.vm_state)
            || server.task_state.is_some()
        {
            return Err(state_conflict("createImage", &server));
        }
        // The snapshot inherits the base image's boot properties, as Nova's does.
        let base = match &server.image_id {
            Some(image_id) => self.image.image_get(ctx, image_id).await.ok(),
            None => None,
        };
        let mut attributes = vec![
            ImageAttr::Name(Some(name.to_string())),
            // Nova's snapshots are the project's own, whatever Glance's default.
            ImageAttr::Visibility("private".into()),
            ImageAttr::DiskFormat(Some("qcow2".into())),
            ImageAttr::ContainerFormat(Some("bare".into())),
            ImageAttr::MinDisk(server.flavor.disk),
            ImageAttr::MinRam(base.as_ref().map(|b| b.min_ram).unwrap_or(0)),
        ];
        let property = |key: &str, value: &str| ImageAttr::Property(key.into(), value.into());
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
                    attributes.push(property(key, v));
                }
            }
            attributes.push(property("base_image_ref", &base.id));
        }
        attributes.push(property("image_type", "snapshot"));
        attributes.push(property("instance_uuid", &server.id));
        attributes.push(property("owner_user_name", &ctx.auth.user_name));
        attributes.extend(metadata.into_iter().map(|(k, v)| ImageAttr::Property(k, v)));
        {
            let mut conn = self.db.conn().await?;
            if !db::compute::instance_claim_task(
                &mut conn,
                id,
                TaskState::ImageSnapshot.as_str(),
                now(),
            )
            .await?
            {
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
            let outcome = SNAPSHOT.execute(&mut state, &svc.fail_points).await;
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

static SNAPSHOT: Saga<SnapshotState> = Saga {
    name: "snapshot",
    steps: &[&ReserveImage, &CopyDisk, &Upload],
};

#[async_trait]
impl Step<SnapshotState> for ReserveImage {
    fn name(&self) -> &'static str {
        "image"
    }
    async fn run(&self, s: &mut SnapshotState) -> Result<()> {
        // The image was recorded when the API answered; it must still be waiting.
        let image = s.svc.image.image_get(&s.ctx, &s.image_id).await?;
        if image.status != "queued" {
            return Err(Error::Conflict(msg!(
                "Snapshot image {id} is {status}.",
                id = image.id,
                status = image.status
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
            .ok_or_else(|| Error::invalid(msg!("no snapshot file")))?;
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

pub(super) fn saga_points() -> Vec<String> {
    SNAPSHOT.points()
}
