//! The OpenStack REST APIs: wire types, status codes and fault bodies, one module per
//! service. Handlers are thin adapters over `services/`; they never touch `db/` or drivers.

pub mod glance;
pub mod keystone;
pub mod neutron;
pub mod nova;
pub mod placement;

use crate::message::Message;
use std::future::Future;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::json;

use crate::server::context::OpCtx;
use crate::server::state::AppState;

/// A resource its service `S` reads and deletes by id. Each API's `view::show::<T>` and
/// `view::remove::<T>` serve every such resource; `by_id!` lists them.
pub trait ById<S>: Sized + Send {
    fn get(
        service: &S,
        ctx: &OpCtx,
        id: &str,
    ) -> impl Future<Output = crate::server::error::Result<Self>> + Send;
    fn delete(
        service: &S,
        ctx: &OpCtx,
        id: &str,
    ) -> impl Future<Output = crate::server::error::Result<()>> + Send;
}

/// `by_id!(NetworkService { Network => network_get, network_delete; ... })`.
macro_rules! by_id {
    ($service:ty { $($row:ty => $get:ident, $delete:ident;)* }) => {$(
        impl $crate::server::rest::ById<$service> for $row {
            fn get(
                service: &$service,
                ctx: &$crate::server::context::OpCtx,
                id: &str,
            ) -> impl std::future::Future<Output = $crate::server::error::Result<Self>> + Send {
                service.$get(ctx, id)
            }
            fn delete(
                service: &$service,
                ctx: &$crate::server::context::OpCtx,
                id: &str,
            ) -> impl std::future::Future<Output = $crate::server::error::Result<()>> + Send {
                service.$delete(ctx, id)
            }
        }
    )*};
}
pub(crate) use by_id;

/// The paths of the services to come; nothing else may claim them.
pub const RESERVED_PATHS: [&str; 1] = ["/volume"];

/// Every REST API, nested under its path on the one port.
pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .nest("/identity", keystone::router())
        .nest("/image", glance::router())
        .nest("/compute", nova::router())
        .nest("/networking", neutron::router())
        .nest("/placement", placement::router())
        // Each service's root with the trailing slash clients add (version discovery).
        .route("/identity/", axum::routing::get(keystone::auth::versions))
        .route("/image/", axum::routing::get(glance::versions))
        .route("/compute/", axum::routing::get(nova::versions))
        .route("/networking/", axum::routing::get(neutron::versions))
        .route("/placement/", axum::routing::get(placement::versions));
    for path in RESERVED_PATHS {
        router = router
            .route(path, any(not_offered))
            .route(&format!("{path}/{{*rest}}"), any(not_offered));
    }
    router
}

/// A service this controller does not offer yet: a JSON 404, never the portal's page.
async fn not_offered() -> Response {
    let message =
        "This service is not offered by this cloud yet; see the catalog (openstack catalog list).";
    (
        StatusCode::NOT_FOUND,
        Json(json!({"itemNotFound": {"code": 404, "message": message}})),
    )
        .into_response()
}

/// The caller of a REST request, from its `X-Auth-Token`; each service's extractor
/// renders the refusal as its own fault.
/// Where each service's API is mounted, and its catalog type (what access rules name).
const SERVICE_ROOTS: [(&str, &str); 5] = [
    ("/identity", "identity"),
    ("/image", "image"),
    ("/compute", "compute"),
    ("/networking", "network"),
    ("/placement", "placement"),
];

pub async fn caller(
    parts: &axum::http::request::Parts,
    state: &AppState,
) -> Result<crate::server::context::OpCtx, crate::server::error::Error> {
    use crate::server::error::Error;
    let token = parts
        .headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.is_empty())
        .ok_or_else(Error::unauthenticated)?;
    let auth = state
        .identity
        .validate(token)
        .await
        .map_err(|_| Error::unauthenticated())?;
    // An application credential with access rules makes only the calls they name.
    if let Some(rules) = auth.app_cred.as_ref().and_then(|a| a.access_rules.as_ref()) {
        // The whole path: a nested router sees its own part only.
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or(parts.uri.path(), |o| o.0.path());
        let (service, rest) = SERVICE_ROOTS
            .iter()
            .find_map(|(root, service)| path.strip_prefix(root).map(|rest| (*service, rest)))
            .unwrap_or(("", path));
        let allowed = crate::server::services::identity::access_allowed(
            rules,
            service,
            rest,
            parts.method.as_str(),
        );
        if !allowed {
            return Err(Error::unauthenticated());
        }
    }
    let request_id = parts
        .extensions
        .get::<crate::server::context::RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    Ok(crate::server::context::OpCtx {
        request_id,
        auth,
        token: token.into(),
    })
}

/// A request body as bytes; one over the size limit is `TooLarge` (each service renders
/// its 413), any other failure to read it a bad request.
pub async fn body_bytes<S: Send + Sync>(
    req: axum::extract::Request,
    state: &S,
) -> Result<axum::body::Bytes, crate::server::error::Error> {
    use crate::server::error::Error;
    use axum::extract::FromRequest;
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::TooLarge(msg!("Request is too large."))
            } else {
                Error::invalid(Message::text(e.body_text()))
            }
        })
}

/// `k=v&...`, percent-encoded, for the next-page links the APIs return.
pub fn query_string(params: &[(String, String)]) -> String {
    fn encode(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z'
                | b'a'..=b'z'
                | b'0'..=b'9'
                | b'-'
                | b'_'
                | b'.'
                | b'~'
                | b':'
                | b',' => out.push(b as char),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Query-string booleans the way OpenStack services read them: `true`, `True`, `1`, `yes`,
/// and a bare key (`?effective`).
/// `null` in a typed view, for attributes Gureum does not use.
pub type Null = Option<()>;

pub fn query_bool(v: Option<&String>) -> Option<bool> {
    v.map(|s| {
        !matches!(
            s.to_ascii_lowercase().as_str(),
            "false" | "0" | "no" | "off"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_bools() {
        for (v, want) in [
            ("True", true),
            ("true", true),
            ("", true),
            ("1", true),
            ("false", false),
            ("0", false),
        ] {
            assert_eq!(query_bool(Some(&v.to_string())), Some(want), "{v}");
        }
        assert_eq!(query_bool(None), None);
    }
}
