//! Sharing an image with other projects (Glance's members): the owner proposes, the
//! member accepts or rejects.

use super::*;
use crate::server::authz::{authorize, is_admin, Action};
use crate::server::context::OpCtx;
use crate::server::db::{self};
use crate::server::error::{Error, Result};
use crate::server::services::now;

impl ImageService {
    pub async fn member_create(
        &self,
        ctx: &OpCtx,
        id: &str,
        member_id: &str,
    ) -> Result<ImageMember> {
        let (image, member) = self.load(ctx, id).await?;
        authorize(ctx, Action::Modify, image.resource(member))?;
        if image.visibility != "shared" {
            return Err(Error::forbidden_msg(msg!(
                "Image {id} is not shared: only shared images have members.",
                id
            )));
        }
        if member_id.trim().is_empty() || member_id.len() > 255 {
            return Err(Error::invalid(msg!("Invalid member id.")));
        }
        let mut conn = self.db.conn().await?;
        let members = db::images::member_list(&mut conn, id).await?.len();
        drop(conn);
        if members >= MAX_MEMBERS {
            return Err(over_limit(
                "members for this image",
                members + 1,
                MAX_MEMBERS,
            ));
        }
        let t = now();
        let row = ImageMember {
            image_id: id.to_string(),
            member_id: member_id.to_string(),
            status: "pending".into(),
            created_at: t,
            updated_at: t,
        };
        let mut conn = self.db.conn().await?;
        db::images::member_insert(&mut conn, &row)
            .await
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    Error::Conflict(msg!(
                        "Member {member_id} already associated with image {id}.",
                        member_id,
                        id
                    ))
                } else {
                    e.into()
                }
            })?;
        Ok(row)
    }

    /// The owner sees every member; a member sees only itself.
    pub async fn member_list(&self, ctx: &OpCtx, id: &str) -> Result<Vec<ImageMember>> {
        let (image, member) = self.load(ctx, id).await?;
        if image.visibility != "shared" {
            return Err(Error::forbidden_msg(msg!(
                "Image {id} is not shared: only shared images have members.",
                id
            )));
        }
        let mut conn = self.db.conn().await?;
        let all = db::images::member_list(&mut conn, id).await?;
        if authorize(ctx, Action::Modify, image.resource(member)).is_ok() || is_admin(ctx) {
            return Ok(all);
        }
        let me = ctx.auth.project_id().unwrap_or_default();
        Ok(all.into_iter().filter(|m| m.member_id == me).collect())
    }

    pub async fn member_get(&self, ctx: &OpCtx, id: &str, member_id: &str) -> Result<ImageMember> {
        self.member_list(ctx, id)
            .await?
            .into_iter()
            .find(|m| m.member_id == member_id)
            .ok_or_else(|| Error::not_found("member", member_id))
    }

    /// A member accepts or rejects an image shared with it; nobody else may.
    pub async fn member_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        member_id: &str,
        status: &str,
    ) -> Result<ImageMember> {
        if !MEMBER_STATUSES.contains(&status) {
            return Err(Error::invalid(msg!(
                "Invalid status value: {status}. It must be one of pending, accepted, rejected.",
                status
            )));
        }
        let current = self.member_get(ctx, id, member_id).await?;
        if ctx.auth.project_id() != Some(member_id) {
            return Err(Error::forbidden_msg(msg!(
                "Only the member itself may change its membership status."
            )));
        }
        let t = now();
        let mut conn = self.db.conn().await?;
        db::images::member_set_status(&mut conn, id, member_id, status, t).await?;
        Ok(ImageMember {
            status: status.to_string(),
            updated_at: t,
            ..current
        })
    }

    pub async fn member_delete(&self, ctx: &OpCtx, id: &str, member_id: &str) -> Result<()> {
        let (image, member) = self.load(ctx, id).await?;
        self.member_get(ctx, id, member_id).await?;
        authorize(ctx, Action::Modify, image.resource(member))?;
        let mut conn = self.db.conn().await?;
        db::images::member_delete(&mut conn, id, member_id).await?;
        Ok(())
    }
}
