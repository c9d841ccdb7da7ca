//! The instance console: the noVNC page and the websocket proxied to the VM's VNC server.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::server::error::Error;
use crate::server::state::AppState;

use super::*;

/// The instance console: noVNC in a page of its own, which the instance's Console tab
/// frames (Horizon frames nova-novncproxy's page the same way). Only the instance's id
/// goes into the page; the websocket it opens is authorized again.
pub(super) async fn console_page(
    State(state): State<AppState>,
    session: Session,
    headers: axum::http::HeaderMap,
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
        return error_response(&headers, status, app_error(e));
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
pub(super) async fn console_socket(
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
        Err(e) => return error_response(&headers, StatusCode::CONFLICT, app_error(e)),
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
