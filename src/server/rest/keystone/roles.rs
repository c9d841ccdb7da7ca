//! `/v3/roles`, implied roles, grants on projects and domains, and `/v3/role_assignments`.

use std::collections::HashMap;

use axum::extract::{MatchedPath, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::view::{self, Listed, Writable};
use super::{collection_links, created, KsError, KsResult};
use crate::server::context::OpCtx;
use crate::server::error::{Error, Result};
use crate::server::rest::query_bool;
use crate::server::services::identity::{Actor, AssignmentQuery, IdentityService, Role, Target};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route(
            "/v3/roles",
            get(view::list::<Role>).post(view::create::<Role>),
        )
        .route(
            "/v3/roles/{id}",
            get(view::show::<Role>)
                .patch(view::update::<Role>)
                .delete(view::remove::<Role>),
        );
    // Grants: explicit routes per (target, actor) pair; the handlers read the kinds back
    // from the matched path.
    for (target, actor) in [
        ("projects/{target_id}", "users"),
        ("projects/{target_id}", "groups"),
        ("domains/{target_id}", "users"),
        ("domains/{target_id}", "groups"),
        ("system", "users"),
        ("system", "groups"),
    ] {
        router = router
            .route(
                &format!("/v3/{target}/{actor}/{{actor_id}}/roles"),
                get(grant_list),
            )
            .route(
                &format!("/v3/{target}/{actor}/{{actor_id}}/roles/{{role_id}}"),
                put(grant_create)
                    .head(grant_check)
                    .get(grant_check)
                    .delete(grant_delete),
            );
    }
    // Inherited grants (OS-INHERIT): on every project of a domain, or below a project.
    router
        .route(
            "/v3/OS-INHERIT/domains/{target_id}/users/{actor_id}/roles/inherited_to_projects",
            get(grant_list),
        )
        .route(
            "/v3/OS-INHERIT/domains/{target_id}/groups/{actor_id}/roles/inherited_to_projects",
            get(grant_list),
        )
        .route(
            "/v3/OS-INHERIT/domains/{target_id}/users/{actor_id}/roles/{role_id}/inherited_to_projects",
            put(grant_create)
                .head(grant_check)
                .get(grant_check)
                .delete(grant_delete),
        )
        .route(
            "/v3/OS-INHERIT/domains/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
            put(grant_create)
                .head(grant_check)
                .get(grant_check)
                .delete(grant_delete),
        )
        .route(
            "/v3/OS-INHERIT/projects/{target_id}/users/{actor_id}/roles/{role_id}/inherited_to_projects",
            put(grant_create)
                .head(grant_check)
                .get(grant_check)
                .delete(grant_delete),
        )
        .route(
            "/v3/OS-INHERIT/projects/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
            put(grant_create)
                .head(grant_check)
                .get(grant_check)
                .delete(grant_delete),
        )
        .route("/v3/roles/{id}/implies", get(implies_list))
        .route(
            "/v3/roles/{id}/implies/{implied}",
            put(implies_create)
                .get(implies_get)
                .head(implies_check)
                .delete(implies_delete),
        )
        .route("/v3/role_inferences", get(inferences))
        .route("/v3/role_assignments", get(assignment_list))
}

#[derive(Deserialize)]
pub(super) struct RoleBody {
    name: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RolePatch {
    name: Option<String>,
    description: Option<String>,
}

impl Writable for Role {
    type Create = RoleBody;
    type Patch = RolePatch;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: RoleBody) -> Result<Role> {
        let description = b.description.unwrap_or_default();
        identity.role_create(ctx, b.name, description).await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: RolePatch,
    ) -> Result<Role> {
        identity.role_update(ctx, id, b.name, b.description).await
    }
}

impl Listed for Role {
    async fn list(
        identity: &IdentityService,
        ctx: &OpCtx,
        q: &HashMap<String, String>,
    ) -> Result<Vec<Role>> {
        identity
            .role_list(ctx, q.get("name").map(String::as_str))
            .await
    }
}

async fn implies_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((prior, implied)): Path<(String, String)>,
) -> KsResult<Response> {
    let (p, i) = state
        .identity
        .implied_role_create(&ctx, &prior, &implied)
        .await?;
    Ok(created(view::inference_view(
        &state,
        &p,
        view::role_ref(&state, &i),
    )))
}

async fn implies_get(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((prior, implied)): Path<(String, String)>,
) -> KsResult<Json<Value>> {
    let (p, i) = state
        .identity
        .implied_role_get(&ctx, &prior, &implied)
        .await?;
    Ok(Json(view::inference_view(
        &state,
        &p,
        view::role_ref(&state, &i),
    )))
}

async fn implies_check(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((prior, implied)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    state
        .identity
        .implied_role_get(&ctx, &prior, &implied)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn implies_delete(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((prior, implied)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    state
        .identity
        .implied_role_delete(&ctx, &prior, &implied)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn implies_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(prior): Path<String>,
) -> KsResult<Json<Value>> {
    let role = state.identity.role_get(&ctx, &prior).await?;
    let rules: Vec<(Role, Role)> = state
        .identity
        .implied_role_list(&ctx)
        .await?
        .into_iter()
        .filter(|(p, _)| p.id == prior)
        .collect();
    let implies: Vec<_> = rules
        .iter()
        .map(|(_, i)| view::role_ref(&state, i))
        .collect();
    Ok(Json(view::inference_view(&state, &role, implies)))
}

async fn inferences(State(state): State<AppState>, ctx: OpCtx) -> KsResult<Json<Value>> {
    let rules = state.identity.implied_role_list(&ctx).await?;
    Ok(Json(view::inferences_view(&state, &rules)))
}

/// A grant's path parameters: `target_id` (none on the system), `actor_id`, `role_id`.
type GrantPath = Path<HashMap<String, String>>;

/// The target and actor a grant's path names: "/identity/v3/{target}/{target_id}/{actor}/
/// {actor_id}/roles…", or "/identity/v3/system/{actor}/{actor_id}/roles…".
fn parts(matched: &MatchedPath, params: &HashMap<String, String>) -> KsResult<(Target, Actor)> {
    let segments: Vec<&str> = matched
        .as_str()
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut at = segments.iter().position(|s| *s == "v3").unwrap_or(0);
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    let not_found = || KsError(Error::not_found("resource", "the requested URL"));
    let inherited = segments.get(at + 1) == Some(&"OS-INHERIT");
    if inherited {
        at += 1;
    }
    let (target, actor_at) = match (segments.get(at + 1).copied(), inherited) {
        (Some("projects"), false) => (Target::Project(param("target_id")), at + 3),
        (Some("domains"), false) => (Target::Domain(param("target_id")), at + 3),
        (Some("system"), false) => (Target::System, at + 2),
        (Some("projects"), true) => (Target::Subprojects(param("target_id")), at + 3),
        (Some("domains"), true) => (Target::DomainProjects(param("target_id")), at + 3),
        _ => return Err(not_found()),
    };
    let actor = match segments.get(actor_at).copied() {
        Some("users") => Actor::User(param("actor_id")),
        Some("groups") => Actor::Group(param("actor_id")),
        _ => return Err(not_found()),
    };
    Ok((target, actor))
}

fn role_param(params: &HashMap<String, String>) -> &str {
    params
        .get("role_id")
        .map(String::as_str)
        .unwrap_or_default()
}

async fn grant_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    matched: MatchedPath,
    Path(params): GrantPath,
) -> KsResult<StatusCode> {
    let (target, actor) = parts(&matched, &params)?;
    state
        .identity
        .assignment_grant(&ctx, actor, target, role_param(&params))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn grant_check(
    State(state): State<AppState>,
    ctx: OpCtx,
    matched: MatchedPath,
    Path(params): GrantPath,
) -> KsResult<StatusCode> {
    let (target, actor) = parts(&matched, &params)?;
    state
        .identity
        .assignment_check(&ctx, actor, target, role_param(&params))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn grant_delete(
    State(state): State<AppState>,
    ctx: OpCtx,
    matched: MatchedPath,
    Path(params): GrantPath,
) -> KsResult<StatusCode> {
    let (target, actor) = parts(&matched, &params)?;
    state
        .identity
        .assignment_revoke(&ctx, actor, target, role_param(&params))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn grant_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    matched: MatchedPath,
    Path(params): GrantPath,
) -> KsResult<Json<Value>> {
    let path = matched
        .as_str()
        .split("/v3/")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let (target, actor) = parts(&matched, &params)?;
    let roles = state.identity.assignment_roles(&ctx, actor, target).await?;
    Ok(view::many_at(&state, &roles, &path))
}

async fn assignment_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Query(q): Query<HashMap<String, String>>,
) -> KsResult<Json<Value>> {
    let query = AssignmentQuery {
        user_id: q.get("user.id").cloned(),
        group_id: q.get("group.id").cloned(),
        role_id: q.get("role.id").cloned(),
        project_id: q.get("scope.project.id").cloned(),
        domain_id: q.get("scope.domain.id").cloned(),
        system: q.get("scope.system").is_some_and(|s| s == "all"),
        effective: query_bool(q.get("effective")).unwrap_or(false),
    };
    if query.effective && query.group_id.is_some() {
        return Err(KsError(Error::invalid(msg!(
            "Combining effective and group filter will always result in an empty list."
        ))));
    }
    let include_names = query_bool(q.get("include_names")).unwrap_or(false);
    let list = state.identity.assignment_list(&ctx, query).await?;
    let names = if include_names {
        Some(state.identity.assignment_names(&ctx, &list).await?)
    } else {
        None
    };
    let rows: Vec<Value> = list
        .iter()
        .map(|a| view::assignment_view(&state, a, names.as_ref()))
        .collect();
    Ok(Json(
        json!({"role_assignments": rows, "links": collection_links(&state, "role_assignments")}),
    ))
}
