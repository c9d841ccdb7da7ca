//! The policies API (`/v3/policies`): policy documents Keystone stores for services to
//! fetch. They change no decision here: Gureum's policy is `authz.rs`.

use super::{IdentityService, Policy};
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::error::{Error, Result};
use crate::server::services::{found, new_id};

/// The largest policy document taken (Keystone's default request size limit).
const BLOB_MAX: usize = 114_688;

fn check_policy(policy_type: &str, blob: &str) -> Result<()> {
    if policy_type.is_empty() || policy_type.chars().count() > 255 {
        return Err(Error::invalid(msg!(
            "Invalid input for field 'type': it must be 1 to 255 characters."
        )));
    }
    if blob.len() > BLOB_MAX {
        return Err(Error::invalid(msg!(
            "Invalid input for field 'blob': it is over {BLOB_MAX} bytes.",
            BLOB_MAX
        )));
    }
    Ok(())
}

impl IdentityService {
    pub async fn policy_create(
        &self,
        ctx: &OpCtx,
        policy_type: String,
        blob: String,
    ) -> Result<Policy> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_policy"),
        )?;
        check_policy(&policy_type, &blob)?;
        let row = Policy {
            id: new_id(),
            policy_type,
            blob,
        };
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &row).await?;
        Ok(row)
    }

    pub async fn policy_get(&self, ctx: &OpCtx, id: &str) -> Result<Policy> {
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("identity:get_policy"),
        )?;
        let mut conn = self.db.conn().await?;
        found::<Policy>(&mut conn, "policy", id).await
    }

    pub async fn policy_list(&self, ctx: &OpCtx, policy_type: Option<&str>) -> Result<Vec<Policy>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_policies"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::catalog::policy_list(&mut conn, policy_type).await?)
    }

    pub async fn policy_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        policy_type: Option<String>,
        blob: Option<String>,
    ) -> Result<Policy> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:update_policy"),
        )?;
        let mut conn = self.db.conn().await?;
        let mut row = found::<Policy>(&mut conn, "policy", id).await?;
        if let Some(t) = policy_type {
            row.policy_type = t;
        }
        if let Some(b) = blob {
            row.blob = b;
        }
        check_policy(&row.policy_type, &row.blob)?;
        db::save(&mut conn, &row).await?;
        Ok(row)
    }

    pub async fn policy_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_policy"),
        )?;
        let mut conn = self.db.conn().await?;
        if !db::delete::<Policy>(&mut conn, id).await? {
            return Err(Error::not_found("policy", id));
        }
        Ok(())
    }
}
