//! The compute service (Nova v2.1) over HTTP with the fake hypervisor: the launch
//! walkthrough, microversions, quotas, the scheduler, sagas that fail at every step,
//! actions and their states, isolation, paging, and Nova's faults.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{saga_steps, spawn_app, spawn_app_with, Member, Reply, TestApp};

const MV: &str = "compute 2.79";

impl TestApp {
    /// A Nova call at the given microversion (`None`: no header, which is 2.1).
    pub(crate) async fn nova_at(
        &self,
        mv: Option<&str>,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Reply {
        let headers: Vec<(&str, &str)> = mv
            .map(|mv| ("OpenStack-API-Version", mv))
            .into_iter()
            .collect();
        self.call_with(
            method,
            &format!("/compute/v2.1{path}"),
            token,
            &headers,
            body,
        )
        .await
    }

    pub(crate) async fn nova(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Reply {
        self.nova_at(Some(MV), method, path, token, body).await
    }
}

impl Reply {
    /// Asserts a Nova fault: `{"<kind>": {"code", "message"}}`.
    #[track_caller]
    pub(crate) fn expect_nova(self, status: u16, kind: &str) -> Reply {
        let r = self.expect(status);
        assert_eq!(
            r.body[kind]["code"],
            json!(status),
            "fault {kind} in {}",
            r.text
        );
        assert!(
            r.body[kind]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            r.text
        );
        r
    }

    pub(crate) fn nova_message(&self) -> String {
        self.body
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v["message"].as_str())
            .unwrap_or_default()
            .to_string()
    }
}

/// A cloud with a flavor, an image and a member of project `alpha` with a key pair.
pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) admin: String,
    pub(crate) user: Member,
    pub(crate) flavor: String,
    pub(crate) image: String,
}

pub(crate) async fn upload_image(app: &TestApp, token: &str, name: &str, extra: Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.qcow2");
    let out = std::process::Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&path)
        .arg("16M")
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut body = json!({"name": name, "disk_format": "qcow2", "container_format": "bare"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let image = app
        .call(Method::POST, "/image/v2/images", token, Some(&body))
        .await
        .expect(201)
        .body;
    let id = image["id"].as_str().unwrap().to_string();
    app.call_bytes(
        Method::PUT,
        &format!("/image/v2/images/{id}/file"),
        token,
        "application/octet-stream",
        std::fs::read(&path).unwrap(),
    )
    .await
    .expect(204);
    id
}

async fn world_with(configure: impl FnOnce(&mut gureum::server::config::Config)) -> World {
    let app = spawn_app_with(configure).await;
    let admin = app.admin_token().await;
    let user = app.member("alice", "alpha", "member").await;
    let flavor = app
        .nova(
            Method::POST,
            "/flavors",
            &admin,
            Some(&json!({"flavor": {"name": "m1.small", "vcpus": 2, "ram": 512, "disk": 1}})),
        )
        .await
        .expect(200)
        .body["flavor"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let image = upload_image(&app, &user.token, "cirros", json!({"min_ram": 64})).await;
    World {
        app,
        admin,
        user,
        flavor,
        image,
    }
}

pub(crate) async fn world() -> World {
    world_with(|_| {}).await
}

impl World {
    pub(crate) async fn boot(&self, name: &str) -> String {
        self.boot_as(&self.user.token, name).await
    }

    pub(crate) async fn boot_as(&self, token: &str, name: &str) -> String {
        let r = self
            .app
            .nova(Method::POST, "/servers", token, Some(&json!({"server": {"name": name, "imageRef": self.image, "flavorRef": self.flavor, "networks": "none"}})))
            .await
            .expect(202);
        r.body["server"]["id"].as_str().unwrap().to_string()
    }

    pub(crate) async fn server(&self, id: &str) -> Value {
        self.app
            .nova(Method::GET, &format!("/servers/{id}"), &self.admin, None)
            .await
            .expect(200)
            .body["server"]
            .clone()
    }

    /// Waits for a status (and no task); returns the server.
    pub(crate) async fn wait(&self, id: &str, status: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..200 {
            last = self.server(id).await;
            if last["status"] == status && last["OS-EXT-STS:task_state"].is_null() {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("server {id} did not reach {status}: {last}");
    }

    pub(crate) async fn wait_gone(&self, id: &str) {
        for _ in 0..200 {
            let r = self
                .app
                .nova(Method::GET, &format!("/servers/{id}"), &self.admin, None)
                .await;
            if r.status == 404 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("server {id} was not deleted");
    }

    pub(crate) async fn act(&self, id: &str, action: Value) -> Reply {
        self.app
            .nova(
                Method::POST,
                &format!("/servers/{id}/action"),
                &self.user.token,
                Some(&action),
            )
            .await
    }

    pub(crate) async fn leftovers(&self, id: &str) -> Vec<String> {
        self.app.state.compute.host_leftovers(id).await
    }

    pub(crate) async fn in_use(&self, resource: &str) -> i64 {
        let q = self
            .app
            .nova(
                Method::GET,
                &format!("/os-quota-sets/{}/detail", self.user.project_id),
                &self.user.token,
                None,
            )
            .await
            .expect(200);
        q.body["quota_set"][resource]["in_use"].as_i64().unwrap()
    }
}

#[tokio::test]
async fn version_discovery_and_microversions() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/compute/v2.1", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["version"]["min_version"], "2.1");
    assert_eq!(v["version"]["version"], "2.79");
    assert!(v["version"]["links"][0]["href"]
        .as_str()
        .unwrap()
        .ends_with("/compute/v2.1/"));

    let admin = app.admin_token().await;
    let r = app
        .nova_at(Some("compute 2.60"), Method::GET, "/flavors", &admin, None)
        .await
        .expect(200);
    assert_eq!(r.header("openstack-api-version"), Some("compute 2.60"));
    assert_eq!(r.header("x-openstack-nova-api-version"), Some("2.60"));
    assert_eq!(
        r.header("x-compute-request-id"),
        r.header("x-openstack-request-id"),
        "Nova's name for the request id"
    );
    assert!(r.header("x-compute-request-id").is_some());
    // The root lists v2.0 first; v2.0 is the same calls at 2.1 whatever is asked.
    let root: Value = app
        .client
        .get(format!("{}/compute/", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root["versions"][0]["id"], "v2.0");
    assert_eq!(root["versions"][1]["id"], "v2.1");
    let v20 = app
        .client
        .get(format!("{}/compute/v2/limits", app.address))
        .header("X-Auth-Token", &admin)
        .header("OpenStack-API-Version", "compute 2.60")
        .send()
        .await
        .unwrap();
    assert_eq!(v20.status(), 200);
    let limits: Value = v20.json().await.unwrap();
    assert!(
        limits["limits"]["absolute"].get("maxImageMeta").is_some(),
        "v2.0 answers as 2.1 (2.39 dropped maxImageMeta): {limits}"
    );
    let r = app
        .nova_at(None, Method::GET, "/flavors", &admin, None)
        .await
        .expect(200);
    assert_eq!(r.header("openstack-api-version"), Some("compute 2.1"));
    let r = app
        .nova_at(
            Some("compute latest"),
            Method::GET,
            "/flavors",
            &admin,
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.header("openstack-api-version"), Some("compute 2.79"));
    app.nova_at(Some("compute 2.200"), Method::GET, "/flavors", &admin, None)
        .await
        .expect(406);
    app.nova_at(Some("compute two"), Method::GET, "/flavors", &admin, None)
        .await
        .expect_nova(400, "badRequest");
    // No token: Keystone's 401.
    let r = app
        .client
        .get(format!("{}/compute/v2.1/servers", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The catalog offers compute.
    let catalog = app.get("/v3/auth/catalog", &admin).await.expect(200);
    assert!(catalog.body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["type"] == "compute"));
}

#[tokio::test]
async fn launch_console_stop_start_snapshot_relaunch_delete() {
    let w = world().await;
    let (app, token) = (&w.app, w.user.token.as_str());
    // A generated key pair: the private key comes back once.
    let kp = app
        .nova(
            Method::POST,
            "/os-keypairs",
            token,
            Some(&json!({"keypair": {"name": "k1"}})),
        )
        .await
        .expect(201)
        .body;
    assert!(kp["keypair"]["private_key"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    assert_eq!(
        kp["keypair"]["fingerprint"]
            .as_str()
            .unwrap()
            .split(':')
            .count(),
        16
    );
    let listed = app
        .nova(Method::GET, "/os-keypairs", token, None)
        .await
        .expect(200)
        .body;
    assert!(listed["keypairs"][0]["keypair"]
        .get("private_key")
        .is_none());

    let r = app
        .nova(
            Method::POST,
            "/servers",
            token,
            Some(&json!({"server": {
                "name": "web 1", "imageRef": w.image, "flavorRef": w.flavor, "key_name": "k1",
                "networks": "none", "metadata": {"role": "web"},
                "user_data": "IyEvYmluL3NoCmVjaG8gaGk=",
            }})),
        )
        .await
        .expect(202);
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    assert!(r.header("location").unwrap().ends_with(&id));
    let s = w.wait(&id, "ACTIVE").await;
    assert_eq!(s["OS-EXT-STS:vm_state"], "active");
    assert_eq!(s["OS-EXT-STS:power_state"], 1);
    assert_eq!(s["key_name"], "k1");
    assert_eq!(s["metadata"]["role"], "web");
    assert_eq!(
        s["flavor"]["original_name"], "m1.small",
        "2.47+: the flavor is embedded"
    );
    assert_eq!(s["OS-EXT-SRV-ATTR:hostname"], "web-1");
    assert!(!s["OS-SRV-USG:launched_at"].is_null());
    assert!(w.leftovers(&id).await.contains(&"vm".to_string()));

    let out = w
        .act(&id, json!({"os-getConsoleOutput": {"length": 50}}))
        .await
        .expect(200)
        .body;
    assert!(
        out["output"].as_str().unwrap().contains("web-1 login:"),
        "{out}"
    );

    w.act(&id, json!({"os-stop": null})).await.expect(202);
    let s = w.wait(&id, "SHUTOFF").await;
    assert_eq!(s["OS-EXT-STS:power_state"], 4);
    // Stopping twice is a state conflict.
    w.act(&id, json!({"os-stop": null}))
        .await
        .expect_nova(409, "conflictingRequest");
    w.act(&id, json!({"os-start": null})).await.expect(202);
    w.wait(&id, "ACTIVE").await;

    // A snapshot becomes an image of the project, and a second server boots from it.
    let r = w
        .act(
            &id,
            json!({"createImage": {"name": "snap", "metadata": {"purpose": "test"}}}),
        )
        .await
        .expect(202);
    let snap = r.body["image_id"].as_str().unwrap().to_string();
    assert!(r.header("location").unwrap().ends_with(&snap));
    let mut image = Value::Null;
    for _ in 0..200 {
        image = app
            .call(
                Method::GET,
                &format!("/image/v2/images/{snap}"),
                token,
                None,
            )
            .await
            .expect(200)
            .body;
        if image["status"] == "active" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(image["status"], "active");
    assert_eq!(image["image_type"], "snapshot");
    assert_eq!(image["instance_uuid"], id.as_str());
    assert_eq!(image["purpose"], "test");
    assert_eq!(image["visibility"], "private");
    w.wait(&id, "ACTIVE").await;
    let r = app
        .nova(Method::POST, "/servers", token, Some(&json!({"server": {"name": "from-snap", "imageRef": snap, "flavorRef": w.flavor, "networks": "none"}})))
        .await
        .expect(202);
    let id2 = r.body["server"]["id"].as_str().unwrap().to_string();
    w.wait(&id2, "ACTIVE").await;

    // The action log.
    let actions = app
        .nova(
            Method::GET,
            &format!("/servers/{id}/os-instance-actions"),
            token,
            None,
        )
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = actions["instanceActions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for a in ["create", "stop", "start", "createImage"] {
        assert!(names.contains(&a), "{names:?}");
    }
    let request_id = actions["instanceActions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "create")
        .unwrap()["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let one = app
        .nova(
            Method::GET,
            &format!("/servers/{id}/os-instance-actions/{request_id}"),
            token,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(one["instanceAction"]["events"][0]["result"], "Success");

    for s in [&id, &id2] {
        app.nova(Method::DELETE, &format!("/servers/{s}"), token, None)
            .await
            .expect(204);
    }
    for s in [&id, &id2] {
        w.wait_gone(s).await;
        assert!(
            w.leftovers(s).await.is_empty(),
            "nothing left of {s} on the host"
        );
    }
    assert_eq!(w.in_use("instances").await, 0);
    assert_eq!(w.in_use("cores").await, 0);
}

#[tokio::test]
async fn a_launch_that_fails_at_any_step_leaves_nothing_behind() {
    let w = world().await;
    let compute = &w.app.state.compute;
    for step in saga_steps("launch") {
        let step = step.as_str();
        compute.clear_failures();
        compute.inject_failure(&format!("launch.{step}"));
        let id = w.boot(&format!("fail-{step}")).await;
        let s = w.wait(&id, "ERROR").await;
        assert!(
            s["fault"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{step}: {s}"
        );
        assert!(
            w.leftovers(&id).await.is_empty(),
            "{step}: host leftovers {:?}",
            w.leftovers(&id).await
        );
        // Nova counts an instance in ERROR in all three quotas until it is deleted.
        assert_eq!(w.in_use("instances").await, 1, "{step}");
        assert_eq!(
            w.in_use("cores").await,
            2,
            "{step}: an ERROR instance counts"
        );
        let actions = w
            .app
            .nova(
                Method::GET,
                &format!("/servers/{id}/os-instance-actions"),
                &w.user.token,
                None,
            )
            .await
            .expect(200)
            .body;
        assert_eq!(actions["instanceActions"][0]["message"], "Error", "{step}");
        w.app
            .nova(
                Method::DELETE,
                &format!("/servers/{id}"),
                &w.user.token,
                None,
            )
            .await
            .expect(204);
        w.wait_gone(&id).await;
        assert_eq!(
            w.in_use("cores").await,
            0,
            "{step}: the cores were given back"
        );
        assert_eq!(w.in_use("ram").await, 0, "{step}: the RAM was given back");
    }
    // A driver failure (not injected by name) is undone the same way.
    compute.clear_failures();
    compute.fake_driver().unwrap().fail_on("spawn");
    let id = w.boot("driver-fails").await;
    let s = w.wait(&id, "ERROR").await;
    assert!(
        s["fault"]["details"]
            .as_str()
            .unwrap()
            .contains("injected failure in spawn"),
        "{s}"
    );
    assert!(w.leftovers(&id).await.is_empty());
    compute.clear_failures();
    // And with nothing injected the same request succeeds.
    let id = w.boot("works").await;
    w.wait(&id, "ACTIVE").await;
    assert_eq!(w.in_use("cores").await, 4, "the ERROR one and this one");
}

#[tokio::test]
async fn a_failed_delete_can_be_retried_and_a_failed_snapshot_leaves_no_image() {
    let w = world().await;
    let compute = &w.app.state.compute;
    let id = w.boot("victim").await;
    w.wait(&id, "ACTIVE").await;

    for step in saga_steps("snapshot") {
        compute.clear_failures();
        compute.inject_failure(&format!("snapshot.{step}"));
        let r = w
            .act(
                &id,
                json!({"createImage": {"name": format!("snap-{step}")}}),
            )
            .await
            .expect(202);
        let image = r.body["image_id"].as_str().unwrap().to_string();
        w.wait(&id, "ACTIVE").await;
        w.app
            .call(
                Method::GET,
                &format!("/image/v2/images/{image}"),
                &w.user.token,
                None,
            )
            .await
            .expect_glance_error(404);
    }
    compute.clear_failures();

    for step in saga_steps("delete") {
        let step = step.as_str();
        compute.inject_failure(&format!("delete.{step}"));
        w.app
            .nova(
                Method::DELETE,
                &format!("/servers/{id}"),
                &w.user.token,
                None,
            )
            .await
            .expect(204);
        let s = w.wait(&id, "ERROR").await;
        assert!(
            s["fault"]["message"].as_str().unwrap().contains(step),
            "{step}: {s}"
        );
        compute.clear_failures();
    }
    w.app
        .nova(
            Method::DELETE,
            &format!("/servers/{id}"),
            &w.user.token,
            None,
        )
        .await
        .expect(204);
    w.wait_gone(&id).await;
    assert!(w.leftovers(&id).await.is_empty());
    assert_eq!(w.in_use("instances").await, 0);
}

#[tokio::test]
async fn the_scheduler_refuses_what_does_not_fit() {
    let w = world_with(|c| {
        c.compute.fake_capacity.vcpus = 2;
        c.compute.fake_capacity.memory_mb = 1024;
        c.compute.cpu_allocation_ratio = 1.0;
    })
    .await;
    let a = w.boot("a").await;
    w.wait(&a, "ACTIVE").await;
    // Two vCPUs are used; the next one does not fit.
    let b = w.boot("b").await;
    let s = w.wait(&b, "ERROR").await;
    assert_eq!(
        s["fault"]["message"],
        "No valid host was found. There are not enough hosts available."
    );
    assert_eq!(
        w.in_use("cores").await,
        4,
        "the failed one counts until deleted (as in Nova)"
    );
    let stats = w
        .app
        .nova_at(
            None,
            Method::GET,
            "/os-hypervisors/statistics",
            &w.admin,
            None,
        )
        .await
        .expect(200)
        .body;
    let st = &stats["hypervisor_statistics"];
    assert_eq!(st["vcpus_used"], 2);
    assert_eq!(st["running_vms"], 1);
    assert_eq!(st["vcpus"], 2);
    assert_eq!(st["count"], 1);
    assert_eq!(st["memory_mb"], 1024);
    let free = |had: &str, used: &str| st[had].as_i64().unwrap() - st[used].as_i64().unwrap();
    assert_eq!(st["free_ram_mb"], free("memory_mb", "memory_mb_used"));
    assert_eq!(st["free_disk_gb"], free("local_gb", "local_gb_used"));
    assert_eq!(st["disk_available_least"], st["free_disk_gb"]);
    assert_eq!(st["current_workload"], 0);
    // The one hypervisor's own figures are the same, with its CPU model.
    let detail = w
        .app
        .nova_at(None, Method::GET, "/os-hypervisors/detail", &w.admin, None)
        .await
        .expect(200)
        .body;
    let h = &detail["hypervisors"][0];
    for key in [
        "vcpus",
        "vcpus_used",
        "memory_mb",
        "memory_mb_used",
        "local_gb",
        "local_gb_used",
        "free_ram_mb",
        "free_disk_gb",
        "running_vms",
        "disk_available_least",
    ] {
        assert_eq!(h[key], st[key], "{key}");
    }
    assert!(h["cpu_info"].is_string());
    // From 2.53 an administrator may ask which instances each hypervisor runs: the one
    // that fits is there, the one that did not fit is not; without asking, no key.
    let with_servers = |mv: &'static str, query: &'static str| {
        let w = &w;
        async move {
            w.app
                .nova_at(
                    Some(mv),
                    Method::GET,
                    &format!("/os-hypervisors/detail{query}"),
                    &w.admin,
                    None,
                )
                .await
                .expect(200)
                .body["hypervisors"][0]
                .clone()
        }
    };
    let h = with_servers("compute 2.53", "?with_servers=true").await;
    assert_eq!(h["servers"], json!([{"name": "a", "uuid": a}]), "{h}");
    assert!(with_servers("compute 2.53", "")
        .await
        .get("servers")
        .is_none());
    assert!(with_servers("compute 2.52", "?with_servers=true")
        .await
        .get("servers")
        .is_none());
    // Horizon's instance page asks for the attached volumes: none without block storage.
    let volumes = w
        .app
        .nova(
            Method::GET,
            &format!("/servers/{a}/os-volume_attachments"),
            &w.user.token,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(volumes, json!({"volumeAttachments": []}));
    // Deleting the first frees the host.
    w.app
        .nova(
            Method::DELETE,
            &format!("/servers/{a}"),
            &w.user.token,
            None,
        )
        .await
        .expect(204);
    w.wait_gone(&a).await;
    let c = w.boot("c").await;
    w.wait(&c, "ACTIVE").await;
    // A disabled compute service takes nothing.
    let services = w
        .app
        .nova(Method::GET, "/os-services", &w.admin, None)
        .await
        .expect(200)
        .body;
    let service = services["services"][0]["id"].as_str().unwrap().to_string();
    w.app
        .nova(
            Method::PUT,
            &format!("/os-services/{service}"),
            &w.admin,
            Some(&json!({"status": "disabled", "disabled_reason": "maintenance"})),
        )
        .await
        .expect(200);
    w.app
        .nova(
            Method::DELETE,
            &format!("/servers/{c}"),
            &w.user.token,
            None,
        )
        .await
        .expect(204);
    w.wait_gone(&c).await;
    let d = w.boot("d").await;
    let s = w.wait(&d, "ERROR").await;
    assert!(s["fault"]["message"]
        .as_str()
        .unwrap()
        .starts_with("No valid host"));
    // Image and flavor sizes are checked before anything is recorded.
    let big_image = upload_image(&w.app, &w.user.token, "big", json!({"min_ram": 4096})).await;
    let r = w.app
        .nova(Method::POST, "/servers", &w.user.token, Some(&json!({"server": {"name": "x", "imageRef": big_image, "flavorRef": w.flavor, "networks": "none"}})))
        .await
        .expect_nova(400, "badRequest");
    assert!(
        r.nova_message().contains("memory is too small"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn quotas_limit_launches_and_admins_set_them() {
    let w = world().await;
    let (app, token, project) = (&w.app, w.user.token.as_str(), w.user.project_id.as_str());
    let q = app
        .nova(
            Method::GET,
            &format!("/os-quota-sets/{project}"),
            token,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(q["quota_set"]["instances"], 10);
    assert_eq!(q["quota_set"]["cores"], 20);
    // Only an administrator changes quotas.
    app.nova(
        Method::PUT,
        &format!("/os-quota-sets/{project}"),
        token,
        Some(&json!({"quota_set": {"instances": 100}})),
    )
    .await
    .expect_nova(403, "forbidden");
    app.nova(
        Method::PUT,
        &format!("/os-quota-sets/{project}"),
        &w.admin,
        Some(&json!({"quota_set": {"instances": 2, "cores": 3}})),
    )
    .await
    .expect(200);

    let a = w.boot("a").await;
    w.wait(&a, "ACTIVE").await;
    // Cores: 2 used of 3, a second 2-vCPU server does not fit.
    let r = app
        .nova(Method::POST, "/servers", token, Some(&json!({"server": {"name": "b", "imageRef": w.image, "flavorRef": w.flavor, "networks": "none"}})))
        .await
        .expect_nova(403, "forbidden");
    assert!(
        r.nova_message().starts_with("Quota exceeded for cores"),
        "{}",
        r.text
    );
    // Lowering a limit under what is used is refused unless forced.
    app.nova(
        Method::PUT,
        &format!("/os-quota-sets/{project}"),
        &w.admin,
        Some(&json!({"quota_set": {"cores": 1}})),
    )
    .await
    .expect_nova(400, "badRequest");
    app.nova(
        Method::PUT,
        &format!("/os-quota-sets/{project}"),
        &w.admin,
        Some(&json!({"quota_set": {"cores": 10, "instances": 3}})),
    )
    .await
    .expect(200);
    // min_count/max_count: as many as fit, at least min_count.
    let r = app
        .nova(Method::POST, "/servers", token, Some(&json!({"server": {"name": "many", "imageRef": w.image, "flavorRef": w.flavor, "networks": "none", "min_count": 1, "max_count": 5, "return_reservation_id": true}})))
        .await
        .expect(202);
    assert!(r.body["reservation_id"].as_str().unwrap().starts_with("r-"));
    let list = app
        .nova(Method::GET, "/servers", token, None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        list["servers"].as_array().unwrap().len(),
        3,
        "two more fit the instance quota of 3"
    );
    let limits = app
        .nova(Method::GET, "/limits", token, None)
        .await
        .expect(200)
        .body;
    assert_eq!(limits["limits"]["absolute"]["maxTotalInstances"], 3);
    assert_eq!(limits["limits"]["absolute"]["totalInstancesUsed"], 3);
    assert_eq!(limits["limits"]["absolute"]["totalCoresUsed"], 6);
    // Defaults: the admin changes them, and a project without overrides follows.
    app.nova(
        Method::PUT,
        "/os-quota-class-sets/default",
        &w.admin,
        Some(&json!({"quota_class_set": {"key_pairs": 1}})),
    )
    .await
    .expect(200);
    let d = app
        .nova(
            Method::GET,
            &format!("/os-quota-sets/{project}/defaults"),
            token,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(d["quota_set"]["key_pairs"], 1);
    app.nova(
        Method::POST,
        "/os-keypairs",
        token,
        Some(&json!({"keypair": {"name": "one"}})),
    )
    .await
    .expect(201);
    app.nova(
        Method::POST,
        "/os-keypairs",
        token,
        Some(&json!({"keypair": {"name": "two"}})),
    )
    .await
    .expect_nova(403, "forbidden");
    // Reset to defaults.
    app.nova(
        Method::DELETE,
        &format!("/os-quota-sets/{project}"),
        &w.admin,
        None,
    )
    .await
    .expect(202);
    let q = app
        .nova(
            Method::GET,
            &format!("/os-quota-sets/{project}"),
            token,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(q["quota_set"]["instances"], 10);
}

#[tokio::test]
async fn actions_move_through_nova_states() {
    let w = world().await;
    let id = w.boot("s").await;
    w.wait(&id, "ACTIVE").await;
    for (action, status) in [
        (json!({"pause": null}), "PAUSED"),
        (json!({"unpause": null}), "ACTIVE"),
        (json!({"suspend": null}), "SUSPENDED"),
        (json!({"resume": null}), "ACTIVE"),
        (json!({"reboot": {"type": "SOFT"}}), "ACTIVE"),
        (json!({"reboot": {"type": "HARD"}}), "ACTIVE"),
    ] {
        w.act(&id, action.clone()).await.expect(202);
        w.wait(&id, status).await;
    }
    w.act(&id, json!({"unpause": null}))
        .await
        .expect_nova(409, "conflictingRequest");
    w.act(&id, json!({"os-start": null}))
        .await
        .expect_nova(409, "conflictingRequest");

    // Resize to a bigger flavor, then confirm; again, then revert.
    let big = w.app
        .nova(Method::POST, "/flavors", &w.admin, Some(&json!({"flavor": {"name": "m1.medium", "vcpus": 4, "ram": 1024, "disk": 2, "id": "42"}})))
        .await
        .expect(200);
    assert_eq!(big.body["flavor"]["id"], "42");
    w.act(&id, json!({"resize": {"flavorRef": "42"}}))
        .await
        .expect(202);
    let s = w.wait(&id, "VERIFY_RESIZE").await;
    assert_eq!(s["flavor"]["original_name"], "m1.medium");
    assert_eq!(
        w.in_use("cores").await,
        4,
        "the larger size is held during the resize"
    );
    w.act(&id, json!({"confirmResize": null})).await.expect(204);
    let s = w.wait(&id, "ACTIVE").await;
    assert_eq!(s["flavor"]["vcpus"], 4);
    let small = w.flavor.clone();
    let tiny = w
        .app
        .nova(
            Method::POST,
            "/flavors",
            &w.admin,
            Some(&json!({"flavor": {"name": "m1.wide", "vcpus": 6, "ram": 512, "disk": 2}})),
        )
        .await
        .expect(200)
        .body["flavor"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.act(&id, json!({"resize": {"flavorRef": small}}))
        .await
        .expect_nova(400, "badRequest");
    w.act(&id, json!({"resize": {"flavorRef": tiny}}))
        .await
        .expect(202);
    w.wait(&id, "VERIFY_RESIZE").await;
    w.act(&id, json!({"revertResize": null})).await.expect(202);
    let s = w.wait(&id, "ACTIVE").await;
    assert_eq!(s["flavor"]["original_name"], "m1.medium");
    assert_eq!(w.in_use("cores").await, 4);
    // Each resize is a migration, newest first, with where it ended.
    let migrations = w
        .app
        .nova(
            Method::GET,
            &format!("/os-migrations?instance_uuid={id}"),
            &w.admin,
            None,
        )
        .await
        .expect(200)
        .body["migrations"]
        .clone();
    let statuses: Vec<&str> = migrations
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["reverted", "confirmed"]);
    assert_eq!(migrations[0]["migration_type"], "resize");
    assert_eq!(migrations[0]["instance_uuid"], id.as_str());
    w.app
        .nova(Method::GET, "/os-migrations", &w.user.token, None)
        .await
        .expect_nova(403, "forbidden");

    // Rebuild onto another image.
    let other = upload_image(&w.app, &w.user.token, "other", json!({})).await;
    let r = w
        .act(
            &id,
            json!({"rebuild": {"imageRef": other, "name": "rebuilt"}}),
        )
        .await
        .expect(202);
    assert_eq!(r.body["server"]["id"], id.as_str());
    let s = w.wait(&id, "ACTIVE").await;
    assert_eq!(s["image"]["id"], other.as_str());
    assert_eq!(s["name"], "rebuilt");
    // A stopped instance is rebuilt stopped, and starts from its new disk.
    w.act(&id, json!({"os-stop": null})).await.expect(202);
    w.wait(&id, "SHUTOFF").await;
    w.act(&id, json!({"rebuild": {"imageRef": w.image}}))
        .await
        .expect(202);
    let s = w.wait(&id, "SHUTOFF").await;
    assert_eq!(s["image"]["id"], w.image.as_str());
    assert_eq!(s["OS-EXT-STS:power_state"], 4, "{s}");
    w.act(&id, json!({"os-start": null})).await.expect(202);
    w.wait(&id, "ACTIVE").await;

    // Lock: no member of the project can act, its owner included; admins can, and the owner
    // can unlock.
    w.act(&id, json!({"lock": {"locked_reason": "maintenance"}}))
        .await
        .expect(202);
    let s = w.server(&id).await;
    assert_eq!(s["locked"], true);
    assert_eq!(s["locked_reason"], "maintenance");
    let bob_password = "bob-password";
    let bob = w.app.create_user("bob", Some(bob_password)).await;
    w.app.grant(&w.user.project_id, &bob, "member").await;
    let bob_token = w.app.token("bob", bob_password, "alpha").await;
    w.app
        .nova(
            Method::POST,
            &format!("/servers/{id}/action"),
            &bob_token,
            Some(&json!({"os-stop": null})),
        )
        .await
        .expect_nova(409, "conflictingRequest");
    w.app
        .nova(Method::DELETE, &format!("/servers/{id}"), &bob_token, None)
        .await
        .expect_nova(409, "conflictingRequest");
    // Nor can its owner, who locked it, until it unlocks it (Nova's rule).
    w.act(&id, json!({"os-stop": null}))
        .await
        .expect_nova(409, "conflictingRequest");
    w.app
        .nova(
            Method::POST,
            &format!("/servers/{id}/action"),
            &bob_token,
            Some(&json!({"unlock": null})),
        )
        .await
        .expect_nova(403, "forbidden");
    w.act(&id, json!({"unlock": null})).await.expect(202);
    w.app
        .nova(
            Method::POST,
            &format!("/servers/{id}/action"),
            &bob_token,
            Some(&json!({"os-stop": null})),
        )
        .await
        .expect(202);
    w.wait(&id, "SHUTOFF").await;

    // Rename and metadata.
    let r = w
        .app
        .nova(
            Method::PUT,
            &format!("/servers/{id}"),
            &w.user.token,
            Some(&json!({"server": {"name": "renamed"}})),
        )
        .await
        .expect(200);
    assert_eq!(r.body["server"]["name"], "renamed");
    w.app
        .nova(
            Method::POST,
            &format!("/servers/{id}/metadata"),
            &w.user.token,
            Some(&json!({"metadata": {"a": "1"}})),
        )
        .await
        .expect(200);
    let m = w
        .app
        .nova(
            Method::GET,
            &format!("/servers/{id}/metadata/a"),
            &w.user.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(m.body["meta"]["a"], "1");
    w.app
        .nova(
            Method::DELETE,
            &format!("/servers/{id}/metadata/a"),
            &w.user.token,
            None,
        )
        .await
        .expect(204);
    w.app
        .nova(
            Method::DELETE,
            &format!("/servers/{id}/metadata/a"),
            &w.user.token,
            None,
        )
        .await
        .expect_nova(404, "itemNotFound");
}

#[tokio::test]
async fn another_project_sees_nothing() {
    let w = world().await;
    let id = w.boot("mine").await;
    w.wait(&id, "ACTIVE").await;
    let other = w.app.member("bob", "beta", "member").await;
    for (method, path, body) in [
        (Method::GET, format!("/servers/{id}"), None),
        (
            Method::PUT,
            format!("/servers/{id}"),
            Some(json!({"server": {"name": "x"}})),
        ),
        (Method::DELETE, format!("/servers/{id}"), None),
        (
            Method::POST,
            format!("/servers/{id}/action"),
            Some(json!({"os-stop": null})),
        ),
        (
            Method::POST,
            format!("/servers/{id}/action"),
            Some(json!({"os-getConsoleOutput": {}})),
        ),
        (
            Method::GET,
            format!("/servers/{id}/os-instance-actions"),
            None,
        ),
        (Method::GET, format!("/servers/{id}/metadata"), None),
        (
            Method::POST,
            format!("/servers/{id}/remote-consoles"),
            Some(json!({"remote_console": {"protocol": "vnc", "type": "novnc"}})),
        ),
    ] {
        w.app
            .nova(method.clone(), &path, &other.token, body.as_ref())
            .await
            .expect_nova(404, "itemNotFound");
    }
    let list = w
        .app
        .nova(Method::GET, "/servers/detail", &other.token, None)
        .await
        .expect(200)
        .body;
    assert!(list["servers"].as_array().unwrap().is_empty());
    // Even asking for all projects: a non-admin still sees its own.
    let list = w
        .app
        .nova(Method::GET, "/servers?all_tenants=1", &other.token, None)
        .await
        .expect(200)
        .body;
    assert!(list["servers"].as_array().unwrap().is_empty());
    let list = w
        .app
        .nova(Method::GET, "/servers?all_tenants=1", &w.admin, None)
        .await
        .expect(200)
        .body;
    assert_eq!(list["servers"][0]["id"], id.as_str());
    // Its key pairs are its own, too; private flavors are for the projects given access.
    w.app
        .nova(
            Method::POST,
            "/os-keypairs",
            &w.user.token,
            Some(&json!({"keypair": {"name": "k"}})),
        )
        .await
        .expect(201);
    w.app
        .nova(Method::GET, "/os-keypairs/k", &other.token, None)
        .await
        .expect_nova(404, "itemNotFound");
    let private = w.app
        .nova(Method::POST, "/flavors", &w.admin, Some(&json!({"flavor": {"name": "secret", "vcpus": 1, "ram": 64, "disk": 1, "os-flavor-access:is_public": false}})))
        .await
        .expect(200)
        .body["flavor"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.app
        .nova(
            Method::GET,
            &format!("/flavors/{private}"),
            &other.token,
            None,
        )
        .await
        .expect_nova(404, "itemNotFound");
    w.app
        .nova(
            Method::POST,
            &format!("/flavors/{private}/action"),
            &w.admin,
            Some(&json!({"addTenantAccess": {"tenant": other.project_id}})),
        )
        .await
        .expect(200);
    w.app
        .nova(
            Method::GET,
            &format!("/flavors/{private}"),
            &other.token,
            None,
        )
        .await
        .expect(200);
    let flavors = w
        .app
        .nova(Method::GET, "/flavors", &w.user.token, None)
        .await
        .expect(200)
        .body;
    assert!(!flavors["flavors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == private.as_str()));
}

#[tokio::test]
async fn server_lists_page_newest_first() {
    let w = world().await;
    app_quota(&w, 20).await;
    let r = w.app
        .nova(Method::POST, "/servers", &w.user.token, Some(&json!({"server": {"name": "p", "imageRef": w.image, "flavorRef": w.flavor, "networks": "none", "min_count": 5, "max_count": 5}})))
        .await
        .expect(202);
    assert!(r.body["server"]["id"].is_string());
    let mut seen = Vec::new();
    let mut path = "/servers?limit=2".to_string();
    loop {
        let r = w
            .app
            .nova(Method::GET, &path, &w.user.token, None)
            .await
            .expect(200);
        for s in r.body["servers"].as_array().unwrap() {
            seen.push(s["id"].as_str().unwrap().to_string());
        }
        match r.body["servers_links"][0]["href"].as_str() {
            Some(next) => path = next.split("/compute/v2.1").nth(1).unwrap().to_string(),
            None => break,
        }
        assert!(seen.len() <= 5, "paging ends");
    }
    assert_eq!(seen.len(), 5);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5);
    let all = w
        .app
        .nova(Method::GET, "/servers/detail", &w.user.token, None)
        .await
        .expect(200)
        .body;
    let ordered: Vec<String> = all["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ordered, seen, "pages follow the full list's order");
    let named = w
        .app
        .nova(Method::GET, "/servers?name=p-3", &w.user.token, None)
        .await
        .expect(200)
        .body;
    assert_eq!(named["servers"].as_array().unwrap().len(), 1);
    for s in &seen {
        w.wait(s, "ACTIVE").await;
    }
    let active = w
        .app
        .nova(Method::GET, "/servers?status=ACTIVE", &w.user.token, None)
        .await
        .expect(200)
        .body;
    assert_eq!(active["servers"].as_array().unwrap().len(), 5);
}

async fn app_quota(w: &World, cores: i64) {
    w.app
        .nova(
            Method::PUT,
            &format!("/os-quota-sets/{}", w.user.project_id),
            &w.admin,
            Some(&json!({"quota_set": {"cores": cores, "instances": cores}})),
        )
        .await
        .expect(200);
}

#[tokio::test]
async fn bad_compute_requests_get_nova_faults() {
    let w = world().await;
    let (app, t) = (&w.app, w.user.token.as_str());
    let good = json!({"name": "x", "imageRef": w.image, "flavorRef": w.flavor, "networks": "none"});
    let with = |k: &str, v: Value| {
        let mut s = good.clone();
        if v.is_null() {
            s.as_object_mut().unwrap().remove(k);
        } else {
            s[k] = v;
        }
        json!({"server": s})
    };
    for (body, why) in [
        (json!({"nothing": {}}), "server"),
        (with("name", Value::Null), "name"),
        (with("name", json!("")), "name"),
        (with("flavorRef", Value::Null), "flavorRef"),
        (with("flavorRef", json!("nope")), "Flavor nope"),
        (
            with("imageRef", json!("00000000-0000-0000-0000-000000000000")),
            "could not be found",
        ),
        (with("networks", Value::Null), "networks"),
        (with("networks", json!([{"uuid": "net-1"}])), "net-1"),
        (with("key_name", json!("missing")), "key_name"),
        (with("user_data", json!("!!not base64!!")), "user_data"),
        (with("metadata", json!({"a": 1})), "metadata"),
        (with("min_count", json!(0)), "min_count"),
        (
            with("availability_zone", json!("mars")),
            "availability zone",
        ),
        (
            with(
                "block_device_mapping_v2",
                json!([{"source_type": "volume", "destination_type": "volume", "uuid": "v"}]),
            ),
            "volume",
        ),
    ] {
        let r = app
            .nova(Method::POST, "/servers", t, Some(&body))
            .await
            .expect_nova(400, "badRequest");
        assert!(r.nova_message().contains(why), "{why}: {}", r.text);
    }
    app.client
        .post(format!("{}/compute/v2.1/servers", app.address))
        .header("X-Auth-Token", t)
        .body("{not json")
        .send()
        .await
        .map(|r| assert_eq!(r.status(), 400))
        .unwrap();
    let id = w.boot("ok").await;
    w.wait(&id, "ACTIVE").await;
    for action in [
        json!({"dance": null}),
        json!({"reboot": {"type": "GENTLE"}}),
        json!({"resize": {}}),
        json!({"createImage": {}}),
        json!({}),
        json!({"os-getConsoleOutput": {"length": -5}}),
    ] {
        w.act(&id, action).await.expect_nova(400, "badRequest");
    }
    app.nova(
        Method::GET,
        "/servers/00000000-0000-0000-0000-000000000000",
        t,
        None,
    )
    .await
    .expect_nova(404, "itemNotFound");
    for q in [
        "limit=-1",
        "limit=x",
        "marker=nope",
        "status=SLEEPY",
        "changes-since=yesterday",
    ] {
        app.nova(Method::GET, &format!("/servers?{q}"), t, None)
            .await
            .expect_nova(400, "badRequest");
    }
    // Flavors: admin only, valid sizes, unique names.
    let f = |v: Value| json!({"flavor": v});
    app.nova(
        Method::POST,
        "/flavors",
        t,
        Some(&f(
            json!({"name": "mine", "vcpus": 1, "ram": 64, "disk": 1}),
        )),
    )
    .await
    .expect_nova(403, "forbidden");
    for bad in [
        json!({"name": "z", "vcpus": 0, "ram": 64, "disk": 1}),
        json!({"name": "z", "vcpus": 1, "ram": -1, "disk": 1}),
        json!({"name": "z", "vcpus": "many", "ram": 64, "disk": 1}),
        json!({"name": "", "vcpus": 1, "ram": 64, "disk": 1}),
        json!({"vcpus": 1, "ram": 64, "disk": 1}),
        json!({"name": "z", "vcpus": 1, "ram": 64, "disk": 1, "id": "bad/id"}),
    ] {
        app.nova(Method::POST, "/flavors", &w.admin, Some(&f(bad)))
            .await
            .expect_nova(400, "badRequest");
    }
    app.nova(
        Method::POST,
        "/flavors",
        &w.admin,
        Some(&f(
            json!({"name": "m1.small", "vcpus": 1, "ram": 64, "disk": 1}),
        )),
    )
    .await
    .expect_nova(409, "conflictingRequest");
    app.nova(Method::GET, "/flavors/nope", t, None)
        .await
        .expect_nova(404, "itemNotFound");
    app.nova(Method::GET, "/flavors?is_public=maybe", t, None)
        .await
        .expect_nova(400, "badRequest");
    // Key pairs: names, keys, duplicates.
    for bad in [
        json!({"name": ""}),
        json!({"name": "bad/name"}),
        json!({"name": "k", "public_key": "ssh-rsa not-a-key"}),
        json!({"name": "k", "type": "x509"}),
    ] {
        app.nova(
            Method::POST,
            "/os-keypairs",
            t,
            Some(&json!({"keypair": bad})),
        )
        .await
        .expect_nova(400, "badRequest");
    }
    app.nova(
        Method::POST,
        "/os-keypairs",
        t,
        Some(&json!({"keypair": {"name": "dup"}})),
    )
    .await
    .expect(201);
    app.nova(
        Method::POST,
        "/os-keypairs",
        t,
        Some(&json!({"keypair": {"name": "dup"}})),
    )
    .await
    .expect_nova(409, "conflictingRequest");
    app.nova(Method::DELETE, "/os-keypairs/none-such", t, None)
        .await
        .expect_nova(404, "itemNotFound");
    // Quotas: unknown resources and values.
    let p = &w.user.project_id;
    for bad in [
        json!({"quota_set": {"widgets": 1}}),
        json!({"quota_set": {"cores": -2}}),
        json!({"quota_set": {"cores": "lots"}}),
    ] {
        app.nova(
            Method::PUT,
            &format!("/os-quota-sets/{p}"),
            &w.admin,
            Some(&bad),
        )
        .await
        .expect_nova(400, "badRequest");
    }
    // Hypervisors and services are for administrators.
    app.nova(Method::GET, "/os-hypervisors", t, None)
        .await
        .expect_nova(403, "forbidden");
    app.nova(Method::GET, "/os-services", t, None)
        .await
        .expect_nova(403, "forbidden");
    app.nova(Method::GET, "/no-such-thing", t, None)
        .await
        .expect_nova(404, "itemNotFound");
    // Consoles: only vnc/novnc is offered; the fake hypervisor has none to give.
    let rc = |protocol: &str, kind: &str| json!({"remote_console": {"protocol": protocol, "type": kind}});
    app.nova(
        Method::POST,
        &format!("/servers/{id}/remote-consoles"),
        t,
        Some(&rc("spice", "spice-html5")),
    )
    .await
    .expect_nova(400, "badRequest");
    let r = app
        .nova(
            Method::POST,
            &format!("/servers/{id}/remote-consoles"),
            t,
            Some(&rc("vnc", "novnc")),
        )
        .await
        .expect_nova(409, "conflictingRequest");
    assert!(
        r.nova_message().contains("no graphical console"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_restart_reconciles_instances_with_the_host() {
    let w = world().await;
    let id = w.boot("survivor").await;
    w.wait(&id, "ACTIVE").await;
    let password = w.user.password.clone();
    let World { app, .. } = w;
    // The fake hypervisor forgets its VMs with the process: after the restart the
    // instance is shown as it really is, stopped.
    let app = app.restart().await;
    let token = app.token("alice", &password, "alpha").await;
    let s = app
        .nova(Method::GET, &format!("/servers/{id}"), &token, None)
        .await
        .expect(200)
        .body;
    assert_eq!(s["server"]["status"], "SHUTOFF");
    assert_eq!(s["server"]["OS-EXT-STS:task_state"], Value::Null);
}

#[tokio::test]
async fn kernel_and_ramdisk_images_are_resolved_for_direct_boot() {
    let w = world().await;
    let t = w.user.token.as_str();
    // A kernel the project can read: the launch resolves it and boots.
    let kernel = upload_image(&w.app, t, "vmlinuz", json!({})).await;
    let ramdisk = upload_image(&w.app, t, "initrd", json!({})).await;
    let bootable = upload_image(
        &w.app,
        t,
        "root",
        json!({"kernel_id": kernel, "ramdisk_id": ramdisk, "os_command_line": "console=ttyS0"}),
    )
    .await;
    let r = w.app
        .nova(Method::POST, "/servers", t, Some(&json!({"server": {"name": "direct", "imageRef": bootable, "flavorRef": w.flavor, "networks": "none"}})))
        .await
        .expect(202);
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    w.wait(&id, "ACTIVE").await;
    // A kernel the project cannot read (another project's private image) is not booted.
    let other = w.app.member("bob", "beta", "member").await;
    let foreign = upload_image(&w.app, &other.token, "foreign-kernel", json!({})).await;
    let sneaky = upload_image(&w.app, t, "sneaky", json!({"kernel_id": foreign})).await;
    let r = w.app
        .nova(Method::POST, "/servers", t, Some(&json!({"server": {"name": "sneaky", "imageRef": sneaky, "flavorRef": w.flavor, "networks": "none"}})))
        .await
        .expect(202);
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    let s = w.wait(&id, "ERROR").await;
    assert!(w.leftovers(&id).await.is_empty(), "{s}");
}

fn usage_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn close(a: &Value, b: f64) -> bool {
    // Seconds pass between the test's clock and the server's: 0.1 % and then some.
    a.as_f64()
        .is_some_and(|a| (a - b).abs() < 0.02 + b.abs() * 0.001)
}

#[tokio::test]
async fn usage_reports_count_the_hours_instances_ran() {
    let w = world().await;
    let project = w.user.project_id.clone();
    let running = w.boot("running").await;
    let gone = w.boot("gone").await;
    w.wait(&running, "ACTIVE").await;
    w.wait(&gone, "ACTIVE").await;
    // `running` launched 3 hours ago and runs on; `gone` ran for 5 hours until now.
    w.app.backdate_instance(&running, 3 * 3600).await;
    w.app.backdate_instance(&gone, 5 * 3600).await;
    w.app
        .nova(
            Method::DELETE,
            &format!("/servers/{gone}"),
            &w.user.token,
            None,
        )
        .await
        .expect(204);
    w.wait_gone(&gone).await;

    let now = chrono::Utc::now();
    let window = format!(
        "start={}&end={}",
        usage_time(now - chrono::Duration::hours(10)),
        usage_time(now + chrono::Duration::hours(1))
    );
    let r = w
        .app
        .nova(
            Method::GET,
            &format!("/os-simple-tenant-usage/{project}?{window}"),
            &w.user.token,
            None,
        )
        .await
        .expect(200);
    let u = &r.body["tenant_usage"];
    assert_eq!(u["tenant_id"], json!(project));
    // 3 h + 5 h of a 2-vCPU, 512 MB, 1 GB flavor.
    assert!(close(&u["total_hours"], 8.0), "{}", r.text);
    assert!(close(&u["total_vcpus_usage"], 16.0), "{}", r.text);
    assert!(close(&u["total_memory_mb_usage"], 4096.0), "{}", r.text);
    assert!(close(&u["total_local_gb_usage"], 8.0), "{}", r.text);
    let servers = u["server_usages"].as_array().unwrap();
    assert_eq!(servers.len(), 2);
    let by_name = |n: &str| servers.iter().find(|s| s["name"] == n).unwrap().clone();
    let g = by_name("gone");
    assert_eq!(g["state"], "terminated");
    assert!(g["ended_at"].is_string());
    assert!((g["uptime"].as_i64().unwrap() - 5 * 3600).abs() <= 5, "{g}");
    let a = by_name("running");
    assert_eq!(a["state"], "active");
    assert_eq!(a["ended_at"], Value::Null);
    assert_eq!(
        (
            a["vcpus"].clone(),
            a["memory_mb"].clone(),
            a["local_gb"].clone(),
            a["flavor"].clone()
        ),
        (json!(2), json!(512), json!(1), json!("m1.small"))
    );
    assert!(close(&a["hours"], 3.0), "{a}");

    // A window that ends before either launched has nothing: an empty object, as in Nova.
    let early = format!(
        "start={}&end={}",
        usage_time(now - chrono::Duration::hours(10)),
        usage_time(now - chrono::Duration::hours(6))
    );
    let r = w
        .app
        .nova(
            Method::GET,
            &format!("/os-simple-tenant-usage/{project}?{early}"),
            &w.user.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["tenant_usage"], json!({}));
    // A window inside `gone`'s life counts only its part: 4 h ago to 3.5 h ago.
    let part = format!(
        "start={}&end={}",
        usage_time(now - chrono::Duration::hours(4)),
        usage_time(now - chrono::Duration::minutes(210))
    );
    let r = w
        .app
        .nova(
            Method::GET,
            &format!("/os-simple-tenant-usage/{project}?{part}"),
            &w.user.token,
            None,
        )
        .await
        .expect(200);
    assert!(
        close(&r.body["tenant_usage"]["total_hours"], 0.5),
        "{}",
        r.text
    );

    // Paging (2.40): one instance a page, a next link, then nothing.
    let mut path = format!("/os-simple-tenant-usage/{project}?{window}&limit=1");
    let mut seen = Vec::new();
    for _ in 0..4 {
        let r = w
            .app
            .nova(Method::GET, &path, &w.user.token, None)
            .await
            .expect(200);
        if let Some(list) = r.body["tenant_usage"]["server_usages"].as_array() {
            seen.extend(
                list.iter()
                    .map(|s| s["instance_id"].as_str().unwrap().to_string()),
            );
        }
        match r.body["tenant_usage_links"][0]["href"].as_str() {
            Some(next) => path = next.split("/compute/v2.1").nth(1).unwrap().to_string(),
            None => break,
        }
    }
    seen.sort();
    let mut both = vec![running.clone(), gone.clone()];
    both.sort();
    assert_eq!(seen, both);
    // Before 2.40 there are no links.
    let r = w
        .app
        .nova_at(
            None,
            Method::GET,
            &format!("/os-simple-tenant-usage/{project}?{window}&limit=1"),
            &w.user.token,
            None,
        )
        .await
        .expect(200);
    assert!(r.body.get("tenant_usage_links").is_none(), "{}", r.text);

    // Every project: administrators only; `detailed=1` adds the instances.
    let r = w
        .app
        .nova(
            Method::GET,
            &format!("/os-simple-tenant-usage?{window}&detailed=1"),
            &w.admin,
            None,
        )
        .await
        .expect(200);
    let mine = r.body["tenant_usages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant_id"] == json!(project))
        .unwrap()
        .clone();
    assert_eq!(mine["server_usages"].as_array().unwrap().len(), 2);
    let r = w
        .app
        .nova(
            Method::GET,
            &format!("/os-simple-tenant-usage?{window}"),
            &w.admin,
            None,
        )
        .await
        .expect(200);
    assert!(r.body["tenant_usages"][0].get("server_usages").is_none());
    w.app
        .nova(
            Method::GET,
            &format!("/os-simple-tenant-usage?{window}"),
            &w.user.token,
            None,
        )
        .await
        .expect_nova(403, "forbidden");
    let other = w.app.member("bob", "beta", "member").await;
    w.app
        .nova(
            Method::GET,
            &format!("/os-simple-tenant-usage/{project}?{window}"),
            &other.token,
            None,
        )
        .await
        .expect_nova(403, "forbidden");

    // Bad input.
    for (query, message) in [
        ("start=yesterday", "Datetime is in invalid format"),
        (
            "start=2026-11-02T00:00:00&end=2026-11-01T00:00:00",
            "The start time cannot occur after the end time",
        ),
        ("limit=-1", "limit"),
        (
            "marker=no-such-instance",
            "Marker no-such-instance could not be found",
        ),
    ] {
        let r = w
            .app
            .nova(
                Method::GET,
                &format!("/os-simple-tenant-usage/{project}?{query}"),
                &w.user.token,
                None,
            )
            .await
            .expect_nova(400, "badRequest");
        assert!(r.nova_message().contains(message), "{query}: {}", r.text);
    }
}

#[tokio::test]
async fn flavor_lists_filter_and_page_smallest_first() {
    let w = world().await;
    for (name, ram, disk, public) in [
        ("f.big", 4096, 40, true),
        ("f.mid", 1024, 10, true),
        ("f.secret", 2048, 20, false),
    ] {
        w.app
            .nova(Method::POST, "/flavors", &w.admin, Some(&json!({"flavor": {"name": name, "vcpus": 1, "ram": ram, "disk": disk, "os-flavor-access:is_public": public}})))
            .await
            .expect(200);
    }
    let names = |r: &Reply| -> Vec<String> {
        r.body["flavors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect()
    };
    // A member sees public flavors only, smallest first.
    let r = w
        .app
        .nova(Method::GET, "/flavors", &w.user.token, None)
        .await
        .expect(200);
    assert_eq!(names(&r), ["m1.small", "f.mid", "f.big"]);
    let r = w
        .app
        .nova(
            Method::GET,
            "/flavors?minRam=1000&minDisk=20",
            &w.user.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(names(&r), ["f.big"]);
    // The administrator pages through all of them (is_public=none), two at a time.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..4 {
        let path = match &marker {
            Some(m) => format!("/flavors/detail?is_public=none&limit=2&marker={m}"),
            None => "/flavors/detail?is_public=none&limit=2".to_string(),
        };
        let r = w
            .app
            .nova(Method::GET, &path, &w.admin, None)
            .await
            .expect(200);
        let page = r.body["flavors"].as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        seen.extend(names(&r));
        marker = page.last().unwrap()["id"].as_str().map(str::to_string);
    }
    assert_eq!(seen, ["m1.small", "f.mid", "f.secret", "f.big"]);
    // A private flavor the project was not given cannot be a member's marker either.
    let secret = w
        .app
        .nova(Method::GET, "/flavors?is_public=false", &w.admin, None)
        .await
        .expect(200)
        .body["flavors"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for bad in [
        format!("/flavors?marker={secret}"),
        "/flavors?marker=nope".to_string(),
        "/flavors?limit=-1".to_string(),
        "/flavors?minRam=lots".to_string(),
    ] {
        w.app
            .nova(Method::GET, &bad, &w.user.token, None)
            .await
            .expect_nova(400, "badRequest");
    }
}

/// Counts are checked against Nova's cap and the quota before any per-instance work: an
/// extreme `max_count` is refused at once, and one within the cap launches only what
/// the quota leaves room for (at least `min_count`, or none).
#[tokio::test]
async fn instance_counts_are_capped_before_any_work() {
    let w = world().await;
    let body = |min: i64, max: i64| {
        json!({"server": {"name": "many", "imageRef": w.image, "flavorRef": w.flavor,
                          "networks": "none", "min_count": min, "max_count": max}})
    };
    let started = std::time::Instant::now();
    let r = w
        .app
        .nova(
            Method::POST,
            "/servers",
            &w.user.token,
            Some(&body(1, 1_000_000)),
        )
        .await
        .expect_nova(400, "badRequest");
    assert!(r.text.contains("max_count"), "{}", r.text);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "refused only after {:?}",
        started.elapsed()
    );
    w.app
        .nova(
            Method::POST,
            "/servers",
            &w.user.token,
            Some(&body(1001, 1001)),
        )
        .await
        .expect_nova(400, "badRequest");
    // The project may run 3 more instances: 1..1000 launches 3; 4..1000 launches none.
    w.app
        .nova(
            Method::PUT,
            &format!("/os-quota-sets/{}", w.user.project_id),
            &w.admin,
            Some(&json!({"quota_set": {"instances": 3}})),
        )
        .await
        .expect(200);
    w.app
        .nova(
            Method::POST,
            "/servers",
            &w.user.token,
            Some(&body(4, 1000)),
        )
        .await
        .expect_nova(403, "forbidden");
    assert_eq!(w.in_use("instances").await, 0);
    w.app
        .nova(
            Method::POST,
            "/servers",
            &w.user.token,
            Some(&body(1, 1000)),
        )
        .await
        .expect(202);
    assert_eq!(w.in_use("instances").await, 3);
}

/// Nova's strict schemas: unknown properties, a body of another media type, and a
/// microversion above the maximum are refused as Nova refuses them.
#[tokio::test]
async fn nova_refuses_unknown_fields_other_media_types_and_unknown_versions() {
    let w = world().await;
    let r = w
        .app
        .nova(
            Method::POST,
            "/servers",
            &w.user.token,
            Some(
                &json!({"server": {"name": "x", "imageRef": w.image, "flavorRef": w.flavor,
                                    "networks": "none", "bogus": 1}}),
            ),
        )
        .await
        .expect_nova(400, "badRequest");
    assert!(r.text.contains("'bogus' was unexpected"), "{}", r.text);
    w.app
        .nova(
            Method::POST,
            "/flavors",
            &w.admin,
            Some(
                &json!({"flavor": {"name": "f", "vcpus": 1, "ram": 64, "disk": 1, "extra": true}}),
            ),
        )
        .await
        .expect_nova(400, "badRequest");
    w.app
        .nova(
            Method::POST,
            "/os-keypairs",
            &w.user.token,
            Some(&json!({"keypair": {"name": "k", "colour": "red"}})),
        )
        .await
        .expect_nova(400, "badRequest");
    let r = w
        .app
        .client
        .post(format!("{}/compute/v2.1/servers", w.app.address))
        .header("X-Auth-Token", &w.user.token)
        .header("Content-Type", "application/xml")
        .body("<server name=\"x\"/>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["badMediaType"]["code"], 415, "{body}");
    for version in ["compute 2.99999999", "compute 3.1"] {
        let r = w
            .app
            .client
            .get(format!("{}/compute/v2.1/servers", w.app.address))
            .header("X-Auth-Token", &w.user.token)
            .header("OpenStack-API-Version", version)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 406, "{version}");
    }
}

/// What Tempest's schemas hold Nova to at each microversion: the administrator password
/// of a create and a rebuild, Nova's spellings of booleans, the quota and limit fields
/// 2.36 and 2.39 dropped, `forced_down` from 2.11, the host's uptime before 2.88 folded
/// it into the hypervisor, and 200 for an unset extra spec.
#[tokio::test]
async fn bodies_follow_the_microversion_asked_for() {
    let w = world().await;
    let (app, token, admin) = (&w.app, w.user.token.as_str(), w.admin.as_str());
    let w = &w;
    let boot = |extra: Value| async move {
        // No networks (2.1 has no "none"; this cloud has none to give).
        let mut server = json!({"name": "pw", "imageRef": w.image, "flavorRef": w.flavor});
        for (k, v) in extra.as_object().unwrap() {
            server[k] = v.clone();
        }
        let body = json!({ "server": server });
        app.nova_at(None, Method::POST, "/servers", token, Some(&body))
            .await
    };
    let made = boot(json!({})).await.expect(202).body;
    let password = made["server"]["adminPass"].as_str().unwrap().to_string();
    assert_eq!(password.len(), 12, "{made}");
    let other = boot(json!({})).await.expect(202).body;
    assert_ne!(other["server"]["adminPass"], made["server"]["adminPass"]);
    let given = boot(json!({"adminPass": "Chosen-1"}))
        .await
        .expect(202)
        .body;
    assert_eq!(given["server"]["adminPass"], "Chosen-1");
    let id = made["server"]["id"].as_str().unwrap();
    w.wait(id, "ACTIVE").await;
    let rebuilt = app
        .nova_at(
            None,
            Method::POST,
            &format!("/servers/{id}/action"),
            token,
            Some(&json!({"rebuild": {"imageRef": w.image, "adminPass": "Again-2"}})),
        )
        .await
        .expect(202)
        .body;
    assert_eq!(rebuilt["server"]["adminPass"], "Again-2");
    assert!(
        rebuilt["server"].get("OS-EXT-STS:vm_state").is_none(),
        "before 2.75 a rebuild answers the basic server: {rebuilt}"
    );
    w.wait(id, "ACTIVE").await;
    let renamed = app
        .nova_at(
            None,
            Method::PUT,
            &format!("/servers/{id}"),
            token,
            Some(&json!({"server": {"name": "pw2"}})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(renamed["server"]["name"], "pw2");
    assert!(renamed["server"]
        .get("OS-EXT-AZ:availability_zone")
        .is_none());
    let full = app
        .nova_at(
            Some("compute 2.75"),
            Method::PUT,
            &format!("/servers/{id}"),
            token,
            Some(&json!({"server": {"name": "pw4"}})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        full["server"]["OS-EXT-AZ:availability_zone"], "nova",
        "{full}"
    );

    // An administrator resets a state by hand; others may not.
    let reset = |state: &'static str, who: &'static str| {
        let token = if who == "admin" { admin } else { token };
        async move {
            app.nova_at(
                None,
                Method::POST,
                &format!("/servers/{id}/action"),
                token,
                Some(&json!({"os-resetState": {"state": state}})),
            )
            .await
        }
    };
    reset("error", "user").await.expect_nova(403, "forbidden");
    reset("sideways", "admin")
        .await
        .expect_nova(400, "badRequest");
    reset("error", "admin").await.expect(202);
    assert_eq!(w.server(id).await["status"], "ERROR");
    reset("active", "admin").await.expect(202);
    assert_eq!(w.server(id).await["status"], "ACTIVE");

    // The posted password: none, and clearing it is the owner's.
    let pw = app
        .nova_at(
            None,
            Method::GET,
            &format!("/servers/{id}/os-server-password"),
            token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(pw.body, json!({"password": ""}));
    app.nova_at(
        None,
        Method::DELETE,
        &format!("/servers/{id}/os-server-password"),
        token,
        None,
    )
    .await
    .expect(204);

    // An unknown status finds nothing before 2.38 and is refused from it.
    let none = app
        .nova_at(None, Method::GET, "/servers?status=bogus", token, None)
        .await
        .expect(200);
    assert_eq!(none.body["servers"], json!([]));
    app.nova_at(
        Some("compute 2.38"),
        Method::GET,
        "/servers?status=bogus",
        token,
        None,
    )
    .await
    .expect_nova(400, "badRequest");

    // Booleans as Nova spells them; anything else is refused.
    for (spelling, public) in [
        ("False", false),
        ("TRUE", true),
        ("off", false),
        ("1", true),
    ] {
        let f = app
            .nova(
                Method::POST,
                "/flavors",
                admin,
                Some(
                    &json!({"flavor": {"name": format!("f-{spelling}"), "vcpus": 1, "ram": 64,
                                        "disk": 1, "os-flavor-access:is_public": spelling}}),
                ),
            )
            .await
            .expect(200)
            .body;
        assert_eq!(
            f["flavor"]["os-flavor-access:is_public"], public,
            "{spelling}"
        );
    }
    app.nova(
        Method::POST,
        "/flavors",
        admin,
        Some(
            &json!({"flavor": {"name": "f-x", "vcpus": 1, "ram": 64, "disk": 1,
                                "os-flavor-access:is_public": "tRuE"}}),
        ),
    )
    .await
    .expect_nova(400, "badRequest");

    // Quotas and limits: the nova-network fields until 2.36, maxImageMeta until 2.39.
    let project = &w.user.project_id;
    let quota_path = format!("/os-quota-sets/{project}");
    let quotas = |mv| app.nova_at(mv, Method::GET, &quota_path, token, None);
    let old = quotas(None).await.expect(200).body;
    assert_eq!(old["quota_set"]["floating_ips"], 10, "{old}");
    assert_eq!(old["quota_set"]["security_group_rules"], 20);
    let new = quotas(Some("compute 2.36")).await.expect(200).body;
    assert!(new["quota_set"].get("floating_ips").is_none(), "{new}");
    app.nova_at(
        Some("compute 2.36"),
        Method::PUT,
        &format!("/os-quota-sets/{project}"),
        admin,
        Some(&json!({"quota_set": {"floating_ips": 5}})),
    )
    .await
    .expect_nova(400, "badRequest");
    let updated = app
        .nova_at(
            None,
            Method::PUT,
            &format!("/os-quota-sets/{project}"),
            admin,
            Some(&json!({"quota_set": {"floating_ips": 5, "force": "True"}})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(updated["quota_set"]["floating_ips"], 5);
    let limits = |mv| app.nova_at(mv, Method::GET, "/limits", token, None);
    let old = limits(None).await.expect(200).body;
    assert_eq!(old["limits"]["absolute"]["maxImageMeta"], 128, "{old}");
    assert_eq!(old["limits"]["absolute"]["maxTotalFloatingIps"], 5);
    let new = limits(Some("compute 2.39")).await.expect(200).body;
    assert!(new["limits"]["absolute"].get("maxImageMeta").is_none());
    assert!(new["limits"]["absolute"]
        .get("maxTotalFloatingIps")
        .is_none());

    // forced_down from 2.11.
    let services = |mv| app.nova_at(mv, Method::GET, "/os-services", admin, None);
    let old = services(None).await.expect(200).body;
    assert!(old["services"][0].get("forced_down").is_none(), "{old}");
    let new = services(Some("compute 2.11")).await.expect(200).body;
    assert_eq!(new["services"][0]["forced_down"], false, "{new}");
    for (query, found) in [
        ("?binary=nova-compute", 1),
        ("?binary=nova-scheduler", 0),
        ("?host=nowhere", 0),
        ("?xxx=nova-compute", 1),
    ] {
        let r = app
            .nova_at(
                None,
                Method::GET,
                &format!("/os-services{query}"),
                admin,
                None,
            )
            .await
            .expect(200);
        assert_eq!(
            r.body["services"].as_array().unwrap().len(),
            found,
            "{query}"
        );
    }

    // The host's uptime, administrators' only (its own call until 2.88).
    let hypervisor = app
        .nova_at(None, Method::GET, "/os-hypervisors", admin, None)
        .await
        .expect(200)
        .body["hypervisors"][0]["id"]
        .clone();
    let up = app
        .nova_at(
            None,
            Method::GET,
            &format!("/os-hypervisors/{hypervisor}/uptime"),
            admin,
            None,
        )
        .await
        .expect(200)
        .body;
    assert!(
        up["hypervisor"]["uptime"]
            .as_str()
            .is_some_and(|u| u.contains(" up ") && u.contains("load average")),
        "{up}"
    );
    app.nova_at(
        None,
        Method::GET,
        &format!("/os-hypervisors/{hypervisor}/uptime"),
        token,
        None,
    )
    .await
    .expect_nova(403, "forbidden");

    // Unsetting an extra spec answers 200.
    let spec = format!("/flavors/{}/os-extra_specs", w.flavor);
    app.nova(
        Method::POST,
        &spec,
        admin,
        Some(&json!({"extra_specs": {"hw:cpu_policy": "shared"}})),
    )
    .await
    .expect(200);
    app.nova(
        Method::DELETE,
        &format!("{spec}/hw:cpu_policy"),
        admin,
        None,
    )
    .await
    .expect(200);
}

/// The calls Nova still answers for older clients: the security-group proxies below 2.36
/// (onto the network service's groups), `os-hosts` below 2.43, hypervisor search below
/// 2.53, and the extension list.
#[tokio::test]
async fn legacy_proxies_answer_older_clients() {
    let w = world().await;
    let (app, token, admin) = (&w.app, w.user.token.as_str(), w.admin.as_str());
    let old = |method: Method, path: String, who: &'static str, body: Option<Value>| {
        let token = if who == "admin" { admin } else { token };
        async move { app.nova_at(None, method, &path, token, body.as_ref()).await }
    };

    // Security groups: made, listed with their ingress rules only, changed, removed.
    let made = old(
        Method::POST,
        "/os-security-groups".into(),
        "user",
        Some(json!({"security_group": {"name": "web", "description": "front"}})),
    )
    .await
    .expect(200)
    .body["security_group"]
        .clone();
    let sg = made["id"].as_str().unwrap().to_string();
    assert_eq!(made["tenant_id"], w.user.project_id.as_str());
    assert_eq!(
        made["rules"],
        json!([]),
        "Neutron's egress rules are not Nova's"
    );
    for bad in [
        json!({"name": " ", "description": "d"}),
        json!({"name": "x".repeat(256)}),
    ] {
        old(
            Method::POST,
            "/os-security-groups".into(),
            "user",
            Some(json!({ "security_group": bad })),
        )
        .await
        .expect_nova(400, "badRequest");
    }
    let rule = |body: Value| {
        old(
            Method::POST,
            "/os-security-group-rules".into(),
            "user",
            Some(json!({ "security_group_rule": body })),
        )
    };
    let ssh = json!({"parent_group_id": sg, "ip_protocol": "tcp", "from_port": 22,
                     "to_port": 22, "cidr": "10.0.0.0/8"});
    let r = rule(ssh.clone()).await.expect(200).body["security_group_rule"].clone();
    assert_eq!(r["ip_range"], json!({"cidr": "10.0.0.0/8"}));
    assert_eq!(
        (r["from_port"].clone(), r["to_port"].clone()),
        (json!(22), json!(22))
    );
    rule(ssh).await.expect_nova(400, "badRequest");
    for bad in [
        json!({"parent_group_id": sg, "ip_protocol": "tcp", "from_port": 0, "to_port": 22}),
        json!({"parent_group_id": sg, "ip_protocol": "tcp", "from_port": 30, "to_port": 22}),
        json!({"parent_group_id": sg, "ip_protocol": "gre", "from_port": 1, "to_port": 2}),
        json!({"parent_group_id": "not-a-uuid", "ip_protocol": "tcp", "from_port": 1, "to_port": 2}),
    ] {
        rule(bad).await.expect_nova(400, "badRequest");
    }
    rule(json!({"parent_group_id": uuid::Uuid::new_v4().to_string(), "ip_protocol": "icmp"}))
        .await
        .expect_nova(404, "itemNotFound");
    let listed = old(Method::GET, "/os-security-groups".into(), "user", None)
        .await
        .expect(200)
        .body;
    let web = listed["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == sg.as_str())
        .unwrap_or_else(|| panic!("web in {listed}"))
        .clone();
    assert_eq!(web["rules"].as_array().unwrap().len(), 1, "{web}");
    let neutron = app
        .call(
            Method::GET,
            &format!("/networking/v2.0/security-groups/{sg}"),
            token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(neutron.body["security_group"]["name"], "web");
    let renamed = old(
        Method::PUT,
        format!("/os-security-groups/{sg}"),
        "user",
        Some(json!({"security_group": {"name": "web2", "description": "front"}})),
    )
    .await
    .expect(200);
    assert_eq!(renamed.body["security_group"]["name"], "web2");
    old(
        Method::DELETE,
        format!("/os-security-group-rules/{}", r["id"].as_str().unwrap()),
        "user",
        None,
    )
    .await
    .expect(202);
    let default = listed["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "default")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    old(
        Method::DELETE,
        format!("/os-security-groups/{default}"),
        "user",
        None,
    )
    .await
    .expect_nova(400, "badRequest");
    old(
        Method::DELETE,
        format!("/os-security-groups/{sg}"),
        "user",
        None,
    )
    .await
    .expect(202);
    old(
        Method::GET,
        format!("/os-security-groups/{sg}"),
        "user",
        None,
    )
    .await
    .expect_nova(404, "itemNotFound");
    app.nova_at(
        Some("compute 2.36"),
        Method::GET,
        "/os-security-groups",
        token,
        None,
    )
    .await
    .expect_nova(404, "itemNotFound");

    // Hosts: the compute node and the controller's services; a compute host's resources.
    let hosts = old(Method::GET, "/os-hosts".into(), "admin", None)
        .await
        .expect(200)
        .body["hosts"]
        .clone();
    let compute = hosts
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["service"] == "compute")
        .unwrap_or_else(|| panic!("a compute host in {hosts}"))["host_name"]
        .as_str()
        .unwrap()
        .to_string();
    let internal = old(Method::GET, "/os-hosts?zone=internal".into(), "admin", None)
        .await
        .expect(200);
    assert_eq!(internal.body["hosts"].as_array().unwrap().len(), 2);
    let none = old(Method::GET, "/os-hosts?zone=xxx".into(), "admin", None)
        .await
        .expect(200);
    assert_eq!(none.body["hosts"], json!([]));
    old(Method::GET, "/os-hosts".into(), "user", None)
        .await
        .expect_nova(403, "forbidden");
    let shown = old(Method::GET, format!("/os-hosts/{compute}"), "admin", None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        shown["host"][0]["resource"]["project"], "(total)",
        "{shown}"
    );
    assert!(shown["host"][0]["resource"]["cpu"].as_i64().unwrap() > 0);
    old(Method::GET, "/os-hosts/nowhere".into(), "admin", None)
        .await
        .expect_nova(404, "itemNotFound");
    // Power actions: refused to members, and not offered to administrators.
    let reboot = format!("/os-hosts/{compute}/reboot");
    old(Method::GET, reboot.clone(), "user", None)
        .await
        .expect_nova(403, "forbidden");
    let message = old(Method::GET, reboot, "admin", None)
        .await
        .expect_nova(400, "badRequest")
        .nova_message();
    assert!(message.contains("reboot"), "{message}");
    let off = old(
        Method::PUT,
        format!("/os-hosts/{compute}"),
        "admin",
        Some(json!({"status": "disable"})),
    )
    .await
    .expect(200);
    assert_eq!(off.body["status"], "disabled");
    old(
        Method::PUT,
        format!("/os-hosts/{compute}"),
        "admin",
        Some(json!({"status": "enable"})),
    )
    .await
    .expect(200);
    old(
        Method::PUT,
        format!("/os-hosts/{compute}"),
        "admin",
        Some(json!({"status": "sideways"})),
    )
    .await
    .expect_nova(400, "badRequest");
    app.nova_at(Some("compute 2.43"), Method::GET, "/os-hosts", admin, None)
        .await
        .expect_nova(404, "itemNotFound");

    // Hypervisor search by part of the host name.
    let part = &compute[..compute.len().min(2)];
    let found = old(
        Method::GET,
        format!("/os-hypervisors/{part}/search"),
        "admin",
        None,
    )
    .await
    .expect(200);
    assert_eq!(
        found.body["hypervisors"][0]["hypervisor_hostname"],
        compute.as_str()
    );
    old(
        Method::GET,
        "/os-hypervisors/no-such-host/servers".into(),
        "admin",
        None,
    )
    .await
    .expect_nova(404, "itemNotFound");

    // The usage audit: the last whole month, no host has audited it (no audit task runs).
    let audit = old(
        Method::GET,
        "/os-instance_usage_audit_log/2026-12-07%2015:52:24".into(),
        "admin",
        None,
    )
    .await
    .expect(200)
    .body["instance_usage_audit_log"]
        .clone();
    assert_eq!(audit["period_beginning"], "2026-11-01 00:00:00", "{audit}");
    assert_eq!(audit["period_ending"], "2026-12-01 00:00:00");
    assert_eq!(audit["hosts_not_run"], json!([compute]));
    assert_eq!(audit["overall_status"], "0 of 1 hosts done. 0 errors.");
    old(
        Method::GET,
        "/os-instance_usage_audit_log/invalid_time".into(),
        "admin",
        None,
    )
    .await
    .expect_nova(400, "badRequest");
    old(
        Method::GET,
        "/os-instance_usage_audit_log".into(),
        "user",
        None,
    )
    .await
    .expect_nova(403, "forbidden");

    // Images through the proxy: Nova's status for Glance's, properties as metadata.
    let image = &w.image;
    let listed = old(Method::GET, "/images".into(), "user", None)
        .await
        .expect(200)
        .body;
    assert!(listed["images"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == image.as_str() && i["links"][2]["rel"] == "alternate"));
    let shown = old(Method::GET, format!("/images/{image}"), "user", None)
        .await
        .expect(200)
        .body["image"]
        .clone();
    assert_eq!(
        (shown["status"].clone(), shown["progress"].clone()),
        (json!("ACTIVE"), json!(100))
    );
    assert_eq!(shown["minRam"], 64);
    let meta = old(
        Method::POST,
        format!("/images/{image}/metadata"),
        "user",
        Some(json!({"metadata": {"os_distro": "cirros", "purpose": "test"}})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(meta["metadata"]["purpose"], "test");
    let replaced = old(
        Method::PUT,
        format!("/images/{image}/metadata"),
        "user",
        Some(json!({"metadata": {"os_distro": "debian"}})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(replaced["metadata"], json!({"os_distro": "debian"}));
    let item = old(
        Method::GET,
        format!("/images/{image}/metadata/os_distro"),
        "user",
        None,
    )
    .await
    .expect(200);
    assert_eq!(item.body, json!({"meta": {"os_distro": "debian"}}));
    old(
        Method::DELETE,
        format!("/images/{image}/metadata/os_distro"),
        "user",
        None,
    )
    .await
    .expect(204);
    old(
        Method::GET,
        format!("/images/{image}/metadata/os_distro"),
        "user",
        None,
    )
    .await
    .expect_nova(404, "itemNotFound");
    app.nova_at(Some("compute 2.36"), Method::GET, "/images", token, None)
        .await
        .expect_nova(404, "itemNotFound");
    let doomed = upload_image(app, token, "doomed", json!({})).await;
    old(Method::DELETE, format!("/images/{doomed}"), "user", None)
        .await
        .expect(204);
    app.call(
        Method::GET,
        &format!("/image/v2/images/{doomed}"),
        token,
        None,
    )
    .await
    .expect_glance_error(404);

    // The extension list names what is answered.
    let ext = old(Method::GET, "/extensions".into(), "user", None)
        .await
        .expect(200)
        .body;
    assert!(ext["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "Hosts"));
    old(Method::GET, "/extensions/os-consoles".into(), "user", None)
        .await
        .expect(200);
    old(Method::GET, "/extensions/os-nothing".into(), "user", None)
        .await
        .expect_nova(404, "itemNotFound");
}

#[tokio::test]
async fn services_report_events_about_instances() {
    let w = world().await;
    let id = w.boot("evented").await;
    w.wait(&id, "ACTIVE").await;
    let events = |server: &str| json!({"events": [{"name": "network-vif-plugged", "server_uuid": server, "tag": "port-1"}]});
    // A project member is no service.
    w.app
        .nova(
            Method::POST,
            "/os-server-external-events",
            &w.user.token,
            Some(&events(&id)),
        )
        .await
        .expect_nova(403, "forbidden");
    // A user with the service role reports; each event comes back with its code.
    let svc = w.app.member("neutron", "svc", "service").await;
    let r = w
        .app
        .nova(
            Method::POST,
            "/os-server-external-events",
            &svc.token,
            Some(&events(&id)),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(r["events"][0]["code"], 200);
    assert_eq!(r["events"][0]["status"], "completed");
    assert_eq!(r["events"][0]["tag"], "port-1");
    let both = json!({"events": [
        {"name": "network-changed", "server_uuid": id},
        {"name": "network-changed", "server_uuid": "00000000-0000-0000-0000-000000000000"},
    ]});
    let r = w
        .app
        .nova(
            Method::POST,
            "/os-server-external-events",
            &w.admin,
            Some(&both),
        )
        .await
        .expect(207)
        .body;
    assert_eq!(r["events"][1]["code"], 404);
    assert_eq!(r["events"][1]["status"], "failed");
    w.app
        .nova(
            Method::POST,
            "/os-server-external-events",
            &w.admin,
            Some(&json!({"events": [{"name": "reboot-please", "server_uuid": id}]})),
        )
        .await
        .expect_nova(400, "badRequest");
}

#[tokio::test]
async fn access_addresses_and_disk_config_are_kept_as_nova_keeps_them() {
    let w = world().await;
    let r = w
        .app
        .nova(
            Method::POST,
            "/servers",
            &w.user.token,
            Some(
                &json!({"server": {"name": "labelled", "imageRef": w.image, "flavorRef": w.flavor,
                "networks": "none", "accessIPv4": "192.0.2.10",
                "accessIPv6": "0000:0000:0000:0000:0000:babe:220.12.22.2",
                "OS-DCF:diskConfig": "AUTO"}}),
            ),
        )
        .await
        .expect(202);
    assert_eq!(r.body["server"]["OS-DCF:diskConfig"], "AUTO");
    let id = r.body["server"]["id"].as_str().unwrap().to_string();
    let s = w.wait(&id, "ACTIVE").await;
    assert_eq!(s["accessIPv4"], "192.0.2.10");
    assert_eq!(s["accessIPv6"], "::babe:dc0c:1602");
    assert_eq!(s["OS-DCF:diskConfig"], "AUTO");
    // An update changes them; a bad address or disk configuration is refused.
    let u = w
        .app
        .nova(
            Method::PUT,
            &format!("/servers/{id}"),
            &w.user.token,
            Some(&json!({"server": {"accessIPv4": "198.51.100.1", "OS-DCF:diskConfig": "MANUAL"}})),
        )
        .await
        .expect(200)
        .body["server"]
        .clone();
    assert_eq!(u["accessIPv4"], "198.51.100.1");
    assert_eq!(u["OS-DCF:diskConfig"], "MANUAL");
    for bad in [
        json!({"server": {"accessIPv4": "1.2.3.4.5"}}),
        json!({"server": {"accessIPv6": "not-an-address"}}),
        json!({"server": {"OS-DCF:diskConfig": "SOMETIMES"}}),
    ] {
        w.app
            .nova(
                Method::PUT,
                &format!("/servers/{id}"),
                &w.user.token,
                Some(&bad),
            )
            .await
            .expect_nova(400, "badRequest");
    }
    // Nothing is soft-deleted, so restore and forceDelete find the server in the wrong
    // state.
    for action in ["restore", "forceDelete"] {
        w.act(&id, json!({ action: null }))
            .await
            .expect_nova(409, "conflictingRequest");
    }
    // A rebuild answers with the new image at once.
    let other = upload_image(&w.app, &w.user.token, "other", json!({})).await;
    let rebuilt = w
        .act(
            &id,
            json!({"rebuild": {"imageRef": other, "OS-DCF:diskConfig": "AUTO"}}),
        )
        .await
        .expect(202)
        .body["server"]
        .clone();
    assert_eq!(rebuilt["image"]["id"], other.as_str());
    assert_eq!(rebuilt["OS-DCF:diskConfig"], "AUTO");
}
