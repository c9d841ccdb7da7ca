//! Hypervisors, compute services, availability zones, and the nova-network `os-networks` listing.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::view::{
    availability_zones_view, hypervisor_view, migration_view, service_view, statistics_view,
};
use super::{str_field, NJson, NResult, Nova, NovaError};
use crate::server::error::Error;
use crate::server::rest::query_bool;
use crate::server::services::compute::{HostedServer, Hypervisor, HypervisorUsage};
use crate::server::services::compute::{MigrationFilter, DEFAULT_ZONE};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-hypervisors", get(hypervisor_list))
        .route("/os-hypervisors/detail", get(hypervisor_detail))
        .route("/os-hypervisors/statistics", get(hypervisor_statistics))
        .route("/os-hypervisors/{id}", get(hypervisor_show))
        .route("/os-hypervisors/{id}/uptime", get(hypervisor_uptime))
        .route("/os-hypervisors/{pattern}/search", get(hypervisor_search))
        .route(
            "/os-hypervisors/{pattern}/servers",
            get(hypervisor_search_servers),
        )
        .route("/os-hosts", get(host_list))
        .route("/os-hosts/{host}", get(host_show).put(host_update))
        .route("/os-hosts/{host}/{action}", get(host_power_action))
        .route("/os-services", get(service_list))
        .route("/os-services/{id}", put(service_update))
        .route("/os-migrations", get(migration_list))
        .route(
            "/os-server-external-events",
            axum::routing::post(external_events),
        )
        .route("/os-availability-zone", get(availability_zones))
        .route(
            "/os-availability-zone/detail",
            get(availability_zones_detail),
        )
        .route("/os-networks", get(networks))
        .route("/os-networks/{id}", get(tenant_network))
        .route("/os-tenant-networks", get(tenant_networks))
        .route("/os-tenant-networks/{id}", get(tenant_network))
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

/// The compute services, filtered by `binary` and `host` when given (other parameters
/// are ignored, as Nova does).
async fn service_list(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<HashMap<String, String>>,
) -> NResult<Json<Value>> {
    let mut list = state.compute.compute_services(&nova.ctx).await?;
    let zones = state.compute.host_zones(&nova.ctx).await?;
    if q.get("binary").is_some_and(|b| b != "nova-compute") {
        list.clear();
    }
    if let Some(host) = q.get("host") {
        list.retain(|h| &h.host == host);
    }
    Ok(Json(
        json!({"services": list.iter().map(|h| service_view(h, zone(&zones, &h.host), nova.mv)).collect::<Vec<_>>()}),
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
    let zones = state.compute.host_zones(&nova.ctx).await?;
    Ok(Json(
        json!({"service": service_view(&h, zone(&zones, &h.host), nova.mv)}),
    ))
}

async fn availability_zones(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    let zones = state.compute.zones_brief(&nova.ctx).await?;
    let controller = crate::server::host::hostname();
    Ok(Json(availability_zones_view(&zones, false, &controller)))
}

/// The zone with its hosts and their services: administrators only, as in Nova
/// (`os_compute_api:os-availability-zone:detail`).
async fn availability_zones_detail(
    State(state): State<AppState>,
    nova: Nova,
) -> NResult<Json<Value>> {
    let zones = state.compute.zones_detail(&nova.ctx).await?;
    let controller = crate::server::host::hostname();
    Ok(Json(availability_zones_view(&zones, true, &controller)))
}

/// The legacy networks proxy: no networks until the networking service is offered.
/// `os-networks` (below 2.36): the networks the caller may use, as `os-tenant-networks`
/// shows them.
async fn networks(state: State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    tenant_networks(state, nova).await
}

/// `os-tenant-networks` (below 2.36): the networks the caller may use, by name, with the
/// range of their first subnet.
async fn tenant_networks(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    super::floating_ips::proxied(nova.mv)?;
    let networks = state
        .network
        .network_list(&nova.ctx, Default::default())
        .await?;
    let mut views = Vec::new();
    for n in &networks {
        views.push(tenant_network_view(&state, &nova, n).await?);
    }
    Ok(Json(json!({ "networks": views })))
}

async fn tenant_network(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    super::floating_ips::proxied(nova.mv)?;
    let n = state.network.network_get(&nova.ctx, &id).await?;
    Ok(Json(
        json!({ "network": tenant_network_view(&state, &nova, &n).await? }),
    ))
}

async fn tenant_network_view(
    state: &AppState,
    nova: &Nova,
    n: &crate::server::services::network::Network,
) -> NResult<Value> {
    let cidr = match n.subnets.first() {
        Some(subnet) => Some(state.network.subnet_get(&nova.ctx, subnet).await?.cidr),
        None => None,
    };
    Ok(json!({"id": n.id, "label": n.name, "cidr": cidr}))
}

/// Hypervisors whose host name contains a pattern (before 2.53, which moved this to
/// `hypervisor_hostname_pattern`); none is a 404, as in Nova.
async fn matching(
    state: &AppState,
    nova: &Nova,
    pattern: &str,
) -> NResult<Vec<(Hypervisor, HypervisorUsage)>> {
    if nova.mv.at_least(53) {
        return Err(NovaError(Error::not_found("resource", "the requested URL")));
    }
    let found: Vec<_> = state
        .compute
        .hypervisors(&nova.ctx)
        .await?
        .into_iter()
        .filter(|(h, _)| h.host.contains(pattern))
        .collect();
    if found.is_empty() {
        return Err(NovaError(Error::NotFound {
            kind: "hypervisor",
            id: pattern.to_string(),
        }));
    }
    Ok(found)
}

/// `/os-hypervisors/{pattern}/search`.
async fn hypervisor_search(
    State(state): State<AppState>,
    nova: Nova,
    Path(pattern): Path<String>,
) -> NResult<Json<Value>> {
    let found = matching(&state, &nova, &pattern).await?;
    let views: Vec<Value> = found
        .iter()
        .map(|(h, used)| hypervisor_view(h, used, None, None, nova.mv, false))
        .collect();
    Ok(Json(json!({ "hypervisors": views })))
}

/// `/os-hypervisors/{pattern}/servers`: the matching hypervisors with their instances.
async fn hypervisor_search_servers(
    State(state): State<AppState>,
    nova: Nova,
    Path(pattern): Path<String>,
) -> NResult<Json<Value>> {
    let found = matching(&state, &nova, &pattern).await?;
    let servers = state.compute.hypervisor_servers(&nova.ctx).await?;
    let views: Vec<Value> = found
        .iter()
        .map(|(h, used)| hypervisor_view(h, used, Some(&servers), None, nova.mv, false))
        .collect();
    Ok(Json(json!({ "hypervisors": views })))
}

/// `os-hosts` is gone from 2.43 (its parts live on in `os-hypervisors` and `os-services`).
fn hosts_offered(nova: &Nova) -> NResult<()> {
    if nova.mv.at_least(43) {
        return Err(NovaError(Error::not_found("resource", "the requested URL")));
    }
    Ok(())
}

/// The zone of a host in `host_zones`' answer.
fn zone<'a>(zones: &'a std::collections::BTreeMap<String, String>, host: &str) -> &'a str {
    zones.get(host).map_or(DEFAULT_ZONE, String::as_str)
}

/// The hosts and the services they run: each compute node's `compute` in its zone,
/// and this controller's `scheduler` and `conductor` in zone `internal`.
async fn host_list(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<HashMap<String, String>>,
) -> NResult<Json<Value>> {
    hosts_offered(&nova)?;
    let nodes = state.compute.compute_services(&nova.ctx).await?;
    let zones = state.compute.host_zones(&nova.ctx).await?;
    let controller = crate::server::host::hostname();
    let mut hosts: Vec<Value> = nodes
        .iter()
        .map(|h| json!({"host_name": h.host, "service": "compute", "zone": zone(&zones, &h.host)}))
        .collect();
    for service in ["scheduler", "conductor"] {
        hosts.push(json!({"host_name": controller, "service": service, "zone": "internal"}));
    }
    if let Some(zone) = q.get("zone").filter(|z| !z.is_empty()) {
        hosts.retain(|h| h["zone"] == zone.as_str());
    }
    Ok(Json(json!({ "hosts": hosts })))
}

async fn compute_host(
    state: &AppState,
    nova: &Nova,
    host: &str,
) -> NResult<(Hypervisor, HypervisorUsage)> {
    state
        .compute
        .hypervisors(&nova.ctx)
        .await?
        .into_iter()
        .find(|(h, _)| h.host == host)
        .ok_or_else(|| {
            NovaError(Error::NotFound {
                kind: "compute host",
                id: host.to_string(),
            })
        })
}

/// A compute host's resources: what it has, what its instances use now, and the most
/// they may use (as Nova lists them, one `resource` each).
async fn host_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(host): Path<String>,
) -> NResult<Json<Value>> {
    hosts_offered(&nova)?;
    let (h, used) = compute_host(&state, &nova, &host).await?;
    let resource = |project: &str, cpu: i64, memory_mb: i64, disk_gb: i64| {
        json!({"resource": {"host": h.host, "project": project, "cpu": cpu,
                            "memory_mb": memory_mb, "disk_gb": disk_gb}})
    };
    Ok(Json(json!({"host": [
        resource("(total)", h.vcpus, h.memory_mb, h.local_gb),
        resource("(used_now)", used.vcpus, used.memory_mb, used.disk_gb),
        resource("(used_max)", used.vcpus, used.memory_mb, used.disk_gb),
    ]})))
}

/// Enables or disables a compute host's service (`status`); maintenance mode is not a
/// state Gureum's hosts have.
async fn host_update(
    State(state): State<AppState>,
    nova: Nova,
    Path(host): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    hosts_offered(&nova)?;
    let (h, _) = compute_host(&state, &nova, &host).await?;
    let obj = body
        .as_object()
        .ok_or_else(|| NovaError(Error::invalid(msg!("The body must be an object."))))?;
    let status = match str_field(obj, "status")? {
        Some("enable") => Some(true),
        Some("disable") => Some(false),
        None => None,
        Some(other) => {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute status. Value: {other}. It must be enable or disable.",
                other
            ))))
        }
    };
    match str_field(obj, "maintenance_mode")? {
        None => {}
        Some("enable") | Some("disable") => {
            return Err(NovaError(Error::invalid(msg!(
                "Maintenance mode is not offered: disable the host's service instead."
            ))))
        }
        Some(other) => {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute maintenance_mode. Value: {other}. It must be enable or disable.",
                other
            ))))
        }
    }
    let Some(enabled) = status else {
        return Err(NovaError(Error::invalid(msg!(
            "'status' or 'maintenance_mode' is required."
        ))));
    };
    let h = state
        .compute
        .service_set_status(&nova.ctx, &h.id, enabled, None)
        .await?;
    let status = if h.status == "enabled" {
        "enabled"
    } else {
        "disabled"
    };
    Ok(Json(json!({"host": h.host, "status": status})))
}

/// Neutron's events about instances (`POST /os-server-external-events`): each comes back
/// with its code, 200 for an instance that exists and 404 for one that does not; the
/// answer is 404 when none was found, 207 when some were not, 200 when all were.
async fn external_events(
    State(state): State<AppState>,
    nova: Nova,
    NJson(body): NJson<Value>,
) -> NResult<axum::response::Response> {
    use axum::response::IntoResponse;
    const NAMES: [&str; 5] = [
        "network-changed",
        "network-vif-plugged",
        "network-vif-unplugged",
        "network-vif-deleted",
        "volume-extended",
    ];
    let events = body
        .get("events")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute events: it is a list of at least one event."
            )))
        })?;
    let mut parsed = Vec::with_capacity(events.len());
    for e in events {
        let obj = e.as_object().ok_or_else(|| {
            NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute events. Value: {e}.",
                e
            )))
        })?;
        let name = str_field(obj, "name")?.unwrap_or_default();
        if !NAMES.contains(&name) {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute name. Value: {name}.",
                name
            ))));
        }
        let server = str_field(obj, "server_uuid")?.ok_or_else(|| {
            NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute events. 'server_uuid' is a required property"
            )))
        })?;
        let status = str_field(obj, "status")?.unwrap_or("completed");
        let tag = str_field(obj, "tag")?;
        parsed.push((name, server.to_string(), status, tag));
    }
    let ids: Vec<String> = parsed.iter().map(|(_, s, _, _)| s.clone()).collect();
    let found = state.compute.external_events(&nova.ctx, &ids).await?;
    let views: Vec<Value> = parsed
        .iter()
        .zip(&found)
        .map(|((name, server, status, tag), ok)| {
            let mut v = json!({
                "name": name,
                "server_uuid": server,
                "status": if *ok { *status } else { "failed" },
                "code": if *ok { 200 } else { 404 },
            });
            if let Some(t) = tag {
                v["tag"] = (*t).into();
            }
            v
        })
        .collect();
    let status = match (found.iter().all(|f| *f), found.iter().any(|f| *f)) {
        (true, _) => axum::http::StatusCode::OK,
        (false, true) => axum::http::StatusCode::MULTI_STATUS,
        (false, false) => axum::http::StatusCode::NOT_FOUND,
    };
    Ok((status, Json(json!({ "events": views }))).into_response())
}

/// Migrations (`GET /os-migrations`), filtered by instance, status, type and host.
async fn migration_list(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<HashMap<String, String>>,
) -> NResult<Json<Value>> {
    let filter = MigrationFilter {
        instance_id: q.get("instance_uuid").cloned(),
        status: q.get("status").cloned(),
        migration_type: q.get("migration_type").cloned(),
        host: q.get("host").or_else(|| q.get("source_compute")).cloned(),
    };
    let list = state.compute.migration_list(&nova.ctx, filter).await?;
    let views: Vec<Value> = list.iter().map(|m| migration_view(m, nova.mv)).collect();
    Ok(Json(json!({ "migrations": views })))
}

/// `GET /os-hosts/{host}/reboot|shutdown|startup` (below 2.43): powering a compute host is
/// not something the API does here (Nova's libvirt driver does not either); an
/// administrator is told so, anyone else is refused as for every host call.
async fn host_power_action(
    State(state): State<AppState>,
    nova: Nova,
    Path((host, action)): Path<(String, String)>,
) -> NResult<Json<Value>> {
    hosts_offered(&nova)?;
    if !["reboot", "shutdown", "startup"].contains(&action.as_str()) {
        return Err(NovaError(Error::not_found("resource", "the requested URL")));
    }
    compute_host(&state, &nova, &host).await?;
    Err(NovaError(Error::invalid(msg!(
        "Host power actions ({action}) are not offered: power the host {host} from its own console.",
        action,
        host
    ))))
}
