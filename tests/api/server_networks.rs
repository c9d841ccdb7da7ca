//! Servers on networks (Nova with Neutron) over HTTP: ports made at launch on the networks
//! asked for (or the project's one network for `auto`), a port the user brings, addresses
//! and security groups in the server body, floating IPs, release on delete and on a failed
//! launch, and Nova's errors for bad `networks`.

use gureum::server::drivers::compute::ComputeDriver;
use reqwest::Method;
use serde_json::{json, Value};

use crate::compute::{upload_image, world, World};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

impl World {
    async fn neutron_as(&self, method: Method, path: &str, token: &str, body: Value) -> Value {
        let body = (!body.is_null()).then_some(body);
        let r = self.app.neutron(method, path, token, body.as_ref()).await;
        assert!(r.status.is_success(), "{}", r.text);
        r.body
    }

    /// A network of the user's with one subnet.
    async fn user_network(&self, name: &str, cidr: &str) -> String {
        let token = self.user.token.clone();
        let n = self
            .neutron_as(
                Method::POST,
                "/networks",
                &token,
                json!({"network": {"name": name}}),
            )
            .await;
        let net = id(&n["network"]);
        self.neutron_as(
            Method::POST,
            "/subnets",
            &token,
            json!({"subnet": {"network_id": net, "cidr": cidr, "ip_version": 4}}),
        )
        .await;
        net
    }

    async fn launch(&self, extra: Value) -> crate::helpers::Reply {
        let mut server = json!({"name": "vm", "imageRef": self.image, "flavorRef": self.flavor});
        for (k, v) in extra.as_object().unwrap() {
            server[k] = v.clone();
        }
        self.app
            .nova(
                Method::POST,
                "/servers",
                &self.user.token,
                Some(&json!({"server": server})),
            )
            .await
    }

    async fn ports_of(&self, device: &str) -> Vec<Value> {
        let token = self.user.token.clone();
        self.neutron_as(
            Method::GET,
            &format!("/ports?device_id={device}"),
            &token,
            Value::Null,
        )
        .await["ports"]
            .as_array()
            .unwrap()
            .clone()
    }
}

#[tokio::test]
async fn servers_get_ports_on_their_networks_and_give_them_back() {
    let w = world().await;
    let token = w.user.token.clone();
    let net1 = w.user_network("net1", "10.1.0.0/24").await;

    // `auto` with one network takes it; the port is the instance's, bound and active.
    let r = w.launch(json!({"networks": "auto"})).await.expect(202);
    let vm1 = id(&r.body["server"]);
    let s = w.wait(&vm1, "ACTIVE").await;
    let ports = w.ports_of(&vm1).await;
    assert_eq!(ports.len(), 1, "{ports:?}");
    let port = &ports[0];
    assert_eq!(port["network_id"], json!(net1));
    assert_eq!(port["device_owner"], "compute:nova");
    assert_eq!(port["status"], "ACTIVE");
    let ip = port["fixed_ips"][0]["ip_address"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(ip.starts_with("10.1.0."), "{ip}");
    let addrs = &s["addresses"]["net1"];
    assert_eq!(addrs[0]["addr"], json!(ip), "{s}");
    assert_eq!(addrs[0]["version"], 4);
    assert_eq!(addrs[0]["OS-EXT-IPS:type"], "fixed");
    assert_eq!(addrs[0]["OS-EXT-IPS-MAC:mac_addr"], port["mac_address"]);
    assert_eq!(s["security_groups"], json!([{"name": "default"}]));
    let ips = w
        .app
        .nova(Method::GET, &format!("/servers/{vm1}/ips"), &token, None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        ips["addresses"]["net1"],
        json!([{"version": 4, "addr": ip}])
    );
    // The detailed list carries the same addresses.
    let list = w
        .app
        .nova(Method::GET, "/servers/detail", &token, None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        list["servers"][0]["addresses"]["net1"][0]["addr"],
        json!(ip)
    );

    // Two networks: `auto` is ambiguous; naming them gives one interface each, in order,
    // with the security groups asked for.
    let net2 = w.user_network("net2", "10.2.0.0/24").await;
    w.launch(json!({"networks": "auto"}))
        .await
        .expect_nova(409, "conflictingRequest");
    let web = w
        .neutron_as(
            Method::POST,
            "/security-groups",
            &token,
            json!({"security_group": {"name": "web"}}),
        )
        .await;
    let r = w
        .launch(json!({
            "networks": [{"uuid": net2, "fixed_ip": "10.2.0.77"}, {"uuid": net1}],
            "security_groups": [{"name": "web"}, {"name": "default"}],
        }))
        .await
        .expect(202);
    let vm2 = id(&r.body["server"]);
    let s = w.wait(&vm2, "ACTIVE").await;
    assert_eq!(s["addresses"]["net2"][0]["addr"], "10.2.0.77", "{s}");
    assert!(s["addresses"]["net1"][0]["addr"]
        .as_str()
        .unwrap()
        .starts_with("10.1.0."));
    let mut groups: Vec<String> = s["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect();
    groups.sort();
    assert_eq!(groups, ["default", "web"]);
    let ports = w.ports_of(&vm2).await;
    assert_eq!(ports.len(), 2);
    for p in &ports {
        assert_eq!(p["security_groups"].as_array().unwrap().len(), 2, "{p}");
        assert!(p["security_groups"]
            .as_array()
            .unwrap()
            .contains(&web["security_group"]["id"]));
    }

    // A port the user brings is bound, and kept (unbound) when the server goes.
    let own = w
        .neutron_as(
            Method::POST,
            "/ports",
            &token,
            json!({"port": {"network_id": net2, "name": "mine"}}),
        )
        .await["port"]
        .clone();
    let r = w
        .launch(json!({"networks": [{"port": id(&own)}]}))
        .await
        .expect(202);
    let vm3 = id(&r.body["server"]);
    let s = w.wait(&vm3, "ACTIVE").await;
    assert_eq!(
        s["addresses"]["net2"][0]["addr"],
        own["fixed_ips"][0]["ip_address"]
    );
    // Now in use: a second server cannot take it.
    w.launch(json!({"networks": [{"port": id(&own)}]}))
        .await
        .expect_nova(409, "conflictingRequest");

    // A floating IP through a router shows in the server's addresses.
    let admin = w.admin.clone();
    let public = w
        .neutron_as(
            Method::POST,
            "/networks",
            &admin,
            json!({"network": {"name": "public", "router:external": true}}),
        )
        .await["network"]
        .clone();
    w.neutron_as(
        Method::POST,
        "/subnets",
        &admin,
        json!({"subnet": {"network_id": id(&public), "cidr": "203.0.113.0/24", "ip_version": 4}}),
    )
    .await;
    let router = w
        .neutron_as(
            Method::POST,
            "/routers",
            &token,
            json!({"router": {"name": "r1", "external_gateway_info": {"network_id": id(&public)}}}),
        )
        .await["router"]
        .clone();
    let subnet1 = w
        .neutron_as(
            Method::GET,
            &format!("/subnets?network_id={net1}"),
            &token,
            Value::Null,
        )
        .await["subnets"][0]["id"]
        .clone();
    w.neutron_as(
        Method::PUT,
        &format!("/routers/{}/add_router_interface", id(&router)),
        &token,
        json!({"subnet_id": subnet1}),
    )
    .await;
    let vm1_port = id(&w.ports_of(&vm1).await[0]);
    let fip = w
        .neutron_as(
            Method::POST,
            "/floatingips",
            &token,
            json!({"floatingip": {"floating_network_id": id(&public), "port_id": vm1_port}}),
        )
        .await["floatingip"]
        .clone();
    let s = w.server(&vm1).await;
    let net1_addrs = s["addresses"]["net1"].as_array().unwrap();
    assert_eq!(net1_addrs.len(), 2, "{s}");
    assert_eq!(net1_addrs[1]["addr"], fip["floating_ip_address"]);
    assert_eq!(net1_addrs[1]["OS-EXT-IPS:type"], "floating");

    // One network's addresses, by its name; the networks as os-tenant-networks shows them.
    let on_net1 = w
        .app
        .nova(
            Method::GET,
            &format!("/servers/{vm1}/ips/net1"),
            &token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(on_net1.body["net1"][0]["addr"], net1_addrs[0]["addr"]);
    w.app
        .nova(
            Method::GET,
            &format!("/servers/{vm1}/ips/nowhere"),
            &token,
            None,
        )
        .await
        .expect_nova(404, "itemNotFound");
    let tenant = w
        .app
        .nova_at(None, Method::GET, "/os-tenant-networks", &token, None)
        .await
        .expect(200);
    assert!(
        tenant.body["networks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["label"] == "net1" && n["cidr"] == "10.1.0.0/24"),
        "{}",
        tenant.text
    );
    let shown = w
        .app
        .nova_at(
            None,
            Method::GET,
            &format!("/os-tenant-networks/{net1}"),
            &token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(shown.body["network"]["label"], "net1");
    // os-networks shows the same networks below 2.36, and is gone from 2.36.
    let via_networks = w
        .app
        .nova_at(
            None,
            Method::GET,
            &format!("/os-networks/{net1}"),
            &token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(via_networks.body["network"]["cidr"], "10.1.0.0/24");
    w.app
        .nova_at(
            Some("compute 2.36"),
            Method::GET,
            "/os-networks",
            &token,
            None,
        )
        .await
        .expect_nova(404, "itemNotFound");

    // The same through Nova's proxy below 2.36: pools are external networks by name.
    let nova = |method: Method, path: String, body: Option<Value>| {
        let (app, token) = (&w.app, token.clone());
        async move {
            app.nova_at(None, method, &path, &token, body.as_ref())
                .await
        }
    };
    let listed = nova(Method::GET, "/os-floating-ips".into(), None)
        .await
        .expect(200);
    let first = &listed.body["floating_ips"][0];
    assert_eq!(first["ip"], fip["floating_ip_address"], "{}", listed.text);
    assert_eq!(first["instance_id"], vm1.as_str());
    assert_eq!(first["pool"], "public");
    let pools = nova(Method::GET, "/os-floating-ip-pools".into(), None)
        .await
        .expect(200);
    assert_eq!(pools.body["floating_ip_pools"], json!([{"name": "public"}]));
    nova(
        Method::POST,
        "/os-floating-ips".into(),
        Some(json!({"pool": "nowhere"})),
    )
    .await
    .expect_nova(404, "itemNotFound");
    let second = nova(
        Method::POST,
        "/os-floating-ips".into(),
        Some(json!({"pool": "public"})),
    )
    .await
    .expect(200)
    .body["floating_ip"]
        .clone();
    assert_eq!(second["instance_id"], Value::Null);
    let action = |name: &str, address: &Value| json!({ name: {"address": address} });
    let act = |body: Value| nova(Method::POST, format!("/servers/{vm1}/action"), Some(body));
    act(action("removeFloatingIp", &fip["floating_ip_address"]))
        .await
        .expect(202);
    act(action("removeFloatingIp", &fip["floating_ip_address"]))
        .await
        .expect_nova(409, "conflictingRequest");
    act(action("addFloatingIp", &second["ip"]))
        .await
        .expect(202);
    let shown = nova(
        Method::GET,
        format!("/os-floating-ips/{}", id(&second)),
        None,
    )
    .await
    .expect(200)
    .body["floating_ip"]
        .clone();
    assert_eq!(shown["instance_id"], vm1.as_str());
    assert!(shown["fixed_ip"].as_str().unwrap().starts_with("10.1.0."));
    act(action("addFloatingIp", &json!("192.0.2.99")))
        .await
        .expect_nova(404, "itemNotFound");
    act(action("removeFloatingIp", &second["ip"]))
        .await
        .expect(202);
    nova(
        Method::DELETE,
        format!("/os-floating-ips/{}", id(&second)),
        None,
    )
    .await
    .expect(202);
    w.app
        .nova_at(
            Some("compute 2.36"),
            Method::GET,
            "/os-floating-ips",
            &token,
            None,
        )
        .await
        .expect_nova(404, "itemNotFound");
    // Put back as it was for what follows.
    w.neutron_as(
        Method::PUT,
        &format!("/floatingips/{}", id(&fip)),
        &token,
        json!({"floatingip": {"port_id": vm1_port}}),
    )
    .await;

    // Deleting servers: made ports go (the floating IP stays, let go), the user's stays.
    for vm in [&vm1, &vm2, &vm3] {
        w.app
            .nova(Method::DELETE, &format!("/servers/{vm}"), &token, None)
            .await
            .expect(204);
        w.wait_gone(vm).await;
        assert_eq!(w.ports_of(vm).await, Vec::<Value>::new(), "{vm}");
    }
    let kept = w
        .neutron_as(
            Method::GET,
            &format!("/ports/{}", id(&own)),
            &token,
            Value::Null,
        )
        .await["port"]
        .clone();
    assert_eq!(kept["device_id"], "");
    assert_eq!(kept["status"], "DOWN");
    let fip = w
        .neutron_as(
            Method::GET,
            &format!("/floatingips/{}", id(&fip)),
            &token,
            Value::Null,
        )
        .await["floatingip"]
        .clone();
    assert_eq!(fip["port_id"], Value::Null);
}

#[tokio::test]
async fn a_launch_that_fails_after_its_ports_gives_them_back() {
    let w = world().await;
    let net = w.user_network("net1", "10.1.0.0/24").await;
    let compute = &w.app.state.compute;
    for step in crate::helpers::saga_steps("launch") {
        compute.clear_failures();
        compute.inject_failure(&format!("launch.{step}"));
        let r = w
            .launch(json!({"networks": [{"uuid": net}]}))
            .await
            .expect(202);
        let vm = id(&r.body["server"]);
        w.wait(&vm, "ERROR").await;
        assert_eq!(
            w.ports_of(&vm).await,
            Vec::<Value>::new(),
            "{step}: ports left"
        );
        w.app
            .nova(
                Method::DELETE,
                &format!("/servers/{vm}"),
                &w.user.token,
                None,
            )
            .await
            .expect(204);
        w.wait_gone(&vm).await;
    }
    compute.clear_failures();
    // The addresses were given back too: the next port gets the first one after the
    // DHCP server's again.
    let r = w
        .launch(json!({"networks": [{"uuid": net}]}))
        .await
        .expect(202);
    let vm = id(&r.body["server"]);
    let s = w.wait(&vm, "ACTIVE").await;
    assert_eq!(s["addresses"]["net1"][0]["addr"], "10.1.0.3", "{s}");
}

#[tokio::test]
async fn bad_networks_get_nova_faults_before_anything_is_recorded() {
    let w = world().await;
    let token = w.user.token.clone();
    let net = w.user_network("net1", "10.1.0.0/24").await;
    let bare = w
        .neutron_as(
            Method::POST,
            "/networks",
            &token,
            json!({"network": {"name": "bare"}}),
        )
        .await["network"]
        .clone();
    let admin = w.admin.clone();
    let public = w
        .neutron_as(
            Method::POST,
            "/networks",
            &admin,
            json!({"network": {"name": "public", "router:external": true}}),
        )
        .await["network"]
        .clone();
    let port = w
        .neutron_as(
            Method::POST,
            "/ports",
            &token,
            json!({"port": {"network_id": net}}),
        )
        .await["port"]
        .clone();
    let noip = w
        .neutron_as(
            Method::POST,
            "/ports",
            &token,
            json!({"port": {"network_id": id(&bare)}}),
        )
        .await["port"]
        .clone();
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!({"networks": [{"uuid": "nope"}]}),
            400,
            "badRequest",
            "nope could not be found",
        ),
        (
            json!({"networks": [{"uuid": id(&bare)}]}),
            400,
            "badRequest",
            "requires a subnet",
        ),
        (
            json!({"networks": [{"uuid": id(&public)}]}),
            403,
            "forbidden",
            "external network",
        ),
        (
            json!({"networks": [{"port": "nope"}]}),
            400,
            "badRequest",
            "Port nope",
        ),
        (
            json!({"networks": [{"port": id(&noip)}]}),
            400,
            "badRequest",
            "FixedIP",
        ),
        (
            json!({"networks": [{"port": id(&port)}], "max_count": 2}),
            400,
            "badRequest",
            "single configured port",
        ),
        (
            json!({"networks": [{"uuid": net, "fixed_ip": "10.1.0"}]}),
            400,
            "badRequest",
            "fixed_ip",
        ),
        (
            json!({"networks": [{"uuid": net}], "security_groups": [{"name": "nope"}]}),
            400,
            "badRequest",
            "nope",
        ),
        (
            json!({"networks": [{"uuid": net, "colour": "red"}]}),
            400,
            "badRequest",
            "colour",
        ),
        (json!({"networks": [{}]}), 400, "badRequest", "networks"),
        (json!({"networks": "some"}), 400, "badRequest", "networks"),
        (
            json!({"networks": [{"uuid": net}], "security_groups": "default"}),
            400,
            "badRequest",
            "security_groups",
        ),
    ];
    for (extra, status, kind, words) in cases {
        let r = w.launch(extra.clone()).await.expect_nova(status, kind);
        assert!(r.nova_message().contains(words), "{extra}: {}", r.text);
    }
    // Nothing was recorded: no server, no port beyond the two made above and net1's
    // DHCP port.
    let servers = w
        .app
        .nova(Method::GET, "/servers", &token, None)
        .await
        .expect(200)
        .body;
    assert_eq!(servers["servers"], json!([]));
    let ports = w
        .neutron_as(Method::GET, "/ports", &token, Value::Null)
        .await;
    assert_eq!(ports["ports"].as_array().unwrap().len(), 3);
    // A project without networks: `auto` is an error, while "none" boots without one.
    let bob = w.app.member("bob", "beta", "member").await;
    let bobs_image = upload_image(&w.app, &bob.token, "b", json!({})).await;
    let r = w
        .app
        .nova(
            Method::POST,
            "/servers",
            &bob.token,
            Some(&json!({"server": {"name": "b", "imageRef": bobs_image, "flavorRef": w.flavor, "networks": "auto"}})),
        )
        .await
        .expect_nova(400, "badRequest");
    assert!(
        r.nova_message()
            .contains("Unable to automatically allocate"),
        "{}",
        r.text
    );
    // The port quota is checked up front.
    w.app
        .call(
            Method::PUT,
            &format!("/networking/v2.0/quotas/{}", w.user.project_id),
            &admin,
            Some(&json!({"quota": {"port": 2}})),
        )
        .await
        .expect(200);
    let r = w
        .launch(json!({"networks": [{"uuid": net}]}))
        .await
        .expect_nova(403, "forbidden");
    assert!(
        r.nova_message()
            .contains("Maximum number of ports exceeded"),
        "{}",
        r.text
    );
}

impl World {
    async fn interfaces(&self, server: &str) -> Vec<Value> {
        self.app
            .nova(
                Method::GET,
                &format!("/servers/{server}/os-interface"),
                &self.user.token,
                None,
            )
            .await
            .expect(200)
            .body["interfaceAttachments"]
            .as_array()
            .unwrap()
            .clone()
    }

    async fn attach(&self, server: &str, body: Value) -> crate::helpers::Reply {
        self.app
            .nova(
                Method::POST,
                &format!("/servers/{server}/os-interface"),
                &self.user.token,
                Some(&body),
            )
            .await
    }

    /// The ports whose NICs the fake hypervisor has plugged into the VM, in slot order.
    async fn plugged(&self, server: &str) -> Vec<String> {
        self.app
            .state
            .compute
            .fake_driver()
            .unwrap()
            .plugged_nics(server)
            .await
            .unwrap()
    }

    /// Waits until the server has these interfaces (a detach finishes in the background).
    async fn wait_interfaces(&self, server: &str, ports: &[&str]) -> Vec<Value> {
        let mut last = Vec::new();
        for _ in 0..200 {
            last = self.interfaces(server).await;
            let now: Vec<&str> = last
                .iter()
                .map(|a| a["port_id"].as_str().unwrap())
                .collect();
            if now == ports && self.server(server).await["OS-EXT-STS:task_state"].is_null() {
                return last;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("server {server} did not come to interfaces {ports:?}: {last:?}");
    }
}

#[tokio::test]
async fn an_interface_attach_that_fails_at_any_step_leaves_the_server_as_it_was() {
    let w = world().await;
    let net1 = w.user_network("net1", "10.1.0.0/24").await;
    let net2 = w.user_network("net2", "10.2.0.0/24").await;
    let r = w
        .launch(json!({"networks": [{"uuid": net1}]}))
        .await
        .expect(202);
    let vm = id(&r.body["server"]);
    w.wait(&vm, "ACTIVE").await;
    let before = (
        w.interfaces(&vm).await,
        w.plugged(&vm).await,
        w.ports_of(&vm).await,
    );
    // An attach by network with a chosen address: what it held must be free again.
    let attach = json!({"interfaceAttachment": {"net_id": net2, "fixed_ips": [{"ip_address": "10.2.0.50"}]}});
    let compute = &w.app.state.compute;
    for step in crate::helpers::saga_steps("attach_interface") {
        compute.clear_failures();
        compute.inject_failure(&format!("attach_interface.{step}"));
        // Nova answers a failed attach with a 500 (InterfaceAttachFailed); the test
        // client refuses every 5xx, so this one request goes around it.
        let r = w
            .app
            .client
            .post(format!(
                "{}/compute/v2.1/servers/{vm}/os-interface",
                w.app.address
            ))
            .header("X-Auth-Token", &w.user.token)
            .json(&attach)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 500, "{step}");
        let fault: Value = r.json().await.unwrap();
        assert_eq!(fault["computeFault"]["code"], 500, "{step}: {fault}");
        let s = w.wait(&vm, "ACTIVE").await;
        assert!(s["OS-EXT-STS:task_state"].is_null(), "{step}: {s}");
        let after = (
            w.interfaces(&vm).await,
            w.plugged(&vm).await,
            w.ports_of(&vm).await,
        );
        assert_eq!(after, before, "{step}: the failed attach left something");
    }
    compute.clear_failures();
    // Nothing held the address: the same attach now succeeds with it.
    let a = w.attach(&vm, attach).await.expect(200).body["interfaceAttachment"].clone();
    assert_eq!(a["fixed_ips"][0]["ip_address"], "10.2.0.50", "{a}");
}

#[tokio::test]
async fn interfaces_attach_and_detach_while_the_server_runs() {
    let w = world().await;
    let token = w.user.token.clone();
    let net1 = w.user_network("net1", "10.1.0.0/24").await;
    let net2 = w.user_network("net2", "10.2.0.0/24").await;
    let r = w
        .launch(json!({"networks": [{"uuid": net1}]}))
        .await
        .expect(202);
    let vm = id(&r.body["server"]);
    w.wait(&vm, "ACTIVE").await;
    let first = w.interfaces(&vm).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let eth0 = first[0]["port_id"].as_str().unwrap().to_string();
    assert_eq!(first[0]["net_id"], json!(net1));
    assert_eq!(first[0]["port_state"], "ACTIVE");
    assert_eq!(w.plugged(&vm).await, [eth0.clone()]);

    // By network with an address: made, bound, answered with the interface, hot-plugged.
    let a = w
        .attach(
            &vm,
            json!({"interfaceAttachment": {"net_id": net2, "fixed_ips": [{"ip_address": "10.2.0.50"}]}}),
        )
        .await
        .expect(200)
        .body["interfaceAttachment"]
        .clone();
    let eth1 = a["port_id"].as_str().unwrap().to_string();
    assert_eq!(a["net_id"], json!(net2));
    assert_eq!(a["port_state"], "ACTIVE");
    assert_eq!(a["fixed_ips"][0]["ip_address"], "10.2.0.50", "{a}");
    assert!(
        a["mac_addr"].as_str().unwrap().starts_with("fa:16:3e:"),
        "{a}"
    );
    assert!(a["tag"].is_null(), "{a}");
    let old = w
        .app
        .nova_at(
            None,
            Method::GET,
            &format!("/servers/{vm}/os-interface"),
            &token,
            None,
        )
        .await
        .expect(200)
        .body;
    assert!(
        old["interfaceAttachments"][1].get("tag").is_none(),
        "no tag before 2.70: {old}"
    );
    assert_eq!(w.plugged(&vm).await, [eth0.clone(), eth1.clone()]);
    let port = &w.ports_of(&vm).await;
    assert_eq!(port.len(), 2);
    let s = w.server(&vm).await;
    assert_eq!(s["addresses"]["net2"][0]["addr"], "10.2.0.50", "{s}");
    // Show, and a port the server does not have.
    let shown = w
        .app
        .nova(
            Method::GET,
            &format!("/servers/{vm}/os-interface/{eth1}"),
            &token,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(shown["interfaceAttachment"], a);

    // By the user's own port: bound to the server, kept (unbound) when detached.
    let own = w
        .neutron_as(
            Method::POST,
            "/ports",
            &token,
            json!({"port": {"network_id": net1, "name": "mine"}}),
        )
        .await["port"]
        .clone();
    let own_id = id(&own);
    w.attach(&vm, json!({"interfaceAttachment": {"port_id": own_id}}))
        .await
        .expect(200);
    assert_eq!(
        w.plugged(&vm).await,
        [eth0.clone(), eth1.clone(), own_id.clone()]
    );
    let list = w.interfaces(&vm).await;
    assert_eq!(list.len(), 3);
    assert_eq!(list[2]["port_id"], json!(own_id));

    // Detach answers 202 and unplugs in the background; the made port goes, the user's
    // port stays, free.
    w.app
        .nova(
            Method::DELETE,
            &format!("/servers/{vm}/os-interface/{eth1}"),
            &token,
            None,
        )
        .await
        .expect(202);
    w.wait_interfaces(&vm, &[&eth0, &own_id]).await;
    assert_eq!(w.plugged(&vm).await, [eth0.clone(), own_id.clone()]);
    w.app
        .neutron(Method::GET, &format!("/ports/{eth1}"), &token, None)
        .await
        .expect(404);
    w.app
        .nova(
            Method::DELETE,
            &format!("/servers/{vm}/os-interface/{own_id}"),
            &token,
            None,
        )
        .await
        .expect(202);
    w.wait_interfaces(&vm, &[&eth0]).await;
    let kept = w
        .neutron_as(
            Method::GET,
            &format!("/ports/{own_id}"),
            &token,
            Value::Null,
        )
        .await["port"]
        .clone();
    assert_eq!(kept["device_id"], "");
    assert_eq!(kept["status"], "DOWN");
    let s = w.server(&vm).await;
    assert!(s["addresses"].get("net2").is_none(), "{s}");

    // The freed slot is taken again first: the next NIC is eth1 again.
    let again = w
        .attach(&vm, json!({"interfaceAttachment": {"net_id": net2}}))
        .await
        .expect(200)
        .body["interfaceAttachment"]["port_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(w.plugged(&vm).await, [eth0.clone(), again.clone()]);

    // A stopped server gets the interface at its next start, in its slot.
    w.app
        .nova(
            Method::POST,
            &format!("/servers/{vm}/action"),
            &token,
            Some(&json!({"os-stop": null})),
        )
        .await
        .expect(202);
    w.wait(&vm, "SHUTOFF").await;
    let third = w
        .attach(&vm, json!({"interfaceAttachment": {"port_id": own_id}}))
        .await
        .expect(200)
        .body["interfaceAttachment"]["port_id"]
        .clone();
    assert_eq!(third, json!(own_id));
    assert_eq!(w.plugged(&vm).await, Vec::<String>::new());
    w.app
        .nova(
            Method::POST,
            &format!("/servers/{vm}/action"),
            &token,
            Some(&json!({"os-start": null})),
        )
        .await
        .expect(202);
    w.wait(&vm, "ACTIVE").await;
    assert_eq!(
        w.plugged(&vm).await,
        [eth0.clone(), again.clone(), own_id.clone()]
    );

    // Both are in the action log.
    let actions = w
        .app
        .nova(
            Method::GET,
            &format!("/servers/{vm}/os-instance-actions"),
            &token,
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
    assert_eq!(
        names.iter().filter(|n| **n == "attach_interface").count(),
        4,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| **n == "detach_interface").count(),
        2,
        "{names:?}"
    );

    // Deleting the server releases what it holds: made ports go, the user's stays.
    w.app
        .nova(Method::DELETE, &format!("/servers/{vm}"), &token, None)
        .await
        .expect(204);
    w.wait_gone(&vm).await;
    assert!(w.ports_of(&vm).await.is_empty());
    let kept = w
        .neutron_as(
            Method::GET,
            &format!("/ports/{own_id}"),
            &token,
            Value::Null,
        )
        .await["port"]
        .clone();
    assert_eq!(kept["device_id"], "");
    let driver = w.app.state.compute.fake_driver().unwrap().clone();
    assert!(driver.leftovers(&vm).await.is_empty());
}

#[tokio::test]
async fn interface_attach_refuses_bad_requests_and_undoes_a_failed_plug() {
    let w = world().await;
    let token = w.user.token.clone();
    let net = w.user_network("net1", "10.1.0.0/24").await;
    let other_net = w.user_network("net2", "10.2.0.0/24").await;
    let r = w
        .launch(json!({"networks": [{"uuid": net}]}))
        .await
        .expect(202);
    let vm = id(&r.body["server"]);
    w.wait(&vm, "ACTIVE").await;
    let r = w
        .launch(json!({"networks": [{"uuid": net}]}))
        .await
        .expect(202);
    let vm2 = id(&r.body["server"]);
    w.wait(&vm2, "ACTIVE").await;
    let used = w.ports_of(&vm2).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let eth0 = w.interfaces(&vm).await[0]["port_id"]
        .as_str()
        .unwrap()
        .to_string();
    let bob = w.app.member("bob", "beta", "member").await;
    let bobs_net = w
        .app
        .neutron(
            Method::POST,
            "/networks",
            &bob.token,
            Some(&json!({"network": {"name": "b"}})),
        )
        .await
        .expect(201)
        .body["network"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let empty = w
        .neutron_as(
            Method::POST,
            "/networks",
            &token,
            json!({"network": {"name": "empty"}}),
        )
        .await["network"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let missing = "00000000-0000-4000-8000-000000000000";
    let cases = [
        (
            json!({"interfaceAttachment": {"net_id": net, "port_id": used}}),
            400,
            "badRequest",
            "Must not input both",
        ),
        (
            json!({"interfaceAttachment": {"fixed_ips": [{"ip_address": "10.1.0.9"}]}}),
            400,
            "badRequest",
            "Must input network_id",
        ),
        (
            json!({"interfaceAttachment": {"net_id": "not-a-uuid"}}),
            400,
            "badRequest",
            "uuid",
        ),
        (
            json!({"interfaceAttachment": {"net_id": net, "colour": "red"}}),
            400,
            "badRequest",
            "colour",
        ),
        (
            json!({"interfaceAttachment": {"net_id": net, "fixed_ips": [{"ip_address": "10.1.0"}]}}),
            400,
            "badRequest",
            "10.1.0",
        ),
        (
            json!({"interfaceAttachment": {"net_id": net, "fixed_ips": [{"ip_address": "10.1.0.8"}, {"ip_address": "10.1.0.9"}]}}),
            400,
            "badRequest",
            "exactly one",
        ),
        (
            json!({"interfaceAttachment": "net1"}),
            400,
            "badRequest",
            "object",
        ),
        (
            json!({"interfaceAttachment": {}}),
            400,
            "badRequest",
            "Multiple possible networks",
        ),
        (
            json!({"interfaceAttachment": {"net_id": missing}}),
            404,
            "itemNotFound",
            "Network",
        ),
        // Another project's network is not found either.
        (
            json!({"interfaceAttachment": {"net_id": bobs_net}}),
            404,
            "itemNotFound",
            "Network",
        ),
        (
            json!({"interfaceAttachment": {"port_id": missing}}),
            404,
            "itemNotFound",
            "Port",
        ),
        (
            json!({"interfaceAttachment": {"port_id": used}}),
            409,
            "conflictingRequest",
            "still in use",
        ),
        (
            json!({"interfaceAttachment": {"net_id": empty}}),
            400,
            "badRequest",
            "requires a subnet",
        ),
    ];
    for (body, status, kind, words) in cases {
        let r = w.attach(&vm, body.clone()).await.expect_nova(status, kind);
        assert!(r.nova_message().contains(words), "{body}: {}", r.text);
    }
    // An address another port holds.
    let taken = w.ports_of(&vm2).await[0]["fixed_ips"][0]["ip_address"].clone();
    let r = w
        .attach(
            &vm,
            json!({"interfaceAttachment": {"net_id": net, "fixed_ips": [{"ip_address": taken}]}}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    // Another project's server is not found; a port it does not have is not attached.
    let r = w
        .app
        .nova(
            Method::POST,
            &format!("/servers/{vm}/os-interface"),
            &bob.token,
            Some(&json!({"interfaceAttachment": {"net_id": net}})),
        )
        .await
        .expect_nova(404, "itemNotFound");
    assert!(r.nova_message().contains(&vm), "{}", r.text);
    w.app
        .nova(
            Method::GET,
            &format!("/servers/{vm}/os-interface"),
            &bob.token,
            None,
        )
        .await
        .expect_nova(404, "itemNotFound");
    let r = w
        .app
        .nova(
            Method::DELETE,
            &format!("/servers/{vm}/os-interface/{used}"),
            &token,
            None,
        )
        .await
        .expect_nova(404, "itemNotFound");
    assert!(r.nova_message().contains("is not attached"), "{}", r.text);
    w.app
        .nova(
            Method::GET,
            &format!("/servers/{vm}/os-interface/{used}"),
            &token,
            None,
        )
        .await
        .expect_nova(404, "itemNotFound");

    // States: a paused server takes an interface but cannot give one back; a suspended
    // one neither; a locked one is refused.
    let act = |body: Value| {
        let w = &w;
        let token = token.clone();
        let vm = vm.clone();
        async move {
            w.app
                .nova(
                    Method::POST,
                    &format!("/servers/{vm}/action"),
                    &token,
                    Some(&body),
                )
                .await
                .expect(202);
        }
    };
    act(json!({"suspend": null})).await;
    w.wait(&vm, "SUSPENDED").await;
    let r = w
        .attach(&vm, json!({"interfaceAttachment": {"net_id": other_net}}))
        .await
        .expect_nova(409, "conflictingRequest");
    assert!(r.nova_message().contains("attach_interface"), "{}", r.text);
    act(json!({"resume": null})).await;
    w.wait(&vm, "ACTIVE").await;
    act(json!({"pause": null})).await;
    w.wait(&vm, "PAUSED").await;
    let r = w
        .app
        .nova(
            Method::DELETE,
            &format!("/servers/{vm}/os-interface/{eth0}"),
            &token,
            None,
        )
        .await
        .expect_nova(409, "conflictingRequest");
    assert!(r.nova_message().contains("detach_interface"), "{}", r.text);
    act(json!({"unpause": null})).await;
    w.wait(&vm, "ACTIVE").await;
    // Locked by an administrator: the owner is refused.
    let admin_act = |body: Value| {
        let w = &w;
        let vm = vm.clone();
        async move {
            w.app
                .nova(
                    Method::POST,
                    &format!("/servers/{vm}/action"),
                    &w.admin,
                    Some(&body),
                )
                .await
                .expect(202);
        }
    };
    admin_act(json!({"lock": null})).await;
    let r = w
        .attach(&vm, json!({"interfaceAttachment": {"net_id": other_net}}))
        .await
        .expect_nova(409, "conflictingRequest");
    assert!(r.nova_message().contains("locked"), "{}", r.text);
    admin_act(json!({"unlock": null})).await;

    // A hot-plug the hypervisor refuses: a clear error, and nothing is left of the try.
    let ports_before = w.ports_of(&vm).await;
    let fake = w.app.state.compute.fake_driver().unwrap();
    fake.fail_on("attach_nic");
    let r = w
        .attach(&vm, json!({"interfaceAttachment": {"net_id": other_net}}))
        .await
        .expect_nova(409, "conflictingRequest");
    assert!(
        r.nova_message()
            .contains("Failed to attach network adapter device"),
        "{}",
        r.text
    );
    fake.clear_failures();
    assert_eq!(w.ports_of(&vm).await, ports_before);
    assert_eq!(w.interfaces(&vm).await.len(), 1);
    assert_eq!(w.plugged(&vm).await, [eth0.clone()]);
    let s = w.server(&vm).await;
    assert!(s["OS-EXT-STS:task_state"].is_null(), "{s}");
    assert!(s["addresses"].get("net2").is_none(), "{s}");
    // Eight slots: the ninth interface is refused before anything is made.
    for _ in 1..8 {
        w.attach(&vm, json!({"interfaceAttachment": {"net_id": other_net}}))
            .await
            .expect(200);
    }
    let r = w
        .attach(&vm, json!({"interfaceAttachment": {"net_id": other_net}}))
        .await
        .expect_nova(400, "badRequest");
    assert!(r.nova_message().contains("detach one first"), "{}", r.text);
    assert_eq!(w.interfaces(&vm).await.len(), 8);
    assert_eq!(w.plugged(&vm).await.len(), 8);
    // And a launch asking for more than eight is refused as a bad request.
    let nine: Vec<Value> = (0..9).map(|_| json!({"uuid": other_net})).collect();
    let r = w
        .launch(json!({"networks": nine}))
        .await
        .expect_nova(400, "badRequest");
    assert!(r.nova_message().contains("at most 8"), "{}", r.text);
}
