//! Server groups: a project's instances that the scheduler places on one host
//! (`affinity`), on different hosts (`anti-affinity`, at most `max_server_per_host` on
//! one), or prefers to (`soft-affinity`, `soft-anti-affinity`). An instance joins a group
//! when it is created with the `group` scheduler hint and leaves it when it is deleted.

use std::collections::BTreeMap;

use super::ComputeService;
use crate::server::authz::{authorize, visible, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, scheduling::ServerGroupRow};
use crate::server::error::{Error, Result};
use crate::server::services::now;

/// How a group places its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupPolicy {
    Affinity,
    AntiAffinity,
    SoftAffinity,
    SoftAntiAffinity,
}

impl GroupPolicy {
    pub const ALL: [GroupPolicy; 4] = [
        GroupPolicy::Affinity,
        GroupPolicy::AntiAffinity,
        GroupPolicy::SoftAffinity,
        GroupPolicy::SoftAntiAffinity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupPolicy::Affinity => "affinity",
            GroupPolicy::AntiAffinity => "anti-affinity",
            GroupPolicy::SoftAffinity => "soft-affinity",
            GroupPolicy::SoftAntiAffinity => "soft-anti-affinity",
        }
    }

    pub fn parse(s: &str) -> Option<GroupPolicy> {
        GroupPolicy::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A server group with its live members.
#[derive(Clone, Debug)]
pub struct ServerGroup {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub user_id: String,
    pub policy: GroupPolicy,
    /// For anti-affinity: how many members one host may run (1 when not given).
    pub max_server_per_host: Option<i64>,
    /// Member instance ids, oldest first, with the host each is on.
    pub members: Vec<(String, Option<String>)>,
    pub created_at: i64,
}

impl ServerGroup {
    pub fn member_ids(&self) -> Vec<&str> {
        self.members.iter().map(|(id, _)| id.as_str()).collect()
    }
}

/// What the scheduler does with a host for an instance of a group, given how many of the
/// group's other members run there and on any host.
pub fn host_fits(policy: GroupPolicy, max_per_host: Option<i64>, here: i64, placed: i64) -> bool {
    match policy {
        GroupPolicy::Affinity => placed == 0 || here > 0,
        GroupPolicy::AntiAffinity => here < max_per_host.unwrap_or(1),
        GroupPolicy::SoftAffinity | GroupPolicy::SoftAntiAffinity => true,
    }
}

/// A preference among hosts that fit: higher is better.
pub fn host_weight(policy: GroupPolicy, here: i64) -> i64 {
    match policy {
        GroupPolicy::SoftAffinity => here,
        GroupPolicy::SoftAntiAffinity => -here,
        GroupPolicy::Affinity | GroupPolicy::AntiAffinity => 0,
    }
}

/// A new group as the caller asks for it.
pub struct ServerGroupCreate {
    pub name: String,
    pub policy: String,
    pub max_server_per_host: Option<i64>,
}

impl ComputeService {
    async fn group_from_row(&self, r: ServerGroupRow) -> Result<ServerGroup> {
        let policy = GroupPolicy::parse(&r.policy).ok_or_else(|| {
            Error::internal(
                "reading a server group",
                anyhow::anyhow!("unknown policy {}", r.policy),
            )
        })?;
        let rules: BTreeMap<String, i64> = serde_json::from_str(&r.rules)
            .map_err(|e| Error::internal("reading a server group's rules", e))?;
        let mut conn = self.db.conn().await?;
        let members = db::scheduling::server_group_members(&mut conn, &r.id).await?;
        Ok(ServerGroup {
            id: r.id,
            name: r.name,
            project_id: r.project_id,
            user_id: r.user_id,
            policy,
            max_server_per_host: rules.get("max_server_per_host").copied(),
            members,
            created_at: r.created_at,
        })
    }

    pub async fn server_group_create(
        &self,
        ctx: &OpCtx,
        g: ServerGroupCreate,
    ) -> Result<ServerGroup> {
        let project_id = ctx
            .auth
            .project_id()
            .ok_or_else(|| {
                Error::forbidden_msg(msg!(
                    "Server groups are created with a project-scoped token."
                ))
            })?
            .to_string();
        authorize(
            ctx,
            Action::Create,
            Resource::ProjectOwned {
                kind: "server group",
                id: "*",
                project_id: &project_id,
            },
        )?;
        let n = g.name.chars().count();
        if n == 0 || n > 255 || g.name.trim() != g.name {
            let name = &g.name;
            return Err(Error::invalid(msg!(
                "Invalid input for field/attribute name. Value: {name}. It must be 1 to 255 characters without leading or trailing white space.",
                name
            )));
        }
        let Some(policy) = GroupPolicy::parse(&g.policy) else {
            let policy = &g.policy;
            return Err(Error::invalid(msg!(
                "Invalid input for field/attribute policy. Value: {policy}. It is not one of affinity, anti-affinity, soft-affinity, soft-anti-affinity.",
                policy
            )));
        };
        let mut rules = BTreeMap::new();
        if let Some(max) = g.max_server_per_host {
            if policy != GroupPolicy::AntiAffinity {
                return Err(Error::invalid(msg!(
                    "Only the anti-affinity policy takes the max_server_per_host rule."
                )));
            }
            if max < 1 {
                return Err(Error::invalid(msg!(
                    "Invalid input for field/attribute max_server_per_host. Value: {max}. It must be at least 1.",
                    max
                )));
            }
            rules.insert("max_server_per_host", max);
        }
        let _claim = self.quota_claim(&project_id).await;
        self.check_quota(&project_id, &[("server_groups", 1)])
            .await?;
        let row = ServerGroupRow {
            id: uuid::Uuid::new_v4().to_string(),
            name: g.name,
            project_id,
            user_id: ctx.user_id().to_string(),
            policy: policy.as_str().to_string(),
            rules: serde_json::to_string(&rules).unwrap_or_else(|_| "{}".into()),
            created_at: now(),
        };
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &row).await?;
        drop(conn);
        self.group_from_row(row).await
    }

    /// The caller's project's groups; an administrator's `all_projects` lists every one.
    /// `offset` and `limit` page them, oldest first.
    pub async fn server_group_list(
        &self,
        ctx: &OpCtx,
        all_projects: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Result<Vec<ServerGroup>> {
        let project_id = ctx.auth.project_id().unwrap_or_default().to_string();
        let all = all_projects
            && authorize(
                ctx,
                Action::List,
                Resource::AdminOnly("os_compute_api:os-server-groups:index:all_projects"),
            )
            .is_ok();
        if !all {
            authorize(
                ctx,
                Action::List,
                Resource::ProjectOwned {
                    kind: "server group",
                    id: "*",
                    project_id: &project_id,
                },
            )?;
        }
        let mut conn = self.db.conn().await?;
        let rows =
            db::scheduling::server_group_list(&mut conn, (!all).then_some(project_id.as_str()))
                .await?;
        drop(conn);
        let rows = rows
            .into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX));
        let mut groups = Vec::new();
        for r in rows {
            groups.push(self.group_from_row(r).await?);
        }
        Ok(groups)
    }

    async fn group_row(&self, id: &str) -> Result<ServerGroupRow> {
        let mut conn = self.db.conn().await?;
        db::get::<ServerGroupRow>(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("server group", id))
    }

    pub async fn server_group_get(&self, ctx: &OpCtx, id: &str) -> Result<ServerGroup> {
        let row = self.group_row(id).await?;
        if !visible(ctx, &row.project_id) {
            return Err(Error::not_found("server group", id));
        }
        authorize(
            ctx,
            Action::Read,
            Resource::ProjectOwned {
                kind: "server group",
                id,
                project_id: &row.project_id,
            },
        )?;
        self.group_from_row(row).await
    }

    pub async fn server_group_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let row = self.group_row(id).await?;
        if !visible(ctx, &row.project_id) {
            return Err(Error::not_found("server group", id));
        }
        authorize(
            ctx,
            Action::Delete,
            Resource::ProjectOwned {
                kind: "server group",
                id,
                project_id: &row.project_id,
            },
        )?;
        let mut conn = self.db.conn().await?;
        db::scheduling::server_group_delete(&mut conn, &row.id).await?;
        Ok(())
    }

    /// The group a new instance is to join (`scheduler_hints.group`): one the caller can
    /// see, with room for `count` more members under its project's quota.
    pub(super) async fn group_to_join(
        &self,
        ctx: &OpCtx,
        id: &str,
        count: i64,
    ) -> Result<ServerGroup> {
        let g = self
            .server_group_get(ctx, id)
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => Error::invalid(msg!(
                    "Invalid input for field/attribute group. Value: {id}. No server group has this id.",
                    id
                )),
                other => other,
            })?;
        let limit = self
            .quota_limit(&g.project_id, "server_group_members")
            .await?;
        if limit >= 0 && g.members.len() as i64 + count > limit {
            let name = &g.name;
            return Err(Error::OverQuota(msg!(
                "Quota exceeded, too many servers in group {name} (the limit is {limit}).",
                name,
                limit
            )));
        }
        Ok(g)
    }

    /// A group with where its members run, for the scheduler (`None` when it was deleted
    /// since its member was created).
    pub(super) async fn group_for_scheduling(&self, id: &str) -> Result<Option<ServerGroup>> {
        match self.group_row(id).await {
            Ok(row) => Ok(Some(self.group_from_row(row).await?)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_keeps_members_together_and_anti_affinity_apart() {
        use GroupPolicy::*;
        // The first member goes anywhere; later ones only where one already is.
        assert!(host_fits(Affinity, None, 0, 0));
        assert!(host_fits(Affinity, None, 1, 1));
        assert!(!host_fits(Affinity, None, 0, 1));
        // One per host, or as many as the rule allows.
        assert!(host_fits(AntiAffinity, None, 0, 3));
        assert!(!host_fits(AntiAffinity, None, 1, 1));
        assert!(host_fits(AntiAffinity, Some(2), 1, 1));
        assert!(!host_fits(AntiAffinity, Some(2), 2, 2));
        // Soft policies never refuse a host; they prefer.
        assert!(host_fits(SoftAntiAffinity, None, 5, 5));
        assert!(host_weight(SoftAffinity, 2) > host_weight(SoftAffinity, 0));
        assert!(host_weight(SoftAntiAffinity, 0) > host_weight(SoftAntiAffinity, 2));
    }

    #[test]
    fn policies_read_back_as_written() {
        for p in GroupPolicy::ALL {
            assert_eq!(GroupPolicy::parse(p.as_str()), Some(p));
        }
        assert_eq!(GroupPolicy::parse("friends"), None);
    }
}
