//! Network figures for docs/benchmarks.md, with the fake hypervisor and data plane:
//! - `GET /networking/v2.0/ports` with 1,000 ports (whole list, and pages of 100);
//! - Project → Network Topology rendered (SSR) with 50 networks and 200 instances;
//! - computing the host's data-plane plan for that state (what every apply starts with).
//!
//! Run: `LEPTOS_OUTPUT_NAME=gureum cargo bench --features ssr --bench network`. It starts
//! its own controller on a temporary SQLite database on 127.0.0.1 and stops by itself.

use std::time::{Duration, Instant};

use harness::{ms, pct};
use serde_json::{json, Value};

mod harness;

#[tokio::main]
async fn main() {
    let bench = harness::start(harness::roomy_host).await;
    let base = &bench.base;
    let network = bench.state.network.clone();
    let call = |method: reqwest::Method, path: &str| bench.api(method, path);
    let post = |path: &'static str, body: Value| bench.post(path, body);
    let project = &bench.project;
    let quota = json!({"quota": {"port": 10000, "network": 200, "subnet": 200}});
    bench
        .put(&format!("/networking/v2.0/quotas/{project}"), quota)
        .await;
    let quota = json!({"quota_set": {"instances": 1000, "cores": 1000, "ram": 10_000_000}});
    bench
        .put(&format!("/compute/v2.1/os-quota-sets/{project}"), quota)
        .await;

    // 1. A network with 1,000 ports.
    let net = post(
        "/networking/v2.0/networks",
        json!({"network": {"name": "big"}}),
    )
    .await;
    let net_id = net["network"]["id"].as_str().unwrap().to_string();
    post(
        "/networking/v2.0/subnets",
        json!({"subnet": {"network_id": net_id, "cidr": "10.64.0.0/22", "ip_version": 4}}),
    )
    .await;
    let t0 = Instant::now();
    for chunk in 0..20 {
        let mut batch = Vec::new();
        for i in 0..50 {
            batch.push(post(
                "/networking/v2.0/ports",
                json!({"port": {"network_id": net_id, "name": format!("p{}", chunk * 50 + i)}}),
            ));
        }
        futures_util::future::join_all(batch).await;
    }
    println!(
        "# 1,000 ports created (50 at a time) in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let mut whole = Vec::new();
    for _ in 0..30 {
        let t0 = Instant::now();
        let body = call(reqwest::Method::GET, "/networking/v2.0/ports")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        whole.push(t0.elapsed());
        // The network's 1,000 ports and its DHCP port.
        assert_eq!(body["ports"].as_array().unwrap().len(), 1001);
    }
    println!(
        "GET /ports, all 1,001: median {:.1} ms, p95 {:.1} ms (30 lists)",
        ms(pct(&whole, 0.5)),
        ms(pct(&whole, 0.95))
    );
    let mut pages = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let path = match &marker {
            Some(m) => format!("/networking/v2.0/ports?limit=100&marker={m}"),
            None => "/networking/v2.0/ports?limit=100".to_string(),
        };
        let t0 = Instant::now();
        let body = call(reqwest::Method::GET, &path)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        pages.push(t0.elapsed());
        let list = body["ports"].as_array().unwrap();
        if list.len() < 100 {
            break;
        }
        marker = list
            .last()
            .and_then(|p| p["id"].as_str())
            .map(str::to_string);
    }
    println!(
        "GET /ports?limit=100, walking all: page median {:.1} ms, p95 {:.1} ms ({} pages)",
        ms(pct(&pages, 0.5)),
        ms(pct(&pages, 0.95)),
        pages.len()
    );

    // 2. 50 networks and 200 instances, 4 on each network.
    let flavor = bench.flavor().await;
    let image = bench.image().await;
    let t0 = Instant::now();
    for n in 0..50 {
        let net = post(
            "/networking/v2.0/networks",
            json!({"network": {"name": format!("net{n:02}")}}),
        )
        .await;
        let id = net["network"]["id"].as_str().unwrap().to_string();
        post(
            "/networking/v2.0/subnets",
            json!({"subnet": {"network_id": id, "cidr": format!("10.{}.0.0/24", n + 1), "ip_version": 4}}),
        )
        .await;
        post(
            "/compute/v2.1/servers",
            json!({"server": {"name": format!("vm{n:02}"), "imageRef": image, "flavorRef": flavor,
                   "networks": [{"uuid": id}], "min_count": 4, "max_count": 4}}),
        )
        .await;
    }
    loop {
        let body = call(
            reqwest::Method::GET,
            "/compute/v2.1/servers/detail?status=ACTIVE&limit=1000",
        )
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
        if body["servers"].as_array().unwrap().len() >= 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "# 50 networks with subnets and 200 instances on them, all ACTIVE, in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let (browser, _) = bench.portal_session().await;
    let mut times = Vec::new();
    for _ in 0..30 {
        let t0 = Instant::now();
        let r = browser
            .get(format!("{base}/project/network_topology"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        times.push(t0.elapsed());
        assert_eq!(
            html.matches("data-kind=\"instance\"").count(),
            200,
            "200 instances drawn"
        );
        assert!(
            html.matches("data-kind=\"network\"").count() >= 50,
            "50 networks drawn"
        );
    }
    println!(
        "network topology page (51 networks, 200 instances): median {:.1} ms, p95 {:.1} ms (30 renders)",
        ms(pct(&times, 0.5)),
        ms(pct(&times, 0.95))
    );

    // 3. The data plane's plan for this state.
    let mut plans = Vec::new();
    for _ in 0..30 {
        let t0 = Instant::now();
        let plan = network.plan().await.expect("plan");
        plans.push(t0.elapsed());
        assert_eq!(plan.taps.len(), 200, "one tap per instance");
        assert_eq!(plan.dhcp.len(), 51);
    }
    println!(
        "data-plane plan (51 networks with DHCP, 200 instance taps, 1,251 ports): median {:.1} ms, p95 {:.1} ms (30 plans)",
        ms(pct(&plans, 0.5)),
        ms(pct(&plans, 0.95))
    );
}
