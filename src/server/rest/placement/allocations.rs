//! Allocations (per consumer, per provider, several consumers at once), project usages
//! and allocation candidates.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::providers::{member_of, resources, traits_wanted};
use super::{
    bad, int, object, query, required, single, string, uuid, Mv, PJson, PResult, Placement,
};
use crate::server::services::placement::{CandidateRequest, ConsumerWrite};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/allocations", post(allocations_post))
        .route(
            "/allocations/{consumer}",
            get(consumer_allocations)
                .put(consumer_allocations_put)
                .delete(consumer_allocations_delete),
        )
        .route(
            "/resource_providers/{uuid}/allocations",
            get(provider_allocations),
        )
        .route("/usages", get(project_usages))
        .route("/allocation_candidates", get(allocation_candidates))
}

async fn consumer_allocations(
    State(state): State<AppState>,
    p: Placement,
    Path(consumer): Path<String>,
) -> PResult<Json<Value>> {
    let held = state
        .placement
        .consumer_allocations(&p.ctx, &consumer)
        .await?;
    let allocations: Map<String, Value> = held
        .allocations
        .iter()
        .map(|(provider, (generation, resources))| {
            (
                provider.clone(),
                json!({"generation": generation, "resources": resources}),
            )
        })
        .collect();
    let mut body = json!({ "allocations": allocations });
    if p.mv.at_least(12) {
        if let (Some(project), Some(user)) = (&held.project_id, &held.user_id) {
            body["project_id"] = json!(project);
            body["user_id"] = json!(user);
        }
    }
    Ok(Json(body))
}

/// `{"VCPU": 1, ...}`: each amount at least 1.
fn amounts(v: &Value) -> PResult<BTreeMap<String, i64>> {
    let o = v.as_object().ok_or_else(|| {
        bad(format!(
            "JSON does not validate: {v} is not of type 'object' (in resources)"
        ))
    })?;
    if o.is_empty() {
        return Err(bad(
            "JSON does not validate: {} does not have enough properties (in resources)".into(),
        ));
    }
    o.iter()
        .map(|(class, n)| Ok((class.clone(), int(n, "resources", 1)?)))
        .collect()
}

/// One consumer's body: the allocations (a list below 1.12, keyed by provider from it),
/// and whose they are (required from 1.8; the caller's project and user before).
fn consumer_write(
    p: &Placement,
    consumer: &str,
    body: &Value,
    empty_ok: bool,
) -> PResult<ConsumerWrite> {
    let mut known = vec!["allocations"];
    if p.mv.at_least(8) {
        known.extend(["project_id", "user_id"]);
    }
    let o = object(body, &known)?;
    let list = required(o, "allocations")?;
    let mut allocations: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    if p.mv.at_least(12) {
        // Only a POST may empty a consumer (`{}`); a PUT names at least one provider.
        let by_provider = list
            .as_object()
            .filter(|o| !o.is_empty() || empty_ok)
            .ok_or_else(|| {
                bad(format!(
                    "JSON does not validate: {list} is not an object of at least one provider (in allocations)"
                ))
            })?;
        for (provider, v) in by_provider {
            let o = object(v, &["resources", "generation"])?;
            allocations.insert(
                uuid(provider, "allocations")?,
                amounts(required(o, "resources")?)?,
            );
        }
    } else {
        let items = list.as_array().filter(|l| !l.is_empty()).ok_or_else(|| {
            bad(format!(
                "JSON does not validate: {list} is not a non-empty 'array' (in allocations)"
            ))
        })?;
        for item in items {
            let o = object(item, &["resource_provider", "resources"])?;
            let rp = object(required(o, "resource_provider")?, &["uuid"])?;
            let provider = uuid(string(required(rp, "uuid")?, "uuid")?, "uuid")?;
            allocations.insert(provider, amounts(required(o, "resources")?)?);
        }
    }
    let who = |key: &str, own: &str| -> PResult<String> {
        match o.get(key) {
            Some(v) => {
                let s = string(v, key)?;
                if s.is_empty() || s.len() > 255 {
                    return Err(bad(format!(
                        "JSON does not validate: '{s}' is not a valid {key}"
                    )));
                }
                Ok(s.to_string())
            }
            None if p.mv.at_least(8) => Err(bad(format!(
                "JSON does not validate: '{key}' is a required property"
            ))),
            None => Ok(own.to_string()),
        }
    };
    Ok(ConsumerWrite {
        consumer_id: consumer.to_string(),
        project_id: who("project_id", p.ctx.auth.project_id().unwrap_or_default())?,
        user_id: who("user_id", &p.ctx.auth.user_id)?,
        allocations,
    })
}

async fn consumer_allocations_put(
    State(state): State<AppState>,
    p: Placement,
    Path(consumer): Path<String>,
    PJson(body): PJson,
) -> PResult<StatusCode> {
    let consumer = uuid(&consumer, "consumer_uuid")?;
    let write = consumer_write(&p, &consumer, &body, false)?;
    state
        .placement
        .allocations_write(&p.ctx, vec![write])
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Several consumers' allocations at once (1.13): all are written, or none.
async fn allocations_post(
    State(state): State<AppState>,
    p: Placement,
    PJson(body): PJson,
) -> PResult<StatusCode> {
    p.needs(13)?;
    let o = body.as_object().filter(|o| !o.is_empty()).ok_or_else(|| {
        bad("JSON does not validate: the body is an object of consumers' allocations".into())
    })?;
    let mut writes = Vec::new();
    for (consumer, v) in o {
        let consumer = uuid(consumer, "consumer_uuid")?;
        writes.push(consumer_write(&p, &consumer, v, true)?);
    }
    state.placement.allocations_write(&p.ctx, writes).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn consumer_allocations_delete(
    State(state): State<AppState>,
    p: Placement,
    Path(consumer): Path<String>,
) -> PResult<StatusCode> {
    state
        .placement
        .allocations_delete(&p.ctx, &consumer)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn provider_allocations(
    State(state): State<AppState>,
    p: Placement,
    Path(id): Path<String>,
) -> PResult<Json<Value>> {
    let (generation, held) = state.placement.provider_allocations(&p.ctx, &id).await?;
    let allocations: Map<String, Value> = held
        .iter()
        .map(|(consumer, resources)| (consumer.clone(), json!({ "resources": resources })))
        .collect();
    Ok(Json(
        json!({"allocations": allocations, "resource_provider_generation": generation}),
    ))
}

async fn project_usages(
    State(state): State<AppState>,
    p: Placement,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PResult<Json<Value>> {
    p.needs(9)?;
    let q = query(pairs, &["project_id", "user_id"])?;
    let project = single(&q, "project_id")?.ok_or_else(|| {
        bad("Invalid query string parameters: 'project_id' is a required property".into())
    })?;
    let usages = state
        .placement
        .project_usages(&p.ctx, project, single(&q, "user_id")?)
        .await?;
    Ok(Json(json!({ "usages": usages })))
}

async fn allocation_candidates(
    State(state): State<AppState>,
    p: Placement,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PResult<Json<Value>> {
    p.needs(10)?;
    let mut known = vec!["resources"];
    for (minor, key) in [(16, "limit"), (17, "required"), (21, "member_of")] {
        if p.mv.at_least(minor) {
            known.push(key);
        }
    }
    let q = query(pairs, &known)?;
    let mut req = CandidateRequest {
        resources: resources(single(&q, "resources")?.ok_or_else(|| {
            bad("Invalid query string parameters: 'resources' is a required property".into())
        })?)?,
        ..CandidateRequest::default()
    };
    if let Some(l) = single(&q, "limit")? {
        req.limit = Some(l.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            bad(format!(
                "Invalid query string parameters: '{l}' does not match '^[1-9][0-9]*$'"
            ))
        })?);
    }
    if let Some(r) = single(&q, "required")? {
        (req.required, req.forbidden) = traits_wanted(r, p.mv)?;
    }
    if let Some(values) = q.get("member_of") {
        req.member_of = member_of(values, p.mv)?;
    }
    let requested: Vec<String> = req.resources.keys().cloned().collect();
    let found = state.placement.allocation_candidates(&p.ctx, req).await?;
    let requests: Vec<Value> = found
        .requests
        .iter()
        .map(|(provider, resources)| candidate_view(provider, resources, p.mv))
        .collect();
    let summaries: Map<String, Value> = found
        .summaries
        .iter()
        .map(|(provider, s)| {
            let resources: Map<String, Value> = s
                .resources
                .iter()
                // Before 1.27 a summary names only the classes asked for.
                .filter(|(class, _)| p.mv.at_least(27) || requested.contains(class))
                .map(|(class, (capacity, used))| {
                    (class.clone(), json!({"capacity": capacity, "used": used}))
                })
                .collect();
            let mut v = json!({ "resources": resources });
            if p.mv.at_least(17) {
                v["traits"] = json!(s.traits);
            }
            (provider.clone(), v)
        })
        .collect();
    Ok(Json(json!({
        "allocation_requests": requests,
        "provider_summaries": summaries,
    })))
}

/// A candidate allocation: a list below 1.12, keyed by provider from it.
fn candidate_view(provider: &str, resources: &BTreeMap<String, i64>, mv: Mv) -> Value {
    if mv.at_least(12) {
        json!({"allocations": {provider: {"resources": resources}}})
    } else {
        json!({"allocations": [{"resource_provider": {"uuid": provider}, "resources": resources}]})
    }
}
