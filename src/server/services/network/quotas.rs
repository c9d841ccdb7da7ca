//! Network quotas: per project, with defaults (project '') that administrators set.
//! Usage is counted from the rows a project owns.

use super::fault::Fault;
use std::collections::BTreeMap;

use super::{conflict, invalid, NetworkService};
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::error::{Error, Result};

/// Neutron's resources and default limits.
pub const NETWORK_QUOTA_RESOURCES: [(&str, i64); 7] = [
    ("network", 100),
    ("subnet", 100),
    ("port", 500),
    ("router", 10),
    ("floatingip", 50),
    ("security_group", 10),
    ("security_group_rule", 100),
];

const DEFAULTS: &str = "";

/// A project's limits and (for `details`) what it uses.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkQuota {
    pub limits: BTreeMap<String, i64>,
    pub used: BTreeMap<String, i64>,
}

impl NetworkService {
    async fn limits_of(&self, project_id: &str) -> Result<BTreeMap<String, i64>> {
        let mut conn = self.db.conn().await?;
        let mut limits: BTreeMap<String, i64> = NETWORK_QUOTA_RESOURCES
            .iter()
            .map(|(r, l)| (r.to_string(), *l))
            .collect();
        for (r, l) in db::network::quota_list(&mut conn, DEFAULTS).await? {
            limits.insert(r, l);
        }
        if project_id != DEFAULTS {
            for (r, l) in db::network::quota_list(&mut conn, project_id).await? {
                limits.insert(r, l);
            }
        }
        Ok(limits)
    }

    async fn used_by(&self, project_id: &str) -> Result<BTreeMap<String, i64>> {
        let mut conn = self.db.conn().await?;
        let mut used = BTreeMap::new();
        used.insert(
            "network".to_string(),
            db::count_owned::<db::network::NetworkRow>(&mut conn, project_id).await?,
        );
        used.insert(
            "subnet".to_string(),
            db::count_owned::<db::network::SubnetRow>(&mut conn, project_id).await?,
        );
        used.insert(
            "port".to_string(),
            db::count_owned::<db::network::PortRow>(&mut conn, project_id).await?,
        );
        used.insert(
            "security_group".to_string(),
            db::count_owned::<db::network::SecurityGroupRow>(&mut conn, project_id).await?,
        );
        used.insert(
            "security_group_rule".to_string(),
            db::network::rule_count(&mut conn, project_id).await?,
        );
        used.insert(
            "router".to_string(),
            db::count_owned::<db::l3::RouterRow>(&mut conn, project_id).await?,
        );
        used.insert(
            "floatingip".to_string(),
            db::count_owned::<db::l3::FloatingIpRow>(&mut conn, project_id).await?,
        );
        Ok(used)
    }

    /// Whether a project has room for `more` ports (Nova checks before it launches).
    pub async fn port_room(&self, project_id: &str, more: i64) -> Result<bool> {
        match self.check_quota(project_id, "port", more).await {
            Ok(()) => Ok(true),
            Err(Error::Coded { code, .. }) if code == Fault::OverQuota.as_str() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Refuses `more` of a resource beyond the project's limit (-1 is unlimited).
    pub(super) async fn check_quota(
        &self,
        project_id: &str,
        resource: &str,
        more: i64,
    ) -> Result<()> {
        let limit = self
            .limits_of(project_id)
            .await?
            .get(resource)
            .copied()
            .unwrap_or(-1);
        if limit < 0 {
            return Ok(());
        }
        let used = self
            .used_by(project_id)
            .await?
            .get(resource)
            .copied()
            .unwrap_or(0);
        if used + more > limit {
            return Err(conflict(
                Fault::OverQuota,
                msg!("Quota exceeded for resources: ['{resource}'].", resource),
            ));
        }
        Ok(())
    }

    pub async fn quota_get(&self, ctx: &OpCtx, project_id: &str) -> Result<NetworkQuota> {
        authorize(ctx, Action::Read, Resource::Project { id: project_id })?;
        Ok(NetworkQuota {
            limits: self.limits_of(project_id).await?,
            used: self.used_by(project_id).await?,
        })
    }

    pub async fn quota_defaults(
        &self,
        ctx: &OpCtx,
        project_id: &str,
    ) -> Result<BTreeMap<String, i64>> {
        authorize(ctx, Action::Read, Resource::Project { id: project_id })?;
        self.limits_of(DEFAULTS).await
    }

    /// Sets a project's limits (administrators); unknown resources and values below -1
    /// are refused.
    pub async fn quota_update(
        &self,
        ctx: &OpCtx,
        project_id: &str,
        changes: BTreeMap<String, i64>,
    ) -> Result<NetworkQuota> {
        authorize(ctx, Action::Modify, Resource::AdminOnly("update_quota"))?;
        for (r, l) in &changes {
            if !NETWORK_QUOTA_RESOURCES.iter().any(|(k, _)| k == r) {
                return Err(invalid(
                    Fault::InvalidInput,
                    msg!(
                        "Invalid input for operation: Unrecognized attribute(s) '{r}'.",
                        r
                    ),
                ));
            }
            if *l < -1 {
                return Err(invalid(
                    Fault::InvalidInput,
                    msg!("Invalid input for {r}. Reason: '{l}' should be an integer greater than or equal to -1.", r, l),
                ));
            }
        }
        let mut conn = self.db.conn().await?;
        for (r, l) in &changes {
            db::network::quota_set(&mut conn, project_id, r, *l).await?;
        }
        drop(conn);
        self.quota_get(ctx, project_id).await
    }

    /// Back to the defaults (administrators).
    pub async fn quota_reset(&self, ctx: &OpCtx, project_id: &str) -> Result<()> {
        authorize(ctx, Action::Delete, Resource::AdminOnly("delete_quota"))?;
        let mut conn = self.db.conn().await?;
        db::network::quota_clear(&mut conn, project_id)
            .await
            .map_err(Error::from)
    }
}
