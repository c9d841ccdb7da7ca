//! `/v3/domains` and `/v3/projects`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::view;
use super::{member, KsJson, KsResult};
use crate::server::context::OpCtx;
use crate::server::rest::query_bool;
use crate::server::services::identity::{
    Domain, DomainCreate, DomainUpdate, Project, ProjectCreate, ProjectFilter, ProjectUpdate,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/domains", get(domain_list).post(domain_create))
        .route(
            "/v3/domains/{id}",
            get(view::show::<Domain>)
                .patch(domain_update)
                .delete(view::remove::<Domain>),
        )
        .route("/v3/projects", get(project_list).post(project_create))
        .route(
            "/v3/projects/{id}",
            get(view::show::<Project>)
                .patch(project_update)
                .delete(view::remove::<Project>),
        )
}

#[derive(Deserialize)]
struct DomainBody {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

#[derive(Deserialize)]
struct DomainPatch {
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

async fn domain_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: DomainBody = member(&body, "domain")?;
    let d = state
        .identity
        .domain_create(
            &ctx,
            DomainCreate {
                id: b.id,
                name: b.name,
                description: b.description.unwrap_or_default(),
                enabled: b.enabled.unwrap_or(true),
            },
        )
        .await?;
    Ok(view::created(&state, &d))
}

async fn domain_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Query(q): Query<HashMap<String, String>>,
) -> KsResult<Json<Value>> {
    let list = state
        .identity
        .domain_list(
            &ctx,
            q.get("name").map(String::as_str),
            query_bool(q.get("enabled")),
        )
        .await?;
    Ok(view::many(&state, &list))
}

async fn domain_update(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let b: DomainPatch = member(&body, "domain")?;
    let d = state
        .identity
        .domain_update(
            &ctx,
            &id,
            DomainUpdate {
                name: b.name,
                description: b.description,
                enabled: b.enabled,
            },
        )
        .await?;
    Ok(view::one(&state, &d))
}

#[derive(Deserialize)]
struct ProjectBody {
    name: String,
    #[serde(default)]
    domain_id: Option<String>,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    is_domain: Option<bool>,
}

#[derive(Deserialize)]
struct ProjectPatch {
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

async fn project_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: ProjectBody = member(&body, "project")?;
    if b.is_domain == Some(true) {
        return Err(crate::server::error::Error::invalid(
            "Projects acting as domains are not supported; create a domain.",
        )
        .into());
    }
    let p = state
        .identity
        .project_create(
            &ctx,
            ProjectCreate {
                name: b.name,
                domain_id: b.domain_id,
                parent_id: b.parent_id,
                description: b.description.unwrap_or_default(),
                enabled: b.enabled.unwrap_or(true),
            },
        )
        .await?;
    Ok(view::created(&state, &p))
}

async fn project_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Query(q): Query<HashMap<String, String>>,
) -> KsResult<Json<Value>> {
    let filter = ProjectFilter {
        name: q.get("name").cloned(),
        domain_id: q.get("domain_id").cloned(),
        parent_id: q.get("parent_id").cloned(),
        enabled: query_bool(q.get("enabled")),
        ..Default::default()
    };
    let list = state.identity.project_list(&ctx, filter).await?;
    Ok(view::many(&state, &list))
}

async fn project_update(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let b: ProjectPatch = member(&body, "project")?;
    let p = state
        .identity
        .project_update(
            &ctx,
            &id,
            ProjectUpdate {
                name: b.name,
                description: b.description,
                enabled: b.enabled,
            },
        )
        .await?;
    Ok(view::one(&state, &p))
}
