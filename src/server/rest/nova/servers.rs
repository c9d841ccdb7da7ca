//! `/servers`: create, list, show, update, delete, actions, metadata, instance actions.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::view::{
    action_view, brief_view, changed_server_view, ips_view, server_created_view, server_view,
    volume_attachments_view,
};
use super::{
    body_member, bool_field, int_field, meta_item, only_known, ref_id, str_field, string_map, Mv,
    NJson, NResult, Nova, NovaError,
};
use crate::server::authz::is_admin;
use crate::server::error::Error;
use crate::server::rest::query_bool;
use crate::server::services::compute::{
    known_status, new_admin_pass, DiskConfig, LabelsChange, NetworkRequest, NicRequest, RebootKind,
    Server, ServerAction, ServerCreate, ServerListQuery,
};
use crate::server::services::network::InstanceNetworking;
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/servers", get(list).post(create))
        .route("/servers/detail", get(list_detail))
        .route("/servers/{id}", get(show).put(update).delete(delete))
        .route("/servers/{id}/action", post(action))
        .route(
            "/servers/{id}/os-server-password",
            get(password_show).delete(password_clear),
        )
        .route(
            "/servers/{id}/metadata",
            get(metadata_list)
                .post(metadata_update)
                .put(metadata_replace),
        )
        .route(
            "/servers/{id}/metadata/{key}",
            get(metadata_show)
                .put(metadata_set_one)
                .delete(metadata_delete),
        )
        .route("/servers/{id}/os-instance-actions", get(actions_list))
        .route(
            "/servers/{id}/os-instance-actions/{request_id}",
            get(action_show),
        )
        .route("/servers/{id}/remote-consoles", post(remote_console))
        .route("/servers/{id}/ips", get(ips))
        .route("/servers/{id}/ips/{network}", get(ips_on_network))
        .route(
            "/servers/{id}/os-volume_attachments",
            get(volume_attachments),
        )
}

/// The addresses and groups of the servers on a page (one lookup for all of them).
async fn networking(
    state: &AppState,
    servers: &[&Server],
) -> NResult<HashMap<String, InstanceNetworking>> {
    let ids: Vec<String> = servers.iter().map(|s| s.id.clone()).collect();
    Ok(state.compute.networking_of(&ids).await?)
}

fn list_query(q: &[(String, String)], ctx_admin: bool) -> NResult<ServerListQuery> {
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let limit = match get("limit") {
        None => None,
        Some(l) => Some(l.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            NovaError(Error::invalid(msg!("Invalid input for query parameters limit. Value: {l}. It must be a non-negative integer.", l)))
        })?),
    };
    let changes_since = match get("changes-since").or_else(|| get("changes_since")) {
        None => None,
        Some(t) => Some(crate::server::time::parse_iso(&t).ok_or_else(|| {
            NovaError(Error::invalid(msg!("Invalid input for query parameters changes-since. Value: {t}. It is not a date-time.", t)))
        })?),
    };
    let all = query_bool(get("all_tenants").as_ref()).unwrap_or(false);
    Ok(ServerListQuery {
        all_projects: all && ctx_admin,
        // Nova ignores a project filter unless all_tenants is given.
        project_id: if all {
            get("project_id").or_else(|| get("tenant_id"))
        } else {
            None
        },
        name: get("name"),
        ip: get("ip").or_else(|| get("ip6")),
        status: get("status"),
        image_id: get("image").map(|i| ref_id(&i)),
        flavor_id: get("flavor").map(|f| ref_id(&f)),
        host: get("host"),
        changes_since,
        marker: get("marker"),
        limit,
        offset: 0,
    })
}

async fn list_common(
    state: &AppState,
    nova: &Nova,
    q: Vec<(String, String)>,
    detail: bool,
) -> NResult<Json<Value>> {
    let admin = is_admin(&nova.ctx);
    let query = list_query(&q, admin)?;
    // Before 2.38 an unknown status finds nothing rather than being refused.
    if !nova.mv.at_least(38) && query.status.as_deref().is_some_and(|s| !known_status(s)) {
        return Ok(Json(json!({ "servers": [] })));
    }
    let page = state.compute.server_list(&nova.ctx, query).await?;
    let nets = if detail {
        networking(state, &page.servers.iter().collect::<Vec<_>>()).await?
    } else {
        HashMap::new()
    };
    let servers: Vec<Value> = page
        .servers
        .iter()
        .map(|s| {
            if detail {
                server_view(state, s, nets.get(&s.id), nova.mv, admin, false)
            } else {
                brief_view(state, "servers", &s.id, &s.name, None)
            }
        })
        .collect();
    let mut body = json!({"servers": servers});
    if let Some(marker) = page.next_marker {
        let path = if detail { "servers/detail" } else { "servers" };
        body["servers_links"] = super::next_links(state, path, &q, &marker);
    }
    Ok(Json(body))
}

async fn list(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    list_common(&state, &nova, q, false).await
}

async fn list_detail(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    list_common(&state, &nova, q, true).await
}

async fn show(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let s = state.compute.server_get(&nova.ctx, &id).await?;
    let nets = networking(&state, &[&s]).await?;
    Ok(Json(
        json!({"server": server_view(&state, &s, nets.get(&s.id), nova.mv, is_admin(&nova.ctx), true)}),
    ))
}

/// `networks`: `"auto"`, `"none"` (2.37), or a list of `{uuid, port, fixed_ip}`.
fn networks_of(s: &Map<String, Value>, mv: Mv) -> NResult<NetworkRequest> {
    let bad = |v: &Value| {
        NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute networks. Value: {v}.",
            v
        )))
    };
    match s.get("networks") {
        None if mv.at_least(37) => Err(NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute server. 'networks' is a required property"
        )))),
        None | Some(Value::Null) => Ok(NetworkRequest::Legacy),
        Some(Value::String(n)) if n == "auto" && mv.at_least(37) => Ok(NetworkRequest::Auto),
        Some(Value::String(n)) if n == "none" && mv.at_least(37) => Ok(NetworkRequest::None),
        Some(Value::Array(list)) if list.is_empty() && !mv.at_least(37) => Ok(NetworkRequest::None),
        Some(Value::Array(list)) if !list.is_empty() => {
            let mut out = Vec::new();
            for entry in list {
                let obj = entry.as_object().ok_or_else(|| bad(entry))?;
                if let Some(k) = obj
                    .keys()
                    .find(|k| !["uuid", "port", "fixed_ip", "tag"].contains(&k.as_str()))
                {
                    return Err(NovaError(Error::invalid(msg!("Invalid input for field/attribute networks. Additional properties are not allowed ('{k}' was unexpected)", k))));
                }
                let field = |k: &str| -> NResult<Option<String>> {
                    match obj.get(k) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::String(v)) => Ok(Some(v.clone())),
                        Some(v) => Err(bad(v)),
                    }
                };
                let nic = NicRequest {
                    network_id: field("uuid")?,
                    port_id: field("port")?,
                    fixed_ip: field("fixed_ip")?,
                };
                if nic.network_id.is_none() && nic.port_id.is_none() {
                    return Err(bad(entry));
                }
                out.push(nic);
            }
            Ok(NetworkRequest::List(out))
        }
        Some(other) => Err(bad(other)),
    }
}

/// What Nova's create schema knows of a server (every microversion's fields).
const CREATE_FIELDS: [&str; 26] = [
    "name",
    "imageRef",
    "flavorRef",
    "adminPass",
    "metadata",
    "networks",
    "OS-DCF:diskConfig",
    "accessIPv4",
    "accessIPv6",
    "personality",
    "key_name",
    "user_data",
    "availability_zone",
    "block_device_mapping",
    "block_device_mapping_v2",
    "return_reservation_id",
    "min_count",
    "max_count",
    "security_groups",
    "config_drive",
    "description",
    "tags",
    "trusted_image_certificates",
    "host",
    "hypervisor_hostname",
    "hostname",
];

/// The access addresses and disk configuration a create, update, rebuild or resize gives.
fn labels_change(obj: &serde_json::Map<String, Value>) -> NResult<LabelsChange> {
    let disk_config = match str_field(obj, "OS-DCF:diskConfig")? {
        None => None,
        Some(d) => Some(DiskConfig::parse(d).ok_or_else(|| {
            NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute OS-DCF:diskConfig. Value: {d}. It is not one of 'AUTO', 'MANUAL'",
                d
            )))
        })?),
    };
    Ok(LabelsChange {
        access_ipv4: str_field(obj, "accessIPv4")?.map(str::to_string),
        access_ipv6: str_field(obj, "accessIPv6")?.map(str::to_string),
        disk_config,
    })
}

/// The server group a create's scheduler hints name (`{"group": ID}`).
fn scheduler_group(body: &Value) -> NResult<Option<String>> {
    let hints = body
        .get("os:scheduler_hints")
        .or_else(|| body.get("OS-SCH-HNT:scheduler_hints"));
    let Some(hints) = hints.filter(|h| !h.is_null()) else {
        return Ok(None);
    };
    let obj = hints.as_object().ok_or_else(|| {
        NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute os:scheduler_hints. Value: {hints}. It is not of type 'object'",
            hints
        )))
    })?;
    Ok(str_field(obj, "group")?.map(str::to_string))
}

fn parse_create(body: &Value, mv: Mv) -> NResult<(ServerCreate, bool)> {
    let s = body_member(body, "server")?;
    if let Some(top) = body.as_object() {
        only_known(
            top,
            "body",
            &["server", "os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"],
        )?;
    }
    only_known(s, "server", &CREATE_FIELDS)?;
    let name = str_field(s, "name")?
        .ok_or_else(|| {
            NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute server. 'name' is a required property"
            )))
        })?
        .to_string();
    let flavor_ref = match s.get("flavorRef") {
        Some(Value::String(f)) => ref_id(f),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute server. 'flavorRef' is a required property"
            ))))
        }
    };
    let mut image_id = str_field(s, "imageRef")?
        .filter(|i| !i.is_empty())
        .map(ref_id);
    if let Some(bdms) = s.get("block_device_mapping_v2") {
        let list = bdms.as_array().ok_or_else(|| {
            NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute block_device_mapping_v2: it is not a list."
            )))
        })?;
        for bdm in list {
            let source = bdm.get("source_type").and_then(Value::as_str).unwrap_or("");
            let dest = bdm
                .get("destination_type")
                .and_then(Value::as_str)
                .unwrap_or("local");
            match (source, dest) {
                ("image", "local") => {
                    if image_id.is_none() {
                        image_id = bdm.get("uuid").and_then(Value::as_str).map(str::to_string);
                    }
                }
                ("blank", "local") => {}
                _ => {
                    return Err(NovaError(Error::invalid(
                        msg!("Block device mappings with volumes are not available: the volume service is not offered yet."),
                    )))
                }
            }
        }
    }
    let networks = networks_of(s, mv)?;
    let security_groups = match s.get("security_groups") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|g| {
                g.get("name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| {
                        NovaError(Error::invalid(msg!(
                            "Invalid input for field/attribute security_groups. Value: {g}.",
                            g
                        )))
                    })
            })
            .collect::<NResult<Vec<_>>>()?,
        Some(other) => {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute security_groups. Value: {other}.",
                other
            ))))
        }
    };
    let min_count = int_field(s, "min_count")?.unwrap_or(1);
    let max_count = int_field(s, "max_count")?.unwrap_or(min_count);
    let create = ServerCreate {
        name,
        image_id,
        flavor_id: flavor_ref,
        key_name: str_field(s, "key_name")?.map(str::to_string),
        user_data: str_field(s, "user_data")?.map(str::to_string),
        metadata: string_map(s.get("metadata"), "metadata")?,
        min_count,
        max_count,
        availability_zone: str_field(s, "availability_zone")?.map(str::to_string),
        hostname: if mv.at_least(90) {
            str_field(s, "hostname")?.map(str::to_string)
        } else {
            None
        },
        networks,
        security_groups,
        admin_pass: str_field(s, "adminPass")?.map(str::to_string),
        group: scheduler_group(body)?,
        labels: labels_change(s)?,
    };
    let reservation = bool_field(s, "return_reservation_id")?.unwrap_or(false);
    Ok((create, reservation))
}

async fn create(
    State(state): State<AppState>,
    nova: Nova,
    NJson(body): NJson<Value>,
) -> NResult<Response> {
    let (params, reservation) = parse_create(&body, nova.mv)?;
    let launched = state.compute.server_create(&nova.ctx, params).await?;
    let s = &launched.servers[0];
    if reservation {
        let id = format!("r-{}", &s.id[..8]);
        return Ok((StatusCode::ACCEPTED, Json(json!({"reservation_id": id}))).into_response());
    }
    let body = json!({"server": server_created_view(&state, s, &launched.admin_pass)});
    let mut response = (StatusCode::ACCEPTED, Json(body)).into_response();
    if let Ok(loc) = format!("{}/compute/v2.1/servers/{}", state.public_url(), s.id).parse() {
        response.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(response)
}

async fn update(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let s = body_member(&body, "server")?;
    for key in s.keys() {
        if ![
            "name",
            "description",
            "hostname",
            "accessIPv4",
            "accessIPv6",
            "OS-DCF:diskConfig",
        ]
        .contains(&key.as_str())
        {
            return Err(NovaError(Error::invalid(msg!("Invalid input for field/attribute server. Additional properties are not allowed ('{key}' was unexpected)", key))));
        }
    }
    let name = str_field(s, "name")?.map(str::to_string);
    let hostname = if nova.mv.at_least(90) {
        str_field(s, "hostname")?.map(str::to_string)
    } else {
        None
    };
    let server = state
        .compute
        .server_update(&nova.ctx, &id, name, hostname, labels_change(s)?)
        .await?;
    let nets = networking(&state, &[&server]).await?;
    let view = changed_server_view(
        &state,
        &server,
        nets.get(&server.id),
        nova.mv,
        is_admin(&nova.ctx),
        false,
    );
    Ok(Json(json!({ "server": view })))
}

async fn delete(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    state.compute.server_delete(&nova.ctx, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn action(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Response> {
    let Some((name, arg)) = body
        .as_object()
        .and_then(|o| (o.len() == 1).then(|| o.iter().next()).flatten())
    else {
        return Err(NovaError(Error::invalid(msg!(
            "The action body must hold exactly one action."
        ))));
    };
    let empty = Map::new();
    let args = arg.as_object().unwrap_or(&empty);
    let compute = &state.compute;
    let ctx = &nova.ctx;
    let simple = |a: ServerAction| a;
    let act = match name.as_str() {
        "os-start" => simple(ServerAction::Start),
        "os-stop" => ServerAction::Stop,
        "reboot" => match str_field(args, "type")?
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("SOFT") => ServerAction::Reboot(RebootKind::Soft),
            Some("HARD") => ServerAction::Reboot(RebootKind::Hard),
            _ => {
                return Err(NovaError(Error::invalid(msg!(
                    "Invalid input for field/attribute type: it must be SOFT or HARD."
                ))))
            }
        },
        "pause" => ServerAction::Pause,
        "unpause" => ServerAction::Unpause,
        "suspend" => ServerAction::Suspend,
        "resume" => ServerAction::Resume,
        "lock" => ServerAction::Lock {
            reason: if nova.mv.at_least(73) {
                str_field(args, "locked_reason")?.map(str::to_string)
            } else {
                None
            },
        },
        "unlock" => ServerAction::Unlock,
        "resize" => ServerAction::Resize {
            labels: labels_change(args)?,
            flavor_id: match args.get("flavorRef") {
                Some(Value::String(f)) => ref_id(f),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return Err(NovaError(Error::invalid(msg!(
                    "Invalid input for field/attribute resize. 'flavorRef' is a required property"
                ))))
                }
            },
        },
        "confirmResize" => ServerAction::ConfirmResize,
        "revertResize" => ServerAction::RevertResize,
        "rebuild" => ServerAction::Rebuild {
            labels: labels_change(args)?,
            image_id: str_field(args, "imageRef")?.map(ref_id).ok_or_else(|| {
                NovaError(Error::invalid(msg!(
                    "Invalid input for field/attribute rebuild. 'imageRef' is a required property"
                )))
            })?,
            name: str_field(args, "name")?.map(str::to_string),
            admin_pass: str_field(args, "adminPass")?.map_or_else(new_admin_pass, str::to_string),
        },
        "createImage" => {
            let image_name = str_field(args, "name")?.ok_or_else(|| {
                NovaError(Error::invalid(msg!(
                    "Invalid input for field/attribute createImage. 'name' is a required property"
                )))
            })?;
            let metadata = string_map(args.get("metadata"), "metadata")?;
            let image_id = compute
                .server_snapshot(ctx, &id, image_name, metadata)
                .await?;
            let location = format!("{}/image/v2/images/{image_id}", state.public_url());
            let mut response = if nova.mv.at_least(45) {
                (StatusCode::ACCEPTED, Json(json!({"image_id": image_id}))).into_response()
            } else {
                StatusCode::ACCEPTED.into_response()
            };
            if let Ok(loc) = location.parse() {
                response.headers_mut().insert(header::LOCATION, loc);
            }
            return Ok(response);
        }
        "addFloatingIp" => {
            super::floating_ips::associate(&state, &nova, &id, args).await?;
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        "removeFloatingIp" => {
            super::floating_ips::disassociate(&state, &nova, &id, args).await?;
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        "os-resetState" => {
            let error = match str_field(args, "state")? {
                Some("error") => true,
                Some("active") => false,
                other => {
                    return Err(NovaError(Error::invalid(msg!(
                        "Invalid input for field/attribute state. Value: {other}. It must be active or error.",
                        other = other.unwrap_or("")
                    ))))
                }
            };
            compute.server_reset_state(ctx, &id, error).await?;
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        "addSecurityGroup" | "removeSecurityGroup" => {
            let group = str_field(args, "name")?.ok_or_else(|| {
                NovaError(Error::invalid(msg!(
                    "Invalid input for field/attribute {name}. 'name' is a required property",
                    name
                )))
            })?;
            let add = name == "addSecurityGroup";
            compute.server_security_group(ctx, &id, group, add).await?;
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        "restore" => {
            compute.server_restore(ctx, &id).await?;
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        "forceDelete" => {
            compute.server_force_delete(ctx, &id).await?;
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        "migrate" => {
            compute.server_migrate(ctx, &id).await?;
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        "injectNetworkInfo" => {
            compute.server_inject_network_info(ctx, &id).await?;
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        "os-getVNCConsole" => {
            let kind = str_field(args, "type")?.unwrap_or("novnc");
            if kind != "novnc" {
                return Err(NovaError(Error::invalid(msg!(
                    "Unsupported console type {kind}: only novnc is offered.",
                    kind
                ))));
            }
            compute.console_address(ctx, &id).await?;
            let url = format!("{}/portal/instances/{id}/console", state.public_url());
            return Ok(Json(json!({"console": {"type": "novnc", "url": url}})).into_response());
        }
        "os-getConsoleOutput" => {
            let length = int_field(args, "length")?;
            let output = compute.console_output(ctx, &id, length).await?;
            return Ok(Json(json!({"output": output})).into_response());
        }
        other => {
            return Err(NovaError(Error::invalid(msg!(
                "There is no such action: {other}",
                other
            ))));
        }
    };
    let rebuild_pass = match &act {
        ServerAction::Rebuild { admin_pass, .. } => Some(admin_pass.clone()),
        _ => None,
    };
    // Nova answers a confirmed resize with 204, every other action with 202.
    let done = if matches!(act, ServerAction::ConfirmResize) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    };
    compute.server_action(ctx, &id, act).await?;
    if let Some(admin_pass) = rebuild_pass {
        let s = compute.server_get(ctx, &id).await?;
        let nets = networking(&state, &[&s]).await?;
        let mut view =
            changed_server_view(&state, &s, nets.get(&s.id), nova.mv, is_admin(ctx), true);
        view["adminPass"] = admin_pass.into();
        return Ok((StatusCode::ACCEPTED, Json(json!({"server": view}))).into_response());
    }
    Ok(done.into_response())
}

/// The password a guest posted to the metadata service, encrypted with its key pair
/// (`os-server-password`). Gureum's guests get their password from the config drive and
/// post none back, so it is always empty; clearing it is allowed and changes nothing.
async fn password_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    state.compute.server_get(&nova.ctx, &id).await?;
    Ok(Json(json!({"password": ""})))
}

async fn password_clear(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    state.compute.server_password_clear(&nova.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn metadata_list(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let s = state.compute.server_get(&nova.ctx, &id).await?;
    Ok(Json(json!({"metadata": s.metadata})))
}

async fn metadata_update(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let m = string_map(body.get("metadata"), "metadata")?;
    let all = state
        .compute
        .server_metadata_set(&nova.ctx, &id, m, false)
        .await?;
    Ok(Json(json!({"metadata": all})))
}

async fn metadata_replace(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let m = string_map(body.get("metadata"), "metadata")?;
    let all = state
        .compute
        .server_metadata_set(&nova.ctx, &id, m, true)
        .await?;
    Ok(Json(json!({"metadata": all})))
}

async fn metadata_show(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, key)): Path<(String, String)>,
) -> NResult<Json<Value>> {
    let s = state.compute.server_get(&nova.ctx, &id).await?;
    let v = s.metadata.get(&key).ok_or_else(|| {
        NovaError(Error::NotFound {
            kind: "metadata item",
            id: key.clone(),
        })
    })?;
    Ok(Json(json!({"meta": {key: v}})))
}

async fn metadata_set_one(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, key)): Path<(String, String)>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let m = meta_item(&body, &key)?;
    state
        .compute
        .server_metadata_set(&nova.ctx, &id, m.clone(), false)
        .await?;
    Ok(Json(json!({"meta": m})))
}

async fn metadata_delete(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, key)): Path<(String, String)>,
) -> NResult<StatusCode> {
    state
        .compute
        .server_metadata_delete(&nova.ctx, &id, &key)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn actions_list(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let actions = state.compute.instance_actions(&nova.ctx, &id).await?;
    let admin = is_admin(&nova.ctx);
    Ok(Json(
        json!({"instanceActions": actions.iter().map(|a| action_view(a, nova.mv, false, admin)).collect::<Vec<_>>()}),
    ))
}

async fn action_show(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, request_id)): Path<(String, String)>,
) -> NResult<Json<Value>> {
    let actions = state.compute.instance_actions(&nova.ctx, &id).await?;
    let a = actions
        .iter()
        .find(|a| a.request_id == request_id)
        .ok_or_else(|| {
            NovaError(Error::NotFound {
                kind: "action",
                id: request_id.clone(),
            })
        })?;
    Ok(Json(
        json!({"instanceAction": action_view(a, nova.mv, true, is_admin(&nova.ctx))}),
    ))
}

async fn ips(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let s = state.compute.server_get(&nova.ctx, &id).await?;
    let nets = networking(&state, &[&s]).await?;
    let none = InstanceNetworking::default();
    Ok(Json(
        json!({"addresses": ips_view(nets.get(&s.id).unwrap_or(&none))}),
    ))
}

/// The addresses on one network, by its name: `{"<network>": [...]}`.
async fn ips_on_network(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, network)): Path<(String, String)>,
) -> NResult<Json<Value>> {
    let s = state.compute.server_get(&nova.ctx, &id).await?;
    let nets = networking(&state, &[&s]).await?;
    let none = InstanceNetworking::default();
    let all = ips_view(nets.get(&s.id).unwrap_or(&none));
    let on = all.get(&network).cloned().ok_or_else(|| {
        NovaError(Error::NotFound {
            kind: "network",
            id: network.clone(),
        })
    })?;
    Ok(Json(json!({ network: on })))
}

async fn volume_attachments(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let list = state.compute.volume_attachments(&nova.ctx, &id).await?;
    Ok(Json(volume_attachments_view(&list)))
}

/// A browser console for the instance: the portal's noVNC page (it opens in a signed-in
/// portal session, like Horizon's console tab).
async fn remote_console(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let rc = body_member(&body, "remote_console")?;
    let protocol = str_field(rc, "protocol")?.unwrap_or("");
    let kind = str_field(rc, "type")?.unwrap_or("");
    if protocol != "vnc" || kind != "novnc" {
        return Err(NovaError(Error::invalid(msg!(
            "Unsupported console protocol {protocol} / type {kind}: this cloud offers vnc / novnc.",
            protocol,
            kind
        ))));
    }
    state.compute.console_address(&nova.ctx, &id).await?;
    let url = format!("{}/portal/instances/{id}/console", state.public_url());
    Ok(Json(
        json!({"remote_console": {"protocol": "vnc", "type": "novnc", "url": url}}),
    ))
}
