//! Roles, implied roles and role assignments.

use std::collections::{BTreeSet, HashMap};

use super::{check_name, on_duplicate, Assignment, IdentityService, Role};
use crate::server::authz::{authorize, is_admin, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, roles::AssignmentFilter};
use crate::server::error::{Error, Result};
use crate::server::services::found;
use crate::server::services::{new_id, now};

/// Who holds a role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User(String),
    Group(String),
}

/// Where a role is held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Project(String),
    Domain(String),
    /// The whole deployment.
    System,
    /// Every project of a domain, now and later (OS-INHERIT's `inherited_to_projects` on
    /// a domain); not the domain itself.
    DomainProjects(String),
    /// Every project below a project (`inherited_to_projects` on a project); not the
    /// project itself.
    Subprojects(String),
}

/// The target types of inherited assignments, as stored.
pub const DOMAIN_PROJECTS: &str = "domain-projects";
pub const SUBPROJECTS: &str = "project-subtree";

/// The id of the one system an assignment can target (Keystone's `{"system": {"all": true}}`).
pub const SYSTEM: &str = "all";

impl Actor {
    fn kind(&self) -> &'static str {
        match self {
            Actor::User(_) => "user",
            Actor::Group(_) => "group",
        }
    }
    fn id(&self) -> &str {
        match self {
            Actor::User(id) | Actor::Group(id) => id,
        }
    }
}

impl Target {
    fn kind(&self) -> &'static str {
        match self {
            Target::Project(_) => "project",
            Target::Domain(_) => "domain",
            Target::System => "system",
            Target::DomainProjects(_) => DOMAIN_PROJECTS,
            Target::Subprojects(_) => SUBPROJECTS,
        }
    }
    fn id(&self) -> &str {
        match self {
            Target::Project(id)
            | Target::Domain(id)
            | Target::DomainProjects(id)
            | Target::Subprojects(id) => id,
            Target::System => SYSTEM,
        }
    }
}

/// `GET /v3/role_assignments` filters.
#[derive(Clone, Debug, Default)]
pub struct AssignmentQuery {
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub role_id: Option<String>,
    pub project_id: Option<String>,
    pub domain_id: Option<String>,
    /// Only the assignments on the system (`scope.system=all`).
    pub system: bool,
    /// Expand groups into their members and roles into the roles they imply.
    pub effective: bool,
}

/// One line of an assignment listing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EffectiveAssignment {
    pub actor_type: String,
    pub actor_id: String,
    pub target_type: String,
    pub target_id: String,
    pub role_id: String,
    /// The group the user holds this through (effective listings).
    pub via_group: Option<String>,
    /// The role that implies this one (effective listings).
    pub prior_role: Option<String>,
}

impl IdentityService {
    pub async fn role_create(
        &self,
        ctx: &OpCtx,
        name: String,
        description: String,
    ) -> Result<Role> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_role"),
        )?;
        self.role_insert(name, description).await
    }

    pub(super) async fn role_insert(&self, name: String, description: String) -> Result<Role> {
        check_name("name", &name, 255)?;
        let row = Role {
            id: new_id(),
            name,
            description,
            created_at: now(),
        };
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &row)
            .await
            .map_err(on_duplicate(|| Error::duplicate("role", &row.name)))?;
        self.changed();
        Ok(row)
    }

    pub async fn role_get(&self, ctx: &OpCtx, id: &str) -> Result<Role> {
        authorize(ctx, Action::Read, Resource::AdminOnly("identity:get_role"))?;
        let mut conn = self.db.conn().await?;
        db::get::<db::roles::RoleRow>(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("role", id))
    }

    pub async fn role_list(&self, ctx: &OpCtx, name: Option<&str>) -> Result<Vec<Role>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_roles"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::roles::role_list(&mut conn, name).await?)
    }

    pub async fn role_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        name: Option<String>,
        description: Option<String>,
    ) -> Result<Role> {
        self.modify(ctx, "identity:update_role", id, |row: &mut Role| {
            if let Some(name) = name {
                check_name("name", &name, 255)?;
                let builtin = super::bootstrap::BUILTIN_ROLES.contains(&row.name.as_str());
                if row.name != name && builtin {
                    return Err(Error::Forbidden(msg!(
                        "The built-in role {name} cannot be renamed.",
                        name = row.name
                    )));
                }
                row.name = name;
            }
            if let Some(d) = description {
                row.description = d;
            }
            Ok(())
        })
        .await
    }

    pub async fn role_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_role"),
        )?;
        let mut conn = self.db.conn().await?;
        let row = found::<db::roles::RoleRow>(&mut conn, "role", id).await?;
        if super::bootstrap::BUILTIN_ROLES.contains(&row.name.as_str()) {
            return Err(Error::Forbidden(msg!(
                "The built-in role {name} cannot be deleted.",
                name = row.name
            )));
        }
        db::delete::<db::roles::RoleRow>(&mut conn, id).await?;
        self.changed();
        Ok(())
    }

    /// Makes `prior` imply `implied`. A rule that would close a loop is refused.
    pub async fn implied_role_create(
        &self,
        ctx: &OpCtx,
        prior: &str,
        implied: &str,
    ) -> Result<(Role, Role)> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_implied_role"),
        )?;
        let mut conn = self.db.conn().await?;
        let prior_row = found::<db::roles::RoleRow>(&mut conn, "role", prior).await?;
        let implied_row = found::<db::roles::RoleRow>(&mut conn, "role", implied).await?;
        let edges = db::roles::implied_role_list(&mut conn).await?;
        if prior == implied || implies(&edges, implied).contains(prior) {
            return Err(Error::Forbidden(msg!(
                "Cannot make {name} imply {name2}: that would form a loop of implied roles.",
                name = prior_row.name,
                name2 = implied_row.name
            )));
        }
        db::roles::implied_role_add(&mut conn, prior, implied).await?;
        self.changed();
        Ok((prior_row, implied_row))
    }

    pub async fn implied_role_get(
        &self,
        ctx: &OpCtx,
        prior: &str,
        implied: &str,
    ) -> Result<(Role, Role)> {
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("identity:get_implied_role"),
        )?;
        let mut conn = self.db.conn().await?;
        let prior_row = found::<db::roles::RoleRow>(&mut conn, "role", prior).await?;
        let implied_row = found::<db::roles::RoleRow>(&mut conn, "role", implied).await?;
        let edges = db::roles::implied_role_list(&mut conn).await?;
        if !edges.iter().any(|(p, i)| p == prior && i == implied) {
            return Err(Error::not_found(
                "implied role",
                format!("{prior} implies {implied}"),
            ));
        }
        Ok((prior_row, implied_row))
    }

    pub async fn implied_role_delete(&self, ctx: &OpCtx, prior: &str, implied: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_implied_role"),
        )?;
        let mut conn = self.db.conn().await?;
        if !db::roles::implied_role_remove(&mut conn, prior, implied).await? {
            return Err(Error::not_found(
                "implied role",
                format!("{prior} implies {implied}"),
            ));
        }
        self.changed();
        Ok(())
    }

    /// Every direct inference rule, as (prior, implied) roles.
    pub async fn implied_role_list(&self, ctx: &OpCtx) -> Result<Vec<(Role, Role)>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_role_inference_rules"),
        )?;
        let mut conn = self.db.conn().await?;
        let roles: HashMap<String, Role> = db::roles::role_list(&mut conn, None)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let edges = db::roles::implied_role_list(&mut conn).await?;
        Ok(edges
            .into_iter()
            .filter_map(|(p, i)| Some((roles.get(&p)?.clone(), roles.get(&i)?.clone())))
            .collect())
    }

    pub async fn assignment_grant(
        &self,
        ctx: &OpCtx,
        actor: Actor,
        target: Target,
        role_id: &str,
    ) -> Result<()> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_grant"),
        )?;
        let mut conn = self.db.conn().await?;
        self.assignment_parts_exist(&mut conn, &actor, &target, role_id)
            .await?;
        db::roles::assignment_add(&mut conn, &assignment_row(&actor, &target, role_id)).await?;
        self.changed();
        Ok(())
    }

    pub async fn assignment_revoke(
        &self,
        ctx: &OpCtx,
        actor: Actor,
        target: Target,
        role_id: &str,
    ) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:revoke_grant"),
        )?;
        let mut conn = self.db.conn().await?;
        self.assignment_parts_exist(&mut conn, &actor, &target, role_id)
            .await?;
        if !db::roles::assignment_remove(&mut conn, &assignment_row(&actor, &target, role_id))
            .await?
        {
            return Err(Error::not_found("role assignment", role_id));
        }
        self.changed();
        Ok(())
    }

    pub async fn assignment_check(
        &self,
        ctx: &OpCtx,
        actor: Actor,
        target: Target,
        role_id: &str,
    ) -> Result<()> {
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("identity:check_grant"),
        )?;
        let mut conn = self.db.conn().await?;
        self.assignment_parts_exist(&mut conn, &actor, &target, role_id)
            .await?;
        let filter = AssignmentFilter {
            actor_type: Some(actor.kind().into()),
            actor_ids: Some(vec![actor.id().into()]),
            target_type: Some(target.kind().into()),
            target_id: Some(target.id().into()),
            role_id: Some(role_id.into()),
        };
        if db::roles::assignment_list(&mut conn, &filter)
            .await?
            .is_empty()
        {
            return Err(Error::not_found("role assignment", role_id));
        }
        Ok(())
    }

    /// The roles granted directly to an actor on a target (`GET /projects/{p}/users/{u}/roles`).
    pub async fn assignment_roles(
        &self,
        ctx: &OpCtx,
        actor: Actor,
        target: Target,
    ) -> Result<Vec<Role>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_grants"),
        )?;
        let mut conn = self.db.conn().await?;
        let filter = AssignmentFilter {
            actor_type: Some(actor.kind().into()),
            actor_ids: Some(vec![actor.id().into()]),
            target_type: Some(target.kind().into()),
            target_id: Some(target.id().into()),
            role_id: None,
        };
        let ids: BTreeSet<String> = db::roles::assignment_list(&mut conn, &filter)
            .await?
            .into_iter()
            .map(|a| a.role_id)
            .collect();
        let roles = db::roles::role_list(&mut conn, None).await?;
        Ok(roles.into_iter().filter(|r| ids.contains(&r.id)).collect())
    }

    /// `GET /v3/role_assignments`. Admins see everything; a user may list its own
    /// assignments (`user.id` of itself), as Keystone allows.
    pub async fn assignment_list(
        &self,
        ctx: &OpCtx,
        q: AssignmentQuery,
    ) -> Result<Vec<EffectiveAssignment>> {
        let own = q.user_id.as_deref() == Some(ctx.user_id());
        if !own {
            authorize(
                ctx,
                Action::List,
                Resource::AdminOnly("identity:list_role_assignments"),
            )?;
        }
        let mut conn = self.db.conn().await?;
        // With `effective`, a user's listing includes what it holds through its groups.
        let mut filter = AssignmentFilter::default();
        let mut user_groups: Vec<String> = Vec::new();
        match (&q.user_id, &q.group_id) {
            (Some(u), _) if q.effective => {
                user_groups = db::users::user_group_ids(&mut conn, u).await?;
                let mut ids = user_groups.clone();
                ids.push(u.clone());
                filter.actor_ids = Some(ids);
            }
            (Some(u), _) => {
                filter.actor_type = Some("user".into());
                filter.actor_ids = Some(vec![u.clone()]);
            }
            (None, Some(g)) => {
                filter.actor_type = Some("group".into());
                filter.actor_ids = Some(vec![g.clone()]);
            }
            (None, None) => {}
        }
        // The targets listed: a scope's own assignments and, without `effective`, the
        // inherited ones made on it; with `effective`, inherited grants count on the
        // projects they reach (and never on the domain or project they were made on).
        let on = |kind: &str, id: Option<&String>| {
            let mut f = filter.clone();
            f.target_type = Some(kind.to_string());
            f.target_id = id.cloned();
            f
        };
        let mut direct = Vec::new();
        match (&q.project_id, &q.domain_id) {
            (Some(p), _) => {
                direct
                    .extend(db::roles::assignment_list(&mut conn, &on("project", Some(p))).await?);
                if q.effective {
                    for (kind, id) in inherited_sources(&mut conn, p).await? {
                        for mut a in
                            db::roles::assignment_list(&mut conn, &on(&kind, Some(&id))).await?
                        {
                            a.target_type = "project".into();
                            a.target_id = p.clone();
                            direct.push(a);
                        }
                    }
                } else {
                    direct.extend(
                        db::roles::assignment_list(&mut conn, &on(SUBPROJECTS, Some(p))).await?,
                    );
                }
            }
            (None, Some(d)) => {
                direct.extend(db::roles::assignment_list(&mut conn, &on("domain", Some(d))).await?);
                if !q.effective {
                    direct.extend(
                        db::roles::assignment_list(&mut conn, &on(DOMAIN_PROJECTS, Some(d)))
                            .await?,
                    );
                }
            }
            (None, None) if q.system => {
                let system = SYSTEM.to_string();
                direct.extend(
                    db::roles::assignment_list(&mut conn, &on("system", Some(&system))).await?,
                );
            }
            (None, None) => {
                for a in db::roles::assignment_list(&mut conn, &filter).await? {
                    let inherited =
                        a.target_type == DOMAIN_PROJECTS || a.target_type == SUBPROJECTS;
                    if inherited && q.effective {
                        for project in
                            inherited_reach(&mut conn, &a.target_type, &a.target_id).await?
                        {
                            direct.push(Assignment {
                                target_type: "project".into(),
                                target_id: project,
                                ..a.clone()
                            });
                        }
                    } else {
                        direct.push(a);
                    }
                }
            }
        }

        let mut out: BTreeSet<EffectiveAssignment> = BTreeSet::new();
        let edges = if q.effective {
            db::roles::implied_role_list(&mut conn).await?
        } else {
            Vec::new()
        };
        for a in direct {
            let mut expanded: Vec<EffectiveAssignment> = Vec::new();
            if q.effective && a.actor_type == "group" {
                // Replace a group's assignment by one per member (or by the one user asked about).
                let members: Vec<String> = match &q.user_id {
                    Some(u) if user_groups.contains(&a.actor_id) => vec![u.clone()],
                    Some(_) => vec![],
                    None => db::users::group_members(&mut conn, &a.actor_id)
                        .await?
                        .into_iter()
                        .map(|m| m.id)
                        .collect(),
                };
                for m in members {
                    expanded.push(EffectiveAssignment {
                        actor_type: "user".into(),
                        actor_id: m,
                        target_type: a.target_type.clone(),
                        target_id: a.target_id.clone(),
                        role_id: a.role_id.clone(),
                        via_group: Some(a.actor_id.clone()),
                        prior_role: None,
                    });
                }
            } else {
                expanded.push(EffectiveAssignment {
                    actor_type: a.actor_type.clone(),
                    actor_id: a.actor_id.clone(),
                    target_type: a.target_type.clone(),
                    target_id: a.target_id.clone(),
                    role_id: a.role_id.clone(),
                    via_group: None,
                    prior_role: None,
                });
            }
            for e in expanded {
                if q.effective {
                    for implied in implies(&edges, &e.role_id) {
                        out.insert(EffectiveAssignment {
                            role_id: implied,
                            prior_role: Some(e.role_id.clone()),
                            ..e.clone()
                        });
                    }
                }
                out.insert(e);
            }
        }
        let mut list: Vec<EffectiveAssignment> = out.into_iter().collect();
        if let Some(r) = &q.role_id {
            list.retain(|a| &a.role_id == r);
        }
        // An implied copy of a role the user also holds directly is listed once.
        if q.effective {
            let mut seen = BTreeSet::new();
            list.retain(|a| {
                seen.insert((
                    a.actor_id.clone(),
                    a.target_type.clone(),
                    a.target_id.clone(),
                    a.role_id.clone(),
                ))
            });
        }
        Ok(list)
    }

    /// Names for an assignment listing (`include_names`): (kind, id) -> (name, owning domain).
    pub async fn assignment_names(
        &self,
        ctx: &OpCtx,
        list: &[EffectiveAssignment],
    ) -> Result<HashMap<(String, String), (String, Option<(String, String)>)>> {
        let _ = ctx;
        let mut conn = self.db.conn().await?;
        let domains: HashMap<String, String> = db::resources::domain_list(&mut conn, None, None)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
        let domain_of = |id: &str| domains.get(id).map(|n| (id.to_string(), n.clone()));
        let mut out = HashMap::new();
        for r in db::roles::role_list(&mut conn, None).await? {
            out.insert(("role".to_string(), r.id), (r.name, None));
        }
        for a in list {
            let actor_key = (a.actor_type.clone(), a.actor_id.clone());
            if !out.contains_key(&actor_key) {
                let named = if a.actor_type == "user" {
                    db::get::<db::users::UserRow>(&mut conn, &a.actor_id)
                        .await?
                        .map(|u| (u.name, domain_of(&u.domain_id)))
                } else {
                    db::get::<db::users::GroupRow>(&mut conn, &a.actor_id)
                        .await?
                        .map(|g| (g.name, domain_of(&g.domain_id)))
                };
                if let Some(n) = named {
                    out.insert(actor_key, n);
                }
            }
            // Inherited grants are named by the domain or project they were made on.
            let kind = match a.target_type.as_str() {
                SUBPROJECTS => "project",
                DOMAIN_PROJECTS => "domain",
                other => other,
            };
            let target_key = (kind.to_string(), a.target_id.clone());
            if !out.contains_key(&target_key) {
                let named = if kind == "project" {
                    db::get::<db::resources::ProjectRow>(&mut conn, &a.target_id)
                        .await?
                        .map(|p| (p.name, domain_of(&p.domain_id)))
                } else {
                    domains.get(&a.target_id).map(|n| (n.clone(), None))
                };
                if let Some(n) = named {
                    out.insert(target_key, n);
                }
            }
        }
        Ok(out)
    }

    /// Effective role ids of a user on a target: direct, through groups, and implied.
    pub(super) async fn effective_role_ids(
        &self,
        conn: &mut db::Conn,
        user_id: &str,
        target_type: &str,
        target_id: &str,
    ) -> Result<BTreeSet<String>> {
        let mut actor_ids = db::users::user_group_ids(conn, user_id).await?;
        actor_ids.push(user_id.to_string());
        let mut targets = vec![(target_type.to_string(), target_id.to_string())];
        if target_type == "project" {
            targets.extend(inherited_sources(conn, target_id).await?);
        }
        let mut direct: Vec<String> = Vec::new();
        for (kind, id) in targets {
            let filter = AssignmentFilter {
                actor_type: None,
                actor_ids: Some(actor_ids.clone()),
                target_type: Some(kind),
                target_id: Some(id),
                role_id: None,
            };
            direct.extend(
                db::roles::assignment_list(conn, &filter)
                    .await?
                    .into_iter()
                    .map(|a| a.role_id),
            );
        }
        if direct.is_empty() {
            return Ok(BTreeSet::new());
        }
        let edges = db::roles::implied_role_list(conn).await?;
        let mut all = BTreeSet::new();
        for r in direct {
            all.extend(implies(&edges, &r));
            all.insert(r);
        }
        Ok(all)
    }

    /// Ids of the targets of a kind (`project`, `domain`) a user holds any role on,
    /// directly or through a group.
    async fn held_target_ids(
        conn: &mut db::Conn,
        user_id: &str,
        target_type: &str,
    ) -> Result<BTreeSet<String>> {
        let mut actor_ids = db::users::user_group_ids(conn, user_id).await?;
        actor_ids.push(user_id.to_string());
        let filter = AssignmentFilter {
            actor_ids: Some(actor_ids.clone()),
            target_type: Some(target_type.into()),
            ..Default::default()
        };
        let mut held: BTreeSet<String> = db::roles::assignment_list(conn, &filter)
            .await?
            .into_iter()
            .map(|a| a.target_id)
            .collect();
        if target_type == "project" {
            // And the projects inherited grants reach.
            for kind in [DOMAIN_PROJECTS, SUBPROJECTS] {
                let filter = AssignmentFilter {
                    actor_ids: Some(actor_ids.clone()),
                    target_type: Some(kind.into()),
                    ..Default::default()
                };
                for a in db::roles::assignment_list(conn, &filter).await? {
                    held.extend(inherited_reach(conn, kind, &a.target_id).await?);
                }
            }
        }
        Ok(held)
    }

    /// Ids of the projects a user holds any role on, directly or through a group.
    pub async fn user_project_ids(&self, user_id: &str) -> Result<Vec<String>> {
        let mut conn = self.db.conn().await?;
        let ids = Self::held_target_ids(&mut conn, user_id, "project").await?;
        Ok(ids.into_iter().collect())
    }

    /// The enabled domains a user may scope to (`GET /v3/auth/domains`): those it holds a
    /// role on, directly or through a group.
    pub async fn user_domains(&self, ctx: &OpCtx, user_id: &str) -> Result<Vec<super::Domain>> {
        if !is_admin(ctx) {
            authorize(ctx, Action::List, Resource::User { id: user_id })?;
        }
        let mut conn = self.db.conn().await?;
        let ids = Self::held_target_ids(&mut conn, user_id, "domain").await?;
        let mut domains = Vec::new();
        for id in ids {
            if let Some(d) = db::get::<db::resources::DomainRow>(&mut conn, &id).await? {
                if d.enabled != 0 {
                    domains.push(d);
                }
            }
        }
        Ok(domains)
    }

    /// Whether a user may scope to the system (`GET /v3/auth/system`).
    pub async fn user_has_system_role(&self, ctx: &OpCtx, user_id: &str) -> Result<bool> {
        if !is_admin(ctx) {
            authorize(ctx, Action::List, Resource::User { id: user_id })?;
        }
        let mut conn = self.db.conn().await?;
        Ok(!self
            .effective_role_ids(&mut conn, user_id, "system", SYSTEM)
            .await?
            .is_empty())
    }

    /// The enabled projects a user may scope to (`GET /v3/users/{id}/projects`, `/v3/auth/projects`).
    pub async fn user_projects(&self, ctx: &OpCtx, user_id: &str) -> Result<Vec<super::Project>> {
        if !is_admin(ctx) {
            authorize(ctx, Action::List, Resource::User { id: user_id })?;
        }
        let ids = self.user_project_ids(user_id).await?;
        let mut conn = self.db.conn().await?;
        let filter = db::resources::ProjectFilter {
            ids: Some(ids),
            ..Default::default()
        };
        Ok(db::resources::project_list(&mut conn, &filter).await?)
    }

    async fn assignment_parts_exist(
        &self,
        conn: &mut db::Conn,
        actor: &Actor,
        target: &Target,
        role_id: &str,
    ) -> Result<()> {
        match actor {
            Actor::User(id) => {
                found::<db::users::UserRow>(conn, "user", id).await?;
            }
            Actor::Group(id) => {
                found::<db::users::GroupRow>(conn, "group", id).await?;
            }
        }
        match target {
            Target::Project(id) | Target::Subprojects(id) => {
                found::<db::resources::ProjectRow>(conn, "project", id).await?;
            }
            Target::Domain(id) | Target::DomainProjects(id) => {
                found::<db::resources::DomainRow>(conn, "domain", id).await?;
            }
            Target::System => {}
        }
        found::<db::roles::RoleRow>(conn, "role", role_id).await?;
        Ok(())
    }
}

fn assignment_row(actor: &Actor, target: &Target, role_id: &str) -> Assignment {
    Assignment {
        actor_type: actor.kind().into(),
        actor_id: actor.id().into(),
        target_type: target.kind().into(),
        target_id: target.id().into(),
        role_id: role_id.into(),
    }
}

/// The inherited grants that reach a project: `inherited_to_projects` on its domain and on
/// each project above it, as (target type, target id).
async fn inherited_sources(conn: &mut db::C, project_id: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let Some(project) = db::get::<db::resources::ProjectRow>(conn, project_id).await? else {
        return Ok(out);
    };
    out.push((DOMAIN_PROJECTS.to_string(), project.domain_id.clone()));
    let mut seen = BTreeSet::from([project.id.clone()]);
    let mut up = project.parent_id;
    while let Some(parent) = up.filter(|p| seen.insert(p.clone())) {
        out.push((SUBPROJECTS.to_string(), parent.clone()));
        up = db::get::<db::resources::ProjectRow>(conn, &parent)
            .await?
            .and_then(|p| p.parent_id);
    }
    Ok(out)
}

/// The projects an inherited grant reaches: every project of the domain, or every project
/// below the project.
async fn inherited_reach(conn: &mut db::C, kind: &str, target_id: &str) -> Result<Vec<String>> {
    if kind == DOMAIN_PROJECTS {
        let filter = db::resources::ProjectFilter {
            domain_id: Some(target_id.to_string()),
            ..Default::default()
        };
        return Ok(db::resources::project_list(conn, &filter)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect());
    }
    let mut out = Vec::new();
    let mut frontier = vec![target_id.to_string()];
    while let Some(parent) = frontier.pop() {
        let filter = db::resources::ProjectFilter {
            parent_id: Some(parent),
            ..Default::default()
        };
        for p in db::resources::project_list(conn, &filter).await? {
            if !out.contains(&p.id) {
                frontier.push(p.id.clone());
                out.push(p.id);
            }
        }
    }
    Ok(out)
}

/// Every role that `role` implies, transitively (not including itself).
fn implies(edges: &[(String, String)], role: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![role.to_string()];
    while let Some(r) = stack.pop() {
        for (p, i) in edges {
            if *p == r && i != role && seen.insert(i.clone()) {
                stack.push(i.clone());
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::implies;

    #[test]
    fn implication_is_transitive_and_survives_loops() {
        let e = |p: &str, i: &str| (p.to_string(), i.to_string());
        let edges = vec![
            e("admin", "member"),
            e("member", "reader"),
            e("x", "y"),
            e("y", "x"),
        ];
        assert_eq!(
            implies(&edges, "admin").into_iter().collect::<Vec<_>>(),
            ["member", "reader"]
        );
        assert_eq!(implies(&edges, "reader").len(), 0);
        assert_eq!(implies(&edges, "x").into_iter().collect::<Vec<_>>(), ["y"]);
    }
}
