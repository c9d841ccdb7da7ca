//! Downloads: the openrc and clouds.yaml credential files and the usage CSVs.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::server::context::{OpCtx, Scope};
use crate::server::files;
use crate::server::services::identity::REGION;
use crate::server::state::AppState;
use crate::types::AppError;

use super::*;

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

#[derive(serde::Deserialize)]
pub(super) struct Period {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
}

/// Project → Overview → Download CSV Summary.
pub(super) async fn project_usage_csv(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(p): axum::extract::Query<Period>,
    headers: axum::http::HeaderMap,
) -> Response {
    let ctx = match ctx_from_session(&state, &session).await {
        Ok(ctx) => ctx,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let Some(project) = ctx.auth.project_id().map(str::to_string) else {
        let e = AppError::Invalid(msg!("Choose a project first."));
        return error_response(&headers, StatusCode::BAD_REQUEST, e);
    };
    usage_csv(&state, &ctx, Some(&project), &p, &headers).await
}

/// Admin → Overview → Download CSV Summary.
pub(super) async fn admin_usage_csv(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(p): axum::extract::Query<Period>,
    headers: axum::http::HeaderMap,
) -> Response {
    let ctx = match ctx_from_session(&state, &session).await {
        Ok(ctx) => ctx,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    usage_csv(&state, &ctx, None, &p, &headers).await
}

async fn usage_csv(
    state: &AppState,
    ctx: &OpCtx,
    project: Option<&str>,
    p: &Period,
    headers: &axum::http::HeaderMap,
) -> Response {
    use crate::server::services::compute::usage_csv;
    let result = match state
        .compute
        .usage_summary(ctx, &state.identity, project, &p.start, &p.end)
        .await
    {
        Ok(s) => usage_csv(&s, project).map(|body| (s, body)),
        Err(e) => Err(e),
    }
    .map_err(AppError::from);
    match result {
        Ok((s, body)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"usage-{}-{}.csv\"", s.start, s.end),
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            let status = match e {
                AppError::Invalid(_) => StatusCode::BAD_REQUEST,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            error_response(headers, status, e)
        }
    }
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
pub(super) async fn download_openrc(State(state): State<AppState>, session: Session) -> Response {
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

pub(super) async fn download_clouds_yaml(
    State(state): State<AppState>,
    session: Session,
) -> Response {
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
