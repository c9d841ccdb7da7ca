//! Test harness: one `Application` per test on an ephemeral port, and a Keystone client.
//!
//! Every request made through `TestApp` fails the test on a 5xx: no input, however bad,
//! may make the identity service answer with an internal error.

use std::sync::Arc;

use gureum::server::application::Application;
use gureum::server::config::Config;
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::OnceCell;

/// The admin password `Config::for_tests` bootstraps with.
pub const ADMIN_PASSWORD: &str = "admin-secret-pw";

pub struct TestApp {
    /// `http://127.0.0.1:{port}`.
    pub address: String,
    pub port: u16,
    pub client: Client,
    dir: Arc<TempDir>,
    /// The PostgreSQL database of this app; `None` for the data dir's SQLite file.
    database_url: Option<String>,
    server: tokio::task::JoinHandle<()>,
    admin_token: OnceCell<String>,
    /// The controller's services, for tests that reach past the API (failure injection).
    pub state: gureum::server::state::AppState,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts a controller on a fresh data directory (and, when `GUREUM_TEST_DATABASE_URL`
/// is set, on a fresh PostgreSQL database of that server).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with a changed configuration (short token lifetimes, say).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("a temporary data dir"));
    let database_url = match std::env::var("GUREUM_TEST_DATABASE_URL") {
        Ok(base) if !base.trim().is_empty() => Some(create_database(base.trim()).await),
        _ => None,
    };
    start(dir, database_url, configure).await
}

/// Starts a controller on an existing data directory and database (a restart).
pub async fn spawn_app_on(dir: Arc<TempDir>, database_url: Option<String>) -> TestApp {
    start(dir, database_url, |_| {}).await
}

async fn start(
    dir: Arc<TempDir>,
    database_url: Option<String>,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = Config::for_tests(dir.path().to_path_buf());
    if let Some(url) = &database_url {
        config.database_url = url.clone();
    }
    configure(&mut config);
    let application = Application::build(config)
        .await
        .expect("the application builds");
    let port = application.port();
    assert_ne!(port, 0, "the application listens on a port");
    let state = application.state().clone();
    let server = tokio::spawn(async move {
        if let Err(e) = application.run_until_stopped().await {
            eprintln!("test server stopped: {e:#}");
        }
    });
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("a reqwest client");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client,
        dir,
        database_url,
        server,
        admin_token: OnceCell::new(),
        state,
    }
}

impl TestApp {
    /// Moves an instance's launch (and creation) `seconds` into the past, so usage
    /// reports have hours to count. Tests only: the services never rewrite history.
    pub async fn backdate_instance(&self, id: &str, seconds: i64) {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.state.config.database_url)
            .await
            .expect("the test database");
        let done = sqlx::query(
            "UPDATE instances SET launched_at = launched_at - $2, created_at = created_at - $2 WHERE id = $1",
        )
        .bind(id)
        .bind(seconds)
        .execute(&mut conn)
        .await
        .unwrap();
        assert_eq!(done.rows_affected(), 1, "instance {id}");
    }
}

/// Creates `test_<uuid>` on the server of `base` and returns its URL.
async fn create_database(base: &str) -> String {
    use sqlx::{Connection, Executor};
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .unwrap_or_else(|e| panic!("connecting to GUREUM_TEST_DATABASE_URL: {e}"));
    conn.execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
        .await
        .unwrap_or_else(|e| panic!("creating the database {name}: {e}"));
    let _ = conn.close().await;
    with_database(base, &name)
}

/// `postgres://u@h:p/old?x` with the database replaced: `postgres://u@h:p/NAME?x`.
fn with_database(url: &str, name: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let authority_start = main.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_end = main[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(main.len());
    let mut out = format!("{}/{name}", &main[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The JSON body; `Null` when the body is empty.
    pub body: Value,
    pub text: String,
    what: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}: expected {status}, got {}: {}",
            self.what,
            self.status,
            self.text
        );
        self
    }

    /// Asserts a Keystone fault: the status and `{"error": {"code", "title", "message"}}`.
    #[track_caller]
    pub fn expect_error(self, status: u16) -> Reply {
        let r = self.expect(status);
        let e = &r.body["error"];
        assert_eq!(
            e["code"],
            json!(status),
            "{}: error body {}",
            r.what,
            r.text
        );
        assert!(
            e["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{}: error title in {}",
            r.what,
            r.text
        );
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}: error message in {}",
            r.what,
            r.text
        );
        r
    }

    /// The fault's message.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    /// `X-Subject-Token`, which must be present.
    #[track_caller]
    pub fn subject_token(&self) -> String {
        let t = self
            .header("x-subject-token")
            .unwrap_or_else(|| panic!("{}: no X-Subject-Token header", self.what));
        assert!(!t.is_empty(), "{}: empty X-Subject-Token", self.what);
        t.to_string()
    }
}

impl TestApp {
    /// A Keystone path (`/v3/projects`, or `` for `/identity`) as a URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}/identity{path}", self.address)
    }

    /// Sends a request; fails the test on any 5xx.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self.client.request(method.clone(), self.url(path));
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        self.finish(req, format!("{method} {path}")).await
    }

    /// Sends a request with extra headers and a raw body.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut req = self.client.request(method.clone(), self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        self.finish(req, format!("{method} {path}")).await
    }

    async fn finish(&self, req: reqwest::RequestBuilder, what: String) -> Reply {
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: request failed: {e}"));
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("a readable body");
        assert!(
            !status.is_server_error(),
            "{what}: server error {status}: {text}"
        );
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        };
        Reply {
            status,
            headers,
            body,
            text,
            what,
        }
    }

    // Shortcuts for the identity API, in the order every request helper takes its
    // arguments: (method,) path, token, body.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn head(&self, path: &str, token: &str) -> Reply {
        self.send(Method::HEAD, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(&body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, Some(token), Some(&body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str) -> Reply {
        self.send(Method::PUT, path, Some(token), None).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    /// `POST /v3/auth/tokens` with the given body, without a token.
    pub async fn authenticate(&self, body: Value) -> Reply {
        self.send(Method::POST, "/v3/auth/tokens", None, Some(&body))
            .await
    }

    /// A token validation: `method` /v3/auth/tokens with `X-Subject-Token: subject`.
    pub async fn check_token(&self, method: Method, token: &str, subject: &str) -> Reply {
        let req = self
            .client
            .request(method.clone(), self.url("/v3/auth/tokens"))
            .header("X-Auth-Token", token)
            .header("X-Subject-Token", subject);
        self.finish(req, format!("{method} /v3/auth/tokens")).await
    }

    /// A project-scoped token of a user of the default domain, by password.
    pub async fn token(&self, user: &str, password: &str, project: &str) -> String {
        self.authenticate(password_auth(user, password, Some(project_scope(project))))
            .await
            .expect(201)
            .subject_token()
    }

    /// The admin's token on the `admin` project (issued once per app).
    pub async fn admin_token(&self) -> String {
        self.admin_token
            .get_or_init(|| self.token("admin", ADMIN_PASSWORD, "admin"))
            .await
            .clone()
    }

    /// A new token for the bearer of `token`, by the `token` method (no password hashing).
    pub async fn rescope(&self, token: &str, scope: Option<Value>) -> Reply {
        let mut auth = json!({"identity": {"methods": ["token"], "token": {"id": token}}});
        if let Some(s) = scope {
            auth["scope"] = s;
        }
        self.authenticate(json!({ "auth": auth })).await
    }

    /// Stops this controller and starts another on the same data dir and database.
    /// A second controller on the same data directory and database, running beside this one.
    pub async fn second_controller(&self) -> TestApp {
        spawn_app_on(self.dir.clone(), self.database_url.clone()).await
    }

    /// A restart with the configuration changed the same way as at the first start.
    pub async fn restart_with(self, configure: impl FnOnce(&mut Config)) -> TestApp {
        let dir = self.dir.clone();
        let database_url = self.database_url.clone();
        drop(self);
        start(dir, database_url, configure).await
    }

    pub async fn restart(self) -> TestApp {
        let dir = self.dir.clone();
        let database_url = self.database_url.clone();
        drop(self);
        spawn_app_on(dir, database_url).await
    }

    // --- Fixtures, made with the admin token. ---

    /// Creates a project in the default domain; returns its id.
    pub async fn create_project(&self, name: &str) -> String {
        let admin = self.admin_token().await;
        self.post("/v3/projects", &admin, json!({"project": {"name": name}}))
            .await
            .expect(201)
            .body["project"]["id"]
            .as_str()
            .expect("a project id")
            .to_string()
    }

    /// Creates a user in the default domain (with a password when given); returns its id.
    pub async fn create_user(&self, name: &str, password: Option<&str>) -> String {
        let admin = self.admin_token().await;
        let mut user = json!({"name": name});
        if let Some(p) = password {
            user["password"] = json!(p);
        }
        self.post("/v3/users", &admin, json!({ "user": user }))
            .await
            .expect(201)
            .body["user"]["id"]
            .as_str()
            .expect("a user id")
            .to_string()
    }

    pub async fn create_role(&self, name: &str) -> String {
        let admin = self.admin_token().await;
        self.post("/v3/roles", &admin, json!({"role": {"name": name}}))
            .await
            .expect(201)
            .body["role"]["id"]
            .as_str()
            .expect("a role id")
            .to_string()
    }

    pub async fn create_group(&self, name: &str) -> String {
        let admin = self.admin_token().await;
        self.post("/v3/groups", &admin, json!({"group": {"name": name}}))
            .await
            .expect(201)
            .body["group"]["id"]
            .as_str()
            .expect("a group id")
            .to_string()
    }

    /// The id of the role with this name.
    pub async fn role_id(&self, name: &str) -> String {
        let admin = self.admin_token().await;
        let r = self
            .get(&format!("/v3/roles?name={name}"), &admin)
            .await
            .expect(200);
        let roles = r.body["roles"].as_array().expect("a role list");
        assert_eq!(roles.len(), 1, "one role named {name}: {}", r.text);
        roles[0]["id"].as_str().expect("a role id").to_string()
    }

    /// The id of the user with this name in the default domain.
    pub async fn user_id(&self, name: &str) -> String {
        let admin = self.admin_token().await;
        let r = self
            .get(&format!("/v3/users?name={name}"), &admin)
            .await
            .expect(200);
        let users = r.body["users"].as_array().expect("a user list");
        assert_eq!(users.len(), 1, "one user named {name}: {}", r.text);
        users[0]["id"].as_str().expect("a user id").to_string()
    }

    /// Grants a role (by name) to a user on a project.
    pub async fn grant(&self, project_id: &str, user_id: &str, role: &str) {
        let admin = self.admin_token().await;
        let role_id = self.role_id(role).await;
        self.put(
            &format!("/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"),
            &admin,
        )
        .await
        .expect(204);
    }

    /// A new user holding `role` on a new project, logged in there.
    pub async fn member(&self, user: &str, project: &str, role: &str) -> Member {
        let password = format!("{user}-password");
        let project_id = self.create_project(project).await;
        let user_id = self.create_user(user, Some(&password)).await;
        self.grant(&project_id, &user_id, role).await;
        let token = self.token(user, &password, project).await;
        Member {
            user_id,
            project_id,
            password,
            token,
        }
    }
}

pub struct Member {
    pub user_id: String,
    pub project_id: String,
    pub password: String,
    pub token: String,
}

/// A password authentication body for a user of the default domain.
pub fn password_auth(user: &str, password: &str, scope: Option<Value>) -> Value {
    let mut auth = json!({
        "identity": {
            "methods": ["password"],
            "password": {"user": {"name": user, "domain": {"id": "default"}, "password": password}},
        }
    });
    if let Some(s) = scope {
        auth["scope"] = s;
    }
    json!({ "auth": auth })
}

/// A scope to a project of the default domain, by name.
pub fn project_scope(name: &str) -> Value {
    json!({"project": {"name": name, "domain": {"id": "default"}}})
}

/// The sorted names of a list of `{"name": ...}` objects.
/// Whether to run a test that needs more of the host than a build does (root, QEMU,
/// network namespaces): yes when asked for with `GUREUM_HOST_TESTS=1`, as `scripts/test`
/// does, and then a missing piece fails the test; otherwise it is skipped with a message.
pub fn host_tests_wanted(needs: &str) -> bool {
    let wanted = std::env::var("GUREUM_HOST_TESTS").as_deref() == Ok("1");
    if !wanted {
        eprintln!("skipped: this test needs {needs}; scripts/test runs it (GUREUM_HOST_TESTS=1)");
    }
    wanted
}

/// The steps of a compute saga (`launch`, `delete`, `snapshot`, `attach_interface`), as
/// the service lists its failure points: a test that fails each in turn misses none.
pub fn saga_steps(saga: &str) -> Vec<String> {
    let prefix = format!("{saga}.");
    let steps: Vec<String> = gureum::server::services::compute::ComputeService::saga_points()
        .iter()
        .filter_map(|p| p.strip_prefix(&prefix).map(str::to_string))
        .collect();
    assert!(!steps.is_empty(), "no saga named {saga}");
    steps
}

pub fn names(list: &Value) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("a list, got {list}"))
        .iter()
        .map(|v| v["name"].as_str().expect("a name").to_string())
        .collect();
    out.sort();
    out
}

/// The ids of a list of `{"id": ...}` objects, in order.
pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list, got {list}"))
        .iter()
        .map(|v| v["id"].as_str().expect("an id").to_string())
        .collect()
}

/// Parses an OpenStack time (`2030-01-02T03:04:05.000000Z`).
pub fn parse_time(v: &Value) -> chrono::DateTime<chrono::Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("a time, got {v}"));
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s} is not an ISO 8601 time: {e}"))
        .with_timezone(&chrono::Utc)
}

#[test]
fn database_urls_are_rewritten() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5433/postgres", "test_x"),
        "postgres://postgres@127.0.0.1:5433/test_x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "t"),
        "postgres://u:p@h/t?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h:1", "t"), "postgres://h:1/t");
}

// --- Other services (Glance, Nova): any path under the controller, any body. ---

impl TestApp {
    /// Sends JSON (or nothing) to a service path such as `/image/v2/images`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Reply {
        self.call_with(method, path, token, &[], body).await
    }

    /// `call` with extra headers (a service's microversion header).
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.address))
            .header("X-Auth-Token", token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        self.finish(req, format!("{method} {path}")).await
    }

    /// Sends raw bytes with the given content type to a service path.
    pub async fn call_bytes(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let req = self
            .client
            .request(method.clone(), format!("{}{path}", self.address))
            .header("X-Auth-Token", token)
            .header("Content-Type", content_type)
            .body(body);
        self.finish(req, format!("{method} {path}")).await
    }

    /// The data directory of this controller.
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Reply {
    /// Asserts a Glance fault: the status and `{"code": "404 Not Found", "title", "message"}`.
    #[track_caller]
    pub fn expect_glance_error(self, status: u16) -> Reply {
        let r = self.expect(status);
        assert!(
            r.body["code"]
                .as_str()
                .is_some_and(|c| c.starts_with(&status.to_string())),
            "{}: Glance error code in {}",
            r.what,
            r.text
        );
        assert!(
            r.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}: Glance error message in {}",
            r.what,
            r.text
        );
        r
    }

    /// A Glance fault's message.
    pub fn glance_message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}
