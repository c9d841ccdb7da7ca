//! `/v3/regions`, `/v3/services` and `/v3/endpoints`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::Value;

use super::view::{self, Listed, Writable};
use super::{double_option, member, KsError, KsJson, KsResult};
use crate::server::context::OpCtx;
use crate::server::error::{Error, Result};
use crate::server::services::identity::{
    Endpoint, EndpointCreate, EndpointFilters, EndpointGroup, EndpointUpdate, IdentityService,
    Policy, Region, RegionCreate, Service, ServiceCreate, ServiceUpdate,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v3/regions",
            get(view::list::<Region>).post(view::create::<Region>),
        )
        .route(
            "/v3/regions/{id}",
            get(view::show::<Region>)
                .put(region_create_with_id)
                .patch(view::update::<Region>)
                .delete(view::remove::<Region>),
        )
        .route(
            "/v3/services",
            get(view::list::<Service>).post(view::create::<Service>),
        )
        .route(
            "/v3/services/{id}",
            get(view::show::<Service>)
                .patch(view::update::<Service>)
                .delete(view::remove::<Service>),
        )
        .route(
            "/v3/policies",
            get(view::list::<Policy>).post(view::create::<Policy>),
        )
        .route(
            "/v3/policies/{id}",
            get(view::show::<Policy>)
                .patch(view::update::<Policy>)
                .delete(view::remove::<Policy>),
        )
        .route(
            "/v3/OS-EP-FILTER/endpoint_groups",
            get(endpoint_group_list).post(endpoint_group_create),
        )
        .route(
            "/v3/OS-EP-FILTER/endpoint_groups/{id}",
            get(view::show::<EndpointGroup>)
                .patch(view::update::<EndpointGroup>)
                .delete(view::remove::<EndpointGroup>),
        )
        .route(
            "/v3/OS-EP-FILTER/endpoint_groups/{id}/endpoints",
            get(endpoint_group_endpoints),
        )
        .route(
            "/v3/OS-EP-FILTER/endpoint_groups/{id}/projects",
            get(endpoint_group_projects),
        )
        .route(
            "/v3/OS-EP-FILTER/endpoint_groups/{id}/projects/{project_id}",
            get(endpoint_group_project_check)
                .put(endpoint_group_project_add)
                .delete(endpoint_group_project_remove),
        )
        .route(
            "/v3/OS-EP-FILTER/projects/{project_id}/endpoint_groups",
            get(project_endpoint_groups),
        )
        .route(
            "/v3/endpoints",
            get(view::list::<Endpoint>).post(view::create::<Endpoint>),
        )
        .route(
            "/v3/endpoints/{id}",
            get(view::show::<Endpoint>)
                .patch(view::update::<Endpoint>)
                .delete(view::remove::<Endpoint>),
        )
}

#[derive(Deserialize)]
pub(super) struct RegionBody {
    id: Option<String>,
    description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    parent_region_id: Option<Option<String>>,
}

impl Writable for Region {
    type Create = RegionBody;
    type Patch = RegionBody;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: RegionBody) -> Result<Region> {
        let region = RegionCreate {
            id: b.id,
            description: b.description.unwrap_or_default(),
            parent_region_id: b.parent_region_id.flatten(),
        };
        identity.region_create(ctx, region).await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: RegionBody,
    ) -> Result<Region> {
        identity
            .region_update(ctx, id, b.description, b.parent_region_id)
            .await
    }
}

/// `PUT /v3/regions/{id}`: a region with the id the caller chose (its body may repeat
/// it, but not name another).
async fn region_create_with_id(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: RegionBody = member(&body, "region")?;
    if b.id.as_ref().is_some_and(|given| given != &id) {
        return Err(KsError(Error::invalid(msg!(
            "Conflicting region IDs specified: \"{id}\" (in the path) and \"{given}\" (in the body).",
            id,
            given = b.id.unwrap_or_default()
        ))));
    }
    let region = Region::create(&state.identity, &ctx, RegionBody { id: Some(id), ..b }).await?;
    Ok(view::created(&state, &region))
}

impl Listed for Region {
    async fn list(
        identity: &IdentityService,
        ctx: &OpCtx,
        q: &HashMap<String, String>,
    ) -> Result<Vec<Region>> {
        identity
            .region_list(ctx, q.get("parent_region_id").map(String::as_str))
            .await
    }
}

#[derive(Deserialize)]
pub(super) struct ServiceBody {
    #[serde(rename = "type")]
    service_type: String,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct ServicePatch {
    #[serde(rename = "type")]
    service_type: Option<String>,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

impl Writable for Service {
    type Create = ServiceBody;
    type Patch = ServicePatch;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: ServiceBody) -> Result<Service> {
        let service = ServiceCreate {
            service_type: b.service_type,
            name: b.name.unwrap_or_default(),
            description: b.description.unwrap_or_default(),
            enabled: b.enabled.unwrap_or(true),
        };
        identity.service_create(ctx, service).await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: ServicePatch,
    ) -> Result<Service> {
        let change = ServiceUpdate {
            service_type: b.service_type,
            name: b.name,
            description: b.description,
            enabled: b.enabled,
        };
        identity.service_update(ctx, id, change).await
    }
}

impl Listed for Service {
    async fn list(
        identity: &IdentityService,
        ctx: &OpCtx,
        q: &HashMap<String, String>,
    ) -> Result<Vec<Service>> {
        let (kind, name) = (q.get("type"), q.get("name"));
        identity
            .service_list(ctx, kind.map(String::as_str), name.map(String::as_str))
            .await
    }
}

#[derive(Deserialize)]
pub(super) struct EndpointBody {
    service_id: String,
    interface: String,
    url: String,
    region_id: Option<String>,
    region: Option<String>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct EndpointPatch {
    service_id: Option<String>,
    interface: Option<String>,
    url: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    region_id: Option<Option<String>>,
    region: Option<String>,
    enabled: Option<bool>,
}

impl Writable for Endpoint {
    type Create = EndpointBody;
    type Patch = EndpointPatch;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: EndpointBody) -> Result<Endpoint> {
        let endpoint = EndpointCreate {
            service_id: b.service_id,
            interface: b.interface,
            // The v2-style `region` names a region that is made when it is missing.
            create_region: b.region_id.is_none() && b.region.is_some(),
            region_id: b.region_id.or(b.region),
            url: b.url,
            enabled: b.enabled.unwrap_or(true),
        };
        identity.endpoint_create(ctx, endpoint).await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: EndpointPatch,
    ) -> Result<Endpoint> {
        // The v2-style `region` names a region that is made when it is missing.
        let create_region = b.region_id.is_none() && b.region.is_some();
        let change = EndpointUpdate {
            service_id: b.service_id,
            interface: b.interface,
            region_id: b.region_id.or(b.region.map(Some)),
            create_region,
            url: b.url,
            enabled: b.enabled,
        };
        identity.endpoint_update(ctx, id, change).await
    }
}

impl Listed for Endpoint {
    async fn list(
        identity: &IdentityService,
        ctx: &OpCtx,
        q: &HashMap<String, String>,
    ) -> Result<Vec<Endpoint>> {
        let region = q.get("region_id").or(q.get("region"));
        identity
            .endpoint_list(
                ctx,
                q.get("service_id").map(String::as_str),
                q.get("interface").map(String::as_str),
                region.map(String::as_str),
            )
            .await
    }
}

#[derive(Deserialize)]
pub(super) struct PolicyBody {
    #[serde(rename = "type")]
    policy_type: Option<String>,
    blob: Option<String>,
}

impl Writable for Policy {
    type Create = PolicyBody;
    type Patch = PolicyBody;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: PolicyBody) -> Result<Policy> {
        let (Some(policy_type), Some(blob)) = (b.policy_type, b.blob) else {
            return Err(Error::invalid(msg!(
                "Invalid input for a policy: 'type' and 'blob' are required."
            )));
        };
        identity.policy_create(ctx, policy_type, blob).await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: PolicyBody,
    ) -> Result<Policy> {
        identity.policy_update(ctx, id, b.policy_type, b.blob).await
    }
}

impl Listed for Policy {
    async fn list(
        identity: &IdentityService,
        ctx: &OpCtx,
        q: &HashMap<String, String>,
    ) -> Result<Vec<Policy>> {
        identity
            .policy_list(ctx, q.get("type").map(String::as_str))
            .await
    }
}

#[derive(Deserialize)]
pub(super) struct EndpointGroupBody {
    name: Option<String>,
    description: Option<String>,
    filters: Option<EndpointFilters>,
}

impl Writable for EndpointGroup {
    type Create = EndpointGroupBody;
    type Patch = EndpointGroupBody;

    async fn create(
        identity: &IdentityService,
        ctx: &OpCtx,
        b: EndpointGroupBody,
    ) -> Result<EndpointGroup> {
        let name = b.name.ok_or_else(|| {
            Error::invalid(msg!("Invalid input for field 'name': the value is empty."))
        })?;
        identity
            .endpoint_group_create(
                ctx,
                name,
                b.description.unwrap_or_default(),
                b.filters.unwrap_or_default(),
            )
            .await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: EndpointGroupBody,
    ) -> Result<EndpointGroup> {
        identity
            .endpoint_group_update(ctx, id, b.name, b.description, b.filters)
            .await
    }
}

/// The groups live under `OS-EP-FILTER`, so their list links point there.
async fn endpoint_group_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> KsResult<axum::Json<Value>> {
    let list = state
        .identity
        .endpoint_group_list(&ctx, q.get("name").map(String::as_str))
        .await?;
    Ok(view::many_at(&state, &list, "OS-EP-FILTER/endpoint_groups"))
}

async fn endpoint_group_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: EndpointGroupBody = member(&body, "endpoint_group")?;
    let g = EndpointGroup::create(&state.identity, &ctx, b).await?;
    Ok(view::created(&state, &g))
}

async fn endpoint_group_endpoints(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<axum::Json<Value>> {
    let list = state.identity.endpoint_group_endpoints(&ctx, &id).await?;
    Ok(view::many_at(
        &state,
        &list,
        &format!("OS-EP-FILTER/endpoint_groups/{id}/endpoints"),
    ))
}

async fn endpoint_group_projects(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<axum::Json<Value>> {
    let ids = state.identity.endpoint_group_projects(&ctx, &id).await?;
    let mut projects = Vec::with_capacity(ids.len());
    for p in ids {
        projects.push(state.identity.project_get(&ctx, &p).await?);
    }
    Ok(view::many_at(
        &state,
        &projects,
        &format!("OS-EP-FILTER/endpoint_groups/{id}/projects"),
    ))
}

async fn project_endpoint_groups(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(project_id): Path<String>,
) -> KsResult<axum::Json<Value>> {
    let list = state
        .identity
        .project_endpoint_groups(&ctx, &project_id)
        .await?;
    Ok(view::many_at(
        &state,
        &list,
        &format!("OS-EP-FILTER/projects/{project_id}/endpoint_groups"),
    ))
}

async fn endpoint_group_project_check(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((id, project_id)): Path<(String, String)>,
) -> KsResult<axum::http::StatusCode> {
    state
        .identity
        .endpoint_group_project(&ctx, &id, &project_id, None)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

async fn endpoint_group_project_add(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((id, project_id)): Path<(String, String)>,
) -> KsResult<axum::http::StatusCode> {
    state
        .identity
        .endpoint_group_project(&ctx, &id, &project_id, Some(true))
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

async fn endpoint_group_project_remove(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((id, project_id)): Path<(String, String)>,
) -> KsResult<axum::http::StatusCode> {
    state
        .identity
        .endpoint_group_project(&ctx, &id, &project_id, Some(false))
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
