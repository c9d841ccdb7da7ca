//! Pushed changes: server-sent events for the session's project.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::server::state::AppState;

use super::*;

/// Pushed instance changes (server-sent events): the id of each instance of the caller's
/// project (every project for an administrator) that changed. Pages refetch what they show.
pub(super) async fn events(State(state): State<AppState>, session: Session) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let ctx = match ctx_from_session(&state, &session).await {
        Ok(ctx) => ctx,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let admin = crate::server::authz::is_admin(&ctx);
    let project = ctx.auth.project_id().map(str::to_string);
    // Instance changes ("instance", the instance's id) and changes to networks, subnets
    // and routers ("network"), each only to who may see them.
    let streams = (state.compute.subscribe(), state.network.subscribe());
    let stream = futures_util::stream::unfold(streams, move |(mut instances, mut networks)| {
        let project = project.clone();
        async move {
            use tokio::sync::broadcast::error::RecvError;
            let mine = |p: &str| admin || p.is_empty() || project.as_deref() == Some(p);
            loop {
                let event = tokio::select! {
                    ev = instances.recv() => match ev {
                        Ok(ev) if mine(&ev.project_id) => Event::default().event("instance").data(ev.id),
                        Ok(_) => continue,
                        // Missed some: tell the page to refetch everything.
                        Err(RecvError::Lagged(_)) => Event::default().event("instance").data("*"),
                        Err(RecvError::Closed) => return None,
                    },
                    ev = networks.recv() => match ev {
                        // The project whose graph changed ("*": every project's).
                        Ok(ev) if mine(&ev.project_id) => {
                            let data = if ev.project_id.is_empty() { "*".to_string() } else { ev.project_id };
                            Event::default().event("network").data(data)
                        }
                        Ok(_) => continue,
                        Err(RecvError::Lagged(_)) => Event::default().event("network").data("*"),
                        Err(RecvError::Closed) => return None,
                    },
                };
                return Some((
                    Ok::<_, std::convert::Infallible>(event),
                    (instances, networks),
                ));
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
