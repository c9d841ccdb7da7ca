//! Load figures for docs/benchmarks.md: 200 concurrent clients, each on its own
//! connection, for 20 seconds against one controller (fake hypervisor and data plane),
//! mixing API reads (servers, networks), portal pages (a signed-in Instances page), and
//! wrong-password logins (each an argon2 check). Reports errors, p50/p99 per kind, the
//! requests served, and the process's RSS before and after.
//!
//! Run: `LEPTOS_OUTPUT_NAME=gureum cargo bench --features ssr --bench load`. It starts its
//! own controller on a temporary SQLite database on 127.0.0.1 and stops by itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::{ms, pct};
use serde_json::json;

mod harness;

const CLIENTS: usize = 200;
const RUN: Duration = Duration::from_secs(20);

/// This process's resident memory, in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    ApiServers,
    ApiNetworks,
    PortalPage,
    WrongLogin,
}

#[tokio::main]
async fn main() {
    let bench = harness::start(|_| {}).await;
    let (base, token) = (bench.base.clone(), bench.token.clone());
    // A portal session shared by the page-loading clients (the cookie, as a browser's).
    let (_, cookie) = bench.portal_session().await;

    let rss_before = rss_mb();
    let started = Instant::now();
    let results = Arc::new(std::sync::Mutex::new(Vec::<(Kind, Duration, bool)>::new()));
    let mut workers = Vec::new();
    for n in 0..CLIENTS {
        let base = base.clone();
        let token = token.clone();
        let cookie = cookie.clone();
        let results = results.clone();
        workers.push(tokio::spawn(async move {
            // One connection per client, as 200 separate users would have.
            let c = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut i = n;
            let mut mine = Vec::new();
            while started.elapsed() < RUN {
                let kind = match i % 10 {
                    0..=3 => Kind::ApiServers,
                    4..=6 => Kind::ApiNetworks,
                    7 | 8 => Kind::PortalPage,
                    _ => Kind::WrongLogin,
                };
                i += 1;
                let t = Instant::now();
                let ok = match kind {
                    Kind::ApiServers => c
                        .get(format!("{base}/compute/v2.1/servers"))
                        .header("x-auth-token", &token)
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 200),
                    Kind::ApiNetworks => c
                        .get(format!("{base}/networking/v2.0/networks"))
                        .header("x-auth-token", &token)
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 200),
                    Kind::PortalPage => match c
                        .get(format!("{base}/project/instances"))
                        .header("cookie", &cookie)
                        .send()
                        .await
                    {
                        Ok(r) => r.status() == 200 && r.text().await.is_ok(),
                        Err(_) => false,
                    },
                    Kind::WrongLogin => c
                        .post(format!("{base}/identity/v3/auth/tokens"))
                        .json(&json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
                            "name": format!("nobody{n}"), "domain": {"name": "Default"}, "password": "wrong-password"}}}}}))
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 401),
                };
                mine.push((kind, t.elapsed(), ok));
            }
            results.lock().unwrap().extend(mine);
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed();
    let rss_after = rss_mb();
    let all = results.lock().unwrap().clone();
    println!(
        "{CLIENTS} clients for {:.0} s: {} requests ({:.0}/s)",
        elapsed.as_secs_f64(),
        all.len(),
        all.len() as f64 / elapsed.as_secs_f64()
    );
    println!("| kind | requests | errors | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    for kind in [
        Kind::ApiServers,
        Kind::ApiNetworks,
        Kind::PortalPage,
        Kind::WrongLogin,
    ] {
        let times: Vec<Duration> = all.iter().filter(|r| r.0 == kind).map(|r| r.1).collect();
        let errors = all.iter().filter(|r| r.0 == kind && !r.2).count();
        println!(
            "| {kind:?} | {} | {errors} | {:.1} | {:.1} |",
            times.len(),
            ms(pct(&times, 0.5)),
            ms(pct(&times, 0.99))
        );
    }
    println!("RSS: {rss_before:.0} MB before, {rss_after:.0} MB after");
}
