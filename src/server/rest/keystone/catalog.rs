//! `/v3/regions`, `/v3/services` and `/v3/endpoints`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::view;
use super::{double_option, member, KsJson, KsResult};
use crate::server::context::OpCtx;
use crate::server::services::identity::{
    Endpoint, EndpointCreate, EndpointUpdate, Region, RegionCreate, Service, ServiceCreate,
    ServiceUpdate,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/regions", get(region_list).post(region_create))
        .route(
            "/v3/regions/{id}",
            get(view::show::<Region>)
                .patch(region_update)
                .delete(view::remove::<Region>),
        )
        .route("/v3/services", get(service_list).post(service_create))
        .route(
            "/v3/services/{id}",
            get(view::show::<Service>)
                .patch(service_update)
                .delete(view::remove::<Service>),
        )
        .route("/v3/endpoints", get(endpoint_list).post(endpoint_create))
        .route(
            "/v3/endpoints/{id}",
            get(view::show::<Endpoint>)
                .patch(endpoint_update)
                .delete(view::remove::<Endpoint>),
        )
}

#[derive(Deserialize)]
struct RegionBody {
    id: Option<String>,
    description: Option<String>,
    parent_region_id: Option<String>,
}

async fn region_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: RegionBody = member(&body, "region")?;
    let r = state
        .identity
        .region_create(
            &ctx,
            RegionCreate {
                id: b.id,
                description: b.description.unwrap_or_default(),
                parent_region_id: b.parent_region_id,
            },
        )
        .await?;
    Ok(view::created(&state, &r))
}

async fn region_list(State(state): State<AppState>, ctx: OpCtx) -> KsResult<Json<Value>> {
    let list = state.identity.region_list(&ctx).await?;
    Ok(view::many(&state, &list))
}

async fn region_update(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let b: RegionBody = member(&body, "region")?;
    let r = state
        .identity
        .region_update(&ctx, &id, b.description)
        .await?;
    Ok(view::one(&state, &r))
}

#[derive(Deserialize)]
struct ServiceBody {
    #[serde(rename = "type")]
    service_type: String,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
struct ServicePatch {
    #[serde(rename = "type")]
    service_type: Option<String>,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

async fn service_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: ServiceBody = member(&body, "service")?;
    let s = state
        .identity
        .service_create(
            &ctx,
            ServiceCreate {
                service_type: b.service_type,
                name: b.name.unwrap_or_default(),
                description: b.description.unwrap_or_default(),
                enabled: b.enabled.unwrap_or(true),
            },
        )
        .await?;
    Ok(view::created(&state, &s))
}

async fn service_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Query(q): Query<HashMap<String, String>>,
) -> KsResult<Json<Value>> {
    let list = state
        .identity
        .service_list(
            &ctx,
            q.get("type").map(String::as_str),
            q.get("name").map(String::as_str),
        )
        .await?;
    Ok(view::many(&state, &list))
}

async fn service_update(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let b: ServicePatch = member(&body, "service")?;
    let s = state
        .identity
        .service_update(
            &ctx,
            &id,
            ServiceUpdate {
                service_type: b.service_type,
                name: b.name,
                description: b.description,
                enabled: b.enabled,
            },
        )
        .await?;
    Ok(view::one(&state, &s))
}

#[derive(Deserialize)]
struct EndpointBody {
    service_id: String,
    interface: String,
    url: String,
    region_id: Option<String>,
    region: Option<String>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
struct EndpointPatch {
    service_id: Option<String>,
    interface: Option<String>,
    url: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    region_id: Option<Option<String>>,
    enabled: Option<bool>,
}

async fn endpoint_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: EndpointBody = member(&body, "endpoint")?;
    let e = state
        .identity
        .endpoint_create(
            &ctx,
            EndpointCreate {
                service_id: b.service_id,
                interface: b.interface,
                region_id: b.region_id.or(b.region),
                url: b.url,
                enabled: b.enabled.unwrap_or(true),
            },
        )
        .await?;
    Ok(view::created(&state, &e))
}

async fn endpoint_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Query(q): Query<HashMap<String, String>>,
) -> KsResult<Json<Value>> {
    let list = state
        .identity
        .endpoint_list(
            &ctx,
            q.get("service_id").map(String::as_str),
            q.get("interface").map(String::as_str),
            q.get("region_id").or(q.get("region")).map(String::as_str),
        )
        .await?;
    Ok(view::many(&state, &list))
}

async fn endpoint_update(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let b: EndpointPatch = member(&body, "endpoint")?;
    let e = state
        .identity
        .endpoint_update(
            &ctx,
            &id,
            EndpointUpdate {
                service_id: b.service_id,
                interface: b.interface,
                region_id: b.region_id,
                url: b.url,
                enabled: b.enabled,
            },
        )
        .await?;
    Ok(view::one(&state, &e))
}
