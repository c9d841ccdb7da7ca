//! Identity panels: projects, users, groups, roles, application credentials, and the
//! catalog views (API Access, System Information).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use super::{matches, paginate};

use crate::types::{
    AppCredSecret, AppCredView, AppError, EndpointView, GroupView, ListQuery, MemberView, Page,
    ProjectView, RoleView, UserView,
};

#[cfg(feature = "ssr")]
mod convert {
    use std::collections::HashMap;

    use crate::server::services::identity::{Project, User};
    use crate::types::{ProjectView, UserView};

    pub fn project(p: Project, domains: &HashMap<String, String>) -> ProjectView {
        ProjectView {
            domain_name: domains
                .get(&p.domain_id)
                .cloned()
                .unwrap_or_else(|| p.domain_id.clone()),
            id: p.id,
            name: p.name,
            description: p.description,
            enabled: p.enabled != 0,
        }
    }

    pub fn user(u: User, domains: &HashMap<String, String>, now: i64) -> UserView {
        UserView {
            domain_name: domains
                .get(&u.domain_id)
                .cloned()
                .unwrap_or_else(|| u.domain_id.clone()),
            locked: u.locked_until.is_some_and(|t| t > now),
            id: u.id,
            name: u.name,
            description: u.description.unwrap_or_default(),
            email: u.email.unwrap_or_default(),
            enabled: u.enabled != 0,
            default_project_id: u.default_project_id,
        }
    }
}

#[server(input = Json)]
pub async fn list_projects(query: ListQuery) -> Result<Page<ProjectView>, AppError> {
    use crate::server::services::identity::ProjectFilter;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let filter = ProjectFilter {
        name_contains: Some(query.filter.clone()).filter(|f| !f.is_empty()),
        ..Default::default()
    };
    let domains = state.identity.domain_names(&ctx).await?;
    let projects: Vec<ProjectView> = state
        .identity
        .project_list(&ctx, filter)
        .await?
        .into_iter()
        .map(|p| convert::project(p, &domains))
        .collect();
    Ok(paginate(projects, &query, |p, col| match col {
        "description" => p.description.clone(),
        "id" => p.id.clone(),
        "enabled" => p.enabled.to_string(),
        _ => p.name.clone(),
    }))
}

/// Horizon's Create Project workflow: the project with its members and groups and their roles.
#[server(input = Json)]
pub async fn create_project(
    name: String,
    description: String,
    enabled: bool,
    members: Vec<(String, String)>,
    groups: Vec<(String, String)>,
) -> Result<String, AppError> {
    use crate::server::services::identity::{Actor, ProjectCreate};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let assignments = members
        .into_iter()
        .map(|(user_id, role_id)| (Actor::User(user_id), role_id))
        .chain(
            groups
                .into_iter()
                .map(|(group_id, role_id)| (Actor::Group(group_id), role_id)),
        )
        .collect();
    let params = ProjectCreate {
        name,
        description,
        enabled,
        ..Default::default()
    };
    let project = state
        .identity
        .project_create_with_members(&ctx, params, assignments)
        .await?;
    Ok(project.id)
}

#[server]
pub async fn update_project(
    id: String,
    name: String,
    description: String,
    enabled: bool,
) -> Result<(), AppError> {
    use crate::server::services::identity::ProjectUpdate;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state
        .identity
        .project_update(
            &ctx,
            &id,
            ProjectUpdate {
                name: Some(name),
                description: Some(description),
                enabled: Some(enabled),
            },
        )
        .await?;
    Ok(())
}

/// Deletes several projects; stops at the first failure and says which.
#[server(input = Json)]
pub async fn delete_projects(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.identity.project_delete(&ctx, &id).await?;
    }
    Ok(())
}

/// The users with direct roles on a project.
#[server]
pub async fn project_members(project_id: String) -> Result<Vec<MemberView>, AppError> {
    use crate::server::services::identity::AssignmentQuery;
    use std::collections::BTreeMap;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let list = state
        .identity
        .assignment_list(
            &ctx,
            AssignmentQuery {
                project_id: Some(project_id),
                ..Default::default()
            },
        )
        .await?;
    let names = state.identity.assignment_names(&ctx, &list).await?;
    let mut members: BTreeMap<String, MemberView> = BTreeMap::new();
    for a in list.into_iter().filter(|a| a.actor_type == "user") {
        let name = names
            .get(&("user".to_string(), a.actor_id.clone()))
            .map(|n| n.0.clone())
            .unwrap_or_default();
        members
            .entry(a.actor_id.clone())
            .or_insert_with(|| MemberView {
                actor_id: a.actor_id.clone(),
                actor_name: name,
                role_ids: vec![],
            })
            .role_ids
            .push(a.role_id);
    }
    Ok(members.into_values().collect())
}

/// Sets exactly these roles for a user on a project (Manage Members).
#[server(input = Json)]
pub async fn set_member_roles(
    project_id: String,
    user_id: String,
    role_ids: Vec<String>,
) -> Result<(), AppError> {
    use crate::server::services::identity::{Actor, Target};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let current = state
        .identity
        .assignment_roles(
            &ctx,
            Actor::User(user_id.clone()),
            Target::Project(project_id.clone()),
        )
        .await?;
    for r in &current {
        if !role_ids.contains(&r.id) {
            state
                .identity
                .assignment_revoke(
                    &ctx,
                    Actor::User(user_id.clone()),
                    Target::Project(project_id.clone()),
                    &r.id,
                )
                .await?;
        }
    }
    for r in role_ids {
        if !current.iter().any(|c| c.id == r) {
            state
                .identity
                .assignment_grant(
                    &ctx,
                    Actor::User(user_id.clone()),
                    Target::Project(project_id.clone()),
                    &r,
                )
                .await?;
        }
    }
    Ok(())
}

#[server(input = Json)]
pub async fn list_users(query: ListQuery) -> Result<Page<UserView>, AppError> {
    use crate::server::services::identity::UserFilter;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let filter = UserFilter {
        contains: Some(query.filter.clone()).filter(|f| !f.is_empty()),
        sort: Some(query.sort.clone()).filter(|s| !s.is_empty()),
        descending: query.desc,
        limit: Some(query.size() as i64),
        offset: query.page as i64 * query.size() as i64,
        ..Default::default()
    };
    let domains = state.identity.domain_names(&ctx).await?;
    let page = state.identity.user_list(&ctx, filter).await?;
    let now = crate::server::services::now();
    Ok(Page {
        items: page
            .users
            .into_iter()
            .map(|u| convert::user(u, &domains, now))
            .collect(),
        total: page.total as u64,
        page: query.page,
        page_size: query.size(),
    })
}

/// Horizon's Create User form: the user, and optionally a role on a primary project.
#[server]
pub async fn create_user(
    name: String,
    email: String,
    description: String,
    password: String,
    confirm: String,
    project_id: String,
    role_id: String,
    enabled: Option<String>,
) -> Result<String, AppError> {
    use crate::server::services::identity::{Actor, Target, UserCreate};
    use secrecy::SecretString;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    if password != confirm {
        return Err(AppError::PasswordMismatch);
    }
    let project = Some(project_id).filter(|p| !p.is_empty());
    let user = state
        .identity
        .user_create(
            &ctx,
            UserCreate {
                name,
                domain_id: None,
                password: Some(SecretString::from(password)),
                enabled: enabled.is_some(),
                email: Some(email).filter(|e| !e.is_empty()),
                description: Some(description).filter(|d| !d.is_empty()),
                default_project_id: project.clone(),
                ..Default::default()
            },
        )
        .await?;
    if let (Some(p), false) = (project, role_id.is_empty()) {
        state
            .identity
            .assignment_grant(
                &ctx,
                Actor::User(user.id.clone()),
                Target::Project(p),
                &role_id,
            )
            .await?;
    }
    Ok(user.id)
}

#[server]
pub async fn update_user(
    id: String,
    name: String,
    email: String,
    description: String,
) -> Result<(), AppError> {
    use crate::server::services::identity::UserUpdate;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state
        .identity
        .user_update(
            &ctx,
            &id,
            UserUpdate {
                name: Some(name),
                email: Some(Some(email).filter(|e| !e.is_empty())),
                description: Some(Some(description).filter(|d| !d.is_empty())),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}

#[server]
pub async fn set_user_password(
    id: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::server::services::identity::UserUpdate;
    use secrecy::SecretString;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    if password != confirm {
        return Err(AppError::PasswordMismatch);
    }
    state
        .identity
        .user_update(
            &ctx,
            &id,
            UserUpdate {
                password: Some(SecretString::from(password)),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}

#[server]
pub async fn set_user_enabled(id: String, enabled: bool) -> Result<(), AppError> {
    use crate::server::services::identity::UserUpdate;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state
        .identity
        .user_update(
            &ctx,
            &id,
            UserUpdate {
                enabled: Some(enabled),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}

#[server]
pub async fn unlock_user(id: String) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state.identity.user_unlock(&ctx, &id).await?;
    Ok(())
}

#[server(input = Json)]
pub async fn delete_users(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.identity.user_delete(&ctx, &id).await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn list_groups(query: ListQuery) -> Result<Page<GroupView>, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let groups: Vec<GroupView> = state
        .identity
        .group_list(&ctx, None, None)
        .await?
        .into_iter()
        .filter(|g| matches(&query.filter, &g.name))
        .map(|g| GroupView {
            id: g.id,
            name: g.name,
            description: g.description,
        })
        .collect();
    Ok(paginate(groups, &query, |g, col| match col {
        "description" => g.description.clone(),
        "id" => g.id.clone(),
        _ => g.name.clone(),
    }))
}

#[server]
pub async fn create_group(name: String, description: String) -> Result<(), AppError> {
    use crate::server::services::identity::GroupCreate;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state
        .identity
        .group_create(
            &ctx,
            GroupCreate {
                name,
                description,
                domain_id: None,
            },
        )
        .await?;
    Ok(())
}

#[server(input = Json)]
pub async fn delete_groups(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.identity.group_delete(&ctx, &id).await?;
    }
    Ok(())
}

/// A group's members as (user id, user name).
#[server]
pub async fn group_members(group_id: String) -> Result<Vec<(String, String)>, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    Ok(state
        .identity
        .group_members(&ctx, &group_id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

#[server]
pub async fn set_group_member(
    group_id: String,
    user_id: String,
    member: bool,
) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    if member {
        state
            .identity
            .group_member_add(&ctx, &group_id, &user_id)
            .await?;
    } else {
        state
            .identity
            .group_member_remove(&ctx, &group_id, &user_id)
            .await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn list_roles(query: ListQuery) -> Result<Page<RoleView>, AppError> {
    use crate::server::services::identity::BUILTIN_ROLES;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let rules = state.identity.implied_role_list(&ctx).await?;
    let roles: Vec<RoleView> = state
        .identity
        .role_list(&ctx, None)
        .await?
        .into_iter()
        .filter(|r| matches(&query.filter, &r.name))
        .map(|r| RoleView {
            implies: rules
                .iter()
                .filter(|(p, _)| p.id == r.id)
                .map(|(_, i)| i.name.clone())
                .collect(),
            builtin: BUILTIN_ROLES.contains(&r.name.as_str()),
            id: r.id,
            name: r.name,
        })
        .collect();
    Ok(paginate(roles, &query, |r, col| match col {
        "id" => r.id.clone(),
        _ => r.name.clone(),
    }))
}

#[server]
pub async fn create_role(name: String) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state
        .identity
        .role_create(&ctx, name, String::new())
        .await?;
    Ok(())
}

#[server(input = Json)]
pub async fn delete_roles(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.identity.role_delete(&ctx, &id).await?;
    }
    Ok(())
}

/// Adds or removes one implication (the implied-roles editor).
#[server]
pub async fn set_implied_role(
    prior_id: String,
    implied_id: String,
    implied: bool,
) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    if implied {
        state
            .identity
            .implied_role_create(&ctx, &prior_id, &implied_id)
            .await?;
    } else {
        state
            .identity
            .implied_role_delete(&ctx, &prior_id, &implied_id)
            .await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn list_app_creds(query: ListQuery) -> Result<Page<AppCredView>, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let user_id = ctx.auth.user_id.clone();
    let creds: Vec<AppCredView> = state
        .identity
        .app_cred_list(&ctx, &user_id, None)
        .await?
        .into_iter()
        .filter(|d| matches(&query.filter, &d.credential.name))
        .map(|d| (d.credential, d.roles))
        .map(|(a, roles)| AppCredView {
            id: a.id,
            name: a.name,
            description: a.description.unwrap_or_default(),
            project_id: a.project_id,
            expires_at: a.expires_at.map(crate::server::time::iso_micros),
            roles: roles.into_iter().map(|r| r.name).collect(),
        })
        .collect();
    Ok(paginate(creds, &query, |a, col| match col {
        "project_id" => a.project_id.clone(),
        "expires_at" => a.expires_at.clone().unwrap_or_default(),
        "id" => a.id.clone(),
        _ => a.name.clone(),
    }))
}

#[server]
pub async fn create_app_cred(
    name: String,
    description: String,
    expires_at: String,
) -> Result<AppCredSecret, AppError> {
    use crate::server::services::identity::AppCredCreate;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let expires_at = match expires_at.trim() {
        "" => None,
        s => Some(crate::server::time::parse_iso(s).ok_or_else(|| {
            AppError::Invalid(msg!("'{s}' is not a date and time (YYYY-MM-DDTHH:MM).", s))
        })?),
    };
    let user_id = ctx.auth.user_id.clone();
    let made = state
        .identity
        .app_cred_create(
            &ctx,
            &user_id,
            AppCredCreate {
                name,
                description: Some(description).filter(|d| !d.is_empty()),
                expires_at,
                ..Default::default()
            },
        )
        .await?;
    Ok(AppCredSecret {
        id: made.credential.id,
        name: made.credential.name,
        secret: made.secret,
    })
}

#[server(input = Json)]
pub async fn delete_app_creds(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let user_id = ctx.auth.user_id.clone();
    for id in ids {
        state.identity.app_cred_delete(&ctx, &user_id, &id).await?;
    }
    Ok(())
}

/// The catalog's endpoints (API Access: the public ones; System Information → Services:
/// all of them).
#[server(input = Json)]
pub async fn list_endpoints(
    query: ListQuery,
    interface: Option<String>,
) -> Result<Page<EndpointView>, AppError> {
    let (state, _ctx) = crate::server::portal::request_ctx().await?;
    let rows = state
        .identity
        .catalog()
        .await?
        .into_iter()
        .flat_map(|s| {
            s.endpoints.into_iter().map(move |e| EndpointView {
                service_name: s.name.clone(),
                service_type: s.service_type.clone(),
                interface: e.interface,
                region: e.region_id.unwrap_or_default(),
                url: e.url,
            })
        })
        .filter(|e| interface.as_ref().is_none_or(|i| *i == e.interface))
        .collect();
    Ok(super::table_page(
        rows,
        &query,
        |e| &e.service_name,
        |e, col| match col {
            "service_type" => e.service_type.clone(),
            _ => e.service_name.clone(),
        },
    ))
}
