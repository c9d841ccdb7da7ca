//! Routers (with their interfaces and extra routes), floating IPs and network agents.

use axum::extract::{Path, Query, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::networks::{fixed_ip_list, params, project_of};
use super::view::{Listed, Writable};
use super::{
    bad_request, body_member, invalid_input, opt_bool, opt_str, view, ListParams, NJson, NResult,
    Neutron,
};
use crate::server::context::OpCtx;
use crate::server::error::Result;
use crate::server::services::network::{
    Agent, AgentQuery, AgentUpdate, ExternalGateway, FloatingIp, FloatingIpCreate, FloatingIpQuery,
    FloatingIpUpdate, InterfaceRequest, NetworkService, Route, Router as NRouter, RouterCreate,
    RouterInterface, RouterQuery, RouterUpdate,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/routers",
            get(view::list::<NRouter>).post(view::create::<NRouter>),
        )
        .route(
            "/routers/{id}",
            get(view::show::<NRouter>)
                .put(view::update::<NRouter>)
                .delete(view::remove::<NRouter>),
        )
        .route("/routers/{id}/add_router_interface", put(interface_add))
        .route(
            "/routers/{id}/remove_router_interface",
            put(interface_remove),
        )
        .route("/routers/{id}/add_extraroutes", put(extraroutes_add))
        .route("/routers/{id}/remove_extraroutes", put(extraroutes_remove))
        .route(
            "/floatingips",
            get(view::list::<FloatingIp>).post(view::create::<FloatingIp>),
        )
        .route(
            "/floatingips/{id}",
            get(view::show::<FloatingIp>)
                .put(view::update::<FloatingIp>)
                .delete(view::remove::<FloatingIp>),
        )
        .route("/agents", get(agent_list))
        .route(
            "/agents/{id}",
            get(view::show::<Agent>)
                .put(agent_update)
                .delete(view::remove::<Agent>),
        )
        // The agent schedulers' read side, which Horizon's agent pages use.
        .route("/agents/{id}/l3-routers", get(agent_routers))
        .route("/routers/{id}/l3-agents", get(router_agents))
        .route("/agents/{id}/dhcp-networks", get(agent_networks))
        .route("/networks/{id}/dhcp-agents", get(network_agents))
}

// --- Routers -----------------------------------------------------------------------------

/// `external_gateway_info`: absent (no change), `null` or `{}` (none), or a gateway.
fn gateway_of(obj: &Map<String, Value>) -> NResult<Option<Option<ExternalGateway>>> {
    let info = match obj.get("external_gateway_info") {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(None)),
        Some(Value::Object(o)) if o.is_empty() => return Ok(Some(None)),
        Some(Value::Object(o)) => o,
        Some(v) => {
            return Err(invalid_input(msg!(
                "'{v}' is not a dictionary for external_gateway_info",
                v
            )))
        }
    };
    let known = ["network_id", "enable_snat", "external_fixed_ips"];
    if let Some(k) = info.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(invalid_input(msg!(
            "Validation of dictionary's keys failed. Unexpected key '{k}' in external_gateway_info",
            k
        )));
    }
    let network_id = opt_str(info, "network_id")?.ok_or_else(|| {
        invalid_input(msg!(
            "Validation of dictionary's keys failed. Expected keys: {'network_id'}"
        ))
    })?;
    Ok(Some(Some(ExternalGateway {
        network_id,
        enable_snat: opt_bool(info, "enable_snat")?,
        external_fixed_ips: fixed_ip_list(info, "external_fixed_ips")?,
    })))
}

fn routes_of(obj: &Map<String, Value>) -> NResult<Option<Vec<Route>>> {
    match obj.get("routes") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Vec::new())),
        Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|_| {
            invalid_input(msg!(
                "'{v}' is not a list of routes ({destination, nexthop})",
                v
            ))
        }),
    }
}

impl Writable for NRouter {
    const CREATE_ATTRS: &'static [&'static str] = &[
        "name",
        "description",
        "admin_state_up",
        "external_gateway_info",
        "project_id",
        "tenant_id",
        "availability_zone_hints",
        "distributed",
        "ha",
    ];
    const UPDATE_ATTRS: &'static [&'static str] = &[
        "name",
        "description",
        "admin_state_up",
        "external_gateway_info",
        "routes",
    ];
    type Create = RouterCreate;
    type Update = RouterUpdate;

    fn read_create(obj: &Map<String, Value>) -> NResult<RouterCreate> {
        for flag in ["distributed", "ha"] {
            if opt_bool(obj, flag)? == Some(true) {
                return Err(bad_request(msg!(
                    "Bad router request: this cloud has no {flag} routers.",
                    flag
                )));
            }
        }
        Ok(RouterCreate {
            name: opt_str(obj, "name")?.unwrap_or_default(),
            description: opt_str(obj, "description")?.unwrap_or_default(),
            admin_state_up: opt_bool(obj, "admin_state_up")?,
            external_gateway: gateway_of(obj)?.flatten(),
            project_id: project_of(obj)?,
        })
    }

    fn read_update(obj: &Map<String, Value>) -> NResult<RouterUpdate> {
        Ok(RouterUpdate {
            name: opt_str(obj, "name")?,
            description: opt_str(obj, "description")?,
            admin_state_up: opt_bool(obj, "admin_state_up")?,
            external_gateway: gateway_of(obj)?,
            routes: routes_of(obj)?,
        })
    }

    async fn create(network: &NetworkService, ctx: &OpCtx, req: RouterCreate) -> Result<NRouter> {
        network.router_create(ctx, req).await
    }

    async fn update(
        network: &NetworkService,
        ctx: &OpCtx,
        id: &str,
        req: RouterUpdate,
    ) -> Result<NRouter> {
        network.router_update(ctx, id, req).await
    }
}

impl Listed for NRouter {
    type Query = RouterQuery;

    fn query(p: &ListParams, limit: Option<i64>) -> NResult<RouterQuery> {
        Ok(RouterQuery {
            ids: p.all("id"),
            name: p.all("name"),
            project_id: p.project_ids(),
            status: p.all("status"),
            marker: p.get("marker"),
            limit,
            ..Default::default()
        })
    }

    async fn list(network: &NetworkService, ctx: &OpCtx, q: RouterQuery) -> Result<Vec<NRouter>> {
        network.router_list(ctx, q).await
    }
}

/// The body of `add_router_interface` / `remove_router_interface`: a subnet or a port.
fn interface_of(body: &Value) -> NResult<InterfaceRequest> {
    let obj = body.as_object().ok_or_else(|| {
        bad_request(msg!(
            "Bad router request: a body with subnet_id or port_id is required."
        ))
    })?;
    match (opt_str(obj, "subnet_id")?, opt_str(obj, "port_id")?) {
        (Some(_), Some(_)) => Err(bad_request(msg!(
            "Bad router request: Cannot specify both subnet-id and port-id"
        ))),
        (Some(s), None) => Ok(InterfaceRequest::Subnet(s)),
        (None, Some(p)) => Ok(InterfaceRequest::Port(p)),
        (None, None) => Err(bad_request(msg!(
            "Bad router request: Either subnet_id or port_id must be specified"
        ))),
    }
}

fn interface_view(i: &RouterInterface) -> Value {
    json!({
        "id": i.router_id,
        "project_id": i.project_id,
        "tenant_id": i.project_id,
        "network_id": i.network_id,
        "port_id": i.port_id,
        "subnet_id": i.subnet_ids.first(),
        "subnet_ids": i.subnet_ids,
    })
}

async fn interface_add(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    NJson(body): NJson,
) -> NResult<Json<Value>> {
    let what = interface_of(&body)?;
    let i = state
        .network
        .router_interface_add(&n.ctx, &id, what)
        .await?;
    Ok(Json(interface_view(&i)))
}

async fn interface_remove(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    NJson(body): NJson,
) -> NResult<Json<Value>> {
    let what = interface_of(&body)?;
    let i = state
        .network
        .router_interface_remove(&n.ctx, &id, what)
        .await?;
    Ok(Json(interface_view(&i)))
}

async fn extraroutes(
    state: AppState,
    n: Neutron,
    id: String,
    body: Value,
    add: bool,
) -> NResult<Json<Value>> {
    let obj = body_member(&body, "router", &["routes"])?;
    let routes = routes_of(obj)?
        .ok_or_else(|| bad_request(msg!("Bad router request: 'routes' is required.")))?;
    let router = state
        .network
        .router_routes_change(&n.ctx, &id, add, routes)
        .await?;
    Ok(view::one(&router, &n))
}

async fn extraroutes_add(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    NJson(body): NJson,
) -> NResult<Json<Value>> {
    extraroutes(state, n, id, body, true).await
}

async fn extraroutes_remove(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    NJson(body): NJson,
) -> NResult<Json<Value>> {
    extraroutes(state, n, id, body, false).await
}

// --- Floating IPs ------------------------------------------------------------------------

impl Writable for FloatingIp {
    const CREATE_ATTRS: &'static [&'static str] = &[
        "floating_network_id",
        "floating_ip_address",
        "subnet_id",
        "port_id",
        "fixed_ip_address",
        "description",
        "project_id",
        "tenant_id",
    ];
    const UPDATE_ATTRS: &'static [&'static str] = &["port_id", "fixed_ip_address", "description"];
    type Create = FloatingIpCreate;
    type Update = FloatingIpUpdate;

    fn read_create(obj: &Map<String, Value>) -> NResult<FloatingIpCreate> {
        let network = opt_str(obj, "floating_network_id")?.ok_or_else(|| {
            bad_request(msg!(
                "Failed to parse request. Required attribute 'floating_network_id' not specified"
            ))
        })?;
        Ok(FloatingIpCreate {
            floating_network_id: network,
            floating_ip_address: opt_str(obj, "floating_ip_address")?,
            subnet_id: opt_str(obj, "subnet_id")?,
            port_id: opt_str(obj, "port_id")?,
            fixed_ip_address: opt_str(obj, "fixed_ip_address")?,
            description: opt_str(obj, "description")?.unwrap_or_default(),
            project_id: project_of(obj)?,
        })
    }

    fn read_update(obj: &Map<String, Value>) -> NResult<FloatingIpUpdate> {
        let port_id = match obj.get("port_id") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => Some(opt_str(obj, "port_id")?),
        };
        Ok(FloatingIpUpdate {
            port_id,
            fixed_ip_address: opt_str(obj, "fixed_ip_address")?,
            description: opt_str(obj, "description")?,
        })
    }

    async fn create(
        network: &NetworkService,
        ctx: &OpCtx,
        req: FloatingIpCreate,
    ) -> Result<FloatingIp> {
        network.floating_ip_create(ctx, req).await
    }

    async fn update(
        network: &NetworkService,
        ctx: &OpCtx,
        id: &str,
        req: FloatingIpUpdate,
    ) -> Result<FloatingIp> {
        network.floating_ip_update(ctx, id, req).await
    }
}

impl Listed for FloatingIp {
    type Query = FloatingIpQuery;

    fn query(p: &ListParams, limit: Option<i64>) -> NResult<FloatingIpQuery> {
        Ok(FloatingIpQuery {
            ids: p.all("id"),
            project_id: p.project_ids(),
            floating_network_id: p.all("floating_network_id"),
            floating_ip_address: p.all("floating_ip_address"),
            port_id: p.all("port_id"),
            fixed_ip_address: p.all("fixed_ip_address"),
            router_id: p.all("router_id"),
            status: p.all("status"),
            description: p.all("description"),
            marker: p.get("marker"),
            limit,
        })
    }

    async fn list(
        network: &NetworkService,
        ctx: &OpCtx,
        q: FloatingIpQuery,
    ) -> Result<Vec<FloatingIp>> {
        network.floating_ip_list(ctx, q).await
    }
}

// --- Agents ------------------------------------------------------------------------------

async fn agent_list(
    State(state): State<AppState>,
    n: Neutron,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let p = params(q);
    let list = state
        .network
        .agent_list(
            &n.ctx,
            AgentQuery {
                agent_type: p.get("agent_type"),
                host: p.get("host"),
                binary: p.get("binary"),
            },
        )
        .await?;
    Ok(view::many(&state, &p, &list, &n, None))
}

async fn agent_update(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    NJson(body): NJson,
) -> NResult<Json<Value>> {
    let obj = body_member(&body, "agent", &["admin_state_up", "description"])?;
    let u = AgentUpdate {
        admin_state_up: opt_bool(obj, "admin_state_up")?,
        description: opt_str(obj, "description")?,
    };
    let agent = state.network.agent_update(&n.ctx, &id, u).await?;
    Ok(view::one(&agent, &n))
}

async fn agent_routers(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let list = state.network.agent_routers(&n.ctx, &id).await?;
    Ok(view::many(&state, &params(q), &list, &n, None))
}

async fn router_agents(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let list = state.network.router_agents(&n.ctx, &id).await?;
    Ok(view::many(&state, &params(q), &list, &n, None))
}

async fn agent_networks(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let list = state.network.agent_networks(&n.ctx, &id).await?;
    Ok(view::many(&state, &params(q), &list, &n, None))
}

async fn network_agents(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let list = state.network.network_agents(&n.ctx, &id).await?;
    Ok(view::many(&state, &params(q), &list, &n, None))
}
