//! Version discovery and `/v3/auth/*`: tokens, and what a token may scope to.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::HashMap;

use super::view;
use super::{collection_links, KsError, KsJson, KsResult};
use crate::server::context::OpCtx;
use crate::server::error::Error;
use crate::server::rest::query_bool;
use crate::server::services::identity::{AuthMethod, AuthRequest, Ref, ScopeRequest};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v3/auth/tokens",
            get(token_get)
                .head(token_head)
                .post(token_issue)
                .delete(token_revoke),
        )
        .route("/v3/auth/projects", get(auth_projects))
        .route("/v3/auth/domains", get(auth_domains))
        .route("/v3/auth/catalog", get(auth_catalog))
        .route("/v3/auth/system", get(auth_system))
}

const API_VERSION: &str = "v3.14";
const API_UPDATED: &str = "2020-04-07T00:00:00Z";

fn version_doc(state: &AppState) -> Value {
    json!({
        "id": API_VERSION,
        "status": "stable",
        "updated": API_UPDATED,
        "links": [{"rel": "self", "href": format!("{}/identity/v3/", state.public_url())}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    })
}

/// `GET /identity`: the versions on offer (300 Multiple Choices, as Keystone answers).
pub async fn versions(State(state): State<AppState>) -> Response {
    (
        StatusCode::MULTIPLE_CHOICES,
        Json(json!({"versions": {"values": [version_doc(&state)]}})),
    )
        .into_response()
}

pub async fn version(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"version": version_doc(&state)}))
}

fn parse_ref(v: &Value) -> Ref {
    Ref {
        id: v.get("id").and_then(Value::as_str).map(String::from),
        name: v.get("name").and_then(Value::as_str).map(String::from),
        domain: v.get("domain").map(|d| Box::new(parse_ref(d))),
    }
}

fn bad(field: &str, why: &str) -> KsError {
    KsError(Error::invalid(msg!(
        "Invalid input for field '{field}': {why}",
        field,
        why
    )))
}

/// Reads a Keystone auth body into a request.
pub fn parse_auth(body: &Value) -> Result<AuthRequest, KsError> {
    let auth = body
        .get("auth")
        .ok_or_else(|| bad("auth", "'auth' is a required property."))?;
    let identity = auth
        .get("identity")
        .ok_or_else(|| bad("identity", "'identity' is a required property."))?;
    let methods: Vec<&str> = identity
        .get("methods")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("identity/methods", "'methods' is a required property."))?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let method = if methods.contains(&"password") {
        let user = identity
            .pointer("/password/user")
            .ok_or_else(|| bad("identity/password/user", "'user' is a required property."))?;
        let password = user
            .get("password")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                bad(
                    "identity/password/user/password",
                    "'password' is a required property.",
                )
            })?;
        AuthMethod::Password {
            user: parse_ref(user),
            password: SecretString::from(password.to_string()),
        }
    } else if methods.contains(&"application_credential") {
        let ac = identity.get("application_credential").ok_or_else(|| {
            bad(
                "identity/application_credential",
                "'application_credential' is a required property.",
            )
        })?;
        let secret = ac.get("secret").and_then(Value::as_str).ok_or_else(|| {
            bad(
                "identity/application_credential/secret",
                "'secret' is a required property.",
            )
        })?;
        AuthMethod::ApplicationCredential {
            id: ac.get("id").and_then(Value::as_str).map(String::from),
            name: ac.get("name").and_then(Value::as_str).map(String::from),
            user: ac.get("user").map(parse_ref),
            secret: SecretString::from(secret.to_string()),
        }
    } else if methods.contains(&"token") {
        let token = identity
            .pointer("/token/id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("identity/token/id", "'id' is a required property."))?;
        AuthMethod::Token {
            token: token.to_string(),
        }
    } else {
        return Err(KsError(Error::Unauthenticated(msg!(
            "Attempted to authenticate with an unsupported method: {methods}.",
            methods = methods.join(", ")
        ))));
    };
    let scope = match auth.get("scope") {
        None | Some(Value::Null) => ScopeRequest::Default,
        Some(Value::String(s)) if s == "unscoped" => ScopeRequest::Unscoped,
        Some(s) if s.get("project").is_some() => ScopeRequest::Project(parse_ref(&s["project"])),
        Some(s) if s.get("domain").is_some() => ScopeRequest::Domain(parse_ref(&s["domain"])),
        Some(s) if s.get("system").is_some() => {
            if s["system"].get("all") != Some(&Value::Bool(true)) {
                return Err(bad("scope/system", "expected {\"all\": true}."));
            }
            ScopeRequest::System
        }
        Some(_) => {
            return Err(bad(
                "scope",
                "expected a project, a domain, or \"unscoped\".",
            ))
        }
    };
    Ok(AuthRequest {
        method,
        scope,
        source: None,
    })
}

fn with_subject(status: StatusCode, token: &str, body: Option<Value>) -> KsResult<Response> {
    let header =
        axum::http::HeaderValue::from_str(token).map_err(|_| KsError(Error::unauthenticated()))?;
    let mut response = match body {
        Some(b) => (status, Json(b)).into_response(),
        None => status.into_response(),
    };
    response.headers_mut().insert("X-Subject-Token", header);
    Ok(response)
}

async fn token_issue(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    extensions: axum::http::Extensions,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let mut req = parse_auth(&body)?;
    req.source = crate::server::serve::peer_ip(&extensions);
    let (token, auth) = state.identity.authenticate(req).await?;
    let catalog = if query_bool(q.get("nocatalog")).unwrap_or(false) {
        None
    } else {
        Some(state.identity.catalog().await?)
    };
    with_subject(
        StatusCode::CREATED,
        &token,
        Some(view::token_view(&auth, catalog.as_deref())),
    )
}

fn subject(headers: &HeaderMap) -> KsResult<String> {
    headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(String::from)
        .ok_or_else(|| {
            KsError(Error::invalid(msg!(
                "Invalid input for field 'X-Subject-Token': the header is required."
            )))
        })
}

async fn token_get(
    State(state): State<AppState>,
    ctx: OpCtx,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> KsResult<Response> {
    let token = subject(&headers)?;
    let auth = state.identity.validate_subject(&ctx, &token).await?;
    let catalog = if query_bool(q.get("nocatalog")).unwrap_or(false) {
        None
    } else {
        Some(state.identity.catalog().await?)
    };
    with_subject(
        StatusCode::OK,
        &token,
        Some(view::token_view(&auth, catalog.as_deref())),
    )
}

async fn token_head(
    State(state): State<AppState>,
    ctx: OpCtx,
    headers: HeaderMap,
) -> KsResult<Response> {
    let token = subject(&headers)?;
    state.identity.validate_subject(&ctx, &token).await?;
    with_subject(StatusCode::OK, &token, None)
}

async fn token_revoke(
    State(state): State<AppState>,
    ctx: OpCtx,
    headers: HeaderMap,
) -> KsResult<StatusCode> {
    let token = subject(&headers)?;
    state.identity.revoke(&ctx, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn auth_projects(State(state): State<AppState>, ctx: OpCtx) -> KsResult<Json<Value>> {
    let user_id = ctx.auth.user_id.clone();
    let mut projects = state.identity.user_projects(&ctx, &user_id).await?;
    projects.retain(|p| p.enabled != 0);
    Ok(view::many_at(&state, &projects, "auth/projects"))
}

async fn auth_domains(State(state): State<AppState>, ctx: OpCtx) -> KsResult<Json<Value>> {
    let user_id = ctx.auth.user_id.clone();
    let domains = state.identity.user_domains(&ctx, &user_id).await?;
    Ok(view::many_at(&state, &domains, "auth/domains"))
}

async fn auth_catalog(State(state): State<AppState>, _ctx: OpCtx) -> KsResult<Json<Value>> {
    let catalog = state.identity.catalog().await?;
    Ok(Json(
        json!({"catalog": view::catalog_view(&catalog), "links": collection_links(&state, "auth/catalog")}),
    ))
}

async fn auth_system(State(state): State<AppState>, ctx: OpCtx) -> KsResult<Json<Value>> {
    let user_id = ctx.auth.user_id.clone();
    let system: &[Value] = if state.identity.user_has_system_role(&ctx, &user_id).await? {
        &[json!({"all": true})]
    } else {
        &[]
    };
    Ok(Json(
        json!({"system": system, "links": collection_links(&state, "auth/system")}),
    ))
}
