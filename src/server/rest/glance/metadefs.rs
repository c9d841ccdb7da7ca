//! The metadata definitions catalog at `/image/v2/metadefs` and its JSON schemas at
//! `/image/v2/schemas/metadefs/...`. Glance writes the links of these documents as paths,
//! not URLs, and so does this.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::{Caller, GJson, GResult};
use crate::server::error::Error;
use crate::server::services::image::{
    Association, Definition, DefinitionKind, Namespace, NamespaceWrite,
};
use crate::server::state::AppState;
use crate::server::time::iso_seconds;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v2/metadefs/namespaces",
            get(namespace_list).post(namespace_create),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}",
            get(namespace_show)
                .put(namespace_update)
                .delete(namespace_delete),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/objects",
            get(object_list).post(object_create).delete(objects_delete),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/objects/{name}",
            get(object_show).put(object_update).delete(object_delete),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/properties",
            get(property_list)
                .post(property_create)
                .delete(properties_delete),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/properties/{name}",
            get(property_show)
                .put(property_update)
                .delete(property_delete),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/tags",
            get(tag_list).post(tags_create).delete(tags_delete),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/tags/{name}",
            get(tag_show)
                .post(tag_create)
                .put(tag_update)
                .delete(tag_delete),
        )
        .route("/v2/metadefs/resource_types", get(resource_types))
        .route(
            "/v2/metadefs/namespaces/{ns}/resource_types",
            get(association_list).post(association_create),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/resource_types/{name}",
            axum::routing::delete(association_delete),
        )
        .route("/v2/schemas/metadefs/{which}", get(schema))
}

// --- Views ---------------------------------------------------------------------------

fn association_json(a: &Association) -> Value {
    let mut v = json!({
        "name": a.resource_type,
        "created_at": iso_seconds(a.created_at),
        "updated_at": iso_seconds(a.updated_at),
    });
    if let Some(p) = &a.prefix {
        v["prefix"] = p.clone().into();
    }
    if let Some(t) = &a.properties_target {
        v["properties_target"] = t.clone().into();
    }
    v
}

fn namespace_json(n: &Namespace) -> Value {
    let mut v = json!({
        "namespace": n.namespace,
        "visibility": n.visibility,
        "protected": n.protected,
        "owner": n.owner,
        "created_at": iso_seconds(n.created_at),
        "updated_at": iso_seconds(n.updated_at),
        "self": format!("/v2/metadefs/namespaces/{}", n.namespace),
        "schema": "/v2/schemas/metadefs/namespace",
    });
    if let Some(d) = &n.display_name {
        v["display_name"] = d.clone().into();
    }
    if let Some(d) = &n.description {
        v["description"] = d.clone().into();
    }
    if !n.associations.is_empty() {
        v["resource_type_associations"] = n.associations.iter().map(association_json).collect();
    }
    v
}

/// An object or a tag: its body with its name, times and links.
fn definition_json(ns: &str, kind: DefinitionKind, d: &Definition) -> Value {
    let mut v = Value::Object(d.body.clone());
    v["name"] = d.name.clone().into();
    v["created_at"] = iso_seconds(d.created_at).into();
    v["updated_at"] = iso_seconds(d.updated_at).into();
    if kind == DefinitionKind::Object {
        v["self"] = format!("/v2/metadefs/namespaces/{ns}/objects/{}", d.name).into();
        v["schema"] = "/v2/schemas/metadefs/object".into();
    }
    v
}

/// A property: its schema with its name (no times, as Glance shows it).
fn property_json(d: &Definition) -> Value {
    let mut v = Value::Object(d.body.clone());
    v["name"] = d.name.clone().into();
    v
}

// --- Bodies ---------------------------------------------------------------------------

fn object_of(body: Value) -> GResult<Map<String, Value>> {
    match body {
        Value::Object(m) => Ok(m),
        _ => Err(Error::invalid(msg!("The request body must be a JSON object.")).into()),
    }
}

fn string_of(m: &Map<String, Value>, key: &str) -> GResult<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(Error::invalid(msg!(
            "Invalid value {v} for attribute '{key}': expected a string.",
            v,
            key
        ))
        .into()),
    }
}

/// A definition from its body: the name apart, the rest as it is (without what the
/// server writes itself).
fn definition_of(mut m: Map<String, Value>, name: Option<&str>) -> GResult<Definition> {
    let name = match (string_of(&m, "name")?, name) {
        (Some(n), _) => n,
        (None, Some(n)) => n.to_string(),
        (None, None) => return Err(Error::invalid(msg!("The definition needs a 'name'.")).into()),
    };
    for key in ["name", "created_at", "updated_at", "self", "schema"] {
        m.remove(key);
    }
    Ok(Definition {
        name,
        body: m,
        ..Default::default()
    })
}

fn association_of(m: &Map<String, Value>) -> GResult<Association> {
    Ok(Association {
        resource_type: string_of(m, "name")?
            .ok_or_else(|| Error::invalid(msg!("The resource type association needs a 'name'.")))?,
        prefix: string_of(m, "prefix")?,
        properties_target: string_of(m, "properties_target")?,
        ..Default::default()
    })
}

fn namespace_of(body: Value) -> GResult<NamespaceWrite> {
    let m = object_of(body)?;
    let protected = match m.get("protected") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => {
            return Err(Error::invalid(msg!(
                "Invalid value {v} for attribute 'protected': expected a boolean.",
                v
            ))
            .into())
        }
    };
    let mut w = NamespaceWrite {
        namespace: string_of(&m, "namespace")?
            .ok_or_else(|| Error::invalid(msg!("The namespace needs a 'namespace' name.")))?,
        display_name: string_of(&m, "display_name")?,
        description: string_of(&m, "description")?,
        visibility: string_of(&m, "visibility")?,
        protected,
        ..Default::default()
    };
    if let Some(Value::Array(list)) = m.get("resource_type_associations") {
        for a in list {
            let a = a.as_object().cloned().unwrap_or_default();
            w.associations.push(association_of(&a)?);
        }
    }
    if let Some(Value::Object(props)) = m.get("properties") {
        for (name, schema) in props {
            let body = schema.as_object().cloned().unwrap_or_default();
            w.definitions
                .push((DefinitionKind::Property, definition_of(body, Some(name))?));
        }
    }
    for (key, kind) in [
        ("objects", DefinitionKind::Object),
        ("tags", DefinitionKind::Tag),
    ] {
        if let Some(Value::Array(list)) = m.get(key) {
            for d in list {
                let body = d.as_object().cloned().unwrap_or_default();
                w.definitions.push((kind, definition_of(body, None)?));
            }
        }
    }
    Ok(w)
}

// --- Namespaces ---------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct NamespaceQuery {
    resource_types: Option<String>,
    visibility: Option<String>,
}

async fn namespace_list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<NamespaceQuery>,
) -> GResult<Json<Value>> {
    let list = state
        .image
        .namespace_list(&ctx, q.resource_types.as_deref(), q.visibility.as_deref())
        .await?;
    Ok(Json(json!({
        "namespaces": list.iter().map(namespace_json).collect::<Vec<_>>(),
        "first": "/v2/metadefs/namespaces",
        "schema": "/v2/schemas/metadefs/namespaces",
    })))
}

async fn namespace_show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> GResult<Json<Value>> {
    let n = state.image.namespace_get(&ctx, &ns).await?;
    let mut v = namespace_json(&n);
    let objects = state
        .image
        .definition_list(&ctx, &ns, DefinitionKind::Object)
        .await?;
    if !objects.is_empty() {
        v["objects"] = objects
            .iter()
            .map(|d| definition_json(&ns, DefinitionKind::Object, d))
            .collect();
    }
    let properties = state
        .image
        .definition_list(&ctx, &ns, DefinitionKind::Property)
        .await?;
    if !properties.is_empty() {
        v["properties"] = properties
            .iter()
            .map(|d| (d.name.clone(), property_json(d)))
            .collect::<Map<_, _>>()
            .into();
    }
    let tags = state
        .image
        .definition_list(&ctx, &ns, DefinitionKind::Tag)
        .await?;
    if !tags.is_empty() {
        v["tags"] = tags
            .iter()
            .map(|d| definition_json(&ns, DefinitionKind::Tag, d))
            .collect();
    }
    Ok(Json(v))
}

async fn namespace_create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    GJson(body): GJson<Value>,
) -> GResult<Response> {
    let n = state
        .image
        .namespace_create(&ctx, namespace_of(body)?)
        .await?;
    Ok((StatusCode::CREATED, Json(namespace_json(&n))).into_response())
}

async fn namespace_update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
    GJson(body): GJson<Value>,
) -> GResult<Json<Value>> {
    let n = state
        .image
        .namespace_update(&ctx, &ns, namespace_of(body)?)
        .await?;
    Ok(Json(namespace_json(&n)))
}

async fn namespace_delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> GResult<StatusCode> {
    state.image.namespace_delete(&ctx, &ns).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- Objects ------------------------------------------------------------------------

async fn object_list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> GResult<Json<Value>> {
    let kind = DefinitionKind::Object;
    let list = state.image.definition_list(&ctx, &ns, kind).await?;
    Ok(Json(json!({
        "objects": list.iter().map(|d| definition_json(&ns, kind, d)).collect::<Vec<_>>(),
        "schema": "/v2/schemas/metadefs/objects",
    })))
}

async fn object_show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> GResult<Json<Value>> {
    let kind = DefinitionKind::Object;
    let d = state.image.definition_get(&ctx, &ns, kind, &name).await?;
    Ok(Json(definition_json(&ns, kind, &d)))
}

async fn object_create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
    GJson(body): GJson<Value>,
) -> GResult<Response> {
    let kind = DefinitionKind::Object;
    let d = definition_of(object_of(body)?, None)?;
    let made = state
        .image
        .definitions_create(&ctx, &ns, kind, vec![d], false)
        .await?;
    let v = made
        .first()
        .map(|d| definition_json(&ns, kind, d))
        .unwrap_or_default();
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn object_update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
    GJson(body): GJson<Value>,
) -> GResult<Json<Value>> {
    let kind = DefinitionKind::Object;
    let d = definition_of(object_of(body)?, Some(&name))?;
    let d = state
        .image
        .definition_update(&ctx, &ns, kind, &name, d)
        .await?;
    Ok(Json(definition_json(&ns, kind, &d)))
}

async fn object_delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> GResult<StatusCode> {
    state
        .image
        .definition_delete(&ctx, &ns, DefinitionKind::Object, Some(&name))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn objects_delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> GResult<StatusCode> {
    state
        .image
        .definition_delete(&ctx, &ns, DefinitionKind::Object, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- Properties ---------------------------------------------------------------------

async fn property_list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> GResult<Json<Value>> {
    let list = state
        .image
        .definition_list(&ctx, &ns, DefinitionKind::Property)
        .await?;
    let properties: Map<String, Value> = list
        .iter()
        .map(|d| (d.name.clone(), property_json(d)))
        .collect();
    Ok(Json(json!({
        "properties": properties,
        "schema": "/v2/schemas/metadefs/properties",
    })))
}

async fn property_show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> GResult<Json<Value>> {
    let d = state
        .image
        .definition_get(&ctx, &ns, DefinitionKind::Property, &name)
        .await?;
    Ok(Json(property_json(&d)))
}

async fn property_create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
    GJson(body): GJson<Value>,
) -> GResult<Response> {
    let d = definition_of(object_of(body)?, None)?;
    let made = state
        .image
        .definitions_create(&ctx, &ns, DefinitionKind::Property, vec![d], false)
        .await?;
    let v = made.first().map(property_json).unwrap_or_default();
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn property_update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
    GJson(body): GJson<Value>,
) -> GResult<Json<Value>> {
    let d = definition_of(object_of(body)?, Some(&name))?;
    let d = state
        .image
        .definition_update(&ctx, &ns, DefinitionKind::Property, &name, d)
        .await?;
    Ok(Json(property_json(&d)))
}

async fn property_delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> GResult<StatusCode> {
    state
        .image
        .definition_delete(&ctx, &ns, DefinitionKind::Property, Some(&name))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn properties_delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> GResult<StatusCode> {
    state
        .image
        .definition_delete(&ctx, &ns, DefinitionKind::Property, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- Tags ---------------------------------------------------------------------------

async fn tag_list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> GResult<Json<Value>> {
    let kind = DefinitionKind::Tag;
    let list = state.image.definition_list(&ctx, &ns, kind).await?;
    Ok(Json(json!({
        "tags": list.iter().map(|d| definition_json(&ns, kind, d)).collect::<Vec<_>>(),
    })))
}

async fn tag_show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> GResult<Json<Value>> {
    let kind = DefinitionKind::Tag;
    let d = state.image.definition_get(&ctx, &ns, kind, &name).await?;
    Ok(Json(definition_json(&ns, kind, &d)))
}

/// `POST .../tags` with `{"tags": [{"name": ...}]}`: the namespace's tags become these
/// (Glance's default; `X-Openstack-Append: true` adds them instead).
async fn tags_create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
    headers: axum::http::HeaderMap,
    GJson(body): GJson<Value>,
) -> GResult<Response> {
    let kind = DefinitionKind::Tag;
    let append = headers
        .get("x-openstack-append")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let m = object_of(body)?;
    let Some(Value::Array(list)) = m.get("tags") else {
        return Err(Error::invalid(msg!("The request body needs a list of 'tags'.")).into());
    };
    let tags = list
        .iter()
        .map(|t| definition_of(t.as_object().cloned().unwrap_or_default(), None))
        .collect::<GResult<Vec<_>>>()?;
    let made = state
        .image
        .definitions_create(&ctx, &ns, kind, tags, !append)
        .await?;
    let v = json!({"tags": made.iter().map(|d| json!({"name": d.name})).collect::<Vec<_>>()});
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn tag_create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> GResult<Response> {
    let kind = DefinitionKind::Tag;
    let d = Definition {
        name,
        ..Default::default()
    };
    let made = state
        .image
        .definitions_create(&ctx, &ns, kind, vec![d], false)
        .await?;
    let v = made
        .first()
        .map(|d| definition_json(&ns, kind, d))
        .unwrap_or_default();
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn tag_update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
    GJson(body): GJson<Value>,
) -> GResult<Json<Value>> {
    let kind = DefinitionKind::Tag;
    let d = definition_of(object_of(body)?, Some(&name))?;
    let d = state
        .image
        .definition_update(&ctx, &ns, kind, &name, d)
        .await?;
    Ok(Json(definition_json(&ns, kind, &d)))
}

async fn tag_delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> GResult<StatusCode> {
    state
        .image
        .definition_delete(&ctx, &ns, DefinitionKind::Tag, Some(&name))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tags_delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> GResult<StatusCode> {
    state
        .image
        .definition_delete(&ctx, &ns, DefinitionKind::Tag, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- Resource types -------------------------------------------------------------------

async fn resource_types(
    State(state): State<AppState>,
    Caller(ctx): Caller,
) -> GResult<Json<Value>> {
    let list = state.image.resource_type_list(&ctx).await?;
    let types: Vec<Value> = list
        .iter()
        .map(|(name, created, updated)| {
            json!({"name": name, "created_at": iso_seconds(*created), "updated_at": iso_seconds(*updated)})
        })
        .collect();
    Ok(Json(json!({ "resource_types": types })))
}

async fn association_list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> GResult<Json<Value>> {
    let list = state.image.association_list(&ctx, &ns).await?;
    Ok(Json(json!({
        "resource_type_associations": list.iter().map(association_json).collect::<Vec<_>>(),
    })))
}

async fn association_create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
    GJson(body): GJson<Value>,
) -> GResult<Response> {
    let a = association_of(&object_of(body)?)?;
    let made = state.image.association_create(&ctx, &ns, a).await?;
    Ok((StatusCode::CREATED, Json(association_json(&made))).into_response())
}

async fn association_delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> GResult<StatusCode> {
    state.image.association_delete(&ctx, &ns, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- Schemas --------------------------------------------------------------------------

fn string() -> Value {
    json!({"type": "string"})
}

fn date_time() -> Value {
    json!({"type": "string", "format": "date-time", "readOnly": true})
}

/// A property definition's schema: what a JSON schema property may say of itself.
fn property_schema() -> Value {
    json!({
        "name": "property",
        "type": "object",
        "required": ["title", "type"],
        "properties": {
            "name": {"type": "string", "maxLength": 80},
            "title": string(),
            "description": string(),
            "operators": {"type": "array", "items": string()},
            "type": {"type": "string", "enum": ["array", "boolean", "integer", "number", "object", "string", null]},
            "default": {},
            "readonly": {"type": "boolean"},
            "minimum": {"type": "number"},
            "maximum": {"type": "number"},
            "minLength": {"type": "integer", "minimum": 0},
            "maxLength": {"type": "integer", "minimum": 0},
            "pattern": {"type": "string", "format": "regex"},
            "enum": {"type": "array"},
            "items": {"type": "object"},
            "minItems": {"type": "integer", "minimum": 0},
            "maxItems": {"type": "integer", "minimum": 0},
            "uniqueItems": {"type": "boolean"},
            "additionalItems": {"type": "boolean"},
        },
    })
}

fn object_schema() -> Value {
    json!({
        "name": "object",
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 80},
            "description": string(),
            "required": {"type": "array", "items": string()},
            "properties": {"type": "object", "additionalProperties": property_schema()},
            "schema": {"type": "string", "readOnly": true},
            "self": {"type": "string", "readOnly": true},
            "created_at": date_time(),
            "updated_at": date_time(),
        },
        "additionalProperties": false,
    })
}

fn tag_schema() -> Value {
    json!({
        "name": "tag",
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 80},
            "created_at": date_time(),
            "updated_at": date_time(),
        },
        "additionalProperties": false,
    })
}

fn association_schema() -> Value {
    json!({
        "name": "resource_type_association",
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 80, "description": "The resource type, such as OS::Nova::Server."},
            "prefix": {"type": "string", "maxLength": 80, "description": "What the namespace's properties are prefixed with on this resource type."},
            "properties_target": {"type": "string", "maxLength": 80, "description": "Where on the resource the properties go (image, volume_image_metadata ...)."},
            "created_at": date_time(),
            "updated_at": date_time(),
        },
        "additionalProperties": false,
    })
}

fn namespace_schema() -> Value {
    json!({
        "name": "namespace",
        "type": "object",
        "required": ["namespace"],
        "properties": {
            "namespace": {"type": "string", "maxLength": 80, "description": "The namespace's unique name."},
            "display_name": {"type": "string", "maxLength": 80},
            "description": {"type": "string", "maxLength": 500},
            "visibility": {"type": "string", "enum": ["public", "private"]},
            "protected": {"type": "boolean", "description": "A protected namespace cannot be deleted."},
            "owner": {"type": "string", "maxLength": 255},
            "created_at": date_time(),
            "updated_at": date_time(),
            "schema": {"type": "string", "readOnly": true},
            "self": {"type": "string", "readOnly": true},
            "resource_type_associations": {"type": "array", "items": association_schema()},
            "properties": {"type": "object", "additionalProperties": property_schema()},
            "objects": {"type": "array", "items": object_schema()},
            "tags": {"type": "array", "items": tag_schema()},
        },
        "additionalProperties": false,
    })
}

/// A list's schema: `name` holds `items` of `item`.
fn list_schema(name: &str, item: Value, links: bool) -> Value {
    let mut v = json!({
        "name": name,
        "properties": {
            name: {"type": "array", "items": item},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
    });
    if links {
        v["links"] = json!([
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ]);
    }
    v
}

async fn schema(_caller: Caller, Path(which): Path<String>) -> GResult<Json<Value>> {
    let v = match which.as_str() {
        "namespace" => namespace_schema(),
        "namespaces" => list_schema("namespaces", namespace_schema(), true),
        "object" => object_schema(),
        "objects" => list_schema("objects", object_schema(), true),
        "property" => property_schema(),
        "properties" => json!({
            "name": "properties",
            "properties": {
                "properties": {"type": "object", "additionalProperties": property_schema()},
                "schema": {"type": "string"},
            },
        }),
        "resource_type" => association_schema(),
        "resource_types" => list_schema("resource_type_associations", association_schema(), true),
        "tag" => tag_schema(),
        "tags" => list_schema("tags", tag_schema(), true),
        _ => return Err(Error::not_found("schema", which).into()),
    };
    Ok(Json(v))
}
