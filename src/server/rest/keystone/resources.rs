//! `/v3/domains` and `/v3/projects`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::view::{self, Listed, Writable};
use super::{KsError, KsJson, KsResult};
use crate::server::context::OpCtx;
use crate::server::error::{Error, Result};
use crate::server::rest::query_bool;
use crate::server::services::identity::{
    Domain, DomainCreate, DomainUpdate, IdentityService, Project, ProjectCreate, ProjectFilter,
    ProjectUpdate, TagChange,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v3/domains",
            get(view::list::<Domain>).post(view::create::<Domain>),
        )
        .route(
            "/v3/domains/{id}",
            get(view::show::<Domain>)
                .patch(view::update::<Domain>)
                .delete(view::remove::<Domain>),
        )
        .route(
            "/v3/projects",
            get(view::list::<Project>).post(view::create::<Project>),
        )
        .route(
            "/v3/projects/{id}/tags",
            get(project_tags_list)
                .put(project_tags_replace)
                .delete(project_tags_clear),
        )
        .route(
            "/v3/projects/{id}/tags/{tag}",
            get(project_tag_check)
                .head(project_tag_check)
                .put(project_tag_add)
                .delete(project_tag_remove),
        )
        .route(
            "/v3/projects/{id}",
            get(view::show::<Project>)
                .patch(view::update::<Project>)
                .delete(view::remove::<Project>),
        )
}

#[derive(Deserialize)]
pub(super) struct DomainBody {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct DomainPatch {
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

impl Writable for Domain {
    type Create = DomainBody;
    type Patch = DomainPatch;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: DomainBody) -> Result<Domain> {
        let domain = DomainCreate {
            id: b.id,
            name: b.name,
            description: b.description.unwrap_or_default(),
            enabled: b.enabled.unwrap_or(true),
        };
        identity.domain_create(ctx, domain).await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: DomainPatch,
    ) -> Result<Domain> {
        let change = DomainUpdate {
            name: b.name,
            description: b.description,
            enabled: b.enabled,
        };
        identity.domain_update(ctx, id, change).await
    }
}

impl Listed for Domain {
    async fn list(
        identity: &IdentityService,
        ctx: &OpCtx,
        q: &HashMap<String, String>,
    ) -> Result<Vec<Domain>> {
        let name = q.get("name").map(String::as_str);
        identity
            .domain_list(ctx, name, query_bool(q.get("enabled")))
            .await
    }
}

#[derive(Deserialize)]
pub(super) struct ProjectBody {
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
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct ProjectPatch {
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    tags: Option<Vec<String>>,
}

impl Writable for Project {
    type Create = ProjectBody;
    type Patch = ProjectPatch;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: ProjectBody) -> Result<Project> {
        if b.is_domain == Some(true) {
            return Err(Error::invalid(msg!(
                "Projects acting as domains are not supported; create a domain."
            )));
        }
        let project = ProjectCreate {
            name: b.name,
            domain_id: b.domain_id,
            parent_id: b.parent_id,
            description: b.description.unwrap_or_default(),
            enabled: b.enabled.unwrap_or(true),
            tags: b.tags,
        };
        identity.project_create(ctx, project).await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: ProjectPatch,
    ) -> Result<Project> {
        let change = ProjectUpdate {
            name: b.name,
            description: b.description,
            enabled: b.enabled,
        };
        if let Some(tags) = b.tags {
            identity
                .project_tags_change(ctx, id, TagChange::Replace(tags))
                .await?;
        }
        identity.project_update(ctx, id, change).await
    }
}

impl Listed for Project {
    async fn list(
        identity: &IdentityService,
        ctx: &OpCtx,
        q: &HashMap<String, String>,
    ) -> Result<Vec<Project>> {
        let filter = ProjectFilter {
            name: q.get("name").cloned(),
            domain_id: q.get("domain_id").cloned(),
            parent_id: q.get("parent_id").cloned(),
            enabled: query_bool(q.get("enabled")),
            // Tag filters: `tags` (all of), `tags-any`, `not-tags` (not all of), `not-tags-any`.
            tags: tag_list(q.get("tags")),
            tags_any: tag_list(q.get("tags-any")),
            not_tags: tag_list(q.get("not-tags")),
            not_tags_any: tag_list(q.get("not-tags-any")),
            ..Default::default()
        };
        identity.project_list(ctx, filter).await
    }
}

/// A comma-separated list of tags in a query.
fn tag_list(v: Option<&String>) -> Vec<String> {
    v.map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default()
}

async fn project_tags_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<Json<Value>> {
    let tags = state.identity.project_tags_get(&ctx, &id).await?;
    Ok(Json(json!({ "tags": tags })))
}

#[derive(Deserialize)]
struct TagsBody {
    tags: Vec<String>,
}

async fn project_tags_replace(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let b: TagsBody = serde_json::from_value(body).map_err(|_| {
        KsError(Error::invalid(msg!(
            "The request body needs a list of 'tags'."
        )))
    })?;
    let tags = state
        .identity
        .project_tags_change(&ctx, &id, TagChange::Replace(b.tags))
        .await?;
    Ok(Json(json!({ "tags": tags })))
}

async fn project_tags_clear(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<StatusCode> {
    state
        .identity
        .project_tags_change(&ctx, &id, TagChange::Replace(Vec::new()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn project_tag_check(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((id, tag)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    let tags = state.identity.project_tags_get(&ctx, &id).await?;
    if !tags.contains(&tag) {
        return Err(KsError(Error::not_found("tag", tag)));
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn project_tag_add(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((id, tag)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    state
        .identity
        .project_tags_change(&ctx, &id, TagChange::Add(tag))
        .await?;
    Ok(StatusCode::CREATED)
}

async fn project_tag_remove(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((id, tag)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    state
        .identity
        .project_tags_change(&ctx, &id, TagChange::Remove(tag))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
