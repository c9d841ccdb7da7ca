//! What a non-admin may see and do: its own project, itself, nothing else.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ids, names, password_auth, spawn_app, TestApp};

/// A member of project A (`alpha`), with project B (`beta`) beside it.
struct World {
    app: TestApp,
    admin: String,
    a: String,
    b: String,
    user: String,
    password: String,
    token: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let b = app.create_project("beta").await;
    let m = app.member("mallory", "alpha", "member").await;
    World {
        admin,
        a: m.project_id,
        b,
        user: m.user_id,
        password: m.password,
        token: m.token,
        app,
    }
}

#[tokio::test]
async fn a_member_sees_only_its_own_projects() {
    let w = world().await;
    let (app, t) = (&w.app, w.token.as_str());

    let r = app
        .get(&format!("/v3/projects/{}", w.a), t)
        .await
        .expect(200);
    assert_eq!(r.body["project"]["name"], "alpha");
    // Another project is refused as Keystone refuses it (403: clients such as `openstack
    // image add project` tell "not yours" from "no such project" by it); an unknown one is
    // a 404.
    let r = app
        .get(&format!("/v3/projects/{}", w.b), t)
        .await
        .expect_error(403);
    assert!(r.message().contains("identity:get_project"), "{}", r.text);
    app.get("/v3/projects/no-such-project", t)
        .await
        .expect_error(404);

    // Listing every project is for administrators (Keystone's identity:list_projects); a
    // member lists its own through /v3/auth/projects.
    app.get("/v3/projects", t).await.expect_error(403);
    app.get("/v3/projects?name=beta", t).await.expect_error(403);
    let r = app.get("/v3/auth/projects", t).await.expect(200);
    assert_eq!(ids(&r.body["projects"]), [w.a.as_str()]);
    let r = app
        .get(&format!("/v3/users/{}/projects", w.user), t)
        .await
        .expect(200);
    assert_eq!(names(&r.body["projects"]), ["alpha"]);
    // The admin sees all three.
    let r = app.get("/v3/projects", &w.admin).await.expect(200);
    assert_eq!(names(&r.body["projects"]), ["admin", "alpha", "beta"]);

    // It cannot scope to the other project.
    app.rescope(t, Some(json!({"project": {"id": w.b}})))
        .await
        .expect_error(401);

    // A role on B shows B among its projects, but a token scoped to A still does not
    // reach B; a disabled B is no longer offered.
    app.grant(&w.b, &w.user, "reader").await;
    let r = app.get("/v3/auth/projects", t).await.expect(200);
    assert_eq!(names(&r.body["projects"]), ["alpha", "beta"]);
    app.get(&format!("/v3/projects/{}", w.b), t)
        .await
        .expect_error(403);
    app.patch(
        &format!("/v3/projects/{}", w.b),
        &w.admin,
        json!({"project": {"enabled": false}}),
    )
    .await
    .expect(200);
    let r = app.get("/v3/auth/projects", t).await.expect(200);
    assert_eq!(names(&r.body["projects"]), ["alpha"]);
}

#[tokio::test]
async fn a_member_administers_nothing() {
    let w = world().await;
    let (app, t) = (&w.app, w.token.as_str());

    let r = app
        .post("/v3/projects", t, json!({"project": {"name": "mine"}}))
        .await
        .expect_error(403);
    assert_eq!(r.body["error"]["title"], "Forbidden");
    app.patch(
        &format!("/v3/projects/{}", w.a),
        t,
        json!({"project": {"description": "x"}}),
    )
    .await
    .expect_error(403);
    app.delete(&format!("/v3/projects/{}", w.a), t)
        .await
        .expect_error(403);
    app.get("/v3/users", t).await.expect_error(403);
    app.post("/v3/users", t, json!({"user": {"name": "sock"}}))
        .await
        .expect_error(403);
    app.get("/v3/groups", t).await.expect_error(403);
    app.get("/v3/roles", t).await.expect_error(403);
    app.post("/v3/roles", t, json!({"role": {"name": "superuser"}}))
        .await
        .expect_error(403);
    app.get("/v3/domains", t).await.expect_error(403);
    app.post("/v3/regions", t, json!({"region": {"id": "Mine"}}))
        .await
        .expect_error(403);
    // It reads the catalog from its token, and its own domain; the catalog's records
    // are the administrators' (Keystone's identity:list_services, list_endpoints).
    app.get("/v3/services", t).await.expect_error(403);
    app.get("/v3/endpoints", t).await.expect_error(403);
    app.get("/v3/auth/catalog", t).await.expect(200);
    let r = app.get("/v3/domains/default", t).await.expect(200);
    assert_eq!(r.body["domain"]["name"], "Default");

    // It cannot grant itself anything.
    let admin_role = app.role_id("admin").await;
    app.put(
        &format!("/v3/projects/{}/users/{}/roles/{admin_role}", w.a, w.user),
        t,
    )
    .await
    .expect_error(403);
    app.put(
        &format!("/v3/projects/{}/users/{}/roles/{admin_role}", w.b, w.user),
        t,
    )
    .await
    .expect_error(403);
    // Nor change itself as an admin would.
    app.patch(
        &format!("/v3/users/{}", w.user),
        t,
        json!({"user": {"enabled": true, "name": "root"}}),
    )
    .await
    .expect_error(403);
    // Nothing changed.
    let r = app.check_token(Method::GET, &w.admin, t).await.expect(200);
    assert_eq!(names(&r.body["token"]["roles"]), ["member", "reader"]);
    let r = app.get("/v3/projects", &w.admin).await.expect(200);
    assert_eq!(names(&r.body["projects"]), ["admin", "alpha", "beta"]);
}

#[tokio::test]
async fn a_member_reads_itself_but_not_others() {
    let w = world().await;
    let (app, t) = (&w.app, w.token.as_str());
    let admin_id = app.user_id("admin").await;

    let r = app
        .get(&format!("/v3/users/{}", w.user), t)
        .await
        .expect(200);
    assert_eq!(r.body["user"]["name"], "mallory");
    assert_eq!(r.body["user"]["id"], json!(w.user));
    app.get(&format!("/v3/users/{}/groups", w.user), t)
        .await
        .expect(200);

    app.get(&format!("/v3/users/{admin_id}"), t)
        .await
        .expect_error(403);
    app.get(&format!("/v3/users/{admin_id}/projects"), t)
        .await
        .expect_error(403);
    app.get(&format!("/v3/users/{admin_id}/groups"), t)
        .await
        .expect_error(403);
    app.get(&format!("/v3/users/{admin_id}/application_credentials"), t)
        .await
        .expect_error(403);
    app.post(
        &format!("/v3/users/{admin_id}/password"),
        t,
        json!({"user": {"original_password": "guess-guess", "password": "hijacked-pw"}}),
    )
    .await
    .expect_error(403);

    // Its own role assignments, and no one else's.
    let r = app
        .get(&format!("/v3/role_assignments?user.id={}", w.user), t)
        .await
        .expect(200);
    let list = r.body["role_assignments"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", r.text);
    assert_eq!(list[0]["user"]["id"], json!(w.user));
    assert_eq!(list[0]["scope"]["project"]["id"], json!(w.a));
    let r = app
        .get(
            &format!(
                "/v3/role_assignments?user.id={}&effective&include_names",
                w.user
            ),
            t,
        )
        .await
        .expect(200);
    let mut roles: Vec<&str> = r.body["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["role"]["name"].as_str().unwrap())
        .collect();
    roles.sort();
    assert_eq!(roles, ["member", "reader"]);
    app.get("/v3/role_assignments", t).await.expect_error(403);
    app.get(&format!("/v3/role_assignments?user.id={admin_id}"), t)
        .await
        .expect_error(403);
    app.get(&format!("/v3/role_assignments?scope.project.id={}", w.a), t)
        .await
        .expect_error(403);
}

#[tokio::test]
async fn a_member_manages_only_its_own_application_credentials() {
    let w = world().await;
    let (app, t) = (&w.app, w.token.as_str());
    let admin_id = app.user_id("admin").await;

    app.post(
        &format!("/v3/users/{admin_id}/application_credentials"),
        t,
        json!({"application_credential": {"name": "stolen"}}),
    )
    .await
    .expect_error(403);
    // Nor can the admin make one for the member: it would delegate the member's roles.
    app.post(
        &format!("/v3/users/{}/application_credentials", w.user),
        &w.admin,
        json!({"application_credential": {"name": "forged"}}),
    )
    .await
    .expect_error(403);

    let r = app
        .post(
            &format!("/v3/users/{}/application_credentials", w.user),
            t,
            json!({"application_credential": {"name": "mine"}}),
        )
        .await
        .expect(201);
    let cred = &r.body["application_credential"];
    assert_eq!(cred["project_id"], json!(w.a));
    // It cannot delegate more than it holds.
    assert_eq!(names(&cred["roles"]), ["member", "reader"]);
    app.post(
        &format!("/v3/users/{}/application_credentials", w.user),
        t,
        json!({"application_credential": {"name": "more", "roles": [{"name": "admin"}]}}),
    )
    .await
    .expect_error(403);
    let r = app
        .get(&format!("/v3/users/{}/application_credentials", w.user), t)
        .await
        .expect(200);
    assert_eq!(names(&r.body["application_credentials"]), ["mine"]);
}

#[tokio::test]
async fn a_member_changes_its_own_password() {
    let w = world().await;
    let (app, t) = (&w.app, w.token.as_str());
    let path = format!("/v3/users/{}/password", w.user);

    let r = app
        .post(
            &path,
            t,
            json!({"user": {"original_password": "not-my-password", "password": "mallory-new-pw"}}),
        )
        .await
        .expect_error(401);
    assert!(r.message().contains("original password"), "{}", r.text);
    app.post(
        &path,
        t,
        json!({"user": {"original_password": w.password, "password": "short"}}),
    )
    .await
    .expect_error(400);

    app.post(
        &path,
        t,
        json!({"user": {"original_password": w.password, "password": "mallory-new-pw"}}),
    )
    .await
    .expect(204);

    // The tokens issued before the change are void; the new password works, the old not.
    app.get(&format!("/v3/users/{}", w.user), t)
        .await
        .expect_error(401);
    app.authenticate(password_auth("mallory", &w.password, None))
        .await
        .expect_error(401);
    let fresh = app.token("mallory", "mallory-new-pw", "alpha").await;
    app.get(&format!("/v3/users/{}", w.user), &fresh)
        .await
        .expect(200);
}

/// What each upstream service keeps behind a token or a role stays there: Glance's
/// schemas and Neutron's extensions need a token, Nova's zone details an administrator.
#[tokio::test]
async fn what_upstream_guards_needs_a_token_or_a_role() {
    let w = world().await;
    let app = &w.app;
    for path in [
        "/image/v2/schemas/image",
        "/image/v2/schemas/images",
        "/image/v2/schemas/member",
        "/image/v2/schemas/members",
        "/networking/v2.0/extensions",
        "/networking/v2.0/extensions/external-net",
    ] {
        let r = app.call(Method::GET, path, "not-a-token", None).await;
        assert_eq!(r.status.as_u16(), 401, "{path}: {}", r.text);
        let r = app.call(Method::GET, path, &w.token, None).await;
        assert_eq!(r.status.as_u16(), 200, "{path} with a token: {}", r.text);
    }
    let detail = "/compute/v2.1/os-availability-zone/detail";
    let r = app.call(Method::GET, detail, &w.token, None).await;
    assert_eq!(r.status.as_u16(), 403, "a member: {}", r.text);
    let r = app.call(Method::GET, detail, &w.admin, None).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let hosts = &r.body["availabilityZoneInfo"][0]["hosts"];
    assert!(
        hosts
            .as_object()
            .is_some_and(|h| h.values().all(|s| s["nova-compute"]["active"] == true)),
        "{}",
        r.text
    );
    // The zone list itself is every user's.
    let r = app
        .call(
            Method::GET,
            "/compute/v2.1/os-availability-zone",
            &w.token,
            None,
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
}
