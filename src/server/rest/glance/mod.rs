//! Glance v2 at `/image`: version discovery, images, their data, tags, members and the
//! JSON schemas clients read.
//!
//! Faults are Glance's (webob's JSON form): `{"code": "404 Not Found", "title": "Not
//! Found", "message": "..."}`. Image data is streamed both ways, never held in memory.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Map, Value};

mod metadefs;

use crate::server::context::OpCtx;
use crate::server::error::Error;
use crate::server::services::image::{
    bad_value, check_settable, over_limit, Image, ImageAttr, ImageCreate, ImageMember, ImagePatch,
    ImageQuery, ImageSort, CONTAINER_FORMATS, DISK_FORMATS, MAX_TAGS,
};
use crate::server::state::AppState;
use crate::server::time::iso_seconds;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(metadefs::routes())
        .route("/", get(versions))
        .route("/versions", get(versions))
        .route("/v2", get(versions))
        .route("/v2/", get(versions))
        .route("/v2/images", get(list).post(create))
        .route("/v2/images/{id}", get(show).patch(update).delete(delete))
        .route("/v2/images/{id}/file", get(download).put(upload))
        .route("/v2/images/{id}/tasks", get(image_tasks))
        .route("/v2/images/{id}/actions/deactivate", post(deactivate))
        .route("/v2/images/{id}/actions/reactivate", post(reactivate))
        .route(
            "/v2/images/{id}/tags/{tag}",
            put(tag_add).delete(tag_delete),
        )
        .route("/v2/images/{id}/members", get(members).post(member_create))
        .route(
            "/v2/images/{id}/members/{member_id}",
            get(member_show).put(member_update).delete(member_delete),
        )
        .route("/v2/schemas/image", get(schema_image))
        .route("/v2/schemas/images", get(schema_images))
        .route("/v2/schemas/member", get(schema_member))
        .route("/v2/schemas/members", get(schema_members))
        .route("/v2/info/import", get(info_import))
        .route("/v2/info/stores", get(info_stores))
        .fallback(not_found)
}

async fn not_found() -> GlanceError {
    GlanceError(Error::not_found("resource", "the requested URL"))
}

/// A service error as Glance renders it.
pub struct GlanceError(pub Error);

impl From<Error> for GlanceError {
    fn from(e: Error) -> Self {
        GlanceError(e)
    }
}

impl IntoResponse for GlanceError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = match self.0.plain() {
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthenticated(_) | Error::AccountLocked { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::OverQuota(_) => StatusCode::FORBIDDEN,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Internal(_) | Error::Coded { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match self.0.plain() {
            // Glance's words for a missing image.
            Error::NotFound { kind: "image", id } => format!("No image found with ID {id}"),
            e => e.external_message(),
        };
        let body = json!({
            "code": format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("")),
            "title": status.canonical_reason().unwrap_or(""),
            "message": message,
        });
        (status, Json(body)).into_response()
    }
}

type GResult<T> = Result<T, GlanceError>;

/// The caller, with Glance's fault on a missing or bad token.
pub struct Caller(OpCtx);

impl FromRequestParts<AppState> for Caller {
    type Rejection = GlanceError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> GResult<Self> {
        crate::server::rest::caller(parts, state)
            .await
            .map(Caller)
            .map_err(GlanceError)
    }
}

/// A JSON body whose rejections are Glance 400s.
pub struct GJson<T>(pub T);

impl<T, S> FromRequest<S> for GJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = GlanceError;

    async fn from_request(req: Request, state: &S) -> GResult<Self> {
        let bytes = crate::server::rest::body_bytes(req, state)
            .await
            .map_err(GlanceError)?;
        serde_json::from_slice(&bytes).map(GJson).map_err(|e| {
            GlanceError(Error::invalid(msg!(
                "The request body is not valid JSON: {e}",
                e
            )))
        })
    }
}

/// An image as Glance shows it: its attributes, then its own properties (a property never
/// hides an attribute).
pub fn image_json(i: &Image) -> Value {
    #[derive(Serialize)]
    struct ImageView<'a> {
        id: &'a str,
        name: &'a Option<String>,
        status: &'a str,
        visibility: &'a str,
        protected: bool,
        os_hidden: bool,
        owner: &'a str,
        disk_format: &'a Option<String>,
        container_format: &'a Option<String>,
        size: Option<i64>,
        virtual_size: Option<i64>,
        checksum: &'a Option<String>,
        os_hash_algo: &'a Option<String>,
        os_hash_value: &'a Option<String>,
        min_disk: i64,
        min_ram: i64,
        tags: &'a [String],
        created_at: String,
        updated_at: String,
        #[serde(rename = "self")]
        this: String,
        file: String,
        schema: &'a str,
    }
    let mut v = to_value(ImageView {
        id: &i.id,
        name: &i.name,
        status: &i.status,
        visibility: &i.visibility,
        protected: i.protected,
        os_hidden: false,
        owner: &i.owner,
        disk_format: &i.disk_format,
        container_format: &i.container_format,
        size: i.size,
        virtual_size: i.virtual_size,
        checksum: &i.checksum,
        os_hash_algo: &i.os_hash_algo,
        os_hash_value: &i.os_hash_value,
        min_disk: i.min_disk,
        min_ram: i.min_ram,
        tags: &i.tags,
        created_at: iso_seconds(i.created_at),
        updated_at: iso_seconds(i.updated_at),
        this: format!("/v2/images/{}", i.id),
        file: format!("/v2/images/{}/file", i.id),
        schema: "/v2/schemas/image",
    });
    if let Value::Object(map) = &mut v {
        for (k, val) in &i.properties {
            map.entry(k.clone())
                .or_insert_with(|| Value::String(val.clone()));
        }
    }
    v
}

fn member_json(m: &ImageMember) -> Value {
    #[derive(Serialize)]
    struct MemberView<'a> {
        image_id: &'a str,
        member_id: &'a str,
        status: &'a str,
        created_at: String,
        updated_at: String,
        schema: &'a str,
    }
    to_value(MemberView {
        image_id: &m.image_id,
        member_id: &m.member_id,
        status: &m.status,
        created_at: iso_seconds(m.created_at),
        updated_at: iso_seconds(m.updated_at),
        schema: "/v2/schemas/member",
    })
}

fn to_value(view: impl Serialize) -> Value {
    // A view is plain strings, numbers and options: it always serializes.
    serde_json::to_value(view).unwrap_or_default()
}

/// Glance answers version discovery with 300 Multiple Choices.
pub async fn versions(State(state): State<AppState>) -> Response {
    let href = format!("{}/image/v2/", state.public_url());
    let versions: Vec<Value> = [
        "2.17", "2.16", "2.15", "2.9", "2.7", "2.6", "2.5", "2.4", "2.3", "2.2", "2.1", "2.0",
    ]
    .iter()
    .enumerate()
    .map(|(n, v)| {
        json!({
            "id": format!("v{v}"),
            "status": if n == 0 { "CURRENT" } else { "SUPPORTED" },
            "links": [{"rel": "self", "href": href}],
        })
    })
    .collect();
    (
        StatusCode::MULTIPLE_CHOICES,
        Json(json!({"versions": versions})),
    )
        .into_response()
}

async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    GJson(body): GJson<Value>,
) -> GResult<Response> {
    let Value::Object(mut attributes) = body else {
        return Err(Error::invalid(msg!("The request body must be a JSON object.")).into());
    };
    let id = match attributes.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(v) => {
            return Err(Error::invalid(msg!("Invalid value {v} for attribute 'id'.", v)).into())
        }
    };
    let attributes = attributes
        .iter()
        .map(|(name, value)| image_attr(name, value))
        .collect::<Result<Vec<_>, Error>>()?;
    let image = state
        .image
        .image_create(&ctx, ImageCreate { id, attributes })
        .await?;
    let mut response = (StatusCode::CREATED, Json(image_json(&image))).into_response();
    if let Ok(location) = format!("{}/image/v2/images/{}", state.public_url(), image.id).parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> GResult<Json<Value>> {
    Ok(Json(image_json(&state.image.image_get(&ctx, &id).await?)))
}

/// The import tasks that worked on an image (`/v2/images/{id}/tasks`): images are
/// uploaded directly here, never imported through a task, so there are none.
async fn image_tasks(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> GResult<Json<Value>> {
    state.image.image_get(&ctx, &id).await?;
    Ok(Json(json!({ "tasks": [] })))
}

fn first<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a String> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn int_param(q: &[(String, String)], key: &str) -> Result<Option<i64>, Error> {
    first(q, key)
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                Error::invalid(msg!(
                    "Invalid value for {key}: {v} is not an integer.",
                    key,
                    v
                ))
            })
        })
        .transpose()
}

/// Reads `sort_key`/`sort_dir` or the newer `sort=key:dir` form (first key only; the id
/// always breaks ties).
fn sort_param(q: &[(String, String)]) -> Result<(ImageSort, bool), Error> {
    let (key, dir) = if let Some(sort) = first(q, "sort") {
        let first_key = sort.split(',').next().unwrap_or_default();
        let mut parts = first_key.splitn(2, ':');
        (
            parts.next().unwrap_or("created_at").trim().to_string(),
            parts.next().map(|d| d.trim().to_string()),
        )
    } else {
        (
            first(q, "sort_key")
                .cloned()
                .unwrap_or_else(|| "created_at".into()),
            first(q, "sort_dir").cloned(),
        )
    };
    let sort = ImageSort::parse(&key)
        .ok_or_else(|| Error::invalid(msg!("Invalid sort key: {key}. It is not allowed.", key)))?;
    let descending = match dir.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            return Err(Error::invalid(msg!(
                "Invalid sort direction: {other}. It must be asc or desc.",
                other
            )))
        }
    };
    Ok((sort, descending))
}

async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<Vec<(String, String)>>,
) -> GResult<Json<Value>> {
    let (sort, descending) = sort_param(&q)?;
    let protected = match first(&q, "protected").map(String::as_str) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(Error::invalid(msg!(
                "Invalid value for protected: {other}. It must be true or false.",
                other
            ))
            .into())
        }
    };
    let query = ImageQuery {
        visibility: first(&q, "visibility").cloned(),
        member_status: first(&q, "member_status").cloned(),
        name: first(&q, "name").cloned(),
        status: first(&q, "status").cloned(),
        owner: first(&q, "owner").cloned(),
        disk_format: first(&q, "disk_format").cloned(),
        container_format: first(&q, "container_format").cloned(),
        protected,
        size_min: int_param(&q, "size_min")?,
        size_max: int_param(&q, "size_max")?,
        tags: q
            .iter()
            .filter(|(k, _)| k == "tag")
            .map(|(_, v)| v.clone())
            .collect(),
        sort,
        descending,
        marker: first(&q, "marker").cloned(),
        limit: int_param(&q, "limit")?,
        ..Default::default()
    };
    let page = state.image.image_list(&ctx, query).await?;
    let mut body = json!({
        "images": page.images.iter().map(image_json).collect::<Vec<_>>(),
        "first": "/v2/images",
        "schema": "/v2/schemas/images",
    });
    if page.more {
        if let Some(last) = page.images.last() {
            let mut params: Vec<(String, String)> =
                q.into_iter().filter(|(k, _)| k != "marker").collect();
            params.push(("marker".into(), last.id.clone()));
            body["next"] = json!(format!("/v2/images?{}", super::query_string(&params)));
        }
    }
    Ok(Json(body))
}

const PATCH_TYPES: [&str; 2] = [
    "application/openstack-images-v2.1-json-patch",
    "application/openstack-images-v2.0-json-patch",
];

/// One attribute as a client sends it, read into its type with Glance's schema errors
/// (what the value may be is the service's to check).
fn image_attr(name: &str, value: &Value) -> Result<ImageAttr, Error> {
    check_settable(name)?;
    let string = |expected: &str| match value {
        Value::String(s) => Ok(s.clone()),
        v => Err(bad_value(name, v, expected)),
    };
    let optional = |expected: &str| match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        v => Err(bad_value(name, v, expected)),
    };
    let formats = |allowed: &[&str]| format!("one of {}", allowed.join(", "));
    Ok(match name {
        "name" => ImageAttr::Name(optional("a string of at most 255 characters")?),
        "owner" => ImageAttr::Owner(string("a string")?),
        "visibility" => ImageAttr::Visibility(string("a string")?),
        "protected" => match value {
            Value::Bool(b) => ImageAttr::Protected(*b),
            v => return Err(bad_value(name, v, "a boolean")),
        },
        "disk_format" => ImageAttr::DiskFormat(optional(&formats(&DISK_FORMATS))?),
        "container_format" => ImageAttr::ContainerFormat(optional(&formats(&CONTAINER_FORMATS))?),
        "min_disk" | "min_ram" => {
            let n = value
                .as_i64()
                .ok_or_else(|| bad_value(name, value, "a non-negative integer"))?;
            if name == "min_disk" {
                ImageAttr::MinDisk(n)
            } else {
                ImageAttr::MinRam(n)
            }
        }
        "tags" => match value {
            // Counted before each tag is read.
            Value::Array(items) if items.len() > MAX_TAGS => {
                return Err(over_limit("tags", items.len(), MAX_TAGS))
            }
            Value::Array(items) => ImageAttr::Tags(
                items
                    .iter()
                    .map(|t| match t {
                        Value::String(s) => Ok(s.clone()),
                        other => Err(bad_value("tags", other, "a string")),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            v => return Err(bad_value(name, v, "an array of strings")),
        },
        _ => ImageAttr::Property(name.to_string(), string("a string")?),
    })
}

async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> GResult<Json<Value>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !PATCH_TYPES.iter().any(|t| content_type.starts_with(t)) {
        return Err(Error::UnsupportedMediaType(msg!(
            "Content type {content_type} is not supported; use {patch_type}.",
            content_type,
            patch_type = PATCH_TYPES[0]
        ))
        .into());
    }
    let ops: Vec<Map<String, Value>> = serde_json::from_slice(&body).map_err(|e| {
        Error::invalid(msg!(
            "The request body must be a JSON array of patch operations: {e}",
            e
        ))
    })?;
    let mut patch = Vec::new();
    for op in ops {
        // v2.1 says {"op": "replace", "path": "/name"}; v2.0 (which Tempest still sends)
        // {"replace": "/name"}.
        let kind = match op.get("op").and_then(Value::as_str) {
            Some(kind) => kind,
            None => ["add", "replace", "remove"]
                .into_iter()
                .find(|k| op.contains_key(*k))
                .unwrap_or_default(),
        };
        let path = op
            .get("path")
            .or_else(|| op.get(kind))
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid(msg!("Each patch operation needs a path.")))?;
        let Some(attr) = path.strip_prefix('/') else {
            return Err(Error::invalid(msg!("Invalid JSON pointer {path}.", path)).into());
        };
        let attr = attr.replace("~1", "/").replace("~0", "~");
        patch.push(match kind {
            "add" | "replace" => ImagePatch::Set(image_attr(
                &attr,
                op.get("value")
                    .ok_or_else(|| Error::invalid(msg!("Operation {kind} needs a value.", kind)))?,
            )?),
            "remove" => ImagePatch::Remove(attr),
            other => {
                return Err(Error::invalid(msg!(
                    "Operation {other} is not supported: use add, replace or remove.",
                    other = format!("{other:?}")
                ))
                .into())
            }
        });
    }
    Ok(Json(image_json(
        &state.image.image_update(&ctx, &id, patch).await?,
    )))
}

async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> GResult<StatusCode> {
    state.image.image_delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn upload(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> GResult<StatusCode> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    if !content_type.starts_with("application/octet-stream") {
        return Err(Error::UnsupportedMediaType(msg!(
            "Content type {content_type} is not supported; image data is application/octet-stream.",
            content_type
        ))
        .into());
    }
    state
        .image
        .image_upload(&ctx, &id, body.into_data_stream())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn download(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> GResult<Response> {
    let Some((image, path)) = state.image.image_data(&ctx, &id).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| Error::internal("opening image data", e))?;
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024);
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        "application/octet-stream".parse().expect("a valid header"),
    );
    if let Some(size) = image.size {
        headers.insert(header::CONTENT_LENGTH, size.into());
    }
    if let Some(md5) = image.checksum.as_deref().and_then(|c| c.parse().ok()) {
        headers.insert("content-md5", md5);
    }
    Ok(response)
}

async fn deactivate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> GResult<StatusCode> {
    state.image.image_set_active(&ctx, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reactivate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> GResult<StatusCode> {
    state.image.image_set_active(&ctx, &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tag_add(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, tag)): Path<(String, String)>,
) -> GResult<StatusCode> {
    state.image.tag_add(&ctx, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tag_delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, tag)): Path<(String, String)>,
) -> GResult<StatusCode> {
    state.image.tag_delete(&ctx, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn members(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> GResult<Json<Value>> {
    let members = state.image.member_list(&ctx, &id).await?;
    Ok(Json(json!({
        "members": members.iter().map(member_json).collect::<Vec<_>>(),
        "schema": "/v2/schemas/members",
    })))
}

async fn member_create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    GJson(body): GJson<Value>,
) -> GResult<Json<Value>> {
    let member_id = body.get("member").and_then(Value::as_str).ok_or_else(|| {
        Error::invalid(msg!("The request body needs a \"member\" (a project id)."))
    })?;
    let m = state.image.member_create(&ctx, &id, member_id).await?;
    Ok(Json(member_json(&m)))
}

async fn member_show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, member_id)): Path<(String, String)>,
) -> GResult<Json<Value>> {
    let m = state.image.member_get(&ctx, &id, &member_id).await?;
    Ok(Json(member_json(&m)))
}

async fn member_update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, member_id)): Path<(String, String)>,
    GJson(body): GJson<Value>,
) -> GResult<Json<Value>> {
    let status = body
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid(msg!("The request body needs a \"status\".")))?;
    let m = state
        .image
        .member_update(&ctx, &id, &member_id, status)
        .await?;
    Ok(Json(member_json(&m)))
}

async fn member_delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, member_id)): Path<(String, String)>,
) -> GResult<StatusCode> {
    state.image.member_delete(&ctx, &id, &member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn nullable_enum(values: &[&str]) -> Vec<Value> {
    std::iter::once(Value::Null)
        .chain(values.iter().map(|v| json!(v)))
        .collect()
}

/// The image schema clients such as glanceclient validate against.
fn image_schema() -> Value {
    let nullable_string =
        |description: &str| json!({"type": ["null", "string"], "description": description});
    let mut properties: BTreeMap<&str, Value> = BTreeMap::new();
    properties.insert("id", json!({"type": "string", "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$", "description": "An identifier for the image"}));
    properties.insert("name", json!({"type": ["null", "string"], "maxLength": 255, "description": "Descriptive name for the image"}));
    properties.insert("status", json!({"type": "string", "readOnly": true, "enum": ["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"]}));
    properties.insert(
        "visibility",
        json!({"type": "string", "enum": ["community", "public", "private", "shared"]}),
    );
    properties.insert("protected", json!({"type": "boolean"}));
    properties.insert("os_hidden", json!({"type": "boolean"}));
    properties.insert(
        "checksum",
        json!({"type": ["null", "string"], "readOnly": true, "maxLength": 32}),
    );
    properties.insert(
        "os_hash_algo",
        json!({"type": ["null", "string"], "readOnly": true, "maxLength": 64}),
    );
    properties.insert(
        "os_hash_value",
        json!({"type": ["null", "string"], "readOnly": true, "maxLength": 128}),
    );
    properties.insert(
        "owner",
        json!({"type": ["null", "string"], "maxLength": 255}),
    );
    properties.insert(
        "size",
        json!({"type": ["null", "integer"], "readOnly": true}),
    );
    properties.insert(
        "virtual_size",
        json!({"type": ["null", "integer"], "readOnly": true}),
    );
    properties.insert(
        "container_format",
        json!({"type": ["null", "string"], "enum": nullable_enum(&CONTAINER_FORMATS)}),
    );
    properties.insert(
        "disk_format",
        json!({"type": ["null", "string"], "enum": nullable_enum(&DISK_FORMATS)}),
    );
    properties.insert("created_at", json!({"type": "string", "readOnly": true}));
    properties.insert("updated_at", json!({"type": "string", "readOnly": true}));
    properties.insert(
        "tags",
        json!({"type": "array", "items": {"type": "string", "maxLength": 255}}),
    );
    properties.insert("min_ram", json!({"type": "integer"}));
    properties.insert("min_disk", json!({"type": "integer"}));
    properties.insert("self", json!({"type": "string", "readOnly": true}));
    properties.insert("file", json!({"type": "string", "readOnly": true}));
    properties.insert("schema", json!({"type": "string", "readOnly": true}));
    properties.insert("kernel_id", json!({"type": ["null", "string"], "description": "ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.", "is_base": false}));
    properties.insert("ramdisk_id", json!({"type": ["null", "string"], "description": "ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.", "is_base": false}));
    properties.insert(
        "os_distro",
        nullable_string("Common name of operating system distribution"),
    );
    properties.insert(
        "os_version",
        nullable_string("Operating system version as specified by the distributor"),
    );
    properties.insert(
        "architecture",
        nullable_string("Operating system architecture"),
    );
    json!({
        "name": "image",
        "properties": properties,
        "additionalProperties": {"type": "string"},
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    })
}

async fn schema_image(_caller: Caller) -> Json<Value> {
    Json(image_schema())
}

async fn schema_images(_caller: Caller) -> Json<Value> {
    Json(json!({
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image_schema()},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }))
}

fn member_schema() -> Value {
    json!({
        "name": "member",
        "properties": {
            "created_at": {"type": "string"},
            "image_id": {"type": "string"},
            "member_id": {"type": "string"},
            "schema": {"type": "string", "readOnly": true},
            "status": {"type": "string", "enum": ["pending", "accepted", "rejected"]},
            "updated_at": {"type": "string"},
        },
    })
}

async fn schema_member(_caller: Caller) -> Json<Value> {
    Json(member_schema())
}

async fn schema_members(_caller: Caller) -> Json<Value> {
    Json(json!({
        "name": "members",
        "properties": {
            "members": {"type": "array", "items": member_schema()},
            "schema": {"type": "string"},
        },
        "links": [{"rel": "describedby", "href": "{schema}"}],
    }))
}

/// Only direct upload (`PUT .../file`) is offered; the interoperable import flow is not.
async fn info_import(_caller: Caller) -> Json<Value> {
    Json(
        json!({"import-methods": {"description": "Import methods available.", "type": "array", "value": []}}),
    )
}

async fn info_stores(_caller: Caller) -> Json<Value> {
    Json(
        json!({"stores": [{"id": "file", "description": "Files under the controller's data directory", "default": true}]}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_parameters() {
        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(sort_param(&q(&[])).unwrap(), (ImageSort::CreatedAt, true));
        assert_eq!(
            sort_param(&q(&[("sort", "name:asc,size:desc")])).unwrap(),
            (ImageSort::Name, false)
        );
        assert_eq!(
            sort_param(&q(&[("sort_key", "size"), ("sort_dir", "asc")])).unwrap(),
            (ImageSort::Size, false)
        );
        assert!(sort_param(&q(&[("sort_key", "password")])).is_err());
        assert!(sort_param(&q(&[("sort_dir", "sideways")])).is_err());
    }
}
