//! The server's own limits: a client that never finishes its headers is cut off, and
//! slow clients filling every connection slot only delay others until they are.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

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
    // And the slow ones were closed by the server.
    for mut s in slow {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = Vec::new();
        let closed = match s.read_to_end(&mut buf) {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(closed, "a half-sent request's connection stays open");
    }
}
