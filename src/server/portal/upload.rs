//! The portal's image upload: the browser streams the file into the image service.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::server::error::Error;
use crate::server::state::AppState;

use super::*;

/// The image upload of the portal's Create Image form: the browser sends the file here
/// (with its progress bar) and it streams into the image service, as `PUT /v2/images/{id}/file`.
pub(super) async fn upload_image(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Response {
    let ctx = match ctx_from_session(&state, &session).await {
        Ok(ctx) => ctx,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    match state
        .image
        .image_upload(&ctx, &id, body.into_data_stream())
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            let status = match e.plain() {
                Error::NotFound { .. } => StatusCode::NOT_FOUND,
                Error::Conflict(_) => StatusCode::CONFLICT,
                Error::Forbidden(_) => StatusCode::FORBIDDEN,
                Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            error_response(&headers, status, app_error(e))
        }
    }
}
