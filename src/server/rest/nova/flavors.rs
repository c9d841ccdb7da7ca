//! Flavors, their access lists and extra specs.
use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::view::{brief_view, flavor_view};
use super::{
    body_member, bool_field, int_field, only_known, str_field, string_map, NJson, NResult, Nova,
    NovaError,
};
use crate::server::authz::is_admin;
use crate::server::error::Error;
use crate::server::services::compute::{Flavor, FlavorCreate, FlavorQuery};
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
        Some(s) => Err(NovaError(Error::invalid(msg!(
            "Invalid is_public filter [{s}]",
            s
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
                v.parse::<i64>().map_err(|_| {
                    NovaError(Error::invalid(msg!("Invalid {key} filter [{v}]", key, v)))
                })
            })
            .transpose()
    };
    let limit = q
        .get("limit")
        .map(|l| {
            l.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| NovaError(Error::invalid(msg!("Invalid limit [{l}]", l))))
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
    let brief = |f: &Flavor| {
        let description = nova.mv.at_least(55).then_some(f.description.as_deref());
        brief_view(&state, "flavors", &f.id, &f.name, description)
    };
    Ok(Json(
        json!({"flavors": list.iter().map(brief).collect::<Vec<_>>()}),
    ))
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
            NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute flavor. '{key}' is a required property",
                key
            )))
        })
    };
    let name = str_field(f, "name")?
        .ok_or_else(|| {
            NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute flavor. 'name' is a required property"
            )))
        })?
        .to_string();
    let id = match f.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(v) => {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute id. Value: {v}.",
                v
            ))))
        }
    };
    let is_public = bool_field(f, "os-flavor-access:is_public")?.unwrap_or(true);
    let rxtx = match f.get("rxtx_factor") {
        None | Some(Value::Null) => 1.0,
        Some(Value::Number(n)) => n.as_f64().unwrap_or(-1.0),
        Some(v) => {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute rxtx_factor. Value: {v}.",
                v
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

/// `{"flavor_access": [{"flavor_id", "tenant_id"}, …]}`: the projects a private flavor is
/// given to.
fn access_view(flavor_id: &str, projects: &[String]) -> Value {
    #[derive(serde::Serialize)]
    struct Access<'a> {
        flavor_id: &'a str,
        tenant_id: &'a str,
    }
    let list: Vec<Access> = projects
        .iter()
        .map(|p| Access {
            flavor_id,
            tenant_id: p,
        })
        .collect();
    json!({ "flavor_access": list })
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
            .ok_or_else(|| NovaError(Error::invalid(msg!("Missing tenant parameter"))))?;
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
            .ok_or_else(|| NovaError(Error::invalid(msg!("Missing tenant parameter"))))?;
        let list = state
            .compute
            .flavor_access_remove(&nova.ctx, &id, tenant)
            .await?;
        return Ok(Json(access_view(&id, &list)));
    }
    Err(NovaError(Error::invalid(msg!(
        "There is no such flavor action."
    ))))
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
        return Err(NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute extra_specs. 'extra_specs' is a required property"
        ))));
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
        return Err(NovaError(Error::invalid(msg!(
            "Request body and URI mismatch"
        ))));
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
    Ok(StatusCode::OK)
}
