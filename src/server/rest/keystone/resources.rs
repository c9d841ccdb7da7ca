//! `/v3/domains` and `/v3/projects`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{collection_links, created, links, member, KsJson, KsResult};
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
            get(domain_get).patch(domain_update).delete(domain_delete),
        )
        .route("/v3/projects", get(project_list).post(project_create))
        .route(
            "/v3/projects/{id}",
            get(project_get)
                .patch(project_update)
                .delete(project_delete),
        )
}

pub fn domain_json(state: &AppState, d: &Domain) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "description": d.description,
        "enabled": d.enabled != 0,
        "tags": [],
        "options": {},
        "links": links(state, &format!("domains/{}", d.id)),
    })
}

pub fn project_json(state: &AppState, p: &Project) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "domain_id": p.domain_id,
        // Keystone reports a top-level project's domain as its parent.
        "parent_id": p.parent_id.clone().unwrap_or_else(|| p.domain_id.clone()),
        "description": p.description,
        "enabled": p.enabled != 0,
        "is_domain": false,
        "tags": [],
        "options": {},
        "links": links(state, &format!("projects/{}", p.id)),
    })
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
    Ok(created(json!({"domain": domain_json(&state, &d)})))
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
    Ok(Json(json!({
        "domains": list.iter().map(|d| domain_json(&state, d)).collect::<Vec<_>>(),
        "links": collection_links(&state, "domains"),
    })))
}

async fn domain_get(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<Json<Value>> {
    let d = state.identity.domain_get(&ctx, &id).await?;
    Ok(Json(json!({"domain": domain_json(&state, &d)})))
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
    Ok(Json(json!({"domain": domain_json(&state, &d)})))
}

async fn domain_delete(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<StatusCode> {
    state.identity.domain_delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
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
    Ok(created(json!({"project": project_json(&state, &p)})))
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
    Ok(Json(json!({
        "projects": list.iter().map(|p| project_json(&state, p)).collect::<Vec<_>>(),
        "links": collection_links(&state, "projects"),
    })))
}

async fn project_get(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<Json<Value>> {
    let p = state.identity.project_get(&ctx, &id).await?;
    Ok(Json(json!({"project": project_json(&state, &p)})))
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
    Ok(Json(json!({"project": project_json(&state, &p)})))
}

async fn project_delete(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<StatusCode> {
    state.identity.project_delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
