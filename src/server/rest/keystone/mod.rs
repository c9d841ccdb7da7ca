//! Keystone v3 at `/identity`: version discovery, tokens, and the identity resources.
//!
//! Faults are Keystone's: `{"error": {"code", "title", "message"}}` with its status codes,
//! for service errors, bad JSON and missing tokens alike.

mod app_creds;
pub mod auth;
mod catalog;
mod credentials;
mod resources;
mod roles;
mod users;
mod view;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::server::context::OpCtx;
use crate::server::error::Error;
use crate::server::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(auth::versions))
        .route("/v3", get(auth::version))
        .route("/v3/", get(auth::version))
        .merge(auth::routes())
        .merge(resources::routes())
        .merge(users::routes())
        .merge(roles::routes())
        .merge(catalog::routes())
        .merge(app_creds::routes())
        .merge(credentials::routes())
        .fallback(not_found)
}

async fn not_found() -> KsError {
    KsError(Error::not_found("resource", "the requested URL"))
}

/// A service error rendered as Keystone renders it.
pub struct KsError(pub Error);

impl From<Error> for KsError {
    fn from(e: Error) -> Self {
        KsError(e)
    }
}

impl IntoResponse for KsError {
    fn into_response(self) -> Response {
        self.0.log();
        let (status, title) = match self.0.plain() {
            Error::NotFound { .. } => (StatusCode::NOT_FOUND, "Not Found"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "Conflict"),
            Error::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "Bad Request"),
            Error::Unauthenticated(_) | Error::AccountLocked { .. } => {
                (StatusCode::UNAUTHORIZED, "Unauthorized")
            }
            Error::Forbidden(_) | Error::OverQuota(_) => (StatusCode::FORBIDDEN, "Forbidden"),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
            Error::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type")
            }
            Error::Internal(_) | Error::Coded { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        };
        let body = json!({"error": {"code": status.as_u16(), "title": title, "message": self.0.external_message()}});
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                "WWW-Authenticate",
                HeaderValue::from_static("Keystone uri=\"/identity/v3\""),
            );
        }
        response
    }
}

pub type KsResult<T> = Result<T, KsError>;

/// JSON body whose rejections are Keystone 400s.
pub struct KsJson<T>(pub T);

impl<T, S> FromRequest<S> for KsJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = KsError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(KsJson(v)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(KsError(
                Error::TooLarge(msg!("Request is too large.")),
            )),
            Err(rejection) => Err(KsError(Error::invalid(msg!("Expecting to find valid JSON in request body. The server could not comply with the request since it is either malformed or otherwise incorrect: {body_text}", body_text = rejection.body_text())))),
        }
    }
}

/// The caller, from `X-Auth-Token`.
impl FromRequestParts<AppState> for OpCtx {
    type Rejection = KsError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        crate::server::rest::caller(parts, state)
            .await
            .map_err(KsError)
    }
}

/// The links block of a collection.
fn collection_links(state: &AppState, path: &str) -> Value {
    json!({"self": format!("{}/identity/v3/{path}", state.public_url()), "previous": null, "next": null})
}

fn created(body: Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// Reads a required object member (`{"project": {...}}`) as a typed body.
fn member<T: serde::de::DeserializeOwned>(body: &Value, key: &str) -> Result<T, KsError> {
    let inner = body.get(key).ok_or_else(|| {
        KsError(Error::invalid(msg!(
            "Invalid input for field '{key}': '{key}' is a required property.",
            key
        )))
    })?;
    serde_json::from_value(inner.clone()).map_err(|e| {
        KsError(Error::invalid(msg!(
            "Invalid input for field '{key}': {e}.",
            key,
            e
        )))
    })
}

/// Distinguishes an absent JSON member (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(de).map(Some)
}
