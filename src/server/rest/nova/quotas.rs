//! Quotas and their defaults and classes (`os-quota-sets`, `os-quota-class-sets`), and `limits`.
use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::view::{limits_view, quota_detail_view, quota_shown, quota_view};
use super::{body_member, bool_field, Mv, NJson, NResult, Nova, NovaError};
use crate::server::authz::is_admin;
use crate::server::error::Error;
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
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
}

async fn quota_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(project_id): Path<String>,
) -> NResult<Json<Value>> {
    let q = state.compute.quota_get(&nova.ctx, &project_id).await?;
    Ok(Json(
        json!({"quota_set": quota_view(Some(&project_id), &q.limits, nova.mv)}),
    ))
}

async fn quota_detail(
    State(state): State<AppState>,
    nova: Nova,
    Path(project_id): Path<String>,
) -> NResult<Json<Value>> {
    let q = state.compute.quota_get(&nova.ctx, &project_id).await?;
    let key_pairs = state.compute.keypairs_used(&nova.ctx).await?;
    let in_use = |resource: &str| match resource {
        "key_pairs" => key_pairs,
        _ => q.in_use.get(resource).copied().unwrap_or(0),
    };
    let v = quota_detail_view(&project_id, &q.limits, in_use, nova.mv);
    Ok(Json(json!({"quota_set": v})))
}

async fn quota_defaults(
    State(state): State<AppState>,
    nova: Nova,
    Path(project_id): Path<String>,
) -> NResult<Json<Value>> {
    let d = state.compute.quota_defaults(&nova.ctx).await?;
    Ok(Json(
        json!({"quota_set": quota_view(Some(&project_id), &d, nova.mv)}),
    ))
}

fn quota_changes(body: &Value, key: &str, mv: Mv) -> NResult<(BTreeMap<String, i64>, bool)> {
    let q = body_member(body, key)?;
    let mut changes = BTreeMap::new();
    let mut force = false;
    for (k, v) in q {
        if k == "force" {
            force = bool_field(q, "force")?.unwrap_or(false);
            continue;
        }
        if k == "id" {
            continue;
        }
        if !quota_shown(k, mv) {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute {key}. Additional properties are not allowed ('{k}' was unexpected)",
                key,
                k
            ))));
        }
        let n = match v {
            Value::Number(n) if n.is_i64() => n.as_i64().unwrap_or(0),
            Value::String(s) if s.trim().parse::<i64>().is_ok() => s.trim().parse().unwrap_or(0),
            other => {
                return Err(NovaError(Error::invalid(msg!(
                    "Invalid input for field/attribute {k}. Value: {other}. It is not an integer.",
                    k,
                    other
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
    let (changes, force) = quota_changes(&body, "quota_set", nova.mv)?;
    let q = state
        .compute
        .quota_update(&nova.ctx, &project_id, changes, force)
        .await?;
    let v = quota_view(None, &q.limits, nova.mv);
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
        json!({"quota_class_set": quota_view(Some(&class), &d, nova.mv)}),
    ))
}

async fn quota_class_update(
    State(state): State<AppState>,
    nova: Nova,
    Path(class): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    if class != "default" {
        return Err(NovaError(Error::invalid(msg!(
            "Only the default quota class can be changed."
        ))));
    }
    let (changes, _) = quota_changes(&body, "quota_class_set", nova.mv)?;
    let d = state
        .compute
        .quota_defaults_update(&nova.ctx, changes)
        .await?;
    let v = quota_view(None, &d, nova.mv);
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
            return Err(NovaError(Error::forbidden_msg(msg!(
                "Limits are read with a project-scoped token."
            ))))
        }
    };
    let qs = state.compute.quota_get(&nova.ctx, &project).await?;
    Ok(Json(json!({"limits": limits_view(&qs, nova.mv)})))
}
