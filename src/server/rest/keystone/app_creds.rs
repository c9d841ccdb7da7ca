//! `/v3/users/{user_id}/application_credentials`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{collection_links, created, member, view, KsError, KsJson, KsResult};
use crate::server::context::OpCtx;
use crate::server::error::Error;
use crate::server::services::identity::{AccessRuleSpec, AppCredCreate};
use crate::server::state::AppState;
use crate::server::time::parse_iso_micros;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v3/users/{user_id}/application_credentials",
            get(list).post(create),
        )
        .route(
            "/v3/users/{user_id}/application_credentials/{id}",
            get(show).delete(delete),
        )
        .route("/v3/users/{user_id}/access_rules", get(access_rule_list))
        .route(
            "/v3/users/{user_id}/access_rules/{id}",
            get(access_rule_show).delete(access_rule_delete),
        )
}

#[derive(Deserialize)]
struct AccessRuleBody {
    id: Option<String>,
    service: Option<String>,
    path: Option<String>,
    method: Option<String>,
}

#[derive(Deserialize)]
struct RoleRefBody {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct CreateBody {
    name: String,
    description: Option<String>,
    secret: Option<String>,
    expires_at: Option<String>,
    #[serde(default)]
    roles: Vec<RoleRefBody>,
    #[serde(default)]
    unrestricted: bool,
    #[serde(default)]
    access_rules: Vec<AccessRuleBody>,
}

async fn create(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(user_id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: CreateBody = member(&body, "application_credential")?;
    let expires_at = match b.expires_at.as_deref() {
        None => None,
        Some(s) => Some(parse_iso_micros(s).ok_or_else(|| {
            KsError(Error::invalid(msg!(
                "Invalid input for field 'expires_at': '{s}' is not an ISO 8601 time.",
                s
            )))
        })?),
    };
    let roles = b
        .roles
        .into_iter()
        .filter_map(|r| r.id.or(r.name))
        .collect();
    let made = state
        .identity
        .app_cred_create(
            &ctx,
            &user_id,
            AppCredCreate {
                name: b.name,
                description: b.description,
                secret: b.secret.map(SecretString::from),
                expires_at: expires_at.map(|(seconds, _)| seconds),
                expires_at_us: expires_at.map_or(0, |(_, micros)| micros),
                roles,
                unrestricted: b.unrestricted,
                access_rules: b
                    .access_rules
                    .into_iter()
                    .map(|r| AccessRuleSpec {
                        id: r.id,
                        service: r.service,
                        path: r.path,
                        method: r.method,
                    })
                    .collect(),
            },
        )
        .await?;
    let view = view::app_cred_view(
        &state,
        &made.credential,
        &made.roles,
        &made.access_rules,
        Some(&made.secret),
    );
    Ok(created(json!({ "application_credential": view })))
}

async fn list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(user_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> KsResult<Json<Value>> {
    let creds = state
        .identity
        .app_cred_list(&ctx, &user_id, q.get("name").map(String::as_str))
        .await?;
    Ok(Json(json!({
        "application_credentials": creds.iter().map(|d| view::app_cred_view(&state, &d.credential, &d.roles, &d.access_rules, None)).collect::<Vec<_>>(),
        "links": collection_links(&state, &format!("users/{user_id}/application_credentials")),
    })))
}

async fn show(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((user_id, id)): Path<(String, String)>,
) -> KsResult<Json<Value>> {
    let d = state.identity.app_cred_get(&ctx, &user_id, &id).await?;
    let view = view::app_cred_view(&state, &d.credential, &d.roles, &d.access_rules, None);
    Ok(Json(json!({ "application_credential": view })))
}

async fn delete(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((user_id, id)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    state.identity.app_cred_delete(&ctx, &user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn access_rule_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(user_id): Path<String>,
) -> KsResult<Json<Value>> {
    let rules = state.identity.access_rule_list(&ctx, &user_id).await?;
    Ok(Json(json!({
        "access_rules": rules.iter().map(|r| view::access_rule_view(&state, r)).collect::<Vec<_>>(),
        "links": collection_links(&state, &format!("users/{user_id}/access_rules")),
    })))
}

async fn access_rule_show(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((user_id, id)): Path<(String, String)>,
) -> KsResult<Json<Value>> {
    let r = state.identity.access_rule_get(&ctx, &user_id, &id).await?;
    Ok(Json(
        json!({ "access_rule": view::access_rule_view(&state, &r) }),
    ))
}

async fn access_rule_delete(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((user_id, id)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    state
        .identity
        .access_rule_delete(&ctx, &user_id, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
