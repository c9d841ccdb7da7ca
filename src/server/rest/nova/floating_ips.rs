//! The floating-IP proxies Nova serves below microversion 2.36 (`os-floating-ips`,
//! `os-floating-ip-pools`, and the `addFloatingIp`/`removeFloatingIp` actions), answered
//! from the network service's floating IPs: a pool is an external network, by name.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use super::{str_field, Mv, NResult, Nova, NovaError};
use crate::server::context::OpCtx;
use crate::server::error::Error;
use crate::server::services::network::{
    FloatingIp, FloatingIpCreate, FloatingIpQuery, FloatingIpUpdate, Network, NetworkQuery,
    PortQuery,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-floating-ips", get(list).post(create))
        .route("/os-floating-ips/{id}", get(show).delete(remove))
        .route("/os-floating-ip-pools", get(pools))
}

/// The proxies are gone from 2.36: a newer client gets Nova's 404.
pub(super) fn proxied(mv: Mv) -> NResult<()> {
    if mv.at_least(36) {
        return Err(NovaError(Error::not_found("resource", "the requested URL")));
    }
    Ok(())
}

#[derive(Serialize)]
struct FloatingIpView<'a> {
    id: &'a str,
    ip: &'a str,
    fixed_ip: Option<&'a str>,
    instance_id: Option<String>,
    pool: Option<&'a str>,
}

async fn external_networks(state: &AppState, ctx: &OpCtx) -> NResult<Vec<Network>> {
    let q = NetworkQuery {
        external: Some(true),
        ..Default::default()
    };
    Ok(state.network.network_list(ctx, q).await?)
}

/// Floating IPs as Nova shows them: the instance is the port's device.
async fn views(state: &AppState, ctx: &OpCtx, fips: &[FloatingIp]) -> NResult<Vec<Value>> {
    let pools = external_networks(state, ctx).await?;
    let port_ids: Vec<String> = fips.iter().filter_map(|f| f.port_id.clone()).collect();
    let ports = if port_ids.is_empty() {
        Vec::new()
    } else {
        let q = PortQuery {
            ids: port_ids,
            ..Default::default()
        };
        state.network.port_list(ctx, q).await?
    };
    Ok(fips
        .iter()
        .map(|f| {
            let instance_id = f
                .port_id
                .as_ref()
                .and_then(|p| ports.iter().find(|port| &port.id == p))
                .map(|port| port.device_id.clone())
                .filter(|d| !d.is_empty());
            serde_json::to_value(FloatingIpView {
                id: &f.id,
                ip: &f.floating_ip_address,
                fixed_ip: f.fixed_ip_address.as_deref(),
                instance_id,
                pool: pools
                    .iter()
                    .find(|n| n.id == f.floating_network_id)
                    .map(|n| n.name.as_str()),
            })
            .unwrap_or_default()
        })
        .collect())
}

async fn list(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    proxied(nova.mv)?;
    let fips = state
        .network
        .floating_ip_list(&nova.ctx, FloatingIpQuery::default())
        .await?;
    let views = views(&state, &nova.ctx, &fips).await?;
    Ok(Json(json!({ "floating_ips": views })))
}

async fn one(state: &AppState, nova: &Nova, f: FloatingIp) -> NResult<Json<Value>> {
    let mut views = views(state, &nova.ctx, std::slice::from_ref(&f)).await?;
    Ok(Json(json!({ "floating_ip": views.pop() })))
}

async fn show(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    proxied(nova.mv)?;
    let f = state.network.floating_ip_get(&nova.ctx, &id).await?;
    one(&state, &nova, f).await
}

/// Allocates a floating IP from a pool (an external network by name; the only one when
/// none is named).
async fn create(
    State(state): State<AppState>,
    nova: Nova,
    body: axum::body::Bytes,
) -> NResult<Json<Value>> {
    proxied(nova.mv)?;
    // The body is optional: none allocates from the only pool.
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            NovaError(Error::invalid(msg!(
                "Malformed request body: {e}",
                e = e.to_string()
            )))
        })?
    };
    let pool = match body.as_object() {
        Some(o) => str_field(o, "pool")?.map(str::to_string),
        None => None,
    };
    let networks = external_networks(&state, &nova.ctx).await?;
    let network = match &pool {
        Some(name) => networks.iter().find(|n| &n.name == name || &n.id == name),
        None if networks.len() == 1 => networks.first(),
        None => None,
    }
    .ok_or_else(|| {
        NovaError(Error::NotFound {
            kind: "floating IP pool",
            id: pool.clone().unwrap_or_default(),
        })
    })?;
    let f = state
        .network
        .floating_ip_create(
            &nova.ctx,
            FloatingIpCreate {
                floating_network_id: network.id.clone(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| match e.plain() {
            Error::OverQuota(m) => NovaError(Error::Forbidden(m.clone())),
            _ => NovaError(e),
        })?;
    one(&state, &nova, f).await
}

async fn remove(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    proxied(nova.mv)?;
    state.network.floating_ip_delete(&nova.ctx, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The pools: the external networks, by name.
async fn pools(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    proxied(nova.mv)?;
    let networks = external_networks(&state, &nova.ctx).await?;
    let pools: Vec<Value> = networks.iter().map(|n| json!({ "name": n.name })).collect();
    Ok(Json(json!({ "floating_ip_pools": pools })))
}

/// The floating IP with an address, of the caller's.
async fn by_address(state: &AppState, nova: &Nova, address: &str) -> NResult<FloatingIp> {
    let q = FloatingIpQuery {
        floating_ip_address: vec![address.to_string()],
        ..Default::default()
    };
    state
        .network
        .floating_ip_list(&nova.ctx, q)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            NovaError(Error::NotFound {
                kind: "floating IP",
                id: address.to_string(),
            })
        })
}

/// The `address` an action on a floating IP names.
fn address<'a>(args: &'a serde_json::Map<String, Value>, action: &str) -> NResult<&'a str> {
    str_field(args, "address")?.ok_or_else(|| {
        NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute {action}. 'address' is a required property",
            action
        )))
    })
}

/// `addFloatingIp`: the address goes to the server's port (the one holding
/// `fixed_address` when given, else its first).
pub(super) async fn associate(
    state: &AppState,
    nova: &Nova,
    server_id: &str,
    args: &serde_json::Map<String, Value>,
) -> NResult<()> {
    proxied(nova.mv)?;
    let address = address(args, "addFloatingIp")?;
    let fixed = str_field(args, "fixed_address")?;
    let server = state.compute.server_get(&nova.ctx, server_id).await?;
    let fip = by_address(state, nova, address).await?;
    let q = PortQuery {
        device_id: vec![server.id.clone()],
        ..Default::default()
    };
    let ports = state.network.port_list(&nova.ctx, q).await?;
    let port = ports
        .iter()
        .find(|p| fixed.is_none_or(|f| p.fixed_ips.iter().any(|ip| ip.ip_address == f)))
        .ok_or_else(|| {
            NovaError(Error::invalid(msg!(
                "Instance {id} has no network interface to associate {address} with.",
                id = server.id,
                address
            )))
        })?;
    state
        .network
        .floating_ip_update(
            &nova.ctx,
            &fip.id,
            FloatingIpUpdate {
                port_id: Some(Some(port.id.clone())),
                fixed_ip_address: fixed.map(str::to_string),
                description: None,
            },
        )
        .await?;
    Ok(())
}

/// `removeFloatingIp`: the address must be associated with this server.
pub(super) async fn disassociate(
    state: &AppState,
    nova: &Nova,
    server_id: &str,
    args: &serde_json::Map<String, Value>,
) -> NResult<()> {
    proxied(nova.mv)?;
    let address = address(args, "removeFloatingIp")?;
    let server = state.compute.server_get(&nova.ctx, server_id).await?;
    let fip = by_address(state, nova, address).await?;
    let on_server = match &fip.port_id {
        Some(p) => state.network.port_get(&nova.ctx, p).await?.device_id == server.id,
        None => false,
    };
    if !on_server {
        return Err(NovaError(Error::Conflict(msg!(
            "Floating IP {address} is not associated with instance {id}.",
            address,
            id = server.id
        ))));
    }
    state
        .network
        .floating_ip_update(
            &nova.ctx,
            &fip.id,
            FloatingIpUpdate {
                port_id: Some(None),
                fixed_ip_address: None,
                description: None,
            },
        )
        .await?;
    Ok(())
}
