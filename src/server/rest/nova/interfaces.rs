//! `/servers/{id}/os-interface`: a server's interfaces, attach (answered once the VM has
//! the NIC) and detach (202, unplugged in the background).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::view::interface_view;
use super::{str_field, Mv, NJson, NResult, Nova, NovaError};
use crate::server::error::Error;
use crate::server::services::compute::InterfaceAttach;
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/servers/{id}/os-interface", get(list).post(attach))
        .route(
            "/servers/{id}/os-interface/{port_id}",
            get(show).delete(detach),
        )
}

async fn list(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let list = state.compute.interface_list(&nova.ctx, &id).await?;
    Ok(Json(json!({
        "interfaceAttachments": list.iter().map(|a| interface_view(a, nova.mv)).collect::<Vec<_>>()
    })))
}

async fn show(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, port_id)): Path<(String, String)>,
) -> NResult<Json<Value>> {
    let a = state
        .compute
        .interface_get(&nova.ctx, &id, &port_id)
        .await?;
    Ok(Json(
        json!({"interfaceAttachment": interface_view(&a, nova.mv)}),
    ))
}

fn invalid(field: &str, value: &Value, why: &str) -> NovaError {
    NovaError(Error::invalid(msg!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}",
        field,
        value,
        why
    )))
}

/// Nova's schema: an optional `interfaceAttachment` with `net_id`, `port_id` (UUIDs),
/// `fixed_ips` (one `{"ip_address"}`), and `tag` from 2.49; nothing else.
fn parse(body: &Value, mv: Mv) -> NResult<InterfaceAttach> {
    let Some(obj) = body.as_object() else {
        return Err(invalid("body", body, "It is not of type 'object'"));
    };
    if let Some(extra) = obj.keys().find(|k| *k != "interfaceAttachment") {
        return Err(NovaError(Error::invalid(msg!(
            "Additional properties are not allowed ('{extra}' was unexpected)",
            extra
        ))));
    }
    let Some(member) = obj.get("interfaceAttachment") else {
        return Ok(InterfaceAttach::default());
    };
    let Some(a) = member.as_object() else {
        return Err(invalid(
            "interfaceAttachment",
            member,
            "It is not of type 'object'",
        ));
    };
    let allowed: &[&str] = if mv.at_least(49) {
        &["net_id", "port_id", "fixed_ips", "tag"]
    } else {
        &["net_id", "port_id", "fixed_ips"]
    };
    if let Some(extra) = a.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(NovaError(Error::invalid(msg!(
            "Additional properties are not allowed ('{extra}' was unexpected)",
            extra
        ))));
    }
    let uuid = |key: &str| -> NResult<Option<String>> {
        match str_field(a, key)? {
            None => Ok(None),
            Some(s) if uuid::Uuid::parse_str(s).is_ok() => Ok(Some(s.to_string())),
            Some(s) => Err(invalid(key, &json!(s), &format!("'{s}' is not a 'uuid'"))),
        }
    };
    let net_id = uuid("net_id")?;
    let port_id = uuid("port_id")?;
    if let Some(tag) = str_field(a, "tag")? {
        if tag.is_empty() || tag.chars().count() > 60 || tag.contains(['/', ',']) {
            return Err(invalid(
                "tag",
                &json!(tag),
                "A tag is 1 to 60 characters without '/' or ','",
            ));
        }
    }
    let mut fixed_ips = Vec::new();
    match a.get("fixed_ips") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            if list.len() != 1 {
                return Err(invalid(
                    "fixed_ips",
                    &Value::Array(list.clone()),
                    "It must hold exactly one address",
                ));
            }
            for item in list {
                let ip = item
                    .as_object()
                    .and_then(|o| o.get("ip_address"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        invalid("fixed_ips", item, "'ip_address' is a required property")
                    })?;
                if ip.parse::<std::net::IpAddr>().is_err() {
                    return Err(invalid(
                        "fixed_ips/0/ip_address",
                        &json!(ip),
                        &format!("'{ip}' is not a valid IP address"),
                    ));
                }
                fixed_ips.push(ip.to_string());
            }
        }
        Some(other) => return Err(invalid("fixed_ips", other, "It is not of type 'array'")),
    }
    Ok(InterfaceAttach {
        net_id,
        port_id,
        fixed_ips,
    })
}

async fn attach(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let request = parse(&body, nova.mv)?;
    let a = state
        .compute
        .interface_attach(&nova.ctx, &id, request)
        .await?;
    Ok(Json(
        json!({"interfaceAttachment": interface_view(&a, nova.mv)}),
    ))
}

async fn detach(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, port_id)): Path<(String, String)>,
) -> NResult<StatusCode> {
    state
        .compute
        .interface_detach(&nova.ctx, &id, &port_id)
        .await?;
    Ok(StatusCode::ACCEPTED)
}
