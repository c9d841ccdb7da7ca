//! The network service (Neutron v2.0) over HTTP: provider and project networks, subnets
//! with their pools, ports with addresses from IPAM (also under concurrency), isolation
//! between projects, quotas, and Neutron's faults.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Member, Reply, TestApp};

const BASE: &str = "/networking/v2.0";

impl TestApp {
    pub(crate) async fn neutron(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Reply {
        self.call(method, &format!("{BASE}{path}"), token, body)
            .await
    }
}

impl Reply {
    /// Asserts a Neutron fault: the status and `{"NeutronError": {"type", "message"}}`.
    #[track_caller]
    pub(crate) fn expect_neutron(self, status: u16, kind: &str) -> Reply {
        let r = self.expect(status);
        assert_eq!(r.body["NeutronError"]["type"], json!(kind), "{}", r.text);
        assert!(
            r.body["NeutronError"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            r.text
        );
        r
    }

    pub(crate) fn neutron_message(&self) -> String {
        self.body["NeutronError"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) admin: String,
    pub(crate) alice: Member,
}

pub(crate) async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let alice = app.member("alice", "alpha", "member").await;
    World { app, admin, alice }
}

impl World {
    pub(crate) async fn network(&self, token: &str, body: Value) -> Value {
        self.app
            .neutron(
                Method::POST,
                "/networks",
                token,
                Some(&json!({"network": body})),
            )
            .await
            .expect(201)
            .body["network"]
            .clone()
    }

    pub(crate) async fn subnet(&self, token: &str, body: Value) -> Value {
        self.app
            .neutron(
                Method::POST,
                "/subnets",
                token,
                Some(&json!({"subnet": body})),
            )
            .await
            .expect(201)
            .body["subnet"]
            .clone()
    }

    pub(crate) async fn port(&self, token: &str, body: Value) -> Reply {
        self.app
            .neutron(Method::POST, "/ports", token, Some(&json!({"port": body})))
            .await
    }
}

pub(crate) fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_catalog_and_version_documents_lead_clients_to_v2() {
    let w = world().await;
    let catalog = w
        .app
        .call(
            Method::GET,
            "/identity/v3/auth/catalog",
            &w.alice.token,
            None,
        )
        .await
        .expect(200)
        .body;
    let network = catalog["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "network")
        .expect("a network service in the catalog")
        .clone();
    let url = network["endpoints"][0]["url"].as_str().unwrap().to_string();
    assert!(url.ends_with("/networking"), "{url}");
    let r = w
        .app
        .call(Method::GET, "/networking/", &w.alice.token, None)
        .await
        .expect(200);
    assert_eq!(r.body["versions"][0]["id"], "v2.0");
    let r = w
        .app
        .neutron(Method::GET, "/", &w.alice.token, None)
        .await
        .expect(200);
    assert!(r.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["collection"] == "networks"));
    // Clients probe for extensions they may use; one we do not offer is a 404.
    w.app
        .neutron(
            Method::GET,
            "/extensions/external-gateway-multihoming",
            &w.alice.token,
            None,
        )
        .await
        .expect_neutron(404, "ExtensionNotFound");
    w.app
        .neutron(
            Method::GET,
            "/extensions/external-net",
            &w.alice.token,
            None,
        )
        .await
        .expect(200);
    w.app
        .neutron(Method::GET, "/no-such-thing", &w.alice.token, None)
        .await
        .expect_neutron(404, "HTTPNotFound");
    let r = w
        .app
        .client
        .get(format!("{}{BASE}/networks", w.app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn the_seed_networks_subnets_and_ports() {
    let w = world().await;
    // The admin's flat external network on extnet, as in the seed.
    let ext = w
        .network(&w.admin, json!({"name": "public", "router:external": true, "provider:network_type": "flat", "provider:physical_network": "extnet"}))
        .await;
    assert_eq!(ext["router:external"], true);
    assert_eq!(ext["provider:network_type"], "flat");
    assert_eq!(ext["provider:physical_network"], "extnet");
    assert_eq!(ext["status"], "ACTIVE");
    assert_eq!(ext["mtu"], 1500);
    for key in [
        "revision_number",
        "created_at",
        "tags",
        "availability_zones",
        "port_security_enabled",
    ] {
        assert!(ext.get(key).is_some(), "{key} in {ext}");
    }
    let ext_subnet = w
        .subnet(&w.admin, json!({"name": "public-subnet", "network_id": id(&ext), "cidr": "203.0.113.0/24", "gateway_ip": "203.0.113.1", "allocation_pools": [{"start": "203.0.113.100", "end": "203.0.113.200"}], "enable_dhcp": false}))
        .await;
    assert_eq!(
        ext_subnet["allocation_pools"],
        json!([{"start": "203.0.113.100", "end": "203.0.113.200"}])
    );
    assert_eq!(ext_subnet["router:external"], true);
    // A second flat network on the same physical network is refused.
    w.app
        .neutron(Method::POST, "/networks", &w.admin, Some(&json!({"network": {"name": "again", "provider:network_type": "flat", "provider:physical_network": "extnet"}})))
        .await
        .expect_neutron(409, "FlatNetworkInUse");

    // The project user's network and subnet with a DNS server.
    let net = w.network(&w.alice.token, json!({"name": "private"})).await;
    assert!(
        net.get("provider:network_type").is_none(),
        "provider attributes are for admins: {net}"
    );
    let subnet = w
        .subnet(&w.alice.token, json!({"name": "private-subnet", "network_id": id(&net), "cidr": "10.0.0.0/24", "dns_nameservers": ["8.8.8.8"]}))
        .await;
    assert_eq!(subnet["gateway_ip"], "10.0.0.1");
    assert_eq!(
        subnet["allocation_pools"],
        json!([{"start": "10.0.0.2", "end": "10.0.0.254"}])
    );
    assert_eq!(subnet["dns_nameservers"], json!(["8.8.8.8"]));
    assert_eq!(subnet["enable_dhcp"], true);
    let shown = w
        .app
        .neutron(
            Method::GET,
            &format!("/networks/{}", id(&net)),
            &w.alice.token,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(shown["network"]["subnets"], json!([id(&subnet)]));

    // The external network is visible to the project, the admin's subnet on it too.
    let names = |r: &Reply, key: &str| -> Vec<String> {
        r.body[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect()
    };
    let r = w
        .app
        .neutron(Method::GET, "/networks", &w.alice.token, None)
        .await
        .expect(200);
    let mut seen = names(&r, "networks");
    seen.sort();
    assert_eq!(seen, ["private", "public"]);
    let r = w
        .app
        .neutron(
            Method::GET,
            "/networks?router:external=True",
            &w.alice.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(names(&r, "networks"), ["public"]);
    let r = w
        .app
        .neutron(
            Method::GET,
            "/networks?name=private&fields=id&fields=name",
            &w.alice.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["networks"],
        json!([{"id": id(&net), "name": "private"}])
    );
    let r = w
        .app
        .neutron(
            Method::GET,
            &format!("/subnets?network_id={}", id(&ext)),
            &w.alice.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(names(&r, "subnets"), ["public-subnet"]);

    // The network's DHCP server holds the first address of the pool.
    let dhcp = w
        .app
        .neutron(
            Method::GET,
            &format!("/ports?network_id={}&device_owner=network:dhcp", id(&net)),
            &w.alice.token,
            None,
        )
        .await
        .expect(200)
        .body["ports"]
        .clone();
    assert_eq!(dhcp.as_array().unwrap().len(), 1, "{dhcp}");
    assert_eq!(dhcp[0]["fixed_ips"][0]["ip_address"], "10.0.0.2");
    // Ports: the lowest free address first, a given one, then exhaustion.
    let p1 = w
        .port(
            &w.alice.token,
            json!({"network_id": id(&net), "name": "p1"}),
        )
        .await
        .expect(201)
        .body["port"]
        .clone();
    assert_eq!(
        p1["fixed_ips"],
        json!([{"subnet_id": id(&subnet), "ip_address": "10.0.0.3"}])
    );
    assert!(p1["mac_address"].as_str().unwrap().starts_with("fa:16:3e:"));
    assert_eq!(p1["status"], "DOWN");
    let p2 = w
        .port(&w.alice.token, json!({"network_id": id(&net), "fixed_ips": [{"ip_address": "10.0.0.50"}], "device_id": "vm-1", "device_owner": "compute:nova"}))
        .await
        .expect(201)
        .body["port"]
        .clone();
    assert_eq!(p2["fixed_ips"][0]["ip_address"], "10.0.0.50");
    let r = w
        .port(
            &w.alice.token,
            json!({"network_id": id(&net), "fixed_ips": [{"ip_address": "10.0.0.50"}]}),
        )
        .await
        .expect_neutron(409, "IpAddressInUse");
    assert!(r.neutron_message().contains("10.0.0.50"), "{}", r.text);
    w.port(
        &w.alice.token,
        json!({"network_id": id(&net), "fixed_ips": [{"ip_address": "10.9.9.9"}]}),
    )
    .await
    .expect_neutron(400, "InvalidIpForNetwork");
    let r = w
        .app
        .neutron(Method::GET, "/ports?device_id=vm-1", &w.alice.token, None)
        .await
        .expect(200);
    assert_eq!(r.body["ports"].as_array().unwrap().len(), 1);
    let r = w
        .app
        .neutron(
            Method::GET,
            "/ports?fixed_ips=ip_address%3D10.0.0.3",
            &w.alice.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["ports"][0]["id"], p1["id"]);
    // A repeated filter is "any of" (Horizon asks for the ports of every instance on a
    // page at once), for the address filter too; two filters must both hold.
    let ids = |r: &crate::helpers::Reply| {
        let mut ids: Vec<String> = r.body["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let mut both = vec![id(&p1), id(&p2)];
    both.sort();
    for (query, want) in [
        // p1 has no device: the name and the device ids exclude each other.
        ("/ports?name=p1&device_id=vm-1&device_id=vm-2", vec![]),
        (
            "/ports?fixed_ips=ip_address%3D10.0.0.3&fixed_ips=ip_address%3D10.0.0.50",
            both.clone(),
        ),
        ("/ports?device_id=vm-1&device_id=vm-2", vec![id(&p2)]),
        ("/ports?name=p1&name=nothing", vec![id(&p1)]),
        // A part of an address: 10.0.0.5 is in 10.0.0.50 but not in 10.0.0.3.
        (
            "/ports?fixed_ips=ip_address_substr%3D10.0.0.5",
            vec![id(&p2)],
        ),
        (
            "/ports?fixed_ips=ip_address_substr%3D.0.0.5&fixed_ips=ip_address_substr%3D0.0.3",
            both.clone(),
        ),
    ] {
        let r = w
            .app
            .neutron(Method::GET, query, &w.alice.token, None)
            .await
            .expect(200);
        assert_eq!(ids(&r), want, "{query}");
    }
    // Moving a port to another address frees the old one.
    let moved = w
        .app
        .neutron(
            Method::PUT,
            &format!("/ports/{}", id(&p1)),
            &w.alice.token,
            Some(&json!({"port": {"fixed_ips": [{"ip_address": "10.0.0.60"}], "name": "p1b"}})),
        )
        .await
        .expect(200)
        .body["port"]
        .clone();
    assert_eq!(moved["fixed_ips"][0]["ip_address"], "10.0.0.60");
    assert_eq!(moved["revision_number"], 2);
    let again = w
        .port(&w.alice.token, json!({"network_id": id(&net)}))
        .await
        .expect(201)
        .body["port"]
        .clone();
    assert_eq!(again["fixed_ips"][0]["ip_address"], "10.0.0.3");

    // A network with ports is in use; its ports and subnet go first.
    w.app
        .neutron(
            Method::DELETE,
            &format!("/networks/{}", id(&net)),
            &w.alice.token,
            None,
        )
        .await
        .expect_neutron(409, "NetworkInUse");
    w.app
        .neutron(
            Method::DELETE,
            &format!("/subnets/{}", id(&subnet)),
            &w.alice.token,
            None,
        )
        .await
        .expect_neutron(409, "SubnetInUse");
    for p in [&p1, &p2, &again] {
        w.app
            .neutron(
                Method::DELETE,
                &format!("/ports/{}", id(p)),
                &w.alice.token,
                None,
            )
            .await
            .expect(204);
    }
    w.app
        .neutron(
            Method::DELETE,
            &format!("/networks/{}", id(&net)),
            &w.alice.token,
            None,
        )
        .await
        .expect(204);
    w.app
        .neutron(
            Method::GET,
            &format!("/subnets/{}", id(&subnet)),
            &w.alice.token,
            None,
        )
        .await
        .expect_neutron(404, "SubnetNotFound");
}

/// Networks, subnets and ports made in bulk: all of them, or none when one fails.
#[tokio::test]
async fn bulk_creates_make_all_or_none() {
    let w = world().await;
    let t = w.alice.token.clone();
    let made = w
        .app
        .neutron(
            Method::POST,
            "/networks",
            &t,
            Some(&json!({"networks": [{"name": "bulk-a"}, {"name": "bulk-b"}]})),
        )
        .await
        .expect(201)
        .body;
    let nets: Vec<String> = made["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(nets.len(), 2, "{made}");
    let subnets = w
        .app
        .neutron(
            Method::POST,
            "/subnets",
            &t,
            Some(&json!({"subnets": [
                {"network_id": nets[0], "cidr": "10.20.0.0/24", "ip_version": 4},
                {"network_id": nets[1], "cidr": "10.21.0.0/24", "ip_version": 4},
            ]})),
        )
        .await
        .expect(201);
    assert_eq!(subnets.body["subnets"].as_array().unwrap().len(), 2);
    let ports = w
        .app
        .neutron(
            Method::POST,
            "/ports",
            &t,
            Some(&json!({"ports": [{"network_id": nets[0]}, {"network_id": nets[1]}]})),
        )
        .await
        .expect(201);
    assert_eq!(ports.body["ports"].as_array().unwrap().len(), 2);

    // No advanced service has a provider yet.
    let providers = w
        .app
        .neutron(Method::GET, "/service-providers", &t, None)
        .await
        .expect(200);
    assert_eq!(providers.body["service_providers"], json!([]));

    // The second is refused: the first is not left behind.
    w.app
        .neutron(
            Method::POST,
            "/networks",
            &t,
            Some(&json!({"networks": [{"name": "kept-not"}, {"name": "x", "bogus": 1}]})),
        )
        .await
        .expect_neutron(400, "HTTPBadRequest");
    let left = w
        .app
        .neutron(Method::GET, "/networks?name=kept-not", &t, None)
        .await
        .expect(200);
    assert_eq!(left.body["networks"], json!([]));
}

#[tokio::test]
async fn a_small_subnet_runs_out_of_addresses_cleanly() {
    let w = world().await;
    let net = w.network(&w.alice.token, json!({"name": "tiny"})).await;
    w.subnet(&w.alice.token, json!({"network_id": id(&net), "cidr": "10.1.0.0/29", "enable_dhcp": false, "allocation_pools": [{"start": "10.1.0.2", "end": "10.1.0.4"}]}))
        .await;
    for _ in 0..3 {
        w.port(&w.alice.token, json!({"network_id": id(&net)}))
            .await
            .expect(201);
    }
    let r = w
        .port(&w.alice.token, json!({"network_id": id(&net)}))
        .await
        .expect_neutron(409, "IpAddressGenerationFailure");
    assert!(r.neutron_message().contains(&id(&net)), "{}", r.text);
    // A network without subnets gives ports no address at all.
    let bare = w.network(&w.alice.token, json!({"name": "bare"})).await;
    let p = w
        .port(&w.alice.token, json!({"network_id": id(&bare)}))
        .await
        .expect(201);
    assert_eq!(p.body["port"]["fixed_ips"], json!([]));
}

#[tokio::test]
async fn two_hundred_ports_created_at_once_never_share_an_address() {
    let w = world().await;
    let net = w.network(&w.alice.token, json!({"name": "busy"})).await;
    w.subnet(
        &w.alice.token,
        json!({"network_id": id(&net), "cidr": "10.2.0.0/24"}),
    )
    .await;
    let app = std::sync::Arc::new(w.app);
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let app = app.clone();
        let token = w.alice.token.clone();
        let network_id = id(&net);
        tasks.push(tokio::spawn(async move {
            app.call(
                Method::POST,
                &format!("{BASE}/ports"),
                &token,
                Some(&json!({"port": {"network_id": network_id}})),
            )
            .await
        }));
    }
    let mut addresses = HashSet::new();
    let mut macs = HashSet::new();
    for t in tasks {
        let r = t.await.unwrap().expect(201);
        let ip = r.body["port"]["fixed_ips"][0]["ip_address"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(addresses.insert(ip.clone()), "{ip} handed out twice");
        assert!(macs.insert(r.body["port"]["mac_address"].as_str().unwrap().to_string()));
    }
    assert_eq!(addresses.len(), 200);
    let listed = app
        .call(
            Method::GET,
            &format!("{BASE}/ports?network_id={}", id(&net)),
            &w.alice.token,
            None,
        )
        .await
        .expect(200);
    // And the network's DHCP port.
    assert_eq!(listed.body["ports"].as_array().unwrap().len(), 201);
}

#[tokio::test]
async fn another_project_sees_only_what_is_shared() {
    let w = world().await;
    let bob = w.app.member("bob", "beta", "member").await;
    let private = w
        .network(&w.alice.token, json!({"name": "alice-net"}))
        .await;
    let subnet = w
        .subnet(
            &w.alice.token,
            json!({"network_id": id(&private), "cidr": "10.0.0.0/24"}),
        )
        .await;
    let port = w
        .port(&w.alice.token, json!({"network_id": id(&private)}))
        .await
        .expect(201)
        .body["port"]
        .clone();
    let shared = w
        .network(&w.admin, json!({"name": "shared-net", "shared": true}))
        .await;

    for path in [
        format!("/networks/{}", id(&private)),
        format!("/subnets/{}", id(&subnet)),
        format!("/ports/{}", id(&port)),
    ] {
        let r = w
            .app
            .neutron(Method::GET, &path, &bob.token, None)
            .await
            .expect(404);
        assert!(
            r.body["NeutronError"]["type"]
                .as_str()
                .unwrap()
                .ends_with("NotFound"),
            "{}",
            r.text
        );
        w.app
            .neutron(Method::DELETE, &path, &bob.token, None)
            .await
            .expect(404);
    }
    let r = w
        .app
        .neutron(Method::GET, "/networks", &bob.token, None)
        .await
        .expect(200);
    let ids: Vec<&str> = r.body["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id(&shared).as_str()]);
    assert_eq!(
        w.app
            .neutron(Method::GET, "/ports", &bob.token, None)
            .await
            .expect(200)
            .body["ports"],
        json!([])
    );
    // The same CIDR in another project is fine; bob may put ports on the shared network.
    let mine = w.network(&bob.token, json!({"name": "bob-net"})).await;
    w.subnet(
        &bob.token,
        json!({"network_id": id(&mine), "cidr": "10.0.0.0/24"}),
    )
    .await;
    w.subnet(
        &w.admin,
        json!({"network_id": id(&shared), "cidr": "192.168.50.0/24"}),
    )
    .await;
    w.port(&bob.token, json!({"network_id": id(&shared)}))
        .await
        .expect(201);
    // But not subnets on it, nor ports on alice's network.
    w.app
        .neutron(
            Method::POST,
            "/subnets",
            &bob.token,
            Some(&json!({"subnet": {"network_id": id(&shared), "cidr": "192.168.60.0/24"}})),
        )
        .await
        .expect(403);
    w.port(&bob.token, json!({"network_id": id(&private)}))
        .await
        .expect(404);
}

#[tokio::test]
async fn bad_network_requests_get_neutron_faults() {
    let w = world().await;
    let t = w.alice.token.clone();
    let cases: Vec<(Method, &str, Value, u16, &str)> = vec![
        (
            Method::POST,
            "/networks",
            json!({"network": {"name": "x", "bogus": 1}}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::POST,
            "/networks",
            json!({"net": {}}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::POST,
            "/networks",
            json!({"network": {"name": 5}}),
            400,
            "InvalidInput",
        ),
        (
            Method::POST,
            "/networks",
            json!({"network": {"mtu": 20}}),
            400,
            "InvalidInput",
        ),
        (
            Method::POST,
            "/networks",
            json!({"network": {"shared": true}}),
            403,
            "PolicyNotAuthorized",
        ),
        (
            Method::POST,
            "/networks",
            json!({"network": {"router:external": true}}),
            403,
            "PolicyNotAuthorized",
        ),
        (
            Method::POST,
            "/networks",
            json!({"network": {"provider:network_type": "flat", "provider:physical_network": "extnet"}}),
            403,
            "PolicyNotAuthorized",
        ),
        (
            Method::POST,
            "/networks",
            json!({"network": {"admin_state_up": "maybe"}}),
            400,
            "InvalidInput",
        ),
        (
            Method::POST,
            "/subnets",
            json!({"subnet": {"cidr": "10.0.0.0/24"}}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::POST,
            "/ports",
            json!({"port": {"network_id": "nope"}}),
            404,
            "NetworkNotFound",
        ),
        (
            Method::GET,
            "/networks?limit=-3",
            json!(null),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::GET,
            "/networks?shared=perhaps",
            json!(null),
            400,
            "InvalidInput",
        ),
        (
            Method::GET,
            "/networks/nope",
            json!(null),
            404,
            "NetworkNotFound",
        ),
        (
            Method::PUT,
            "/ports/nope",
            json!({"port": {"name": "x"}}),
            404,
            "PortNotFound",
        ),
    ];
    for (method, path, body, status, kind) in cases {
        let b = (!body.is_null()).then_some(&body);
        w.app
            .neutron(method.clone(), path, &t, b)
            .await
            .expect_neutron(status, kind);
    }
    // Admin-only provider checks.
    for (body, status, kind) in [
        (
            json!({"provider:network_type": "flat", "provider:physical_network": "nowhere"}),
            400,
            "InvalidInput",
        ),
        (
            json!({"provider:network_type": "vlan", "provider:physical_network": "extnet", "provider:segmentation_id": 5000}),
            400,
            "InvalidInput",
        ),
        (json!({"provider:network_type": "gre"}), 400, "InvalidInput"),
    ] {
        w.app
            .neutron(
                Method::POST,
                "/networks",
                &w.admin,
                Some(&json!({"network": body})),
            )
            .await
            .expect_neutron(status, kind);
    }
    let vlan = w
        .network(&w.admin, json!({"provider:network_type": "vlan", "provider:physical_network": "extnet", "provider:segmentation_id": 100}))
        .await;
    assert_eq!(vlan["provider:segmentation_id"], 100);
    w.app
        .neutron(Method::POST, "/networks", &w.admin, Some(&json!({"network": {"provider:network_type": "vlan", "provider:physical_network": "extnet", "provider:segmentation_id": 100}})))
        .await
        .expect_neutron(409, "VlanIdInUse");

    // Subnet addressing.
    let net = w.network(&t, json!({"name": "n"})).await;
    let n = id(&net);
    for (subnet, status, kind) in [
        (json!({"cidr": "10.0.0.1/24"}), 400, "InvalidInput"),
        (json!({"cidr": "not-a-cidr"}), 400, "InvalidInput"),
        (
            json!({"cidr": "10.0.0.0/24", "ip_version": 6}),
            400,
            "InvalidInput",
        ),
        (
            json!({"cidr": "10.0.0.0/24", "allocation_pools": [{"start": "10.0.0.20", "end": "10.0.0.10"}]}),
            400,
            "InvalidAllocationPool",
        ),
        (
            json!({"cidr": "10.0.0.0/24", "allocation_pools": [{"start": "10.0.0.200", "end": "10.0.1.10"}]}),
            400,
            "OutOfBoundsAllocationPool",
        ),
        (
            json!({"cidr": "10.0.0.0/24", "allocation_pools": [{"start": "10.0.0.10", "end": "10.0.0.20"}, {"start": "10.0.0.15", "end": "10.0.0.30"}]}),
            409,
            "OverlappingAllocationPools",
        ),
        (
            json!({"cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.15", "allocation_pools": [{"start": "10.0.0.10", "end": "10.0.0.20"}]}),
            409,
            "GatewayConflictWithAllocationPools",
        ),
        (
            json!({"cidr": "10.0.0.0/24", "gateway_ip": "10.9.0.1"}),
            400,
            "InvalidInput",
        ),
        (
            json!({"cidr": "10.0.0.0/24", "dns_nameservers": ["8.8.8.8", "8.8.8.8"]}),
            400,
            "InvalidInput",
        ),
        (
            json!({"cidr": "10.0.0.0/24", "dns_nameservers": ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6"]}),
            400,
            "DNSNameServersExhausted",
        ),
        (
            json!({"cidr": "10.0.0.0/24", "host_routes": [{"destination": "10.5.0.0/16", "nexthop": "192.168.1.300"}]}),
            400,
            "InvalidInput",
        ),
        (
            json!({"cidr": "10.0.0.0/24", "allocation_pools": [{"start": "10.0.0.10"}]}),
            400,
            "InvalidInput",
        ),
    ] {
        let mut body = subnet.clone();
        body["network_id"] = json!(n);
        w.app
            .neutron(Method::POST, "/subnets", &t, Some(&json!({"subnet": body})))
            .await
            .expect_neutron(status, kind);
    }
    // No gateway at all is allowed, and a next hop outside the subnet (the guest may
    // reach it through another interface); an overlapping CIDR on the same network is not.
    let route = json!([{"destination": "10.5.0.0/16", "nexthop": "192.168.1.1"}]);
    let s = w
        .subnet(
            &t,
            json!({"network_id": n, "cidr": "10.0.0.0/24", "gateway_ip": null,
                   "host_routes": route}),
        )
        .await;
    assert_eq!(s["gateway_ip"], Value::Null);
    assert_eq!(s["host_routes"], route);
    assert_eq!(
        s["allocation_pools"],
        json!([{"start": "10.0.0.1", "end": "10.0.0.254"}])
    );
    let r = w
        .app
        .neutron(
            Method::POST,
            "/subnets",
            &t,
            Some(&json!({"subnet": {"network_id": n, "cidr": "10.0.0.128/25"}})),
        )
        .await
        .expect_neutron(400, "InvalidInput");
    assert!(r.neutron_message().contains("overlaps"), "{}", r.text);
    // Ports: a MAC the network's owner chooses, a host only admins do, a bad MAC, port
    // security and address pairs.
    let chosen = w
        .port(
            &t,
            json!({"network_id": n, "mac_address": "fa:16:3e:00:00:02"}),
        )
        .await
        .expect(201);
    assert_eq!(chosen.body["port"]["mac_address"], "fa:16:3e:00:00:02");
    w.port(&t, json!({"network_id": n, "binding:host_id": "elsewhere"}))
        .await
        .expect_neutron(403, "PolicyNotAuthorized");
    w.port(
        &w.admin,
        json!({"network_id": n, "mac_address": "01:00:5e:00:00:01"}),
    )
    .await
    .expect_neutron(400, "InvalidInput");
    w.port(
        &w.admin,
        json!({"network_id": n, "mac_address": "fa:16:3e:00:00:01"}),
    )
    .await
    .expect(201);
    w.port(
        &w.admin,
        json!({"network_id": n, "mac_address": "FA:16:3E:00:00:01"}),
    )
    .await
    .expect_neutron(409, "MacAddressInUse");
    w.port(&t, json!({"network_id": n, "port_security_enabled": false, "allowed_address_pairs": [{"ip_address": "10.0.0.99"}]}))
        .await
        .expect_neutron(409, "AddressPairAndPortSecurityRequired");
    let p = w
        .port(
            &t,
            json!({"network_id": n, "allowed_address_pairs": [{"ip_address": "10.0.0.99"}]}),
        )
        .await
        .expect(201)
        .body["port"]
        .clone();
    assert_eq!(
        p["allowed_address_pairs"][0]["mac_address"],
        p["mac_address"]
    );
    w.port(
        &t,
        json!({"network_id": n, "fixed_ips": [{"subnet_id": "nope"}]}),
    )
    .await
    .expect_neutron(400, "InvalidInput");
}

#[tokio::test]
async fn network_quotas_limit_and_admins_set_them() {
    let w = world().await;
    let project = w.alice.project_id.clone();
    let r = w
        .app
        .neutron(
            Method::GET,
            &format!("/quotas/{project}"),
            &w.alice.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["quota"]["network"], 100);
    assert_eq!(r.body["quota"]["port"], 500);
    w.app
        .neutron(
            Method::PUT,
            &format!("/quotas/{project}"),
            &w.alice.token,
            Some(&json!({"quota": {"network": 1}})),
        )
        .await
        .expect(403);
    w.app
        .neutron(
            Method::PUT,
            &format!("/quotas/{project}"),
            &w.admin,
            Some(&json!({"quota": {"network": 1, "port": 2}})),
        )
        .await
        .expect(200);
    w.app
        .neutron(
            Method::PUT,
            &format!("/quotas/{project}"),
            &w.admin,
            Some(&json!({"quota": {"spaceships": 1}})),
        )
        .await
        .expect_neutron(400, "InvalidInput");
    let net = w.network(&w.alice.token, json!({"name": "one"})).await;
    let r = w
        .app
        .neutron(
            Method::POST,
            "/networks",
            &w.alice.token,
            Some(&json!({"network": {"name": "two"}})),
        )
        .await
        .expect_neutron(409, "OverQuota");
    assert!(r.neutron_message().contains("network"), "{}", r.text);
    w.port(&w.alice.token, json!({"network_id": id(&net)}))
        .await
        .expect(201);
    w.port(&w.alice.token, json!({"network_id": id(&net)}))
        .await
        .expect(201);
    w.port(&w.alice.token, json!({"network_id": id(&net)}))
        .await
        .expect_neutron(409, "OverQuota");
    let d = w
        .app
        .neutron(
            Method::GET,
            &format!("/quotas/{project}/details"),
            &w.alice.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        d.body["quota"]["port"],
        json!({"limit": 2, "used": 2, "reserved": 0})
    );
    assert_eq!(d.body["quota"]["network"]["used"], 1);
    let other = w.app.member("bob", "beta", "member").await;
    w.app
        .neutron(
            Method::GET,
            &format!("/quotas/{project}"),
            &other.token,
            None,
        )
        .await
        .expect(403);
    w.app
        .neutron(
            Method::DELETE,
            &format!("/quotas/{project}"),
            &w.admin,
            None,
        )
        .await
        .expect(204);
    let r = w
        .app
        .neutron(
            Method::GET,
            &format!("/quotas/{project}"),
            &w.alice.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["quota"]["network"], 100);
}

#[tokio::test]
async fn network_lists_page_by_id() {
    let w = world().await;
    for n in 0..5 {
        w.network(&w.alice.token, json!({"name": format!("n{n}")}))
            .await;
    }
    let mut seen = Vec::new();
    let mut path = "/networks?limit=2".to_string();
    for _ in 0..5 {
        let r = w
            .app
            .neutron(Method::GET, &path, &w.alice.token, None)
            .await
            .expect(200);
        seen.extend(
            r.body["networks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_string()),
        );
        match r.body["networks_links"][0]["href"].as_str() {
            Some(next) => path = next.split(BASE).nth(1).unwrap().to_string(),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen.len(), 5);
    assert_eq!(sorted, seen, "pages follow id order without repeats");
}

#[tokio::test]
async fn security_groups_default_rules_templates_and_ports() {
    let w = world().await;
    let t = w.alice.token.clone();
    // Every project has `default`, made on first sight, as OSC finds it by name.
    let r = w
        .app
        .neutron(Method::GET, "/security-groups?name=default", &t, None)
        .await
        .expect(200);
    let groups = r.body["security_groups"].as_array().unwrap().clone();
    assert_eq!(groups.len(), 1, "{}", r.text);
    let default = groups[0].clone();
    let rules = default["security_group_rules"].as_array().unwrap();
    assert_eq!(rules.len(), 4);
    let ingress: Vec<&Value> = rules
        .iter()
        .filter(|r| r["direction"] == "ingress")
        .collect();
    assert_eq!(ingress.len(), 2);
    assert!(
        ingress
            .iter()
            .all(|r| r["remote_group_id"] == default["id"]),
        "ingress only from members"
    );
    assert!(rules
        .iter()
        .filter(|r| r["direction"] == "egress")
        .all(|r| r["remote_ip_prefix"].is_null() && r["protocol"].is_null()));
    // Listing again does not make a second one.
    let r = w
        .app
        .neutron(Method::GET, "/security-groups", &t, None)
        .await
        .expect(200);
    assert_eq!(r.body["security_groups"].as_array().unwrap().len(), 1);

    // SSH and ICMP into default (the CLI's body: a prefix of 0.0.0.0/0), as in the seed.
    let rule = |group: &Value, extra: Value| {
        let mut body =
            json!({"security_group_id": group["id"], "direction": "ingress", "ethertype": "IPv4"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        json!({"security_group_rule": body})
    };
    let ssh = w
        .app
        .neutron(Method::POST, "/security-group-rules", &t, Some(&rule(&default, json!({"protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}))))
        .await
        .expect(201)
        .body["security_group_rule"]
        .clone();
    assert_eq!(ssh["protocol"], "tcp");
    assert_eq!(ssh["belongs_to_default_sg"], true);
    let r = w
        .app
        .neutron(
            Method::POST,
            "/security-group-rules",
            &t,
            Some(&rule(
                &default,
                json!({"protocol": "tcp", "port_range_min": 22, "port_range_max": 22}),
            )),
        )
        .await
        .expect_neutron(409, "SecurityGroupRuleExists");
    assert!(
        r.neutron_message().contains(ssh["id"].as_str().unwrap()),
        "{}",
        r.text
    );
    w.app
        .neutron(
            Method::POST,
            "/security-group-rules",
            &t,
            Some(&rule(
                &default,
                json!({"protocol": "icmp", "remote_ip_prefix": "0.0.0.0/0"}),
            )),
        )
        .await
        .expect(201);
    // A `web` group with HTTP and HTTPS; it starts with egress only.
    let web = w
        .app
        .neutron(
            Method::POST,
            "/security-groups",
            &t,
            Some(&json!({"security_group": {"name": "web", "description": "HTTP and HTTPS"}})),
        )
        .await
        .expect(201)
        .body["security_group"]
        .clone();
    assert_eq!(web["security_group_rules"].as_array().unwrap().len(), 2);
    for port in [80, 443] {
        w.app
            .neutron(
                Method::POST,
                "/security-group-rules",
                &t,
                Some(&rule(
                    &web,
                    json!({"protocol": "tcp", "port_range_min": port, "port_range_max": port}),
                )),
            )
            .await
            .expect(201);
    }
    let r = w
        .app
        .neutron(
            Method::GET,
            &format!(
                "/security-group-rules?security_group_id={}&direction=ingress",
                id(&web)
            ),
            &t,
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["security_group_rules"].as_array().unwrap().len(), 2);
    w.app
        .neutron(
            Method::POST,
            "/security-groups",
            &t,
            Some(&json!({"security_group": {"name": "default"}})),
        )
        .await
        .expect_neutron(409, "SecurityGroupDefaultAlreadyExists");

    // Ports take default, or the groups they name, or none without port security.
    let net = w.network(&t, json!({"name": "n"})).await;
    w.subnet(&t, json!({"network_id": id(&net), "cidr": "10.0.0.0/24"}))
        .await;
    let p1 = w
        .port(&t, json!({"network_id": id(&net)}))
        .await
        .expect(201)
        .body["port"]
        .clone();
    assert_eq!(p1["security_groups"], json!([default["id"]]));
    let p2 = w
        .port(
            &t,
            json!({"network_id": id(&net), "security_groups": [id(&web)]}),
        )
        .await
        .expect(201)
        .body["port"]
        .clone();
    assert_eq!(p2["security_groups"], json!([web["id"]]));
    let p3 = w
        .port(
            &t,
            json!({"network_id": id(&net), "port_security_enabled": false}),
        )
        .await
        .expect(201)
        .body["port"]
        .clone();
    assert_eq!(p3["security_groups"], json!([]));
    w.port(&t, json!({"network_id": id(&net), "port_security_enabled": false, "security_groups": [id(&web)]}))
        .await
        .expect_neutron(409, "PortSecurityAndIPRequiredForSecurityGroups");
    w.port(
        &t,
        json!({"network_id": id(&net), "security_groups": ["nope"]}),
    )
    .await
    .expect_neutron(404, "SecurityGroupNotFound");
    let moved = w
        .app
        .neutron(
            Method::PUT,
            &format!("/ports/{}", id(&p1)),
            &t,
            Some(
                &json!({"port": {"security_groups": [id(&web), default["id"].as_str().unwrap()]}}),
            ),
        )
        .await
        .expect(200)
        .body["port"]
        .clone();
    assert_eq!(moved["security_groups"].as_array().unwrap().len(), 2);
    w.app
        .neutron(
            Method::PUT,
            &format!("/ports/{}", id(&p1)),
            &t,
            Some(&json!({"port": {"port_security_enabled": false}})),
        )
        .await
        .expect_neutron(409, "PortSecurityPortHasSecurityGroup");

    // Groups in use stay; default stays for members.
    w.app
        .neutron(
            Method::DELETE,
            &format!("/security-groups/{}", id(&web)),
            &t,
            None,
        )
        .await
        .expect_neutron(409, "SecurityGroupInUse");
    w.app
        .neutron(
            Method::DELETE,
            &format!("/security-groups/{}", id(&default)),
            &t,
            None,
        )
        .await
        .expect_neutron(409, "SecurityGroupCannotRemoveDefault");
    for p in [&p1, &p2] {
        w.app
            .neutron(Method::DELETE, &format!("/ports/{}", id(p)), &t, None)
            .await
            .expect(204);
    }
    w.app
        .neutron(
            Method::DELETE,
            &format!("/security-groups/{}", id(&web)),
            &t,
            None,
        )
        .await
        .expect(204);
    w.app
        .neutron(
            Method::DELETE,
            &format!("/security-group-rules/{}", id(&ssh)),
            &t,
            None,
        )
        .await
        .expect(204);
    w.app
        .neutron(
            Method::GET,
            &format!("/security-group-rules/{}", id(&ssh)),
            &t,
            None,
        )
        .await
        .expect_neutron(404, "SecurityGroupRuleNotFound");

    // Another project sees its own default only.
    let bob = w.app.member("bob", "beta", "member").await;
    let r = w
        .app
        .neutron(Method::GET, "/security-groups", &bob.token, None)
        .await
        .expect(200);
    let theirs = r.body["security_groups"].as_array().unwrap();
    assert_eq!(theirs.len(), 1);
    assert_ne!(theirs[0]["id"], default["id"]);
    w.app
        .neutron(
            Method::GET,
            &format!("/security-groups/{}", id(&default)),
            &bob.token,
            None,
        )
        .await
        .expect_neutron(404, "SecurityGroupNotFound");
    w.app
        .neutron(
            Method::POST,
            "/security-group-rules",
            &bob.token,
            Some(&rule(&default, json!({"protocol": "tcp"}))),
        )
        .await
        .expect_neutron(404, "SecurityGroupNotFound");
}

#[tokio::test]
async fn bad_security_group_rules_are_refused() {
    let w = world().await;
    let t = w.alice.token.clone();
    let default = w
        .app
        .neutron(Method::GET, "/security-groups", &t, None)
        .await
        .expect(200)
        .body["security_groups"][0]
        .clone();
    let cases = [
        (json!({"direction": "sideways"}), 400, "InvalidInput"),
        (
            json!({"direction": "ingress", "protocol": "teleport"}),
            400,
            "SecurityGroupRuleInvalidProtocol",
        ),
        (
            json!({"direction": "ingress", "protocol": "300"}),
            400,
            "SecurityGroupRuleInvalidProtocol",
        ),
        (
            json!({"direction": "ingress", "port_range_min": 22}),
            400,
            "SecurityGroupProtocolRequiredWithPorts",
        ),
        (
            json!({"direction": "ingress", "protocol": "tcp", "port_range_min": 90, "port_range_max": 80}),
            400,
            "SecurityGroupInvalidPortRange",
        ),
        (
            json!({"direction": "ingress", "protocol": "udp", "port_range_min": 70000, "port_range_max": 70000}),
            400,
            "SecurityGroupInvalidPortValue",
        ),
        (
            json!({"direction": "ingress", "protocol": "icmp", "port_range_max": 0}),
            400,
            "SecurityGroupMissingIcmpType",
        ),
        (
            json!({"direction": "ingress", "remote_ip_prefix": "10.0.0.0/8", "remote_group_id": default["id"]}),
            400,
            "SecurityGroupRemoteGroupAndRemoteIpPrefix",
        ),
        (
            json!({"direction": "ingress", "ethertype": "IPv4", "remote_ip_prefix": "::/0"}),
            400,
            "SecurityGroupRuleParameterConflict",
        ),
        (
            json!({"direction": "ingress", "ethertype": "IPX"}),
            400,
            "SecurityGroupRuleInvalidEtherType",
        ),
        (
            json!({"direction": "ingress", "remote_ip_prefix": "banana"}),
            400,
            "InvalidInput",
        ),
        (
            json!({"direction": "ingress", "remote_group_id": "nope"}),
            404,
            "SecurityGroupNotFound",
        ),
        (
            json!({"direction": "ingress", "colour": "red"}),
            400,
            "HTTPBadRequest",
        ),
        // An upper end without a lower one is no range (a lower end alone is one port).
        (
            json!({"direction": "ingress", "protocol": "tcp", "port_range_max": 6}),
            400,
            "SecurityGroupInvalidPortRange",
        ),
    ];
    for (extra, status, kind) in cases {
        let mut body = json!({"security_group_id": default["id"]});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        w.app
            .neutron(
                Method::POST,
                "/security-group-rules",
                &t,
                Some(&json!({"security_group_rule": body})),
            )
            .await
            .expect_neutron(status, kind);
    }
    // ICMP's type and code are told apart in the message, as Neutron's (clients match it).
    for (min, max, says) in [
        (300, 1, "Invalid value for ICMP type"),
        (1, 256, "Invalid value for ICMP code"),
    ] {
        let r = w
            .app
            .neutron(
                Method::POST,
                "/security-group-rules",
                &t,
                Some(
                    &json!({"security_group_rule": {"security_group_id": default["id"],
                    "direction": "ingress", "protocol": "icmp",
                    "port_range_min": min, "port_range_max": max}}),
                ),
            )
            .await
            .expect_neutron(400, "SecurityGroupInvalidIcmpValue");
        assert!(r.text.contains(says), "{}", r.text);
    }
    // A host address is taken as its /32; a single port as a range of one.
    let r = w
        .app
        .neutron(Method::POST, "/security-group-rules", &t, Some(&json!({"security_group_rule": {"security_group_id": default["id"], "direction": "ingress", "protocol": "tcp", "port_range_min": 8080, "remote_ip_prefix": "192.0.2.7"}})))
        .await
        .expect(201);
    assert_eq!(
        r.body["security_group_rule"]["remote_ip_prefix"],
        "192.0.2.7/32"
    );
    assert_eq!(r.body["security_group_rule"]["port_range_max"], 8080);
    // A prefix with host bits is kept as given (Neutron does; Nova's proxy shows it back).
    let r = w
        .app
        .neutron(Method::POST, "/security-group-rules", &t, Some(&json!({"security_group_rule": {"security_group_id": default["id"], "direction": "ingress", "protocol": "tcp", "port_range_min": 8081, "remote_ip_prefix": "198.51.100.7/24"}})))
        .await
        .expect(201);
    assert_eq!(
        r.body["security_group_rule"]["remote_ip_prefix"],
        "198.51.100.7/24"
    );
    // Rules count against the quota.
    let project = w.alice.project_id.clone();
    let d = w
        .app
        .neutron(Method::GET, &format!("/quotas/{project}/details"), &t, None)
        .await
        .expect(200);
    assert_eq!(d.body["quota"]["security_group_rule"]["used"], 6);
    assert_eq!(d.body["quota"]["security_group"]["used"], 1);
}

/// A port holds at most Neutron's `max_fixed_ips_per_port` (5) addresses, on create and
/// on update, so no project can drain a shared network's pool through one port.
#[tokio::test]
async fn a_port_holds_at_most_five_fixed_ips() {
    let w = world().await;
    let a = w.alice.token.clone();
    let net = w.network(&a, json!({"name": "n"})).await;
    let subnet = w
        .subnet(
            &a,
            json!({"network_id": id(&net), "ip_version": 4, "cidr": "10.1.0.0/24"}),
        )
        .await;
    let ips = |n: usize| -> Value {
        Value::Array((0..n).map(|_| json!({"subnet_id": id(&subnet)})).collect())
    };
    let r = w
        .port(&a, json!({"network_id": id(&net), "fixed_ips": ips(6)}))
        .await
        .expect_neutron(400, "InvalidInput");
    assert!(
        r.neutron_message().contains("fixed ips per port"),
        "{}",
        r.text
    );
    let five = w
        .port(&a, json!({"network_id": id(&net), "fixed_ips": ips(5)}))
        .await
        .expect(201)
        .body["port"]
        .clone();
    assert_eq!(five["fixed_ips"].as_array().unwrap().len(), 5);
    w.app
        .neutron(
            Method::PUT,
            &format!("/ports/{}", id(&five)),
            &a,
            Some(&json!({"port": {"fixed_ips": ips(6)}})),
        )
        .await
        .expect_neutron(400, "InvalidInput");
    // Nothing more was taken from the pool than the five.
    let ports = w
        .app
        .neutron(
            Method::GET,
            &format!("/ports?network_id={}", id(&net)),
            &a,
            None,
        )
        .await
        .expect(200)
        .body["ports"]
        .clone();
    let held: usize = ports
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["device_owner"] != "network:dhcp")
        .map(|p| p["fixed_ips"].as_array().unwrap().len())
        .sum();
    assert_eq!(held, 5, "{ports}");
}

#[tokio::test]
async fn deleting_a_group_takes_the_rules_that_name_it_as_their_remote() {
    let w = world().await;
    let t = w.alice.token.clone();
    let group = |name: &'static str| {
        let app = &w.app;
        let t = t.clone();
        async move {
            app.neutron(
                Method::POST,
                "/security-groups",
                &t,
                Some(&json!({"security_group": {"name": name}})),
            )
            .await
            .expect(201)
            .body["security_group"]
                .clone()
        }
    };
    let web = group("web").await;
    let db = group("db").await;
    let rule = w
        .app
        .neutron(
            Method::POST,
            "/security-group-rules",
            &t,
            Some(
                &json!({"security_group_rule": {"security_group_id": id(&db),
                "direction": "ingress", "protocol": "tcp", "port_range_min": 5432,
                "port_range_max": 5432, "remote_group_id": id(&web)}}),
            ),
        )
        .await
        .expect(201)
        .body["security_group_rule"]
        .clone();
    w.app
        .neutron(
            Method::DELETE,
            &format!("/security-groups/{}", id(&web)),
            &t,
            None,
        )
        .await
        .expect(204);
    w.app
        .neutron(
            Method::GET,
            &format!("/security-group-rules/{}", id(&rule)),
            &t,
            None,
        )
        .await
        .expect_neutron(404, "SecurityGroupRuleNotFound");
    // The group's own rules stay.
    let left = w
        .app
        .neutron(
            Method::GET,
            &format!("/security-groups/{}", id(&db)),
            &t,
            None,
        )
        .await
        .expect(200)
        .body["security_group"]["security_group_rules"]
        .clone();
    assert_eq!(
        left.as_array().unwrap().len(),
        2,
        "the egress defaults: {left}"
    );
}
