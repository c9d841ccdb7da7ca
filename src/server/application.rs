//! Builds the controller: database, services, bootstrap, the portal and the REST APIs on
//! one router, and the background tasks. Tests build the same `Application` on port 0.

use std::sync::Arc;

use anyhow::Context;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::app::{shell, App};
use crate::server::config::{default_public_url, Config};
use crate::server::context::RequestId;
use crate::server::db::Db;
use crate::server::host::hostname;
use crate::server::services::compute::ComputeService;
use crate::server::services::identity::{BootstrapParams, IdentityService, REGION};
use crate::server::services::image::ImageService;
use crate::server::services::network::NetworkService;
use crate::server::services::placement::PlacementService;
use crate::server::session_store::DbSessionStore;
use crate::server::state::AppState;
use crate::server::{files, portal, rest, status};
use crate::types::AppError;

pub const SESSION_COOKIE: &str = "gureum_session";

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    shutdown: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    /// The admin password generated on this (first) start, to be shown once.
    pub generated_password: Option<String>,
}

impl Application {
    pub async fn build(mut config: Config) -> anyhow::Result<Application> {
        prepare_data_dir(&config.data_dir)?;
        let db = Db::connect(&config.database_url).await.with_context(|| {
            format!(
                "opening the database {}",
                crate::server::db::redact(&config.database_url)
            )
        })?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let local = listener
            .local_addr()
            .context("reading the listen address")?;
        if config.public_url.is_empty() {
            config.public_url = default_public_url(local);
        }
        let identity = IdentityService::new(db.clone(), config.identity.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let outcome = identity
            .bootstrap(BootstrapParams {
                admin_password: config.admin_password.take(),
                public_url: config.public_url.clone(),
            })
            .await
            .map_err(|e| anyhow::anyhow!("bootstrap: {e:#}"))?;
        if outcome.first_start {
            write_credential_files(
                &config,
                outcome.admin_password.as_ref().map(|p| p.expose_secret()),
            )?;
        }

        let image = ImageService::new(db.clone(), &config.data_dir, config.image.clone())
            .map_err(|e| anyhow::anyhow!("image store: {e:#}"))?;
        image
            .recover()
            .await
            .map_err(|e| anyhow::anyhow!("image recovery: {e:#}"))?;

        let network = NetworkService::new(db.clone(), config.network.clone())
            .map_err(|e| anyhow::anyhow!("network service: {e:#}"))?;
        // The data plane is reconciled from the database before anything is served.
        if let Err(e) = network.sync().await {
            tracing::error!(error = %format!("{e:#}"), "reconciling the network data plane; retrying in the background");
        }
        network
            .register_agents(&hostname())
            .await
            .map_err(|e| anyhow::anyhow!("recording the network agents: {e:#}"))?;
        let placement = PlacementService::new(db.clone());
        let compute = ComputeService::new(
            db.clone(),
            image.clone(),
            network.clone(),
            placement.clone(),
            config.compute.clone(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("compute service: {e:#}"))?;
        compute
            .reconcile()
            .await
            .map_err(|e| anyhow::anyhow!("reconciling instances: {e:#}"))?;

        let leptos_options = LeptosOptions::builder()
            .output_name("gureum")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(local)
            .build();
        let state = AppState {
            leptos_options: leptos_options.clone(),
            identity,
            image,
            compute,
            network,
            placement,
            config: Arc::new(config),
        };
        let session_store = DbSessionStore::new(db.clone());
        let router = router(state.clone(), session_store.clone());

        let tasks = vec![
            tokio::spawn(status::heartbeat_loop(
                db.clone(),
                "gureum-api".into(),
                hostname(),
                "identity".into(),
            )),
            tokio::spawn(housekeeping(state.identity.clone(), session_store)),
            tokio::spawn(state.network.clone().sync_loop()),
        ];
        Ok(Application {
            listener,
            router,
            state,
            tasks,
            shutdown: Box::pin(shutdown_signal()),
            generated_password: outcome.generated_password,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn public_url(&self) -> &str {
        self.state.public_url()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application {
            listener,
            router,
            tasks,
            shutdown,
            state,
            ..
        } = self;
        let result =
            crate::server::serve::serve(listener, router, &state.config.limits, shutdown).await;
        for t in tasks {
            t.abort();
        }
        result.context("serving")
    }
}

fn router(state: AppState, session_store: DbSessionStore) -> Router {
    let routes = generate_route_list(App);
    let idle = tower_sessions::cookie::time::Duration::seconds(state.config.session_idle_timeout);
    let sessions = SessionManagerLayer::new(session_store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.https())
        .with_expiry(Expiry::OnInactivity(idle));
    let options = state.leptos_options.clone();
    Router::new()
        .merge(rest::router())
        .merge(portal::download_routes())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(csrf_guard))
        .layer(middleware::from_fn(server_fn_status))
        .layer(sessions)
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

/// Tags each request with an id, returned as `x-openstack-request-id`, and sets the
/// headers every response should carry.
async fn request_id(mut req: Request, next: Next) -> Response {
    let id = format!("req-{}", uuid::Uuid::new_v4());
    req.extensions_mut().insert(RequestId(id.clone()));
    let path = req.uri().path();
    let portal_call = path.starts_with("/api/") || path.starts_with("/portal/");
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let html = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    // Pages and the portal's calls show a user's data: no cache keeps them.
    if html || portal_call {
        headers
            .entry("cache-control")
            .or_insert(HeaderValue::from_static("no-store"));
    }
    if html {
        let framed = headers
            .get("x-frame-options")
            .is_some_and(|v| v == "SAMEORIGIN");
        headers.insert(
            "content-security-policy",
            HeaderValue::from_static(if framed { CSP_FRAMED } else { CSP }),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert("x-openstack-request-id", v);
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // The instance console is the one page the portal frames (same origin); it says so.
    headers
        .entry("x-frame-options")
        .or_insert(HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}

/// What a portal page may load and where: only from this controller (scripts inline too,
/// as the hydration bootstrap is; WebAssembly compiled), framed by no one.
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
/// The same for the one page the portal frames (the instance console).
const CSP_FRAMED: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/// Server functions change state with the session cookie as their only credential, so a
/// cross-site request to them is refused (SameSite=Lax already keeps the cookie off it;
/// this is the second lock). Browsers name the page a request comes from in `Origin`: it
/// must be this controller (`null`, from a sandboxed or privacy-stripped page, is not). A
/// request without `Origin` is a browser's only if `Sec-Fetch-Site` says so, or if it
/// carries a cookie; then it is refused unless the browser says it is same-origin.
async fn csrf_guard(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && (path.starts_with("/api/") || path.starts_with("/portal/")) {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let host = header("host").unwrap_or_default();
        let allowed = match header("origin") {
            Some(origin) => origin.split_once("://").is_some_and(|(_, h)| h == host),
            None => match header("sec-fetch-site") {
                Some(site) => matches!(site, "same-origin" | "none"),
                None => header("cookie").is_none(),
            },
        };
        if !allowed {
            return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
        }
    }
    next.run(req).await
}

/// Server functions answer every error with 500; the portal's errors are mostly the
/// user's (a duplicate name, a wrong password), so the status is set from the error itself.
/// The browser side treats any 4xx/5xx as an error and decodes the same body.
async fn server_fn_status(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = match error {
            AppError::Invalid(_) | AppError::PasswordMismatch | AppError::Transport(_) => {
                StatusCode::BAD_REQUEST
            }
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::InvalidCredentials | AppError::AccountLocked | AppError::NotSignedIn => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

async fn housekeeping(identity: IdentityService, sessions: DbSessionStore) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        interval.tick().await;
        if let Err(e) = identity.revocations_purge().await {
            e.log();
        }
        if let Err(e) = sessions.purge().await {
            tracing::warn!(error = %e, "could not purge expired sessions");
        }
    }
}

fn prepare_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating the data directory {}", dir.display()))?;
    }
    let meta = std::fs::metadata(dir)
        .with_context(|| format!("reading the data directory {}", dir.display()))?;
    if !meta.is_dir() {
        anyhow::bail!("the data directory {} is not a directory", dir.display());
    }
    // Prove it is writable now rather than fail later in the middle of a request.
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"")
        .with_context(|| format!("the data directory {} is not writable", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

fn write_credential_files(config: &Config, password: Option<&str>) -> anyhow::Result<()> {
    let auth_url = format!("{}/identity/v3", config.public_url.trim_end_matches('/'));
    let creds = files::Credentials {
        auth_url: &auth_url,
        username: "admin",
        password,
        project_name: "admin",
        user_domain: "Default",
        project_domain: "Default",
        region: REGION,
    };
    files::write_private(
        &config.data_dir.join("admin-openrc.sh"),
        &files::openrc(&creds),
    )
    .context("writing admin-openrc.sh")?;
    files::write_private(
        &config.data_dir.join("clouds.yaml"),
        &files::clouds_yaml(&creds),
    )
    .context("writing clouds.yaml")?;
    Ok(())
}

/// Registers for SIGINT and SIGTERM now (a signal that arrives before the server runs
/// still stops it gracefully) and returns the future that resolves on either.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        match (interrupt, terminate) {
            (Ok(mut i), Ok(mut t)) => {
                tokio::select! {
                    _ = i.recv() => {},
                    _ = t.recv() => {},
                }
            }
            _ => std::future::pending::<()>().await,
        }
        tracing::info!("shutting down");
    }
}
