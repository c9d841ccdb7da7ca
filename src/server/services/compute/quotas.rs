//! Quotas: per-project hard limits over defaults an administrator sets; `-1` is unlimited.
//! Usage is counted from the instances themselves (Nova's counting quotas), so there is no
//! reservation to leak: an instance whose launch failed and was undone holds no cores or RAM.

use std::collections::BTreeMap;

use super::ComputeService;
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::error::{Error, Result};

/// Nova's quota resources and their built-in defaults.
pub const QUOTA_RESOURCES: [(&str, i64); 10] = [
    ("instances", 10),
    ("cores", 20),
    ("ram", 51200),
    ("key_pairs", 100),
    ("metadata_items", 128),
    ("injected_files", 5),
    ("injected_file_content_bytes", 10240),
    ("injected_file_path_bytes", 255),
    ("server_groups", 10),
    ("server_group_members", 10),
];

/// The quotas Nova kept for nova-network and still shows and takes below microversion
/// 2.36. Gureum enforces none of them here: the network service's quotas govern floating
/// IPs, ports and security groups.
pub const LEGACY_NETWORK_QUOTAS: [(&str, i64); 4] = [
    ("fixed_ips", -1),
    ("floating_ips", 10),
    ("security_group_rules", 20),
    ("security_groups", 10),
];

/// The project id under which the default limits are stored.
const DEFAULTS: &str = "";

/// Limits, with what is in use where it is counted.
#[derive(Clone, Debug, PartialEq)]
pub struct QuotaSet {
    pub limits: BTreeMap<String, i64>,
    /// (instances, cores, ram) in use.
    pub in_use: BTreeMap<String, i64>,
}

impl ComputeService {
    async fn limits_of(&self, project_id: &str) -> Result<BTreeMap<String, i64>> {
        let mut conn = self.db.conn().await?;
        let mut limits: BTreeMap<String, i64> = QUOTA_RESOURCES
            .iter()
            .chain(&LEGACY_NETWORK_QUOTAS)
            .map(|(r, d)| (r.to_string(), *d))
            .collect();
        for (r, v) in db::compute::quota_list(&mut conn, DEFAULTS).await? {
            limits.insert(r, v);
        }
        if project_id != DEFAULTS {
            for (r, v) in db::compute::quota_list(&mut conn, project_id).await? {
                limits.insert(r, v);
            }
        }
        Ok(limits)
    }

    pub(super) async fn quota_limit(&self, project_id: &str, resource: &str) -> Result<i64> {
        Ok(self
            .limits_of(project_id)
            .await?
            .get(resource)
            .copied()
            .unwrap_or(-1))
    }

    pub(super) async fn usage_of(&self, project_id: &str) -> Result<BTreeMap<String, i64>> {
        let mut conn = self.db.conn().await?;
        let (instances, cores, ram) = db::compute::project_usage(&mut conn, project_id).await?;
        let groups =
            db::count_owned::<db::scheduling::ServerGroupRow>(&mut conn, project_id).await?;
        Ok(BTreeMap::from([
            ("instances".to_string(), instances),
            ("cores".to_string(), cores),
            ("ram".to_string(), ram),
            ("server_groups".to_string(), groups),
        ]))
    }

    /// How many more of something taking `each` of these resources the project's limits
    /// leave room for (`i64::MAX` when none is limited): one read, whatever the count.
    pub(super) async fn instance_room(
        &self,
        project_id: &str,
        each: &[(&str, i64)],
    ) -> Result<i64> {
        let limits = self.limits_of(project_id).await?;
        let used = self.usage_of(project_id).await?;
        Ok(each
            .iter()
            .filter_map(|(resource, per)| {
                let limit = limits.get(*resource).copied().unwrap_or(-1);
                if limit < 0 || *per <= 0 {
                    return None;
                }
                let in_use = used.get(*resource).copied().unwrap_or(0);
                Some((limit - in_use).max(0) / per)
            })
            .min()
            .unwrap_or(i64::MAX))
    }

    /// Refuses a request that would take the project over a limit. The caller holds the
    /// claims lock until the instances are recorded.
    pub(super) async fn check_quota(&self, project_id: &str, wanted: &[(&str, i64)]) -> Result<()> {
        let limits = self.limits_of(project_id).await?;
        let used = self.usage_of(project_id).await?;
        for (resource, requested) in wanted {
            let limit = limits.get(*resource).copied().unwrap_or(-1);
            let in_use = used.get(*resource).copied().unwrap_or(0);
            if limit >= 0 && in_use + requested > limit {
                return Err(Error::OverQuota(msg!("Quota exceeded for {resource}: Requested {requested}, but already used {in_use} of {limit} {resource}", resource, requested, in_use, limit)));
            }
        }
        Ok(())
    }

    pub async fn quota_get(&self, ctx: &OpCtx, project_id: &str) -> Result<QuotaSet> {
        authorize(ctx, Action::Read, Resource::Project { id: project_id })?;
        Ok(QuotaSet {
            limits: self.limits_of(project_id).await?,
            in_use: self.usage_of(project_id).await?,
        })
    }

    pub async fn quota_defaults(&self, ctx: &OpCtx) -> Result<BTreeMap<String, i64>> {
        authorize(ctx, Action::Read, Resource::Catalog)?;
        self.limits_of(DEFAULTS).await
    }

    /// The defaults as the `default` quota class (`os-quota-class-sets`): administrators'.
    pub async fn quota_class_get(&self, ctx: &OpCtx) -> Result<BTreeMap<String, i64>> {
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("os_compute_api:os-quota-class-sets:show"),
        )?;
        self.limits_of(DEFAULTS).await
    }

    fn check_limits(changes: &BTreeMap<String, i64>) -> Result<()> {
        for (resource, value) in changes {
            if !QUOTA_RESOURCES
                .iter()
                .chain(&LEGACY_NETWORK_QUOTAS)
                .any(|(r, _)| r == resource)
            {
                return Err(Error::invalid(msg!(
                    "Bad key(s) {resource} in quota_set",
                    resource
                )));
            }
            if *value < -1 || *value > i32::MAX as i64 {
                return Err(Error::invalid(msg!("Invalid input for field/attribute {resource}. Value: {value}. It must be -1 or a value from 0 to {max}.", resource, value, max = i32::MAX)));
            }
        }
        Ok(())
    }

    /// Sets a project's limits. Lowering one under what is in use is refused unless
    /// `force` (as Nova does).
    pub async fn quota_update(
        &self,
        ctx: &OpCtx,
        project_id: &str,
        changes: BTreeMap<String, i64>,
        force: bool,
    ) -> Result<QuotaSet> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("os_compute_api:os-quota-sets:update"),
        )?;
        Self::check_limits(&changes)?;
        let _claim = self.quota_claim(project_id).await;
        if !force {
            let used = self.usage_of(project_id).await?;
            for (resource, value) in &changes {
                let in_use = used.get(resource).copied().unwrap_or(0);
                if *value >= 0 && *value < in_use {
                    return Err(Error::invalid(msg!("Quota limit {value} for {resource} must be greater than or equal to already used and reserved {in_use}.", value, resource, in_use)));
                }
            }
        }
        let mut conn = self.db.conn().await?;
        for (resource, value) in &changes {
            db::compute::quota_set(&mut conn, project_id, resource, *value).await?;
        }
        drop(conn);
        Ok(QuotaSet {
            limits: self.limits_of(project_id).await?,
            in_use: self.usage_of(project_id).await?,
        })
    }

    /// Back to the defaults.
    pub async fn quota_reset(&self, ctx: &OpCtx, project_id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("os_compute_api:os-quota-sets:delete"),
        )?;
        if project_id == DEFAULTS {
            return Err(Error::invalid(msg!("A project id is required.")));
        }
        let mut conn = self.db.conn().await?;
        db::compute::quota_clear(&mut conn, project_id).await?;
        Ok(())
    }

    /// Changes the defaults (Nova's quota class `default`).
    pub async fn quota_defaults_update(
        &self,
        ctx: &OpCtx,
        changes: BTreeMap<String, i64>,
    ) -> Result<BTreeMap<String, i64>> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("os_compute_api:os-quota-class-sets:update"),
        )?;
        Self::check_limits(&changes)?;
        let mut conn = self.db.conn().await?;
        for (resource, value) in &changes {
            db::compute::quota_set(&mut conn, DEFAULTS, resource, *value).await?;
        }
        drop(conn);
        self.limits_of(DEFAULTS).await
    }

    /// Key pairs the caller holds (counted per user, as Nova does).
    pub async fn keypairs_used(&self, ctx: &OpCtx) -> Result<i64> {
        authorize(ctx, Action::Read, Resource::User { id: ctx.user_id() })?;
        let mut conn = self.db.conn().await?;
        Ok(db::compute::keypair_count(&mut conn, ctx.user_id()).await?)
    }
}
