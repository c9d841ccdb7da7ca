//! Serving connections: HTTP/1.1 and HTTP/2 on the one port, with the limits a public
//! endpoint needs. A client gets a deadline for its request headers and for each part
//! of a request body; open connections are capped below the file-descriptor limit
//! (raised to its hard limit at start), the rest waiting in the kernel's backlog; every
//! request carries its peer's address (`ConnectInfo`); replies are not held back by
//! Nagle's algorithm.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

#[derive(Clone, Debug)]
pub struct ServeLimits {
    /// How long a client has to send a request's headers.
    pub header_timeout: Duration,
    /// How long a request body may go without sending anything.
    pub body_idle_timeout: Duration,
    /// Open connections at most (lowered to fit the file-descriptor limit).
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(30),
            max_connections: 4096,
        }
    }
}

/// The client's address of a request served here (none for requests made in process).
pub fn peer_ip(extensions: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// Descriptors kept free of client connections: the database, QEMU's monitors and
/// consoles, image files, child processes.
const RESERVED_DESCRIPTORS: u64 = 512;

/// Raises this process's open-file limit to its hard limit; returns the soft limit now.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own and pass by pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: setrlimit reads the struct we own; it changes only this process's limit.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim.rlim_cur = lim.rlim_max;
        }
    }
    lim.rlim_cur as u64
}

/// The connection cap for a descriptor limit: the configured one, or fewer when the
/// descriptors would run out first.
pub fn connection_cap(configured: usize, fd_limit: u64) -> usize {
    let room = fd_limit.saturating_sub(RESERVED_DESCRIPTORS).max(16);
    configured.min(usize::try_from(room).unwrap_or(usize::MAX))
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests
/// finish (for up to ten seconds).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let cap = connection_cap(limits.max_connections, raise_fd_limit());
    let permits = Arc::new(tokio::sync::Semaphore::new(cap));
    let router = router.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_idle_timeout,
    ));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // A connection is accepted only when there is room for it.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or memory: wait for some to be released.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(
            move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            },
        );
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that goes away mid-request is not an error of ours.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_descriptors_for_the_rest() {
        assert_eq!(connection_cap(4096, 1_048_576), 4096);
        assert_eq!(connection_cap(4096, 1024), 512);
        assert_eq!(connection_cap(4096, 100), 16);
    }
}
