//! The network data-plane contract: one walkthrough through the API — an external flat
//! network, a project network with DHCP, a router with its gateway and an interface, an
//! instance's port with security groups, a floating IP — checked after every step
//! against what the driver finds on the host. It runs with the fake driver and with
//! `linuxbridge` (root, iproute2, nftables, dnsmasq: what scripts/setup installs), which
//! also has to repair drift, survive a restart, and leave nothing behind.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};

use gureum::server::config::Config;
use gureum::server::drivers::network::{tap_name, HostState};
use gureum::server::services::network::NetworkDriverChoice;

use crate::helpers::{spawn_app_with, TestApp};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Another controller on the same host, and what its driver found there when it was
/// last checked.
type Beside<'a> = Option<(&'a TestApp, &'a HostState)>;

/// Converges, then compares what the driver finds with what the plan asks for; and
/// finds the other controller's part of the host (if there is one) exactly as it was,
/// without letting that one converge again.
async fn check(app: &TestApp, step: &str, beside: Beside<'_>) -> HostState {
    let network = &app.state.network;
    network
        .sync()
        .await
        .unwrap_or_else(|e| panic!("{step}: sync: {e:?}"));
    let plan = network.plan().await.unwrap();
    let found = network.driver().observe().await.unwrap();
    let expected = HostState::expected(&plan);
    assert_eq!(found, expected, "{step}: the host differs from the plan");
    if let Some((other, was)) = beside {
        let now = other.state.network.driver().observe().await.unwrap();
        assert_eq!(
            &now, was,
            "{step}: the other controller's part of the host changed"
        );
    }
    found
}

async fn call(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> Value {
    let body = (!body.is_null()).then_some(body);
    let r = app
        .neutron(method.clone(), path, token, body.as_ref())
        .await;
    assert!(r.status.is_success(), "{method} {path}: {}", r.text);
    r.body
}

/// Removes what a failed linuxbridge run left on the host (a passing run removes it all
/// through the API and checks that).
struct Leftovers(std::sync::Mutex<Vec<(&'static str, String)>>);

impl Leftovers {
    fn add(&self, kind: &'static str, name: String) {
        self.0.lock().unwrap().push((kind, name));
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        for (kind, name) in self.0.lock().unwrap().iter().rev() {
            let args: Vec<&str> = match *kind {
                "netns" => vec!["netns", "delete", name],
                _ => vec!["link", "delete", name],
            };
            let _ = std::process::Command::new("ip").args(&args).output();
        }
    }
}

/// How a walkthrough's controller is configured: the driver, and its own physical bridge.
fn configure(driver: NetworkDriverChoice, bridge: &str) -> impl FnOnce(&mut Config) + Clone {
    let bridge = bridge.to_string();
    move |c: &mut Config| {
        c.network.driver = driver;
        c.network.physnets = BTreeMap::from([("extnet".to_string(), bridge)]);
    }
}

/// A walkthrough's controller and what it has made.
struct Walk {
    app: TestApp,
    driver: NetworkDriverChoice,
    bridge: String,
    leftovers: Leftovers,
    alice: crate::helpers::Member,
    public: Value,
    net: Value,
    subnet: Value,
    router: Value,
    port: Value,
    fip: Value,
    tap: String,
    gw_ip: String,
}

/// The contract: building, exercising and taking down everything the data plane has.
async fn contract(driver: NetworkDriverChoice) {
    let walk = build(driver, None).await;
    let walk = exercise(walk, None).await;
    teardown(walk, None).await;
}

/// Builds one of everything through the API, checking the host after every step.
async fn build(driver: NetworkDriverChoice, beside: Beside<'_>) -> Walk {
    let bridge = format!("brx{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let leftovers = Leftovers(Default::default());
    if driver == NetworkDriverChoice::Linuxbridge {
        leftovers.add("link", bridge.clone());
    }
    let app = spawn_app_with(configure(driver, &bridge)).await;
    let admin = app.admin_token().await;
    let alice = app.member("alice", "alpha", "member").await;
    let a = alice.token.as_str();

    let s = check(&app, "start", beside).await;
    assert!(
        s.bridges.contains(&bridge),
        "the physical bridge is made: {s:?}"
    );

    let public = call(&app, &admin, Method::POST, "/networks", json!({"network": {"name": "public", "router:external": true, "provider:network_type": "flat", "provider:physical_network": "extnet"}})).await["network"].clone();
    call(&app, &admin, Method::POST, "/subnets", json!({"subnet": {"network_id": id(&public), "cidr": "203.0.113.0/24", "ip_version": 4, "enable_dhcp": false, "gateway_ip": "203.0.113.1", "allocation_pools": [{"start": "203.0.113.100", "end": "203.0.113.120"}]}})).await;
    let net = call(
        &app,
        a,
        Method::POST,
        "/networks",
        json!({"network": {"name": "net1"}}),
    )
    .await["network"]
        .clone();
    let subnet = call(&app, a, Method::POST, "/subnets", json!({"subnet": {"network_id": id(&net), "cidr": "10.0.0.0/24", "ip_version": 4, "dns_nameservers": ["192.0.2.53"]}})).await["subnet"].clone();
    let s = check(&app, "network with DHCP", beside).await;
    let dhcp_ns = format!("qdhcp-{}", id(&net));
    if driver == NetworkDriverChoice::Linuxbridge {
        leftovers.add("netns", dhcp_ns.clone());
    }
    assert!(s.namespaces.contains(&dhcp_ns), "{s:?}");
    assert_eq!(
        s.addresses[&dhcp_ns].iter().collect::<Vec<_>>(),
        ["10.0.0.2/24"]
    );

    let router = call(
        &app,
        a,
        Method::POST,
        "/routers",
        json!({"router": {"name": "r1", "external_gateway_info": {"network_id": id(&public)}}}),
    )
    .await["router"]
        .clone();
    call(
        &app,
        a,
        Method::PUT,
        &format!("/routers/{}/add_router_interface", id(&router)),
        json!({"subnet_id": id(&subnet)}),
    )
    .await;
    let gw_ip = router["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
        .as_str()
        .unwrap()
        .to_string();
    let s = check(&app, "router", beside).await;
    let router_ns = format!("qrouter-{}", id(&router));
    if driver == NetworkDriverChoice::Linuxbridge {
        leftovers.add("netns", router_ns.clone());
    }
    assert!(
        s.addresses[&router_ns].contains(&format!("{gw_ip}/24")),
        "{s:?}"
    );
    assert!(s.addresses[&router_ns].contains("10.0.0.1/24"), "{s:?}");

    // An instance's port, bound to this host: a tap on the network's bridge, filtered.
    call(&app, a, Method::POST, "/security-group-rules", json!({"security_group_rule": {"security_group_id": default_group(&app, a).await, "direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}})).await;
    let port = call(
        &app,
        a,
        Method::POST,
        "/ports",
        json!({"port": {"network_id": id(&net)}}),
    )
    .await["port"]
        .clone();
    let host = app.state.network.host().to_string();
    app.state
        .network
        .port_bind(&id(&port), "vm-1", &host)
        .await
        .unwrap();
    let tap = tap_name(&id(&port));
    if driver == NetworkDriverChoice::Linuxbridge {
        leftovers.add("link", tap.clone());
    }
    let s = check(&app, "instance port", beside).await;
    assert!(s.ports.contains_key(&tap), "{s:?}");
    assert!(s.filtered.contains(&tap), "{s:?}");
    let fixed = port["fixed_ips"][0]["ip_address"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        s.dhcp_hosts[&dhcp_ns].contains(&(
            port["mac_address"].as_str().unwrap().to_string(),
            fixed.clone()
        )),
        "{s:?}"
    );

    // A floating IP: DNAT to the fixed address, and the address on the gateway.
    let fip = call(
        &app,
        a,
        Method::POST,
        "/floatingips",
        json!({"floatingip": {"floating_network_id": id(&public), "port_id": id(&port)}}),
    )
    .await["floatingip"]
        .clone();
    let floating = fip["floating_ip_address"].as_str().unwrap().to_string();
    let s = check(&app, "floating IP", beside).await;
    assert!(
        s.nat[&router_ns].contains(&(floating.clone(), fixed.clone())),
        "{s:?}"
    );
    assert!(
        s.addresses[&router_ns].contains(&format!("{floating}/32")),
        "{s:?}"
    );

    Walk {
        app,
        driver,
        bridge,
        leftovers,
        alice,
        public,
        net,
        subnet,
        router,
        port,
        fip,
        tap,
        gw_ip,
    }
}

/// Drift repaired, packets moving (linuxbridge), and a restart that changes nothing.
async fn exercise(walk: Walk, beside: Beside<'_>) -> Walk {
    let Walk {
        app,
        driver,
        bridge,
        tap,
        gw_ip,
        ..
    } = walk;
    if driver == NetworkDriverChoice::Linuxbridge {
        // Drift is repaired: a tap deleted behind the driver's back comes back.
        let out = std::process::Command::new("ip")
            .args(["link", "delete", &tap])
            .output()
            .unwrap();
        assert!(out.status.success());
        check(&app, "after drift", beside).await;
        // Packets move: a namespace on the physical bridge reaches the router's gateway.
        let outside = format!("gr-out-{}", &bridge[3..]);
        let sh = |args: &[&str]| {
            let out = std::process::Command::new("ip")
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        sh(&["netns", "add", &outside]);
        let veth = format!("vo{}", &bridge[3..]);
        sh(&[
            "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &outside,
        ]);
        sh(&["link", "set", &veth, "master", &bridge, "up"]);
        sh(&[
            "-n",
            &outside,
            "addr",
            "add",
            "203.0.113.2/24",
            "dev",
            "eth0",
        ]);
        sh(&["-n", &outside, "link", "set", "eth0", "up"]);
        let ping = std::process::Command::new("ip")
            .args([
                "netns", "exec", &outside, "ping", "-c", "2", "-W", "2", &gw_ip,
            ])
            .output()
            .unwrap();
        let _ = std::process::Command::new("ip")
            .args(["netns", "delete", &outside])
            .output();
        let _ = std::process::Command::new("ip")
            .args(["link", "delete", &veth])
            .output();
        assert!(
            ping.status.success(),
            "ping {gw_ip} from outside: {}",
            String::from_utf8_lossy(&ping.stdout)
        );
    }

    // A restart reconciles to the same state.
    let before = app.state.network.driver().observe().await.unwrap();
    let app = app.restart_with(configure(driver, &bridge)).await;
    let after = check(&app, "after a restart", beside).await;
    if driver == NetworkDriverChoice::Linuxbridge {
        assert_eq!(before, after, "a restart changed the host");
    }

    Walk {
        app,
        driver,
        bridge,
        tap,
        gw_ip,
        ..walk
    }
}

/// Taking everything down through the API leaves nothing but the physical bridge.
async fn teardown(walk: Walk, beside: Beside<'_>) {
    let Walk {
        app,
        bridge,
        leftovers: _leftovers,
        alice,
        public,
        net,
        subnet,
        router,
        port,
        fip,
        ..
    } = walk;
    let a = alice.token.as_str();
    let admin = app.admin_token().await;
    call(
        &app,
        a,
        Method::DELETE,
        &format!("/floatingips/{}", id(&fip)),
        Value::Null,
    )
    .await;
    call(
        &app,
        a,
        Method::DELETE,
        &format!("/ports/{}", id(&port)),
        Value::Null,
    )
    .await;
    call(
        &app,
        a,
        Method::PUT,
        &format!("/routers/{}/remove_router_interface", id(&router)),
        json!({"subnet_id": id(&subnet)}),
    )
    .await;
    call(
        &app,
        a,
        Method::DELETE,
        &format!("/routers/{}", id(&router)),
        Value::Null,
    )
    .await;
    call(
        &app,
        a,
        Method::DELETE,
        &format!("/networks/{}", id(&net)),
        Value::Null,
    )
    .await;
    call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/networks/{}", id(&public)),
        Value::Null,
    )
    .await;
    let s = check(&app, "all deleted", beside).await;
    assert!(s.namespaces.is_empty() && s.ports.is_empty(), "{s:?}");
    assert_eq!(s.bridges.iter().collect::<Vec<_>>(), [&bridge]);
}

async fn default_group(app: &TestApp, token: &str) -> String {
    let list = call(
        app,
        token,
        Method::GET,
        "/security-groups?name=default",
        Value::Null,
    )
    .await;
    id(&list["security_groups"][0])
}

/// Whether to run a test of the linuxbridge driver on this host. `scripts/test` asks for
/// them (`GUREUM_HOST_TESTS=1`), and then a host that cannot run them fails the test; a
/// plain `cargo test` (a developer who is not root) skips them, saying so.
fn linuxbridge_wanted() -> bool {
    if !crate::helpers::host_tests_wanted("root, iproute2, nftables and dnsmasq") {
        return false;
    }
    assert!(
        gureum::server::drivers::network::linuxbridge::available(),
        "the linuxbridge driver needs root, iproute2, nftables and dnsmasq (scripts/setup installs them)"
    );
    true
}

#[tokio::test]
async fn the_fake_network_driver_keeps_the_contract() {
    contract(NetworkDriverChoice::Fake).await;
}

#[tokio::test]
async fn the_linuxbridge_driver_keeps_the_contract_on_this_host() {
    if !linuxbridge_wanted() {
        return;
    }
    contract(NetworkDriverChoice::Linuxbridge).await;
}

/// Two controllers with the linuxbridge data plane on one host (two clouds on one
/// machine, or a new controller beside an old one left running): the second builds one of
/// everything, repairs drift, moves packets, restarts and takes it all down, while the
/// first's bridges, taps, namespaces, addresses, NAT, DHCP hosts and port filters stay
/// exactly as they were at every step, without the first converging again. Then the
/// first takes its own down.
#[tokio::test]
async fn two_linuxbridge_controllers_on_one_host_leave_each_other_alone() {
    if !linuxbridge_wanted() {
        return;
    }
    let first = build(NetworkDriverChoice::Linuxbridge, None).await;
    let was = first.app.state.network.driver().observe().await.unwrap();
    assert!(!was.filtered.is_empty() && !was.nat.is_empty(), "{was:?}");
    let beside = Some((&first.app, &was));
    let second = build(NetworkDriverChoice::Linuxbridge, beside).await;
    let second = exercise(second, beside).await;
    teardown(second, beside).await;
    teardown(first, None).await;
}

/// One piece of the data plane that cannot be made (here a DHCP server whose directory is
/// blocked by a file) is reported, and does not keep the rest down: a router made after
/// it still gets its namespace. Once the obstacle goes, the next apply makes the DHCP
/// server too.
#[tokio::test]
async fn a_failing_dhcp_server_does_not_keep_the_rest_of_the_host_down() {
    if !linuxbridge_wanted() {
        return;
    }
    let bridge = format!("brx{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let leftovers = Leftovers(Default::default());
    leftovers.add("link", bridge.clone());
    let app = spawn_app_with({
        let bridge = bridge.clone();
        move |c: &mut Config| {
            c.network.driver = NetworkDriverChoice::Linuxbridge;
            c.network.physnets = BTreeMap::from([("extnet".to_string(), bridge)]);
        }
    })
    .await;
    let alice = app.member("alice", "alpha", "member").await;
    let a = alice.token.as_str();
    let net = call(
        &app,
        a,
        Method::POST,
        "/networks",
        json!({"network": {"name": "net1"}}),
    )
    .await["network"]
        .clone();
    let blocker = app.data_dir().join("network").join("dhcp").join(id(&net));
    std::fs::create_dir_all(blocker.parent().unwrap()).unwrap();
    std::fs::write(&blocker, "in the way").unwrap();
    let dhcp_ns = format!("qdhcp-{}", id(&net));
    leftovers.add("netns", dhcp_ns.clone());
    let subnet = call(
        &app,
        a,
        Method::POST,
        "/subnets",
        json!({"subnet": {"network_id": id(&net), "cidr": "10.0.0.0/24", "ip_version": 4}}),
    )
    .await["subnet"]
        .clone();
    let router = call(
        &app,
        a,
        Method::POST,
        "/routers",
        json!({"router": {"name": "r1"}}),
    )
    .await["router"]
        .clone();
    let router_ns = format!("qrouter-{}", id(&router));
    leftovers.add("netns", router_ns.clone());
    call(
        &app,
        a,
        Method::PUT,
        &format!("/routers/{}/add_router_interface", id(&router)),
        json!({"subnet_id": id(&subnet)}),
    )
    .await;
    let network = &app.state.network;
    let err = network
        .sync()
        .await
        .expect_err("the DHCP server cannot be made");
    assert!(format!("{err:?}").contains(&dhcp_ns), "{err:?}");
    let found = network.driver().observe().await.unwrap();
    assert!(
        found.namespaces.contains(&router_ns),
        "the router is made all the same: {found:?}"
    );
    assert!(
        found.addresses[&router_ns].contains("10.0.0.1/24"),
        "with its interface: {found:?}"
    );
    // The obstacle gone, the next apply converges the whole host.
    std::fs::remove_file(&blocker).unwrap();
    check(&app, "after the obstacle went", None).await;
    // Cleaned up through the API.
    call(
        &app,
        a,
        Method::PUT,
        &format!("/routers/{}/remove_router_interface", id(&router)),
        json!({"subnet_id": id(&subnet)}),
    )
    .await;
    call(
        &app,
        a,
        Method::DELETE,
        &format!("/routers/{}", id(&router)),
        Value::Null,
    )
    .await;
    call(
        &app,
        a,
        Method::DELETE,
        &format!("/subnets/{}", id(&subnet)),
        Value::Null,
    )
    .await;
    call(
        &app,
        a,
        Method::DELETE,
        &format!("/networks/{}", id(&net)),
        Value::Null,
    )
    .await;
    let s = check(&app, "everything deleted", None).await;
    assert!(s.namespaces.is_empty(), "{s:?}");
}

/// Security groups fail closed and controllers sharing a host leave each other alone:
/// two controllers' rule sets (each with its own bridge and "instances", veths into
/// namespaces of their own) applied in one network namespace, then a stale table that
/// clears every packet mark, as one left by an older controller could.
#[tokio::test]
async fn security_groups_fail_closed_beside_other_tables() {
    use gureum::server::drivers::network::linuxbridge::{mark_tag, security_group_script};
    use gureum::server::drivers::network::{HostPlan, RulePlan, TapPlan};
    if !linuxbridge_wanted() {
        return;
    }
    let run = |args: &[&str]| -> bool {
        std::process::Command::new(args[0])
            .args(&args[1..])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let must = |args: &[&str]| assert!(run(args), "{args:?}");
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let host = format!("gsg-{tag}");
    let leftovers = Leftovers(Default::default());
    leftovers.add("netns", host.clone());
    must(&["ip", "netns", "add", &host]);
    let in_host = |args: &[&str]| -> bool {
        let mut all = vec!["ip", "netns", "exec", &host];
        all.extend_from_slice(args);
        run(&all)
    };
    assert!(in_host(&[
        "sh",
        "-c",
        "echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables"
    ]));
    // Two bridges (one per controller), two "instances" on each.
    let vms = [("br-a", 1), ("br-a", 2), ("br-b", 3), ("br-b", 4)];
    for br in ["br-a", "br-b"] {
        assert!(in_host(&["ip", "link", "add", br, "type", "bridge"]));
        assert!(in_host(&["ip", "link", "set", br, "up"]));
    }
    let mut macs = Vec::new();
    for (br, n) in vms {
        let vm = format!("{host}-vm{n}");
        leftovers.add("netns", vm.clone());
        must(&["ip", "netns", "add", &vm]);
        let mac = format!("02:00:00:00:00:0{n}");
        let port = format!("p{n}");
        must(&[
            "ip", "-n", &host, "link", "add", &port, "type", "veth", "peer", "name", "eth0",
            "netns", &vm,
        ]);
        must(&[
            "ip", "-n", &vm, "link", "set", "eth0", "address", &mac, "up",
        ]);
        must(&[
            "ip",
            "-n",
            &vm,
            "addr",
            "add",
            &format!("10.9.0.{n}/24"),
            "dev",
            "eth0",
        ]);
        assert!(in_host(&["ip", "link", "set", &port, "master", br, "up"]));
        macs.push(mac);
    }
    let icmp_in = RulePlan {
        direction: "ingress".into(),
        protocol: Some(1),
        port_min: None,
        port_max: None,
        remote: vec![],
    };
    let all_out = RulePlan {
        direction: "egress".into(),
        protocol: None,
        port_min: None,
        port_max: None,
        remote: vec![],
    };
    // Even ports let pings in; odd ones do not.
    let tap = |n: usize| TapPlan {
        port_id: format!("port-{n}"),
        tap: format!("p{n}"),
        bridge: vms[n - 1].0.to_string(),
        mac: macs[n - 1].clone(),
        addresses: vec![format!("10.9.0.{n}")],
        allowed_macs: vec![],
        rules: Some(if n % 2 == 0 {
            vec![icmp_in.clone(), all_out.clone()]
        } else {
            vec![all_out.clone()]
        }),
    };
    let plan = |ns: &[usize]| HostPlan {
        taps: ns.iter().map(|&n| tap(n)).collect(),
        ..Default::default()
    };
    let apply = |script: String| {
        let mut child = std::process::Command::new("ip")
            .args(["netns", "exec", &host, "nft", "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "nft refused:\n{script}");
    };
    let ping = |from: usize, to: usize| -> bool {
        run(&[
            "ip",
            "netns",
            "exec",
            &format!("{host}-vm{from}"),
            "ping",
            "-c",
            "1",
            "-W",
            "1",
            &format!("10.9.0.{to}"),
        ])
    };
    let expect = |when: &str, open: bool| {
        assert_eq!(ping(1, 2), open, "{when}: 1 → 2 (ICMP allowed in)");
        assert!(!ping(2, 1), "{when}: 2 → 1 is refused (no ICMP rule)");
        assert_eq!(ping(3, 4), open, "{when}: 3 → 4 (ICMP allowed in)");
        assert!(!ping(4, 3), "{when}: 4 → 3 is refused (no ICMP rule)");
    };

    // One controller alone, then a second beside it on the same host.
    apply(security_group_script("gureum_a", mark_tag("a"), &plan(&[1, 2])).unwrap());
    assert!(ping(1, 2), "controller a alone: 1 → 2");
    assert!(!ping(2, 1), "controller a alone: 2 → 1 is refused");
    apply(security_group_script("gureum_b", mark_tag("b"), &plan(&[3, 4])).unwrap());
    expect("two controllers", true);

    // A stale table of an older controller that clears every mark before ours ran, and
    // lets every unmarked packet through: ours sets its own marks again.
    apply(
        "table bridge stale_early {\n  chain ports {\n    type filter hook forward priority -200; policy accept;\n    meta mark set 0x0\n  }\n}\n\
         table inet stale_early {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n    meta mark 0x0 accept\n  }\n}\n"
            .into(),
    );
    expect("beside a table that cleared marks first", true);
    // One that clears them after ours marked the frames: the filter fails closed.
    apply(
        "table bridge stale_late {\n  chain ports {\n    type filter hook forward priority -100; policy accept;\n    meta mark set 0x0\n  }\n}\n"
            .into(),
    );
    expect("beside a table that cleared our marks", false);
    apply("delete table bridge stale_late\n".into());
    expect("with that table gone", true);

    // A controller with no filtered port left removes its tables and nothing else.
    apply(security_group_script("gureum_b", mark_tag("b"), &plan(&[])).unwrap());
    assert!(ping(1, 2) && !ping(2, 1), "controller a keeps its rules");
    assert!(ping(4, 3), "controller b filters nothing now");
}
