//! Placement 1.x at `/placement`: version discovery and microversions, then resource
//! providers (inventories, usages, aggregates, traits), resource classes, traits,
//! allocations, usages and allocation candidates.
//!
//! Errors are Placement's: `{"errors": [{"status", "title", "detail", "code"}]}`. Every
//! answer carries the microversion it was served at (`OpenStack-API-Version`).

mod allocations;
mod providers;

use std::collections::BTreeMap;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::server::context::OpCtx;
use crate::server::error::Error;
use crate::server::state::AppState;

/// The microversions served: 1.0 up to this one.
pub const MAX_MINOR: u16 = 24;

/// The microversion of a request (the minor number of 1.x).
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
        .merge(
            providers::routes()
                .merge(allocations::routes())
                .layer(axum::middleware::from_fn(microversion)),
        )
        .fallback(not_found)
}

async fn not_found() -> PlacementError {
    PlacementError(Error::not_found("resource", "the requested URL"))
}

/// The one version, with the microversions it serves (no authentication needed). The
/// requested version is checked here too: clients such as osc-placement negotiate at the
/// root, asking for their highest version and reading the 406's `max_version`.
pub async fn versions(headers: HeaderMap) -> Response {
    let mv = match requested(&headers) {
        Ok(mv) => mv,
        Err(refusal) => return refusal,
    };
    let body = json!({"versions": [{
        "id": "v1.0",
        "max_version": format!("1.{MAX_MINOR}"),
        "min_version": "1.0",
        "status": "CURRENT",
        "links": [{"rel": "self", "href": ""}],
    }]});
    let mut response = Json(body).into_response();
    stamp(&mut response, mv);
    response
}

fn stamp(response: &mut Response, mv: Mv) {
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("placement 1.{}", mv.0)) {
        h.insert("openstack-api-version", v);
    }
    h.insert("vary", HeaderValue::from_static("openstack-api-version"));
}

/// The microversion a request asks for (none: 1.0), or the refusal of one outside the
/// range (406) or not a version at all (400).
fn requested(headers: &HeaderMap) -> Result<Mv, Response> {
    let requested = headers
        .get_all("openstack-api-version")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|v| {
            let mut parts = v.split_whitespace();
            match (parts.next(), parts.next()) {
                (Some(service), Some(version)) if service.eq_ignore_ascii_case("placement") => {
                    Some(version.to_string())
                }
                _ => None,
            }
        });
    Ok(match requested.as_deref() {
        None => Mv(0),
        Some("latest") => Mv(MAX_MINOR),
        Some(v) => match v.split_once('.').and_then(|(major, minor)| {
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            (digits(major) && digits(minor)).then(|| (major.parse::<u32>(), minor.parse::<u32>()))
        }) {
            Some((Ok(1), Ok(minor))) if minor <= MAX_MINOR as u32 => Mv(minor as u16),
            Some(_) => {
                // As Placement does, the refusal carries the range, which is how clients
                // such as osc-placement settle on a version.
                let body = json!({"errors": [{
                    "status": 406,
                    "title": "Not Acceptable",
                    "detail": format!(
                        "Unacceptable version header: {v}. Minimum is 1.0 and maximum is 1.{MAX_MINOR}."
                    ),
                    "code": "placement.undefined_code",
                    "min_version": "1.0",
                    "max_version": format!("1.{MAX_MINOR}"),
                }]});
                return Err((StatusCode::NOT_ACCEPTABLE, Json(body)).into_response());
            }
            None => {
                return Err(error_response(
                    StatusCode::BAD_REQUEST,
                    format!("invalid version string: {v}"),
                    None,
                ))
            }
        },
    })
}

/// Reads the requested microversion, refuses one outside the range, and stamps the
/// answer with the one served (and, from 1.15, says a GET's answer is not to be cached).
async fn microversion(mut req: Request, next: Next) -> Response {
    let mv = match requested(req.headers()) {
        Ok(mv) => mv,
        Err(refusal) => return refusal,
    };
    req.extensions_mut().insert(mv);
    let is_get = req.method() == Method::GET;
    let mut response = next.run(req).await;
    // Errors name their code from 1.23.
    if !mv.at_least(23)
        && (response.status().is_client_error() || response.status().is_server_error())
    {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        let bytes = match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut v) => {
                if let Some(errors) = v.get_mut("errors").and_then(Value::as_array_mut) {
                    for e in errors {
                        if let Some(o) = e.as_object_mut() {
                            o.remove("code");
                        }
                    }
                }
                axum::body::Bytes::from(v.to_string())
            }
            Err(_) => bytes,
        };
        let mut parts = parts;
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        response = Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    stamp(&mut response, mv);
    if mv.at_least(15) && is_get && response.status().is_success() {
        let h = response.headers_mut();
        let at = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        if let Ok(v) = HeaderValue::from_str(&at) {
            h.insert("last-modified", v);
        }
        h.insert("cache-control", HeaderValue::from_static("no-cache"));
    }
    response
}

fn error_response(status: StatusCode, detail: String, code: Option<&str>) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = json!({"errors": [{
        "status": status.as_u16(),
        "title": title,
        "detail": detail,
        "code": code.unwrap_or("placement.undefined_code"),
    }]});
    (status, Json(body)).into_response()
}

/// A service error as Placement renders it.
pub struct PlacementError(pub Error);

impl From<Error> for PlacementError {
    fn from(e: Error) -> Self {
        PlacementError(e)
    }
}

impl IntoResponse for PlacementError {
    fn into_response(self) -> Response {
        self.0.log();
        let code = match &self.0 {
            Error::Coded { code, .. } => Some(*code),
            _ => None,
        };
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
        let detail = match self.0.plain() {
            Error::NotFound {
                kind: "resource provider",
                id,
            } => format!("No resource provider with uuid {id} found"),
            Error::NotFound {
                kind: "resource class",
                id,
            } => format!("No such resource class {id}."),
            Error::NotFound { kind: "trait", id } => format!("No such trait(s): {id}."),
            Error::NotFound {
                kind: "allocations for consumer",
                id,
            } => format!("No allocations for consumer '{id}'"),
            Error::NotFound {
                kind: "inventory",
                id,
            } => format!("No inventory of class {id} found."),
            e => e.external_message(),
        };
        error_response(status, detail, code)
    }
}

pub type PResult<T> = Result<T, PlacementError>;

/// The caller and the microversion of the request.
pub struct Placement {
    pub ctx: OpCtx,
    pub mv: Mv,
}

impl Placement {
    /// A call that came with an older microversion than it needs is not there.
    pub fn needs(&self, minor: u16) -> PResult<()> {
        if self.mv.at_least(minor) {
            Ok(())
        } else {
            Err(PlacementError(Error::not_found(
                "resource",
                "the requested URL",
            )))
        }
    }
}

impl FromRequestParts<AppState> for Placement {
    type Rejection = PlacementError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> PResult<Self> {
        let ctx = crate::server::rest::caller(parts, state)
            .await
            .map_err(PlacementError)?;
        let mv = parts.extensions.get::<Mv>().copied().unwrap_or(Mv(0));
        Ok(Placement { ctx, mv })
    }
}

/// A JSON body (`application/json` only) whose rejections are Placement 400s and 415s.
pub struct PJson(pub Value);

impl<S: Send + Sync> FromRequest<S> for PJson {
    type Rejection = PlacementError;

    async fn from_request(req: Request, state: &S) -> PResult<Self> {
        let json_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/json")
            });
        if !json_type {
            return Err(PlacementError(Error::UnsupportedMediaType(msg!(
                "The media type is not supported: use application/json."
            ))));
        }
        let bytes = crate::server::rest::body_bytes(req, state)
            .await
            .map_err(PlacementError)?;
        serde_json::from_slice(&bytes).map(PJson).map_err(|e| {
            PlacementError(Error::invalid(msg!(
                "Malformed JSON: {e}",
                e = e.to_string()
            )))
        })
    }
}

/// A 400 naming the mistake in a body or query.
pub fn bad(detail: String) -> PlacementError {
    PlacementError(Error::invalid(crate::message::Message::text(detail)))
}

/// The object a body must be, with only the keys named.
pub fn object<'a>(v: &'a Value, known: &[&str]) -> PResult<&'a Map<String, Value>> {
    let o = v.as_object().ok_or_else(|| {
        bad(format!(
            "JSON does not validate: {v} is not of type 'object'"
        ))
    })?;
    if let Some(k) = o.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(bad(format!(
            "JSON does not validate: Additional properties are not allowed ('{k}' was unexpected)"
        )));
    }
    Ok(o)
}

pub fn required<'a>(o: &'a Map<String, Value>, key: &str) -> PResult<&'a Value> {
    o.get(key).ok_or_else(|| {
        bad(format!(
            "JSON does not validate: '{key}' is a required property"
        ))
    })
}

pub fn int(v: &Value, key: &str, min: i64) -> PResult<i64> {
    match v.as_i64() {
        Some(n) if n >= min => Ok(n),
        Some(n) => Err(bad(format!(
            "JSON does not validate: {n} is less than the minimum of {min} (in {key})"
        ))),
        None => Err(bad(format!(
            "JSON does not validate: {v} is not of type 'integer' (in {key})"
        ))),
    }
}

pub fn string<'a>(v: &'a Value, key: &str) -> PResult<&'a str> {
    v.as_str().ok_or_else(|| {
        bad(format!(
            "JSON does not validate: {v} is not of type 'string' (in {key})"
        ))
    })
}

pub fn uuid(v: &str, key: &str) -> PResult<String> {
    uuid::Uuid::parse_str(v)
        .map(|u| u.to_string())
        .map_err(|_| {
            bad(format!(
                "JSON does not validate: '{v}' is not a 'uuid' (in {key})"
            ))
        })
}

/// The query's parameters, each with all its values; refuses any not in `known`.
pub fn query(
    pairs: Vec<(String, String)>,
    known: &[&str],
) -> PResult<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        if !known.contains(&k.as_str()) {
            return Err(bad(format!(
                "Invalid query string parameters: Additional properties are not allowed ('{k}' was unexpected)"
            )));
        }
        out.entry(k).or_default().push(v);
    }
    Ok(out)
}

/// One value of a query parameter that may be given only once.
pub fn single<'a>(q: &'a BTreeMap<String, Vec<String>>, key: &str) -> PResult<Option<&'a str>> {
    match q.get(key).map(Vec::as_slice) {
        None | Some([]) => Ok(None),
        Some([one]) => Ok(Some(one.as_str())),
        Some(_) => Err(PlacementError(Error::coded(
            "placement.query.duplicate_key",
            Error::invalid(crate::message::Message::text(format!(
                "Query parameter '{key}' may be given only once."
            ))),
        ))),
    }
}
