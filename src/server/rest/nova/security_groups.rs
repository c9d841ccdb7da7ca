//! The security-group proxies Nova serves below microversion 2.36 (`os-security-groups`,
//! `os-security-group-rules`), answered from the network service's groups as Nova answers
//! them from Neutron's: Nova's fields, ingress rules only, and Nova's status codes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use super::{body_member, int_field, str_field, Mv, NJson, NResult, Nova, NovaError};
use crate::server::error::Error;
use crate::server::services::network::{
    RuleCreate, SecurityGroup, SecurityGroupCreate, SecurityGroupQuery, SecurityGroupRule,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-security-groups", get(group_list).post(group_create))
        .route(
            "/os-security-groups/{id}",
            get(group_show).put(group_update).delete(group_delete),
        )
        .route("/os-security-group-rules", axum::routing::post(rule_create))
        .route("/os-security-group-rules/{id}", delete(rule_delete))
        .route("/servers/{id}/os-security-groups", get(server_groups))
}

/// The proxies are gone from 2.36: a newer client gets Nova's 404.
fn proxied(mv: Mv) -> NResult<()> {
    if mv.at_least(36) {
        return Err(NovaError(Error::not_found("resource", "the requested URL")));
    }
    Ok(())
}

/// A rule as Nova shows it: the remote group by name, or the address range.
#[derive(Serialize)]
struct RuleView<'a> {
    id: &'a str,
    parent_group_id: &'a str,
    ip_protocol: Option<&'a str>,
    from_port: Option<i64>,
    to_port: Option<i64>,
    group: Value,
    ip_range: Value,
}

fn rule_view<'a>(r: &'a SecurityGroupRule, groups: &[SecurityGroup]) -> RuleView<'a> {
    let group = match &r.remote_group_id {
        Some(remote) => groups
            .iter()
            .find(|g| &g.id == remote)
            .map(|g| json!({"name": g.name, "tenant_id": g.project_id}))
            .unwrap_or_else(|| json!({})),
        None => json!({}),
    };
    let ip_range = match (&r.remote_group_id, &r.remote_ip_prefix) {
        (Some(_), _) => json!({}),
        (None, Some(cidr)) => json!({ "cidr": cidr }),
        (None, None) => json!({"cidr": "0.0.0.0/0"}),
    };
    // ICMP's type and code travel in the port fields; "any" is -1 in Nova's form.
    let icmp = r.protocol.as_deref() == Some("icmp");
    let port = |p: Option<i64>| match (icmp, p) {
        (true, None) => Some(-1),
        (_, p) => p,
    };
    RuleView {
        id: &r.id,
        parent_group_id: &r.security_group_id,
        ip_protocol: r.protocol.as_deref(),
        from_port: port(r.port_range_min),
        to_port: port(r.port_range_max),
        group,
        ip_range,
    }
}

#[derive(Serialize)]
struct GroupView<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    tenant_id: &'a str,
    rules: Vec<RuleView<'a>>,
}

fn group_view<'a>(g: &'a SecurityGroup, groups: &[SecurityGroup]) -> GroupView<'a> {
    GroupView {
        id: &g.id,
        name: &g.name,
        description: &g.description,
        tenant_id: &g.project_id,
        rules: g
            .rules
            .iter()
            .filter(|r| r.direction == "ingress")
            .map(|r| rule_view(r, groups))
            .collect(),
    }
}

/// Nova's checks on a name or description: a string of at most 255 characters, and a
/// name that is not blank.
fn text(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    blank_ok: bool,
) -> NResult<Option<String>> {
    let Some(v) = str_field(obj, key)? else {
        return Ok(None);
    };
    if v.chars().count() > 255 || (!blank_ok && v.trim().is_empty()) {
        return Err(NovaError(Error::invalid(msg!(
            "Security group {key} should not be blank or longer than 255 characters.",
            key
        ))));
    }
    Ok(Some(v.to_string()))
}

/// Every group the caller sees (the names of remote groups come from them).
async fn visible_groups(state: &AppState, nova: &Nova) -> NResult<Vec<SecurityGroup>> {
    Ok(state
        .network
        .security_group_list(&nova.ctx, SecurityGroupQuery::default())
        .await?)
}

async fn group_list(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    proxied(nova.mv)?;
    let groups = visible_groups(&state, &nova).await?;
    let views: Vec<GroupView> = groups.iter().map(|g| group_view(g, &groups)).collect();
    Ok(Json(json!({ "security_groups": views })))
}

async fn one(state: &AppState, nova: &Nova, g: &SecurityGroup) -> NResult<Json<Value>> {
    let groups = visible_groups(state, nova).await?;
    Ok(Json(json!({ "security_group": group_view(g, &groups) })))
}

async fn group_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    proxied(nova.mv)?;
    let g = state.network.security_group_get(&nova.ctx, &id).await?;
    one(&state, &nova, &g).await
}

async fn group_create(
    State(state): State<AppState>,
    nova: Nova,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    proxied(nova.mv)?;
    let b = body_member(&body, "security_group")?;
    let name = text(b, "name", false)?.ok_or_else(|| {
        NovaError(Error::invalid(msg!(
            "Security group name should not be blank or longer than 255 characters."
        )))
    })?;
    let description = text(b, "description", true)?.unwrap_or_default();
    let g = state
        .network
        .security_group_create(
            &nova.ctx,
            SecurityGroupCreate {
                name,
                description,
                ..Default::default()
            },
        )
        .await?;
    one(&state, &nova, &g).await
}

async fn group_update(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    proxied(nova.mv)?;
    let b = body_member(&body, "security_group")?;
    let name = text(b, "name", false)?;
    let description = text(b, "description", true)?;
    let g = state
        .network
        .security_group_update(&nova.ctx, &id, name, description)
        .await
        .map_err(conflict_is_bad_request)?;
    one(&state, &nova, &g).await
}

/// Nova answers the network service's conflicts (the default group, a rule that exists,
/// a group in use) with a 400.
fn conflict_is_bad_request(e: Error) -> NovaError {
    match e.plain() {
        Error::Conflict(m) => NovaError(Error::InvalidRequest(m.clone())),
        _ => NovaError(e),
    }
}

async fn group_delete(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    proxied(nova.mv)?;
    let g = state.network.security_group_get(&nova.ctx, &id).await?;
    if g.is_default {
        return Err(NovaError(Error::invalid(msg!(
            "Removing the default security group is not allowed."
        ))));
    }
    state
        .network
        .security_group_delete(&nova.ctx, &id)
        .await
        .map_err(conflict_is_bad_request)?;
    Ok(StatusCode::ACCEPTED)
}

/// A group id as Nova's proxy takes it: a UUID.
fn group_id(v: Option<&str>, key: &str) -> NResult<Option<String>> {
    match v {
        None => Ok(None),
        Some(id) if uuid::Uuid::parse_str(id).is_ok() => Ok(Some(id.to_string())),
        Some(id) => Err(NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute {key}. Value: {id}. Security group id should be uuid",
            key,
            id
        )))),
    }
}

async fn rule_create(
    State(state): State<AppState>,
    nova: Nova,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    proxied(nova.mv)?;
    let b = body_member(&body, "security_group_rule")?;
    let parent = group_id(str_field(b, "parent_group_id")?, "parent_group_id")?.ok_or_else(|| {
        NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute security_group_rule. 'parent_group_id' is a required property"
        )))
    })?;
    let remote_group = group_id(str_field(b, "group_id")?, "group_id")?;
    let cidr = str_field(b, "cidr")?.map(str::to_string);
    let protocol = str_field(b, "ip_protocol")?.map(str::to_ascii_lowercase);
    let (from, to) = (int_field(b, "from_port")?, int_field(b, "to_port")?);
    let bad = |what: &str| {
        NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute security_group_rule: {what}",
            what
        )))
    };
    let (min, max) = match protocol.as_deref() {
        Some("tcp") | Some("udp") => {
            let (Some(from), Some(to)) = (from, to) else {
                return Err(bad("from_port and to_port are required for TCP and UDP."));
            };
            if !(1..=65535).contains(&from) || !(1..=65535).contains(&to) {
                return Err(bad("valid TCP and UDP ports are between 1 and 65535."));
            }
            if from > to {
                return Err(bad("from_port cannot be greater than to_port."));
            }
            (Some(from), Some(to))
        }
        Some("icmp") => {
            let (from, to) = (from.unwrap_or(-1), to.unwrap_or(-1));
            if !(-1..=255).contains(&from) || !(-1..=255).contains(&to) {
                return Err(bad("ICMP type and code are between -1 and 255."));
            }
            let any = |v: i64| (v >= 0).then_some(v);
            (any(from), any(to))
        }
        None => (None, None),
        Some(other) => {
            return Err(bad(&format!(
                "ip_protocol {other} is not tcp, udp or icmp."
            )))
        }
    };
    let rule = RuleCreate {
        security_group_id: parent.clone(),
        direction: "ingress".into(),
        ethertype: Some("IPv4".into()),
        protocol,
        port_range_min: min,
        port_range_max: max,
        remote_ip_prefix: match (&remote_group, cidr) {
            (Some(_), _) => None,
            (None, Some(c)) => Some(c),
            (None, None) => Some("0.0.0.0/0".into()),
        },
        remote_group_id: remote_group,
        description: String::new(),
    };
    let (made, _) = state
        .network
        .rule_create(&nova.ctx, rule)
        .await
        .map_err(conflict_is_bad_request)?;
    let groups = visible_groups(&state, &nova).await?;
    Ok(Json(
        json!({ "security_group_rule": rule_view(&made, &groups) }),
    ))
}

async fn rule_delete(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    proxied(nova.mv)?;
    state.network.rule_delete(&nova.ctx, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The groups of a server's ports (`/servers/{id}/os-security-groups`).
async fn server_groups(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    proxied(nova.mv)?;
    let server = state.compute.server_get(&nova.ctx, &id).await?;
    let names = state
        .compute
        .networking_of(std::slice::from_ref(&server.id))
        .await?
        .remove(&server.id)
        .map(|n| n.security_groups)
        .unwrap_or_default();
    let groups = visible_groups(&state, &nova).await?;
    let views: Vec<GroupView> = groups
        .iter()
        .filter(|g| names.contains(&g.name) && g.project_id == server.project_id)
        .map(|g| group_view(g, &groups))
        .collect();
    Ok(Json(json!({ "security_groups": views })))
}
