//! Security groups and security group rules.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{
    bad_request, body_member, opt_bool, opt_int, opt_str, ListParams, NJson, NResult, Neutron,
};
use crate::server::services::network::{
    RuleCreate, SecurityGroup, SecurityGroupCreate, SecurityGroupQuery, SecurityGroupRule,
};
use crate::server::state::AppState;
use crate::server::time::iso_seconds;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/security-groups", get(group_list).post(group_create))
        .route(
            "/security-groups/{id}",
            get(group_show).put(group_update).delete(group_delete),
        )
        .route("/security-group-rules", get(rule_list).post(rule_create))
        .route(
            "/security-group-rules/{id}",
            get(rule_show).delete(rule_delete),
        )
}

fn rule_view(r: &SecurityGroupRule, default_group: bool) -> Value {
    json!({
        "id": r.id,
        "security_group_id": r.security_group_id,
        "project_id": r.project_id,
        "tenant_id": r.project_id,
        "direction": r.direction,
        "ethertype": r.ethertype,
        "protocol": r.protocol,
        "port_range_min": r.port_range_min,
        "port_range_max": r.port_range_max,
        "remote_ip_prefix": r.remote_ip_prefix,
        "remote_group_id": r.remote_group_id,
        "remote_address_group_id": null,
        "normalized_cidr": r.remote_ip_prefix,
        "belongs_to_default_sg": default_group,
        "description": r.description,
        "created_at": iso_seconds(r.created_at),
        "updated_at": iso_seconds(r.updated_at),
        "revision_number": r.revision_number,
    })
}

fn group_view(g: &SecurityGroup) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "project_id": g.project_id,
        "tenant_id": g.project_id,
        "stateful": g.stateful,
        "shared": false,
        "security_group_rules": g.rules.iter().map(|r| rule_view(r, g.is_default)).collect::<Vec<_>>(),
        "tags": g.tags,
        "created_at": iso_seconds(g.created_at),
        "updated_at": iso_seconds(g.updated_at),
        "revision_number": g.revision_number,
    })
}

async fn group_create(
    State(state): State<AppState>,
    n: Neutron,
    NJson(body): NJson,
) -> NResult<(StatusCode, Json<Value>)> {
    let obj = body_member(
        &body,
        "security_group",
        &["name", "description", "stateful", "project_id", "tenant_id"],
    )?;
    let req = SecurityGroupCreate {
        name: opt_str(obj, "name")?.unwrap_or_default(),
        description: opt_str(obj, "description")?.unwrap_or_default(),
        stateful: opt_bool(obj, "stateful")?,
        project_id: super::networks::project_of(obj)?,
    };
    let g = state.network.security_group_create(&n.ctx, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"security_group": group_view(&g)})),
    ))
}

async fn group_list(
    State(state): State<AppState>,
    n: Neutron,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let p = ListParams { pairs: q };
    let limit = p.limit()?;
    let list = state
        .network
        .security_group_list(
            &n.ctx,
            SecurityGroupQuery {
                ids: p.all("id"),
                name: p.get("name"),
                project_id: p.get("project_id").or_else(|| p.get("tenant_id")),
                marker: p.get("marker"),
                limit,
            },
        )
        .await?;
    let last = list.last().map(|g| g.id.clone());
    let items = list.iter().map(group_view).collect();
    Ok(Json(p.page(&state, "security_groups", items, last, limit)))
}

async fn group_show(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let g = state.network.security_group_get(&n.ctx, &id).await?;
    let item = ListParams { pairs: q }.project(vec![group_view(&g)]);
    Ok(Json(json!({"security_group": item[0]})))
}

async fn group_update(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    NJson(body): NJson,
) -> NResult<Json<Value>> {
    let obj = body_member(&body, "security_group", &["name", "description"])?;
    let g = state
        .network
        .security_group_update(
            &n.ctx,
            &id,
            opt_str(obj, "name")?,
            opt_str(obj, "description")?,
        )
        .await?;
    Ok(Json(json!({"security_group": group_view(&g)})))
}

async fn group_delete(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    state.network.security_group_delete(&n.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn rule_create(
    State(state): State<AppState>,
    n: Neutron,
    NJson(body): NJson,
) -> NResult<(StatusCode, Json<Value>)> {
    let obj = body_member(
        &body,
        "security_group_rule",
        &[
            "security_group_id",
            "direction",
            "ethertype",
            "protocol",
            "port_range_min",
            "port_range_max",
            "remote_ip_prefix",
            "remote_group_id",
            "remote_address_group_id",
            "description",
            "project_id",
            "tenant_id",
        ],
    )?;
    let protocol = match obj.get("protocol") {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => opt_str(obj, "protocol")?,
    };
    let req = RuleCreate {
        security_group_id: opt_str(obj, "security_group_id")?.ok_or_else(|| {
            bad_request(
                "Failed to parse request. Required attribute 'security_group_id' not specified",
            )
        })?,
        direction: opt_str(obj, "direction")?.ok_or_else(|| {
            bad_request("Failed to parse request. Required attribute 'direction' not specified")
        })?,
        ethertype: opt_str(obj, "ethertype")?,
        protocol,
        port_range_min: opt_int(obj, "port_range_min")?,
        port_range_max: opt_int(obj, "port_range_max")?,
        remote_ip_prefix: opt_str(obj, "remote_ip_prefix")?,
        remote_group_id: opt_str(obj, "remote_group_id")?,
        description: opt_str(obj, "description")?.unwrap_or_default(),
    };
    let (r, default) = state.network.rule_create(&n.ctx, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"security_group_rule": rule_view(&r, default)})),
    ))
}

async fn rule_list(
    State(state): State<AppState>,
    n: Neutron,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let p = ListParams { pairs: q };
    let groups = state
        .network
        .security_group_list(
            &n.ctx,
            SecurityGroupQuery {
                ids: p.all("security_group_id"),
                project_id: p.get("project_id").or_else(|| p.get("tenant_id")),
                ..Default::default()
            },
        )
        .await?;
    let matches = |r: &SecurityGroupRule| {
        p.get("direction").is_none_or(|d| d == r.direction)
            && p.get("ethertype").is_none_or(|e| e == r.ethertype)
            && p.get("protocol").is_none_or(|x| Some(x) == r.protocol)
    };
    let items: Vec<Value> = groups
        .iter()
        .flat_map(|g| {
            g.rules
                .iter()
                .filter(|r| matches(r))
                .map(|r| rule_view(r, g.is_default))
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(Json(p.page(
        &state,
        "security_group_rules",
        items,
        None,
        None,
    )))
}

async fn rule_show(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let r = state.network.rule_get(&n.ctx, &id).await?;
    let default = state
        .network
        .security_group_get(&n.ctx, &r.security_group_id)
        .await
        .map(|g| g.is_default)
        .unwrap_or(false);
    Ok(Json(json!({"security_group_rule": rule_view(&r, default)})))
}

async fn rule_delete(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    state.network.rule_delete(&n.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
