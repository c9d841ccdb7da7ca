//! Migrations: the record of each move of an instance — a resize today — and the status it
//! reached (`pre-migrating` when accepted, `finished` when the instance waits in
//! `VERIFY_RESIZE`, then `confirmed` or `reverted`, or `error`). Administrators list them.

use super::servers::Server;
use super::ComputeService;
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, compute::MigrationRow};
use crate::server::error::Result;
use crate::server::services::now;

pub use crate::server::db::compute::{MigrationFilter, MigrationRow as Migration};

impl ComputeService {
    /// Records a resize the moment it is accepted. The caller holds the instance's task.
    pub(super) async fn migration_start(
        &self,
        ctx: &OpCtx,
        server: &Server,
        new_flavor_id: &str,
    ) -> Result<()> {
        let _claim = self.claims.lock().await;
        let mut conn = self.db.conn().await?;
        let row = MigrationRow {
            id: uuid::Uuid::new_v4().to_string(),
            num: db::compute::migration_next_num(&mut conn).await?,
            instance_id: server.id.clone(),
            project_id: server.project_id.clone(),
            user_id: ctx.user_id().to_string(),
            migration_type: "resize".into(),
            status: "pre-migrating".into(),
            source_compute: server.host.clone(),
            dest_compute: server.host.clone(),
            old_flavor_id: Some(server.flavor.id.clone()),
            new_flavor_id: Some(new_flavor_id.to_string()),
            created_at: now(),
            updated_at: None,
        };
        db::insert(&mut conn, &row).await?;
        Ok(())
    }

    pub(super) async fn migration_advance(
        &self,
        instance_id: &str,
        from: &[&str],
        to: &str,
    ) -> Result<()> {
        let mut conn = self.db.conn().await?;
        db::compute::migration_advance(&mut conn, instance_id, from, to, now()).await?;
        Ok(())
    }

    /// Every migration, newest first (`GET /os-migrations`).
    pub async fn migration_list(&self, ctx: &OpCtx, f: MigrationFilter) -> Result<Vec<Migration>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("os_compute_api:os-migrations:index"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::compute::migration_list(&mut conn, &f).await?)
    }
}
