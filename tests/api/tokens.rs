//! Tokens: issue in every scope, validate, revoke, and lose validity when what made
//! them changes; lockout; application credentials.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{names, parse_time, password_auth, project_scope, spawn_app, ADMIN_PASSWORD};

/// The identity service in a token's catalog, with its three endpoints at `base`.
fn assert_identity_catalog(token: &Value, base: &str) {
    let catalog = token["catalog"]
        .as_array()
        .unwrap_or_else(|| panic!("a catalog in {token}"));
    let identity = catalog
        .iter()
        .find(|s| s["type"] == "identity")
        .unwrap_or_else(|| panic!("an identity service in {token}"));
    assert_eq!(identity["name"], "keystone");
    let endpoints = identity["endpoints"].as_array().expect("endpoints");
    let mut interfaces: Vec<&str> = endpoints
        .iter()
        .map(|e| e["interface"].as_str().expect("an interface"))
        .collect();
    interfaces.sort();
    assert_eq!(interfaces, ["admin", "internal", "public"]);
    for e in endpoints {
        assert_eq!(e["url"], json!(format!("{base}/identity/v3")), "{e}");
        assert_eq!(e["region_id"], "RegionOne", "{e}");
    }
}

#[tokio::test]
async fn project_scoped_token_carries_roles_catalog_and_expiry() {
    let app = spawn_app().await;
    let before = chrono::Utc::now();
    let r = app
        .authenticate(password_auth(
            "admin",
            ADMIN_PASSWORD,
            Some(project_scope("admin")),
        ))
        .await
        .expect(201);
    let subject = r.subject_token();
    let t = &r.body["token"];
    assert_eq!(t["methods"], json!(["password"]));
    assert_eq!(t["user"]["name"], "admin");
    assert_eq!(t["user"]["domain"]["id"], "default");
    assert_eq!(t["project"]["name"], "admin");
    assert_eq!(t["project"]["domain"]["id"], "default");
    assert_eq!(t["project"]["domain"]["name"], "Default");
    // admin implies member implies reader.
    assert_eq!(names(&t["roles"]), ["admin", "manager", "member", "reader"]);
    assert_identity_catalog(t, &app.address);
    let expires = parse_time(&t["expires_at"]);
    assert!(
        expires > chrono::Utc::now(),
        "expires_at {expires} is in the past"
    );
    assert!(expires <= before + chrono::Duration::seconds(3600 + 5));
    let issued = parse_time(&t["issued_at"]);
    assert!(issued <= expires);
    assert_eq!(t["audit_ids"].as_array().map(Vec::len), Some(1));

    // The token works, and ?nocatalog leaves the catalog out.
    app.get("/v3/users", &subject).await.expect(200);
    let r = app
        .send(
            Method::POST,
            "/v3/auth/tokens?nocatalog",
            None,
            Some(&json!({"auth": {"identity": {"methods": ["token"], "token": {"id": subject}}, "scope": project_scope("admin")}})),
        )
        .await
        .expect(201);
    assert!(r.body["token"].get("catalog").is_none(), "{}", r.text);
    assert_eq!(r.body["token"]["methods"], json!(["password", "token"]));
    assert_eq!(
        names(&r.body["token"]["roles"]),
        ["admin", "manager", "member", "reader"]
    );
}

#[tokio::test]
async fn domain_scoped_token_needs_a_role_on_the_domain() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let v = app
        .check_token(Method::GET, &admin, &admin)
        .await
        .expect(200);
    let user_id = v.body["token"]["user"]["id"].as_str().unwrap().to_string();
    let role_id = app.role_id("admin").await;

    let scope = json!({"domain": {"id": "default"}});
    let r = app
        .rescope(&admin, Some(scope.clone()))
        .await
        .expect_error(401);
    assert!(r.message().contains("no access to domain"), "{}", r.text);

    app.put(
        &format!("/v3/domains/default/users/{user_id}/roles/{role_id}"),
        &admin,
    )
    .await
    .expect(204);
    app.head(
        &format!("/v3/domains/default/users/{user_id}/roles/{role_id}"),
        &admin,
    )
    .await
    .expect(204);

    let r = app
        .authenticate(password_auth("admin", ADMIN_PASSWORD, Some(scope)))
        .await
        .expect(201);
    let domain_token = r.subject_token();
    let t = &r.body["token"];
    assert_eq!(t["domain"]["id"], "default");
    assert_eq!(t["domain"]["name"], "Default");
    assert!(t.get("project").is_none(), "{}", r.text);
    assert_eq!(names(&t["roles"]), ["admin", "manager", "member", "reader"]);
    assert_identity_catalog(t, &app.address);
    assert!(parse_time(&t["expires_at"]) > chrono::Utc::now());

    // It is an admin token, and the domain is among the user's domains.
    app.get("/v3/users", &domain_token).await.expect(200);
    let r = app.get("/v3/auth/domains", &domain_token).await.expect(200);
    assert_eq!(crate::helpers::ids(&r.body["domains"]), ["default"]);
}

#[tokio::test]
async fn unscoped_token_has_no_roles_and_can_be_rescoped() {
    let app = spawn_app().await;
    let r = app
        .authenticate(password_auth(
            "admin",
            ADMIN_PASSWORD,
            Some(json!("unscoped")),
        ))
        .await
        .expect(201);
    let unscoped = r.subject_token();
    let t = &r.body["token"];
    assert_eq!(t["user"]["name"], "admin");
    for key in ["project", "domain", "roles", "catalog"] {
        assert!(t.get(key).is_none(), "unscoped token has {key}: {}", r.text);
    }
    assert!(parse_time(&t["expires_at"]) > chrono::Utc::now());

    // Without a scope it may only discover where it can go.
    app.get("/v3/users", &unscoped).await.expect_error(403);
    let r = app.get("/v3/auth/projects", &unscoped).await.expect(200);
    assert_eq!(names(&r.body["projects"]), ["admin"]);

    let r = app
        .rescope(&unscoped, Some(project_scope("admin")))
        .await
        .expect(201);
    assert_eq!(r.body["token"]["project"]["name"], "admin");
    assert_eq!(
        names(&r.body["token"]["roles"]),
        ["admin", "manager", "member", "reader"]
    );
    app.get("/v3/users", &r.subject_token()).await.expect(200);

    // Without any scope, the admin lands on its default project.
    let r = app
        .authenticate(password_auth("admin", ADMIN_PASSWORD, None))
        .await
        .expect(201);
    assert_eq!(r.body["token"]["project"]["name"], "admin");
}

#[tokio::test]
async fn tokens_validate_and_revoke() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let other = app.rescope(&admin, None).await.expect(201).subject_token();
    assert_ne!(other, admin);

    let r = app
        .check_token(Method::GET, &admin, &other)
        .await
        .expect(200);
    assert_eq!(r.header("x-subject-token"), Some(other.as_str()));
    assert_eq!(r.body["token"]["user"]["name"], "admin");
    assert_eq!(r.body["token"]["project"]["name"], "admin");
    assert_identity_catalog(&r.body["token"], &app.address);

    let r = app
        .check_token(Method::HEAD, &admin, &other)
        .await
        .expect(200);
    assert_eq!(r.header("x-subject-token"), Some(other.as_str()));
    assert!(r.text.is_empty());

    // A token validates itself too; without a subject it is a bad request.
    app.check_token(Method::GET, &other, &other)
        .await
        .expect(200);
    app.get("/v3/auth/tokens", &admin).await.expect_error(400);

    app.check_token(Method::DELETE, &admin, &other)
        .await
        .expect(204);
    let r = app
        .check_token(Method::GET, &admin, &other)
        .await
        .expect_error(404);
    assert!(r.message().contains("Could not find token"), "{}", r.text);
    app.check_token(Method::HEAD, &admin, &other)
        .await
        .expect(404);
    app.check_token(Method::DELETE, &admin, &other)
        .await
        .expect_error(404);
    let r = app.get("/v3/projects", &other).await.expect_error(401);
    assert!(r.header("www-authenticate").is_some());
    // A revoked token cannot be exchanged for a new one either.
    app.rescope(&other, None).await.expect_error(401);

    // The token that revoked it is untouched.
    app.get("/v3/projects", &admin).await.expect(200);
}

#[tokio::test]
async fn a_user_revokes_its_own_token_but_not_others() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let m = app.member("carol", "carols", "member").await;
    let second = app
        .rescope(&m.token, None)
        .await
        .expect(201)
        .subject_token();

    // Another user's token is none of its business: it can neither revoke nor validate
    // it (Keystone's identity:validate_token: the owner, admins and services).
    app.check_token(Method::DELETE, &m.token, &admin)
        .await
        .expect_error(404);
    app.get("/v3/projects", &admin).await.expect(200);
    app.check_token(Method::GET, &m.token, &admin)
        .await
        .expect_error(403);
    app.check_token(Method::HEAD, &m.token, &admin)
        .await
        .expect(403);
    app.check_token(Method::GET, &m.token, &second)
        .await
        .expect(200);

    app.check_token(Method::DELETE, &m.token, &second)
        .await
        .expect(204);
    app.get("/v3/auth/projects", &second)
        .await
        .expect_error(401);
    app.get("/v3/auth/projects", &m.token).await.expect(200);
}

#[tokio::test]
async fn token_stops_working_when_user_is_disabled() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let m = app.member("dora", "doras", "member").await;
    let me = format!("/v3/users/{}", m.user_id);
    app.get(&me, &m.token).await.expect(200);

    let r = app
        .patch(&me, &admin, json!({"user": {"enabled": false}}))
        .await
        .expect(200);
    assert_eq!(r.body["user"]["enabled"], false);

    let r = app.get(&me, &m.token).await.expect_error(401);
    assert!(r.header("www-authenticate").is_some());
    app.check_token(Method::GET, &admin, &m.token)
        .await
        .expect_error(404);
    app.authenticate(password_auth("dora", &m.password, None))
        .await
        .expect_error(401);
}

#[tokio::test]
async fn token_stops_working_when_user_is_deleted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let m = app.member("eve", "eves", "member").await;
    let me = format!("/v3/users/{}", m.user_id);
    app.get(&me, &m.token).await.expect(200);

    app.delete(&me, &admin).await.expect(204);
    app.get(&me, &m.token).await.expect_error(401);
    app.get(&me, &admin).await.expect_error(404);
    app.check_token(Method::GET, &admin, &m.token)
        .await
        .expect_error(404);
}

#[tokio::test]
async fn token_stops_working_when_password_changes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let m = app.member("fred", "freds", "member").await;
    let me = format!("/v3/users/{}", m.user_id);
    app.get(&me, &m.token).await.expect(200);

    app.patch(&me, &admin, json!({"user": {"password": "a-brand-new-pw"}}))
        .await
        .expect(200);
    app.get(&me, &m.token).await.expect_error(401);
    app.authenticate(password_auth("fred", &m.password, None))
        .await
        .expect_error(401);
    let fresh = app.token("fred", "a-brand-new-pw", "freds").await;
    app.get(&me, &fresh).await.expect(200);
}

#[tokio::test]
async fn token_stops_working_when_its_role_is_removed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let m = app.member("gina", "ginas", "member").await;
    let me = format!("/v3/users/{}", m.user_id);
    let r = app
        .check_token(Method::GET, &admin, &m.token)
        .await
        .expect(200);
    assert_eq!(names(&r.body["token"]["roles"]), ["member", "reader"]);
    app.get(&me, &m.token).await.expect(200);

    let member = app.role_id("member").await;
    app.delete(
        &format!(
            "/v3/projects/{}/users/{}/roles/{member}",
            m.project_id, m.user_id
        ),
        &admin,
    )
    .await
    .expect(204);
    app.get(&me, &m.token).await.expect_error(401);
    app.check_token(Method::GET, &admin, &m.token)
        .await
        .expect_error(404);
    // Without a role it cannot scope there any more.
    let r = app
        .authenticate(password_auth(
            "gina",
            &m.password,
            Some(project_scope("ginas")),
        ))
        .await
        .expect_error(401);
    assert!(r.message().contains("no access to project"), "{}", r.text);
}

#[tokio::test]
async fn token_through_a_group_stops_working_when_the_user_leaves_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project("team").await;
    let user = app.create_user("hank", Some("hank-password")).await;
    let group = app.create_group("devs").await;
    let member = app.role_id("member").await;
    app.put(
        &format!("/v3/projects/{project}/groups/{group}/roles/{member}"),
        &admin,
    )
    .await
    .expect(204);
    app.put(&format!("/v3/groups/{group}/users/{user}"), &admin)
        .await
        .expect(204);

    let r = app
        .authenticate(password_auth(
            "hank",
            "hank-password",
            Some(project_scope("team")),
        ))
        .await
        .expect(201);
    assert_eq!(names(&r.body["token"]["roles"]), ["member", "reader"]);
    let token = r.subject_token();
    app.get(&format!("/v3/projects/{project}"), &token)
        .await
        .expect(200);

    app.delete(&format!("/v3/groups/{group}/users/{user}"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/projects/{project}"), &token)
        .await
        .expect_error(401);
}

#[tokio::test]
async fn tokens_and_revocations_survive_a_restart() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let revoked = app.rescope(&admin, None).await.expect(201).subject_token();
    app.check_token(Method::DELETE, &admin, &revoked)
        .await
        .expect(204);
    let project = app.create_project("durable").await;
    let old_port = app.port;

    let app = app.restart().await;
    assert_ne!(app.port, old_port, "the new controller listens anew");
    let r = app
        .get(&format!("/v3/projects/{project}"), &admin)
        .await
        .expect(200);
    assert_eq!(r.body["project"]["name"], "durable");
    let r = app
        .check_token(Method::GET, &admin, &admin)
        .await
        .expect(200);
    assert_eq!(r.body["token"]["user"]["name"], "admin");
    // The catalog follows the controller to its new address.
    assert_identity_catalog(&r.body["token"], &app.address);
    // A revocation is remembered across the restart.
    app.get("/v3/projects", &revoked).await.expect_error(401);
    // The admin password is the bootstrap one still.
    app.token("admin", ADMIN_PASSWORD, "admin").await;
}

#[tokio::test]
async fn five_failed_logins_lock_the_account_until_an_admin_enables_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let user = app.create_user("ivan", Some("ivan-password")).await;
    for i in 0..5 {
        let r = app
            .authenticate(password_auth("ivan", "not-the-password", None))
            .await
            .expect_error(401);
        assert!(!r.message().contains("locked"), "attempt {i}: {}", r.text);
    }
    let r = app
        .authenticate(password_auth("ivan", "ivan-password", None))
        .await
        .expect_error(401);
    assert!(r.message().contains("locked"), "{}", r.text);
    assert!(r.header("www-authenticate").is_some());

    let r = app
        .patch(
            &format!("/v3/users/{user}"),
            &admin,
            json!({"user": {"enabled": true}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["user"]["enabled"], true);
    let r = app
        .authenticate(password_auth(
            "ivan",
            "ivan-password",
            Some(json!("unscoped")),
        ))
        .await
        .expect(201);
    assert_eq!(r.body["token"]["user"]["id"], json!(user));
}

#[tokio::test]
async fn application_credential_carries_only_the_delegated_roles() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let v = app
        .check_token(Method::GET, &admin, &admin)
        .await
        .expect(200);
    let user_id = v.body["token"]["user"]["id"].as_str().unwrap().to_string();
    let project_id = v.body["token"]["project"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let creds = format!("/v3/users/{user_id}/application_credentials");

    let r = app
        .post(
            &creds,
            &admin,
            json!({"application_credential": {"name": "ci", "description": "for CI", "roles": [{"name": "reader"}]}}),
        )
        .await
        .expect(201);
    let cred = &r.body["application_credential"];
    let cred_id = cred["id"].as_str().unwrap().to_string();
    let secret = cred["secret"].as_str().unwrap().to_string();
    assert!(secret.len() >= 32, "a generated secret: {secret}");
    assert_eq!(names(&cred["roles"]), ["reader"]);
    assert_eq!(cred["project_id"], json!(project_id));
    assert_eq!(cred["user_id"], json!(user_id));
    assert_eq!(cred["expires_at"], Value::Null);

    // The secret is shown once only.
    let r = app.get(&creds, &admin).await.expect(200);
    let listed = &r.body["application_credentials"];
    assert_eq!(names(listed), ["ci"]);
    assert!(listed[0].get("secret").is_none(), "{}", r.text);
    assert!(!r.text.contains(&secret));

    let r = app
        .authenticate(json!({"auth": {"identity": {
            "methods": ["application_credential"],
            "application_credential": {"id": cred_id, "secret": secret},
        }}}))
        .await
        .expect(201);
    let ac_token = r.subject_token();
    let t = &r.body["token"];
    assert_eq!(t["methods"], json!(["application_credential"]));
    assert_eq!(names(&t["roles"]), ["reader"]);
    assert_eq!(t["project"]["id"], json!(project_id));
    assert_eq!(t["application_credential"]["id"], json!(cred_id));
    assert_eq!(t["application_credential"]["restricted"], true);

    // Only a reader: it reads its project but administers nothing, and delegates nothing.
    app.get(&format!("/v3/projects/{project_id}"), &ac_token)
        .await
        .expect(200);
    app.get("/v3/users", &ac_token).await.expect_error(403);
    app.post(
        "/v3/projects",
        &ac_token,
        json!({"project": {"name": "nope"}}),
    )
    .await
    .expect_error(403);
    app.post(
        &creds,
        &ac_token,
        json!({"application_credential": {"name": "more"}}),
    )
    .await
    .expect_error(403);
    app.rescope(&ac_token, None).await.expect_error(403);

    // By name and user; a wrong secret fails.
    app.authenticate(json!({"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"name": "ci", "user": {"name": "admin", "domain": {"id": "default"}}, "secret": secret},
    }}}))
    .await
    .expect(201);
    app.authenticate(json!({"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": cred_id, "secret": "wrong-secret"},
    }}}))
    .await
    .expect_error(401);

    // Deleting the credential ends it and its tokens.
    app.delete(&format!("{creds}/{cred_id}"), &admin)
        .await
        .expect(204);
    app.get(&format!("/v3/projects/{project_id}"), &ac_token)
        .await
        .expect_error(401);
    app.authenticate(json!({"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": cred_id, "secret": secret},
    }}}))
    .await
    .expect_error(401);
}

#[tokio::test]
async fn application_credential_rules_at_creation() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let v = app
        .check_token(Method::GET, &admin, &admin)
        .await
        .expect(200);
    let user_id = v.body["token"]["user"]["id"].as_str().unwrap().to_string();
    let creds = format!("/v3/users/{user_id}/application_credentials");

    let r = app
        .post(
            &creds,
            &admin,
            json!({"application_credential": {"name": "old", "expires_at": "2001-01-01T00:00:00Z"}}),
        )
        .await
        .expect_error(400);
    assert!(r.message().contains("expires_at"), "{}", r.text);
    app.post(
        &creds,
        &admin,
        json!({"application_credential": {"name": "bad", "expires_at": "next tuesday"}}),
    )
    .await
    .expect_error(400);

    // A role the token does not carry cannot be delegated.
    app.create_role("auditor").await;
    app.post(
        &creds,
        &admin,
        json!({"application_credential": {"name": "x", "roles": [{"name": "auditor"}]}}),
    )
    .await
    .expect_error(403);

    // An unscoped token has no project to delegate.
    let unscoped = app
        .rescope(&admin, Some(json!("unscoped")))
        .await
        .expect(201)
        .subject_token();
    app.post(
        &creds,
        &unscoped,
        json!({"application_credential": {"name": "y"}}),
    )
    .await
    .expect_error(400);

    // A future expiry is kept to the microsecond and read back as Keystone prints it (a
    // naive ISO time); a given secret is used; names are unique per user.
    let expires = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S.123456")
        .to_string();
    let r = app
        .post(
            &creds,
            &admin,
            json!({"application_credential": {"name": "soon", "expires_at": expires, "secret": "my-own-secret"}}),
        )
        .await
        .expect(201);
    let cred = &r.body["application_credential"];
    assert_eq!(cred["secret"], "my-own-secret");
    assert_eq!(cred["expires_at"], expires.as_str());
    // Without roles it carries all of the token's.
    assert_eq!(
        names(&cred["roles"]),
        ["admin", "manager", "member", "reader"]
    );
    app.post(
        &creds,
        &admin,
        json!({"application_credential": {"name": "soon"}}),
    )
    .await
    .expect_error(409);
}

#[tokio::test]
async fn system_scope_reads_the_whole_cloud_and_needs_a_role_on_the_system() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let auditor = app.create_user("auditor", Some("s3cret-pass")).await;
    let ops = app.create_group("ops").await;
    let reader = app.role_id("reader").await;
    let system = json!({"system": {"all": true}});

    // No role on the system: no system-scoped token, and no system among its scopes.
    let r = app
        .authenticate(password_auth(
            "auditor",
            "s3cret-pass",
            Some(system.clone()),
        ))
        .await
        .expect_error(401);
    assert!(
        r.message().contains("no access to the system"),
        "{}",
        r.text
    );
    let grant = format!("/v3/system/users/{auditor}/roles/{reader}");
    app.head(&grant, &admin).await.expect(404);

    // Granted reader on the system (and the group a role on it too).
    app.put(&grant, &admin).await.expect(204);
    app.head(&grant, &admin).await.expect(204);
    let listed = app
        .get(&format!("/v3/system/users/{auditor}/roles"), &admin)
        .await
        .expect(200);
    assert_eq!(names(&listed.body["roles"]), ["reader"]);
    app.put(&format!("/v3/system/groups/{ops}/roles/{reader}"), &admin)
        .await
        .expect(204);
    let r = app
        .get("/v3/role_assignments?scope.system=all", &admin)
        .await
        .expect(200);
    let on_system = r.body["role_assignments"].as_array().unwrap();
    assert_eq!(on_system.len(), 2, "{}", r.text);
    for a in on_system {
        assert_eq!(a["scope"], json!({"system": {"all": true}}), "{a}");
        assert!(a["links"]["assignment"]
            .as_str()
            .unwrap()
            .contains("/identity/v3/system/"));
    }

    let r = app
        .authenticate(password_auth("auditor", "s3cret-pass", Some(system)))
        .await
        .expect(201);
    let token = r.subject_token();
    let t = &r.body["token"];
    assert_eq!(t["system"], json!({"all": true}));
    assert!(
        t.get("project").is_none() && t.get("domain").is_none(),
        "{t}"
    );
    assert_eq!(names(&t["roles"]), ["reader"]);
    assert_identity_catalog(t, &app.address);
    let v = app
        .check_token(Method::GET, &admin, &token)
        .await
        .expect(200);
    assert_eq!(v.body["token"]["system"], json!({"all": true}));
    let r = app.get("/v3/auth/system", &token).await.expect(200);
    assert_eq!(r.body["system"], json!([{"all": true}]));

    // A system reader reads every project's and the cloud's things, and changes none.
    app.get("/v3/users", &token).await.expect(200);
    app.get("/v3/role_assignments", &token).await.expect(200);
    let alpha = app.member("alice", "alpha", "member").await;
    let servers = app
        .call(
            Method::GET,
            "/compute/v2.1/servers?all_tenants=1",
            &token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(servers.body["servers"], json!([]));
    app.call(
        Method::GET,
        &format!("/v3/projects/{}", alpha.project_id).replace("/v3", "/identity/v3"),
        &token,
        None,
    )
    .await
    .expect(200);
    app.post("/v3/roles", &token, json!({"role": {"name": "nope"}}))
        .await
        .expect_error(403);

    // Revoked, the role no longer makes system tokens valid.
    app.delete(&grant, &admin).await.expect(204);
    app.check_token(Method::GET, &admin, &token)
        .await
        .expect_error(404);
}

#[tokio::test]
async fn token_stops_working_when_its_project_or_domain_is_disabled() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let m = app.member("jane", "janes", "member").await;
    let project = format!("/v3/projects/{}", m.project_id);
    app.get(&project, &m.token).await.expect(200);

    app.patch(&project, &admin, json!({"project": {"enabled": false}}))
        .await
        .expect(200);
    app.get(&project, &m.token).await.expect_error(401);
    // A disabled project is no scope, and is not offered.
    app.authenticate(password_auth(
        "jane",
        &m.password,
        Some(project_scope("janes")),
    ))
    .await
    .expect_error(401);
    let unscoped = app
        .authenticate(password_auth("jane", &m.password, Some(json!("unscoped"))))
        .await
        .expect(201)
        .subject_token();
    let r = app.get("/v3/auth/projects", &unscoped).await.expect(200);
    assert_eq!(r.body["projects"], json!([]));
    app.patch(&project, &admin, json!({"project": {"enabled": true}}))
        .await
        .expect(200);

    // A user of a disabled domain loses every token.
    let r = app
        .post("/v3/domains", &admin, json!({"domain": {"name": "Sales"}}))
        .await
        .expect(201);
    let domain = r.body["domain"]["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/v3/users",
            &admin,
            json!({"user": {"name": "kim", "domain_id": domain, "password": "kim-password"}}),
        )
        .await
        .expect(201);
    let kim = r.body["user"]["id"].as_str().unwrap().to_string();
    let auth = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "kim", "domain": {"name": "Sales"}, "password": "kim-password"}}}, "scope": "unscoped"}});
    let r = app.authenticate(auth.clone()).await.expect(201);
    assert_eq!(r.body["token"]["user"]["domain"]["name"], "Sales");
    let kims = r.subject_token();
    app.get(&format!("/v3/users/{kim}"), &kims)
        .await
        .expect(200);
    app.patch(
        &format!("/v3/domains/{domain}"),
        &admin,
        json!({"domain": {"enabled": false}}),
    )
    .await
    .expect(200);
    app.get(&format!("/v3/users/{kim}"), &kims)
        .await
        .expect_error(401);
}

#[tokio::test]
async fn tokens_expire_and_locks_lapse() {
    // Lifetimes are whole seconds: a two-second token is good for at least one more.
    let app = crate::helpers::spawn_app_with(|c| {
        c.identity.token_ttl = 2;
        c.identity.lockout_failure_attempts = 2;
        // Two seconds: a lock set late in a second still holds for the whole next one.
        c.identity.lockout_duration = 2;
    })
    .await;
    let r = app
        .authenticate(password_auth(
            "admin",
            ADMIN_PASSWORD,
            Some(project_scope("admin")),
        ))
        .await
        .expect(201);
    let short = r.subject_token();
    let expires = parse_time(&r.body["token"]["expires_at"]);
    assert!(expires <= chrono::Utc::now() + chrono::Duration::seconds(2));
    app.get("/v3/projects", &short).await.expect(200);
    // Locked after two failures.
    app.create_user("lena", Some("lena-password")).await;
    for _ in 0..2 {
        app.authenticate(password_auth("lena", "wrong-password", None))
            .await
            .expect_error(401);
    }
    let r = app
        .authenticate(password_auth("lena", "lena-password", None))
        .await
        .expect_error(401);
    assert!(r.message().contains("locked"), "{}", r.text);

    // Wait until both the token and the lock are past.
    let lock_lapses =
        chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + 2, 0).unwrap();
    let until = expires.max(lock_lapses) + chrono::Duration::milliseconds(50);
    tokio::time::sleep((until - chrono::Utc::now()).to_std().unwrap_or_default()).await;

    app.get("/v3/projects", &short).await.expect_error(401);
    app.rescope(&short, None).await.expect_error(401);
    let fresh = app
        .authenticate(password_auth(
            "admin",
            ADMIN_PASSWORD,
            Some(project_scope("admin")),
        ))
        .await
        .expect(201)
        .subject_token();
    app.get("/v3/projects", &fresh).await.expect(200);
    app.check_token(Method::GET, &fresh, &short)
        .await
        .expect_error(404);
    app.authenticate(password_auth("lena", "lena-password", None))
        .await
        .expect(201);
}

/// Lockout cannot be used to find accounts or to lock the operator out: a wrong password
/// for a locked account gets the answer any wrong password gets, and the bootstrap
/// administrator is never locked.
#[tokio::test]
async fn a_lock_is_told_only_to_the_right_password_and_never_locks_the_admin() {
    let app = spawn_app().await;
    app.create_user("mona", Some("mona-password")).await;
    let unknown = app
        .authenticate(password_auth("nobody-at-all", "wrong-password", None))
        .await
        .expect_error(401);
    for _ in 0..5 {
        app.authenticate(password_auth("mona", "wrong-password", None))
            .await
            .expect_error(401);
    }
    let locked_wrong = app
        .authenticate(password_auth("mona", "wrong-password", None))
        .await
        .expect_error(401);
    assert_eq!(
        locked_wrong.body, unknown.body,
        "a locked account is not told apart"
    );
    let locked_right = app
        .authenticate(password_auth("mona", "mona-password", None))
        .await
        .expect_error(401);
    assert!(
        locked_right.message().contains("locked"),
        "{}",
        locked_right.text
    );

    for _ in 0..6 {
        app.authenticate(password_auth("admin", "wrong-password", None))
            .await
            .expect_error(401);
    }
    app.authenticate(password_auth("admin", ADMIN_PASSWORD, None))
        .await
        .expect(201);
}

#[tokio::test]
async fn a_token_revoked_on_one_controller_is_refused_by_another() {
    let a = spawn_app().await;
    let b = a.second_controller().await;
    let admin = a.admin_token().await;
    let token = a.rescope(&admin, None).await.expect(201).subject_token();
    b.check_token(Method::GET, &admin, &token).await.expect(200);
    // B has validated (and cached) it; revoke on A, then ask B with a token B never saw.
    let other = a.rescope(&admin, None).await.expect(201).subject_token();
    a.check_token(Method::DELETE, &admin, &other)
        .await
        .expect(204);
    b.check_token(Method::GET, &admin, &other)
        .await
        .expect_error(404);
    b.get("/v3/projects", &other).await.expect_error(401);
}

/// Guessing is slowed per source address: past the limit of failed logins in a window,
/// that address's logins are refused without a password check, whatever the account.
#[tokio::test]
async fn failed_logins_are_throttled_per_source_address() {
    let app = spawn_app().await;
    let limit = gureum::server::services::identity::LoginThrottle::LIMIT;
    for i in 0..limit {
        let r = app
            .authenticate(password_auth("admin", "wrong-password", None))
            .await
            .expect_error(401);
        assert!(!r.message().contains("Too many"), "attempt {i}: {}", r.text);
    }
    let r = app
        .authenticate(password_auth("admin", ADMIN_PASSWORD, None))
        .await
        .expect_error(401);
    assert!(r.message().contains("Too many failed logins"), "{}", r.text);
}

#[tokio::test]
async fn an_application_credential_with_access_rules_makes_only_those_calls() {
    let app = spawn_app().await;
    let m = app.member("ruth", "rules", "member").await;
    let made = app
        .post(
            &format!("/v3/users/{}/application_credentials", m.user_id),
            &m.token,
            json!({"application_credential": {"name": "lister", "access_rules": [
                {"service": "compute", "path": "/v2.1/servers", "method": "GET"},
                {"service": "image", "path": "/v2/images/*", "method": "GET"}]}}),
        )
        .await
        .expect(201)
        .body["application_credential"]
        .clone();
    assert_eq!(made["access_rules"].as_array().unwrap().len(), 2);
    let token = app
        .authenticate(json!({"auth": {"identity": {
            "methods": ["application_credential"],
            "application_credential": {"id": made["id"], "secret": made["secret"]},
        }}}))
        .await
        .expect(201)
        .subject_token();
    // The calls the rules name are made; the others are refused as Keystone's middleware
    // refuses them (401).
    app.call(Method::GET, "/compute/v2.1/servers", &token, None)
        .await
        .expect(200);
    app.call(Method::GET, "/image/v2/images/nope", &token, None)
        .await
        .expect(404);
    app.call(Method::GET, "/compute/v2.1/flavors", &token, None)
        .await
        .expect(401);
    app.call(Method::GET, "/image/v2/images", &token, None)
        .await
        .expect(401);
    app.call(Method::GET, "/networking/v2.0/networks", &token, None)
        .await
        .expect(401);
    // The rules are the user's; one still in use is not deleted.
    let rules = app
        .get(&format!("/v3/users/{}/access_rules", m.user_id), &m.token)
        .await
        .expect(200)
        .body["access_rules"]
        .clone();
    assert_eq!(rules.as_array().unwrap().len(), 2);
    let rule = rules[0]["id"].as_str().unwrap();
    let rule_path = format!("/v3/users/{}/access_rules/{rule}", m.user_id);
    app.delete(&rule_path, &m.token).await.expect_error(403);
    app.delete(
        &format!(
            "/v3/users/{}/application_credentials/{}",
            m.user_id,
            made["id"].as_str().unwrap()
        ),
        &m.token,
    )
    .await
    .expect(204);
    app.delete(&rule_path, &m.token).await.expect(204);
    app.get(&rule_path, &m.token).await.expect_error(404);
}
