//! Domains and projects.

use super::{check_name, on_duplicate, Domain, IdentityService, Project, ProjectFilter};
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::error::{Error, Result};
use crate::server::services::found;
use crate::server::services::{new_id, now};

#[derive(Clone, Debug, Default)]
pub struct DomainCreate {
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    pub enabled: bool,
}

/// What an update of a domain or a project may change (Keystone's domains are projects
/// that act as domains: the same three attributes).
#[derive(Clone, Debug, Default)]
pub struct DomainUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

impl DomainUpdate {
    /// Writes the given changes over a row's name, description and enabled flag.
    fn apply(self, name: &mut String, description: &mut String, enabled: &mut i64) -> Result<()> {
        if let Some(n) = self.name {
            check_name("name", &n, 64)?;
            *name = n;
        }
        if let Some(d) = self.description {
            *description = d;
        }
        if let Some(e) = self.enabled {
            *enabled = e as i64;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default)]
pub struct ProjectCreate {
    pub name: String,
    pub domain_id: Option<String>,
    pub parent_id: Option<String>,
    pub description: String,
    pub enabled: bool,
    pub tags: Vec<String>,
}

/// Keystone's limit on a project's tags.
const MAX_TAGS: usize = 80;

/// Tags are 1 to 255 characters without `/` or `,`, at most 80, each once.
fn check_tags(tags: &[String]) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(msg!(
            "A project has at most {MAX_TAGS} tags.",
            MAX_TAGS
        )));
    }
    for (i, t) in tags.iter().enumerate() {
        if t.is_empty() || t.chars().count() > 255 || t.contains('/') || t.contains(',') {
            return Err(Error::invalid(msg!(
                "Invalid tag '{t}': a tag is 1 to 255 characters without '/' or ','.",
                t
            )));
        }
        if tags[..i].contains(t) {
            return Err(Error::invalid(msg!("Tag '{t}' is given twice.", t)));
        }
    }
    Ok(())
}

/// A project's tags as stored.
pub fn project_tags(p: &Project) -> Vec<String> {
    serde_json::from_str(&p.tags).unwrap_or_default()
}

pub type ProjectUpdate = DomainUpdate;

pub const DEFAULT_DOMAIN_ID: &str = "default";

impl IdentityService {
    pub async fn domain_create(&self, ctx: &OpCtx, params: DomainCreate) -> Result<Domain> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_domain"),
        )?;
        self.domain_insert(params).await
    }

    /// Creates a domain without a caller: bootstrap only.
    pub(super) async fn domain_insert(&self, params: DomainCreate) -> Result<Domain> {
        check_name("name", &params.name, 64)?;
        let row = Domain {
            id: params.id.unwrap_or_else(new_id),
            name: params.name,
            description: params.description,
            enabled: params.enabled as i64,
            created_at: now(),
        };
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &row)
            .await
            .map_err(on_duplicate(|| Error::duplicate("domain", &row.name)))?;
        self.changed();
        Ok(row)
    }

    pub async fn domain_get(&self, ctx: &OpCtx, id: &str) -> Result<Domain> {
        // Every user may read its own domain (the portal shows it); others are admin-only.
        if ctx.auth.user_domain_id != id {
            authorize(
                ctx,
                Action::Read,
                Resource::AdminOnly("identity:get_domain"),
            )?;
        }
        let mut conn = self.db.conn().await?;
        db::get::<db::resources::DomainRow>(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("domain", id))
    }

    pub async fn domain_list(
        &self,
        ctx: &OpCtx,
        name: Option<&str>,
        enabled: Option<bool>,
    ) -> Result<Vec<Domain>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_domains"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::resources::domain_list(&mut conn, name, enabled).await?)
    }

    pub async fn domain_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        params: DomainUpdate,
    ) -> Result<Domain> {
        self.modify(ctx, "identity:update_domain", id, |row: &mut Domain| {
            params.apply(&mut row.name, &mut row.description, &mut row.enabled)
        })
        .await
    }

    /// Deletes a domain. As in Keystone, it must be disabled first, and it goes with its
    /// projects (the deepest first), users and groups and every grant on or to them.
    pub async fn domain_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_domain"),
        )?;
        let mut tx = self.db.begin().await?;
        let row = found::<db::resources::DomainRow>(&mut tx, "domain", id).await?;
        if row.enabled != 0 {
            return Err(Error::Forbidden(msg!(
                "Cannot delete a domain that is enabled, please disable it first."
            )));
        }
        let projects = db::resources::project_list(
            &mut tx,
            &db::resources::ProjectFilter {
                domain_id: Some(id.to_string()),
                ..Default::default()
            },
        )
        .await?;
        // The deepest first, so no project outlives its parent.
        let depth = |p: &db::resources::ProjectRow| {
            let mut d = 0;
            let mut up = p.parent_id.clone();
            while let Some(parent) = up {
                d += 1;
                up = projects
                    .iter()
                    .find(|q| q.id == parent)
                    .and_then(|q| q.parent_id.clone());
                if d > projects.len() {
                    break;
                }
            }
            d
        };
        let mut ordered: Vec<_> = projects.iter().map(|p| (depth(p), p.id.clone())).collect();
        ordered.sort_by(|a, b| b.0.cmp(&a.0));
        for (_, project) in ordered {
            db::users::users_with_default_project_clear(&mut tx, &project).await?;
            db::roles::assignments_purge(&mut tx, "project", &project).await?;
            db::delete::<db::resources::ProjectRow>(&mut tx, &project).await?;
        }
        let users = db::users::user_list(
            &mut tx,
            &db::users::UserFilter {
                domain_id: Some(id.to_string()),
                ..Default::default()
            },
        )
        .await?;
        for u in users {
            db::roles::assignments_purge(&mut tx, "user", &u.id).await?;
            db::delete::<db::users::UserRow>(&mut tx, &u.id).await?;
        }
        for g in db::users::group_list(&mut tx, None, Some(id)).await? {
            db::roles::assignments_purge(&mut tx, "group", &g.id).await?;
            db::delete::<db::users::GroupRow>(&mut tx, &g.id).await?;
        }
        db::roles::assignments_purge(&mut tx, "domain", id).await?;
        db::delete::<db::resources::DomainRow>(&mut tx, id).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    pub async fn project_create(&self, ctx: &OpCtx, params: ProjectCreate) -> Result<Project> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_project"),
        )?;
        self.project_insert(params).await
    }

    /// Creates a project with its first members (Horizon's Create Project workflow). If a
    /// grant fails, the project is deleted again: the caller sees all or nothing.
    pub async fn project_create_with_members(
        &self,
        ctx: &OpCtx,
        params: ProjectCreate,
        members: Vec<(super::Actor, String)>,
    ) -> Result<Project> {
        let project = self.project_create(ctx, params).await?;
        for (actor, role_id) in members {
            let target = super::Target::Project(project.id.clone());
            if let Err(e) = self.assignment_grant(ctx, actor, target, &role_id).await {
                // Undo: the grants made so far go with the project.
                if let Err(undo) = self.project_delete(ctx, &project.id).await {
                    undo.log();
                }
                return Err(e);
            }
        }
        Ok(project)
    }

    pub(super) async fn project_insert(&self, params: ProjectCreate) -> Result<Project> {
        check_name("name", &params.name, 64)?;
        let mut conn = self.db.conn().await?;
        // A project's parent is another project of the same domain; without one it hangs
        // off its domain (Keystone reports the domain as the parent then).
        let mut domain_id = params.domain_id.clone();
        if let Some(parent_id) = &params.parent_id {
            match db::get::<db::resources::ProjectRow>(&mut conn, parent_id).await? {
                Some(parent) => {
                    if domain_id.as_deref().is_some_and(|d| d != parent.domain_id) {
                        return Err(Error::Forbidden(
                            msg!("Cannot create project, since it specifies its domain_id but specifies a parent in a different domain."),
                        ));
                    }
                    domain_id = Some(parent.domain_id);
                }
                None => {
                    // The parent may be the domain itself.
                    if db::get::<db::resources::DomainRow>(&mut conn, parent_id)
                        .await?
                        .is_none()
                    {
                        return Err(Error::not_found("project", parent_id));
                    }
                    domain_id = Some(parent_id.clone());
                }
            }
        }
        let domain_id = domain_id.unwrap_or_else(|| DEFAULT_DOMAIN_ID.to_string());
        if db::get::<db::resources::DomainRow>(&mut conn, &domain_id)
            .await?
            .is_none()
        {
            return Err(Error::not_found("domain", &domain_id));
        }
        let parent_id = params.parent_id.filter(|p| *p != domain_id);
        check_tags(&params.tags)?;
        let row = Project {
            id: new_id(),
            name: params.name,
            domain_id,
            parent_id,
            description: params.description,
            enabled: params.enabled as i64,
            created_at: now(),
            tags: serde_json::to_string(&params.tags).unwrap_or_else(|_| "[]".into()),
        };
        db::insert(&mut conn, &row).await.map_err(on_duplicate(|| Error::Conflict(msg!("Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : {name}.", name = row.name))))?;
        self.changed();
        Ok(row)
    }

    pub async fn project_get(&self, ctx: &OpCtx, id: &str) -> Result<Project> {
        // Found first, then authorized: Keystone answers an unknown project with a 404
        // and another one with a 403.
        let mut conn = self.db.conn().await?;
        let project = found::<db::resources::ProjectRow>(&mut conn, "project", id).await?;
        authorize(ctx, Action::Read, Resource::Project { id })?;
        Ok(project)
    }

    /// Lists projects: administrators only, as Keystone's `identity:list_projects`. Others
    /// list their own with `/v3/auth/projects` or `/v3/users/{id}/projects`; clients such
    /// as `openstack image add project` rely on this 403 to take a project id as given.
    pub async fn project_list(&self, ctx: &OpCtx, filter: ProjectFilter) -> Result<Vec<Project>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_projects"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::resources::project_list(&mut conn, &filter).await?)
    }

    pub async fn project_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        params: ProjectUpdate,
    ) -> Result<Project> {
        self.modify(ctx, "identity:update_project", id, |row: &mut Project| {
            params.apply(&mut row.name, &mut row.description, &mut row.enabled)
        })
        .await
    }

    /// Deletes a project with its role assignments and application credentials. A project
    /// with sub-projects is refused, as in Keystone.
    pub async fn project_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_project"),
        )?;
        let mut tx = self.db.begin().await?;
        if db::get::<db::resources::ProjectRow>(&mut tx, id)
            .await?
            .is_none()
        {
            return Err(Error::not_found("project", id));
        }
        if db::resources::project_has_children(&mut tx, id).await? {
            return Err(Error::Forbidden(msg!("Cannot delete the project {id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a subtree.", id)));
        }
        db::roles::assignments_purge(&mut tx, "project", id).await?;
        db::users::users_with_default_project_clear(&mut tx, id).await?;
        db::delete::<db::resources::ProjectRow>(&mut tx, id).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// Domain names by id, for views that show a project's or user's domain. Names are
    /// shown beside the resources they own, so every signed-in caller may read them.
    pub async fn domain_names(
        &self,
        ctx: &OpCtx,
    ) -> Result<std::collections::HashMap<String, String>> {
        authorize(ctx, Action::List, Resource::Catalog)?;
        let mut conn = self.db.conn().await?;
        Ok(db::resources::domain_list(&mut conn, None, None)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect())
    }
}

/// A change to a project's tags.
#[derive(Clone, Debug)]
pub enum TagChange {
    /// The tags become these.
    Replace(Vec<String>),
    Add(String),
    Remove(String),
}

impl IdentityService {
    /// Changes a project's tags and answers them.
    pub async fn project_tags_change(
        &self,
        ctx: &OpCtx,
        id: &str,
        change: TagChange,
    ) -> Result<Vec<String>> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:update_project_tags"),
        )?;
        let mut tx = self.db.begin().await?;
        let mut row = found::<Project>(&mut tx, "project", id).await?;
        let mut tags = project_tags(&row);
        match change {
            TagChange::Replace(new) => tags = new,
            TagChange::Add(t) => {
                if !tags.contains(&t) {
                    tags.push(t);
                }
            }
            TagChange::Remove(t) => {
                let before = tags.len();
                tags.retain(|x| x != &t);
                if tags.len() == before {
                    return Err(Error::not_found("tag", t));
                }
            }
        }
        check_tags(&tags)?;
        row.tags = serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into());
        db::save(&mut tx, &row).await?;
        tx.commit().await?;
        self.changed();
        Ok(tags)
    }

    /// A project's tags, for those who may read the project.
    pub async fn project_tags_get(&self, ctx: &OpCtx, id: &str) -> Result<Vec<String>> {
        authorize(ctx, Action::Read, Resource::Project { id })?;
        let mut conn = self.db.conn().await?;
        let row = found::<Project>(&mut conn, "project", id).await?;
        Ok(project_tags(&row))
    }
}
