//! Hypervisors, compute services, availability zones, and the nova-network `os-networks` listing.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::view::{availability_zones_view, hypervisor_view, service_view, statistics_view};
use super::{str_field, NJson, NResult, Nova, NovaError};
use crate::server::error::Error;
use crate::server::rest::query_bool;
use crate::server::services::compute::{HostedServer, Hypervisor, HypervisorUsage};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-hypervisors", get(hypervisor_list))
        .route("/os-hypervisors/detail", get(hypervisor_detail))
        .route("/os-hypervisors/statistics", get(hypervisor_statistics))
        .route("/os-hypervisors/{id}", get(hypervisor_show))
        .route("/os-hypervisors/{id}/uptime", get(hypervisor_uptime))
        .route("/os-services", get(service_list))
        .route("/os-services/{id}", put(service_update))
        .route("/os-availability-zone", get(availability_zones))
        .route(
            "/os-availability-zone/detail",
            get(availability_zones_detail),
        )
        .route("/os-networks", get(networks))
}

/// The instances on each hypervisor, when the caller asks (`with_servers=true`, 2.53).
async fn hosted(
    state: &AppState,
    nova: &Nova,
    q: &HashMap<String, String>,
) -> NResult<Option<Vec<HostedServer>>> {
    if !nova.mv.at_least(53) || query_bool(q.get("with_servers")) != Some(true) {
        return Ok(None);
    }
    Ok(Some(state.compute.hypervisor_servers(&nova.ctx).await?))
}

async fn hypervisors(
    state: AppState,
    nova: Nova,
    q: HashMap<String, String>,
    detail: bool,
) -> NResult<Json<Value>> {
    let list = state.compute.hypervisors(&nova.ctx).await?;
    let servers = hosted(&state, &nova, &q).await?;
    let uptime = uptime_in_view(&state, &nova, detail).await?;
    let views: Vec<Value> = list
        .iter()
        .map(|(h, used)| {
            hypervisor_view(
                h,
                used,
                servers.as_deref(),
                uptime.as_deref(),
                nova.mv,
                detail,
            )
        })
        .collect();
    Ok(Json(json!({ "hypervisors": views })))
}

/// The host's uptime where a hypervisor's detail shows it (2.88 and later).
async fn uptime_in_view(state: &AppState, nova: &Nova, detail: bool) -> NResult<Option<String>> {
    if !detail || !nova.mv.at_least(88) {
        return Ok(None);
    }
    Ok(Some(state.compute.hypervisor_uptime(&nova.ctx).await?))
}

/// `/os-hypervisors/{id}/uptime`, before 2.88 folded it into the hypervisor's detail.
async fn hypervisor_uptime(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    if nova.mv.at_least(88) {
        return Err(NovaError(Error::not_found(
            "resource",
            "os-hypervisors/{id}/uptime (removed in microversion 2.88)",
        )));
    }
    let (h, _) = find_hypervisor(&state, &nova, &id).await?;
    let uptime = state.compute.hypervisor_uptime(&nova.ctx).await?;
    let mut view = hypervisor_view(&h, &Default::default(), None, None, nova.mv, false);
    view["uptime"] = uptime.into();
    Ok(Json(json!({ "hypervisor": view })))
}

async fn find_hypervisor(
    state: &AppState,
    nova: &Nova,
    id: &str,
) -> NResult<(Hypervisor, HypervisorUsage)> {
    let list = state.compute.hypervisors(&nova.ctx).await?;
    list.into_iter()
        .find(|(h, _)| h.id == id || h.num.to_string() == id)
        .ok_or_else(|| {
            NovaError(Error::NotFound {
                kind: "hypervisor",
                id: id.to_string(),
            })
        })
}

async fn hypervisor_list(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<HashMap<String, String>>,
) -> NResult<Json<Value>> {
    hypervisors(state, nova, q, false).await
}

async fn hypervisor_detail(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<HashMap<String, String>>,
) -> NResult<Json<Value>> {
    hypervisors(state, nova, q, true).await
}

async fn hypervisor_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> NResult<Json<Value>> {
    let (h, used) = find_hypervisor(&state, &nova, &id).await?;
    let servers = hosted(&state, &nova, &q).await?;
    let uptime = uptime_in_view(&state, &nova, true).await?;
    let view = hypervisor_view(
        &h,
        &used,
        servers.as_deref(),
        uptime.as_deref(),
        nova.mv,
        true,
    );
    Ok(Json(json!({ "hypervisor": view })))
}

async fn hypervisor_statistics(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    if nova.mv.at_least(88) {
        return Err(NovaError(Error::not_found(
            "resource",
            "os-hypervisors/statistics (removed in microversion 2.88)",
        )));
    }
    let stats = state.compute.hypervisor_statistics(&nova.ctx).await?;
    Ok(Json(
        json!({"hypervisor_statistics": statistics_view(&stats)}),
    ))
}

async fn service_list(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    let list = state.compute.compute_services(&nova.ctx).await?;
    Ok(Json(
        json!({"services": list.iter().map(|h| service_view(h, nova.mv)).collect::<Vec<_>>()}),
    ))
}

async fn service_update(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    if !nova.mv.at_least(53) {
        return Err(NovaError(Error::invalid(msg!(
            "Use microversion 2.53 or later to update a service by id."
        ))));
    }
    let obj = body
        .as_object()
        .ok_or_else(|| NovaError(Error::invalid(msg!("The body must be an object."))))?;
    let enabled = match str_field(obj, "status")? {
        Some("enabled") => true,
        Some("disabled") => false,
        Some(other) => {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute status. Value: {other}.",
                other
            ))))
        }
        None => {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute status: it is required."
            ))))
        }
    };
    let reason = str_field(obj, "disabled_reason")?.map(str::to_string);
    let h = state
        .compute
        .service_set_status(&nova.ctx, &id, enabled, reason)
        .await?;
    Ok(Json(json!({"service": service_view(&h, nova.mv)})))
}

async fn availability_zones(_nova: Nova) -> Json<Value> {
    Json(availability_zones_view(None))
}

/// The zone with its hosts and their services: administrators only, as in Nova
/// (`os_compute_api:os-availability-zone:detail`).
async fn availability_zones_detail(
    State(state): State<AppState>,
    nova: Nova,
) -> NResult<Json<Value>> {
    let nodes = state.compute.compute_services(&nova.ctx).await?;
    Ok(Json(availability_zones_view(Some(&nodes))))
}

/// The legacy networks proxy: no networks until the networking service is offered.
async fn networks(_nova: Nova) -> Json<Value> {
    Json(json!({"networks": []}))
}
