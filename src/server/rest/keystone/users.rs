//! `/v3/users` and `/v3/groups`, with group membership and password changes.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use super::view;
use super::{double_option, member, KsJson, KsResult};
use crate::server::context::OpCtx;
use crate::server::rest::query_bool;
use crate::server::services::identity::{
    Group, GroupCreate, GroupUpdate, User, UserCreate, UserFilter, UserUpdate,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/users", get(user_list).post(user_create))
        .route(
            "/v3/users/{id}",
            get(view::show::<User>)
                .patch(user_update)
                .delete(view::remove::<User>),
        )
        .route("/v3/users/{id}/password", post(user_password))
        .route("/v3/users/{id}/projects", get(user_projects))
        .route("/v3/users/{id}/groups", get(user_groups))
        .route("/v3/groups", get(group_list).post(group_create))
        .route(
            "/v3/groups/{id}",
            get(view::show::<Group>)
                .patch(group_update)
                .delete(view::remove::<Group>),
        )
        .route("/v3/groups/{id}/users", get(group_users))
        .route(
            "/v3/groups/{id}/users/{user_id}",
            put(member_add).head(member_check).delete(member_remove),
        )
}

#[derive(Deserialize)]
struct UserBody {
    name: String,
    #[serde(default)]
    domain_id: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    default_project_id: Option<String>,
}

#[derive(Deserialize)]
struct UserPatch {
    name: Option<String>,
    password: Option<String>,
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    default_project_id: Option<Option<String>>,
}

async fn user_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: UserBody = member(&body, "user")?;
    let u = state
        .identity
        .user_create(
            &ctx,
            UserCreate {
                name: b.name,
                domain_id: b.domain_id,
                password: b.password.map(SecretString::from),
                enabled: b.enabled.unwrap_or(true),
                email: b.email,
                description: b.description,
                default_project_id: b.default_project_id,
            },
        )
        .await?;
    Ok(view::created(&state, &u))
}

async fn user_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Query(q): Query<HashMap<String, String>>,
) -> KsResult<Json<Value>> {
    let filter = UserFilter {
        name: q.get("name").cloned(),
        domain_id: q.get("domain_id").cloned(),
        enabled: query_bool(q.get("enabled")),
        ..Default::default()
    };
    let page = state.identity.user_list(&ctx, filter).await?;
    Ok(view::many(&state, &page.users))
}

async fn user_update(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let b: UserPatch = member(&body, "user")?;
    let u = state
        .identity
        .user_update(
            &ctx,
            &id,
            UserUpdate {
                name: b.name,
                password: b.password.map(SecretString::from),
                enabled: b.enabled,
                email: b.email,
                description: b.description,
                default_project_id: b.default_project_id,
            },
        )
        .await?;
    Ok(view::one(&state, &u))
}

#[derive(Deserialize)]
struct PasswordChange {
    original_password: String,
    password: String,
}

async fn user_password(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<StatusCode> {
    let b: PasswordChange = member(&body, "user")?;
    state
        .identity
        .user_change_password(
            &ctx,
            &id,
            SecretString::from(b.original_password),
            SecretString::from(b.password),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn user_projects(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<Json<Value>> {
    let list = state.identity.user_projects(&ctx, &id).await?;
    Ok(view::many_at(
        &state,
        &list,
        &format!("users/{id}/projects"),
    ))
}

async fn user_groups(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<Json<Value>> {
    let list = state.identity.user_groups(&ctx, &id).await?;
    Ok(view::many_at(&state, &list, &format!("users/{id}/groups")))
}

#[derive(Deserialize)]
struct GroupBody {
    name: String,
    #[serde(default)]
    domain_id: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct GroupPatch {
    name: Option<String>,
    description: Option<String>,
}

async fn group_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: GroupBody = member(&body, "group")?;
    let g = state
        .identity
        .group_create(
            &ctx,
            GroupCreate {
                name: b.name,
                domain_id: b.domain_id,
                description: b.description.unwrap_or_default(),
            },
        )
        .await?;
    Ok(view::created(&state, &g))
}

async fn group_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Query(q): Query<HashMap<String, String>>,
) -> KsResult<Json<Value>> {
    let list = state
        .identity
        .group_list(
            &ctx,
            q.get("name").map(String::as_str),
            q.get("domain_id").map(String::as_str),
        )
        .await?;
    Ok(view::many(&state, &list))
}

async fn group_update(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let b: GroupPatch = member(&body, "group")?;
    let g = state
        .identity
        .group_update(
            &ctx,
            &id,
            GroupUpdate {
                name: b.name,
                description: b.description,
            },
        )
        .await?;
    Ok(view::one(&state, &g))
}

async fn group_users(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<Json<Value>> {
    let list = state.identity.group_members(&ctx, &id).await?;
    Ok(view::many_at(&state, &list, &format!("groups/{id}/users")))
}

async fn member_add(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((g, u)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    state.identity.group_member_add(&ctx, &g, &u).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn member_check(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((g, u)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    state.identity.group_member_check(&ctx, &g, &u).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn member_remove(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((g, u)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    state.identity.group_member_remove(&ctx, &g, &u).await?;
    Ok(StatusCode::NO_CONTENT)
}
