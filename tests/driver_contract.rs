//! The hypervisor driver contract: one sequence of lifecycle calls, run against the fake
//! driver and against QEMU. The QEMU run boots the repository's own test image
//! (`scripts/build-test-image.sh`) under TCG and reads its login prompt and the config
//! drive marker from the serial console.
//!
//! `cargo test --features ssr --test driver_contract`

#![cfg(feature = "ssr")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gureum::server::drivers::compute::fake::{FakeCapacity, FakeDriver};
use gureum::server::drivers::compute::qemu::{QemuConfig, QemuDriver};
use gureum::server::drivers::compute::{
    BootImage, ComputeDriver, ConfigDrive, InstanceSpec, PowerState,
};

fn spec(id: &str, image: Option<BootImage>) -> InstanceSpec {
    InstanceSpec {
        id: id.to_string(),
        name: "contract".into(),
        hostname: "contract".into(),
        vcpus: 1,
        memory_mb: 256,
        root_gb: 1,
        ephemeral_gb: 1,
        swap_mb: 64,
        image,
        kernel: None,
        ramdisk: None,
        kernel_args: None,
        config_drive: Some(
            ConfigDrive {
                id,
                hostname: "contract",
                name: "contract",
                key: Some(("k", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFp9xm5Gu8qU3AxgK6FMGVcDGQxgHgJPQxGQHBq1kLQO contract")),
                metadata: &serde_json::json!({"role": "test"}),
                user_data: Some(b"#!/bin/sh\necho contract-user-data-ran\n"),
                admin_pass: Some("contract-password"),
            }
            .files(),
        ),
        nics: Vec::new(),
    }
}

async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// The contract. `boots` is whether a real guest runs (its console shows a login prompt).
async fn contract(
    driver: &dyn ComputeDriver,
    image: Option<BootImage>,
    boots: bool,
    scratch: &Path,
) {
    let id = uuid::Uuid::new_v4().to_string();
    let s = spec(&id, image);
    let info = driver.host_info().await.expect("host info");
    assert!(info.vcpus > 0 && info.memory_mb > 0, "{info:?}");
    let uptime = driver.uptime().await.expect("uptime");
    assert!(
        uptime.contains(" up ") && uptime.contains("load average: "),
        "{uptime:?}"
    );
    assert_eq!(driver.power_state(&id).await, PowerState::NoState);
    assert!(driver.leftovers(&id).await.is_empty());

    driver.create_disks(&s).await.expect("disks");
    driver.create_config_drive(&s).await.expect("config drive");
    driver.spawn(&s).await.expect("spawn");
    assert_eq!(driver.power_state(&id).await, PowerState::Running);
    assert!(driver.running().await.contains(&id));
    let boot_timeout = if boots {
        Duration::from_secs(180)
    } else {
        Duration::from_secs(5)
    };
    wait_for("the login prompt", boot_timeout, || async {
        driver
            .console_output(&id, None)
            .await
            .unwrap_or_default()
            .contains("contract login:")
    })
    .await;
    if boots {
        let log = driver.console_output(&id, None).await.unwrap();
        assert!(
            log.contains("gureum-guest: hostname=contract keys=1"),
            "the guest read the config drive:\n{log}"
        );
        assert!(
            log.contains("contract-user-data-ran"),
            "the guest ran its user data:\n{log}"
        );
        let tail = driver.console_output(&id, Some(3)).await.unwrap();
        assert!(tail.lines().count() <= 3);
    }

    // A graphical console: QEMU's VNC server answers with the RFB banner; the fake has none.
    match driver.vnc_address(&id).await {
        Some(address) => {
            use tokio::io::AsyncReadExt;
            let mut tcp = tokio::net::TcpStream::connect(address)
                .await
                .expect("VNC connects");
            let mut banner = [0u8; 12];
            tcp.read_exact(&mut banner).await.expect("an RFB banner");
            assert!(banner.starts_with(b"RFB 003."), "{banner:?}");
        }
        None => assert!(!boots, "a real hypervisor offers a console"),
    }

    driver.pause(&id).await.expect("pause");
    assert_eq!(driver.power_state(&id).await, PowerState::Paused);
    driver.unpause(&id).await.expect("unpause");
    assert_eq!(driver.power_state(&id).await, PowerState::Running);

    let snapshot = scratch.join(format!("{id}.qcow2"));
    driver.snapshot(&id, &snapshot).await.expect("snapshot");
    let info = std::process::Command::new("qemu-img")
        .args(["info", "--output=json"])
        .arg(&snapshot)
        .output()
        .unwrap();
    let info: serde_json::Value =
        serde_json::from_slice(&info.stdout).expect("qemu-img reads the snapshot");
    assert_eq!(info["format"], "qcow2");
    assert!(
        info.get("backing-filename").is_none(),
        "a snapshot stands alone"
    );
    assert_eq!(
        driver.power_state(&id).await,
        PowerState::Running,
        "running again after the snapshot"
    );

    driver.suspend(&id).await.expect("suspend");
    assert_eq!(driver.power_state(&id).await, PowerState::Suspended);
    driver.resume(&s).await.expect("resume");
    assert_eq!(driver.power_state(&id).await, PowerState::Running);

    driver.reboot(&s, true).await.expect("hard reboot");
    assert_eq!(driver.power_state(&id).await, PowerState::Running);

    driver
        .power_off(&id, Duration::from_secs(60))
        .await
        .expect("power off");
    assert_eq!(driver.power_state(&id).await, PowerState::Shutdown);
    assert!(!driver.running().await.contains(&id));
    driver.resume(&s).await.expect("start again");
    assert_eq!(driver.power_state(&id).await, PowerState::Running);

    driver.destroy(&id).await.expect("destroy");
    assert!(!driver.running().await.contains(&id));
    driver.destroy(&id).await.expect("destroy is idempotent");
    driver
        .delete_config_drive(&id)
        .await
        .expect("config drive removal");
    driver.delete_disks(&id).await.expect("disk removal");
    assert_eq!(
        driver.leftovers(&id).await,
        Vec::<String>::new(),
        "nothing left on the host"
    );
    assert_eq!(driver.power_state(&id).await, PowerState::NoState);
}

#[tokio::test]
async fn the_fake_driver_keeps_the_contract() {
    let scratch = tempfile::tempdir().unwrap();
    let driver = FakeDriver::new(FakeCapacity::default());
    contract(&driver, None, false, scratch.path()).await;
    // And its failure injection works.
    driver.fail_on("spawn");
    let s = spec("f", None);
    driver.create_disks(&s).await.unwrap();
    assert!(driver.spawn(&s).await.is_err());
}

fn build_test_image(dir: &Path) -> PathBuf {
    let out = dir.join("guest.qcow2");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build-test-image.sh");
    let status = std::process::Command::new(&script)
        .arg(&out)
        .status()
        .expect("scripts/build-test-image.sh runs");
    assert!(
        status.success(),
        "the test image builds (scripts/setup installs what it needs)"
    );
    out
}

#[tokio::test]
async fn the_qemu_driver_keeps_the_contract_with_a_real_guest() {
    // As tests/api/helpers.rs's host_tests_wanted: scripts/test asks for it.
    if std::env::var("GUREUM_HOST_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: this test needs QEMU and the test image's tools; scripts/test runs it (GUREUM_HOST_TESTS=1)");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let image = build_test_image(scratch.path());
    let virtual_size = {
        let info = std::process::Command::new("qemu-img")
            .args(["info", "--output=json"])
            .arg(&image)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
        v["virtual-size"].as_i64()
    };
    let driver = QemuDriver::new(QemuConfig::new(scratch.path().join("instances")))
        .await
        .expect("QEMU is installed (scripts/setup)");
    let boot = BootImage {
        id: uuid::Uuid::new_v4().to_string(),
        path: image,
        disk_format: "qcow2".into(),
        virtual_size,
    };
    contract(&driver, Some(boot.clone()), true, scratch.path()).await;

    // Instances started together each get their own ports and files.
    let specs: Vec<InstanceSpec> = (0..3)
        .map(|_| spec(&uuid::Uuid::new_v4().to_string(), Some(boot.clone())))
        .collect();
    let starts = specs.iter().map(|s| async {
        driver.create_disks(s).await?;
        driver.create_config_drive(s).await?;
        driver.spawn(s).await
    });
    for result in futures_util::future::join_all(starts).await {
        result.expect("a concurrent start");
    }
    for s in &specs {
        assert_eq!(driver.power_state(&s.id).await, PowerState::Running);
    }
    for s in &specs {
        driver.destroy(&s.id).await.unwrap();
        driver.delete_config_drive(&s.id).await.unwrap();
        driver.delete_disks(&s.id).await.unwrap();
        assert!(driver.leftovers(&s.id).await.is_empty());
    }
}
