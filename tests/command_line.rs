//! The `gureum` command line: bad flags and data dirs give a clear message and a non-zero
//! exit (never a panic); a first start bootstraps, prints the generated admin password once
//! and writes the credential files; `gureum status` reports the controller; a controller
//! killed (`kill -9`) in the middle of launches and deletes comes back consistent.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn gureum() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gureum"));
    // The fake data plane: these tests start controllers as root, and the real one would
    // make the physical network's bridge on this host.
    c.env_remove("GUREUM_ADMIN_PASSWORD")
        .env("RUST_LOG", "warn")
        .env("GUREUM_NETWORK_DRIVER", "fake");
    c
}

fn fails_with(args: &[&str], needle: &str) {
    let out = gureum().args(args).output().expect("run gureum");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        stderr.contains(needle),
        "{args:?}: stderr lacks {needle:?}:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
}

#[test]
fn bad_flags_are_refused_clearly() {
    fails_with(
        &["serve", "--listen", "not-an-address"],
        "invalid value 'not-an-address'",
    );
    fails_with(&["serve", "--token-ttl", "5"], "invalid value '5'");
    fails_with(&["serve", "--bogus"], "unexpected argument '--bogus'");
    fails_with(&["frobnicate"], "unrecognized subcommand");
    fails_with(
        &["serve", "--public-url", "ftp://example.org"],
        "--public-url must start with http",
    );
}

#[test]
fn unusable_data_dirs_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    fails_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            file.to_str().unwrap(),
        ],
        "is not a directory",
    );
    fails_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "/proc/gureum-cannot-be-here",
        ],
        "data directory",
    );
    fails_with(
        &["status", "--data-dir", dir.path().to_str().unwrap()],
        "no Gureum database",
    );
    fails_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            "mysql://x/y",
        ],
        "unsupported database url",
    );
}

/// Starts `gureum serve` and returns it with the lines it printed before "serving".
fn start(data_dir: &Path, password: Option<&str>) -> (Child, Vec<String>) {
    let mut cmd = gureum();
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    if let Some(p) = password {
        cmd.env("GUREUM_ADMIN_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("spawn gureum serve");
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Gureum is serving");
        lines.push(line);
        if done {
            break;
        }
    }
    (child, lines)
}

fn stop(mut child: Child) {
    // SIGTERM: a graceful shutdown exits 0.
    Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "gureum exited with {status}");
            return;
        }
        assert!(Instant::now() < deadline, "gureum did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn first_start_bootstraps_and_status_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (child, lines) = start(dir.path(), None);
    let generated: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("Generated the admin password"))
        .collect();
    assert_eq!(generated.len(), 1, "{lines:?}");
    let password = generated[0].rsplit(' ').next().unwrap().to_string();
    assert!(
        password.len() >= 16,
        "a strong generated password: {password}"
    );
    for f in ["admin-openrc.sh", "clouds.yaml"] {
        let meta = std::fs::metadata(dir.path().join(f)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{f}");
    }
    let openrc = std::fs::read_to_string(dir.path().join("admin-openrc.sh")).unwrap();
    assert!(openrc.contains(&format!("export OS_PASSWORD='{password}'")));

    let status = gureum()
        .args(["status", "--data-dir", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{report}");
    assert!(
        report.contains("keystone (identity):") && report.contains("active"),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("gureum-api") && l.contains(" up ")),
        "{report}"
    );
    stop(child);

    // A later start keeps everything and prints no password.
    let (child, lines) = start(dir.path(), Some("ignored-on-later-starts"));
    assert!(!lines.iter().any(|l| l.contains("password")), "{lines:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("admin-openrc.sh")).unwrap(),
        openrc
    );
    stop(child);
}

#[test]
fn a_config_file_sets_what_flags_do_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gureum.toml");
    std::fs::write(
        &config,
        format!(
            "# settings named as the flags\nlisten = \"not-an-address\"\ncompute_driver = \"fake\"\ndata_dir = \"{}\"\ntoken_ttl = 600\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    // The file's listen is overridden by the flag; its driver and data dir are used.
    let mut cmd = gureum();
    cmd.args([
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Gureum is serving");
        lines.push(line);
        if done {
            break;
        }
    }
    assert!(
        lines.iter().any(|l| l.starts_with("Compute driver: fake")),
        "{lines:?}"
    );
    assert!(
        dir.path().join("data").join("gureum.db").exists(),
        "the file's data_dir is used"
    );
    stop(child);

    // A setting the file cannot hold, or a bad value, is a clear error.
    std::fs::write(&config, "frobnicate = 1\n").unwrap();
    fails_with(
        &["serve", "--config", config.to_str().unwrap()],
        "unknown setting `frobnicate`",
    );
    std::fs::write(&config, "token_ttl = 5\n").unwrap();
    fails_with(
        &[
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        "invalid value '5'",
    );
    fails_with(
        &["serve", "--config", "/nonexistent/gureum.toml"],
        "reading the config file",
    );
}

// --- A controller killed mid-work ---------------------------------------------------------

/// Starts `gureum serve` with fake drivers and the admin password set, its log (which
/// it writes to stdout) appended to `log`; returns it with its URL.
fn start_logged(data_dir: &Path, log: &Path) -> (Child, String) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut copy = log.try_clone().unwrap();
    let mut child = gureum()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--compute-driver",
            "fake",
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .env("GUREUM_ADMIN_PASSWORD", "crash-test-admin-pw")
        .env("RUST_LOG", "warn,gureum=info")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("spawn gureum serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let _ = writeln!(copy, "{line}");
        if let Some(url) = line.strip_prefix("Gureum is serving the portal and the APIs at ") {
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    let _ = writeln!(copy, "{line}");
                }
            });
            return (child, url.trim_end_matches('/').to_string());
        }
    }
    panic!("gureum serve stopped before serving");
}

/// The controller of a test, killed if the test ends early (a failed assertion) so that
/// none outlives it.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// An admin's view of one controller, through its REST APIs.
struct Api {
    url: String,
    token: String,
    client: reqwest::Client,
}

impl Api {
    async fn connect(url: &str) -> Api {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let auth = serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"id": "default"}, "password": "crash-test-admin-pw"}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}});
        let r = client
            .post(format!("{url}/identity/v3/auth/tokens"))
            .json(&auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "admin login");
        let token = r.headers()["x-subject-token"].to_str().unwrap().to_string();
        Api {
            url: url.to_string(),
            token,
            client,
        }
    }

    /// Sends a request; `Err` when the controller did not answer (it was killed).
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, serde_json::Value), reqwest::Error> {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.url))
            .header("X-Auth-Token", &self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        let text = r.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or_default()))
    }

    /// A request the test needs to succeed with `status`.
    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        status: u16,
    ) -> serde_json::Value {
        let (got, body) = self.send(method.clone(), path, body).await.unwrap();
        assert_eq!(got, status, "{method} {path}: {body}");
        body
    }

    async fn servers(&self) -> Vec<serde_json::Value> {
        let body = self
            .expect(
                reqwest::Method::GET,
                "/compute/v2.1/servers/detail?all_tenants=1",
                None,
                200,
            )
            .await;
        body["servers"].as_array().unwrap().clone()
    }
}

/// Three clients launch instances on a network and delete them as fast as the API takes
/// them until `stop`; returns the ids whose delete was accepted.
async fn storm(api: &Api, image: &str, flavor: &str, network: &str) -> Vec<String> {
    let create = serde_json::json!({"server": {"name": "crash", "imageRef": image,
        "flavorRef": flavor, "networks": [{"uuid": network}]}});
    let mut clients = Vec::new();
    for _ in 0..3 {
        let create = create.clone();
        clients.push(async move {
            let mut mine: Vec<String> = Vec::new();
            let mut deleted = Vec::new();
            loop {
                match api
                    .send(
                        reqwest::Method::POST,
                        "/compute/v2.1/servers",
                        Some(create.clone()),
                    )
                    .await
                {
                    Ok((202, body)) => {
                        mine.push(body["server"]["id"].as_str().unwrap().to_string())
                    }
                    Ok((status, body)) => panic!("create: {status} {body}"),
                    Err(_) => return deleted,
                }
                if mine.len() > 2 {
                    let id = mine.remove(0);
                    match api
                        .send(
                            reqwest::Method::DELETE,
                            &format!("/compute/v2.1/servers/{id}"),
                            None,
                        )
                        .await
                    {
                        Ok((204, _)) => deleted.push(id),
                        Ok((status, body)) => panic!("delete {id}: {status} {body}"),
                        Err(_) => return deleted,
                    }
                }
            }
        });
    }
    futures_util::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// After a restart: every instance in a final state, deletes that were accepted done,
/// the quota's usage what exists, every instance port an instance's, and an interrupted
/// launch holding no port.
async fn check_consistent(api: &Api, project: &str, deleted: &[String]) {
    let servers = api.servers().await;
    let ids: Vec<&str> = servers.iter().map(|s| s["id"].as_str().unwrap()).collect();
    for s in &servers {
        let status = s["status"].as_str().unwrap();
        assert!(
            ["ACTIVE", "SHUTOFF", "ERROR"].contains(&status),
            "{} is {status} after the restart",
            s["id"]
        );
        assert!(s["OS-EXT-STS:task_state"].is_null(), "{s}");
    }
    for id in deleted {
        let back = servers.iter().find(|s| s["id"] == id.as_str());
        assert!(
            back.is_none(),
            "{id} was deleted (204) but is back: {back:?}"
        );
    }
    let quota = api
        .expect(
            reqwest::Method::GET,
            &format!("/compute/v2.1/os-quota-sets/{project}/detail"),
            None,
            200,
        )
        .await;
    assert_eq!(
        quota["quota_set"]["instances"]["in_use"],
        servers.len(),
        "{quota}"
    );
    assert_eq!(
        quota["quota_set"]["cores"]["in_use"],
        servers.len(),
        "{quota}"
    );
    assert_eq!(
        quota["quota_set"]["ram"]["in_use"],
        servers.len() * 64,
        "{quota}"
    );
    let ports = api
        .expect(
            reqwest::Method::GET,
            "/networking/v2.0/ports?device_owner=compute:nova",
            None,
            200,
        )
        .await;
    let ports = ports["ports"].as_array().unwrap();
    for p in ports {
        let owner = p["device_id"].as_str().unwrap();
        assert!(
            ids.contains(&owner),
            "port {} of a gone instance {owner}",
            p["id"]
        );
    }
    for s in &servers {
        let mine = ports.iter().filter(|p| p["device_id"] == s["id"]).count();
        let expected = usize::from(s["status"] != "ERROR");
        assert_eq!(mine, expected, "ports of {} ({})", s["id"], s["status"]);
    }
}

/// `kill -9` in the middle of launches and deletes, a few times over: each restart finds
/// every instance in a final state, quota usage equal to what exists, and no port or
/// address left without its instance; deleting everything then frees the network
/// entirely (its subnet can go, so no address is still allocated). Rounds repeat until a
/// launch or a delete was seen cut short, so the test never passes without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_killed_mid_launch_and_delete_comes_back_consistent() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("gureum.log");
    let (child, url) = start_logged(dir.path(), &log);
    let mut child = KillOnDrop(Some(child));
    let api = Api::connect(&url).await;
    let project = api
        .expect(Method::GET, "/identity/v3/auth/projects", None, 200)
        .await["projects"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.expect(
        Method::PUT,
        &format!("/compute/v2.1/os-quota-sets/{project}"),
        Some(serde_json::json!({"quota_set": {"instances": 1000, "cores": 1000, "ram": 1000000}})),
        200,
    )
    .await;
    let flavor = api
        .expect(
            Method::POST,
            "/compute/v2.1/flavors",
            Some(
                serde_json::json!({"flavor": {"name": "crash", "ram": 64, "vcpus": 1, "disk": 1}}),
            ),
            200,
        )
        .await["flavor"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let image = api
        .expect(
            Method::POST,
            "/image/v2/images",
            Some(serde_json::json!({"name": "crash", "disk_format": "raw", "container_format": "bare"})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api
        .client
        .put(format!("{url}/image/v2/images/{image}/file"))
        .header("X-Auth-Token", &api.token)
        .header("Content-Type", "application/octet-stream")
        .body(vec![0u8; 1 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "image upload");
    let network = api
        .expect(
            Method::POST,
            "/networking/v2.0/networks",
            Some(serde_json::json!({"network": {"name": "crash-net"}})),
            201,
        )
        .await["network"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let subnet = api
        .expect(
            Method::POST,
            "/networking/v2.0/subnets",
            Some(serde_json::json!({"subnet": {"network_id": network, "cidr": "10.9.0.0/22", "ip_version": 4}})),
            201,
        )
        .await["subnet"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut api = api;
    let mut round = 0;
    loop {
        // Launches and deletes in flight, then the controller killed without warning.
        let kill_after = Duration::from_millis(600 + 300 * round);
        let (deleted, ()) = tokio::join!(storm(&api, &image, &flavor, &network), async {
            tokio::time::sleep(kill_after).await;
            child.0.as_mut().unwrap().kill().unwrap();
        });
        child.0.as_mut().unwrap().wait().unwrap();
        round += 1;

        let (restarted, url) = start_logged(dir.path(), &log);
        child.0 = Some(restarted);
        api = Api::connect(&url).await;
        check_consistent(&api, &project, &deleted).await;

        // Everything that is left can be deleted, and then holds nothing.
        for s in api.servers().await {
            api.expect(
                Method::DELETE,
                &format!("/compute/v2.1/servers/{}", s["id"].as_str().unwrap()),
                None,
                204,
            )
            .await;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while !api.servers().await.is_empty() {
            assert!(Instant::now() < deadline, "the deletes did not finish");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        check_consistent(&api, &project, &[]).await;

        let text = std::fs::read_to_string(&log).unwrap();
        let cut_short = text
            .matches("a launch was interrupted by a restart")
            .count()
            + text
                .matches("finishing a delete a restart interrupted")
                .count();
        if cut_short > 0 && round >= 2 {
            break;
        }
        assert!(
            round < 6,
            "no launch or delete was in flight at any of {round} kills; the log ends:\n{}",
            text.lines().rev().take(40).collect::<Vec<_>>().join("\n")
        );
    }
    api.expect(
        Method::DELETE,
        &format!("/networking/v2.0/subnets/{subnet}"),
        None,
        204,
    )
    .await;
    api.expect(
        Method::DELETE,
        &format!("/networking/v2.0/networks/{network}"),
        None,
        204,
    )
    .await;
    stop(child.0.take().unwrap());
}
