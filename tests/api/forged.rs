//! Forged ownership: every field that links one resource to another, given another
//! project's object, is refused. Project A owns one of each kind; a member of project B
//! names them in requests on its own resources, and A's objects stay as they were.

use reqwest::Method;
use serde_json::{json, Value};

use crate::compute::upload_image;
use crate::helpers::{spawn_app, TestApp};
use crate::network::id;

async fn made(app: &TestApp, token: &str, path: &str, key: &str, body: Value) -> Value {
    let r = app.call(Method::POST, path, token, Some(&body)).await;
    assert!(r.status.is_success(), "{path}: {}", r.text);
    r.body[key].clone()
}

#[tokio::test]
async fn another_projects_objects_cannot_be_named_in_links() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.member("ann", "alpha", "member").await;
    let b = app.member("ben", "beta", "member").await;
    let (ta, tb) = (a.token.as_str(), b.token.as_str());
    let n = "/networking/v2.0";

    let public = made(&app, &admin, &format!("{n}/networks"), "network", json!({"network": {"name": "public", "router:external": true, "provider:network_type": "flat", "provider:physical_network": "extnet"}})).await;
    made(&app, &admin, &format!("{n}/subnets"), "subnet", json!({"subnet": {"network_id": id(&public), "cidr": "203.0.113.0/24", "ip_version": 4, "enable_dhcp": false}})).await;
    let flavor = made(
        &app,
        &admin,
        "/compute/v2.1/flavors",
        "flavor",
        json!({"flavor": {"name": "m1", "vcpus": 1, "ram": 64, "disk": 1}}),
    )
    .await;

    // A's objects.
    let a_net = made(
        &app,
        ta,
        &format!("{n}/networks"),
        "network",
        json!({"network": {"name": "a-net"}}),
    )
    .await;
    let a_subnet = made(
        &app,
        ta,
        &format!("{n}/subnets"),
        "subnet",
        json!({"subnet": {"network_id": id(&a_net), "cidr": "10.0.0.0/24", "ip_version": 4}}),
    )
    .await;
    let a_port = made(
        &app,
        ta,
        &format!("{n}/ports"),
        "port",
        json!({"port": {"network_id": id(&a_net)}}),
    )
    .await;
    let a_router = made(&app, ta, &format!("{n}/routers"), "router", json!({"router": {"name": "a-router", "external_gateway_info": {"network_id": id(&public)}}})).await;
    let a_group = made(
        &app,
        ta,
        &format!("{n}/security-groups"),
        "security_group",
        json!({"security_group": {"name": "a-only"}}),
    )
    .await;
    let a_image = upload_image(&app, ta, "a-private", json!({})).await;
    made(
        &app,
        ta,
        "/compute/v2.1/os-keypairs",
        "keypair",
        json!({"keypair": {"name": "a-key"}}),
    )
    .await;

    // B's own.
    let b_net = made(
        &app,
        tb,
        &format!("{n}/networks"),
        "network",
        json!({"network": {"name": "b-net"}}),
    )
    .await;
    made(
        &app,
        tb,
        &format!("{n}/subnets"),
        "subnet",
        json!({"subnet": {"network_id": id(&b_net), "cidr": "10.1.0.0/24", "ip_version": 4}}),
    )
    .await;
    let b_router = made(
        &app,
        tb,
        &format!("{n}/routers"),
        "router",
        json!({"router": {"name": "b-router"}}),
    )
    .await;
    let b_group = made(
        &app,
        tb,
        &format!("{n}/security-groups"),
        "security_group",
        json!({"security_group": {"name": "b-group"}}),
    )
    .await;
    let b_fip = made(
        &app,
        tb,
        &format!("{n}/floatingips"),
        "floatingip",
        json!({"floatingip": {"floating_network_id": id(&public)}}),
    )
    .await;
    let b_image = upload_image(&app, tb, "b-image", json!({})).await;
    let b_server = made(
        &app,
        tb,
        "/compute/v2.1/servers",
        "server",
        json!({"server": {"name": "b-vm", "imageRef": b_image, "flavorRef": id(&flavor)}}),
    )
    .await;
    for _ in 0..200 {
        let s = app
            .call(
                Method::GET,
                &format!("/compute/v2.1/servers/{}", id(&b_server)),
                tb,
                None,
            )
            .await;
        if s.body["server"]["status"] == "ACTIVE" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let server = |extra: Value| {
        let mut s = json!({"name": "forged", "imageRef": b_image, "flavorRef": id(&flavor)});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        json!({"server": s})
    };
    // The control: the same request with B's own objects goes through, so each refusal
    // below is the forged field's.
    app.call(
        Method::POST,
        "/compute/v2.1/servers",
        tb,
        Some(&server(
            json!({"networks": [{"uuid": id(&b_net)}], "security_groups": [{"name": "b-group"}]}),
        )),
    )
    .await
    .expect(202);
    let cases: Vec<(&str, Method, String, Value)> = vec![
        (
            "network_id of a port",
            Method::POST,
            format!("{n}/ports"),
            json!({"port": {"network_id": id(&a_net)}}),
        ),
        (
            "network_id of a subnet",
            Method::POST,
            format!("{n}/subnets"),
            json!({"subnet": {"network_id": id(&a_net), "cidr": "10.2.0.0/24", "ip_version": 4}}),
        ),
        (
            "security_groups of a port",
            Method::POST,
            format!("{n}/ports"),
            json!({"port": {"network_id": id(&b_net), "security_groups": [id(&a_group)]}}),
        ),
        (
            "device_id of a router interface port",
            Method::POST,
            format!("{n}/ports"),
            json!({"port": {"network_id": id(&b_net), "device_owner": "network:router_interface", "device_id": id(&a_router)}}),
        ),
        (
            "subnet_id of a router interface",
            Method::PUT,
            format!("{n}/routers/{}/add_router_interface", id(&b_router)),
            json!({"subnet_id": id(&a_subnet)}),
        ),
        (
            "port_id of a router interface",
            Method::PUT,
            format!("{n}/routers/{}/add_router_interface", id(&b_router)),
            json!({"port_id": id(&a_port)}),
        ),
        (
            "network_id of a router gateway",
            Method::PUT,
            format!("{n}/routers/{}", id(&b_router)),
            json!({"router": {"external_gateway_info": {"network_id": id(&a_net)}}}),
        ),
        (
            "port_id of a floating IP",
            Method::PUT,
            format!("{n}/floatingips/{}", id(&b_fip)),
            json!({"floatingip": {"port_id": id(&a_port)}}),
        ),
        (
            "port_id of a new floating IP",
            Method::POST,
            format!("{n}/floatingips"),
            json!({"floatingip": {"floating_network_id": id(&public), "port_id": id(&a_port)}}),
        ),
        (
            "security_group_id of a rule",
            Method::POST,
            format!("{n}/security-group-rules"),
            json!({"security_group_rule": {"security_group_id": id(&a_group), "direction": "ingress"}}),
        ),
        (
            "remote_group_id of a rule",
            Method::POST,
            format!("{n}/security-group-rules"),
            json!({"security_group_rule": {"security_group_id": id(&b_group), "direction": "ingress", "remote_group_id": id(&a_group)}}),
        ),
        (
            "imageRef of a server",
            Method::POST,
            "/compute/v2.1/servers".into(),
            server(json!({"imageRef": a_image})),
        ),
        (
            "networks uuid of a server",
            Method::POST,
            "/compute/v2.1/servers".into(),
            server(json!({"networks": [{"uuid": id(&a_net)}]})),
        ),
        (
            "networks port of a server",
            Method::POST,
            "/compute/v2.1/servers".into(),
            server(json!({"networks": [{"port": id(&a_port)}]})),
        ),
        (
            "security_groups of a server",
            Method::POST,
            "/compute/v2.1/servers".into(),
            server(json!({"security_groups": [{"name": id(&a_group)}]})),
        ),
        (
            "key_name of a server",
            Method::POST,
            "/compute/v2.1/servers".into(),
            server(json!({"key_name": "a-key"})),
        ),
        (
            "net_id of an interface",
            Method::POST,
            format!("/compute/v2.1/servers/{}/os-interface", id(&b_server)),
            json!({"interfaceAttachment": {"net_id": id(&a_net)}}),
        ),
        (
            "port_id of an interface",
            Method::POST,
            format!("/compute/v2.1/servers/{}/os-interface", id(&b_server)),
            json!({"interfaceAttachment": {"port_id": id(&a_port)}}),
        ),
        (
            "member of an image",
            Method::POST,
            format!("/image/v2/images/{a_image}/members"),
            json!({"member": b.project_id}),
        ),
    ];
    let mut taken = Vec::new();
    for (field, method, path, body) in cases {
        let r = app.call(method.clone(), &path, tb, Some(&body)).await;
        if r.status.is_success() || !matches!(r.status.as_u16(), 400 | 403 | 404 | 409) {
            taken.push(format!(
                "{field}: {method} {path} → {}: {}",
                r.status, r.text
            ));
        }
    }
    assert!(
        taken.is_empty(),
        "B used A's objects:\n{}",
        taken.join("\n")
    );

    // A's objects are as they were.
    let port = app
        .call(Method::GET, &format!("{n}/ports/{}", id(&a_port)), ta, None)
        .await
        .expect(200);
    assert_eq!(port.body["port"]["device_id"], "", "{}", port.text);
    let ifaces = app
        .call(
            Method::GET,
            &format!("{n}/ports?device_id={}", id(&a_router)),
            &admin,
            None,
        )
        .await
        .expect(200);
    assert!(
        ifaces.body["ports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["project_id"] != b.project_id.as_str()),
        "{}",
        ifaces.text
    );
    let rules = app
        .call(
            Method::GET,
            &format!(
                "{n}/security-group-rules?security_group_id={}",
                id(&a_group)
            ),
            ta,
            None,
        )
        .await
        .expect(200);
    assert!(
        rules.body["security_group_rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["project_id"] == a.project_id.as_str()),
        "{}",
        rules.text
    );
}
