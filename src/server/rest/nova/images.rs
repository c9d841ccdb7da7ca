//! The image proxy Nova serves below microversion 2.36 (`/images`): the image service's
//! images in Nova's form, their properties as `metadata`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::view::{image_brief_view, image_detail_view};
use super::{meta_item, string_map, Mv, NJson, NResult, Nova, NovaError};
use crate::server::error::Error;
use crate::server::services::image::{Image, ImageAttr, ImagePatch, ImageQuery};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/images", get(list))
        .route("/images/detail", get(detail))
        .route("/images/{id}", get(show).delete(remove))
        .route(
            "/images/{id}/metadata",
            get(metadata_list)
                .put(metadata_replace)
                .post(metadata_update),
        )
        .route(
            "/images/{id}/metadata/{key}",
            get(metadata_show).put(metadata_set).delete(metadata_delete),
        )
}

/// The proxy is gone from 2.36: a newer client gets Nova's 404.
fn proxied(mv: Mv) -> NResult<()> {
    if mv.at_least(36) {
        return Err(NovaError(Error::not_found("resource", "the requested URL")));
    }
    Ok(())
}

/// The images the caller sees, filtered as Nova's `GET /images` filters them.
async fn images(
    state: &AppState,
    nova: &Nova,
    q: &BTreeMap<String, String>,
) -> NResult<Vec<Image>> {
    proxied(nova.mv)?;
    let limit = match q.get("limit") {
        None => None,
        Some(l) => Some(l.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            NovaError(Error::invalid(msg!(
                "Invalid input for query parameters limit. Value: {l}.",
                l
            )))
        })?),
    };
    let status = q
        .get("status")
        .map(|s| match s.to_ascii_uppercase().as_str() {
            "ACTIVE" => "active".to_string(),
            "SAVING" => "saving".to_string(),
            "ERROR" => "killed".to_string(),
            other => other.to_ascii_lowercase(),
        });
    let query = ImageQuery {
        name: q.get("name").cloned(),
        status,
        limit,
        marker: q.get("marker").cloned(),
        project_view: true,
        ..Default::default()
    };
    let mut list = state.image.image_list(&nova.ctx, query).await?.images;
    let number = |key: &str| q.get(key).and_then(|v| v.parse::<i64>().ok());
    if let Some(min) = number("minRam") {
        list.retain(|i| i.min_ram >= min);
    }
    if let Some(min) = number("minDisk") {
        list.retain(|i| i.min_disk >= min);
    }
    if let Some(server) = q.get("server") {
        let id = server.rsplit('/').next().unwrap_or(server);
        list.retain(|i| i.properties.get("instance_uuid").map(String::as_str) == Some(id));
    }
    if let Some(kind) = q.get("type") {
        list.retain(|i| {
            i.properties
                .get("image_type")
                .map(String::as_str)
                .unwrap_or("image")
                == kind
        });
    }
    Ok(list)
}

async fn list(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<BTreeMap<String, String>>,
) -> NResult<Json<Value>> {
    let list = images(&state, &nova, &q).await?;
    let views: Vec<Value> = list.iter().map(|i| image_brief_view(&state, i)).collect();
    Ok(Json(json!({ "images": views })))
}

async fn detail(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<BTreeMap<String, String>>,
) -> NResult<Json<Value>> {
    let list = images(&state, &nova, &q).await?;
    let views: Vec<Value> = list.iter().map(|i| image_detail_view(&state, i)).collect();
    Ok(Json(json!({ "images": views })))
}

async fn image(state: &AppState, nova: &Nova, id: &str) -> NResult<Image> {
    proxied(nova.mv)?;
    Ok(state.image.image_get(&nova.ctx, id).await?)
}

async fn show(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let i = image(&state, &nova, &id).await?;
    Ok(Json(json!({ "image": image_detail_view(&state, &i) })))
}

async fn remove(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    image(&state, &nova, &id).await?;
    state.image.image_delete(&nova.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn metadata_list(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let i = image(&state, &nova, &id).await?;
    Ok(Json(json!({ "metadata": i.properties })))
}

/// Sets properties (and with `replace`, removes the others); answers all of them.
async fn set_metadata(
    state: &AppState,
    nova: &Nova,
    id: &str,
    items: BTreeMap<String, String>,
    replace: bool,
) -> NResult<BTreeMap<String, String>> {
    let i = image(state, nova, id).await?;
    let mut ops: Vec<ImagePatch> = Vec::new();
    if replace {
        ops.extend(
            i.properties
                .keys()
                .filter(|k| !items.contains_key(*k))
                .map(|k| ImagePatch::Remove(k.clone())),
        );
    }
    ops.extend(
        items
            .into_iter()
            .map(|(k, v)| ImagePatch::Set(ImageAttr::Property(k, v))),
    );
    Ok(state
        .image
        .image_update(&nova.ctx, id, ops)
        .await?
        .properties)
}

async fn metadata_replace(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let items = string_map(body.get("metadata"), "metadata")?;
    let all = set_metadata(&state, &nova, &id, items, true).await?;
    Ok(Json(json!({ "metadata": all })))
}

async fn metadata_update(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let items = string_map(body.get("metadata"), "metadata")?;
    let all = set_metadata(&state, &nova, &id, items, false).await?;
    Ok(Json(json!({ "metadata": all })))
}

async fn metadata_show(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, key)): Path<(String, String)>,
) -> NResult<Json<Value>> {
    let i = image(&state, &nova, &id).await?;
    let value = i.properties.get(&key).ok_or_else(|| {
        NovaError(Error::NotFound {
            kind: "image metadata item",
            id: key.clone(),
        })
    })?;
    Ok(Json(json!({ "meta": { key.as_str(): value } })))
}

async fn metadata_set(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, key)): Path<(String, String)>,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let item = meta_item(&body, &key)?;
    set_metadata(&state, &nova, &id, item.clone(), false).await?;
    Ok(Json(json!({ "meta": item })))
}

async fn metadata_delete(
    State(state): State<AppState>,
    nova: Nova,
    Path((id, key)): Path<(String, String)>,
) -> NResult<StatusCode> {
    let i = image(&state, &nova, &id).await?;
    if !i.properties.contains_key(&key) {
        return Err(NovaError(Error::NotFound {
            kind: "image metadata item",
            id: key,
        }));
    }
    state
        .image
        .image_update(&nova.ctx, &id, vec![ImagePatch::Remove(key)])
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
