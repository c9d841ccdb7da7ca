//! Network quotas: `/quotas/{project_id}` with `default` and `details`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{bad_request, invalid_input, NJson, NResult, Neutron};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/quotas/{project_id}", get(show).put(update).delete(reset))
        .route("/quotas/{project_id}/default", get(defaults))
        .route("/quotas/{project_id}/details", get(details))
}

fn limits_view(limits: &BTreeMap<String, i64>) -> Value {
    let mut v: serde_json::Map<String, Value> =
        limits.iter().map(|(k, l)| (k.clone(), json!(l))).collect();
    // Resources of extensions this cloud does not offer, as Neutron shows them.
    v.insert("subnetpool".into(), json!(-1));
    v.insert("rbac_policy".into(), json!(-1));
    Value::Object(v)
}

async fn show(
    State(state): State<AppState>,
    n: Neutron,
    Path(project_id): Path<String>,
) -> NResult<Json<Value>> {
    let q = state.network.quota_get(&n.ctx, &project_id).await?;
    Ok(Json(json!({"quota": limits_view(&q.limits)})))
}

async fn defaults(
    State(state): State<AppState>,
    n: Neutron,
    Path(project_id): Path<String>,
) -> NResult<Json<Value>> {
    let limits = state.network.quota_defaults(&n.ctx, &project_id).await?;
    Ok(Json(json!({"quota": limits_view(&limits)})))
}

async fn details(
    State(state): State<AppState>,
    n: Neutron,
    Path(project_id): Path<String>,
) -> NResult<Json<Value>> {
    let q = state.network.quota_get(&n.ctx, &project_id).await?;
    let v: serde_json::Map<String, Value> = q
        .limits
        .iter()
        .map(|(k, l)| {
            let used = q.used.get(k).copied().unwrap_or(0);
            (k.clone(), json!({"limit": l, "used": used, "reserved": 0}))
        })
        .collect();
    Ok(Json(json!({"quota": v})))
}

async fn update(
    State(state): State<AppState>,
    n: Neutron,
    Path(project_id): Path<String>,
    NJson(body): NJson,
) -> NResult<Json<Value>> {
    let obj = body
        .get("quota")
        .and_then(Value::as_object)
        .ok_or_else(|| bad_request(msg!("Resource body required: 'quota'.")))?;
    let mut changes = BTreeMap::new();
    for (k, v) in obj {
        if k == "check_limit" || k == "force" {
            continue;
        }
        let limit = v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| invalid_input(msg!("'{v}' is not an integer for {k}", v, k)))?;
        changes.insert(k.clone(), limit);
    }
    let q = state
        .network
        .quota_update(&n.ctx, &project_id, changes)
        .await?;
    Ok(Json(json!({"quota": limits_view(&q.limits)})))
}

async fn reset(
    State(state): State<AppState>,
    n: Neutron,
    Path(project_id): Path<String>,
) -> NResult<StatusCode> {
    state.network.quota_reset(&n.ctx, &project_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
