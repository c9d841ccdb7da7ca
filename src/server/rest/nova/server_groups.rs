//! Server groups (`os-server-groups`): `policies` below 2.64, `policy` and `rules` from it.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::view::server_group_view;
use super::{body_member, int_field, only_known, str_field, NJson, NResult, Nova, NovaError};
use crate::server::error::Error;
use crate::server::rest::query_bool;
use crate::server::services::compute::ServerGroupCreate;
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/os-server-groups",
            get(server_group_list).post(server_group_create),
        )
        .route(
            "/os-server-groups/{id}",
            get(server_group_show).delete(server_group_delete),
        )
}

async fn server_group_list(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<HashMap<String, String>>,
) -> NResult<Json<Value>> {
    let all = query_bool(q.get("all_projects")).unwrap_or(false);
    let offset = match q.get("offset") {
        Some(o) => o.parse::<usize>().map_err(|_| {
            NovaError(Error::invalid(msg!(
                "Invalid input for query parameters offset. Value: {o}.",
                o
            )))
        })?,
        None => 0,
    };
    let limit = match q.get("limit") {
        Some(l) => Some(l.parse::<usize>().map_err(|_| {
            NovaError(Error::invalid(msg!(
                "Invalid input for query parameters limit. Value: {l}.",
                l
            )))
        })?),
        None => None,
    };
    let list = state
        .compute
        .server_group_list(&nova.ctx, all, offset, limit)
        .await?;
    let views: Vec<Value> = list.iter().map(|g| server_group_view(g, nova.mv)).collect();
    Ok(Json(json!({ "server_groups": views })))
}

async fn server_group_show(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let g = state.compute.server_group_get(&nova.ctx, &id).await?;
    Ok(Json(
        json!({ "server_group": server_group_view(&g, nova.mv) }),
    ))
}

async fn server_group_create(
    State(state): State<AppState>,
    nova: Nova,
    NJson(body): NJson<Value>,
) -> NResult<Json<Value>> {
    let g = body_member(&body, "server_group")?;
    let required = |field: &str| {
        NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute server_group. '{field}' is a required property",
            field
        )))
    };
    let name = str_field(g, "name")?.ok_or_else(|| required("name"))?;
    let (policy, max_server_per_host) = if nova.mv.at_least(64) {
        only_known(g, "server_group", &["name", "policy", "rules"])?;
        let policy = str_field(g, "policy")?.ok_or_else(|| required("policy"))?;
        let max = match g.get("rules") {
            None | Some(Value::Null) => None,
            Some(Value::Object(rules)) => {
                only_known(rules, "rules", &["max_server_per_host"])?;
                int_field(rules, "max_server_per_host")?
            }
            Some(other) => {
                return Err(NovaError(Error::invalid(msg!(
                    "Invalid input for field/attribute rules. Value: {other}. It is not of type 'object'",
                    other
                ))))
            }
        };
        (policy.to_string(), max)
    } else {
        only_known(g, "server_group", &["name", "policies"])?;
        let policies = g
            .get("policies")
            .and_then(Value::as_array)
            .ok_or_else(|| required("policies"))?;
        let [Value::String(policy)] = policies.as_slice() else {
            return Err(NovaError(Error::invalid(msg!(
                "Invalid input for field/attribute policies: it must hold exactly one policy."
            ))));
        };
        (policy.clone(), None)
    };
    let made = state
        .compute
        .server_group_create(
            &nova.ctx,
            ServerGroupCreate {
                name: name.to_string(),
                policy,
                max_server_per_host,
            },
        )
        .await?;
    Ok(Json(
        json!({ "server_group": server_group_view(&made, nova.mv) }),
    ))
}

async fn server_group_delete(
    State(state): State<AppState>,
    nova: Nova,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    state.compute.server_group_delete(&nova.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
