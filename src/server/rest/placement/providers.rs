//! Resource providers with their inventories, usages, aggregates and traits; resource
//! classes and traits.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::{
    bad, int, object, query, required, single, string, uuid, Mv, PJson, PResult, Placement,
    PlacementError,
};
use crate::server::error::Error;
use crate::server::services::placement::{
    Inventories, Inventory, Provider, ProviderFilter, TraitFilter,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/resource_providers",
            get(provider_list).post(provider_create),
        )
        .route(
            "/resource_providers/{uuid}",
            get(provider_show)
                .put(provider_update)
                .delete(provider_delete),
        )
        .route(
            "/resource_providers/{uuid}/inventories",
            get(inventory_list)
                .put(inventory_replace)
                .post(inventory_create)
                .delete(inventory_delete_all),
        )
        .route(
            "/resource_providers/{uuid}/inventories/{class}",
            get(inventory_show)
                .put(inventory_update)
                .delete(inventory_delete),
        )
        .route("/resource_providers/{uuid}/usages", get(provider_usages))
        .route(
            "/resource_providers/{uuid}/aggregates",
            get(aggregate_list).put(aggregate_update),
        )
        .route(
            "/resource_providers/{uuid}/traits",
            get(provider_trait_list)
                .put(provider_trait_update)
                .delete(provider_trait_delete),
        )
        .route("/resource_classes", get(class_list).post(class_create))
        .route(
            "/resource_classes/{name}",
            get(class_show).put(class_update).delete(class_delete),
        )
        .route("/traits", get(trait_list))
        .route(
            "/traits/{name}",
            get(trait_show).put(trait_update).delete(trait_delete),
        )
}

fn provider_view(p: &Provider, mv: Mv) -> Value {
    let base = format!("/placement/resource_providers/{}", p.id);
    let mut links = vec![
        json!({"rel": "self", "href": base}),
        json!({"rel": "inventories", "href": format!("{base}/inventories")}),
        json!({"rel": "usages", "href": format!("{base}/usages")}),
    ];
    if mv.at_least(1) {
        links.push(json!({"rel": "aggregates", "href": format!("{base}/aggregates")}));
    }
    if mv.at_least(6) {
        links.push(json!({"rel": "traits", "href": format!("{base}/traits")}));
    }
    if mv.at_least(11) {
        links.push(json!({"rel": "allocations", "href": format!("{base}/allocations")}));
    }
    let mut v = json!({
        "uuid": p.id,
        "name": p.name,
        "generation": p.generation,
        "links": links,
    });
    if mv.at_least(14) {
        v["parent_provider_uuid"] = json!(p.parent_id);
        v["root_provider_uuid"] = json!(p.root_id);
    }
    v
}

/// `member_of=in:A,B` (or one uuid): any of these aggregates.
pub(super) fn member_of(values: &[String], mv: Mv) -> PResult<Vec<Vec<String>>> {
    if values.len() > 1 && !mv.at_least(24) {
        return Err(bad(
            "Multiple member_of parameters are not supported at this microversion.".into(),
        ));
    }
    values
        .iter()
        .map(|v| {
            // Several aggregates are named `in:A,B`; without the prefix, one.
            let list = match v.strip_prefix("in:") {
                Some(list) => list,
                None if v.contains(',') => {
                    return Err(bad(format!(
                        "Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: {v}"
                    )))
                }
                None => v.as_str(),
            };
            list.split(',')
                .map(|a| {
                    uuid::Uuid::parse_str(a.trim())
                        .map(|u| u.to_string())
                        .map_err(|_| {
                            bad(format!(
                                "Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: {v}"
                            ))
                        })
                })
                .collect()
        })
        .collect()
}

/// `resources=VCPU:2,MEMORY_MB:512`.
pub(super) fn resources(v: &str) -> PResult<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for part in v.split(',') {
        let parsed = part
            .split_once(':')
            .and_then(|(class, n)| Some((class.trim(), n.trim().parse::<i64>().ok()?)))
            .filter(|(class, n)| !class.is_empty() && *n >= 1);
        let Some((class, n)) = parsed else {
            return Err(bad(format!(
                "Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: {v}."
            )));
        };
        if out.insert(class.to_string(), n).is_some() {
            return Err(bad(format!(
                "Badly formed resources parameter. Expected each resource class only once. Got: {v}."
            )));
        }
    }
    Ok(out)
}

/// `required=A,!B`: traits to have, and (from 1.22) not to have.
pub(super) fn traits_wanted(v: &str, mv: Mv) -> PResult<(Vec<String>, Vec<String>)> {
    let mut required = Vec::new();
    let mut forbidden = Vec::new();
    for t in v.split(',').map(str::trim) {
        match t.strip_prefix('!') {
            Some(f) if mv.at_least(22) && !f.is_empty() => forbidden.push(f.to_string()),
            _ if t.is_empty() || t.starts_with('!') => {
                return Err(bad(format!(
                    "Invalid query string parameters: Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: {v}"
                )))
            }
            _ => required.push(t.to_string()),
        }
    }
    Ok((required, forbidden))
}

async fn provider_list(
    State(state): State<AppState>,
    p: Placement,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PResult<Json<Value>> {
    let mut known = vec!["name", "uuid"];
    for (minor, key) in [
        (3, "member_of"),
        (4, "resources"),
        (14, "in_tree"),
        (18, "required"),
    ] {
        if p.mv.at_least(minor) {
            known.push(key);
        }
    }
    let q = query(pairs, &known)?;
    let mut f = ProviderFilter {
        name: single(&q, "name")?.map(str::to_string),
        uuid: single(&q, "uuid")?.map(|u| uuid(u, "uuid")).transpose()?,
        in_tree: single(&q, "in_tree")?
            .map(|u| uuid(u, "in_tree"))
            .transpose()?,
        ..ProviderFilter::default()
    };
    if let Some(values) = q.get("member_of") {
        f.member_of = member_of(values, p.mv)?;
    }
    if let Some(r) = single(&q, "resources")? {
        f.resources = resources(r)?;
    }
    if let Some(r) = single(&q, "required")? {
        (f.required, f.forbidden) = traits_wanted(r, p.mv)?;
    }
    let list = state.placement.provider_list(&p.ctx, f).await?;
    let views: Vec<Value> = list.iter().map(|r| provider_view(r, p.mv)).collect();
    Ok(Json(json!({ "resource_providers": views })))
}

async fn provider_show(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
) -> PResult<Json<Value>> {
    let r = state.placement.provider_get(&p.ctx, &id).await?;
    Ok(Json(provider_view(&r, p.mv)))
}

/// `name` (1 to 200 characters) and, from 1.14, `parent_provider_uuid`.
fn provider_body(body: &Value, mv: Mv, create: bool) -> PResult<(String, Option<Value>)> {
    let mut known = vec!["name"];
    if create {
        known.push("uuid");
    }
    if mv.at_least(14) {
        known.push("parent_provider_uuid");
    }
    let o = object(body, &known)?;
    let name = string(required(o, "name")?, "name")?;
    if name.is_empty() || name.chars().count() > 200 {
        return Err(bad(format!(
            "JSON does not validate: '{name}' is too long or empty: a name has 1 to 200 characters"
        )));
    }
    Ok((name.to_string(), o.get("parent_provider_uuid").cloned()))
}

fn parent(v: Option<Value>) -> PResult<Option<Option<String>>> {
    match v {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(uuid(&s, "parent_provider_uuid")?))),
        Some(other) => Err(bad(format!(
            "JSON does not validate: {other} is not of type 'string', 'null' (in parent_provider_uuid)"
        ))),
    }
}

async fn provider_create(
    State(state): State<AppState>,
    p: Placement,
    PJson(body): PJson,
) -> PResult<Response> {
    let (name, parent_value) = provider_body(&body, p.mv, true)?;
    let id = body
        .get("uuid")
        .map(|u| string(u, "uuid").and_then(|u| uuid(u, "uuid")))
        .transpose()?;
    let parent = parent(parent_value)?.flatten();
    let made = state
        .placement
        .provider_create(&p.ctx, name, id, parent)
        .await?;
    let location = format!("/placement/resource_providers/{}", made.id);
    if p.mv.at_least(20) {
        Ok((
            StatusCode::OK,
            [(header::LOCATION, location)],
            Json(provider_view(&made, p.mv)),
        )
            .into_response())
    } else {
        Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
    }
}

async fn provider_update(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
    PJson(body): PJson,
) -> PResult<Json<Value>> {
    let (name, parent_value) = provider_body(&body, p.mv, false)?;
    let parent = parent(parent_value)?;
    let r = state
        .placement
        .provider_update(&p.ctx, &id, name, parent)
        .await?;
    Ok(Json(provider_view(&r, p.mv)))
}

async fn provider_delete(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
) -> PResult<StatusCode> {
    state.placement.provider_delete(&p.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn inventory_view(i: &Inventory) -> Value {
    json!({
        "total": i.total,
        "reserved": i.reserved,
        "min_unit": i.min_unit,
        "max_unit": i.max_unit,
        "step_size": i.step_size,
        "allocation_ratio": i.allocation_ratio,
    })
}

fn inventories_view(generation: i64, inv: &Inventories) -> Value {
    let map: Map<String, Value> = inv
        .iter()
        .map(|(class, i)| (class.clone(), inventory_view(i)))
        .collect();
    json!({"inventories": map, "resource_provider_generation": generation})
}

/// One inventory's fields (`total` required, the rest Placement's defaults).
fn inventory_fields(o: &Map<String, Value>) -> PResult<Inventory> {
    let mut inv = Inventory::of(int(required(o, "total")?, "total", 1)?);
    if let Some(v) = o.get("reserved") {
        inv.reserved = int(v, "reserved", 0)?;
    }
    if let Some(v) = o.get("min_unit") {
        inv.min_unit = int(v, "min_unit", 1)?;
    }
    if let Some(v) = o.get("max_unit") {
        inv.max_unit = int(v, "max_unit", 1)?;
    }
    if let Some(v) = o.get("step_size") {
        inv.step_size = int(v, "step_size", 1)?;
    }
    if let Some(v) = o.get("allocation_ratio") {
        inv.allocation_ratio = v.as_f64().filter(|r| *r > 0.0).ok_or_else(|| {
            bad(format!(
                "JSON does not validate: {v} is not a number above 0 (in allocation_ratio)"
            ))
        })?;
    }
    Ok(inv)
}

const INVENTORY_FIELDS: [&str; 6] = [
    "total",
    "reserved",
    "min_unit",
    "max_unit",
    "step_size",
    "allocation_ratio",
];

fn generation_of(o: &Map<String, Value>) -> PResult<i64> {
    int(
        required(o, "resource_provider_generation")?,
        "resource_provider_generation",
        0,
    )
}

async fn inventory_list(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
) -> PResult<Json<Value>> {
    let (generation, inv) = state.placement.inventories(&p.ctx, &id).await?;
    Ok(Json(inventories_view(generation, &inv)))
}

async fn inventory_replace(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
    PJson(body): PJson,
) -> PResult<Json<Value>> {
    let o = object(&body, &["inventories", "resource_provider_generation"])?;
    let generation = generation_of(o)?;
    let list = required(o, "inventories")?;
    let list = list.as_object().ok_or_else(|| {
        bad(format!(
            "JSON does not validate: {list} is not of type 'object' (in inventories)"
        ))
    })?;
    let mut next = Inventories::new();
    for (class, v) in list {
        next.insert(
            class.clone(),
            inventory_fields(object(v, &INVENTORY_FIELDS)?)?,
        );
    }
    let (generation, inv) = state
        .placement
        .inventories_change(&p.ctx, &id, Some(generation), |_| Ok(next))
        .await?;
    Ok(Json(inventories_view(generation, &inv)))
}

async fn inventory_create(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
    PJson(body): PJson,
) -> PResult<Response> {
    let mut known = INVENTORY_FIELDS.to_vec();
    known.push("resource_class");
    let o = object(&body, &known)?;
    let class = string(required(o, "resource_class")?, "resource_class")?.to_string();
    let inv = inventory_fields(o)?;
    let made = inv.clone();
    let for_change = class.clone();
    let (generation, _) = state
        .placement
        .inventories_change(&p.ctx, &id, None, move |mut all| {
            if all.contains_key(&for_change) {
                return Err(Error::Conflict(msg!(
                    "Inventory for requested resource class already exists: {class}",
                    class = for_change
                )));
            }
            all.insert(for_change, inv);
            Ok(all)
        })
        .await?;
    let mut view = inventory_view(&made);
    view["resource_provider_generation"] = json!(generation);
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/placement/resource_providers/{id}/inventories/{class}"),
        )],
        Json(view),
    )
        .into_response())
}

async fn inventory_delete_all(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
) -> PResult<StatusCode> {
    p.needs(5)?;
    state
        .placement
        .inventories_change(&p.ctx, &id, None, |_| Ok(Inventories::new()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn inventory_show(
    State(state): State<AppState>,
    p: Placement,
    Path((id, class)): Path<(String, String)>,
) -> PResult<Json<Value>> {
    let (generation, inv) = state.placement.inventories(&p.ctx, &id).await?;
    let i = inv
        .get(&class)
        .ok_or_else(|| PlacementError(Error::not_found("inventory", class.clone())))?;
    let mut view = inventory_view(i);
    view["resource_provider_generation"] = json!(generation);
    Ok(Json(view))
}

async fn inventory_update(
    State(state): State<AppState>,
    p: Placement,
    Path((id, class)): Path<(String, String)>,
    PJson(body): PJson,
) -> PResult<Json<Value>> {
    let mut known = INVENTORY_FIELDS.to_vec();
    known.push("resource_provider_generation");
    let o = object(&body, &known)?;
    let generation = generation_of(o)?;
    let inv = inventory_fields(o)?;
    let made = inv.clone();
    let for_change = class.clone();
    let provider = id.clone();
    let (generation, _) = state
        .placement
        .inventories_change(&p.ctx, &id, Some(generation), move |mut all| {
            if !all.contains_key(&for_change) {
                return Err(Error::invalid(msg!(
                    "No inventory record with resource class {class} for resource provider {id}",
                    class = for_change,
                    id = provider
                )));
            }
            all.insert(for_change, inv);
            Ok(all)
        })
        .await?;
    let mut view = inventory_view(&made);
    view["resource_provider_generation"] = json!(generation);
    Ok(Json(view))
}

async fn inventory_delete(
    State(state): State<AppState>,
    p: Placement,
    Path((id, class)): Path<(String, String)>,
) -> PResult<StatusCode> {
    state
        .placement
        .inventories_change(&p.ctx, &id, None, move |mut all| {
            if all.remove(&class).is_none() {
                return Err(Error::not_found("inventory", class));
            }
            Ok(all)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn provider_usages(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
) -> PResult<Json<Value>> {
    let (generation, usages) = state.placement.usages(&p.ctx, &id).await?;
    Ok(Json(
        json!({"usages": usages, "resource_provider_generation": generation}),
    ))
}

async fn aggregate_list(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
) -> PResult<Json<Value>> {
    p.needs(1)?;
    let (generation, list) = state.placement.provider_aggregates(&p.ctx, &id).await?;
    Ok(Json(aggregates_view(generation, &list, p.mv)))
}

fn aggregates_view(generation: i64, list: &[String], mv: Mv) -> Value {
    if mv.at_least(19) {
        json!({"aggregates": list, "resource_provider_generation": generation})
    } else {
        json!({ "aggregates": list })
    }
}

fn string_list(v: &Value, key: &str) -> PResult<Vec<String>> {
    v.as_array()
        .ok_or_else(|| {
            bad(format!(
                "JSON does not validate: {v} is not of type 'array' (in {key})"
            ))
        })?
        .iter()
        .map(|s| string(s, key).map(str::to_string))
        .collect()
}

async fn aggregate_update(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
    PJson(body): PJson,
) -> PResult<Json<Value>> {
    p.needs(1)?;
    // From 1.19 the list comes with the generation it was read at.
    let (generation, list) = if p.mv.at_least(19) {
        let o = object(&body, &["aggregates", "resource_provider_generation"])?;
        (
            Some(generation_of(o)?),
            string_list(required(o, "aggregates")?, "aggregates")?,
        )
    } else {
        (None, string_list(&body, "aggregates")?)
    };
    let (generation, list) = state
        .placement
        .provider_aggregates_set(&p.ctx, &id, generation, list)
        .await?;
    Ok(Json(aggregates_view(generation, &list, p.mv)))
}

async fn provider_trait_list(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
) -> PResult<Json<Value>> {
    p.needs(6)?;
    let (generation, list) = state.placement.provider_traits(&p.ctx, &id).await?;
    Ok(Json(
        json!({"traits": list, "resource_provider_generation": generation}),
    ))
}

async fn provider_trait_update(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
    PJson(body): PJson,
) -> PResult<Json<Value>> {
    p.needs(6)?;
    let o = object(&body, &["traits", "resource_provider_generation"])?;
    let generation = generation_of(o)?;
    let list = string_list(required(o, "traits")?, "traits")?;
    let (generation, list) = state
        .placement
        .provider_traits_set(&p.ctx, &id, generation, list)
        .await?;
    Ok(Json(
        json!({"traits": list, "resource_provider_generation": generation}),
    ))
}

async fn provider_trait_delete(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
) -> PResult<StatusCode> {
    p.needs(6)?;
    state.placement.provider_traits_clear(&p.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn class_view(name: &str) -> Value {
    json!({
        "name": name,
        "links": [{"rel": "self", "href": format!("/placement/resource_classes/{name}")}],
    })
}

async fn class_list(State(state): State<AppState>, p: Placement) -> PResult<Json<Value>> {
    p.needs(2)?;
    let list = state.placement.classes(&p.ctx).await?;
    let views: Vec<Value> = list.iter().map(|c| class_view(c)).collect();
    Ok(Json(json!({ "resource_classes": views })))
}

async fn class_create(
    State(state): State<AppState>,
    p: Placement,
    PJson(body): PJson,
) -> PResult<Response> {
    p.needs(2)?;
    let o = object(&body, &["name"])?;
    let name = string(required(o, "name")?, "name")?;
    state.placement.class_create(&p.ctx, name, true).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/placement/resource_classes/{name}"),
        )],
    )
        .into_response())
}

async fn class_show(
    State(state): State<AppState>,
    p: Placement,
    Path(name): Path<String>,
) -> PResult<Json<Value>> {
    p.needs(2)?;
    state.placement.class_get(&p.ctx, &name).await?;
    Ok(Json(class_view(&name)))
}

/// From 1.7 makes the class if it is new (201) or leaves it (204); before, renames it.
async fn class_update(
    State(state): State<AppState>,
    p: Placement,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> PResult<Response> {
    p.needs(2)?;
    if p.mv.at_least(7) {
        let made = state.placement.class_create(&p.ctx, &name, false).await?;
        let location = [(
            header::LOCATION,
            format!("/placement/resource_classes/{name}"),
        )];
        return Ok(if made {
            (StatusCode::CREATED, location).into_response()
        } else {
            (StatusCode::NO_CONTENT, location).into_response()
        });
    }
    let body: Value =
        serde_json::from_slice(&body).map_err(|e| bad(format!("Malformed JSON: {e}")))?;
    let o = object(&body, &["name"])?;
    let to = string(required(o, "name")?, "name")?;
    state.placement.class_rename(&p.ctx, &name, to).await?;
    Ok(Json(class_view(to)).into_response())
}

async fn class_delete(
    State(state): State<AppState>,
    p: Placement,
    Path(name): Path<String>,
) -> PResult<StatusCode> {
    p.needs(2)?;
    state.placement.class_delete(&p.ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn trait_list(
    State(state): State<AppState>,
    p: Placement,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PResult<Json<Value>> {
    p.needs(6)?;
    let q = query(pairs, &["name", "associated"])?;
    let mut f = TraitFilter::default();
    if let Some(name) = single(&q, "name")? {
        if let Some(list) = name.strip_prefix("in:") {
            f.names = Some(list.split(',').map(|t| t.trim().to_string()).collect());
        } else if let Some(prefix) = name.strip_prefix("startswith:") {
            f.prefix = Some(prefix.to_string());
        } else {
            return Err(bad(format!(
                "Badly formed name parameter. Expected the form in:A,B or startswith:PREFIX. Got: {name}"
            )));
        }
    }
    if let Some(a) = single(&q, "associated")? {
        f.associated = Some(match a.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => {
                return Err(bad(format!(
                "The query parameter \"associated\" only accepts \"true\" or \"false\". Got: {a}"
            )))
            }
        });
    }
    let list = state.placement.traits(&p.ctx, f).await?;
    Ok(Json(json!({ "traits": list })))
}

async fn trait_show(
    State(state): State<AppState>,
    p: Placement,
    Path(name): Path<String>,
) -> PResult<StatusCode> {
    p.needs(6)?;
    state.placement.trait_get(&p.ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn trait_update(
    State(state): State<AppState>,
    p: Placement,
    Path(name): Path<String>,
) -> PResult<Response> {
    p.needs(6)?;
    let made = state.placement.trait_put(&p.ctx, &name).await?;
    let status = if made {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    Ok((
        status,
        [(header::LOCATION, format!("/placement/traits/{name}"))],
    )
        .into_response())
}

async fn trait_delete(
    State(state): State<AppState>,
    p: Placement,
    Path(name): Path<String>,
) -> PResult<StatusCode> {
    p.needs(6)?;
    state.placement.trait_delete(&p.ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
