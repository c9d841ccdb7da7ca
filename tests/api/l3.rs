//! Routers, floating IPs and network agents over HTTP: the seed's walkthrough (external
//! network, router with gateway and interface, a floating IP on an instance's port), what
//! stays in use while something depends on it, isolation, bad input, and agents.

use std::net::Ipv4Addr;

use reqwest::Method;
use serde_json::{json, Value};

use crate::network::{id, world, World};

/// The admin's external network `public` (203.0.113.0/24, pool .100–.120) and Alice's
/// network with 10.0.0.0/24.
struct Seed {
    w: World,
    public: String,
    public_subnet: String,
    net: String,
    subnet: String,
}

async fn seed() -> Seed {
    let w = world().await;
    let public = w
        .network(
            &w.admin,
            json!({"name": "public", "router:external": true,
                   "provider:network_type": "flat", "provider:physical_network": "extnet"}),
        )
        .await;
    let public_subnet = w
        .subnet(
            &w.admin,
            json!({"network_id": id(&public), "name": "public-subnet", "ip_version": 4,
                   "cidr": "203.0.113.0/24", "enable_dhcp": false,
                   "allocation_pools": [{"start": "203.0.113.100", "end": "203.0.113.120"}]}),
        )
        .await;
    let net = w.network(&w.alice.token, json!({"name": "net1"})).await;
    let subnet = w
        .subnet(
            &w.alice.token,
            json!({"network_id": id(&net), "name": "subnet1", "ip_version": 4,
                   "cidr": "10.0.0.0/24", "dns_nameservers": ["8.8.8.8"]}),
        )
        .await;
    Seed {
        public: id(&public),
        public_subnet: id(&public_subnet),
        net: id(&net),
        subnet: id(&subnet),
        w,
    }
}

impl Seed {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> crate::helpers::Reply {
        let body = (!body.is_null()).then_some(body);
        self.w.app.neutron(method, path, token, body.as_ref()).await
    }

    async fn alice(&self, method: Method, path: &str, body: Value) -> crate::helpers::Reply {
        let token = self.w.alice.token.clone();
        self.call(method, path, &token, body).await
    }

    /// Alice's router with its gateway on `public` and an interface on her subnet.
    async fn router(&self) -> String {
        let r = self
            .alice(
                Method::POST,
                "/routers",
                json!({"router": {"name": "router1",
                       "external_gateway_info": {"network_id": self.public}}}),
            )
            .await
            .expect(201)
            .body["router"]
            .clone();
        let router = id(&r);
        self.alice(
            Method::PUT,
            &format!("/routers/{router}/add_router_interface"),
            json!({"subnet_id": self.subnet}),
        )
        .await
        .expect(200);
        router
    }

    /// A port on Alice's network, standing in for an instance's.
    async fn instance_port(&self) -> Value {
        self.w
            .port(
                &self.w.alice.token,
                json!({"network_id": self.net, "device_id": "vm-1"}),
            )
            .await
            .expect(201)
            .body["port"]
            .clone()
    }

    async fn floating_ip(&self) -> Value {
        self.alice(
            Method::POST,
            "/floatingips",
            json!({"floatingip": {"floating_network_id": self.public}}),
        )
        .await
        .expect(201)
        .body["floatingip"]
            .clone()
    }
}

fn in_public_pool(ip: &Value) -> bool {
    let ip: Ipv4Addr = ip.as_str().unwrap().parse().unwrap();
    (Ipv4Addr::new(203, 0, 113, 100)..=Ipv4Addr::new(203, 0, 113, 120)).contains(&ip)
}

#[tokio::test]
async fn the_seed_router_and_floating_ip() {
    let s = seed().await;
    // The router: no gateway at first, then `router set --external-gateway public`.
    let r = s
        .alice(
            Method::POST,
            "/routers",
            json!({"router": {"name": "router1"}}),
        )
        .await
        .expect(201)
        .body["router"]
        .clone();
    assert_eq!(r["external_gateway_info"], Value::Null);
    assert_eq!(r["status"], "ACTIVE");
    assert_eq!(r["project_id"], json!(s.w.alice.project_id));
    let router = id(&r);
    let r = s
        .alice(
            Method::PUT,
            &format!("/routers/{router}"),
            json!({"router": {"external_gateway_info": {"network_id": s.public}}}),
        )
        .await
        .expect(200)
        .body["router"]
        .clone();
    let gw = &r["external_gateway_info"];
    assert_eq!(gw["network_id"], json!(s.public));
    assert_eq!(gw["enable_snat"], json!(true), "SNAT is on by default");
    assert_eq!(
        gw["external_fixed_ips"][0]["subnet_id"],
        json!(s.public_subnet)
    );
    assert!(
        in_public_pool(&gw["external_fixed_ips"][0]["ip_address"]),
        "{gw}"
    );

    // `router add subnet`: a port holding the subnet's gateway address.
    let i = s
        .alice(
            Method::PUT,
            &format!("/routers/{router}/add_router_interface"),
            json!({"subnet_id": s.subnet}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(i["id"], json!(router));
    assert_eq!(i["subnet_id"], json!(s.subnet));
    assert_eq!(i["network_id"], json!(s.net));
    let ports = s
        .alice(
            Method::GET,
            &format!("/ports?device_id={router}"),
            Value::Null,
        )
        .await
        .expect(200)
        .body["ports"]
        .clone();
    let ports = ports.as_array().unwrap();
    assert_eq!(
        ports.len(),
        1,
        "the gateway port is no project's: {ports:?}"
    );
    assert_eq!(ports[0]["id"], i["port_id"]);
    assert_eq!(ports[0]["device_owner"], "network:router_interface");
    assert_eq!(ports[0]["fixed_ips"][0]["ip_address"], "10.0.0.1");
    // The same subnet twice overlaps itself.
    s.alice(
        Method::PUT,
        &format!("/routers/{router}/add_router_interface"),
        json!({"subnet_id": s.subnet}),
    )
    .await
    .expect_neutron(400, "BadRequest");
    // The interface port is the router's to remove, not the port API's.
    let iport = i["port_id"].as_str().unwrap().to_string();
    s.alice(Method::DELETE, &format!("/ports/{iport}"), Value::Null)
        .await
        .expect_neutron(409, "L3PortInUse");

    // A floating IP from the pool, then `server add floating ip` (PUT port_id).
    let vm_port = s.instance_port().await;
    let fip = s.floating_ip().await;
    assert!(in_public_pool(&fip["floating_ip_address"]), "{fip}");
    assert_ne!(
        fip["floating_ip_address"], gw["external_fixed_ips"][0]["ip_address"],
        "the gateway's address is taken"
    );
    assert_eq!(fip["status"], "DOWN");
    assert_eq!(fip["port_id"], Value::Null);
    let fip_id = id(&fip);
    let address = fip["floating_ip_address"].as_str().unwrap().to_string();
    let found = s
        .alice(
            Method::GET,
            &format!("/floatingips?floating_ip_address={address}"),
            Value::Null,
        )
        .await
        .expect(200)
        .body["floatingips"]
        .clone();
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], json!(fip_id));
    let fip = s
        .alice(
            Method::PUT,
            &format!("/floatingips/{fip_id}"),
            json!({"floatingip": {"port_id": id(&vm_port)}}),
        )
        .await
        .expect(200)
        .body["floatingip"]
        .clone();
    assert_eq!(fip["port_id"], json!(id(&vm_port)));
    assert_eq!(
        fip["fixed_ip_address"],
        vm_port["fixed_ips"][0]["ip_address"]
    );
    assert_eq!(fip["router_id"], json!(router));
    assert_eq!(fip["status"], "ACTIVE");
    // One floating IP per fixed address.
    let second = s.floating_ip().await;
    s.alice(
        Method::PUT,
        &format!("/floatingips/{}", id(&second)),
        json!({"floatingip": {"port_id": id(&vm_port)}}),
    )
    .await
    .expect_neutron(409, "FloatingIPPortAlreadyAssociated");

    // What the floating IP needs stays.
    s.alice(
        Method::PUT,
        &format!("/routers/{router}/remove_router_interface"),
        json!({"subnet_id": s.subnet}),
    )
    .await
    .expect_neutron(409, "RouterInterfaceInUseByFloatingIP");
    s.alice(
        Method::PUT,
        &format!("/routers/{router}"),
        json!({"router": {"external_gateway_info": {}}}),
    )
    .await
    .expect_neutron(409, "RouterExternalGatewayInUseByFloatingIp");
    s.alice(Method::DELETE, &format!("/routers/{router}"), Value::Null)
        .await
        .expect_neutron(409, "RouterInUse");

    // Quotas count routers and floating IPs.
    let usage = s
        .alice(
            Method::GET,
            &format!("/quotas/{}/details", s.w.alice.project_id),
            Value::Null,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(usage["quota"]["router"]["used"], 1, "{usage}");
    assert_eq!(usage["quota"]["floatingip"]["used"], 2, "{usage}");

    // Static routes: the next hop must be on one of the router's subnets.
    let r = s
        .alice(
            Method::PUT,
            &format!("/routers/{router}"),
            json!({"router": {"routes": [{"destination": "192.168.50.0/24", "nexthop": "10.0.0.50"}]}}),
        )
        .await
        .expect(200)
        .body["router"]
        .clone();
    assert_eq!(
        r["routes"],
        json!([{"destination": "192.168.50.0/24", "nexthop": "10.0.0.50"}])
    );
    s.alice(
        Method::PUT,
        &format!("/routers/{router}"),
        json!({"router": {"routes": [{"destination": "192.168.60.0/24", "nexthop": "172.16.0.1"}]}}),
    )
    .await
    .expect_neutron(400, "InvalidRoutes");
    let r = s
        .alice(
            Method::PUT,
            &format!("/routers/{router}/add_extraroutes"),
            json!({"router": {"routes": [{"destination": "192.168.60.0/24", "nexthop": "10.0.0.60"}]}}),
        )
        .await
        .expect(200)
        .body["router"]
        .clone();
    assert_eq!(r["routes"].as_array().unwrap().len(), 2, "{r}");
    let r = s
        .alice(
            Method::PUT,
            &format!("/routers/{router}/remove_extraroutes"),
            json!({"router": {"routes": [{"destination": "192.168.50.0/24", "nexthop": "10.0.0.50"}]}}),
        )
        .await
        .expect(200)
        .body["router"]
        .clone();
    assert_eq!(
        r["routes"],
        json!([{"destination": "192.168.60.0/24", "nexthop": "10.0.0.60"}])
    );

    // The instance's port goes: its floating IP stays, let go.
    s.alice(
        Method::DELETE,
        &format!("/ports/{}", id(&vm_port)),
        Value::Null,
    )
    .await
    .expect(204);
    let fip = s
        .alice(Method::GET, &format!("/floatingips/{fip_id}"), Value::Null)
        .await
        .expect(200)
        .body["floatingip"]
        .clone();
    assert_eq!(fip["port_id"], Value::Null);
    assert_eq!(fip["router_id"], Value::Null);
    assert_eq!(fip["status"], "DOWN");

    // A route through the subnet keeps its interface; without it the interface goes.
    s.alice(
        Method::PUT,
        &format!("/routers/{router}/remove_router_interface"),
        json!({"subnet_id": s.subnet}),
    )
    .await
    .expect_neutron(409, "RouterInterfaceInUseByRoute");
    s.alice(
        Method::PUT,
        &format!("/routers/{router}"),
        json!({"router": {"routes": []}}),
    )
    .await
    .expect(200);
    let removed = s
        .alice(
            Method::PUT,
            &format!("/routers/{router}/remove_router_interface"),
            json!({"subnet_id": s.subnet}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(removed["port_id"], json!(iport));
    s.alice(Method::GET, &format!("/ports/{iport}"), Value::Null)
        .await
        .expect_neutron(404, "PortNotFound");
    // The gateway address returns to the pool when the gateway is cleared.
    let r = s
        .alice(
            Method::PUT,
            &format!("/routers/{router}"),
            json!({"router": {"external_gateway_info": null}}),
        )
        .await
        .expect(200)
        .body["router"]
        .clone();
    assert_eq!(r["external_gateway_info"], Value::Null);
    s.alice(Method::DELETE, &format!("/routers/{router}"), Value::Null)
        .await
        .expect(204);
    s.alice(Method::GET, &format!("/routers/{router}"), Value::Null)
        .await
        .expect_neutron(404, "RouterNotFound");
    for f in [fip_id, id(&second)] {
        s.alice(Method::DELETE, &format!("/floatingips/{f}"), Value::Null)
            .await
            .expect(204);
    }
    // Nothing holds an address on `public` any more.
    let admin = s.w.admin.clone();
    let left = s
        .call(
            Method::GET,
            &format!("/ports?network_id={}", s.public),
            &admin,
            Value::Null,
        )
        .await
        .expect(200)
        .body["ports"]
        .clone();
    assert_eq!(left, json!([]));
    s.call(
        Method::DELETE,
        &format!("/networks/{}", s.public),
        &admin,
        Value::Null,
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn an_interface_by_port_and_a_floating_ip_at_creation() {
    let s = seed().await;
    let r = s
        .alice(
            Method::POST,
            "/routers",
            json!({"router": {"name": "r", "external_gateway_info": {"network_id": s.public}}}),
        )
        .await
        .expect(201)
        .body["router"]
        .clone();
    let router = id(&r);
    let port =
        s.w.port(
            &s.w.alice.token,
            json!({"network_id": s.net, "fixed_ips": [{"ip_address": "10.0.0.254"}]}),
        )
        .await
        .expect(201)
        .body["port"]
            .clone();
    let i = s
        .alice(
            Method::PUT,
            &format!("/routers/{router}/add_router_interface"),
            json!({"port_id": id(&port)}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(i["port_id"], json!(id(&port)));
    assert_eq!(i["subnet_ids"], json!([s.subnet]));
    let p = s
        .alice(Method::GET, &format!("/ports/{}", id(&port)), Value::Null)
        .await
        .expect(200)
        .body["port"]
        .clone();
    assert_eq!(p["device_id"], json!(router));
    assert_eq!(p["device_owner"], "network:router_interface");
    // A port with a device already is refused.
    let taken = s.instance_port().await;
    s.alice(
        Method::PUT,
        &format!("/routers/{router}/add_router_interface"),
        json!({"port_id": id(&taken)}),
    )
    .await
    .expect_neutron(409, "PortInUse");
    // Associated at creation.
    let fip = s
        .alice(
            Method::POST,
            "/floatingips",
            json!({"floatingip": {"floating_network_id": s.public, "port_id": id(&taken)}}),
        )
        .await
        .expect(201)
        .body["floatingip"]
        .clone();
    assert_eq!(fip["router_id"], json!(router));
    assert_eq!(fip["fixed_ip_address"], taken["fixed_ips"][0]["ip_address"]);
    // `server remove floating ip`: port_id null.
    let fip = s
        .alice(
            Method::PUT,
            &format!("/floatingips/{}", id(&fip)),
            json!({"floatingip": {"port_id": null}}),
        )
        .await
        .expect(200)
        .body["floatingip"]
        .clone();
    assert_eq!(fip["port_id"], Value::Null);
    assert_eq!(fip["status"], "DOWN");
    // By port it is removed by port.
    s.alice(
        Method::PUT,
        &format!("/routers/{router}/remove_router_interface"),
        json!({"port_id": id(&port)}),
    )
    .await
    .expect(200);
    s.alice(
        Method::PUT,
        &format!("/routers/{router}/remove_router_interface"),
        json!({"port_id": id(&port)}),
    )
    .await
    .expect_neutron(404, "RouterInterfaceNotFound");
}

#[tokio::test]
async fn routers_and_floating_ips_of_another_project_are_not_found() {
    let s = seed().await;
    let router = s.router().await;
    let vm_port = s.instance_port().await;
    let fip = s.floating_ip().await;
    let bob = s.w.app.member("bob", "beta", "member").await;
    let b = bob.token.as_str();
    for path in [
        format!("/routers/{router}"),
        format!("/floatingips/{}", id(&fip)),
    ] {
        let r = s.call(Method::GET, &path, b, Value::Null).await.expect(404);
        assert!(
            r.body["NeutronError"]["type"]
                .as_str()
                .unwrap()
                .ends_with("NotFound"),
            "{}",
            r.text
        );
        s.call(Method::DELETE, &path, b, Value::Null)
            .await
            .expect(404);
    }
    s.call(
        Method::PUT,
        &format!("/routers/{router}"),
        b,
        json!({"router": {"name": "mine"}}),
    )
    .await
    .expect_neutron(404, "RouterNotFound");
    let lists = [("/routers", "routers"), ("/floatingips", "floatingips")];
    for (path, key) in lists {
        let r = s.call(Method::GET, path, b, Value::Null).await.expect(200);
        assert_eq!(r.body[key], json!([]), "{path}");
    }
    // Bob's router cannot take Alice's subnet, nor his floating IP her port.
    let bob_router = s
        .call(
            Method::POST,
            "/routers",
            b,
            json!({"router": {"name": "b"}}),
        )
        .await
        .expect(201)
        .body["router"]
        .clone();
    s.call(
        Method::PUT,
        &format!("/routers/{}/add_router_interface", id(&bob_router)),
        b,
        json!({"subnet_id": s.subnet}),
    )
    .await
    .expect_neutron(404, "SubnetNotFound");
    let bob_fip = s
        .call(
            Method::POST,
            "/floatingips",
            b,
            json!({"floatingip": {"floating_network_id": s.public}}),
        )
        .await
        .expect(201)
        .body["floatingip"]
        .clone();
    s.call(
        Method::PUT,
        &format!("/floatingips/{}", id(&bob_fip)),
        b,
        json!({"floatingip": {"port_id": id(&vm_port)}}),
    )
    .await
    .expect_neutron(404, "PortNotFound");
    // The administrator sees both projects' routers.
    let admin = s.w.admin.clone();
    let all = s
        .call(Method::GET, "/routers", &admin, Value::Null)
        .await
        .expect(200)
        .body["routers"]
        .clone();
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_router_and_floating_ip_requests_get_neutron_faults() {
    let s = seed().await;
    let router = s.router().await;
    let cases: Vec<(Method, String, Value, u16, &str)> = vec![
        (
            Method::POST,
            "/routers".into(),
            json!({"router": {"external_gateway_info": {"network_id": s.net}}}),
            400,
            "BadRequest",
        ),
        (
            Method::POST,
            "/routers".into(),
            json!({"router": {"external_gateway_info": {"network_id": s.public, "enable_snat": false}}}),
            403,
            "PolicyNotAuthorized",
        ),
        (
            Method::POST,
            "/routers".into(),
            json!({"router": {"external_gateway_info": "public"}}),
            400,
            "InvalidInput",
        ),
        (
            Method::POST,
            "/routers".into(),
            json!({"router": {"external_gateway_info": {"network": s.public}}}),
            400,
            "InvalidInput",
        ),
        (
            Method::POST,
            "/routers".into(),
            json!({"router": {"external_gateway_info": {"network_id": "nope"}}}),
            404,
            "NetworkNotFound",
        ),
        (
            Method::POST,
            "/routers".into(),
            json!({"router": {"colour": "red"}}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::POST,
            "/routers".into(),
            json!({"router": {"distributed": true}}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::POST,
            "/routers".into(),
            json!({"routers": {}}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::GET,
            "/routers/nope".into(),
            Value::Null,
            404,
            "RouterNotFound",
        ),
        (
            Method::GET,
            "/routers?limit=x".into(),
            Value::Null,
            400,
            "HTTPBadRequest",
        ),
        (
            Method::PUT,
            format!("/routers/{router}/add_router_interface"),
            json!({}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::PUT,
            format!("/routers/{router}/add_router_interface"),
            json!({"subnet_id": s.subnet, "port_id": "x"}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::PUT,
            format!("/routers/{router}/add_router_interface"),
            json!({"subnet_id": "nope"}),
            404,
            "SubnetNotFound",
        ),
        (
            Method::PUT,
            format!("/routers/{router}/add_router_interface"),
            json!({"subnet_id": s.public_subnet}),
            400,
            "BadRequest",
        ),
        (
            Method::PUT,
            format!("/routers/{router}/remove_router_interface"),
            json!({"subnet_id": s.public_subnet}),
            404,
            "RouterInterfaceNotFoundForSubnet",
        ),
        (
            Method::PUT,
            format!("/routers/{router}"),
            json!({"router": {"routes": [{"destination": "not-a-cidr", "nexthop": "10.0.0.9"}]}}),
            400,
            "InvalidRoutes",
        ),
        (
            Method::PUT,
            format!("/routers/{router}"),
            json!({"router": {"routes": [{"destination": "10.9.0.0/16", "nexthop": "10.0.0.1"}]}}),
            400,
            "InvalidRoutes",
        ),
        (
            Method::PUT,
            format!("/routers/{router}"),
            json!({"router": {"routes": "all"}}),
            400,
            "InvalidInput",
        ),
        (
            Method::PUT,
            format!("/routers/{router}"),
            json!({"router": {"status": "DOWN"}}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::PUT,
            format!("/routers/{router}/add_extraroutes"),
            json!({"router": {}}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::POST,
            "/floatingips".into(),
            json!({"floatingip": {}}),
            400,
            "HTTPBadRequest",
        ),
        (
            Method::POST,
            "/floatingips".into(),
            json!({"floatingip": {"floating_network_id": s.net}}),
            400,
            "BadRequest",
        ),
        (
            Method::POST,
            "/floatingips".into(),
            json!({"floatingip": {"floating_network_id": s.public, "floating_ip_address": "203.0.113.110"}}),
            403,
            "PolicyNotAuthorized",
        ),
        (
            Method::POST,
            "/floatingips".into(),
            json!({"floatingip": {"floating_network_id": "nope"}}),
            404,
            "NetworkNotFound",
        ),
        (
            Method::POST,
            "/floatingips".into(),
            json!({"floatingip": {"floating_network_id": s.public, "port_id": "nope"}}),
            404,
            "PortNotFound",
        ),
        (
            Method::GET,
            "/floatingips/nope".into(),
            Value::Null,
            404,
            "FloatingIPNotFound",
        ),
        (
            Method::DELETE,
            "/floatingips/nope".into(),
            Value::Null,
            404,
            "FloatingIPNotFound",
        ),
    ];
    let token = s.w.alice.token.clone();
    for (method, path, body, status, kind) in cases {
        let body = (!body.is_null()).then_some(body);
        let r =
            s.w.app
                .neutron(method.clone(), &path, &token, body.as_ref())
                .await;
        assert_eq!(r.status.as_u16(), status, "{method} {path}: {}", r.text);
        assert_eq!(
            r.body["NeutronError"]["type"],
            json!(kind),
            "{method} {path}: {}",
            r.text
        );
    }

    // A subnet without a gateway cannot be an interface; nor one overlapping another.
    let net2 = s.w.network(&token, json!({"name": "net2"})).await;
    let nogw = s
        .w
        .subnet(
            &token,
            json!({"network_id": id(&net2), "cidr": "10.2.0.0/24", "ip_version": 4, "gateway_ip": null}),
        )
        .await;
    let net3 = s.w.network(&token, json!({"name": "net3"})).await;
    let overlapping =
        s.w.subnet(
            &token,
            json!({"network_id": id(&net3), "cidr": "10.0.0.0/16", "ip_version": 4}),
        )
        .await;
    for subnet in [nogw, overlapping] {
        let r = s
            .alice(
                Method::PUT,
                &format!("/routers/{router}/add_router_interface"),
                json!({"subnet_id": id(&subnet)}),
            )
            .await
            .expect_neutron(400, "BadRequest");
        assert!(
            r.neutron_message().starts_with("Bad router request"),
            "{}",
            r.text
        );
    }

    // A port on a network no router connects to `public` gets no floating IP.
    let lonely =
        s.w.subnet(
            &token,
            json!({"network_id": id(&net2), "cidr": "10.3.0.0/24", "ip_version": 4}),
        )
        .await;
    let port =
        s.w.port(
            &token,
            json!({"network_id": id(&net2), "fixed_ips": [{"subnet_id": id(&lonely)}]}),
        )
        .await
        .expect(201)
        .body["port"]
            .clone();
    let fip = s.floating_ip().await;
    s.alice(
        Method::PUT,
        &format!("/floatingips/{}", id(&fip)),
        json!({"floatingip": {"port_id": id(&port)}}),
    )
    .await
    .expect_neutron(404, "ExternalGatewayForFloatingIPNotFound");
    let vm = s.instance_port().await;
    s.alice(
        Method::PUT,
        &format!("/floatingips/{}", id(&fip)),
        json!({"floatingip": {"port_id": id(&vm), "fixed_ip_address": "10.0.0.200"}}),
    )
    .await
    .expect_neutron(400, "BadRequest");
    s.alice(
        Method::PUT,
        &format!("/floatingips/{}", id(&fip)),
        json!({"floatingip": {"fixed_ip_address": "10.0.0.200"}}),
    )
    .await
    .expect_neutron(400, "BadRequest");

    // The pool has 21 addresses; the gateway holds one, this floating IP another.
    let admin = s.w.admin.clone();
    let mut made = 2;
    loop {
        let r = s
            .call(
                Method::POST,
                "/floatingips",
                &admin,
                json!({"floatingip": {"floating_network_id": s.public}}),
            )
            .await;
        if r.status.as_u16() != 201 {
            r.expect_neutron(409, "IpAddressGenerationFailure");
            break;
        }
        made += 1;
        assert!(made <= 21, "more addresses than the pool holds");
    }
    assert_eq!(made, 21);

    // Quotas: a project at its router limit gets OverQuota.
    s.call(
        Method::PUT,
        &format!("/quotas/{}", s.w.alice.project_id),
        &admin,
        json!({"quota": {"router": 1}}),
    )
    .await
    .expect(200);
    s.alice(Method::POST, "/routers", json!({"router": {"name": "two"}}))
        .await
        .expect_neutron(409, "OverQuota");
}

#[tokio::test]
async fn network_agents_are_the_administrators() {
    let w = world().await;
    // The controller's first heartbeat makes the agents alive.
    let mut agents = Value::Null;
    for _ in 0..100 {
        agents = w
            .app
            .neutron(Method::GET, "/agents", &w.admin, None)
            .await
            .expect(200)
            .body["agents"]
            .clone();
        if agents
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["alive"] == json!(true))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let list = agents.as_array().unwrap();
    let mut types: Vec<&str> = list
        .iter()
        .map(|a| a["agent_type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(types, ["DHCP agent", "L3 agent", "Linux bridge agent"]);
    for a in list {
        assert_eq!(a["alive"], json!(true), "{a}");
        assert_eq!(a["admin_state_up"], json!(true));
        assert_eq!(a["configurations"]["bridge_mappings"]["extnet"], "br-ex");
        assert!(
            a["heartbeat_timestamp"]
                .as_str()
                .is_some_and(|t| !t.contains('T')),
            "{a}"
        );
    }
    let l3 = list.iter().find(|a| a["agent_type"] == "L3 agent").unwrap();
    let l3_id = id(l3);
    let only = w
        .app
        .neutron(Method::GET, "/agents?agent_type=L3%20agent", &w.admin, None)
        .await
        .expect(200)
        .body["agents"]
        .clone();
    assert_eq!(only.as_array().unwrap().len(), 1);
    let updated = w
        .app
        .neutron(
            Method::PUT,
            &format!("/agents/{l3_id}"),
            &w.admin,
            Some(&json!({"agent": {"admin_state_up": false, "description": "maintenance"}})),
        )
        .await
        .expect(200)
        .body["agent"]
        .clone();
    assert_eq!(updated["admin_state_up"], json!(false));
    let shown = w
        .app
        .neutron(Method::GET, &format!("/agents/{l3_id}"), &w.admin, None)
        .await
        .expect(200)
        .body["agent"]
        .clone();
    assert_eq!(shown["description"], "maintenance");
    assert_eq!(shown["admin_state_up"], json!(false));
    // Members see no agent and may not read one; unknown agents are not found.
    let seen = w
        .app
        .neutron(Method::GET, "/agents", &w.alice.token, None)
        .await
        .expect(200);
    assert_eq!(seen.body["agents"], json!([]));
    w.app
        .neutron(
            Method::GET,
            &format!("/agents/{l3_id}"),
            &w.alice.token,
            None,
        )
        .await
        .expect_neutron(403, "PolicyNotAuthorized");
    w.app
        .neutron(Method::GET, "/agents/nope", &w.admin, None)
        .await
        .expect_neutron(404, "AgentNotFound");
    w.app
        .neutron(
            Method::PUT,
            &format!("/agents/{l3_id}"),
            &w.admin,
            Some(&json!({"agent": {"alive": false}})),
        )
        .await
        .expect_neutron(400, "HTTPBadRequest");

    // The schedulers' read side: the host's L3 agent runs every router, its DHCP agent
    // serves the networks with a DHCP port (a subnet with DHCP), and no agent runs what
    // belongs to another kind.
    let dhcp = list
        .iter()
        .find(|a| a["agent_type"] == "DHCP agent")
        .unwrap();
    let bridge = list
        .iter()
        .find(|a| a["agent_type"] == "Linux bridge agent")
        .unwrap();
    let router = w
        .app
        .neutron(
            Method::POST,
            "/routers",
            &w.alice.token,
            Some(&json!({"router": {"name": "edge"}})),
        )
        .await
        .expect(201)
        .body["router"]
        .clone();
    let served = w.network(&w.alice.token, json!({"name": "served"})).await;
    w.subnet(
        &w.alice.token,
        json!({"network_id": id(&served), "ip_version": 4, "cidr": "10.40.0.0/24"}),
    )
    .await;
    let bare = w.network(&w.alice.token, json!({"name": "bare"})).await;
    let names = |body: &Value, key: &str, field: &str| -> Vec<String> {
        body[key]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|x| x[field].as_str().unwrap().to_string())
            .collect()
    };
    let get = |path: String| {
        let app = &w.app;
        let admin = w.admin.clone();
        async move {
            app.neutron(Method::GET, &path, &admin, None)
                .await
                .expect(200)
                .body
        }
    };
    let routers = get(format!("/agents/{l3_id}/l3-routers")).await;
    assert_eq!(names(&routers, "routers", "name"), ["edge"]);
    let none = get(format!("/agents/{}/l3-routers", id(dhcp))).await;
    assert_eq!(none["routers"], json!([]));
    let agents = get(format!("/routers/{}/l3-agents", id(&router))).await;
    assert_eq!(names(&agents, "agents", "id"), [l3_id.clone()]);
    let networks = get(format!("/agents/{}/dhcp-networks", id(dhcp))).await;
    assert_eq!(names(&networks, "networks", "name"), ["served"]);
    let none = get(format!("/agents/{}/dhcp-networks", id(bridge))).await;
    assert_eq!(none["networks"], json!([]));
    let agents = get(format!("/networks/{}/dhcp-agents", id(&served))).await;
    assert_eq!(names(&agents, "agents", "id"), [id(dhcp)]);
    let none = get(format!("/networks/{}/dhcp-agents", id(&bare))).await;
    assert_eq!(none["agents"], json!([]));
    // Members may not ask; unknown agents, routers and networks are not found.
    w.app
        .neutron(
            Method::GET,
            &format!("/agents/{l3_id}/l3-routers"),
            &w.alice.token,
            None,
        )
        .await
        .expect_neutron(403, "PolicyNotAuthorized");
    w.app
        .neutron(Method::GET, "/agents/nope/l3-routers", &w.admin, None)
        .await
        .expect_neutron(404, "AgentNotFound");
    w.app
        .neutron(Method::GET, "/routers/nope/l3-agents", &w.admin, None)
        .await
        .expect_neutron(404, "RouterNotFound");
    w.app
        .neutron(Method::GET, "/networks/nope/dhcp-agents", &w.admin, None)
        .await
        .expect_neutron(404, "NetworkNotFound");
}

/// A project cannot borrow another project's router by labelling a port of its own as
/// that router's interface (on create or update): Neutron's device_owner policy and its
/// DeviceIDNotOwnedByTenant check. Nothing of Alice's is held by Bob's labels, and a
/// labelled port that slipped into the database (an admin made it) is no interface:
/// floating IPs do not associate through it and the data plane leaves it out.
#[tokio::test]
async fn a_router_of_another_project_cannot_be_borrowed() {
    let s = seed().await;
    let router = s.router().await;
    let bob = s.w.app.member("bob", "beta", "member").await;
    let b = bob.token.as_str();
    let bob_net = s.w.network(b, json!({"name": "bob-net"})).await;
    s.w.subnet(
        b,
        json!({"network_id": id(&bob_net), "ip_version": 4, "cidr": "10.9.0.0/24"}),
    )
    .await;
    for owner in [
        "network:router_interface",
        "network:dhcp",
        "network:router_gateway",
    ] {
        s.call(
            Method::POST,
            "/ports",
            b,
            json!({"port": {"network_id": id(&bob_net), "device_owner": owner, "device_id": router}}),
        )
        .await
        .expect_neutron(403, "PolicyNotAuthorized");
    }
    let port = s
        .call(
            Method::POST,
            "/ports",
            b,
            json!({"port": {"network_id": id(&bob_net)}}),
        )
        .await
        .expect(201)
        .body["port"]
        .clone();
    s.call(
        Method::PUT,
        &format!("/ports/{}", id(&port)),
        b,
        json!({"port": {"device_owner": "network:router_interface", "device_id": router}}),
    )
    .await
    .expect_neutron(403, "PolicyNotAuthorized");
    // Even an administrator cannot label a port of Bob's with Alice's router.
    let admin = s.w.admin.clone();
    s.call(
        Method::POST,
        "/ports",
        &admin,
        json!({"port": {"network_id": id(&bob_net), "project_id": bob.project_id,
                        "device_owner": "network:router_interface", "device_id": router}}),
    )
    .await
    .expect_neutron(403, "DeviceIDNotOwnedByTenant");
    // Bob's port cannot become an interface of his own router by the port API either,
    // nor can the router API take a port of another project.
    let bob_router = s
        .call(
            Method::POST,
            "/routers",
            b,
            json!({"router": {"name": "b"}}),
        )
        .await
        .expect(201)
        .body["router"]
        .clone();
    s.call(
        Method::PUT,
        &format!("/ports/{}", id(&port)),
        b,
        json!({"port": {"device_owner": "network:router_interface", "device_id": id(&bob_router)}}),
    )
    .await
    .expect_neutron(403, "PolicyNotAuthorized");
    s.call(
        Method::PUT,
        &format!("/routers/{router}/add_router_interface"),
        &admin,
        json!({"port_id": id(&port)}),
    )
    .await
    .expect_neutron(400, "BadRequest");

    // Alice's router is hers alone: she removes her interface and deletes it.
    s.alice(
        Method::PUT,
        &format!("/routers/{router}/remove_router_interface"),
        json!({"subnet_id": s.subnet}),
    )
    .await
    .expect(200);
    s.alice(Method::DELETE, &format!("/routers/{router}"), Value::Null)
        .await
        .expect(204);
    // The data plane has no router left for Bob's labels to reach.
    let plan = s.w.app.state.network.plan().await.unwrap();
    assert!(
        plan.routers.iter().all(|r| r.router_id != router),
        "{plan:?}"
    );
}
