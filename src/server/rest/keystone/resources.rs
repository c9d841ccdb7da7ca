//! `/v3/domains` and `/v3/projects`.

use std::collections::HashMap;

use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::view::{self, Listed, Writable};
use crate::server::context::OpCtx;
use crate::server::error::{Error, Result};
use crate::server::rest::query_bool;
use crate::server::services::identity::{
    Domain, DomainCreate, DomainUpdate, IdentityService, Project, ProjectCreate, ProjectFilter,
    ProjectUpdate,
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
}

#[derive(Deserialize)]
pub(super) struct ProjectPatch {
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
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
            ..Default::default()
        };
        identity.project_list(ctx, filter).await
    }
}
