//! Placement: the compute node as a resource provider whose inventory the scheduler's
//! claims are recorded against, and the API's own rules (generations, capacity, custom
//! classes and traits, filters, microversions, error codes).

use reqwest::Method;
use serde_json::{json, Value};

use crate::compute::world;
use crate::helpers::{Reply, TestApp};

impl TestApp {
    /// A Placement call at a microversion (`None`: the default, 1.0).
    async fn placement(
        &self,
        method: Method,
        path: &str,
        token: &str,
        mv: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mv = mv.map(|mv| format!("placement {mv}"));
        let headers: Vec<(&str, &str)> = mv
            .as_deref()
            .map(|mv| ("OpenStack-API-Version", mv))
            .into_iter()
            .collect();
        self.call_with(method, &format!("/placement{path}"), token, &headers, body)
            .await
    }
}

impl Reply {
    /// Asserts Placement's error body and its code.
    fn expect_placement(self, status: u16, code: &str) -> Reply {
        let r = self.expect(status);
        let e = &r.body["errors"][0];
        assert_eq!(e["status"], status, "{}", r.text);
        assert!(
            e["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            r.text
        );
        assert_eq!(e["code"], code, "{}", r.text);
        r
    }
}

const LATEST: Option<&str> = Some("1.24");

#[tokio::test]
async fn the_compute_node_is_a_provider_and_instances_hold_their_flavors_on_it() {
    let w = world().await;
    let app = &w.app;
    // The version document needs no token, and the catalog names the service.
    let r = app
        .placement(Method::GET, "/", "", None, None)
        .await
        .expect(200);
    assert_eq!(r.body["versions"][0]["max_version"], "1.24", "{}", r.text);
    assert_eq!(r.header("openstack-api-version"), Some("placement 1.0"));
    let catalog = app.get("/v3/auth/catalog", &w.admin).await.expect(200);
    assert!(
        catalog.body["catalog"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["type"] == "placement"),
        "{}",
        catalog.text
    );

    let hypervisor = app
        .nova_at(
            Some("compute 2.53"),
            Method::GET,
            "/os-hypervisors",
            &w.admin,
            None,
        )
        .await
        .expect(200)
        .body["hypervisors"][0]
        .clone();
    let rp = app
        .placement(Method::GET, "/resource_providers", &w.admin, LATEST, None)
        .await
        .expect(200)
        .body["resource_providers"][0]
        .clone();
    assert_eq!(rp["uuid"], hypervisor["id"], "{rp}");
    assert_eq!(rp["name"], hypervisor["hypervisor_hostname"], "{rp}");
    assert_eq!(rp["root_provider_uuid"], rp["uuid"]);
    let uuid = rp["uuid"].as_str().unwrap().to_string();
    let inv = app
        .placement(
            Method::GET,
            &format!("/resource_providers/{uuid}/inventories"),
            &w.admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    for class in ["VCPU", "MEMORY_MB", "DISK_GB"] {
        assert!(
            inv["inventories"][class]["total"].as_i64().unwrap() > 0,
            "{inv}"
        );
    }
    assert_eq!(inv["inventories"]["VCPU"]["allocation_ratio"], 4.0);
    let traits = app
        .placement(
            Method::GET,
            &format!("/resource_providers/{uuid}/traits"),
            &w.admin,
            Some("1.6"),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(traits["traits"], json!(["COMPUTE_NODE"]));

    // Nova's host aggregates are mirrored: the host's provider joins and leaves them.
    let aggregate = app
        .nova_at(
            Some("compute 2.41"),
            Method::POST,
            "/os-aggregates",
            &w.admin,
            Some(&json!({"aggregate": {"name": "rack-1"}})),
        )
        .await
        .expect(200)
        .body["aggregate"]
        .clone();
    // The provider is named after the node's host.
    let host = rp["name"].as_str().unwrap().to_string();
    for (action, expected) in [
        ("add_host", json!([aggregate["uuid"]])),
        ("remove_host", json!([])),
    ] {
        app.nova(
            Method::POST,
            &format!("/os-aggregates/{}/action", aggregate["id"]),
            &w.admin,
            Some(&json!({ action: {"host": host} })),
        )
        .await
        .expect(200);
        let r = app
            .placement(
                Method::GET,
                &format!("/resource_providers/{uuid}/aggregates"),
                &w.admin,
                LATEST,
                None,
            )
            .await
            .expect(200);
        assert_eq!(r.body["aggregates"], expected, "after {action}");
    }

    // Booting claims the flavor (2 VCPU, 512 MB, 1 GB) on the node for the instance.
    let server = w.boot("vm-1").await;
    w.wait(&server, "ACTIVE").await;
    let held = app
        .placement(
            Method::GET,
            &format!("/allocations/{server}"),
            &w.admin,
            Some("1.12"),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        held["allocations"][&uuid]["resources"],
        json!({"VCPU": 2, "MEMORY_MB": 512, "DISK_GB": 1}),
        "{held}"
    );
    assert_eq!(held["project_id"], w.user.project_id.as_str());
    let usages = app
        .placement(
            Method::GET,
            &format!("/resource_providers/{uuid}/usages"),
            &w.admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(usages["usages"]["VCPU"], 2, "{usages}");
    let project = app
        .placement(
            Method::GET,
            &format!("/usages?project_id={}", w.user.project_id),
            &w.admin,
            Some("1.9"),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(project["usages"]["MEMORY_MB"], 512, "{project}");
    let on_node = app
        .placement(
            Method::GET,
            &format!("/resource_providers/{uuid}/allocations"),
            &w.admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(on_node["allocations"][&server]["resources"]["VCPU"], 2);

    // A resize to a flavor the node cannot hold is refused at once with Nova's words, and
    // the instance and what it holds stay as they were.
    app.nova(
        Method::PUT,
        &format!("/os-quota-sets/{}", w.user.project_id),
        &w.admin,
        Some(&json!({"quota_set": {"cores": 100000}})),
    )
    .await
    .expect(200);
    let huge = app
        .nova(
            Method::POST,
            "/flavors",
            &w.admin,
            Some(&json!({"flavor": {"name": "huge", "vcpus": 50000, "ram": 512, "disk": 1}})),
        )
        .await
        .expect(200)
        .body["flavor"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = w
        .act(&server, json!({"resize": {"flavorRef": huge}}))
        .await
        .expect_nova(400, "badRequest");
    assert!(r.text.contains("No valid host"), "{}", r.text);
    let s = w.server(&server).await;
    assert_eq!(s["status"], "ACTIVE", "{s}");
    assert!(s["OS-EXT-STS:task_state"].is_null(), "{s}");
    let held = app
        .placement(
            Method::GET,
            &format!("/allocations/{server}"),
            &w.admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(held["allocations"][&uuid]["resources"]["VCPU"], 2, "{held}");

    // The node with an instance on it cannot go; the instance's delete lets go of it all.
    app.placement(
        Method::DELETE,
        &format!("/resource_providers/{uuid}"),
        &w.admin,
        LATEST,
        None,
    )
    .await
    .expect_placement(409, "placement.resource_provider.inuse");
    app.nova(
        Method::DELETE,
        &format!("/servers/{server}"),
        &w.user.token,
        None,
    )
    .await
    .expect(204);
    w.wait_gone(&server).await;
    let held = app
        .placement(
            Method::GET,
            &format!("/allocations/{server}"),
            &w.admin,
            None,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(held["allocations"], json!({}), "{held}");

    // Others see nothing of it.
    app.placement(
        Method::GET,
        "/resource_providers",
        &w.user.token,
        LATEST,
        None,
    )
    .await
    .expect_placement(403, "placement.undefined_code");
    // Below 1.23 an error names no code.
    let r = app
        .placement(
            Method::GET,
            "/resource_providers",
            &w.user.token,
            Some("1.22"),
            None,
        )
        .await
        .expect(403);
    assert!(r.body["errors"][0].get("code").is_none(), "{}", r.text);
}

#[tokio::test]
async fn providers_follow_placement_rules_for_generations_capacity_and_filters() {
    let w = world().await;
    let app = &w.app;
    let admin = w.admin.as_str();
    let call = |method: Method, path: String, mv: Option<&'static str>, body: Option<Value>| async move {
        app.placement(method, &path, admin, mv, body.as_ref()).await
    };
    // Below 1.20 a create answers 201 with only a Location; from 1.20 the provider.
    let r = call(
        Method::POST,
        "/resource_providers".into(),
        None,
        Some(json!({"name": "shared-disk"})),
    )
    .await
    .expect(201);
    assert!(r
        .header("location")
        .unwrap()
        .starts_with("/placement/resource_providers/"));
    let made = call(
        Method::POST,
        "/resource_providers".into(),
        LATEST,
        Some(json!({"name": "gpu-box"})),
    )
    .await
    .expect(200)
    .body;
    let rp = made["uuid"].as_str().unwrap().to_string();
    assert_eq!(made["generation"], 0);
    call(
        Method::POST,
        "/resource_providers".into(),
        LATEST,
        Some(json!({"name": "gpu-box"})),
    )
    .await
    .expect_placement(409, "placement.duplicate_name");
    call(
        Method::POST,
        "/resource_providers".into(),
        LATEST,
        Some(json!({"name": "x", "colour": "red"})),
    )
    .await
    .expect_placement(400, "placement.undefined_code");

    // A custom class, made idempotently from 1.7; a bad name is refused.
    call(
        Method::PUT,
        "/resource_classes/CUSTOM_GPU".into(),
        Some("1.7"),
        None,
    )
    .await
    .expect(201);
    call(
        Method::PUT,
        "/resource_classes/CUSTOM_GPU".into(),
        Some("1.7"),
        None,
    )
    .await
    .expect(204);
    call(
        Method::POST,
        "/resource_classes".into(),
        Some("1.2"),
        Some(json!({"name": "gpu"})),
    )
    .await
    .expect(400);

    // Inventories are written at the generation they were read at.
    let inventories = json!({"VCPU": {"total": 8}, "CUSTOM_GPU": {"total": 2, "max_unit": 2}});
    call(
        Method::PUT,
        format!("/resource_providers/{rp}/inventories"),
        LATEST,
        Some(json!({"resource_provider_generation": 5, "inventories": inventories})),
    )
    .await
    .expect_placement(409, "placement.concurrent_update");
    let r = call(
        Method::PUT,
        format!("/resource_providers/{rp}/inventories"),
        None,
        Some(json!({"resource_provider_generation": 0, "inventories": inventories})),
    )
    .await
    .expect(200);
    assert_eq!(r.body["resource_provider_generation"], 1);
    assert_eq!(r.body["inventories"]["CUSTOM_GPU"]["step_size"], 1);
    call(
        Method::PUT,
        format!("/resource_providers/{rp}/inventories"),
        None,
        Some(json!({"resource_provider_generation": 1, "inventories": {"VCPU": {"total": 4, "reserved": 4}}})),
    )
    .await
    .expect(400);
    call(
        Method::PUT,
        format!("/resource_providers/{rp}/inventories"),
        None,
        Some(json!({"resource_provider_generation": 1, "inventories": {"CUSTOM_NOPE": {"total": 1}}})),
    )
    .await
    .expect(400);

    // Traits: custom ones are made with PUT; a provider's are set at its generation.
    call(Method::PUT, "/traits/CUSTOM_FAST".into(), Some("1.6"), None)
        .await
        .expect(201);
    call(Method::PUT, "/traits/fast".into(), Some("1.6"), None)
        .await
        .expect(400);
    let r = call(
        Method::PUT,
        format!("/resource_providers/{rp}/traits"),
        Some("1.6"),
        Some(json!({"resource_provider_generation": 1, "traits": ["CUSTOM_FAST", "HW_CPU_X86_AVX2"]})),
    )
    .await
    .expect(200);
    assert_eq!(r.body["resource_provider_generation"], 2);
    call(
        Method::PUT,
        format!("/resource_providers/{rp}/traits"),
        Some("1.6"),
        Some(json!({"resource_provider_generation": 2, "traits": ["CUSTOM_MISSING"]})),
    )
    .await
    .expect(400);
    let names = |v: &Value| -> Vec<String> {
        v["resource_providers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let r = call(
        Method::GET,
        "/resource_providers?required=CUSTOM_FAST".into(),
        LATEST,
        None,
    )
    .await
    .expect(200);
    assert_eq!(names(&r.body), ["gpu-box"]);
    let r = call(
        Method::GET,
        "/resource_providers?required=!CUSTOM_FAST&name=gpu-box".into(),
        LATEST,
        None,
    )
    .await
    .expect(200);
    assert!(names(&r.body).is_empty(), "{}", r.text);
    let r = call(
        Method::GET,
        "/resource_providers?resources=CUSTOM_GPU:2".into(),
        LATEST,
        None,
    )
    .await
    .expect(200);
    assert_eq!(names(&r.body), ["gpu-box"]);
    // Aggregates, with the generation from 1.19, and member_of.
    let agg = "5d5c0fd1-3dc0-4c7a-9d63-2d0d1c6f0b7e";
    let r = call(
        Method::PUT,
        format!("/resource_providers/{rp}/aggregates"),
        LATEST,
        Some(json!({"resource_provider_generation": 2, "aggregates": [agg]})),
    )
    .await
    .expect(200);
    assert_eq!(r.body["resource_provider_generation"], 3);
    let r = call(
        Method::GET,
        format!("/resource_providers?member_of=in:{agg}"),
        LATEST,
        None,
    )
    .await
    .expect(200);
    assert_eq!(names(&r.body), ["gpu-box"]);
    call(
        Method::GET,
        format!("/resource_providers/{rp}/aggregates"),
        None,
        None,
    )
    .await
    .expect(404);
    // Before 1.19 the list is written bare and moves no generation.
    let r = call(
        Method::PUT,
        format!("/resource_providers/{rp}/aggregates"),
        Some("1.6"),
        Some(json!([agg])),
    )
    .await
    .expect(200);
    assert_eq!(r.body, json!({ "aggregates": [agg] }));
    let r = call(
        Method::GET,
        format!("/resource_providers/{rp}"),
        LATEST,
        None,
    )
    .await
    .expect(200);
    assert_eq!(r.body["generation"], 3);

    // Allocations are checked against capacity and units; all of a POST, or none.
    let consumer = "0d7d2a2c-0b0a-4f53-9a2c-54e3d1ef4c11";
    let put = |resources: Value| {
        call(
            Method::PUT,
            format!("/allocations/{consumer}"),
            LATEST,
            Some(
                json!({"allocations": {&rp: {"resources": resources}}, "project_id": w.user.project_id, "user_id": w.user.user_id}),
            ),
        )
    };
    put(json!({"CUSTOM_GPU": 3})).await.expect(409);
    call(
        Method::PUT,
        format!("/allocations/{consumer}"),
        LATEST,
        Some(json!({"allocations": {}, "project_id": "p", "user_id": "u"})),
    )
    .await
    .expect(400);
    put(json!({"VCPU": 33})).await.expect(409);
    put(json!({"CUSTOM_GPU": 2, "VCPU": 4})).await.expect(204);
    // The GPUs are all taken, so neither of these is written.
    let other = "7e1e3a57-52f5-4c56-8d1b-6a0a34f0e5aa";
    let third = "c3f9a0de-8f0e-4f43-a51f-5b1b2ef3d0a1";
    call(
        Method::POST,
        "/allocations".into(),
        LATEST,
        Some(json!({
            other: {"allocations": {&rp: {"resources": {"VCPU": 1}}}, "project_id": "p", "user_id": "u"},
            third: {"allocations": {&rp: {"resources": {"CUSTOM_GPU": 1}}}, "project_id": "p", "user_id": "u"},
        })),
    )
    .await
    .expect(409);
    let usages = call(
        Method::GET,
        format!("/resource_providers/{rp}/usages"),
        None,
        None,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        usages["usages"],
        json!({"CUSTOM_GPU": 2, "VCPU": 4}),
        "{usages}"
    );

    // Candidates: the providers with room, and what they hold.
    let r = call(
        Method::GET,
        "/allocation_candidates?resources=VCPU:4&required=CUSTOM_FAST".into(),
        LATEST,
        None,
    )
    .await
    .expect(200);
    assert_eq!(
        r.body["allocation_requests"],
        json!([{"allocations": {&rp: {"resources": {"VCPU": 4}}}}]),
        "{}",
        r.text
    );
    assert_eq!(
        r.body["provider_summaries"][&rp]["resources"]["VCPU"],
        json!({"capacity": 8, "used": 4})
    );
    let r = call(
        Method::GET,
        "/allocation_candidates?resources=CUSTOM_GPU:1".into(),
        LATEST,
        None,
    )
    .await
    .expect(200);
    assert_eq!(
        r.body["allocation_requests"],
        json!([]),
        "the GPUs are taken"
    );

    // What consumers hold cannot be taken away; once let go, it can.
    call(
        Method::DELETE,
        format!("/resource_providers/{rp}/inventories/CUSTOM_GPU"),
        LATEST,
        None,
    )
    .await
    .expect_placement(409, "placement.inventory.inuse");
    call(
        Method::DELETE,
        "/resource_classes/CUSTOM_GPU".into(),
        Some("1.2"),
        None,
    )
    .await
    .expect(409);
    call(
        Method::DELETE,
        format!("/allocations/{consumer}"),
        None,
        None,
    )
    .await
    .expect(204);
    call(
        Method::DELETE,
        format!("/allocations/{consumer}"),
        None,
        None,
    )
    .await
    .expect(404);
    call(
        Method::DELETE,
        format!("/resource_providers/{rp}"),
        None,
        None,
    )
    .await
    .expect(204);
    call(
        Method::GET,
        format!("/resource_providers/{rp}"),
        LATEST,
        None,
    )
    .await
    .expect_placement(404, "placement.resource_provider.not_found");
    call(
        Method::DELETE,
        "/resource_classes/CUSTOM_GPU".into(),
        Some("1.2"),
        None,
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn microversions_and_queries_outside_the_api_are_refused() {
    let w = world().await;
    let app = &w.app;
    app.placement(
        Method::GET,
        "/resource_providers",
        &w.admin,
        Some("1.25"),
        None,
    )
    .await
    .expect(406);
    // osc-placement negotiates at the root: it asks for its own highest version and
    // falls back to the `max_version` of the refusal.
    let r = app
        .placement(Method::GET, "/", "", Some("1.29"), None)
        .await
        .expect(406);
    assert_eq!(r.body["errors"][0]["max_version"], "1.24", "{}", r.text);
    assert_eq!(r.body["errors"][0]["min_version"], "1.0", "{}", r.text);
    let r = app
        .placement(Method::GET, "/", "", Some("1.24"), None)
        .await
        .expect(200);
    assert_eq!(r.header("openstack-api-version"), Some("placement 1.24"));
    app.placement(
        Method::GET,
        "/resource_providers",
        &w.admin,
        Some("one"),
        None,
    )
    .await
    .expect(400);
    let r = app
        .placement(
            Method::GET,
            "/resource_providers",
            &w.admin,
            Some("latest"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.header("openstack-api-version"), Some("placement 1.24"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    // A filter from a later microversion is an unknown parameter.
    app.placement(
        Method::GET,
        "/resource_providers?required=COMPUTE_NODE",
        &w.admin,
        Some("1.17"),
        None,
    )
    .await
    .expect(400);
    app.placement(
        Method::GET,
        "/resource_providers?resources=VCPU",
        &w.admin,
        LATEST,
        None,
    )
    .await
    .expect(400);
    app.placement(Method::GET, "/usages", &w.admin, LATEST, None)
        .await
        .expect(400);
    app.placement(Method::GET, "/traits", &w.admin, Some("1.5"), None)
        .await
        .expect(404);
    app.placement(
        Method::DELETE,
        "/traits/HW_CPU_X86_AVX2",
        &w.admin,
        LATEST,
        None,
    )
    .await
    .expect(400);
    let r = app
        .placement(
            Method::GET,
            "/traits?name=startswith:COMPUTE_ARCH",
            &w.admin,
            LATEST,
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["traits"],
        json!(["COMPUTE_ARCH_AARCH64", "COMPUTE_ARCH_X86_64"])
    );
    app.placement(
        Method::GET,
        "/resource_providers/8a0b8f3e-1111-4c1b-9d2e-000000000000",
        &w.admin,
        LATEST,
        None,
    )
    .await
    .expect_placement(404, "placement.resource_provider.not_found");
    // A tree that does not exist holds no providers; unknown classes and traits are
    // mistakes.
    let r = app
        .placement(
            Method::GET,
            "/resource_providers?in_tree=8a0b8f3e-1111-4c1b-9d2e-000000000000",
            &w.admin,
            LATEST,
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["resource_providers"], json!([]));
    for query in [
        "/resource_providers?resources=CUSTOM_NOPE:1",
        "/resource_providers?required=CUSTOM_NOPE",
        "/resource_providers?member_of=8a0b8f3e-1111-4c1b-9d2e-000000000000,8a0b8f3e-1111-4c1b-9d2e-000000000001",
    ] {
        app.placement(Method::GET, query, &w.admin, LATEST, None)
            .await
            .expect(400);
    }
}
