//! Key pairs (`os-keypairs`).
use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::view::{keypair_view, KeypairShown};
use super::{body_member, only_known, str_field, NJson, NResult, Nova, NovaError};
use crate::server::error::Error;
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-keypairs", get(keypair_list).post(keypair_create))
        .route(
            "/os-keypairs/{name}",
            get(keypair_show).delete(keypair_delete),
        )
}

async fn keypair_create(
    State(state): State<AppState>,
    nova: Nova,
    NJson(body): NJson<Value>,
) -> NResult<Response> {
    let k = body_member(&body, "keypair")?;
    only_known(k, "keypair", &["name", "type", "public_key", "user_id"])?;
    let name = str_field(k, "name")?.ok_or_else(|| {
        NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute keypair. 'name' is a required property"
        )))
    })?;
    let key_type = if nova.mv.at_least(2) {
        str_field(k, "type")?
    } else {
        None
    };
    let public_key = str_field(k, "public_key")?;
    if public_key.is_none() && nova.mv.at_least(92) {
        return Err(NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute keypair. 'public_key' is a required property"
        ))));
    }
    let made = state
        .compute
        .keypair_create(&nova.ctx, name, key_type, public_key)
        .await?;
    let shown = KeypairShown::Created {
        private_key: made.private_key.as_deref(),
    };
    let v = keypair_view(&made.keypair, nova.mv, shown);
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
        json!({"keypairs": list.iter().map(|k| json!({"keypair": keypair_view(k, nova.mv, KeypairShown::Listed)})).collect::<Vec<_>>()}),
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
    let v = keypair_view(&k, nova.mv, KeypairShown::Detail);
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
