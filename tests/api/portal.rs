//! The portal's server functions over HTTP: sessions kept in the database survive a
//! restart, cross-site posts are refused, and user errors are not 500s.

use leptos::server_fn::ServerFn;
use serde_json::Value;

use gureum::server_fns::identity::ListProjects;
use gureum::server_fns::session::{GetSession, Login};

use crate::helpers::spawn_app;

const ADMIN_PASSWORD: &str = "admin-secret-pw";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn login(client: &reqwest::Client, base: &str, password: &str) -> reqwest::Response {
    login_with(client, base, password, ("accept", "application/json")).await
}

async fn login_as(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{base}{}", Login::PATH))
        .header("accept", "application/json")
        .header("origin", base)
        .form(&[
            ("domain", ""),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// A login post carrying one extra header (an `Origin`, a `Sec-Fetch-Site`).
async fn login_with(
    client: &reqwest::Client,
    base: &str,
    password: &str,
    (name, value): (&str, &str),
) -> reqwest::Response {
    let mut req = client.post(format!("{base}{}", Login::PATH));
    if name != "origin" && name != "sec-fetch-site" {
        req = req.header("origin", base);
    }
    req.header(name, value)
        .form(&[
            ("domain", ""),
            ("username", "admin"),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

async fn session(client: &reqwest::Client, base: &str) -> Value {
    let r = client
        .post(format!("{base}{}", GetSession::PATH))
        .header("origin", base)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_portal_session_survives_a_restart() {
    let app = spawn_app().await;
    let client = browser();
    assert_eq!(
        session(&client, &app.address).await,
        Value::Null,
        "no session before login"
    );
    let r = login(&client, &app.address, ADMIN_PASSWORD).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "login: {}",
        r.status()
    );
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let info = session(&client, &app.address).await;
    assert_eq!(info["user_name"], "admin");
    assert_eq!(info["project_name"], "admin");
    assert_eq!(info["is_admin"], true);

    // Cookies are per host, not per port: the restarted app on a new port gets it too.
    let app = app.restart().await;
    let info = session(&client, &app.address).await;
    assert_eq!(
        info["user_name"], "admin",
        "the session survived the restart"
    );
}

#[tokio::test]
async fn wrong_passwords_and_locked_accounts_are_401_not_500() {
    let app = spawn_app().await;
    let client = browser();
    let r = login(&client, &app.address, "wrong-password").await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        Value::String("InvalidCredentials".into())
    );
    app.create_user("pia", Some("pia-password")).await;
    for _ in 0..5 {
        login_as(&client, &app.address, "pia", "wrong-password").await;
    }
    let r = login_as(&client, &app.address, "pia", "pia-password").await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        Value::String("AccountLocked".into())
    );
}

#[tokio::test]
async fn server_functions_need_a_session() {
    let app = spawn_app().await;
    let r = browser()
        .post(format!("{}{}", app.address, ListProjects::PATH))
        .json(&serde_json::json!({"query": {"filter": "", "sort": "", "desc": false, "page": 0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        Value::String("NotSignedIn".into())
    );
}

#[tokio::test]
async fn cross_site_posts_to_server_functions_are_refused() {
    let app = spawn_app().await;
    let client = browser();
    let evil = login_with(
        &client,
        &app.address,
        ADMIN_PASSWORD,
        ("origin", "http://evil.example"),
    )
    .await;
    assert_eq!(evil.status(), 403);
    let fetch = login_with(
        &client,
        &app.address,
        ADMIN_PASSWORD,
        ("sec-fetch-site", "cross-site"),
    )
    .await;
    assert_eq!(fetch.status(), 403);
    assert_eq!(
        session(&client, &app.address).await,
        Value::Null,
        "neither logged in"
    );
    let same_origin = login_with(
        &client,
        &app.address,
        ADMIN_PASSWORD,
        ("origin", app.address.as_str()),
    )
    .await;
    assert!(same_origin.status().is_success() || same_origin.status().is_redirection());
    assert_eq!(session(&client, &app.address).await["user_name"], "admin");
    // A page with an opaque origin (a sandboxed frame) is not this one either.
    let opaque = login_with(&client, &app.address, ADMIN_PASSWORD, ("origin", "null")).await;
    assert_eq!(opaque.status(), 403);
    // A request that carries the session cookie but does not say where it comes from
    // is refused; the same with the portal's origin goes through.
    let bare = client
        .post(format!("{}{}", app.address, GetSession::PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403);
    assert_eq!(session(&client, &app.address).await["user_name"], "admin");
}

/// Logs a user of the default domain in to the portal, scoped to its default project.
async fn login_user(client: &reqwest::Client, base: &str, user: &str, password: &str) {
    let r = client
        .post(format!("{base}{}", Login::PATH))
        .header("accept", "application/json")
        .header("origin", base)
        .form(&[("domain", ""), ("username", user), ("password", password)])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "login: {}",
        r.status()
    );
}

/// An instance of project alpha (fake hypervisor), ACTIVE.
async fn active_instance(app: &crate::helpers::TestApp, token: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.qcow2");
    assert!(std::process::Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&path)
        .arg("1M")
        .status()
        .unwrap()
        .success());
    let admin = app.admin_token().await;
    let flavor = app
        .call(
            reqwest::Method::POST,
            "/compute/v2.1/flavors",
            &admin,
            Some(&serde_json::json!({"flavor": {"name": "p1", "vcpus": 1, "ram": 64, "disk": 1}})),
        )
        .await
        .expect(200)
        .body["flavor"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let image = app
        .call(reqwest::Method::POST, "/image/v2/images", token, Some(&serde_json::json!({"name": "i", "disk_format": "qcow2", "container_format": "bare"})))
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.call_bytes(
        reqwest::Method::PUT,
        &format!("/image/v2/images/{image}/file"),
        token,
        "application/octet-stream",
        std::fs::read(&path).unwrap(),
    )
    .await
    .expect(204);
    let id = app
        .call(reqwest::Method::POST, "/compute/v2.1/servers", token, Some(&serde_json::json!({"server": {"name": "s", "imageRef": image, "flavorRef": flavor}})))
        .await
        .expect(202)
        .body["server"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..200 {
        let s = app
            .call(
                reqwest::Method::GET,
                &format!("/compute/v2.1/servers/{id}"),
                token,
                None,
            )
            .await
            .expect(200);
        if s.body["server"]["status"] == "ACTIVE" {
            return id;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the instance did not become ACTIVE");
}

#[tokio::test]
async fn the_console_and_the_upload_are_for_the_right_people_only() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let alice = app.member("alice", "alpha", "member").await;
    let _bob = app.member("bob", "beta", "member").await;
    let id = active_instance(&app, &alice.token).await;

    // No session: 401.
    let anonymous = browser();
    let r = anonymous
        .get(format!("{base}/portal/instances/{id}/console"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = anonymous
        .get(format!("{base}/portal/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Another project's member: the instance does not exist for it.
    let bob = browser();
    login_user(&bob, &base, "bob", "bob-password").await;
    let r = bob
        .get(format!("{base}/portal/instances/{id}/console"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Its own project's member gets past authorization; the fake hypervisor has no
    // graphical console, which is said plainly.
    let owner = browser();
    login_user(&owner, &base, "alice", "alice-password").await;
    let r = owner
        .get(format!("{base}/portal/instances/{id}/console"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("no graphical console"));
    // In the language the user chose (the portal keeps it in a cookie).
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str("gureum_lang=ko; Path=/", &base.parse().unwrap());
    let korean = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    login_user(&korean, &base, "alice", "alice-password").await;
    let r = korean
        .get(format!("{base}/portal/instances/{id}/console"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let text = r.text().await.unwrap();
    assert!(text.contains("그래픽 콘솔이 없습니다"), "{text}");

    // A websocket opened from another site is refused before anything else.
    let r = owner
        .get(format!("{base}/portal/instances/{id}/vnc"))
        .header("origin", "http://evil.example")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Uploads: a cross-site PUT is refused; without a session it is a 401.
    let r = owner
        .put(format!("{base}/portal/images/{id}/file"))
        .header("origin", "http://evil.example")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = anonymous
        .put(format!("{base}/portal/images/{id}/file"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn instance_changes_are_pushed_to_the_portal() {
    use futures_util::StreamExt;
    let app = spawn_app().await;
    let base = app.address.clone();
    let alice = app.member("alice", "alpha", "member").await;
    let id = active_instance(&app, &alice.token).await;
    let owner = browser();
    login_user(&owner, &base, "alice", "alice-password").await;
    let r = owner
        .get(format!("{base}/portal/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut stream = r.bytes_stream();
    // A change to the instance arrives as an event naming it.
    app.call(
        reqwest::Method::POST,
        &format!("/compute/v2.1/servers/{id}/action"),
        &alice.token,
        Some(&serde_json::json!({"os-stop": null})),
    )
    .await
    .expect(202);
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains(&format!("data: {id}")) {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("an event within 10 s")
            .expect("the stream stays open")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: instance"), "{seen}");
}

#[tokio::test]
async fn the_usage_summary_downloads_as_csv() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let alice = app.member("alice", "alpha", "member").await;
    let _bob = app.member("bob", "beta", "member").await;
    let id = active_instance(&app, &alice.token).await;
    app.backdate_instance(&id, 2 * 3600).await;
    let today = chrono::Utc::now().date_naive();
    let period = format!("start={}&end={today}", today - chrono::Duration::days(1));

    let anonymous = browser();
    let r = anonymous
        .get(format!("{base}/project/overview/usage.csv?{period}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let owner = browser();
    login_user(&owner, &base, "alice", "alice-password").await;
    let r = owner
        .get(format!("{base}/project/overview/usage.csv?{period}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let text = r.text().await.unwrap();
    assert!(text.contains("Active Instances:,1"), "{text}");
    assert!(text.contains("CPU-HRs Used:,2.0"), "{text}");
    let row = text
        .lines()
        .find(|l| l.starts_with("s,"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.starts_with("s,1,64,1,2.0"), "{row}");

    // Another project's member has no usage of alice's instance.
    let bob = browser();
    login_user(&bob, &base, "bob", "bob-password").await;
    let text = bob
        .get(format!("{base}/project/overview/usage.csv?{period}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("Active Instances:,0"), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("s,")), "{text}");
    // Every project's report is for administrators.
    let r = bob
        .get(format!("{base}/admin/overview/usage.csv?{period}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Bad periods are a 400 with the reason.
    for bad in ["start=11/01/2026", "start=2026-11-02&end=2026-11-01"] {
        let r = owner
            .get(format!("{base}/project/overview/usage.csv?{bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }

    // The administrator's report has alpha's line.
    let admin = browser();
    login_user(&admin, &base, "admin", ADMIN_PASSWORD).await;
    let text = admin
        .get(format!("{base}/admin/overview/usage.csv?{period}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("alpha,1,64,1,2.0")),
        "{text}"
    );
}

/// Reads an event stream until `until` shows up (10 s at most); returns all it read.
async fn read_until(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    until: &str,
) -> String {
    use futures_util::StreamExt;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains(until) {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("{until:?} within 10 s; read {seen:?}"))
            .expect("the stream stays open")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

#[tokio::test]
async fn network_changes_are_pushed_to_their_project_only() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let alice = app.member("alice", "alpha", "member").await;
    let bob = app.member("bob", "beta", "member").await;
    let admin = app.admin_token().await;
    let owner = browser();
    login_user(&owner, &base, "alice", "alice-password").await;
    let r = owner
        .get(format!("{base}/portal/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut stream = r.bytes_stream();
    let neutron = |token: String, path: &'static str, body: serde_json::Value| {
        let app = &app;
        async move {
            app.call(
                reqwest::Method::POST,
                &format!("/networking/v2.0{path}"),
                &token,
                Some(&body),
            )
            .await
            .expect(201)
            .body
        }
    };
    // Bob's network is not Alice's business; her own router is.
    neutron(
        bob.token.clone(),
        "/networks",
        serde_json::json!({"network": {"name": "bobs"}}),
    )
    .await;
    neutron(
        alice.token.clone(),
        "/routers",
        serde_json::json!({"router": {"name": "r1"}}),
    )
    .await;
    let seen = read_until(&mut stream, &format!("data: {}", alice.project_id)).await;
    assert!(seen.contains("event: network"), "{seen}");
    assert!(!seen.contains(&bob.project_id), "{seen}");
    // A network every project sees (external) reaches everyone.
    neutron(
        admin,
        "/networks",
        serde_json::json!({"network": {"name": "public", "router:external": true}}),
    )
    .await;
    let seen = read_until(&mut stream, "data: *").await;
    assert!(seen.contains("event: network"), "{seen}");
}

/// Pages say what they may load and that no cache keeps them.
#[tokio::test]
async fn pages_carry_a_content_security_policy_and_are_not_cached() {
    let app = spawn_app().await;
    let r = browser()
        .get(format!("{}/auth/login", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert_eq!(header("cache-control"), "no-store");
}
