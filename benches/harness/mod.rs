//! What every bench shares: a controller of its own on a temporary SQLite database on
//! 127.0.0.1 (stopped with the process), the admin's token, requests to its APIs, a signed-in
//! portal session, and the statistics the figures in docs/benchmarks.md are given in.

#![allow(dead_code)] // each bench uses part of it

use std::time::Duration;

use gureum::server::application::Application;
use gureum::server::config::Config;
use gureum::server::state::AppState;
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "admin-secret-pw";
/// The microversion the API requests ask for (the newest the controller speaks).
pub const COMPUTE_MV: &str = "compute 2.79";

pub struct Bench {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    pub client: reqwest::Client,
    /// The admin's token, scoped to the admin project.
    pub token: String,
    pub project: String,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

/// Starts a controller (fake hypervisor and data plane) with `configure` applied to the
/// test configuration, and signs the admin in.
pub async fn start(configure: impl FnOnce(&mut Config)) -> Bench {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_tests(dir.path().to_path_buf());
    configure(&mut config);
    let app = Application::build(config).await.expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/identity/v3/auth/tokens"))
        .json(&admin_auth())
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 201, "admin token");
    let token = r.headers()["x-subject-token"].to_str().unwrap().to_string();
    let project = r.json::<Value>().await.unwrap()["token"]["project"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    Bench {
        base,
        client,
        token,
        project,
        state,
        _dir: dir,
    }
}

/// A fake host with room for any number of instances.
pub fn roomy_host(config: &mut Config) {
    config.compute.fake_capacity.vcpus = 1 << 20;
    config.compute.fake_capacity.memory_mb = 1 << 40;
    config.compute.fake_capacity.local_gb = 1 << 30;
}

/// The admin's password authentication, scoped to the admin project.
pub fn admin_auth() -> Value {
    json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}})
}

impl Bench {
    /// A request to an API path (`/compute/v2.1/servers`) with the admin's token.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header("x-auth-token", &self.token)
            .header("openstack-api-version", COMPUTE_MV)
    }

    /// POSTs `body` to an API path and returns the answer, which must be a success.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .api(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// PUTs `body` to an API path (quotas and the like); it must succeed.
    pub async fn put(&self, path: &str, body: Value) {
        let r = self
            .api(reqwest::Method::PUT, path)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }

    /// A 1-vCPU, 64 MB flavor for fake instances; its id.
    pub async fn flavor(&self) -> String {
        let body = json!({"flavor": {"name": "b1", "vcpus": 1, "ram": 64, "disk": 1}});
        self.post("/compute/v2.1/flavors", body).await["flavor"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// An empty 16 MB qcow2 image, uploaded; its id.
    pub async fn image(&self) -> String {
        let qcow = self._dir.path().join("bench.qcow2");
        let made = std::process::Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2"])
            .arg(&qcow)
            .arg("16M")
            .status()
            .expect("qemu-img");
        assert!(made.success(), "qemu-img create");
        let body = json!({"name": "b", "disk_format": "qcow2", "container_format": "bare"});
        let image = self.post("/image/v2/images", body).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = self
            .api(
                reqwest::Method::PUT,
                &format!("/image/v2/images/{image}/file"),
            )
            .header("content-type", "application/octet-stream")
            .body(std::fs::read(&qcow).unwrap())
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), 204, "image upload");
        image
    }

    /// A browser's client signed in to the portal as the admin (its cookie jar holds the
    /// session), and the session cookie itself.
    pub async fn portal_session(&self) -> (reqwest::Client, String) {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let login = <gureum::server_fns::session::Login as leptos::server_fn::ServerFn>::PATH;
        let r = browser
            .post(format!("{}{login}", self.base))
            .header("origin", &self.base)
            .form(&[
                ("domain", ""),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
            ])
            .send()
            .await
            .expect("login");
        assert!(
            r.status().is_success() || r.status().is_redirection(),
            "login: {}",
            r.status()
        );
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("gureum_session="))
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_string();
        (browser, cookie)
    }
}

/// The `p` quantile (0.5 is the median) of some timings.
pub fn pct(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
