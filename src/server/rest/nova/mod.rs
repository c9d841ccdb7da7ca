//! Nova v2.1 at `/compute/v2.1`: version discovery and microversions, then servers,
//! flavors, key pairs, quotas, limits, hypervisors and services.
//!
//! Faults are Nova's: `{"itemNotFound": {"code": 404, "message": "..."}}` and kin. Every
//! answer carries the microversion it was served at (`OpenStack-API-Version`).

mod aggregates;
mod extensions;
mod flavors;
mod floating_ips;
mod hosts;
mod images;
mod interfaces;
mod keypairs;
mod quotas;
mod security_groups;
mod server_groups;
mod servers;
mod usage;
mod view;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::server::context::OpCtx;
use crate::server::error::Error;
use crate::server::state::AppState;

/// The microversions served: 2.1 up to this one.
pub const MAX_MINOR: u16 = 79;

/// The microversion of a request (the minor number of 2.x).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mv(pub u16);

impl Mv {
    pub fn at_least(self, minor: u16) -> bool {
        self.0 >= minor
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(versions))
        .route("/v2.1", get(version))
        .route("/v2.1/", get(version))
        .nest(
            "/v2.1",
            api().layer(axum::middleware::from_fn(microversion)),
        )
        // The v2.0 API: the same calls at 2.1, with no microversions.
        .route("/v2", get(version_20))
        .route("/v2/", get(version_20))
        .nest("/v2", api().layer(axum::middleware::from_fn(v20)))
        .fallback(not_found)
}

fn api() -> Router<AppState> {
    Router::new()
        .merge(servers::routes())
        .merge(aggregates::routes())
        .merge(server_groups::routes())
        .merge(interfaces::routes())
        .merge(usage::routes())
        .merge(flavors::routes())
        .merge(keypairs::routes())
        .merge(quotas::routes())
        .merge(hosts::routes())
        .merge(security_groups::routes())
        .merge(extensions::routes())
        .merge(images::routes())
        .merge(floating_ips::routes())
        .fallback(not_found)
}

/// The v2.0 API is 2.1 whatever the client asks.
async fn v20(mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(Mv(1));
    next.run(req).await
}

async fn not_found() -> NovaError {
    NovaError(Error::not_found("resource", "the requested URL"))
}

fn version_doc(state: &AppState) -> Value {
    json!({
        "id": "v2.1",
        "status": "CURRENT",
        "version": format!("2.{MAX_MINOR}"),
        "min_version": "2.1",
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": format!("{}/compute/v2.1/", state.public_url())}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}],
    })
}

fn version_20_doc(state: &AppState) -> Value {
    json!({
        "id": "v2.0",
        "status": "SUPPORTED",
        "version": "",
        "min_version": "",
        "updated": "2011-01-21T11:33:21Z",
        "links": [{"rel": "self", "href": format!("{}/compute/v2/", state.public_url())}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2"}],
    })
}

/// The versions at the root: v2.0 (the same calls without microversions, as Nova still
/// serves them) and v2.1.
pub async fn versions(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"versions": [version_20_doc(&state), version_doc(&state)]}))
}

async fn version_20(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"version": version_20_doc(&state)}))
}

async fn version(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"version": version_doc(&state)}))
}

/// Reads the requested microversion, refuses one outside the range, and stamps the
/// answer with the one served.
async fn microversion(mut req: Request, next: Next) -> Response {
    let headers = req.headers();
    let requested = headers
        .get("openstack-api-version")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let mut parts = v.split_whitespace();
            match (parts.next(), parts.next()) {
                (Some(service), Some(version)) if service.eq_ignore_ascii_case("compute") => {
                    Some(version.to_string())
                }
                _ => None,
            }
        })
        .or_else(|| {
            headers
                .get("x-openstack-nova-api-version")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_string())
        });
    let mv = match requested.as_deref() {
        None => Mv(1),
        Some("latest") => Mv(MAX_MINOR),
        // A well-formed version of any size is a number; one out of range is a 406.
        Some(v) => match v.split_once('.').filter(|(major, minor)| {
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            digits(major) && digits(minor)
        }) {
            Some((major, minor))
                if major.parse::<u16>() == Ok(2)
                    && minor
                        .parse::<u16>()
                        .is_ok_and(|m| (1..=MAX_MINOR).contains(&m)) =>
            {
                Mv(minor.parse().unwrap_or(1))
            }
            Some(_) => {
                let message = format!(
                    "Version {v} is not supported by the API. Minimum is 2.1 and maximum is 2.{MAX_MINOR}."
                );
                return (
                    StatusCode::NOT_ACCEPTABLE,
                    Json(json!({"computeFault": {"code": 406, "message": message}})),
                )
                    .into_response();
            }
            None => {
                return NovaError(Error::invalid(msg!(
                "API Version String {v} is of invalid format. Must be of format MajorNum.MinorNum.",
                v
            )))
                .into_response()
            }
        },
    };
    req.extensions_mut().insert(mv);
    let request_id = req
        .extensions()
        .get::<crate::server::context::RequestId>()
        .and_then(|id| HeaderValue::from_str(&id.0).ok());
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    // Nova's own name for the request id, beside the common one.
    if let Some(id) = request_id {
        h.insert("x-compute-request-id", id);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("compute 2.{}", mv.0)) {
        h.insert("openstack-api-version", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("2.{}", mv.0)) {
        h.insert("x-openstack-nova-api-version", v);
    }
    h.insert(
        "vary",
        HeaderValue::from_static("OpenStack-API-Version, X-OpenStack-Nova-API-Version"),
    );
    response
}

/// A service error as Nova renders it.
pub struct NovaError(pub Error);

impl From<Error> for NovaError {
    fn from(e: Error) -> Self {
        NovaError(e)
    }
}

impl IntoResponse for NovaError {
    fn into_response(self) -> Response {
        self.0.log();
        let (status, key) = match self.0.plain() {
            Error::NotFound { .. } => (StatusCode::NOT_FOUND, "itemNotFound"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflictingRequest"),
            Error::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "badRequest"),
            Error::Unauthenticated(_) | Error::AccountLocked { .. } => {
                let body = json!({"error": {"code": 401, "title": "Unauthorized", "message": self.0.external_message()}});
                return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
            }
            Error::Forbidden(_) | Error::OverQuota(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "overLimit"),
            Error::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "badMediaType"),
            Error::Internal(_) | Error::Coded { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, "computeFault")
            }
        };
        let message = match self.0.plain() {
            Error::NotFound {
                kind: "instance",
                id,
            } => format!("Instance {id} could not be found."),
            Error::NotFound { kind: "flavor", id } => format!("Flavor {id} could not be found."),
            Error::NotFound {
                kind: "keypair",
                id,
            } => format!("Keypair {id} not found."),
            Error::NotFound { kind: "port", id } => format!("Port {id} could not be found."),
            Error::NotFound {
                kind: "network",
                id,
            } => format!("Network {id} could not be found."),
            Error::NotFound {
                kind: "attached port",
                id,
            } => format!("Port {id} is not attached"),
            e => e.external_message(),
        };
        (
            status,
            Json(json!({key: {"code": status.as_u16(), "message": message}})),
        )
            .into_response()
    }
}

pub type NResult<T> = Result<T, NovaError>;

/// The caller and the microversion of the request.
pub struct Nova {
    pub ctx: OpCtx,
    pub mv: Mv,
}

impl FromRequestParts<AppState> for Nova {
    type Rejection = NovaError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> NResult<Self> {
        let ctx = crate::server::rest::caller(parts, state)
            .await
            .map_err(NovaError)?;
        let mv = parts.extensions.get::<Mv>().copied().unwrap_or(Mv(1));
        Ok(Nova { ctx, mv })
    }
}

/// A JSON body whose rejections are Nova 400s.
pub struct NJson<T>(pub T);

impl<T, S> FromRequest<S> for NJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = NovaError;

    async fn from_request(req: Request, state: &S) -> NResult<Self> {
        // Nova reads JSON, or a body without a type (or text/plain) as JSON.
        let content_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        if let Some(t) = content_type.filter(|t| !t.is_empty()) {
            if !matches!(
                t.as_str(),
                "application/json" | "application/vnd.openstack.compute+json" | "text/plain"
            ) {
                return Err(NovaError(Error::UnsupportedMediaType(msg!(
                    "Unsupported Content-Type"
                ))));
            }
        }
        let bytes = crate::server::rest::body_bytes(req, state)
            .await
            .map_err(NovaError)?;
        serde_json::from_slice(&bytes)
            .map(NJson)
            .map_err(|e| NovaError(Error::invalid(msg!("Malformed request body: {e}", e))))
    }
}

/// `[{"rel": "next", "href": ...}]`: the request's own query with the next page's marker.
pub fn next_links(state: &AppState, path: &str, q: &[(String, String)], marker: &str) -> Value {
    let mut params: Vec<(String, String)> =
        q.iter().filter(|(k, _)| k != "marker").cloned().collect();
    params.push(("marker".into(), marker.to_string()));
    let href = format!(
        "{}/compute/v2.1/{path}?{}",
        state.public_url(),
        crate::server::rest::query_string(&params)
    );
    json!([{"rel": "next", "href": href}])
}

/// Reads the one object a body must hold under `key`.
pub fn body_member<'a>(body: &'a Value, key: &str) -> NResult<&'a serde_json::Map<String, Value>> {
    body.get(key).and_then(Value::as_object).ok_or_else(|| {
        NovaError(Error::invalid(msg!("Invalid input for field/attribute {key}. Value: {body}. '{key}' is a required property", key, body)))
    })
}

/// Refuses a property a strict Nova schema does not know (`additionalProperties: false`).
pub fn only_known(obj: &serde_json::Map<String, Value>, what: &str, known: &[&str]) -> NResult<()> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute {what}. Value: {value}. Additional properties are not allowed ('{k}' was unexpected)",
            what,
            value = Value::Object(obj.clone()),
            k
        )))),
        None => Ok(()),
    }
}

/// An integer field, accepting numbers and numeric strings as Nova's schemas do.
pub fn int_field(obj: &serde_json::Map<String, Value>, key: &str) -> NResult<Option<i64>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
        Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => Ok(s.trim().parse().ok()),
        Some(v) => Err(NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute {key}. Value: {v}. {v} is not of type 'integer'",
            key,
            v
        )))),
    }
}

/// A boolean field, taking the spellings Nova's schemas take (`true`, `"True"`, `"1"`,
/// `"on"`, `"yes"` and their opposites, in the three cases Nova lists).
pub fn bool_field(obj: &serde_json::Map<String, Value>, key: &str) -> NResult<Option<bool>> {
    const TRUE: [&str; 10] = [
        "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
    ];
    const FALSE: [&str; 10] = [
        "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no",
    ];
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if TRUE.contains(&s.as_str()) => Ok(Some(true)),
        Some(Value::String(s)) if FALSE.contains(&s.as_str()) => Ok(Some(false)),
        Some(v) => Err(NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute {key}. Value: {v}. {v} is not of type 'boolean'",
            key,
            v
        )))),
    }
}

pub fn str_field<'a>(
    obj: &'a serde_json::Map<String, Value>,
    key: &str,
) -> NResult<Option<&'a str>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(NovaError(Error::invalid(msg!(
            "Invalid input for field/attribute {key}. Value: {v}. {v} is not of type 'string'",
            key,
            v
        )))),
    }
}

/// The one item of a `{"meta": {"<key>": "v"}}` body, whose key must be the path's.
pub fn meta_item(body: &Value, key: &str) -> NResult<std::collections::BTreeMap<String, String>> {
    let item = string_map(body.get("meta"), "meta")?;
    if item.len() != 1 || !item.contains_key(key) {
        return Err(NovaError(Error::invalid(msg!(
            "Request body and URI mismatch"
        ))));
    }
    Ok(item)
}

/// `{"k": "v"}` with string values only.
pub fn string_map(
    v: Option<&Value>,
    field: &str,
) -> NResult<std::collections::BTreeMap<String, String>> {
    match v {
        None | Some(Value::Null) => Ok(Default::default()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(NovaError(Error::invalid(msg!("Invalid input for field/attribute {field}. Value: {other}. It is not of type 'string'", field, other)))),
            })
            .collect(),
        Some(other) => Err(NovaError(Error::invalid(msg!("Invalid input for field/attribute {field}. Value: {other}. It is not of type 'object'", field, other)))),
    }
}

/// The last path segment of a reference that may be a URL (`imageRef`, `flavorRef`).
pub fn ref_id(r: &str) -> String {
    r.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(r)
        .to_string()
}
