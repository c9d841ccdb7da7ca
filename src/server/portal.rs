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
    let e = e.into_plain();
    match e {
        Error::NotFound { .. } => AppError::NotFound(e.external_message()),
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
        .route("/project/overview/usage.csv", get(project_usage_csv))
        .route("/admin/overview/usage.csv", get(admin_usage_csv))
        .route("/portal/images/{id}/file", axum::routing::put(upload_image))
        .route("/portal/events", get(events))
        .route("/portal/instances/{id}/console", get(console_page))
        .route("/portal/instances/{id}/vnc", get(console_socket))
}

/// The instance console: noVNC in a page of its own, which the instance's Console tab
/// frames (Horizon frames nova-novncproxy's page the same way). Only the instance's id
/// goes into the page; the websocket it opens is authorized again.
async fn console_page(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let ctx = match ctx_from_session(&state, &session).await {
        Ok(ctx) => ctx,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    if let Err(e) = state.compute.console_address(&ctx, &id).await {
        let status = match e {
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::CONFLICT,
        };
        return (status, app_error(e).to_string()).into_response();
    }
    // The id is a UUID the service just found; nothing else is interpolated.
    let page = CONSOLE_PAGE.replace("{ID}", &id);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

const CONSOLE_PAGE: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Console</title>
<style>html,body{margin:0;height:100%;background:#000;color:#ccc;font:12px system-ui,sans-serif}
#status{padding:4px 8px}#screen{position:absolute;top:24px;bottom:0;left:0;right:0}</style></head>
<body data-state="connecting"><div id="status">Connecting…</div><div id="screen"></div>
<script type="module">
import RFB from "/novnc/core/rfb.js";
const status = document.getElementById("status");
const scheme = location.protocol === "https:" ? "wss://" : "ws://";
const rfb = new RFB(document.getElementById("screen"), scheme + location.host + "/portal/instances/{ID}/vnc");
rfb.scaleViewport = true;
rfb.addEventListener("connect", () => { status.textContent = "Connected"; document.body.dataset.state = "connected"; });
rfb.addEventListener("disconnect", (e) => {
  status.textContent = e.detail.clean ? "Disconnected" : "Connection lost";
  document.body.dataset.state = "disconnected";
});
</script></body></html>"#;

/// The console's websocket: binary frames to and from the instance's VNC server, for a
/// signed-in member of its project, from the portal's own origin.
async fn console_socket(
    State(state): State<AppState>,
    session: Session,
    headers: axum::http::HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
    ws: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let origin_ok = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| o.split("://").nth(1) == Some(host));
    if !origin_ok {
        return (StatusCode::FORBIDDEN, "cross-site console refused").into_response();
    }
    let ctx = match ctx_from_session(&state, &session).await {
        Ok(ctx) => ctx,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let address = match state.compute.console_address(&ctx, &id).await {
        Ok(a) => a,
        Err(Error::NotFound { .. }) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return (StatusCode::CONFLICT, app_error(e).to_string()).into_response(),
    };
    ws.protocols(["binary"])
        .on_upgrade(move |socket| proxy_vnc(socket, address))
}

async fn proxy_vnc(socket: axum::extract::ws::WebSocket, address: std::net::SocketAddr) {
    use axum::extract::ws::Message;
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(tcp) = tokio::net::TcpStream::connect(address).await else {
        return;
    };
    let (mut tcp_read, mut tcp_write) = tcp.into_split();
    let (mut ws_write, mut ws_read) = socket.split();
    let to_vm = async {
        while let Some(Ok(msg)) = ws_read.next().await {
            match msg {
                Message::Binary(data) => {
                    if tcp_write.write_all(&data).await.is_err() {
                        break;
                    }
                }
                Message::Close(_) => break,
                _ => {}
            }
        }
    };
    let to_browser = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match tcp_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if ws_write
                        .send(Message::Binary(buf[..n].to_vec().into()))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    };
    tokio::select! {
        _ = to_vm => {}
        _ = to_browser => {}
    }
}

/// The image upload of the portal's Create Image form: the browser sends the file here
/// (with its progress bar) and it streams into the image service, as `PUT /v2/images/{id}/file`.
async fn upload_image(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path(id): axum::extract::Path<String>,
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
            let message = app_error(e).to_string();
            (status, message).into_response()
        }
    }
}

/// Pushed instance changes (server-sent events): the id of each instance of the caller's
/// project (every project for an administrator) that changed. Pages refetch what they show.
async fn events(State(state): State<AppState>, session: Session) -> Response {
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
struct Period {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
}

/// Project → Overview → Download CSV Summary.
async fn project_usage_csv(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(p): axum::extract::Query<Period>,
) -> Response {
    let ctx = match ctx_from_session(&state, &session).await {
        Ok(ctx) => ctx,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let Some(project) = ctx.auth.project_id().map(str::to_string) else {
        return (StatusCode::BAD_REQUEST, "Choose a project first.").into_response();
    };
    usage_csv(&state, &ctx, Some(&project), &p).await
}

/// Admin → Overview → Download CSV Summary.
async fn admin_usage_csv(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(p): axum::extract::Query<Period>,
) -> Response {
    let ctx = match ctx_from_session(&state, &session).await {
        Ok(ctx) => ctx,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    usage_csv(&state, &ctx, None, &p).await
}

async fn usage_csv(state: &AppState, ctx: &OpCtx, project: Option<&str>, p: &Period) -> Response {
    use crate::server_fns::compute::usage;
    let result = match usage::summary(state, ctx, project, &p.start, &p.end).await {
        Ok(s) => usage::csv(&s, project).map(|body| (s, body)),
        Err(e) => Err(e),
    };
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
            (status, e.to_string()).into_response()
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
