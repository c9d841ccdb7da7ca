//! `/v3/users` and `/v3/groups`, with group membership and password changes.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use super::view::{self, Listed, Writable};
use super::{double_option, member, KsJson, KsResult};
use crate::server::context::OpCtx;
use crate::server::error::Result;
use crate::server::rest::query_bool;
use crate::server::services::identity::{
    Group, GroupCreate, GroupUpdate, IdentityService, User, UserCreate, UserFilter, UserUpdate,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v3/users",
            get(view::list::<User>).post(view::create::<User>),
        )
        .route(
            "/v3/users/{id}",
            get(view::show::<User>)
                .patch(view::update::<User>)
                .delete(view::remove::<User>),
        )
        .route(
            "/v3/groups",
            get(view::list::<Group>).post(view::create::<Group>),
        )
        .route(
            "/v3/groups/{id}",
            get(view::show::<Group>)
                .patch(view::update::<Group>)
                .delete(view::remove::<Group>),
        )
        .route("/v3/users/{id}/password", post(user_password))
        .route("/v3/users/{id}/projects", get(user_projects))
        .route("/v3/users/{id}/groups", get(user_groups))
        .route("/v3/groups/{id}/users", get(group_users))
        .route(
            "/v3/groups/{id}/users/{user_id}",
            put(member_add).head(member_check).delete(member_remove),
        )
}

#[derive(Deserialize)]
pub(super) struct UserBody {
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
    /// Keystone keeps attributes it does not know and shows them back.
    #[serde(flatten)]
    extra: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
pub(super) struct UserPatch {
    name: Option<String>,
    password: Option<String>,
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    default_project_id: Option<Option<String>>,
    #[serde(flatten)]
    extra: serde_json::Map<String, Value>,
}

/// What a body's `extra` holds, without the attributes Keystone shows but never takes.
fn taken(mut extra: serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    for k in ["id", "links", "options", "password_expires_at", "federated"] {
        extra.remove(k);
    }
    extra
}

impl Writable for User {
    type Create = UserBody;
    type Patch = UserPatch;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: UserBody) -> Result<User> {
        let user = UserCreate {
            name: b.name,
            domain_id: b.domain_id,
            password: b.password.map(SecretString::from),
            enabled: b.enabled.unwrap_or(true),
            email: b.email,
            description: b.description,
            default_project_id: b.default_project_id,
            extra: taken(b.extra),
        };
        identity.user_create(ctx, user).await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: UserPatch,
    ) -> Result<User> {
        let change = UserUpdate {
            name: b.name,
            password: b.password.map(SecretString::from),
            enabled: b.enabled,
            email: b.email,
            description: b.description,
            default_project_id: b.default_project_id,
            extra: taken(b.extra),
        };
        identity.user_update(ctx, id, change).await
    }
}

impl Listed for User {
    async fn list(
        identity: &IdentityService,
        ctx: &OpCtx,
        q: &HashMap<String, String>,
    ) -> Result<Vec<User>> {
        let filter = UserFilter {
            name: q.get("name").cloned(),
            domain_id: q.get("domain_id").cloned(),
            enabled: query_bool(q.get("enabled")),
            ..Default::default()
        };
        Ok(identity.user_list(ctx, filter).await?.users)
    }
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
pub(super) struct GroupBody {
    name: String,
    #[serde(default)]
    domain_id: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct GroupPatch {
    name: Option<String>,
    description: Option<String>,
}

impl Writable for Group {
    type Create = GroupBody;
    type Patch = GroupPatch;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: GroupBody) -> Result<Group> {
        let group = GroupCreate {
            name: b.name,
            domain_id: b.domain_id,
            description: b.description.unwrap_or_default(),
        };
        identity.group_create(ctx, group).await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: GroupPatch,
    ) -> Result<Group> {
        let change = GroupUpdate {
            name: b.name,
            description: b.description,
        };
        identity.group_update(ctx, id, change).await
    }
}

impl Listed for Group {
    async fn list(
        identity: &IdentityService,
        ctx: &OpCtx,
        q: &HashMap<String, String>,
    ) -> Result<Vec<Group>> {
        let (name, domain) = (q.get("name"), q.get("domain_id"));
        identity
            .group_list(ctx, name.map(String::as_str), domain.map(String::as_str))
            .await
    }
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
