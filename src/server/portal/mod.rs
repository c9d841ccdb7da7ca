//! The portal's side of authentication: the session holds a Keystone token, so the portal
//! and the REST APIs share one notion of who is acting (`OpCtx`). Server functions call
//! `request_ctx()` first. Beside the server functions it serves what is not one: the
//! downloads (`downloads.rs`), the image upload (`upload.rs`), pushed changes (`events.rs`)
//! and the instance console (`console.rs`).

mod console;
mod downloads;
mod events;
mod upload;

use axum::routing::get;
use axum::Router;
use tower_sessions::Session;

use crate::server::context::OpCtx;
use crate::server::error::Error;
use crate::server::state::AppState;
use crate::types::AppError;

pub const TOKEN_KEY: &str = "token";

/// An error answered outside a server function (an upload, a download, the console): its
/// status, and the message in the language the request's cookie chose.
pub(crate) fn error_response(
    headers: &axum::http::HeaderMap,
    status: axum::http::StatusCode,
    e: AppError,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let cookies = headers
        .get(axum::http::header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or_default();
    let t = crate::i18n::Lang::from_cookies(cookies).texts();
    (status, crate::i18n::error_text(t, e)).into_response()
}

/// An internal failure of the portal's own (the session store): logged with a request id,
/// which is all the user is shown.
pub fn internal(context: &'static str, e: impl std::fmt::Display) -> AppError {
    let id = uuid::Uuid::new_v4().to_string();
    tracing::error!(request_id = %id, error = %e, "{context}");
    AppError::Internal(id)
}

/// Maps a service error to what the portal may show, logging internal ones.
pub fn app_error(e: Error) -> AppError {
    if matches!(e.plain(), Error::Internal(_)) {
        let id = uuid::Uuid::new_v4().to_string();
        tracing::error!(request_id = %id, "the portal's request failed");
        e.log();
        return AppError::Internal(id);
    }
    let e = e.into_plain();
    match e {
        Error::NotFound { .. } => AppError::NotFound(e.message()),
        Error::Conflict(m) => AppError::Conflict(m),
        Error::InvalidRequest(m) => AppError::Invalid(m),
        Error::Unauthenticated(_) => AppError::NotSignedIn,
        Error::AccountLocked { .. } => AppError::AccountLocked,
        Error::Forbidden(m) | Error::OverQuota(m) => AppError::Forbidden(m),
        Error::TooLarge(m) | Error::UnsupportedMediaType(m) => AppError::Invalid(m),
        Error::Internal(_) | Error::Coded { .. } => {
            AppError::Internal(uuid::Uuid::new_v4().to_string())
        }
    }
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        app_error(e)
    }
}

/// The application state and the signed-in caller of the current server function.
pub async fn request_ctx() -> Result<(AppState, OpCtx), AppError> {
    let state = leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| internal("no application state", "missing context"))?;
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|e| AppError::Transport(e.to_string()))?;
    let ctx = ctx_from_session(&state, &session).await?;
    Ok((state, ctx))
}

pub async fn session() -> Result<(AppState, Session), AppError> {
    let state = leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| internal("no application state", "missing context"))?;
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|e| AppError::Transport(e.to_string()))?;
    Ok((state, session))
}

pub async fn ctx_from_session(state: &AppState, session: &Session) -> Result<OpCtx, AppError> {
    let token: Option<String> = session
        .get(TOKEN_KEY)
        .await
        .map_err(|e| internal("reading the session", e))?;
    let token = token.ok_or(AppError::NotSignedIn)?;
    let auth = state
        .identity
        .validate(&token)
        .await
        .map_err(|_| AppError::NotSignedIn)?;
    Ok(OpCtx {
        request_id: uuid::Uuid::new_v4().to_string(),
        auth,
        token: token.into(),
    })
}

pub fn download_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/project/api_access/openrc",
            get(downloads::download_openrc),
        )
        .route(
            "/project/api_access/clouds.yaml",
            get(downloads::download_clouds_yaml),
        )
        .route(
            "/project/overview/usage.csv",
            get(downloads::project_usage_csv),
        )
        .route("/admin/overview/usage.csv", get(downloads::admin_usage_csv))
        .route(
            "/portal/images/{id}/file",
            axum::routing::put(upload::upload_image),
        )
        .route("/portal/events", get(events::events))
        .route("/portal/instances/{id}/console", get(console::console_page))
        .route("/portal/instances/{id}/vnc", get(console::console_socket))
}
