//! Bad requests get Keystone faults with the right status, never a 500 (`helpers`
//! fails any test that sees a 5xx).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{password_auth, spawn_app};

#[tokio::test]
async fn malformed_bodies_are_400() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let json_headers = [
        ("X-Auth-Token", admin.as_str()),
        ("Content-Type", "application/json"),
    ];

    for body in [
        "{not json",
        "",
        "[1, 2",
        "\"just a string\"",
        "{\"project\": ",
    ] {
        let r = app
            .send_raw(Method::POST, "/v3/projects", &json_headers, Some(body))
            .await
            .expect_error(400);
        assert_eq!(r.body["error"]["title"], "Bad Request");
        if body != "\"just a string\"" {
            assert!(r.message().contains("valid JSON"), "{body}: {}", r.text);
        }
    }
    // No content type is a bad request too (a Keystone 400, not axum's 415).
    app.send_raw(
        Method::POST,
        "/v3/projects",
        &[("X-Auth-Token", admin.as_str())],
        Some("{\"project\": {\"name\": \"x\"}}"),
    )
    .await
    .expect_error(400);
    // Malformed auth requests.
    app.send_raw(
        Method::POST,
        "/v3/auth/tokens",
        &[("Content-Type", "application/json")],
        Some("{\"auth\": "),
    )
    .await
    .expect_error(400);
    for body in [
        json!({}),
        json!({"auth": {}}),
        json!({"auth": {"identity": {}}}),
        json!({"auth": {"identity": {"methods": ["password"]}}}),
        json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin"}}}}}),
        json!({"auth": {"identity": {"methods": ["token"], "token": {}}}}),
        json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": "x"}}}, "scope": 42}}),
    ] {
        app.authenticate(body).await.expect_error(400);
    }
    // Nothing was created along the way.
    let r = app.get("/v3/projects", &admin).await.expect(200);
    assert_eq!(r.body["projects"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn missing_or_mistyped_members_are_400() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    let r = app
        .post("/v3/projects", &admin, json!({"name": "flat"}))
        .await
        .expect_error(400);
    assert!(
        r.message().contains("'project' is a required property"),
        "{}",
        r.text
    );
    let r = app
        .post("/v3/projects", &admin, json!({"project": {}}))
        .await
        .expect_error(400);
    assert!(r.message().contains("name"), "{}", r.text);
    app.post("/v3/projects", &admin, json!({"project": {"name": 5}}))
        .await
        .expect_error(400);
    app.post("/v3/projects", &admin, json!({"project": "x"}))
        .await
        .expect_error(400);
    app.post(
        "/v3/projects",
        &admin,
        json!({"project": {"name": "p", "enabled": "yes"}}),
    )
    .await
    .expect_error(400);
    app.post("/v3/users", &admin, json!({"usr": {"name": "x"}}))
        .await
        .expect_error(400);
    app.post("/v3/roles", &admin, json!({"role": {"description": "x"}}))
        .await
        .expect_error(400);
    app.post("/v3/services", &admin, json!({"service": {"name": "x"}}))
        .await
        .expect_error(400);
    app.post(
        "/v3/endpoints",
        &admin,
        json!({"endpoint": {"interface": "public", "url": "http://x"}}),
    )
    .await
    .expect_error(400);
    let admin_id = app.user_id("admin").await;
    app.post(
        &format!("/v3/users/{admin_id}/password"),
        &admin,
        json!({"user": {"password": "no-original"}}),
    )
    .await
    .expect_error(400);
    app.patch("/v3/projects/whatever", &admin, json!({"projects": {}}))
        .await
        .expect_error(400);
}

#[tokio::test]
async fn names_are_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    for name in ["", "   ", "tab\there"] {
        let r = app
            .post("/v3/projects", &admin, json!({"project": {"name": name}}))
            .await
            .expect_error(400);
        assert!(r.message().contains("name"), "{name:?}: {}", r.text);
        app.post("/v3/users", &admin, json!({"user": {"name": name}}))
            .await
            .expect_error(400);
        app.post("/v3/groups", &admin, json!({"group": {"name": name}}))
            .await
            .expect_error(400);
        app.post("/v3/roles", &admin, json!({"role": {"name": name}}))
            .await
            .expect_error(400);
        app.post("/v3/domains", &admin, json!({"domain": {"name": name}}))
            .await
            .expect_error(400);
    }

    let long = "x".repeat(65);
    let r = app
        .post("/v3/projects", &admin, json!({"project": {"name": long}}))
        .await
        .expect_error(400);
    assert!(r.message().contains("too long"), "{}", r.text);
    app.post("/v3/domains", &admin, json!({"domain": {"name": long}}))
        .await
        .expect_error(400);
    app.post("/v3/groups", &admin, json!({"group": {"name": long}}))
        .await
        .expect_error(400);
    let longer = "x".repeat(256);
    app.post("/v3/users", &admin, json!({"user": {"name": longer}}))
        .await
        .expect_error(400);
    app.post("/v3/roles", &admin, json!({"role": {"name": longer}}))
        .await
        .expect_error(400);
    // The limit itself is fine.
    app.post(
        "/v3/projects",
        &admin,
        json!({"project": {"name": "y".repeat(64)}}),
    )
    .await
    .expect(201);

    // A rename is checked as a creation is.
    let project = app.create_project("renamed").await;
    app.patch(
        &format!("/v3/projects/{project}"),
        &admin,
        json!({"project": {"name": ""}}),
    )
    .await
    .expect_error(400);
    app.patch(
        &format!("/v3/projects/{project}"),
        &admin,
        json!({"project": {"name": "z".repeat(65)}}),
    )
    .await
    .expect_error(400);
    let r = app
        .get(&format!("/v3/projects/{project}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["project"]["name"], "renamed");
}

#[tokio::test]
async fn passwords_and_emails_are_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    let r = app
        .post(
            "/v3/users",
            &admin,
            json!({"user": {"name": "shorty", "password": "1234567"}}),
        )
        .await
        .expect_error(400);
    assert!(r.message().contains("at least 8"), "{}", r.text);
    app.post(
        "/v3/users",
        &admin,
        json!({"user": {"name": "blank", "password": "          "}}),
    )
    .await
    .expect_error(400);
    app.post(
        "/v3/users",
        &admin,
        json!({"user": {"name": "huge", "password": "p".repeat(1025)}}),
    )
    .await
    .expect_error(400);
    for email in ["not-an-email", "two words@example.com"] {
        let r = app
            .post(
                "/v3/users",
                &admin,
                json!({"user": {"name": "mailer", "email": email}}),
            )
            .await
            .expect_error(400);
        assert!(r.message().contains("email"), "{email}: {}", r.text);
    }
    // None of these were created.
    let r = app.get("/v3/users", &admin).await.expect(200);
    assert_eq!(r.body["users"].as_array().unwrap().len(), 1, "{}", r.text);

    // Updates follow the same rules.
    let user = app.create_user("valid", None).await;
    app.patch(
        &format!("/v3/users/{user}"),
        &admin,
        json!({"user": {"password": "short"}}),
    )
    .await
    .expect_error(400);
    app.patch(
        &format!("/v3/users/{user}"),
        &admin,
        json!({"user": {"email": "nope"}}),
    )
    .await
    .expect_error(400);
}

#[tokio::test]
async fn catalog_input_is_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let r = app
        .post(
            "/v3/services",
            &admin,
            json!({"service": {"type": "image", "name": "glance"}}),
        )
        .await
        .expect(201);
    let service = r.body["service"]["id"].as_str().unwrap().to_string();

    let r = app
        .post(
            "/v3/endpoints",
            &admin,
            json!({"endpoint": {"service_id": service, "interface": "bogus", "url": "http://x"}}),
        )
        .await
        .expect_error(400);
    assert!(r.message().contains("interface"), "{}", r.text);
    for url in ["ftp://x", "not a url", "http://has space", ""] {
        let r = app
            .post(
                "/v3/endpoints",
                &admin,
                json!({"endpoint": {"service_id": service, "interface": "public", "url": url}}),
            )
            .await
            .expect_error(400);
        assert!(r.message().contains("url"), "{url}: {}", r.text);
    }
    // Unknown service or region.
    app.post(
        "/v3/endpoints",
        &admin,
        json!({"endpoint": {"service_id": "nope", "interface": "public", "url": "http://x"}}),
    )
    .await
    .expect_error(404);
    app.post(
        "/v3/endpoints",
        &admin,
        json!({"endpoint": {"service_id": service, "interface": "public", "url": "http://x", "region_id": "Nowhere"}}),
    )
    .await
    .expect_error(404);
    app.post(
        "/v3/regions",
        &admin,
        json!({"region": {"id": "Child", "parent_region_id": "Nowhere"}}),
    )
    .await
    .expect_error(404);

    // Updates too.
    let r = app
        .post(
            "/v3/endpoints",
            &admin,
            json!({"endpoint": {"service_id": service, "interface": "public", "url": "http://image.example"}}),
        )
        .await
        .expect(201);
    let endpoint = r.body["endpoint"]["id"].as_str().unwrap().to_string();
    app.patch(
        &format!("/v3/endpoints/{endpoint}"),
        &admin,
        json!({"endpoint": {"interface": "bogus"}}),
    )
    .await
    .expect_error(400);
    app.patch(
        &format!("/v3/endpoints/{endpoint}"),
        &admin,
        json!({"endpoint": {"url": "ftp://x"}}),
    )
    .await
    .expect_error(400);
    let r = app
        .get(&format!("/v3/endpoints/{endpoint}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["endpoint"]["url"], "http://image.example");
    assert_eq!(r.body["endpoint"]["interface"], "public");
}

#[tokio::test]
async fn duplicates_are_409() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_project("twin").await;
    let r = app
        .post("/v3/projects", &admin, json!({"project": {"name": "twin"}}))
        .await
        .expect_error(409);
    assert_eq!(r.body["error"]["title"], "Conflict");
    assert!(r.message().contains("twin"), "{}", r.text);
    // The bootstrap project's name is taken too, but the same name in another domain is not.
    app.post(
        "/v3/projects",
        &admin,
        json!({"project": {"name": "admin"}}),
    )
    .await
    .expect_error(409);
    let r = app
        .post("/v3/domains", &admin, json!({"domain": {"name": "Other"}}))
        .await
        .expect(201);
    let other = r.body["domain"]["id"].as_str().unwrap().to_string();
    app.post(
        "/v3/projects",
        &admin,
        json!({"project": {"name": "twin", "domain_id": other}}),
    )
    .await
    .expect(201);
    // Renaming onto a taken name.
    let second = app.create_project("second").await;
    app.patch(
        &format!("/v3/projects/{second}"),
        &admin,
        json!({"project": {"name": "twin"}}),
    )
    .await
    .expect_error(409);
    app.create_group("pair").await;
    app.post("/v3/groups", &admin, json!({"group": {"name": "pair"}}))
        .await
        .expect_error(409);
    let g2 = app.create_group("pair2").await;
    app.patch(
        &format!("/v3/groups/{g2}"),
        &admin,
        json!({"group": {"name": "pair"}}),
    )
    .await
    .expect_error(409);
    let r2 = app.create_role("second-role").await;
    app.patch(
        &format!("/v3/roles/{r2}"),
        &admin,
        json!({"role": {"name": "reader"}}),
    )
    .await
    .expect_error(409);
    app.patch(
        &format!("/v3/domains/{other}"),
        &admin,
        json!({"domain": {"name": "Default"}}),
    )
    .await
    .expect_error(409);
}

#[tokio::test]
async fn unknown_ids_are_404_with_keystone_messages() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    let r = app.get("/v3/projects/X", &admin).await.expect_error(404);
    assert_eq!(r.message(), "Could not find project: X.");
    assert_eq!(r.body["error"]["title"], "Not Found");
    for (path, kind) in [
        ("/v3/users/nobody", "user"),
        ("/v3/groups/nobody", "group"),
        ("/v3/roles/nobody", "role"),
        ("/v3/domains/nobody", "domain"),
        ("/v3/regions/nobody", "region"),
        ("/v3/services/nobody", "service"),
        ("/v3/endpoints/nobody", "endpoint"),
    ] {
        let r = app.get(path, &admin).await.expect_error(404);
        assert_eq!(r.message(), format!("Could not find {kind}: nobody."));
    }
    app.patch("/v3/projects/X", &admin, json!({"project": {"name": "y"}}))
        .await
        .expect_error(404);
    app.delete("/v3/projects/X", &admin).await.expect_error(404);
    app.patch("/v3/users/X", &admin, json!({"user": {"enabled": false}}))
        .await
        .expect_error(404);
    app.delete("/v3/groups/X", &admin).await.expect_error(404);
    app.delete("/v3/roles/X", &admin).await.expect_error(404);
    app.delete("/v3/domains/X", &admin).await.expect_error(404);
    app.delete("/v3/regions/X", &admin).await.expect_error(404);
    app.delete("/v3/services/X", &admin).await.expect_error(404);
    app.delete("/v3/endpoints/X", &admin)
        .await
        .expect_error(404);
    let r = app
        .post(
            "/v3/projects",
            &admin,
            json!({"project": {"name": "orphan", "parent_id": "X"}}),
        )
        .await
        .expect_error(404);
    assert_eq!(r.message(), "Could not find project: X.");
    let r = app
        .post(
            "/v3/projects",
            &admin,
            json!({"project": {"name": "lost", "domain_id": "X"}}),
        )
        .await
        .expect_error(404);
    assert_eq!(r.message(), "Could not find domain: X.");
    app.post(
        "/v3/users",
        &admin,
        json!({"user": {"name": "u", "default_project_id": "X"}}),
    )
    .await
    .expect_error(404);

    // Grants name every part that is missing.
    let user = app.user_id("admin").await;
    let role = app.role_id("reader").await;
    let r = app
        .put(&format!("/v3/projects/X/users/{user}/roles/{role}"), &admin)
        .await
        .expect_error(404);
    assert_eq!(r.message(), "Could not find project: X.");
    let r = app
        .put("/v3/projects/X/users/Y/roles/Z", &admin)
        .await
        .expect_error(404);
    assert_eq!(r.message(), "Could not find user: Y.");
    let admin_project = app
        .get("/v3/projects?name=admin", &admin)
        .await
        .expect(200)
        .body["projects"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .put(
            &format!("/v3/projects/{admin_project}/users/{user}/roles/Z"),
            &admin,
        )
        .await
        .expect_error(404);
    assert_eq!(r.message(), "Could not find role: Z.");
    app.get(
        &format!("/v3/users/{user}/application_credentials/X"),
        &admin,
    )
    .await
    .expect_error(404);
}

#[tokio::test]
async fn missing_and_bad_tokens_are_401() {
    let app = spawn_app().await;

    let r = app
        .send(Method::GET, "/v3/projects", None, None)
        .await
        .expect_error(401);
    assert_eq!(r.body["error"]["title"], "Unauthorized");
    assert_eq!(
        r.header("www-authenticate"),
        Some("Keystone uri=\"/identity/v3\"")
    );
    app.send(
        Method::POST,
        "/v3/projects",
        None,
        Some(&json!({"project": {"name": "x"}})),
    )
    .await
    .expect_error(401);
    app.send_raw(Method::GET, "/v3/users", &[("X-Auth-Token", "")], None)
        .await
        .expect_error(401);

    for garbage in [
        "garbage",
        "a.b",
        "eyJ2IjoxfQ.AAAA",
        "....",
        &"x".repeat(5000),
    ] {
        let r = app.get("/v3/projects", garbage).await.expect_error(401);
        assert!(r.header("www-authenticate").is_some());
    }

    // A token whose signature does not match its payload.
    let admin = app.admin_token().await;
    let (body, sig) = admin.split_once('.').unwrap();
    let mut flipped = sig.to_string();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    app.get("/v3/projects", &format!("{body}.{flipped}"))
        .await
        .expect_error(401);
    // The garbage never counted as the admin.
    app.get("/v3/projects", &admin).await.expect(200);
    // Validating garbage is a 404 for the caller that asks.
    app.check_token(Method::GET, &admin, "garbage")
        .await
        .expect_error(404);
}

#[tokio::test]
async fn unknown_urls_under_identity_are_keystone_404s() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for path in [
        "/v3/nonexistent",
        "/v3/projects/x/y/z",
        "/v2.0/tokens",
        "/v3/auth/nothing",
    ] {
        let r = app.get(path, &admin).await.expect_error(404);
        assert_eq!(r.body["error"]["title"], "Not Found", "{path}");
    }
    app.send(Method::GET, "/v3/nonexistent", None, None)
        .await
        .expect_error(404);
}

#[tokio::test]
async fn failed_authentication_is_401() {
    let app = spawn_app().await;
    let r = app
        .authenticate(json!({"auth": {"identity": {"methods": ["totp"], "totp": {}}}}))
        .await
        .expect_error(401);
    assert!(r.message().contains("unsupported method"), "{}", r.text);
    assert!(r.header("www-authenticate").is_some());
    app.authenticate(json!({"auth": {"identity": {"methods": []}}}))
        .await
        .expect_error(401);
    // Wrong password, unknown user, unknown domain: one answer for all.
    for body in [
        password_auth("admin", "wrong-password", None),
        password_auth("nobody", "whatever-pw", None),
        json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"name": "Nowhere"}, "password": "admin-secret-pw"}}}}}),
    ] {
        let r = app.authenticate(body).await.expect_error(401);
        assert_eq!(
            r.message(),
            "The request you have made requires authentication."
        );
    }
    // A scope the user cannot have.
    app.authenticate(password_auth(
        "admin",
        crate::helpers::ADMIN_PASSWORD,
        Some(json!({"project": {"id": "no-such-project"}})),
    ))
    .await
    .expect_error(401);
    app.authenticate(password_auth(
        "admin",
        crate::helpers::ADMIN_PASSWORD,
        Some(json!({"system": {"all": true}})),
    ))
    .await
    .expect_error(401);
    // An application credential that does not exist.
    app.authenticate(json!({"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": "nope", "secret": "nope"},
    }}}))
    .await
    .expect_error(401);
}

/// A body over the size limit is a 413 in each service's own fault body, not a 400 and
/// not plain text.
#[tokio::test]
async fn oversized_bodies_are_413_with_each_services_fault() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let big = format!("{{\"project\": {{\"name\": \"{}\"}}}}", "x".repeat(3 << 20));
    let r = app
        .send_raw(
            Method::POST,
            "/v3/projects",
            &[
                ("X-Auth-Token", admin.as_str()),
                ("Content-Type", "application/json"),
            ],
            Some(&big),
        )
        .await
        .expect_error(413);
    assert_eq!(
        r.body["error"]["title"], "Request Entity Too Large",
        "{}",
        r.text
    );
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(3 << 20));
    for (path, fault) in [
        ("/image/v2/images", "code"),
        ("/compute/v2.1/flavors", "overLimit"),
        ("/networking/v2.0/networks", "NeutronError"),
    ] {
        let r = app
            .call_bytes(Method::POST, path, &admin, "application/json", big.clone())
            .await;
        assert_eq!(r.status.as_u16(), 413, "{path}: {}", r.text);
        assert!(
            r.body.get(fault).is_some(),
            "{path}: a JSON fault, got {}",
            r.text
        );
    }
}
