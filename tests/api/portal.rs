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

/// A login post carrying one extra header (an `Origin`, a `Sec-Fetch-Site`).
async fn login_with(
    client: &reqwest::Client,
    base: &str,
    password: &str,
    (name, value): (&str, &str),
) -> reqwest::Response {
    client
        .post(format!("{base}{}", Login::PATH))
        .header(name, value)
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
    for _ in 0..4 {
        login(&client, &app.address, "wrong-password").await;
    }
    let r = login(&client, &app.address, ADMIN_PASSWORD).await;
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
}
