//! Where instances go: host aggregates and the availability zones they make, and server
//! groups whose policies the scheduler honours (the fake driver is one host, `vm` or
//! whatever the machine is called, so anti-affinity has room for one member).

use reqwest::Method;
use serde_json::{json, Value};

use crate::compute::{world, World};

async fn host(w: &World) -> String {
    w.app
        .nova(Method::GET, "/os-hypervisors", &w.admin, None)
        .await
        .expect(200)
        .body["hypervisors"][0]["hypervisor_hostname"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn aggregate_action(w: &World, id: &Value, action: Value) -> crate::helpers::Reply {
    w.app
        .nova(
            Method::POST,
            &format!("/os-aggregates/{id}/action"),
            &w.admin,
            Some(&action),
        )
        .await
}

async fn zones(w: &World, token: &str) -> Vec<String> {
    w.app
        .nova(Method::GET, "/os-availability-zone", token, None)
        .await
        .expect(200)
        .body["availabilityZoneInfo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["zoneName"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_aggregate_with_a_zone_moves_its_hosts_and_their_instances_there() {
    let w = world().await;
    let host = host(&w).await;
    let made = w
        .app
        .nova(
            Method::POST,
            "/os-aggregates",
            &w.admin,
            Some(&json!({"aggregate": {"name": "rack-1"}})),
        )
        .await
        .expect(200)
        .body["aggregate"]
        .clone();
    let id = made["id"].clone();
    assert!(id.is_i64(), "Nova's aggregate ids are integers: {made}");
    assert!(
        made.get("hosts").is_none(),
        "the create answer has no hosts"
    );
    // Names are unique; hosts must exist and join once.
    w.app
        .nova(
            Method::POST,
            "/os-aggregates",
            &w.admin,
            Some(&json!({"aggregate": {"name": "rack-1"}})),
        )
        .await
        .expect_nova(409, "conflictingRequest");
    w.app
        .nova(
            Method::POST,
            "/os-aggregates",
            &w.admin,
            Some(&json!({"aggregate": {"name": ""}})),
        )
        .await
        .expect_nova(400, "badRequest");
    aggregate_action(&w, &id, json!({"add_host": {"host": "no-such-host"}}))
        .await
        .expect_nova(404, "itemNotFound");
    let a = aggregate_action(&w, &id, json!({"add_host": {"host": host}}))
        .await
        .expect(200)
        .body["aggregate"]
        .clone();
    assert_eq!(a["hosts"], json!([host]));
    aggregate_action(&w, &id, json!({"add_host": {"host": host}}))
        .await
        .expect_nova(409, "conflictingRequest");
    // Until the aggregate has a zone its host stays in the default one.
    assert_eq!(zones(&w, &w.user.token).await, ["nova"]);
    let a = aggregate_action(
        &w,
        &id,
        json!({"set_metadata": {"metadata": {"availability_zone": "east", "ssd": "true"}}}),
    )
    .await
    .expect(200)
    .body["aggregate"]
        .clone();
    assert_eq!(a["availability_zone"], "east");
    assert_eq!(
        a["metadata"],
        json!({"availability_zone": "east", "ssd": "true"})
    );
    assert_eq!(zones(&w, &w.user.token).await, ["east"]);
    aggregate_action(
        &w,
        &id,
        json!({"set_metadata": {"metadata": {"availability_zone": ""}}}),
    )
    .await
    .expect_nova(400, "badRequest");
    // A second aggregate cannot put the same host in another zone.
    let other = w
        .app
        .nova(
            Method::POST,
            "/os-aggregates",
            &w.admin,
            Some(&json!({"aggregate": {"name": "rack-2", "availability_zone": "west"}})),
        )
        .await
        .expect(200)
        .body["aggregate"]["id"]
        .clone();
    aggregate_action(&w, &other, json!({"add_host": {"host": host}}))
        .await
        .expect_nova(409, "conflictingRequest");
    // Instances go to the zone asked for, and a zone without hosts is refused.
    let r = w
        .app
        .nova(
            Method::POST,
            "/servers",
            &w.user.token,
            Some(
                &json!({"server": {"name": "z", "imageRef": w.image, "flavorRef": w.flavor,
                "networks": "none", "availability_zone": "west"}}),
            ),
        )
        .await;
    let message = r.expect_nova(400, "badRequest").nova_message();
    assert!(message.contains("west"), "{message}");
    let r = w
        .app
        .nova(
            Method::POST,
            "/servers",
            &w.user.token,
            Some(
                &json!({"server": {"name": "e", "imageRef": w.image, "flavorRef": w.flavor,
                "networks": "none", "availability_zone": "east"}}),
            ),
        )
        .await
        .expect(202);
    let server_id = r.body["server"]["id"].as_str().unwrap().to_string();
    let s = w.wait(&server_id, "ACTIVE").await;
    assert_eq!(s["OS-EXT-AZ:availability_zone"], "east");
    // The services list and the zones' detail show the host in its zone.
    let services = w
        .app
        .nova(Method::GET, "/os-services", &w.admin, None)
        .await
        .expect(200)
        .body;
    assert_eq!(services["services"][0]["zone"], "east");
    let detail = w
        .app
        .nova(Method::GET, "/os-availability-zone/detail", &w.admin, None)
        .await
        .expect(200)
        .body;
    let east = &detail["availabilityZoneInfo"][0];
    assert_eq!(east["zoneName"], "east");
    assert!(
        east["hosts"][&host]["nova-compute"]["available"] == true,
        "{detail}"
    );
    // Members of a project see none of it.
    w.app
        .nova(Method::GET, "/os-aggregates", &w.user.token, None)
        .await
        .expect_nova(403, "forbidden");
    // An aggregate with hosts is not deleted; without them it is.
    w.app
        .nova(
            Method::DELETE,
            &format!("/os-aggregates/{id}"),
            &w.admin,
            None,
        )
        .await
        .expect_nova(400, "badRequest");
    aggregate_action(&w, &id, json!({"remove_host": {"host": host}}))
        .await
        .expect(200);
    aggregate_action(&w, &id, json!({"remove_host": {"host": host}}))
        .await
        .expect_nova(404, "itemNotFound");
    assert_eq!(zones(&w, &w.user.token).await, ["nova"]);
    w.app
        .nova(
            Method::DELETE,
            &format!("/os-aggregates/{id}"),
            &w.admin,
            None,
        )
        .await
        .expect(200);
    w.app
        .nova(Method::GET, &format!("/os-aggregates/{id}"), &w.admin, None)
        .await
        .expect_nova(404, "itemNotFound");
    let renamed = w
        .app
        .nova(
            Method::PUT,
            &format!("/os-aggregates/{other}"),
            &w.admin,
            Some(&json!({"aggregate": {"name": "rack-2b"}})),
        )
        .await
        .expect(200)
        .body["aggregate"]
        .clone();
    assert_eq!(renamed["name"], "rack-2b");
    assert_eq!(renamed["availability_zone"], "west");
}

async fn group(w: &World, token: &str, policy: &str) -> crate::helpers::Reply {
    w.app
        .nova(
            Method::POST,
            "/os-server-groups",
            token,
            Some(&json!({"server_group": {"name": format!("{policy}-group"), "policy": policy}})),
        )
        .await
}

async fn boot_in(w: &World, name: &str, group: &str) -> String {
    w.app
        .nova(
            Method::POST,
            "/servers",
            &w.user.token,
            Some(
                &json!({"server": {"name": name, "imageRef": w.image, "flavorRef": w.flavor,
                "networks": "none"}, "os:scheduler_hints": {"group": group}}),
            ),
        )
        .await
        .expect(202)
        .body["server"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn server_groups_place_their_members_by_policy() {
    let w = world().await;
    let together =
        group(&w, &w.user.token, "affinity").await.expect(200).body["server_group"].clone();
    assert_eq!(together["policy"], "affinity");
    assert_eq!(together["rules"], json!({}));
    assert_eq!(together["members"], json!([]));
    let together = together["id"].as_str().unwrap().to_string();
    let apart = group(&w, &w.user.token, "anti-affinity")
        .await
        .expect(200)
        .body["server_group"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Affinity: both on the one host.
    let a = boot_in(&w, "a", &together).await;
    let b = boot_in(&w, "b", &together).await;
    w.wait(&a, "ACTIVE").await;
    w.wait(&b, "ACTIVE").await;
    // Anti-affinity: the one host takes one member; the second finds no valid host.
    let c = boot_in(&w, "c", &apart).await;
    w.wait(&c, "ACTIVE").await;
    let d = boot_in(&w, "d", &apart).await;
    let s = w.wait(&d, "ERROR").await;
    assert_eq!(
        s["fault"]["message"],
        "No valid host was found. There are not enough hosts available."
    );
    let shown = w
        .app
        .nova(
            Method::GET,
            &format!("/os-server-groups/{together}"),
            &w.user.token,
            None,
        )
        .await
        .expect(200)
        .body["server_group"]
        .clone();
    let mut members: Vec<&str> = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    members.sort();
    let mut expected = [a.as_str(), b.as_str()];
    expected.sort();
    assert_eq!(members, expected);
    // Before 2.64 a group has a list of policies and metadata; from it, one policy and
    // its rules.
    let older = w
        .app
        .nova_at(
            Some("compute 2.63"),
            Method::POST,
            "/os-server-groups",
            &w.user.token,
            Some(&json!({"server_group": {"name": "old-style", "policies": ["soft-affinity"]}})),
        )
        .await
        .expect(200)
        .body["server_group"]
        .clone();
    assert_eq!(older["policies"], json!(["soft-affinity"]));
    assert_eq!(older["metadata"], json!({}));
    let modern = w
        .app
        .nova_at(
            Some("compute 2.64"),
            Method::POST,
            "/os-server-groups",
            &w.user.token,
            Some(
                &json!({"server_group": {"name": "two-per-host", "policy": "anti-affinity",
                "rules": {"max_server_per_host": 2}}}),
            ),
        )
        .await
        .expect(200)
        .body["server_group"]
        .clone();
    assert_eq!(modern["policy"], "anti-affinity");
    assert_eq!(modern["rules"], json!({"max_server_per_host": 2}));
    // Bad policies and rules are refused.
    group(&w, &w.user.token, "friends")
        .await
        .expect_nova(400, "badRequest");
    w.app
        .nova_at(
            Some("compute 2.64"),
            Method::POST,
            "/os-server-groups",
            &w.user.token,
            Some(&json!({"server_group": {"name": "x", "policy": "affinity",
                "rules": {"max_server_per_host": 2}}})),
        )
        .await
        .expect_nova(400, "badRequest");
    // A create naming a group that does not exist is refused.
    w.app
        .nova(
            Method::POST,
            "/servers",
            &w.user.token,
            Some(
                &json!({"server": {"name": "x", "imageRef": w.image, "flavorRef": w.flavor,
                "networks": "none"}, "os:scheduler_hints": {"group": "no-such-group"}}),
            ),
        )
        .await
        .expect_nova(400, "badRequest");
    // Another project neither sees nor deletes the groups, nor boots into them.
    let other = w.app.member("bob", "beta", "member").await;
    let listed = w
        .app
        .nova(Method::GET, "/os-server-groups", &other.token, None)
        .await
        .expect(200)
        .body;
    assert_eq!(listed["server_groups"], json!([]));
    w.app
        .nova(
            Method::GET,
            &format!("/os-server-groups/{together}"),
            &other.token,
            None,
        )
        .await
        .expect_nova(404, "itemNotFound");
    w.app
        .nova(
            Method::DELETE,
            &format!("/os-server-groups/{together}"),
            &other.token,
            None,
        )
        .await
        .expect_nova(404, "itemNotFound");
    // The owner's list has the four; an administrator's all_projects list has them too.
    let mine = w
        .app
        .nova(Method::GET, "/os-server-groups", &w.user.token, None)
        .await
        .expect(200)
        .body["server_groups"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(mine, 4);
    let all = w
        .app
        .nova(
            Method::GET,
            "/os-server-groups?all_projects=true",
            &w.admin,
            None,
        )
        .await
        .expect(200)
        .body["server_groups"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(all, 4);
    // Deleting a member takes it out of the group; deleting the group leaves its members.
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
    let shown = w
        .app
        .nova(
            Method::GET,
            &format!("/os-server-groups/{together}"),
            &w.user.token,
            None,
        )
        .await
        .expect(200)
        .body["server_group"]
        .clone();
    assert_eq!(shown["members"], json!([b]));
    w.app
        .nova(
            Method::DELETE,
            &format!("/os-server-groups/{together}"),
            &w.user.token,
            None,
        )
        .await
        .expect(204);
    w.wait(&b, "ACTIVE").await;
}
