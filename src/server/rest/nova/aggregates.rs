//! Host aggregates (`os-aggregates`) and their actions: `add_host`, `remove_host`,
//! `set_metadata`.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::view::aggregate_view;
use super::{body_member, only_known, str_field, NJson, NResult, Nova, NovaError};
use crate::server::error::Error;
use crate::server::services::compute::AggregateMetadataChange;
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-aggregates", get(aggregate_list).post(aggregate_create))
        .route(
            "/os-aggregates/{id}",
            get(aggregate_show)
                .put(aggregate_update)
                .delete(aggregate_delete),
        )
        .route("/os-aggregates/{id}/action", post(aggregate_action))
}

async fn aggregate_list(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    let list = state.compute.aggregate_list(&nova.ctx).await?;
    let views: Vec<Value> = list
        .iter()
        .map(|a| aggregate_view(a, nova.mv, true))
        .collect();
    Ok(Json(json!({ "aggregates": views })))
}

async fn aggregate_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let a = state.compute.aggregate_get(&nova.ctx, &id).await?;
    Ok(Json(
        json!({ "aggregate": aggregate_view(&a, nova.mv, true) }),
    ))
}

/// An optional zone field: absent, `null` (no zone) or a name.
fn zone_field(obj: &serde_json::Map<String, Value>) -> NResult<Option<Option<&str>>> {
    match obj.get("availability_zone") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(_) => Ok(Some(str_field(obj, "availability_zone")?)),
    }
}

async fn aggregate_create(
    State(state): State<AppState>,
    nova: Nova,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let a = body_member(&body, "aggregate")?;
    only_known(a, "aggregate", &["name", "availability_zone"])?;
    let name = str_field(a, "name")?.ok_or_else(|| {
        NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute aggregate. 'name' is a required property"
        )))
    })?;
    let zone = zone_field(a)?.flatten();
    let made = state
        .compute
        .aggregate_create(&nova.ctx, name, zone)
        .await?;
    Ok(Json(
        json!({ "aggregate": aggregate_view(&made, nova.mv, false) }),
    ))
}

async fn aggregate_update(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let a = body_member(&body, "aggregate")?;
    only_known(a, "aggregate", &["name", "availability_zone"])?;
    if a.is_empty() {
        return Err(NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute aggregate: it must have name or availability_zone."
        ))));
    }
    let name = str_field(a, "name")?;
    let zone = zone_field(a)?;
    let changed = state
        .compute
        .aggregate_update(&nova.ctx, &id, name, zone)
        .await?;
    Ok(Json(
        json!({ "aggregate": aggregate_view(&changed, nova.mv, true) }),
    ))
}

async fn aggregate_delete(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<()> {
    state.compute.aggregate_delete(&nova.ctx, &id).await?;
    Ok(())
}

/// The host an `add_host` or `remove_host` action names.
fn host_of<'a>(obj: &'a serde_json::Map<String, Value>, action: &str) -> NResult<&'a str> {
    only_known(obj, action, &["host"])?;
    str_field(obj, "host")?.ok_or_else(|| {
        NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute {action}. 'host' is a required property",
            action
        )))
    })
}

async fn aggregate_action(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let obj = body.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
        NovaError(Error::invalid(msg!(
            "The body must name one action: add_host, remove_host or set_metadata."
        )))
    })?;
    let compute = &state.compute;
    let changed = if let Some(Value::Object(a)) = obj.get("add_host") {
        let host = host_of(a, "add_host")?;
        compute.aggregate_add_host(&nova.ctx, &id, host).await?
    } else if let Some(Value::Object(a)) = obj.get("remove_host") {
        let host = host_of(a, "remove_host")?;
        compute.aggregate_remove_host(&nova.ctx, &id, host).await?
    } else if let Some(Value::Object(a)) = obj.get("set_metadata") {
        only_known(a, "set_metadata", &["metadata"])?;
        let change = metadata_change(a.get("metadata"))?;
        compute
            .aggregate_set_metadata(&nova.ctx, &id, change)
            .await?
    } else {
        let name = obj.keys().next().cloned().unwrap_or_default();
        return Err(NovaError(Error::invalid(msg!(
            "There is no such action: {name}",
            name
        ))));
    };
    Ok(Json(
        json!({ "aggregate": aggregate_view(&changed, nova.mv, true) }),
    ))
}

/// `{"k": "v", "gone": null}`: values are strings, or `null` to remove a key.
fn metadata_change(v: Option<&Value>) -> NResult<AggregateMetadataChange> {
    let Some(Value::Object(m)) = v else {
        return Err(NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute set_metadata. 'metadata' is a required object"
        ))));
    };
    m.iter()
        .map(|(k, v)| match v {
            Value::Null => Ok((k.clone(), None)),
            Value::String(s) => Ok((k.clone(), Some(s.clone()))),
            Value::Number(n) => Ok((k.clone(), Some(n.to_string()))),
            Value::Bool(b) => Ok((k.clone(), Some(b.to_string()))),
            other => Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute metadata. Value: {other}. It is not of type 'string'",
                other
            )))),
        })
        .collect()
}
