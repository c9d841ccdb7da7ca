//! Identity figures for docs/benchmarks.md:
//! - token issue and validation throughput at concurrency 1 and 8, over HTTP, and the
//!   in-process validation cost;
//! - the Identity → Users page render time (SSR) with 1,000 users.
//!
//! Run: `cargo bench --features ssr --bench identity` (release profile). It starts its own
//! controller on a temporary SQLite database on 127.0.0.1 and stops by itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::{admin_auth, ms, pct};
use serde_json::json;

mod harness;

/// Runs `total` calls of `op` spread over `concurrency` tasks; returns calls per second.
async fn throughput<F, Fut>(concurrency: usize, total: usize, op: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let op = op.clone();
        let n = total / concurrency + usize::from(w < total % concurrency);
        tasks.push(tokio::spawn(async move {
            for _ in 0..n {
                op().await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("bench task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let bench = harness::start(|_| {}).await;
    let base = &bench.base;
    let identity = bench.state.identity.clone();
    let client = bench.client.clone();
    let tokens_url = format!("{base}/identity/v3/auth/tokens");

    // Token issue: every issue verifies an argon2id password hash.
    println!("# token issue (POST /v3/auth/tokens, password method)");
    for (c, n) in [(1, 40), (8, 80)] {
        let (client, url) = (client.clone(), tokens_url.clone());
        let rate = throughput(c, n, move || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let r = client
                    .post(&url)
                    .json(&admin_auth())
                    .send()
                    .await
                    .expect("issue");
                assert_eq!(r.status(), 201);
            }
        })
        .await;
        println!("issue      concurrency {c}: {rate:8.1} tokens/s ({n} tokens)");
    }

    let r = client
        .post(&tokens_url)
        .json(&admin_auth())
        .send()
        .await
        .expect("issue");
    let token = r.headers()["x-subject-token"].to_str().unwrap().to_string();

    println!("# token validation (GET /v3/auth/tokens?nocatalog, X-Auth-Token = X-Subject-Token)");
    for (c, n) in [(1, 3000), (8, 12000)] {
        let (client, url, token) = (
            client.clone(),
            format!("{tokens_url}?nocatalog"),
            token.clone(),
        );
        let rate = throughput(c, n, move || {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            async move {
                let r = client
                    .get(&url)
                    .header("x-auth-token", &token)
                    .header("x-subject-token", &token)
                    .send()
                    .await
                    .expect("validate");
                assert_eq!(r.status(), 200);
            }
        })
        .await;
        println!("validate   concurrency {c}: {rate:8.1} validations/s over HTTP ({n} requests)");
    }
    for (c, n) in [(1, 200_000), (8, 400_000)] {
        let (identity, token) = (identity.clone(), token.clone());
        let rate = throughput(c, n, move || {
            let (identity, token) = (identity.clone(), token.clone());
            async move {
                identity.validate(&token).await.expect("valid");
            }
        })
        .await;
        println!(
            "validate   concurrency {c}: {rate:10.0} validations/s in process, cached ({n} calls)"
        );
    }

    // Uncached: every validation after an identity write goes back to the database.
    let n = 2000;
    let start = Instant::now();
    for _ in 0..n {
        identity.bench_invalidate();
        identity.validate(&token).await.expect("valid");
    }
    println!(
        "validate   concurrency 1: {:10.0} validations/s in process, uncached ({n} calls)",
        n as f64 / start.elapsed().as_secs_f64()
    );

    // The Users page with 1,000 users.
    println!("# Identity → Users page (SSR) with 1,000 users");
    for i in 0..1000 {
        let r = client
            .post(format!("{base}/identity/v3/users"))
            .header("x-auth-token", &token)
            .json(&json!({"user": {"name": format!("user-{i:04}"), "email": format!("user{i}@example.org")}}))
            .send()
            .await
            .expect("create user");
        assert_eq!(r.status(), 201);
    }
    let (browser, _) = bench.portal_session().await;
    let mut times = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        let r = browser
            .get(format!("{base}/identity/users?sort=email"))
            .send()
            .await
            .expect("page");
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        times.push(start.elapsed());
        assert!(
            html.contains("user-0000") && html.contains("1001"),
            "the page lists users and counts 1,001"
        );
    }
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "users page: median {:.1} ms, mean {:.1} ms over {} renders (20 rows of 1,001, sorted by email)",
        ms(pct(&times, 0.5)),
        ms(mean),
        times.len()
    );
}
