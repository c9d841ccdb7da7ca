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
    Endpoint, EndpointCreate, EndpointUpdate, IdentityService, Region, RegionCreate, Service,
    ServiceCreate, ServiceUpdate,
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
    parent_region_id: Option<String>,
}

impl Writable for Region {
    type Create = RegionBody;
    type Patch = RegionBody;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: RegionBody) -> Result<Region> {
        let region = RegionCreate {
            id: b.id,
            description: b.description.unwrap_or_default(),
            parent_region_id: b.parent_region_id,
        };
        identity.region_create(ctx, region).await
    }

    async fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        b: RegionBody,
    ) -> Result<Region> {
        identity.region_update(ctx, id, b.description).await
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
        _: &HashMap<String, String>,
    ) -> Result<Vec<Region>> {
        identity.region_list(ctx).await
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
    enabled: Option<bool>,
}

impl Writable for Endpoint {
    type Create = EndpointBody;
    type Patch = EndpointPatch;

    async fn create(identity: &IdentityService, ctx: &OpCtx, b: EndpointBody) -> Result<Endpoint> {
        let endpoint = EndpointCreate {
            service_id: b.service_id,
            interface: b.interface,
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
        let change = EndpointUpdate {
            service_id: b.service_id,
            interface: b.interface,
            region_id: b.region_id,
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
