//! The server's own limits: a client that never finishes its headers is cut off, and
//! slow clients filling every connection slot only delay others until they are; every
//! count, size and list in a request body is capped before the work it would cost, so
//! the extremes are refused at once while other projects go on being served.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn slow_clients_are_cut_off_and_cannot_hold_the_server() {
    let app = spawn_app_with(|c| {
        c.limits.header_timeout = Duration::from_secs(1);
        c.limits.max_connections = 20;
    })
    .await;
    let addr = app.address.trim_start_matches("http://").to_string();
    // Every slot taken by a client that sends half a request and then nothing.
    let slow: Vec<std::net::TcpStream> = (0..20)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /identity/v3 HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    // A real request still gets its answer, once the deadline has freed the slots.
    let started = Instant::now();
    let r = app
        .client
        .get(format!("{}/identity/v3", app.address))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .expect("served after the slow clients were cut off");
    assert_eq!(r.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // And the slow ones were closed by the server (the deadline is a second; the wait is
    // long because the whole suite shares two cores). The reads block, so they run on a
    // thread of their own: the server shares this test's runtime, and a blocked runtime
    // could not close the one connection that waited in the backlog for a free slot.
    let results = tokio::task::spawn_blocking(move || {
        slow.into_iter()
            .map(|mut s| {
                s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                let mut buf = Vec::new();
                s.read_to_end(&mut buf).map(|_| buf.len())
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for result in results {
        // Closed is an end of stream or any error but the read's own timeout (a reset,
        // an abort: how the close arrives depends on what was left unread).
        let open = matches!(
            &result,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
        );
        assert!(
            !open,
            "a half-sent request's connection stays open: {result:?}"
        );
    }
}

/// Requests at the extreme of every count, size and list field a body has (as big as the
/// body limit lets them be), each answered with its service's refusal within a second,
/// four clients sending them over and over, while a member of another project lists and
/// launches servers, each request of which is answered within a second too.
#[tokio::test]
async fn extremes_are_refused_at_once_and_others_keep_being_served() {
    let w = crate::compute::world().await;
    let app = &w.app;
    let token = &w.user.token;
    let net = app
        .neutron(
            Method::POST,
            "/networks",
            token,
            Some(&json!({"network": {"name": "n"}})),
        )
        .await
        .expect(201)
        .body["network"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.neutron(
        Method::POST,
        "/subnets",
        token,
        Some(&json!({"subnet": {"network_id": net, "cidr": "10.0.0.0/16", "ip_version": 4}})),
    )
    .await
    .expect(201);
    let router = app
        .neutron(
            Method::POST,
            "/routers",
            token,
            Some(&json!({"router": {"name": "r"}})),
        )
        .await
        .expect(201)
        .body["router"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let server = w.boot("target").await;

    let many =
        |n: usize, item: &dyn Fn(usize) -> Value| -> Vec<Value> { (0..n).map(item).collect() };
    let addr = |i: usize| format!("10.0.{}.{}", i / 250 % 250, i % 250 + 1);
    let server_body = |extra: Value| {
        let mut s =
            json!({"name": "x", "imageRef": w.image, "flavorRef": w.flavor, "networks": []});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        json!({"server": s})
    };
    let metadata: serde_json::Map<String, Value> =
        (0..20_000).map(|i| (format!("k{i}"), json!("v"))).collect();
    // (what, method, path, body, the status it gets)
    let extremes: Vec<(&str, Method, String, Value, u16)> = vec![
        (
            "max_count",
            Method::POST,
            "/compute/v2.1/servers".into(),
            server_body(json!({"min_count": 1, "max_count": 1_000_000_000})),
            400,
        ),
        (
            "networks",
            Method::POST,
            "/compute/v2.1/servers".into(),
            server_body(json!({"networks": many(20_000, &|_| json!({"uuid": net}))})),
            400,
        ),
        (
            "server metadata",
            Method::POST,
            "/compute/v2.1/servers".into(),
            server_body(json!({"metadata": metadata})),
            403,
        ),
        (
            "user_data",
            Method::POST,
            "/compute/v2.1/servers".into(),
            server_body(json!({"user_data": "QUFB".repeat(200_000)})),
            400,
        ),
        (
            "metadata of a server",
            Method::PUT,
            format!("/compute/v2.1/servers/{server}/metadata"),
            json!({"metadata": metadata}),
            403,
        ),
        (
            "fixed_ips",
            Method::POST,
            "/networking/v2.0/ports".into(),
            json!({"port": {"network_id": net, "fixed_ips": many(20_000, &|i| json!({"ip_address": addr(i)}))}}),
            400,
        ),
        (
            "allowed_address_pairs",
            Method::POST,
            "/networking/v2.0/ports".into(),
            json!({"port": {"network_id": net, "allowed_address_pairs": many(20_000, &|i| json!({"ip_address": addr(i)}))}}),
            400,
        ),
        (
            "dns_nameservers",
            Method::POST,
            "/networking/v2.0/subnets".into(),
            json!({"subnet": {"network_id": net, "cidr": "10.1.0.0/16", "ip_version": 4,
                "dns_nameservers": many(20_000, &|i| json!(addr(i)))}}),
            400,
        ),
        (
            "host_routes",
            Method::POST,
            "/networking/v2.0/subnets".into(),
            json!({"subnet": {"network_id": net, "cidr": "10.1.0.0/16", "ip_version": 4,
                "host_routes": many(20_000, &|i| json!({"destination": format!("10.{}.{}.0/24", i / 250 + 100, i % 250), "nexthop": "10.1.0.9"}))}}),
            400,
        ),
        // Single-address pools all apart, and the last one over the first.
        (
            "allocation_pools",
            Method::POST,
            "/networking/v2.0/subnets".into(),
            json!({"subnet": {"network_id": net, "cidr": "10.1.0.0/16", "ip_version": 4,
            "allocation_pools": many(20_000, &|i| {
                let a = format!("10.1.{}.{}", i / 250 % 250 + 1, i % 250 + 2);
                if i == 19_999 { json!({"start": "10.1.1.1", "end": "10.1.1.9"}) } else { json!({"start": a, "end": a}) }
            })}}),
            409,
        ),
        (
            "router routes",
            Method::PUT,
            format!("/networking/v2.0/routers/{router}"),
            json!({"router": {"routes": many(20_000, &|i| json!({"destination": format!("10.{}.{}.0/24", i / 250 + 100, i % 250), "nexthop": "10.0.0.9"}))}}),
            400,
        ),
        (
            "image properties",
            Method::POST,
            "/image/v2/images".into(),
            Value::Object((0..20_000).map(|i| (format!("p{i}"), json!("v"))).collect()),
            413,
        ),
        (
            "image tags",
            Method::POST,
            "/image/v2/images".into(),
            json!({"name": "t", "tags": many(100_000, &|i| json!(format!("t{i}")))}),
            413,
        ),
    ];

    // Each alone: the refusal named, within a second.
    for (what, method, path, body, status) in &extremes {
        let started = Instant::now();
        let r = app.call(method.clone(), path, token, Some(body)).await;
        let took = started.elapsed();
        assert_eq!(r.status.as_u16(), *status, "{what}: {}", r.text);
        assert!(took < Duration::from_secs(1), "{what} took {took:?}");
    }

    // All of them over and over from four clients, while another project is served.
    let other = app.member("bob", "beta", "member").await;
    let other_image = crate::compute::upload_image(app, &other.token, "b", json!({})).await;
    let done = std::sync::atomic::AtomicBool::new(false);
    let flood = async {
        let clients = (0..4).map(|_| async {
            let mut sent = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                for (what, method, path, body, status) in &extremes {
                    let r = app.call(method.clone(), path, token, Some(body)).await;
                    assert_eq!(r.status.as_u16(), *status, "{what} under load");
                    sent += 1;
                }
            }
            sent
        });
        futures_util::future::join_all(clients)
            .await
            .into_iter()
            .sum::<usize>()
    };
    let served = async {
        let mut slowest = Duration::ZERO;
        for i in 0..20 {
            let started = Instant::now();
            if i % 5 == 4 {
                let body = json!({"server": {"name": format!("b{i}"), "imageRef": other_image,
                    "flavorRef": w.flavor, "networks": []}});
                app.call(
                    Method::POST,
                    "/compute/v2.1/servers",
                    &other.token,
                    Some(&body),
                )
                .await
                .expect(202);
            } else {
                app.call(
                    Method::GET,
                    "/compute/v2.1/servers/detail",
                    &other.token,
                    None,
                )
                .await
                .expect(200);
            }
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        slowest
    };
    let (sent, slowest) = tokio::join!(flood, served);
    println!("{sent} extreme requests; the other project's slowest answer: {slowest:?}");
    assert!(sent >= 4 * extremes.len(), "the flood sent {sent}");
    assert!(
        slowest < Duration::from_secs(1),
        "another project waited {slowest:?} beside {sent} extreme requests"
    );
}
