//! The image service (Glance v2) over HTTP: upload and download, the checks on image
//! data, visibility and sharing, the status machine, paging, and Glance's faults.

use std::path::{Path, PathBuf};
use std::process::Command;

use md5::Digest as _;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Member, Reply, TestApp};

const PATCH: &str = "application/openstack-images-v2.1-json-patch";
const OCTETS: &str = "application/octet-stream";

/// Runs qemu-img to make test data; the image service itself depends on it.
fn qemu_img(args: &[&str]) {
    let out = Command::new("qemu-img")
        .args(args)
        .output()
        .expect("qemu-img is installed (scripts/setup)");
    assert!(
        out.status.success(),
        "qemu-img {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn qcow2(dir: &Path, name: &str, extra: &[&str]) -> Vec<u8> {
    let path = dir.join(name);
    let p = path.to_str().unwrap();
    let mut args = vec!["create", "-q", "-f", "qcow2"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[p, "16M"]);
    qemu_img(&args);
    std::fs::read(&path).unwrap()
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    app.call(Method::POST, "/image/v2/images", token, Some(&body))
        .await
        .expect(201)
        .body
}

async fn upload(app: &TestApp, token: &str, id: &str, data: Vec<u8>) -> Reply {
    app.call_bytes(
        Method::PUT,
        &format!("/image/v2/images/{id}/file"),
        token,
        OCTETS,
        data,
    )
    .await
}

async fn show(app: &TestApp, token: &str, id: &str) -> Reply {
    app.call(Method::GET, &format!("/image/v2/images/{id}"), token, None)
        .await
}

async fn patch(app: &TestApp, token: &str, id: &str, ops: Value) -> Reply {
    app.call_bytes(
        Method::PATCH,
        &format!("/image/v2/images/{id}"),
        token,
        PATCH,
        ops.to_string(),
    )
    .await
}

/// An active qcow2 image of `who`'s project.
async fn active_image(app: &TestApp, token: &str, name: &str, dir: &Path) -> String {
    let image = create(
        app,
        token,
        json!({"name": name, "disk_format": "qcow2", "container_format": "bare"}),
    )
    .await;
    let id = image["id"].as_str().unwrap().to_string();
    upload(app, token, &id, qcow2(dir, name, &[]))
        .await
        .expect(204);
    id
}

fn list_ids(r: &Reply) -> Vec<String> {
    r.body["images"]
        .as_array()
        .unwrap_or_else(|| panic!("an image list: {}", r.text))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn partial_files(app: &TestApp) -> Vec<PathBuf> {
    std::fs::read_dir(app.data_dir().join("images"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(".partial")
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn version_discovery_answers_multiple_choices() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/image", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 300);
    let body: Value = r.json().await.unwrap();
    let current = body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["status"] == "CURRENT")
        .expect("a CURRENT version");
    assert!(current["id"].as_str().unwrap().starts_with("v2."));
    assert!(current["links"][0]["href"]
        .as_str()
        .unwrap()
        .ends_with("/image/v2/"));
    // Every service's root answers its version document with the trailing slash that
    // clients add, not the portal's page.
    for root in ["/identity/", "/image/", "/compute/", "/networking/"] {
        let r = app
            .client
            .get(format!("{}{root}", app.address))
            .send()
            .await
            .unwrap();
        assert!(
            [200, 300].contains(&r.status().as_u16()),
            "{root}: {}",
            r.status()
        );
        let body: Value = r.json().await.expect("a JSON version document");
        assert!(body.get("versions").is_some(), "{root}: {body}");
    }
    // The catalog lists the image service.
    let admin = app.admin_token().await;
    let catalog = app.get("/v3/auth/catalog", &admin).await.expect(200);
    assert!(catalog.body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["type"] == "image"));
}

#[tokio::test]
async fn an_uploaded_image_round_trips_with_its_checksums() {
    let app = spawn_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let m = app.member("alice", "alpha", "member").await;
    let image = create(
        &app,
        &m.token,
        json!({"name": "tiny", "disk_format": "qcow2", "container_format": "bare",
               "min_ram": 64, "os_distro": "debian", "tags": ["a", "a", "b"]}),
    )
    .await;
    assert_eq!(image["status"], "queued");
    assert_eq!(
        image["visibility"], "shared",
        "Glance's default: shared, no members yet"
    );
    assert_eq!(image["owner"], m.project_id.as_str());
    assert_eq!(image["os_distro"], "debian");
    assert_eq!(image["tags"], json!(["a", "b"]));
    assert_eq!(image["size"], Value::Null);
    let id = image["id"].as_str().unwrap();

    // No data yet: 204.
    app.call(
        Method::GET,
        &format!("/image/v2/images/{id}/file"),
        &m.token,
        None,
    )
    .await
    .expect(204);

    let data = qcow2(tmp.path(), "tiny.qcow2", &[]);
    upload(&app, &m.token, id, data.clone()).await.expect(204);
    let shown = show(&app, &m.token, id).await.expect(200).body;
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["size"], json!(data.len()));
    assert_eq!(shown["virtual_size"], json!(16 * 1024 * 1024));
    assert_eq!(shown["checksum"], hex::encode(md5::Md5::digest(&data)));
    assert_eq!(shown["os_hash_algo"], "sha512");
    assert_eq!(
        shown["os_hash_value"],
        hex::encode(<sha2::Sha512 as sha2::Digest>::digest(&data))
    );

    let r = app
        .client
        .get(format!("{}/image/v2/images/{id}/file", app.address))
        .header("X-Auth-Token", &m.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-md5"].to_str().unwrap(),
        shown["checksum"].as_str().unwrap()
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), data);

    // Uploading again is a conflict: an active image's data is immutable.
    upload(&app, &m.token, id, data)
        .await
        .expect_glance_error(409);

    // Deleting removes the record and the file.
    app.call(
        Method::DELETE,
        &format!("/image/v2/images/{id}"),
        &m.token,
        None,
    )
    .await
    .expect(204);
    show(&app, &m.token, id).await.expect_glance_error(404);
    assert!(!app.data_dir().join("images").join(id).exists());
}

#[tokio::test]
async fn data_that_is_not_what_it_claims_is_refused() {
    let app = spawn_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let m = app.member("alice", "alpha", "member").await;
    let base = tmp.path().join("base.qcow2");
    qemu_img(&["create", "-q", "-f", "qcow2", base.to_str().unwrap(), "1M"]);
    let backed = qcow2(
        tmp.path(),
        "backed.qcow2",
        &["-b", base.to_str().unwrap(), "-F", "qcow2"],
    );
    let external = tmp.path().join("external.raw");
    let data_file_opt = format!("data_file={}", external.display());
    let with_data_file = qcow2(tmp.path(), "datafile.qcow2", &["-o", &data_file_opt]);
    let good_qcow2 = qcow2(tmp.path(), "good.qcow2", &[]);
    let mut not_an_iso = vec![0u8; 40 * 1024];
    not_an_iso[100] = 1;
    let mut iso = vec![0u8; 40 * 1024];
    iso[32769..32774].copy_from_slice(b"CD001");

    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("qcow2", "bare", backed, "backing file"),
        ("qcow2", "bare", with_data_file, "data file"),
        ("raw", "bare", good_qcow2.clone(), "the data is qcow2"),
        ("vmdk", "bare", good_qcow2.clone(), "disk_format vmdk"),
        (
            "qcow2",
            "bare",
            b"definitely not a disk".to_vec(),
            "disk_format qcow2",
        ),
        ("iso", "bare", not_an_iso, "ISO 9660"),
        ("qcow2", "ova", good_qcow2.clone(), "tar archive"),
    ];
    for (disk, container, data, why) in cases {
        let image = create(
            &app,
            &m.token,
            json!({"name": "bad", "disk_format": disk, "container_format": container}),
        )
        .await;
        let id = image["id"].as_str().unwrap();
        let r = upload(&app, &m.token, id, data)
            .await
            .expect_glance_error(400);
        assert!(
            r.glance_message().contains(why),
            "{disk}/{container}: expected {why:?} in {}",
            r.text
        );
        // Refused data leaves the image queued (it may be uploaded again), with no file.
        assert_eq!(show(&app, &m.token, id).await.body["status"], "queued");
        assert!(!app.data_dir().join("images").join(id).exists());
    }
    assert!(
        partial_files(&app).is_empty(),
        "no partial upload is left behind"
    );

    // The same image then takes good data.
    let image = create(
        &app,
        &m.token,
        json!({"name": "iso", "disk_format": "iso", "container_format": "bare"}),
    )
    .await;
    let id = image["id"].as_str().unwrap();
    upload(&app, &m.token, id, iso).await.expect(204);
    assert_eq!(show(&app, &m.token, id).await.body["status"], "active");
}

#[tokio::test]
async fn uploads_need_formats_octets_and_respect_the_size_cap() {
    let app = spawn_app_with(|c| c.image.size_cap = 64 * 1024).await;
    let m = app.member("alice", "alpha", "member").await;
    let image = create(&app, &m.token, json!({"name": "no formats"})).await;
    let id = image["id"].as_str().unwrap();
    let r = upload(&app, &m.token, id, vec![0u8; 10])
        .await
        .expect_glance_error(400);
    assert!(r.glance_message().contains("disk_format"), "{}", r.text);

    let image = create(
        &app,
        &m.token,
        json!({"name": "big", "disk_format": "raw", "container_format": "bare"}),
    )
    .await;
    let id = image["id"].as_str().unwrap();
    app.call_bytes(
        Method::PUT,
        &format!("/image/v2/images/{id}/file"),
        &m.token,
        "application/json",
        "{}",
    )
    .await
    .expect_glance_error(415);
    upload(&app, &m.token, id, vec![0u8; 65 * 1024])
        .await
        .expect_glance_error(413);
    assert_eq!(show(&app, &m.token, id).await.body["status"], "queued");
    upload(&app, &m.token, id, vec![0u8; 64 * 1024])
        .await
        .expect(204);
    assert_eq!(show(&app, &m.token, id).await.body["status"], "active");
}

#[tokio::test]
async fn an_interrupted_upload_kills_the_image_and_leaves_no_file() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let m = app.member("alice", "alpha", "member").await;
    let image = create(
        &app,
        &m.token,
        json!({"name": "cut", "disk_format": "raw", "container_format": "bare"}),
    )
    .await;
    let id = image["id"].as_str().unwrap().to_string();
    // A client that promises 1 MiB, sends a quarter of it, and hangs up.
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let head = format!(
        "PUT /image/v2/images/{id}/file HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: {}\r\nContent-Type: {OCTETS}\r\nContent-Length: {}\r\n\r\n",
        m.token,
        1 << 20
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&vec![7u8; 256 * 1024]).await.unwrap();
    socket.flush().await.unwrap();
    for _ in 0..100 {
        if show(&app, &m.token, &id).await.body["status"] == "saving" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(show(&app, &m.token, &id).await.body["status"], "saving");
    drop(socket);
    // The server notices the broken body on its own time.
    let mut status = Value::Null;
    for _ in 0..100 {
        status = show(&app, &m.token, &id).await.body["status"].clone();
        if status != "saving" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "killed");
    assert!(!app.data_dir().join("images").join(&id).exists());
    assert!(partial_files(&app).is_empty());
    // A killed image takes no more data.
    upload(&app, &m.token, &id, vec![0u8; 10])
        .await
        .expect_glance_error(409);
}

#[tokio::test]
async fn an_upload_cut_by_a_restart_is_killed_at_the_next_start() {
    let app = spawn_app().await;
    let m = app.member("alice", "alpha", "member").await;
    let image = create(
        &app,
        &m.token,
        json!({"name": "stalled", "disk_format": "raw", "container_format": "bare"}),
    )
    .await;
    let id = image["id"].as_str().unwrap().to_string();
    // A body that sends one chunk and then never ends.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    tx.send(Ok(vec![1u8; 4096])).await.unwrap();
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let request = app
        .client
        .put(format!("{}/image/v2/images/{id}/file", app.address))
        .header("X-Auth-Token", &m.token)
        .header("Content-Type", OCTETS)
        .body(body)
        .send();
    let upload_task = tokio::spawn(request);
    for _ in 0..100 {
        if show(&app, &m.token, &id).await.body["status"] == "saving" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(show(&app, &m.token, &id).await.body["status"], "saving");
    let app = app.restart().await;
    let token = app.token("alice", &m.password, "alpha").await;
    assert_eq!(show(&app, &token, &id).await.body["status"], "killed");
    assert!(partial_files(&app).is_empty());
    drop(tx);
    upload_task.abort();
}

/// An mpsc receiver as a stream (without another dependency).
fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn visibility_and_sharing_follow_glance() {
    let app = spawn_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let owner = app.member("alice", "alpha", "member").await;
    let other = app.member("bob", "beta", "member").await;
    let admin = app.admin_token().await;
    let id = active_image(&app, &owner.token, "img", tmp.path()).await;

    // Shared with no members (Glance's default), private in effect: another project
    // cannot see it.
    assert_eq!(
        show(&app, &owner.token, &id).await.expect(200).body["visibility"],
        "shared"
    );
    show(&app, &other.token, &id).await.expect_glance_error(404);
    assert!(!list_ids(
        &app.call(Method::GET, "/image/v2/images", &other.token, None)
            .await
            .expect(200)
    )
    .contains(&id));

    // Only an administrator makes an image public.
    let r = patch(
        &app,
        &owner.token,
        &id,
        json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
    )
    .await
    .expect_glance_error(403);
    assert!(r.glance_message().contains("publicize_image"), "{}", r.text);
    patch(
        &app,
        &admin,
        &id,
        json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
    )
    .await
    .expect(200);
    show(&app, &other.token, &id).await.expect(200);
    // ... but even then only its owner changes it.
    patch(
        &app,
        &other.token,
        &id,
        json!([{"op": "replace", "path": "/name", "value": "mine"}]),
    )
    .await
    .expect_glance_error(403);
    app.call(
        Method::DELETE,
        &format!("/image/v2/images/{id}"),
        &other.token,
        None,
    )
    .await
    .expect_glance_error(403);

    // Its owner may take it back to private.
    patch(
        &app,
        &owner.token,
        &id,
        json!([{"op": "replace", "path": "/visibility", "value": "private"}]),
    )
    .await
    .expect(200);
    show(&app, &other.token, &id).await.expect_glance_error(404);

    // Community: visible to all by id, listed only when asked for.
    let id2 = active_image(&app, &owner.token, "comm", tmp.path()).await;
    patch(
        &app,
        &owner.token,
        &id2,
        json!([{"op": "replace", "path": "/visibility", "value": "community"}]),
    )
    .await
    .expect(200);
    show(&app, &other.token, &id2).await.expect(200);
    let default_list = list_ids(
        &app.call(Method::GET, "/image/v2/images", &other.token, None)
            .await
            .expect(200),
    );
    assert!(!default_list.contains(&id2));
    let community = list_ids(
        &app.call(
            Method::GET,
            "/image/v2/images?visibility=community",
            &other.token,
            None,
        )
        .await
        .expect(200),
    );
    assert_eq!(community, vec![id2.clone()]);

    // Shared: members see it; it is listed for them once accepted.
    let id3 = active_image(&app, &owner.token, "shared", tmp.path()).await;
    let members_path = format!("/image/v2/images/{id3}/members");
    patch(
        &app,
        &owner.token,
        &id3,
        json!([{"op": "replace", "path": "/visibility", "value": "private"}]),
    )
    .await
    .expect(200);
    app.call(
        Method::POST,
        &members_path,
        &owner.token,
        Some(&json!({"member": other.project_id})),
    )
    .await
    .expect_glance_error(403); // still private
    patch(
        &app,
        &owner.token,
        &id3,
        json!([{"op": "replace", "path": "/visibility", "value": "shared"}]),
    )
    .await
    .expect(200);
    show(&app, &other.token, &id3)
        .await
        .expect_glance_error(404);
    let m = app
        .call(
            Method::POST,
            &members_path,
            &owner.token,
            Some(&json!({"member": other.project_id})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(m["status"], "pending");
    app.call(
        Method::POST,
        &members_path,
        &owner.token,
        Some(&json!({"member": other.project_id})),
    )
    .await
    .expect_glance_error(409);
    show(&app, &other.token, &id3).await.expect(200);
    let listed = |r: Reply| list_ids(&r.expect(200)).contains(&id3);
    assert!(!listed(
        app.call(Method::GET, "/image/v2/images", &other.token, None)
            .await
    ));
    assert!(listed(
        app.call(
            Method::GET,
            "/image/v2/images?member_status=pending&visibility=shared",
            &other.token,
            None
        )
        .await
    ));
    let member_path = format!("{members_path}/{}", other.project_id);
    // Only the member decides.
    app.call(
        Method::PUT,
        &member_path,
        &owner.token,
        Some(&json!({"status": "accepted"})),
    )
    .await
    .expect_glance_error(403);
    app.call(
        Method::PUT,
        &member_path,
        &other.token,
        Some(&json!({"status": "maybe"})),
    )
    .await
    .expect_glance_error(400);
    app.call(
        Method::PUT,
        &member_path,
        &other.token,
        Some(&json!({"status": "accepted"})),
    )
    .await
    .expect(200);
    assert!(listed(
        app.call(Method::GET, "/image/v2/images", &other.token, None)
            .await
    ));
    // The member sees only its own membership; a third project sees nothing.
    let third = app.member("carol", "gamma", "member").await;
    show(&app, &third.token, &id3)
        .await
        .expect_glance_error(404);
    let members = app
        .call(Method::GET, &members_path, &other.token, None)
        .await
        .expect(200)
        .body;
    assert_eq!(members["members"].as_array().unwrap().len(), 1);
    // The owner removes the member, and the image is gone for it.
    app.call(Method::DELETE, &member_path, &other.token, None)
        .await
        .expect_glance_error(403);
    app.call(Method::DELETE, &member_path, &owner.token, None)
        .await
        .expect(204);
    show(&app, &other.token, &id3)
        .await
        .expect_glance_error(404);

    // The administrator lists every project's images.
    let all = list_ids(
        &app.call(Method::GET, "/image/v2/images?limit=100", &admin, None)
            .await
            .expect(200),
    );
    for i in [&id, &id2, &id3] {
        assert!(all.contains(i));
    }

    // Only an administrator gives an image to another project, at create or later.
    let given = create(
        &app,
        &admin,
        json!({"name": "given", "owner": other.project_id, "disk_format": "raw",
               "container_format": "bare"}),
    )
    .await;
    assert_eq!(given["owner"], other.project_id.as_str());
    show(&app, &other.token, given["id"].as_str().unwrap())
        .await
        .expect(200);
    let r = app
        .call(
            Method::POST,
            "/image/v2/images",
            &owner.token,
            Some(&json!({"name": "stolen", "owner": other.project_id})),
        )
        .await
        .expect_glance_error(403);
    assert!(r.glance_message().contains(&other.project_id), "{}", r.text);
    patch(
        &app,
        &owner.token,
        &id2,
        json!([{"op": "replace", "path": "/owner", "value": other.project_id}]),
    )
    .await
    .expect_glance_error(403);
    let moved = patch(
        &app,
        &admin,
        &id2,
        json!([{"op": "replace", "path": "/owner", "value": other.project_id}]),
    )
    .await
    .expect(200);
    assert_eq!(moved.body["owner"], other.project_id.as_str());
}

#[tokio::test]
async fn protection_deactivation_tags_and_patches() {
    let app = spawn_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let owner = app.member("alice", "alpha", "member").await;
    let reader: Member = {
        let password = "reader-password";
        let user_id = app.create_user("rita", Some(password)).await;
        app.grant(&owner.project_id, &user_id, "reader").await;
        let token = app.token("rita", password, "alpha").await;
        Member {
            user_id,
            project_id: owner.project_id.clone(),
            password: password.into(),
            token,
        }
    };
    let id = active_image(&app, &owner.token, "img", tmp.path()).await;
    let path = format!("/image/v2/images/{id}");

    // A reader of the project reads but does not change.
    show(&app, &reader.token, &id).await.expect(200);
    patch(
        &app,
        &reader.token,
        &id,
        json!([{"op": "replace", "path": "/name", "value": "x"}]),
    )
    .await
    .expect_glance_error(403);

    // Protected images are not deleted.
    patch(
        &app,
        &owner.token,
        &id,
        json!([{"op": "replace", "path": "/protected", "value": true}]),
    )
    .await
    .expect(200);
    let r = app
        .call(Method::DELETE, &path, &owner.token, None)
        .await
        .expect_glance_error(403);
    assert!(r.glance_message().contains("protected"));
    // Unprotected again in the v2.0 form of a patch, which Tempest still sends.
    let r = app
        .call_bytes(
            Method::PATCH,
            &path,
            &owner.token,
            "application/openstack-images-v2.0-json-patch",
            json!([{"replace": "/protected", "value": false}]).to_string(),
        )
        .await
        .expect(200);
    assert_eq!(r.body["protected"], false);

    // Deactivated: the data cannot be downloaded, then can again.
    app.call(
        Method::POST,
        &format!("{path}/actions/deactivate"),
        &owner.token,
        None,
    )
    .await
    .expect(204);
    assert_eq!(
        show(&app, &owner.token, &id).await.body["status"],
        "deactivated"
    );
    app.call(Method::GET, &format!("{path}/file"), &owner.token, None)
        .await
        .expect_glance_error(403);
    app.call(
        Method::POST,
        &format!("{path}/actions/reactivate"),
        &owner.token,
        None,
    )
    .await
    .expect(204);
    assert_eq!(show(&app, &owner.token, &id).await.body["status"], "active");

    // Tags.
    app.call(Method::PUT, &format!("{path}/tags/web"), &owner.token, None)
        .await
        .expect(204);
    assert_eq!(
        show(&app, &owner.token, &id).await.body["tags"],
        json!(["web"])
    );
    let tagged = list_ids(
        &app.call(Method::GET, "/image/v2/images?tag=web", &owner.token, None)
            .await
            .expect(200),
    );
    assert_eq!(tagged, vec![id.clone()]);
    app.call(
        Method::DELETE,
        &format!("{path}/tags/web"),
        &owner.token,
        None,
    )
    .await
    .expect(204);
    app.call(
        Method::DELETE,
        &format!("{path}/tags/web"),
        &owner.token,
        None,
    )
    .await
    .expect_glance_error(404);

    // Properties: add, replace, remove; read-only and reserved attributes are refused.
    let v = patch(
        &app,
        &owner.token,
        &id,
        json!([
            {"op": "add", "path": "/hw_disk_bus", "value": "virtio"},
            {"op": "replace", "path": "/min_disk", "value": 1},
        ]),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(v["hw_disk_bus"], "virtio");
    assert_eq!(v["min_disk"], 1);
    let v = patch(
        &app,
        &owner.token,
        &id,
        json!([{"op": "remove", "path": "/hw_disk_bus"}]),
    )
    .await
    .expect(200)
    .body;
    assert!(v.get("hw_disk_bus").is_none());
    for attr in ["status", "checksum", "size", "owner", "id"] {
        patch(
            &app,
            &owner.token,
            &id,
            json!([{"op": "replace", "path": format!("/{attr}"), "value": "x"}]),
        )
        .await
        .expect_glance_error(403);
    }
    patch(
        &app,
        &owner.token,
        &id,
        json!([{"op": "replace", "path": "/disk_format", "value": "raw"}]),
    )
    .await
    .expect_glance_error(403);
    // A patch that fails changes nothing, not even its valid first operation.
    patch(
        &app,
        &owner.token,
        &id,
        json!([
            {"op": "replace", "path": "/name", "value": "renamed"},
            {"op": "replace", "path": "/min_ram", "value": -1},
        ]),
    )
    .await
    .expect_glance_error(400);
    assert_eq!(show(&app, &owner.token, &id).await.body["name"], "img");
}

#[tokio::test]
async fn lists_page_with_markers_and_sort() {
    let app = spawn_app().await;
    let m = app.member("alice", "alpha", "member").await;
    let mut made = Vec::new();
    for name in ["e", "b", "d", "a", "c"] {
        made.push(
            create(&app, &m.token, json!({"name": name})).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Follow `next` links two at a time, by name.
    let mut path = "/image/v2/images?limit=2&sort_key=name&sort_dir=asc".to_string();
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let r = app
            .call(Method::GET, &path, &m.token, None)
            .await
            .expect(200);
        pages += 1;
        for i in r.body["images"].as_array().unwrap() {
            names.push(i["name"].as_str().unwrap().to_string());
        }
        match r.body["next"].as_str() {
            Some(next) => path = format!("/image{next}"),
            None => break,
        }
    }
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages, 3);
    let r = app
        .call(
            Method::GET,
            "/image/v2/images?sort=name:desc&limit=1",
            &m.token,
            None,
        )
        .await
        .expect(200);
    assert_eq!(r.body["images"][0]["name"], "e");
    let r = app
        .call(Method::GET, "/image/v2/images?name=c", &m.token, None)
        .await
        .expect(200);
    assert_eq!(r.body["images"].as_array().unwrap().len(), 1);
    assert_eq!(made.len(), 5);
}

#[tokio::test]
async fn bad_image_requests_get_glance_faults() {
    let app = spawn_app().await;
    let m = app.member("alice", "alpha", "member").await;
    let bad_creates = [
        (json!({"disk_format": "floppy"}), 400),
        (json!({"container_format": "zip"}), 400),
        (json!({"visibility": "secret"}), 400),
        (json!({"min_ram": -5}), 400),
        (json!({"min_disk": "big"}), 400),
        (json!({"name": "x".repeat(256)}), 400),
        (json!({"protected": "yes"}), 400),
        (json!({"tags": "web"}), 400),
        (json!({"id": "not-a-uuid"}), 400),
        (json!({"os_distro": 7}), 400),
        (json!({"status": "active"}), 403),
        (json!({"size": 5}), 403),
        (json!(["not", "an", "object"]), 400),
    ];
    for (body, status) in bad_creates {
        app.call(Method::POST, "/image/v2/images", &m.token, Some(&body))
            .await
            .expect_glance_error(status);
    }
    app.call_bytes(
        Method::POST,
        "/image/v2/images",
        &m.token,
        "application/json",
        "{nope",
    )
    .await
    .expect_glance_error(400);
    let id = create(&app, &m.token, json!({"name": "x"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let fixed = uuid::Uuid::new_v4().to_string();
    create(&app, &m.token, json!({"id": fixed})).await;
    app.call(
        Method::POST,
        "/image/v2/images",
        &m.token,
        Some(&json!({"id": fixed})),
    )
    .await
    .expect_glance_error(409);
    // Patches: wrong media type, not an array, unknown op, bad pointer.
    app.call(
        Method::PATCH,
        &format!("/image/v2/images/{id}"),
        &m.token,
        Some(&json!([])),
    )
    .await
    .expect_glance_error(415);
    for ops in [
        json!({"op": "replace"}),
        json!([{"op": "move", "path": "/name", "value": "y"}]),
        json!([{"op": "replace", "path": "name", "value": "y"}]),
        json!([{"op": "replace", "path": "/name"}]),
    ] {
        patch(&app, &m.token, &id, ops)
            .await
            .expect_glance_error(400);
    }
    // Lists: bad filters and paging.
    for q in [
        "limit=-1",
        "limit=abc",
        "limit=5000",
        "marker=00000000-0000-0000-0000-000000000000",
        "sort_key=secret",
        "sort_dir=up",
        "visibility=everyone",
        "member_status=maybe",
        "protected=perhaps",
        "size_min=small",
    ] {
        app.call(
            Method::GET,
            &format!("/image/v2/images?{q}"),
            &m.token,
            None,
        )
        .await
        .expect_glance_error(400);
    }
    // Unknown image, no token, unknown path.
    show(&app, &m.token, "00000000-0000-0000-0000-000000000000")
        .await
        .expect_glance_error(404);
    let r = app
        .client
        .get(format!("{}/image/v2/images", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    app.call(Method::GET, "/image/v2/nothing-here", &m.token, None)
        .await
        .expect_glance_error(404);
}

#[tokio::test]
async fn the_metadata_definitions_catalog_is_the_administrators_to_write_and_everyones_to_read() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let member = app.member("mia", "mproj", "member").await;
    let t = member.token.as_str();
    let ns = "/image/v2/metadefs/namespaces";
    // The resource types the dashboards ask about are there from the start.
    let types = app
        .call(Method::GET, "/image/v2/metadefs/resource_types", t, None)
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = types["resource_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"OS::Glance::Image"), "{types}");
    // Administrators write; members may not.
    let body = json!({"namespace": "OS::Compute::Example", "display_name": "Example",
        "visibility": "public", "protected": true,
        "resource_type_associations": [{"name": "OS::Nova::Flavor", "prefix": "hw:"}],
        "properties": {"cpu_policy": {"title": "CPU policy", "type": "string",
            "enum": ["shared", "dedicated"]}}});
    app.call(Method::POST, ns, t, Some(&body))
        .await
        .expect_glance_error(403);
    let made = app
        .call(Method::POST, ns, &admin, Some(&body))
        .await
        .expect(201)
        .body;
    assert_eq!(made["namespace"], "OS::Compute::Example");
    assert_eq!(made["resource_type_associations"][0]["prefix"], "hw:");
    app.call(Method::POST, ns, &admin, Some(&body))
        .await
        .expect_glance_error(409);
    // A private namespace is its owner's (the admin project's): a member sees only the
    // public one.
    app.call(
        Method::POST,
        ns,
        &admin,
        Some(&json!({"namespace": "Private::One"})),
    )
    .await
    .expect(201);
    let listed = app.call(Method::GET, ns, t, None).await.expect(200).body;
    let seen: Vec<&str> = listed["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ["OS::Compute::Example"]);
    app.call(Method::GET, &format!("{ns}/Private::One"), t, None)
        .await
        .expect_glance_error(404);
    let by_type = app
        .call(
            Method::GET,
            &format!("{ns}?resource_types=OS::Glance::Image"),
            &admin,
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(by_type["namespaces"], json!([]));
    // The namespace shows its property; properties need a title and a type.
    let example = format!("{ns}/OS::Compute::Example");
    let shown = app
        .call(Method::GET, &example, t, None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        shown["properties"]["cpu_policy"]["enum"],
        json!(["shared", "dedicated"])
    );
    app.call(
        Method::POST,
        &format!("{example}/properties"),
        &admin,
        Some(&json!({"name": "untyped", "title": "No type"})),
    )
    .await
    .expect_glance_error(400);
    // Objects and tags: made, renamed, listed, deleted.
    app.call(
        Method::POST,
        &format!("{example}/objects"),
        &admin,
        Some(&json!({"name": "CPU Limits", "required": [], "properties": {"quota:cpu_shares": {"title": "Shares", "type": "integer"}}})),
    )
    .await
    .expect(201);
    let renamed = app
        .call(
            Method::PUT,
            &format!("{example}/objects/CPU Limits"),
            &admin,
            Some(&json!({"name": "CPU Quota"})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(renamed["name"], "CPU Quota");
    app.call(
        Method::POST,
        &format!("{example}/tags"),
        &admin,
        Some(&json!({"tags": [{"name": "fast"}, {"name": "ssd"}]})),
    )
    .await
    .expect(201);
    app.call(Method::POST, &format!("{example}/tags/gpu"), &admin, None)
        .await
        .expect(201);
    let tags = app
        .call(Method::GET, &format!("{example}/tags"), t, None)
        .await
        .expect(200)
        .body;
    assert_eq!(tags["tags"].as_array().unwrap().len(), 3);
    // A protected namespace is not deleted until it is unprotected, nor emptied.
    app.call(Method::DELETE, &example, &admin, None)
        .await
        .expect_glance_error(403);
    app.call(
        Method::DELETE,
        &format!("{example}/objects/CPU Quota"),
        &admin,
        None,
    )
    .await
    .expect_glance_error(403);
    app.call(Method::DELETE, &format!("{example}/tags"), &admin, None)
        .await
        .expect_glance_error(403);
    app.call(
        Method::PUT,
        &example,
        &admin,
        Some(&json!({"namespace": "OS::Compute::Example", "protected": false})),
    )
    .await
    .expect(200);
    app.call(Method::DELETE, &format!("{example}/tags"), &admin, None)
        .await
        .expect(204);
    let tags = app
        .call(Method::GET, &format!("{example}/tags"), t, None)
        .await
        .expect(200)
        .body;
    assert_eq!(tags["tags"], json!([]));
    app.call(Method::DELETE, &example, &admin, None)
        .await
        .expect(204);
    app.call(Method::GET, &example, &admin, None)
        .await
        .expect_glance_error(404);
    // The schemas name themselves as Glance's do.
    for (which, name) in [
        ("namespace", "namespace"),
        ("resource_types", "resource_type_associations"),
        ("properties", "properties"),
    ] {
        let s = app
            .call(
                Method::GET,
                &format!("/image/v2/schemas/metadefs/{which}"),
                t,
                None,
            )
            .await
            .expect(200)
            .body;
        assert_eq!(s["name"], name);
    }
}

#[tokio::test]
async fn an_administrator_gives_an_image_to_another_project() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let alice = app.member("alice", "alpha", "member").await;
    let bob = app.member("bob", "beta", "member").await;
    let image = create(
        &app,
        &admin,
        json!({"name": "gift", "disk_format": "raw", "container_format": "bare",
            "owner": alice.project_id}),
    )
    .await;
    let id = image["id"].as_str().unwrap();
    assert_eq!(image["owner"], alice.project_id.as_str());
    // A member may not give it away; an administrator may.
    patch(
        &app,
        &alice.token,
        id,
        json!([{"op": "replace", "path": "/owner", "value": bob.project_id}]),
    )
    .await
    .expect_glance_error(403);
    patch(
        &app,
        &admin,
        id,
        json!([{"op": "replace", "path": "/owner", "value": bob.project_id}]),
    )
    .await
    .expect(200);
    assert_eq!(
        show(&app, &admin, id).await.expect(200).body["owner"],
        bob.project_id.as_str()
    );
    // The new owner sees it; the old one no longer does.
    show(&app, &bob.token, id).await.expect(200);
    show(&app, &alice.token, id).await.expect_glance_error(404);
}
