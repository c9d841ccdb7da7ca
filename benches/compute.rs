//! Compute figures for docs/benchmarks.md, with the fake hypervisor:
//! - control-plane time from the API accepting a launch to the driver's start call, and
//!   to the instance being ACTIVE;
//! - the Project → Instances page render (SSR) with 1,000 instances;
//! - listing 10,000 servers through the API, page by page.
//!
//! Run: `LEPTOS_OUTPUT_NAME=gureum cargo bench --features ssr --bench compute`. It starts
//! its own controller on a temporary SQLite database on 127.0.0.1 and stops by itself.

use std::time::{Duration, Instant};

use harness::{ms, pct};
use serde_json::{json, Value};

mod harness;

#[tokio::main]
async fn main() {
    let bench = harness::start(harness::roomy_host).await;
    let base = &bench.base;
    let compute = bench.state.compute.clone();
    let nova =
        |method: reqwest::Method, path: &str| bench.api(method, &format!("/compute/v2.1{path}"));
    let quota = json!({"quota_set": {"instances": 20000, "cores": 20000, "ram": 100_000_000}});
    bench
        .put(
            &format!("/compute/v2.1/os-quota-sets/{}", bench.project),
            quota,
        )
        .await;
    let flavor = bench.flavor().await;
    let image = bench.image().await;
    let boot = |name: String, count: u32| json!({"server": {"name": name, "imageRef": image, "flavorRef": flavor, "networks": "none", "min_count": count, "max_count": count}});

    // 1. One launch at a time: accept → driver start call, accept → ACTIVE.
    println!("# launch latency, fake driver, one at a time");
    let (mut accept, mut to_spawn, mut to_active) = (Vec::new(), Vec::new(), Vec::new());
    let fake = compute.fake_driver().expect("the fake driver").clone();
    for n in 0..200 {
        let t0 = Instant::now();
        let r = nova(reqwest::Method::POST, "/servers")
            .json(&boot(format!("lat-{n}"), 1))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let accepted = t0.elapsed();
        let id = r.json::<Value>().await.unwrap()["server"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        loop {
            let s: Value = nova(reqwest::Method::GET, &format!("/servers/{id}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if s["server"]["status"] == "ACTIVE" {
                to_active.push(t0.elapsed());
                break;
            }
            assert_ne!(s["server"]["status"], "ERROR", "{s}");
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        accept.push(accepted);
        to_spawn.push(fake.spawned_at(&id).expect("spawned") - t0);
    }
    for (what, v) in [
        ("API accept (202)", accept),
        ("accept → driver spawn call", to_spawn),
        ("accept → ACTIVE (polled)", to_active),
    ] {
        println!(
            "{what:28}: median {:.2} ms, p95 {:.2} ms (200 launches)",
            ms(pct(&v, 0.5)),
            ms(pct(&v, 0.95))
        );
    }

    // Fill to a number of instances, in batches, and wait for all to be ACTIVE.
    let fill = |target: usize| {
        let nova = &nova;
        let boot = &boot;
        async move {
            let start = Instant::now();
            let mut made = 0usize;
            let current = compute_count(nova).await;
            let mut left = target.saturating_sub(current);
            while left > 0 {
                let n = left.min(250) as u32;
                let r = nova(reqwest::Method::POST, "/servers")
                    .json(&boot(format!("fill-{made}"), n))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
                made += n as usize;
                left -= n as usize;
            }
            loop {
                let building: Value = nova(reqwest::Method::GET, "/servers?status=BUILD&limit=1")
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if building["servers"].as_array().unwrap().is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            start.elapsed()
        }
    };

    // 2. The Instances page with 1,000 instances.
    let took = fill(1000).await;
    println!("# filled to 1,000 instances in {:.1} s", took.as_secs_f64());
    let (browser, _) = bench.portal_session().await;
    let mut times = Vec::new();
    for _ in 0..30 {
        let t0 = Instant::now();
        let r = browser
            .get(format!("{base}/project/instances"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        times.push(t0.elapsed());
        assert!(
            html.contains("data-status=\"ACTIVE\""),
            "the page lists instances"
        );
        assert!(
            html.contains("1,000") || html.contains("1000"),
            "the page counts them"
        );
    }
    println!(
        "instances page (20 rows of 1,000): median {:.1} ms, p95 {:.1} ms (30 renders)",
        ms(pct(&times, 0.5)),
        ms(pct(&times, 0.95))
    );

    // 3. 10,000 servers through the API, page by page.
    let took = fill(10_000).await;
    println!(
        "# filled to 10,000 instances in {:.1} s",
        took.as_secs_f64()
    );
    for (path, limit) in [
        ("/servers", 1000),
        ("/servers/detail", 1000),
        ("/servers/detail", 100),
    ] {
        let mut pages = Vec::new();
        let mut seen = 0;
        let walk = Instant::now();
        let mut next = format!("{path}?limit={limit}");
        loop {
            let t0 = Instant::now();
            let v: Value = nova(reqwest::Method::GET, &next)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            pages.push(t0.elapsed());
            seen += v["servers"].as_array().unwrap().len();
            match v["servers_links"][0]["href"].as_str() {
                Some(h) => next = h.split("/compute/v2.1").nth(1).unwrap().to_string(),
                None => break,
            }
        }
        assert!(seen >= 10_000, "walked {seen}");
        println!(
            "GET {path}?limit={limit}: {} pages, {seen} servers, page median {:.1} ms, p95 {:.1} ms, whole walk {:.2} s",
            pages.len(),
            ms(pct(&pages, 0.5)),
            ms(pct(&pages, 0.95)),
            walk.elapsed().as_secs_f64()
        );
    }
}

async fn compute_count<F>(nova: &F) -> usize
where
    F: Fn(reqwest::Method, &str) -> reqwest::RequestBuilder,
{
    let mut n = 0;
    let mut next = "/servers?limit=1000".to_string();
    loop {
        let v: Value = nova(reqwest::Method::GET, &next)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        n += v["servers"].as_array().unwrap().len();
        match v["servers_links"][0]["href"].as_str() {
            Some(h) => next = h.split("/compute/v2.1").nth(1).unwrap().to_string(),
            None => return n,
        }
    }
}
