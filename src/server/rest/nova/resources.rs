//! Flavors, key pairs, quotas, limits, hypervisors, services, availability zones.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{
    body_member, int_field, links, only_known, str_field, string_map, time, Mv, NJson, NResult,
    Nova, NovaError,
};
use crate::server::authz::is_admin;
use crate::server::error::Error;
use crate::server::services::compute::{Flavor, FlavorCreate, FlavorQuery, Hypervisor, Keypair};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/flavors", get(flavor_list).post(flavor_create))
        .route("/flavors/detail", get(flavor_list_detail))
        .route(
            "/flavors/{id}",
            get(flavor_show).put(flavor_update).delete(flavor_delete),
        )
        .route("/flavors/{id}/action", post(flavor_action))
        .route("/flavors/{id}/os-flavor-access", get(flavor_access))
        .route(
            "/flavors/{id}/os-extra_specs",
            get(extra_specs_list).post(extra_specs_set),
        )
        .route(
            "/flavors/{id}/os-extra_specs/{key}",
            get(extra_spec_show)
                .put(extra_spec_put)
                .delete(extra_spec_delete),
        )
        .route("/os-keypairs", get(keypair_list).post(keypair_create))
        .route(
            "/os-keypairs/{name}",
            get(keypair_show).delete(keypair_delete),
        )
        .route(
            "/os-quota-sets/{project_id}",
            get(quota_show).put(quota_update).delete(quota_delete),
        )
        .route("/os-quota-sets/{project_id}/detail", get(quota_detail))
        .route("/os-quota-sets/{project_id}/defaults", get(quota_defaults))
        .route(
            "/os-quota-class-sets/{class}",
            get(quota_class_show).put(quota_class_update),
        )
        .route("/limits", get(limits))
        .route("/os-hypervisors", get(hypervisor_list))
        .route("/os-hypervisors/detail", get(hypervisor_detail))
        .route("/os-hypervisors/statistics", get(hypervisor_statistics))
        .route("/os-hypervisors/{id}", get(hypervisor_show))
        .route("/os-services", get(service_list))
        .route("/os-services/{id}", put(service_update))
        .route("/os-availability-zone", get(availability_zones))
        .route(
            "/os-availability-zone/detail",
            get(availability_zones_detail),
        )
        .route("/os-networks", get(networks))
}

// --- Flavors ---------------------------------------------------------------------------

pub fn flavor_view(state: &AppState, f: &Flavor, mv: Mv) -> Value {
    let mut v = json!({
        "id": f.id,
        "name": f.name,
        "ram": f.ram,
        "disk": f.disk,
        "vcpus": f.vcpus,
        "swap": if f.swap == 0 && !mv.at_least(75) { json!("") } else { json!(f.swap) },
        "OS-FLV-EXT-DATA:ephemeral": f.ephemeral,
        "OS-FLV-DISABLED:disabled": f.disabled,
        "rxtx_factor": f.rxtx_factor,
        "os-flavor-access:is_public": f.is_public,
        "links": links(state, &format!("flavors/{}", f.id)),
    });
    if mv.at_least(55) {
        v["description"] = json!(f.description);
    }
    if mv.at_least(61) {
        v["extra_specs"] = json!(f.extra_specs);
    }
    v
}

/// `is_public`: `None`/`none` means all (administrators), otherwise a boolean;
/// non-administrators always see public flavors plus their own.
fn is_public_param(q: &BTreeMap<String, String>, admin: bool) -> NResult<Option<bool>> {
    match q.get("is_public").map(|s| s.to_ascii_lowercase()) {
        None => Ok(if admin { Some(true) } else { None }),
        Some(s) if s == "none" => Ok(None),
        Some(s) if ["true", "1", "yes", "t", "on"].contains(&s.as_str()) => Ok(Some(true)),
        Some(s) if ["false", "0", "no", "f", "off"].contains(&s.as_str()) => {
            Ok(if admin { Some(false) } else { None })
        }
        Some(s) => Err(NovaError(Error::invalid(format!(
            "Invalid is_public filter [{s}]"
        )))),
    }
}

async fn flavors(
    state: &AppState,
    nova: &Nova,
    q: &BTreeMap<String, String>,
) -> NResult<Vec<Flavor>> {
    let admin = is_admin(&nova.ctx);
    let int = |key: &str| -> NResult<Option<i64>> {
        q.get(key)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| NovaError(Error::invalid(format!("Invalid {key} filter [{v}]"))))
            })
            .transpose()
    };
    let limit = q
        .get("limit")
        .map(|l| {
            l.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| NovaError(Error::invalid(format!("Invalid limit [{l}]"))))
        })
        .transpose()?;
    Ok(state
        .compute
        .flavor_list(
            &nova.ctx,
            FlavorQuery {
                is_public: is_public_param(q, admin)?,
                min_ram: int("minRam")?,
                min_disk: int("minDisk")?,
                marker: q.get("marker").cloned(),
                limit,
            },
        )
        .await?)
}

async fn flavor_list(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<BTreeMap<String, String>>,
) -> NResult<Json<Value>> {
    let list = flavors(&state, &nova, &q).await?;
    Ok(Json(json!({"flavors": list.iter().map(|f| {
        let mut v = json!({"id": f.id, "name": f.name, "links": links(&state, &format!("flavors/{}", f.id))});
        if nova.mv.at_least(55) { v["description"] = json!(f.description); }
        v
    }).collect::<Vec<_>>()})))
}

async fn flavor_list_detail(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<BTreeMap<String, String>>,
) -> NResult<Json<Value>> {
    let list = flavors(&state, &nova, &q).await?;
    Ok(Json(
        json!({"flavors": list.iter().map(|f| flavor_view(&state, f, nova.mv)).collect::<Vec<_>>()}),
    ))
}

async fn flavor_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let f = state.compute.flavor_get(&nova.ctx, &id).await?;
    Ok(Json(json!({"flavor": flavor_view(&state, &f, nova.mv)})))
}

async fn flavor_create(
    State(state): State<AppState>,
    nova: Nova,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let f = body_member(&body, "flavor")?;
    only_known(
        f,
        "flavor",
        &[
            "name",
            "id",
            "ram",
            "vcpus",
            "disk",
            "OS-FLV-EXT-DATA:ephemeral",
            "swap",
            "rxtx_factor",
            "os-flavor-access:is_public",
            "description",
        ],
    )?;
    let required = |key: &str| -> NResult<i64> {
        int_field(f, key)?.ok_or_else(|| {
            NovaError(Error::invalid(format!(
                "Invalid input for field/attribute flavor. '{key}' is a required property"
            )))
        })
    };
    let name = str_field(f, "name")?
        .ok_or_else(|| {
            NovaError(Error::invalid(
                "Invalid input for field/attribute flavor. 'name' is a required property",
            ))
        })?
        .to_string();
    let id = match f.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(v) => {
            return Err(NovaError(Error::invalid(format!(
                "Invalid input for field/attribute id. Value: {v}."
            ))))
        }
    };
    let is_public = match f.get("os-flavor-access:is_public") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(NovaError(Error::invalid(format!(
                "Invalid input for field/attribute os-flavor-access:is_public. Value: {v}."
            ))))
        }
    };
    let rxtx = match f.get("rxtx_factor") {
        None | Some(Value::Null) => 1.0,
        Some(Value::Number(n)) => n.as_f64().unwrap_or(-1.0),
        Some(v) => {
            return Err(NovaError(Error::invalid(format!(
                "Invalid input for field/attribute rxtx_factor. Value: {v}."
            ))))
        }
    };
    let created = state
        .compute
        .flavor_create(
            &nova.ctx,
            FlavorCreate {
                id,
                name,
                vcpus: required("vcpus")?,
                ram: required("ram")?,
                disk: required("disk")?,
                ephemeral: int_field(f, "OS-FLV-EXT-DATA:ephemeral")?.unwrap_or(0),
                swap: match f.get("swap") {
                    Some(Value::String(s)) if s.is_empty() => 0,
                    _ => int_field(f, "swap")?.unwrap_or(0),
                },
                rxtx_factor: rxtx,
                is_public,
                description: if nova.mv.at_least(55) {
                    str_field(f, "description")?.map(str::to_string)
                } else {
                    None
                },
            },
        )
        .await?;
    Ok(Json(
        json!({"flavor": flavor_view(&state, &created, nova.mv)}),
    ))
}

async fn flavor_update(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    if !nova.mv.at_least(55) {
        return Err(NovaError(Error::not_found(
            "resource",
            "PUT /flavors (microversion 2.55 or later)",
        )));
    }
    let f = body_member(&body, "flavor")?;
    let description = str_field(f, "description")?.map(str::to_string);
    let flavor = state
        .compute
        .flavor_update_description(&nova.ctx, &id, description)
        .await?;
    Ok(Json(
        json!({"flavor": flavor_view(&state, &flavor, nova.mv)}),
    ))
}

async fn flavor_delete(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    state.compute.flavor_delete(&nova.ctx, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

fn access_view(flavor_id: &str, projects: &[String]) -> Value {
    json!({"flavor_access": projects.iter().map(|p| json!({"flavor_id": flavor_id, "tenant_id": p})).collect::<Vec<_>>()})
}

async fn flavor_action(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    if let Some(a) = body.get("addTenantAccess") {
        let tenant = a
            .get("tenant")
            .and_then(Value::as_str)
            .ok_or_else(|| NovaError(Error::invalid("Missing tenant parameter")))?;
        let list = state
            .compute
            .flavor_access_add(&nova.ctx, &id, tenant)
            .await?;
        return Ok(Json(access_view(&id, &list)));
    }
    if let Some(a) = body.get("removeTenantAccess") {
        let tenant = a
            .get("tenant")
            .and_then(Value::as_str)
            .ok_or_else(|| NovaError(Error::invalid("Missing tenant parameter")))?;
        let list = state
            .compute
            .flavor_access_remove(&nova.ctx, &id, tenant)
            .await?;
        return Ok(Json(access_view(&id, &list)));
    }
    Err(NovaError(Error::invalid("There is no such flavor action.")))
}

async fn flavor_access(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let list = state.compute.flavor_access_list(&nova.ctx, &id).await?;
    Ok(Json(access_view(&id, &list)))
}

async fn extra_specs_list(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let f = state.compute.flavor_get(&nova.ctx, &id).await?;
    Ok(Json(json!({"extra_specs": f.extra_specs})))
}

async fn extra_specs_set(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let specs = string_map(body.get("extra_specs"), "extra_specs")?;
    if body.get("extra_specs").is_none() {
        return Err(NovaError(Error::invalid(
            "Invalid input for field/attribute extra_specs. 'extra_specs' is a required property",
        )));
    }
    let all = state
        .compute
        .flavor_extra_specs_set(&nova.ctx, &id, specs)
        .await?;
    Ok(Json(json!({"extra_specs": all})))
}

async fn extra_spec_show(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, key)): Path<(String, String)>,
) -> NResult<Json<Value>> {
    let f = state.compute.flavor_get(&nova.ctx, &id).await?;
    let v = f.extra_specs.get(&key).ok_or_else(|| {
        NovaError(Error::NotFound {
            kind: "extra spec",
            id: format!("{key} of flavor {id}"),
        })
    })?;
    Ok(Json(json!({key: v})))
}

async fn extra_spec_put(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, key)): Path<(String, String)>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let m = string_map(Some(&body), "extra_specs")?;
    if m.len() != 1 || !m.contains_key(&key) {
        return Err(NovaError(Error::invalid("Request body and URI mismatch")));
    }
    state
        .compute
        .flavor_extra_specs_set(&nova.ctx, &id, m.clone())
        .await?;
    Ok(Json(json!(m)))
}

async fn extra_spec_delete(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, key)): Path<(String, String)>,
) -> NResult<StatusCode> {
    state
        .compute
        .flavor_extra_spec_delete(&nova.ctx, &id, &key)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

// --- Key pairs -------------------------------------------------------------------------

fn keypair_view(k: &Keypair, mv: Mv) -> Value {
    let mut v = json!({"name": k.name, "public_key": k.public_key, "fingerprint": k.fingerprint});
    if mv.at_least(2) {
        v["type"] = json!(k.key_type);
    }
    v
}

async fn keypair_create(
    State(state): State<AppState>,
    nova: Nova,
    NJson(body): NJson<Value>,
) -> NResult<Response> {
    let k = body_member(&body, "keypair")?;
    only_known(k, "keypair", &["name", "type", "public_key", "user_id"])?;
    let name = str_field(k, "name")?.ok_or_else(|| {
        NovaError(Error::invalid(
            "Invalid input for field/attribute keypair. 'name' is a required property",
        ))
    })?;
    let key_type = if nova.mv.at_least(2) {
        str_field(k, "type")?
    } else {
        None
    };
    let public_key = str_field(k, "public_key")?;
    if public_key.is_none() && nova.mv.at_least(92) {
        return Err(NovaError(Error::invalid(
            "Invalid input for field/attribute keypair. 'public_key' is a required property",
        )));
    }
    let made = state
        .compute
        .keypair_create(&nova.ctx, name, key_type, public_key)
        .await?;
    let mut v = keypair_view(&made.keypair, nova.mv);
    v["user_id"] = json!(made.keypair.user_id);
    if let Some(private) = made.private_key {
        v["private_key"] = json!(private);
    }
    let status = if nova.mv.at_least(2) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({"keypair": v}))).into_response())
}

async fn keypair_list(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<BTreeMap<String, String>>,
) -> NResult<Json<Value>> {
    let user = if nova.mv.at_least(10) {
        q.get("user_id").map(String::as_str)
    } else {
        None
    };
    let list = state.compute.keypair_list(&nova.ctx, user).await?;
    Ok(Json(
        json!({"keypairs": list.iter().map(|k| json!({"keypair": keypair_view(k, nova.mv)})).collect::<Vec<_>>()}),
    ))
}

async fn keypair_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(name): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> NResult<Json<Value>> {
    let user = if nova.mv.at_least(10) {
        q.get("user_id").map(String::as_str)
    } else {
        None
    };
    let k = state.compute.keypair_get(&nova.ctx, &name, user).await?;
    let mut v = keypair_view(&k, nova.mv);
    v["user_id"] = json!(k.user_id);
    v["created_at"] = json!(time(k.created_at));
    v["updated_at"] = Value::Null;
    v["deleted"] = json!(false);
    v["deleted_at"] = Value::Null;
    v["id"] = json!(0);
    Ok(Json(json!({"keypair": v})))
}

async fn keypair_delete(
    State(state): State<AppState>,
    nova: Nova,
    Path(name): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> NResult<StatusCode> {
    let user = if nova.mv.at_least(10) {
        q.get("user_id").map(String::as_str)
    } else {
        None
    };
    state.compute.keypair_delete(&nova.ctx, &name, user).await?;
    Ok(if nova.mv.at_least(2) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    })
}

// --- Quotas and limits -----------------------------------------------------------------

/// The resources a microversion shows (2.57 dropped the injected-file ones).
fn shown(resource: &str, mv: Mv) -> bool {
    !(mv.at_least(57) && resource.starts_with("injected_file"))
}

fn quota_view(id: &str, limits: &BTreeMap<String, i64>, mv: Mv) -> Value {
    let mut v = serde_json::Map::new();
    v.insert("id".into(), json!(id));
    for (r, l) in limits {
        if shown(r, mv) {
            v.insert(r.clone(), json!(l));
        }
    }
    Value::Object(v)
}

async fn quota_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(project_id): Path<String>,
) -> NResult<Json<Value>> {
    let q = state.compute.quota_get(&nova.ctx, &project_id).await?;
    Ok(Json(
        json!({"quota_set": quota_view(&project_id, &q.limits, nova.mv)}),
    ))
}

async fn quota_detail(
    State(state): State<AppState>,
    nova: Nova,
    Path(project_id): Path<String>,
) -> NResult<Json<Value>> {
    let q = state.compute.quota_get(&nova.ctx, &project_id).await?;
    let mut v = serde_json::Map::new();
    v.insert("id".into(), json!(project_id));
    let key_pairs = state.compute.keypairs_used(&nova.ctx).await?;
    for (r, l) in &q.limits {
        if shown(r, nova.mv) {
            let in_use = if r == "key_pairs" {
                key_pairs
            } else {
                q.in_use.get(r).copied().unwrap_or(0)
            };
            v.insert(
                r.clone(),
                json!({"limit": l, "in_use": in_use, "reserved": 0}),
            );
        }
    }
    Ok(Json(json!({"quota_set": v})))
}

async fn quota_defaults(
    State(state): State<AppState>,
    nova: Nova,
    Path(project_id): Path<String>,
) -> NResult<Json<Value>> {
    let d = state.compute.quota_defaults(&nova.ctx).await?;
    Ok(Json(
        json!({"quota_set": quota_view(&project_id, &d, nova.mv)}),
    ))
}

fn quota_changes(body: &Value, key: &str) -> NResult<(BTreeMap<String, i64>, bool)> {
    let q = body_member(body, key)?;
    let mut changes = BTreeMap::new();
    let mut force = false;
    for (k, v) in q {
        if k == "force" {
            force = v.as_bool().unwrap_or(false)
                || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"));
            continue;
        }
        if k == "id" {
            continue;
        }
        let n = match v {
            Value::Number(n) if n.is_i64() => n.as_i64().unwrap_or(0),
            Value::String(s) if s.trim().parse::<i64>().is_ok() => s.trim().parse().unwrap_or(0),
            other => {
                return Err(NovaError(Error::invalid(format!(
                    "Invalid input for field/attribute {k}. Value: {other}. It is not an integer."
                ))))
            }
        };
        changes.insert(k.clone(), n);
    }
    Ok((changes, force))
}

async fn quota_update(
    State(state): State<AppState>,
    nova: Nova,
    Path(project_id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let (changes, force) = quota_changes(&body, "quota_set")?;
    let q = state
        .compute
        .quota_update(&nova.ctx, &project_id, changes, force)
        .await?;
    let mut v = quota_view(&project_id, &q.limits, nova.mv);
    if let Some(o) = v.as_object_mut() {
        o.remove("id");
    }
    Ok(Json(json!({"quota_set": v})))
}

async fn quota_delete(
    State(state): State<AppState>,
    nova: Nova,
    Path(project_id): Path<String>,
) -> NResult<StatusCode> {
    state.compute.quota_reset(&nova.ctx, &project_id).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn quota_class_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(class): Path<String>,
) -> NResult<Json<Value>> {
    let d = state.compute.quota_class_get(&nova.ctx).await?;
    Ok(Json(
        json!({"quota_class_set": quota_view(&class, &d, nova.mv)}),
    ))
}

async fn quota_class_update(
    State(state): State<AppState>,
    nova: Nova,
    Path(class): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    if class != "default" {
        return Err(NovaError(Error::invalid(
            "Only the default quota class can be changed.",
        )));
    }
    let (changes, _) = quota_changes(&body, "quota_class_set")?;
    let d = state
        .compute
        .quota_defaults_update(&nova.ctx, changes)
        .await?;
    let mut v = quota_view(&class, &d, nova.mv);
    if let Some(o) = v.as_object_mut() {
        o.remove("id");
    }
    Ok(Json(json!({"quota_class_set": v})))
}

async fn limits(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<BTreeMap<String, String>>,
) -> NResult<Json<Value>> {
    let project = match (q.get("tenant_id"), nova.ctx.auth.project_id()) {
        (Some(t), _) if is_admin(&nova.ctx) => t.clone(),
        (_, Some(p)) => p.to_string(),
        _ => {
            return Err(NovaError(Error::forbidden_msg(
                "Limits are read with a project-scoped token.",
            )))
        }
    };
    let qs = state.compute.quota_get(&nova.ctx, &project).await?;
    let l = |r: &str| qs.limits.get(r).copied().unwrap_or(-1);
    let u = |r: &str| qs.in_use.get(r).copied().unwrap_or(0);
    let mut absolute = json!({
        "maxTotalInstances": l("instances"),
        "maxTotalCores": l("cores"),
        "maxTotalRAMSize": l("ram"),
        "maxTotalKeypairs": l("key_pairs"),
        "maxServerMeta": l("metadata_items"),
        "maxServerGroups": l("server_groups"),
        "maxServerGroupMembers": l("server_group_members"),
        "totalInstancesUsed": u("instances"),
        "totalCoresUsed": u("cores"),
        "totalRAMUsed": u("ram"),
        "totalServerGroupsUsed": 0,
    });
    if !nova.mv.at_least(57) {
        absolute["maxPersonality"] = json!(l("injected_files"));
        absolute["maxPersonalitySize"] = json!(l("injected_file_content_bytes"));
    }
    Ok(Json(json!({"limits": {"absolute": absolute, "rate": []}})))
}

// --- Hypervisors, services, zones ------------------------------------------------------

fn hypervisor_id(h: &Hypervisor, mv: Mv) -> Value {
    if mv.at_least(53) {
        json!(h.id)
    } else {
        json!(h.num)
    }
}

fn hypervisor_view(h: &Hypervisor, used: (i64, i64, i64, i64), mv: Mv, detail: bool) -> Value {
    let (running, cpu, ram, disk) = used;
    let mut v = json!({
        "id": hypervisor_id(h, mv),
        "hypervisor_hostname": h.host,
        "state": "up",
        "status": h.status,
    });
    if detail {
        v["host_ip"] = json!(h.host_ip);
        v["hypervisor_type"] = json!(h.hypervisor_type);
        v["hypervisor_version"] = json!(h.hypervisor_version);
        v["service"] = json!({"host": h.host, "id": if mv.at_least(53) { json!(h.id) } else { json!(h.num) }, "disabled_reason": h.disabled_reason});
        if !mv.at_least(88) {
            v["vcpus"] = json!(h.vcpus);
            v["memory_mb"] = json!(h.memory_mb);
            v["local_gb"] = json!(h.local_gb);
            v["vcpus_used"] = json!(cpu);
            v["memory_mb_used"] = json!(ram);
            v["local_gb_used"] = json!(disk);
            v["free_ram_mb"] = json!(h.memory_mb - ram);
            v["free_disk_gb"] = json!(h.local_gb - disk);
            v["current_workload"] = json!(0);
            v["running_vms"] = json!(running);
            v["disk_available_least"] = json!(h.local_gb - disk);
            v["cpu_info"] = serde_json::from_str::<Value>(&h.cpu_info)
                .map(|c| json!(c.to_string()))
                .unwrap_or(json!(""));
        } else {
            v["uptime"] = Value::Null;
        }
    }
    v
}

async fn hypervisor_list(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    let list = state.compute.hypervisors(&nova.ctx).await?;
    Ok(Json(
        json!({"hypervisors": list.iter().map(|(h, a, b, c, d)| hypervisor_view(h, (*a, *b, *c, *d), nova.mv, false)).collect::<Vec<_>>()}),
    ))
}

async fn hypervisor_detail(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    let list = state.compute.hypervisors(&nova.ctx).await?;
    Ok(Json(
        json!({"hypervisors": list.iter().map(|(h, a, b, c, d)| hypervisor_view(h, (*a, *b, *c, *d), nova.mv, true)).collect::<Vec<_>>()}),
    ))
}

async fn hypervisor_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let list = state.compute.hypervisors(&nova.ctx).await?;
    let (h, a, b, c, d) = list
        .iter()
        .find(|(h, ..)| h.id == id || h.num.to_string() == id)
        .ok_or_else(|| {
            NovaError(Error::NotFound {
                kind: "hypervisor",
                id: id.clone(),
            })
        })?;
    Ok(Json(
        json!({"hypervisor": hypervisor_view(h, (*a, *b, *c, *d), nova.mv, true)}),
    ))
}

async fn hypervisor_statistics(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    if nova.mv.at_least(88) {
        return Err(NovaError(Error::not_found(
            "resource",
            "os-hypervisors/statistics (removed in microversion 2.88)",
        )));
    }
    let list = state.compute.hypervisors(&nova.ctx).await?;
    let sum =
        |f: &dyn Fn(&(Hypervisor, i64, i64, i64, i64)) -> i64| list.iter().map(f).sum::<i64>();
    let stats = json!({
        "count": list.len(),
        "vcpus": sum(&|x| x.0.vcpus),
        "memory_mb": sum(&|x| x.0.memory_mb),
        "local_gb": sum(&|x| x.0.local_gb),
        "vcpus_used": sum(&|x| x.2),
        "memory_mb_used": sum(&|x| x.3),
        "local_gb_used": sum(&|x| x.4),
        "free_ram_mb": sum(&|x| x.0.memory_mb - x.3),
        "free_disk_gb": sum(&|x| x.0.local_gb - x.4),
        "current_workload": 0,
        "running_vms": sum(&|x| x.1),
        "disk_available_least": sum(&|x| x.0.local_gb - x.4),
    });
    Ok(Json(json!({"hypervisor_statistics": stats})))
}

fn service_view(h: &Hypervisor, mv: Mv) -> Value {
    json!({
        "id": if mv.at_least(53) { json!(h.id) } else { json!(h.num) },
        "binary": "nova-compute",
        "host": h.host,
        "zone": "nova",
        "status": h.status,
        "state": "up",
        "updated_at": time(h.updated_at),
        "disabled_reason": h.disabled_reason,
        "forced_down": false,
    })
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
        return Err(NovaError(Error::invalid(
            "Use microversion 2.53 or later to update a service by id.",
        )));
    }
    let obj = body
        .as_object()
        .ok_or_else(|| NovaError(Error::invalid("The body must be an object.")))?;
    let enabled = match str_field(obj, "status")? {
        Some("enabled") => true,
        Some("disabled") => false,
        Some(other) => {
            return Err(NovaError(Error::invalid(format!(
                "Invalid input for field/attribute status. Value: {other}."
            ))))
        }
        None => {
            return Err(NovaError(Error::invalid(
                "Invalid input for field/attribute status: it is required.",
            )))
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
    Json(
        json!({"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}, "hosts": null}]}),
    )
}

/// The zone with its hosts and their services: administrators only, as in Nova
/// (`os_compute_api:os-availability-zone:detail`).
async fn availability_zones_detail(
    State(state): State<AppState>,
    nova: Nova,
) -> NResult<Json<Value>> {
    let nodes = state.compute.compute_services(&nova.ctx).await?;
    let hosts: serde_json::Map<String, Value> = nodes
        .iter()
        .map(|h| {
            let service = json!({"available": h.status == "enabled", "active": true, "updated_at": time(h.updated_at)});
            (h.host.clone(), json!({"nova-compute": service}))
        })
        .collect();
    Ok(Json(
        json!({"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}, "hosts": hosts}]}),
    ))
}

/// The legacy networks proxy: no networks until the networking service is offered.
async fn networks(_nova: Nova) -> Json<Value> {
    Json(json!({"networks": []}))
}
