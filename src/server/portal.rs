//! The portal's side of authentication: the session holds a Keystone token, so the portal
//! and the REST APIs share one notion of who is acting (`OpCtx`). Server functions call
//! `request_ctx()` first; this module also serves the credential-file downloads.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_sessions::Session;

use crate::server::context::{OpCtx, Scope};
use crate::server::error::Error;
use crate::server::files;
use crate::server::services::identity::REGION;
use crate::server::state::AppState;
use crate::types::AppError;

pub const TOKEN_KEY: &str = "token";

/// Maps a service error to what the portal may show, logging internal ones.
pub fn app_error(e: Error) -> AppError {
    e.log();
    match e {
        Error::NotFound { .. } => AppError::NotFound(e.external_message()),
        Error::Conflict(m) => AppError::Conflict(m),
        Error::InvalidRequest(m) => AppError::Invalid(m),
        Error::Unauthenticated(_) => AppError::NotSignedIn,
        Error::AccountLocked { .. } => AppError::AccountLocked,
        Error::Forbidden(m) | Error::OverQuota(m) => AppError::Forbidden(m),
        Error::TooLarge(m) | Error::UnsupportedMediaType(m) => AppError::Invalid(m),
        Error::Internal(_) => AppError::Internal(uuid::Uuid::new_v4().to_string()),
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
        .ok_or_else(|| AppError::Internal("no state".into()))?;
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|e| AppError::Transport(e.to_string()))?;
    let ctx = ctx_from_session(&state, &session).await?;
    Ok((state, ctx))
}

pub async fn session() -> Result<(AppState, Session), AppError> {
    let state = leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::Internal("no state".into()))?;
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|e| AppError::Transport(e.to_string()))?;
    Ok((state, session))
}

pub async fn ctx_from_session(state: &AppState, session: &Session) -> Result<OpCtx, AppError> {
    let token: Option<String> = session
        .get(TOKEN_KEY)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
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
        .route("/project/api_access/openrc", get(download_openrc))
        .route("/project/api_access/clouds.yaml", get(download_clouds_yaml))
}

async fn credentials_for(
    state: &AppState,
    session: &Session,
) -> Result<(String, String, String), Response> {
    let ctx = ctx_from_session(state, session)
        .await
        .map_err(|_| StatusCode::UNAUTHORIZED.into_response())?;
    let project = match &ctx.auth.scope {
        Scope::Project { name, .. } => name.clone(),
        _ => return Err((StatusCode::BAD_REQUEST, "select a project first").into_response()),
    };
    Ok((
        ctx.auth.user_name.clone(),
        ctx.auth.user_domain_name.clone(),
        project,
    ))
}

fn attachment(name: &str, body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Horizon's "OpenStack RC File": it asks for the password when sourced, never embeds it.
async fn download_openrc(State(state): State<AppState>, session: Session) -> Response {
    let (user, domain, project) = match credentials_for(&state, &session).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let auth_url = format!("{}/identity/v3", state.public_url());
    let body = files::openrc(&files::Credentials {
        auth_url: &auth_url,
        username: &user,
        password: None,
        project_name: &project,
        user_domain: &domain,
        project_domain: &domain,
        region: REGION,
    });
    attachment(&format!("{project}-openrc.sh"), body)
}

async fn download_clouds_yaml(State(state): State<AppState>, session: Session) -> Response {
    let (user, domain, project) = match credentials_for(&state, &session).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let auth_url = format!("{}/identity/v3", state.public_url());
    let body = files::clouds_yaml(&files::Credentials {
        auth_url: &auth_url,
        username: &user,
        password: None,
        project_name: &project,
        user_domain: &domain,
        project_domain: &domain,
        region: REGION,
    });
    attachment("clouds.yaml", body)
}
