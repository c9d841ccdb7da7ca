//! CRUD of the identity resources, role implication and assignment listings, the catalog,
//! and version discovery.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{ids, names, spawn_app};

#[tokio::test]
async fn version_discovery() {
    let app = spawn_app().await;
    let r = app.send(Method::GET, "", None, None).await.expect(300);
    let values = r.body["versions"]["values"].as_array().expect("versions");
    assert_eq!(values.len(), 1, "{}", r.text);
    assert_eq!(values[0]["id"], "v3.14");
    assert_eq!(values[0]["status"], "stable");
    assert_eq!(
        values[0]["links"][0]["href"],
        json!(format!("{}/identity/v3/", app.address))
    );
    assert_eq!(
        values[0]["media-types"][0]["type"],
        "application/vnd.openstack.identity-v3+json"
    );

    for path in ["/v3", "/v3/"] {
        let r = app.send(Method::GET, path, None, None).await.expect(200);
        assert_eq!(r.body["version"]["id"], "v3.14", "{path}");
        assert_eq!(
            r.body["version"]["links"][0]["href"],
            json!(format!("{}/identity/v3/", app.address))
        );
    }
    // Every response carries a request id.
    assert!(r
        .header("x-openstack-request-id")
        .is_some_and(|id| id.starts_with("req-")));
}

#[tokio::test]
async fn project_crud_and_hierarchy() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    let r = app
        .post(
            "/v3/projects",
            &admin,
            json!({"project": {"name": "parent", "description": "top"}}),
        )
        .await
        .expect(201);
    let p = &r.body["project"];
    let parent = p["id"].as_str().unwrap().to_string();
    assert_eq!(p["name"], "parent");
    assert_eq!(p["description"], "top");
    assert_eq!(p["domain_id"], "default");
    // A top-level project hangs off its domain.
    assert_eq!(p["parent_id"], "default");
    assert_eq!(p["enabled"], true);
    assert_eq!(p["is_domain"], false);
    assert_eq!(
        p["links"]["self"],
        json!(format!("{}/identity/v3/projects/{parent}", app.address))
    );

    let r = app
        .post(
            "/v3/projects",
            &admin,
            json!({"project": {"name": "child", "parent_id": parent}}),
        )
        .await
        .expect(201);
    let child = r.body["project"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["project"]["parent_id"], json!(parent));
    assert_eq!(r.body["project"]["domain_id"], "default");

    let r = app
        .get(&format!("/v3/projects/{child}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["project"]["name"], "child");
    assert_eq!(r.body["project"]["parent_id"], json!(parent));

    let r = app.get("/v3/projects", &admin).await.expect(200);
    assert_eq!(names(&r.body["projects"]), ["admin", "child", "parent"]);
    let r = app
        .get(&format!("/v3/projects?parent_id={parent}"), &admin)
        .await
        .expect(200);
    assert_eq!(ids(&r.body["projects"]), [child.as_str()]);
    let r = app
        .get("/v3/projects?name=parent", &admin)
        .await
        .expect(200);
    assert_eq!(ids(&r.body["projects"]), [parent.as_str()]);

    let r = app
        .patch(
            &format!("/v3/projects/{child}"),
            &admin,
            json!({"project": {"description": "changed", "enabled": false}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["project"]["description"], "changed");
    assert_eq!(r.body["project"]["enabled"], false);
    let r = app
        .get("/v3/projects?enabled=false", &admin)
        .await
        .expect(200);
    assert_eq!(ids(&r.body["projects"]), [child.as_str()]);
    let r = app
        .get(&format!("/v3/projects/{child}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["project"]["description"], "changed");
    assert_eq!(r.body["project"]["name"], "child");

    // A parent with a child cannot go.
    let r = app
        .delete(&format!("/v3/projects/{parent}"), &admin)
        .await
        .expect_error(403);
    assert!(r.message().contains("not a leaf"), "{}", r.text);
    app.get(&format!("/v3/projects/{parent}"), &admin)
        .await
        .expect(200);

    app.delete(&format!("/v3/projects/{child}"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/projects/{child}"), &admin)
        .await
        .expect_error(404);
    app.delete(&format!("/v3/projects/{parent}"), &admin)
        .await
        .expect(204);
    app.delete(&format!("/v3/projects/{parent}"), &admin)
        .await
        .expect_error(404);
    let r = app.get("/v3/projects", &admin).await.expect(200);
    assert_eq!(names(&r.body["projects"]), ["admin"]);
}

#[tokio::test]
async fn domain_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    let r = app
        .post(
            "/v3/domains",
            &admin,
            json!({"domain": {"name": "Engineering", "description": "eng"}}),
        )
        .await
        .expect(201);
    let d = r.body["domain"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["domain"]["name"], "Engineering");
    assert_eq!(r.body["domain"]["description"], "eng");
    assert_eq!(r.body["domain"]["enabled"], true);
    app.post(
        "/v3/domains",
        &admin,
        json!({"domain": {"name": "Engineering"}}),
    )
    .await
    .expect_error(409);

    let r = app
        .get(&format!("/v3/domains/{d}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["domain"]["name"], "Engineering");
    let r = app.get("/v3/domains", &admin).await.expect(200);
    assert_eq!(names(&r.body["domains"]), ["Default", "Engineering"]);
    let r = app
        .get("/v3/domains?name=Engineering", &admin)
        .await
        .expect(200);
    assert_eq!(ids(&r.body["domains"]), [d.as_str()]);

    // A project in it.
    let r = app
        .post(
            "/v3/projects",
            &admin,
            json!({"project": {"name": "admin", "domain_id": d}}),
        )
        .await
        .expect(201);
    let project = r.body["project"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["project"]["domain_id"], json!(d));
    assert_eq!(r.body["project"]["parent_id"], json!(d));

    // An enabled domain cannot go.
    let r = app
        .delete(&format!("/v3/domains/{d}"), &admin)
        .await
        .expect_error(403);
    assert!(r.message().contains("disable"), "{}", r.text);

    let r = app
        .patch(
            &format!("/v3/domains/{d}"),
            &admin,
            json!({"domain": {"enabled": false, "description": "off"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["domain"]["enabled"], false);
    assert_eq!(r.body["domain"]["description"], "off");
    let r = app
        .get("/v3/domains?enabled=false", &admin)
        .await
        .expect(200);
    assert_eq!(ids(&r.body["domains"]), [d.as_str()]);

    // A disabled domain goes with everything it owns, as in Keystone; a user elsewhere
    // whose default project was one of them keeps no dangling default.
    let outsider = app
        .post(
            "/v3/users",
            &admin,
            json!({"user": {"name": "outsider", "default_project_id": project}}),
        )
        .await
        .expect(201)
        .body["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user = app
        .post(
            "/v3/users",
            &admin,
            json!({"user": {"name": "dweller", "domain_id": d}}),
        )
        .await
        .expect(201)
        .body["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.delete(&format!("/v3/domains/{d}"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/domains/{d}"), &admin)
        .await
        .expect_error(404);
    app.get(&format!("/v3/projects/{project}"), &admin)
        .await
        .expect_error(404);
    app.get(&format!("/v3/users/{user}"), &admin)
        .await
        .expect_error(404);
    let kept = app
        .get(&format!("/v3/users/{outsider}"), &admin)
        .await
        .expect(200)
        .body["user"]
        .clone();
    assert!(kept.get("default_project_id").is_none(), "{kept}");
    let r = app.get("/v3/domains", &admin).await.expect(200);
    assert_eq!(names(&r.body["domains"]), ["Default"]);
}

#[tokio::test]
async fn user_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project("home").await;

    let r = app
        .post(
            "/v3/users",
            &admin,
            json!({"user": {
                "name": "alice",
                "password": "alice-password",
                "email": "alice@example.com",
                "description": "Alice",
                "default_project_id": project,
            }}),
        )
        .await
        .expect(201);
    let u = &r.body["user"];
    let alice = u["id"].as_str().unwrap().to_string();
    assert_eq!(u["name"], "alice");
    assert_eq!(u["domain_id"], "default");
    assert_eq!(u["email"], "alice@example.com");
    assert_eq!(u["description"], "Alice");
    assert_eq!(u["default_project_id"], json!(project));
    assert_eq!(u["enabled"], true);
    assert!(u.get("password").is_none(), "{}", r.text);
    assert!(!r.text.contains("argon2"), "{}", r.text);

    let r = app
        .get(&format!("/v3/users/{alice}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["user"]["name"], "alice");
    assert!(!r.text.contains("argon2"), "{}", r.text);
    let r = app.get("/v3/users", &admin).await.expect(200);
    assert_eq!(names(&r.body["users"]), ["admin", "alice"]);
    let r = app.get("/v3/users?name=alice", &admin).await.expect(200);
    assert_eq!(ids(&r.body["users"]), [alice.as_str()]);

    let r = app
        .patch(
            &format!("/v3/users/{alice}"),
            &admin,
            json!({"user": {"email": "a@example.org", "description": null, "name": "alice2"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["user"]["email"], "a@example.org");
    assert_eq!(r.body["user"]["name"], "alice2");
    assert!(r.body["user"].get("description").is_none(), "{}", r.text);
    let r = app
        .get(&format!("/v3/users/{alice}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["user"]["email"], "a@example.org");
    assert_eq!(r.body["user"]["name"], "alice2");

    // Names are unique in a domain.
    app.patch(
        &format!("/v3/users/{alice}"),
        &admin,
        json!({"user": {"name": "admin"}}),
    )
    .await
    .expect_error(409);
    app.post("/v3/users", &admin, json!({"user": {"name": "alice2"}}))
        .await
        .expect_error(409);

    // A user without a password exists but cannot log in.
    let bob = app.create_user("bob", None).await;
    app.authenticate(crate::helpers::password_auth("bob", "", None))
        .await
        .expect_error(401);

    // The admin cannot delete itself.
    let admin_id = app.user_id("admin").await;
    app.delete(&format!("/v3/users/{admin_id}"), &admin)
        .await
        .expect_error(403);

    app.delete(&format!("/v3/users/{alice}"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/users/{alice}"), &admin)
        .await
        .expect_error(404);
    app.delete(&format!("/v3/users/{alice}"), &admin)
        .await
        .expect_error(404);
    let r = app.get("/v3/users", &admin).await.expect(200);
    assert_eq!(ids(&r.body["users"]).len(), 2);
    assert!(ids(&r.body["users"]).contains(&bob));
}

#[tokio::test]
async fn groups_and_membership() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let user = app.create_user("uma", None).await;

    let r = app
        .post(
            "/v3/groups",
            &admin,
            json!({"group": {"name": "ops", "description": "operators"}}),
        )
        .await
        .expect(201);
    let g = r.body["group"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["group"]["name"], "ops");
    assert_eq!(r.body["group"]["domain_id"], "default");
    assert_eq!(r.body["group"]["description"], "operators");
    app.post("/v3/groups", &admin, json!({"group": {"name": "ops"}}))
        .await
        .expect_error(409);

    let r = app
        .get(&format!("/v3/groups/{g}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["group"]["name"], "ops");
    let r = app.get("/v3/groups", &admin).await.expect(200);
    assert_eq!(names(&r.body["groups"]), ["ops"]);
    let r = app
        .patch(
            &format!("/v3/groups/{g}"),
            &admin,
            json!({"group": {"description": "on call"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["group"]["description"], "on call");

    let membership = format!("/v3/groups/{g}/users/{user}");
    app.head(&membership, &admin).await.expect(404);
    app.put(&membership, &admin).await.expect(204);
    // Adding twice is harmless.
    app.put(&membership, &admin).await.expect(204);
    app.head(&membership, &admin).await.expect(204);
    let r = app
        .get(&format!("/v3/groups/{g}/users"), &admin)
        .await
        .expect(200);
    assert_eq!(ids(&r.body["users"]), [user.as_str()]);
    let r = app
        .get(&format!("/v3/users/{user}/groups"), &admin)
        .await
        .expect(200);
    assert_eq!(ids(&r.body["groups"]), [g.as_str()]);

    app.delete(&membership, &admin).await.expect(204);
    app.head(&membership, &admin).await.expect(404);
    app.delete(&membership, &admin).await.expect_error(404);
    let r = app
        .get(&format!("/v3/groups/{g}/users"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["users"], json!([]));

    // Unknown group or user.
    app.put(&format!("/v3/groups/{g}/users/nobody"), &admin)
        .await
        .expect_error(404);
    app.put(&format!("/v3/groups/nogroup/users/{user}"), &admin)
        .await
        .expect_error(404);

    // Deleting a group deletes its memberships.
    app.put(&membership, &admin).await.expect(204);
    app.delete(&format!("/v3/groups/{g}"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/groups/{g}"), &admin)
        .await
        .expect_error(404);
    let r = app
        .get(&format!("/v3/users/{user}/groups"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["groups"], json!([]));
}

#[tokio::test]
async fn role_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    let r = app.get("/v3/roles", &admin).await.expect(200);
    assert_eq!(
        names(&r.body["roles"]),
        ["admin", "manager", "member", "reader", "service"]
    );

    let r = app
        .post(
            "/v3/roles",
            &admin,
            json!({"role": {"name": "auditor", "description": "reads logs"}}),
        )
        .await
        .expect(201);
    let role = r.body["role"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["role"]["name"], "auditor");
    assert_eq!(r.body["role"]["description"], "reads logs");
    app.post("/v3/roles", &admin, json!({"role": {"name": "auditor"}}))
        .await
        .expect_error(409);

    let r = app
        .get(&format!("/v3/roles/{role}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["role"]["name"], "auditor");
    let r = app.get("/v3/roles?name=auditor", &admin).await.expect(200);
    assert_eq!(ids(&r.body["roles"]), [role.as_str()]);
    let r = app
        .patch(
            &format!("/v3/roles/{role}"),
            &admin,
            json!({"role": {"name": "inspector", "description": "reads more"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["role"]["name"], "inspector");
    assert_eq!(r.body["role"]["description"], "reads more");

    // The built-in roles stay.
    let builtin = app.role_id("member").await;
    app.delete(&format!("/v3/roles/{builtin}"), &admin)
        .await
        .expect_error(403);
    app.patch(
        &format!("/v3/roles/{builtin}"),
        &admin,
        json!({"role": {"name": "participant"}}),
    )
    .await
    .expect_error(403);

    app.delete(&format!("/v3/roles/{role}"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/roles/{role}"), &admin)
        .await
        .expect_error(404);
    let r = app.get("/v3/roles", &admin).await.expect(200);
    assert_eq!(
        names(&r.body["roles"]),
        ["admin", "manager", "member", "reader", "service"]
    );
}

#[tokio::test]
async fn implied_roles_and_loops() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.create_role("alpha").await;
    let b = app.create_role("beta").await;
    let c = app.create_role("gamma").await;

    let r = app
        .put(&format!("/v3/roles/{a}/implies/{b}"), &admin)
        .await
        .expect(201);
    assert_eq!(r.body["role_inference"]["prior_role"]["id"], json!(a));
    assert_eq!(r.body["role_inference"]["prior_role"]["name"], "alpha");
    assert_eq!(r.body["role_inference"]["implies"]["id"], json!(b));
    let r = app
        .get(&format!("/v3/roles/{a}/implies/{b}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["role_inference"]["implies"]["name"], "beta");
    app.head(&format!("/v3/roles/{a}/implies/{b}"), &admin)
        .await
        .expect(204);
    app.head(&format!("/v3/roles/{b}/implies/{a}"), &admin)
        .await
        .expect(404);

    app.put(&format!("/v3/roles/{b}/implies/{c}"), &admin)
        .await
        .expect(201);
    // Loops, direct, transitive or to itself, are refused.
    let r = app
        .put(&format!("/v3/roles/{b}/implies/{a}"), &admin)
        .await
        .expect_error(403);
    assert!(r.message().contains("loop"), "{}", r.text);
    app.put(&format!("/v3/roles/{c}/implies/{a}"), &admin)
        .await
        .expect_error(403);
    app.put(&format!("/v3/roles/{a}/implies/{a}"), &admin)
        .await
        .expect_error(403);
    app.put(&format!("/v3/roles/{a}/implies/unknown"), &admin)
        .await
        .expect_error(404);

    let r = app
        .get(&format!("/v3/roles/{a}/implies"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["role_inference"]["prior_role"]["id"], json!(a));
    assert_eq!(ids(&r.body["role_inference"]["implies"]), [b.as_str()]);

    let r = app.get("/v3/role_inferences", &admin).await.expect(200);
    let rules = r.body["role_inferences"].as_array().expect("rules");
    let pairs: Vec<(String, Vec<String>)> = rules
        .iter()
        .map(|rule| {
            (
                rule["prior_role"]["name"].as_str().unwrap().to_string(),
                names(&rule["implies"]),
            )
        })
        .collect();
    for (prior, implied) in [
        ("admin", "manager"),
        ("manager", "member"),
        ("member", "reader"),
        ("alpha", "beta"),
        ("beta", "gamma"),
    ] {
        assert!(
            pairs
                .iter()
                .any(|(p, i)| p == prior && i.contains(&implied.to_string())),
            "{prior} implies {implied} in {}",
            r.text
        );
    }

    // Implication is transitive in a token: alpha gives beta and gamma too.
    let m = app.member("nora", "noras", "alpha").await;
    let r = app
        .check_token(Method::GET, &admin, &m.token)
        .await
        .expect(200);
    assert_eq!(names(&r.body["token"]["roles"]), ["alpha", "beta", "gamma"]);

    app.delete(&format!("/v3/roles/{a}/implies/{b}"), &admin)
        .await
        .expect(204);
    app.head(&format!("/v3/roles/{a}/implies/{b}"), &admin)
        .await
        .expect(404);
    app.delete(&format!("/v3/roles/{a}/implies/{b}"), &admin)
        .await
        .expect_error(404);
    let r = app
        .check_token(Method::GET, &admin, &m.token)
        .await
        .expect(200);
    assert_eq!(names(&r.body["token"]["roles"]), ["alpha"]);
    // The loop that was refused is fine now.
    app.put(&format!("/v3/roles/{c}/implies/{a}"), &admin)
        .await
        .expect(201);
}

/// The assignment rows as (actor kind, actor id, scope id, role id).
fn rows(v: &Value) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = v["role_assignments"]
        .as_array()
        .unwrap_or_else(|| panic!("role_assignments in {v}"))
        .iter()
        .map(|a| {
            let (kind, actor) = if a.get("user").is_some() {
                ("user", &a["user"])
            } else {
                ("group", &a["group"])
            };
            (
                kind.to_string(),
                actor["id"].as_str().unwrap().to_string(),
                a["scope"]["project"]["id"]
                    .as_str()
                    .or(a["scope"]["domain"]["id"].as_str())
                    .unwrap()
                    .to_string(),
                a["role"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn row(kind: &str, actor: &str, scope: &str, role: &str) -> (String, String, String, String) {
    (kind.into(), actor.into(), scope.into(), role.into())
}

#[tokio::test]
async fn role_assignments_listing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project("lab").await;
    let user = app.create_user("ursula", None).await;
    let group = app.create_group("scientists").await;
    let operator = app.create_role("operator").await;
    let observer = app.create_role("observer").await;
    let member = app.role_id("member").await;
    let reader = app.role_id("reader").await;
    app.put(&format!("/v3/roles/{operator}/implies/{observer}"), &admin)
        .await
        .expect(201);
    app.put(&format!("/v3/groups/{group}/users/{user}"), &admin)
        .await
        .expect(204);
    let group_grant = format!("/v3/projects/{project}/groups/{group}/roles/{operator}");
    app.put(&group_grant, &admin).await.expect(204);
    app.head(&group_grant, &admin).await.expect(204);
    let user_grant = format!("/v3/projects/{project}/users/{user}/roles/{member}");
    app.put(&user_grant, &admin).await.expect(204);
    let r = app
        .get(
            &format!("/v3/projects/{project}/users/{user}/roles"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(names(&r.body["roles"]), ["member"]);
    let r = app
        .get(
            &format!("/v3/projects/{project}/groups/{group}/roles"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(names(&r.body["roles"]), ["operator"]);

    // Direct assignments on the project.
    let r = app
        .get(
            &format!("/v3/role_assignments?scope.project.id={project}"),
            &admin,
        )
        .await
        .expect(200);
    let mut want = vec![
        row("group", &group, &project, &operator),
        row("user", &user, &project, &member),
    ];
    want.sort();
    assert_eq!(rows(&r.body), want);

    // Effective: the group's grant becomes the user's, and implied roles appear.
    let r = app
        .get(
            &format!("/v3/role_assignments?user.id={user}&effective"),
            &admin,
        )
        .await
        .expect(200);
    let mut want = vec![
        row("user", &user, &project, &member),
        row("user", &user, &project, &reader),
        row("user", &user, &project, &operator),
        row("user", &user, &project, &observer),
    ];
    want.sort();
    assert_eq!(rows(&r.body), want, "{}", r.text);
    for a in r.body["role_assignments"].as_array().unwrap() {
        let role = a["role"]["id"].as_str().unwrap();
        let links = &a["links"];
        if role == operator || role == observer {
            assert_eq!(
                links["membership"],
                json!(format!(
                    "{}/identity/v3/groups/{group}/users/{user}",
                    app.address
                )),
                "{a}"
            );
            assert!(
                links["assignment"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("/groups/{group}/roles/{operator}")),
                "{a}"
            );
        } else {
            assert!(links.get("membership").is_none(), "{a}");
        }
        if role == observer {
            assert_eq!(
                links["prior_role"],
                json!(format!("{}/identity/v3/roles/{operator}", app.address))
            );
        } else if role == reader {
            assert_eq!(
                links["prior_role"],
                json!(format!("{}/identity/v3/roles/{member}", app.address))
            );
        } else {
            assert!(links.get("prior_role").is_none(), "{a}");
        }
    }

    // Effective on the project, no user: groups expand to their members.
    let r = app
        .get(
            &format!("/v3/role_assignments?scope.project.id={project}&effective=true"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(rows(&r.body), want, "{}", r.text);

    // A role filter applies after the expansion.
    let r = app
        .get(
            &format!("/v3/role_assignments?user.id={user}&effective&role.id={observer}"),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(rows(&r.body), [row("user", &user, &project, &observer)]);

    // Names.
    let r = app
        .get(
            &format!(
                "/v3/role_assignments?user.id={user}&scope.project.id={project}&include_names"
            ),
            &admin,
        )
        .await
        .expect(200);
    let list = r.body["role_assignments"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", r.text);
    let a = &list[0];
    assert_eq!(a["role"]["name"], "member");
    assert_eq!(a["user"]["name"], "ursula");
    assert_eq!(a["user"]["domain"]["id"], "default");
    assert_eq!(a["user"]["domain"]["name"], "Default");
    assert_eq!(a["scope"]["project"]["name"], "lab");
    assert_eq!(a["scope"]["project"]["domain"]["name"], "Default");
    // Without include_names there are none.
    let r = app
        .get(&format!("/v3/role_assignments?user.id={user}"), &admin)
        .await
        .expect(200);
    assert!(r.body["role_assignments"][0]["user"].get("name").is_none());

    // A group's listing, and effective with a group is a contradiction.
    let r = app
        .get(&format!("/v3/role_assignments?group.id={group}"), &admin)
        .await
        .expect(200);
    assert_eq!(rows(&r.body), [row("group", &group, &project, &operator)]);
    app.get(
        &format!("/v3/role_assignments?group.id={group}&effective"),
        &admin,
    )
    .await
    .expect_error(400);

    // Revoking the group's grant takes its roles away.
    app.delete(&group_grant, &admin).await.expect(204);
    app.head(&group_grant, &admin).await.expect(404);
    app.delete(&group_grant, &admin).await.expect_error(404);
    let r = app
        .get(
            &format!("/v3/role_assignments?user.id={user}&effective"),
            &admin,
        )
        .await
        .expect(200);
    let mut want = vec![
        row("user", &user, &project, &member),
        row("user", &user, &project, &reader),
    ];
    want.sort();
    assert_eq!(rows(&r.body), want);

    // Deleting the project removes what was granted on it.
    app.delete(&format!("/v3/projects/{project}"), &admin)
        .await
        .expect(204);
    let r = app
        .get(&format!("/v3/role_assignments?user.id={user}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["role_assignments"], json!([]));
}

#[tokio::test]
async fn regions_services_and_endpoints() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    // Regions.
    let r = app
        .post(
            "/v3/regions",
            &admin,
            json!({"region": {"id": "RegionTwo", "description": "second"}}),
        )
        .await
        .expect(201);
    assert_eq!(r.body["region"]["id"], "RegionTwo");
    assert_eq!(r.body["region"]["description"], "second");
    app.post(
        "/v3/regions",
        &admin,
        json!({"region": {"id": "RegionTwo"}}),
    )
    .await
    .expect_error(409);
    let r = app
        .post(
            "/v3/regions",
            &admin,
            json!({"region": {"id": "RegionTwoA", "parent_region_id": "RegionTwo"}}),
        )
        .await
        .expect(201);
    assert_eq!(r.body["region"]["parent_region_id"], "RegionTwo");
    // A region made at the id its path chooses.
    let put = |id: &'static str, body: Value| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.send(
                Method::PUT,
                &format!("/v3/regions/{id}"),
                Some(&admin),
                Some(&body),
            )
            .await
        }
    };
    let r = put("RegionTwoB", json!({"region": {"description": "chosen"}}))
        .await
        .expect(201);
    assert_eq!(r.body["region"]["id"], "RegionTwoB");
    put("RegionTwoB", json!({"region": {}}))
        .await
        .expect_error(409);
    put("RegionTwoC", json!({"region": {"id": "Elsewhere"}}))
        .await
        .expect_error(400);
    let r = app.get("/v3/regions", &admin).await.expect(200);
    assert_eq!(
        ids(&r.body["regions"]),
        ["RegionOne", "RegionTwo", "RegionTwoA", "RegionTwoB"]
    );
    let r = app
        .patch(
            "/v3/regions/RegionTwo",
            &admin,
            json!({"region": {"description": "the second"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["region"]["description"], "the second");
    let r = app.get("/v3/regions/RegionTwo", &admin).await.expect(200);
    assert_eq!(r.body["region"]["description"], "the second");

    // Services.
    let r = app
        .post(
            "/v3/services",
            &admin,
            json!({"service": {"type": "key-manager", "name": "barbican", "description": "Key Manager"}}),
        )
        .await
        .expect(201);
    let service = r.body["service"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["service"]["type"], "key-manager");
    assert_eq!(r.body["service"]["name"], "barbican");
    assert_eq!(r.body["service"]["enabled"], true);
    let r = app
        .get("/v3/services?type=key-manager", &admin)
        .await
        .expect(200);
    assert_eq!(ids(&r.body["services"]), [service.as_str()]);
    let r = app.get("/v3/services", &admin).await.expect(200);
    let listed = names(&r.body["services"]);
    assert!(
        listed.contains(&"barbican".to_string()) && listed.contains(&"keystone".to_string()),
        "{listed:?}"
    );
    let r = app
        .patch(
            &format!("/v3/services/{service}"),
            &admin,
            json!({"service": {"description": "Compute service"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["service"]["description"], "Compute service");

    // Endpoints.
    let r = app
        .post(
            "/v3/endpoints",
            &admin,
            json!({"endpoint": {
                "service_id": service,
                "interface": "public",
                "url": "http://compute.example:8774/v2.1",
                "region_id": "RegionTwo",
            }}),
        )
        .await
        .expect(201);
    let endpoint = r.body["endpoint"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["endpoint"]["interface"], "public");
    assert_eq!(r.body["endpoint"]["region_id"], "RegionTwo");
    assert_eq!(r.body["endpoint"]["region"], "RegionTwo");
    assert_eq!(r.body["endpoint"]["enabled"], true);
    let r = app
        .get(&format!("/v3/endpoints?service_id={service}"), &admin)
        .await
        .expect(200);
    assert_eq!(ids(&r.body["endpoints"]), [endpoint.as_str()]);
    let r = app
        .get("/v3/endpoints?interface=public", &admin)
        .await
        .expect(200);
    // One public endpoint per offered service, and the new one.
    let offered = gureum::server::services::identity::bootstrap_services().len();
    assert_eq!(ids(&r.body["endpoints"]).len(), offered + 1, "{}", r.text);
    let r = app
        .patch(
            &format!("/v3/endpoints/{endpoint}"),
            &admin,
            json!({"endpoint": {"url": "https://compute.example/v2.1", "interface": "internal"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["endpoint"]["url"], "https://compute.example/v2.1");
    assert_eq!(r.body["endpoint"]["interface"], "internal");
    let r = app
        .get(&format!("/v3/endpoints/{endpoint}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["endpoint"]["url"], "https://compute.example/v2.1");

    // The new service is in the catalog, until it is disabled.
    let catalog_urls = |v: &Value| -> Vec<String> {
        v["catalog"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["type"] == "key-manager")
            .flat_map(|s| s["endpoints"].as_array().unwrap().clone())
            .map(|e| e["url"].as_str().unwrap().to_string())
            .collect()
    };
    let r = app.get("/v3/auth/catalog", &admin).await.expect(200);
    assert_eq!(catalog_urls(&r.body), ["https://compute.example/v2.1"]);
    app.patch(
        &format!("/v3/services/{service}"),
        &admin,
        json!({"service": {"enabled": false}}),
    )
    .await
    .expect(200);
    let r = app.get("/v3/auth/catalog", &admin).await.expect(200);
    assert!(catalog_urls(&r.body).is_empty(), "{}", r.text);

    // A region in use cannot go.
    app.delete("/v3/regions/RegionTwo", &admin)
        .await
        .expect_error(409);

    app.delete(&format!("/v3/endpoints/{endpoint}"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/endpoints/{endpoint}"), &admin)
        .await
        .expect_error(404);
    app.delete("/v3/regions/RegionTwoA", &admin)
        .await
        .expect(204);
    app.delete("/v3/regions/RegionTwo", &admin)
        .await
        .expect(204);
    app.get("/v3/regions/RegionTwo", &admin)
        .await
        .expect_error(404);
    app.delete(&format!("/v3/services/{service}"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/services/{service}"), &admin)
        .await
        .expect_error(404);
    app.delete(&format!("/v3/services/{service}"), &admin)
        .await
        .expect_error(404);
}

#[tokio::test]
async fn the_paths_of_services_to_come_are_reserved() {
    let app = crate::helpers::spawn_app().await;
    for path in ["/volume/v3", "/volume"] {
        let r = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["itemNotFound"]["code"], 404, "{path}");
    }
}

/// Credentials: a user keeps its own (and an administrator sees everyone's); EC2 ones
/// have an access key that finds them, in both forms.
#[tokio::test]
async fn credentials_and_ec2_credentials_are_their_owners() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let alice = app.member("alice", "alpha", "member").await;
    let bob = app.member("bob", "beta", "member").await;

    let made = app
        .post(
            "/v3/credentials",
            &alice.token,
            json!({"credential": {"user_id": alice.user_id, "type": "cert", "blob": "pem"}}),
        )
        .await
        .expect(201)
        .body["credential"]
        .clone();
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(
        (made["type"].clone(), made["blob"].clone()),
        (json!("cert"), json!("pem"))
    );
    // Not for someone else, and not seen by someone else.
    app.post(
        "/v3/credentials",
        &alice.token,
        json!({"credential": {"user_id": bob.user_id, "type": "cert", "blob": "x"}}),
    )
    .await
    .expect_error(403);
    app.get(&format!("/v3/credentials/{id}"), &bob.token)
        .await
        .expect_error(403);
    let own = app.get("/v3/credentials", &bob.token).await.expect(200);
    assert_eq!(own.body["credentials"], json!([]));
    let all = app
        .get(
            &format!("/v3/credentials?user_id={}", alice.user_id),
            &admin,
        )
        .await
        .expect(200);
    assert_eq!(ids(&all.body["credentials"]), [id.as_str()]);
    let changed = app
        .patch(
            &format!("/v3/credentials/{id}"),
            &alice.token,
            json!({"credential": {"blob": "pem2"}}),
        )
        .await
        .expect(200);
    assert_eq!(changed.body["credential"]["blob"], "pem2");
    // An EC2 credential needs a project and a blob with its keys.
    app.post(
        "/v3/credentials",
        &alice.token,
        json!({"credential": {"user_id": alice.user_id, "type": "ec2", "blob": "{}"}}),
    )
    .await
    .expect_error(400);
    app.delete(&format!("/v3/credentials/{id}"), &alice.token)
        .await
        .expect(204);
    app.get(&format!("/v3/credentials/{id}"), &alice.token)
        .await
        .expect_error(404);

    // EC2: made with fresh keys, found by the access key, also a credential of type ec2.
    let ec2_path = format!("/v3/users/{}/credentials/OS-EC2", alice.user_id);
    let ec2 = app
        .post(
            &ec2_path,
            &alice.token,
            json!({"tenant_id": alice.project_id}),
        )
        .await
        .expect(201)
        .body["credential"]
        .clone();
    let access = ec2["access"].as_str().unwrap().to_string();
    assert_eq!(ec2["tenant_id"], alice.project_id.as_str());
    assert_eq!(ec2["secret"].as_str().unwrap().len(), 32);
    let listed = app.get(&ec2_path, &alice.token).await.expect(200);
    assert_eq!(listed.body["credentials"][0]["access"], access.as_str());
    app.get(&format!("{ec2_path}/{access}"), &alice.token)
        .await
        .expect(200);
    let as_credential = app
        .get("/v3/credentials?type=ec2", &alice.token)
        .await
        .expect(200);
    let blob: Value = serde_json::from_str(
        as_credential.body["credentials"][0]["blob"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(blob["access"], access.as_str());
    app.get(&format!("{ec2_path}/{access}"), &bob.token)
        .await
        .expect_error(403);
    app.delete(&format!("{ec2_path}/{access}"), &alice.token)
        .await
        .expect(204);
    app.get(&format!("{ec2_path}/{access}"), &alice.token)
        .await
        .expect_error(404);
}

#[tokio::test]
async fn policies_consumers_and_endpoint_groups_are_the_administrators() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let member = app.member("pat", "pproj", "member").await;
    // Policies: stored documents, administrators only.
    app.post(
        "/v3/policies",
        &member.token,
        json!({"policy": {"type": "application/json", "blob": "{}"}}),
    )
    .await
    .expect_error(403);
    let policy = app
        .post(
            "/v3/policies",
            &admin,
            json!({"policy": {"type": "application/json", "blob": "{\"a\": \"b\"}"}}),
        )
        .await
        .expect(201)
        .body["policy"]
        .clone();
    assert_eq!(policy["blob"], "{\"a\": \"b\"}");
    let id = policy["id"].as_str().unwrap();
    let changed = app
        .patch(
            &format!("/v3/policies/{id}"),
            &admin,
            json!({"policy": {"blob": "{}"}}),
        )
        .await
        .expect(200)
        .body["policy"]
        .clone();
    assert_eq!(changed["blob"], "{}");
    assert_eq!(changed["type"], "application/json");
    app.post("/v3/policies", &admin, json!({"policy": {"blob": "{}"}}))
        .await
        .expect_error(400);
    app.delete(&format!("/v3/policies/{id}"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/policies/{id}"), &admin)
        .await
        .expect_error(404);
    // A consumer's secret is shown once.
    let made = app
        .post(
            "/v3/OS-OAUTH1/consumers",
            &admin,
            json!({"consumer": {"description": "portal"}}),
        )
        .await
        .expect(201)
        .body["consumer"]
        .clone();
    assert!(made["secret"].as_str().is_some_and(|s| s.len() >= 32));
    let cid = made["id"].as_str().unwrap();
    let shown = app
        .get(&format!("/v3/OS-OAUTH1/consumers/{cid}"), &admin)
        .await
        .expect(200)
        .body["consumer"]
        .clone();
    assert_eq!(shown["description"], "portal");
    assert!(shown.get("secret").is_none(), "{shown}");
    // Endpoint groups choose endpoints by their filters and are tied to projects.
    let group = app
        .post(
            "/v3/OS-EP-FILTER/endpoint_groups",
            &admin,
            json!({"endpoint_group": {"name": "internal", "filters": {"interface": "internal"}}}),
        )
        .await
        .expect(201)
        .body["endpoint_group"]
        .clone();
    let gid = group["id"].as_str().unwrap();
    let endpoints = app
        .get(
            &format!("/v3/OS-EP-FILTER/endpoint_groups/{gid}/endpoints"),
            &admin,
        )
        .await
        .expect(200)
        .body["endpoints"]
        .clone();
    let endpoints = endpoints.as_array().unwrap();
    assert!(!endpoints.is_empty());
    assert!(endpoints.iter().all(|e| e["interface"] == "internal"));
    app.post(
        "/v3/OS-EP-FILTER/endpoint_groups",
        &admin,
        json!({"endpoint_group": {"name": "bad", "filters": {"interface": "sideways"}}}),
    )
    .await
    .expect_error(400);
    let link = format!(
        "/v3/OS-EP-FILTER/endpoint_groups/{gid}/projects/{}",
        member.project_id
    );
    app.get(&link, &admin).await.expect_error(404);
    app.put(&link, &admin).await.expect(204);
    app.get(&link, &admin).await.expect(204);
    let groups = app
        .get(
            &format!(
                "/v3/OS-EP-FILTER/projects/{}/endpoint_groups",
                member.project_id
            ),
            &admin,
        )
        .await
        .expect(200)
        .body["endpoint_groups"]
        .clone();
    assert_eq!(ids(&groups), [gid]);
    app.delete(&link, &admin).await.expect(204);
    app.delete(&link, &admin).await.expect_error(404);
    app.get("/v3/OS-EP-FILTER/endpoint_groups", &member.token)
        .await
        .expect_error(403);
}

#[tokio::test]
async fn regions_nest_and_a_v2_style_endpoint_makes_its_region() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let service = app.get("/v3/services", &admin).await.expect(200).body["services"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // `region` (not `region_id`) names a region that is made when missing.
    let e = app
        .post(
            "/v3/endpoints",
            &admin,
            json!({"endpoint": {"service_id": service, "interface": "public",
                "url": "http://example.test:1234", "region": "far-away"}}),
        )
        .await
        .expect(201)
        .body["endpoint"]
        .clone();
    assert_eq!(e["region_id"], "far-away");
    app.get("/v3/regions/far-away", &admin).await.expect(200);
    // So does an update.
    let moved = app
        .patch(
            &format!("/v3/endpoints/{}", e["id"].as_str().unwrap()),
            &admin,
            json!({"endpoint": {"region": "farther"}}),
        )
        .await
        .expect(200)
        .body["endpoint"]
        .clone();
    assert_eq!(moved["region_id"], "farther");
    app.get("/v3/regions/farther", &admin).await.expect(200);
    // `region_id` must name an existing one.
    app.post(
        "/v3/endpoints",
        &admin,
        json!({"endpoint": {"service_id": service, "interface": "public",
            "url": "http://example.test:1234", "region_id": "nowhere"}}),
    )
    .await
    .expect_error(404);
    // A region moves under another, is listed by its parent, and may not loop.
    app.patch(
        "/v3/regions/far-away",
        &admin,
        json!({"region": {"parent_region_id": "RegionOne"}}),
    )
    .await
    .expect(200);
    let children = app
        .get("/v3/regions?parent_region_id=RegionOne", &admin)
        .await
        .expect(200)
        .body["regions"]
        .clone();
    assert_eq!(ids(&children), ["far-away"]);
    app.patch(
        "/v3/regions/RegionOne",
        &admin,
        json!({"region": {"parent_region_id": "far-away"}}),
    )
    .await
    .expect_error(400);
}

#[tokio::test]
async fn inherited_grants_reach_the_projects_below_and_not_their_own_target() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let parent = app.create_project("parent").await;
    let child = app
        .post(
            "/v3/projects",
            &admin,
            json!({"project": {"name": "child", "parent_id": parent}}),
        )
        .await
        .expect(201)
        .body["project"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user = app.create_user("heir", Some("heir-password")).await;
    let member = app.role_id("member").await;
    let scoped = |project: &str| {
        crate::helpers::password_auth(
            "heir",
            "heir-password",
            Some(crate::helpers::project_scope(project)),
        )
    };
    app.authenticate(scoped("child")).await.expect_error(401);
    // Inherited on the parent: the child, not the parent itself.
    let on_parent = format!(
        "/v3/OS-INHERIT/projects/{parent}/users/{user}/roles/{member}/inherited_to_projects"
    );
    app.put(&on_parent, &admin).await.expect(204);
    app.head(&on_parent, &admin).await.expect(204);
    app.authenticate(scoped("child")).await.expect(201);
    app.authenticate(scoped("parent")).await.expect_error(401);
    let listed = app
        .get(&format!("/v3/role_assignments?user.id={user}"), &admin)
        .await
        .expect(200)
        .body["role_assignments"]
        .clone();
    assert_eq!(listed[0]["scope"]["project"]["id"], parent.as_str());
    assert_eq!(listed[0]["scope"]["OS-INHERIT:inherited_to"], "projects");
    let effective = app
        .get(
            &format!("/v3/role_assignments?user.id={user}&scope.project.id={child}&effective"),
            &admin,
        )
        .await
        .expect(200)
        .body["role_assignments"]
        .clone();
    assert!(!effective.as_array().unwrap().is_empty(), "{effective}");
    app.delete(&on_parent, &admin).await.expect(204);
    app.head(&on_parent, &admin).await.expect(404);
    app.authenticate(scoped("child")).await.expect_error(401);
    // Inherited on the domain through a group: every project of the domain.
    let group = app.create_group("heirs").await;
    app.put(&format!("/v3/groups/{group}/users/{user}"), &admin)
        .await
        .expect(204);
    let on_domain = format!(
        "/v3/OS-INHERIT/domains/default/groups/{group}/roles/{member}/inherited_to_projects"
    );
    app.put(&on_domain, &admin).await.expect(204);
    app.authenticate(scoped("parent")).await.expect(201);
    app.authenticate(scoped("child")).await.expect(201);
    let roles = app
        .get(
            &format!("/v3/OS-INHERIT/domains/default/groups/{group}/roles/inherited_to_projects"),
            &admin,
        )
        .await
        .expect(200)
        .body["roles"]
        .clone();
    assert_eq!(ids(&roles), [member.as_str()]);
    // Not on the domain itself, and only administrators grant.
    let user_token = app.token("heir", "heir-password", "parent").await;
    app.put(&on_domain, &user_token).await.expect_error(403);
    app.delete(&on_domain, &admin).await.expect(204);
    app.authenticate(scoped("parent")).await.expect_error(401);
}

#[tokio::test]
async fn a_users_own_attributes_are_kept_and_shown_back() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project("home").await;
    let user = app
        .post(
            "/v3/users",
            &admin,
            json!({"user": {"name": "ext", "email": "ext@example.test",
                "project_id": project, "badge": 7}}),
        )
        .await
        .expect(201)
        .body["user"]
        .clone();
    assert_eq!(user["project_id"], project.as_str());
    assert_eq!(user["badge"], 7);
    let id = user["id"].as_str().unwrap();
    let changed = app
        .patch(
            &format!("/v3/users/{id}"),
            &admin,
            json!({"user": {"badge": 8, "team": "red"}}),
        )
        .await
        .expect(200)
        .body["user"]
        .clone();
    assert_eq!(changed["badge"], 8);
    assert_eq!(changed["team"], "red");
    assert_eq!(changed["project_id"], project.as_str());
    assert_eq!(changed["email"], "ext@example.test");
    let shown = app
        .get(&format!("/v3/users/{id}"), &admin)
        .await
        .expect(200)
        .body["user"]
        .clone();
    assert_eq!(shown, changed);
}

#[tokio::test]
async fn project_tags_are_set_checked_and_filtered_on() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let tagged = app
        .post(
            "/v3/projects",
            &admin,
            json!({"project": {"name": "tagged", "tags": ["prod", "web"]}}),
        )
        .await
        .expect(201)
        .body["project"]
        .clone();
    assert_eq!(tagged["tags"], json!(["prod", "web"]));
    let id = tagged["id"].as_str().unwrap();
    app.put(&format!("/v3/projects/{id}/tags/eu"), &admin)
        .await
        .expect(201);
    app.get(&format!("/v3/projects/{id}/tags/eu"), &admin)
        .await
        .expect(204);
    app.delete(&format!("/v3/projects/{id}/tags/web"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/projects/{id}/tags/web"), &admin)
        .await
        .expect_error(404);
    let tags = app
        .get(&format!("/v3/projects/{id}/tags"), &admin)
        .await
        .expect(200)
        .body["tags"]
        .clone();
    assert_eq!(tags, json!(["prod", "eu"]));
    // The list filters by tags, and show and list agree.
    let listed = app
        .get("/v3/projects?tags=prod,eu", &admin)
        .await
        .expect(200)
        .body["projects"]
        .clone();
    assert_eq!(ids(&listed), [id]);
    assert_eq!(listed[0]["tags"], json!(["prod", "eu"]));
    let others = app
        .get("/v3/projects?not-tags-any=prod", &admin)
        .await
        .expect(200)
        .body["projects"]
        .clone();
    assert!(!ids(&others).contains(&id.to_string()));
    // Bad tags are refused.
    app.patch(
        &format!("/v3/projects/{id}"),
        &admin,
        json!({"project": {"tags": ["a/b"]}}),
    )
    .await
    .expect_error(400);
    app.patch(
        &format!("/v3/projects/{id}"),
        &admin,
        json!({"project": {"tags": ["x", "x"]}}),
    )
    .await
    .expect_error(400);
}
