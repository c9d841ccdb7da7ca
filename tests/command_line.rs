//! The `gureum` command line: bad flags and data dirs give a clear message and a non-zero
//! exit (never a panic); a first start bootstraps, prints the generated admin password once
//! and writes the credential files; `gureum status` reports the controller.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn gureum() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gureum"));
    // The fake data plane: these tests start controllers as root, and the real one would
    // make the physical network's bridge on this host.
    c.env_remove("GUREUM_ADMIN_PASSWORD")
        .env("RUST_LOG", "warn")
        .env("GUREUM_NETWORK_DRIVER", "fake");
    c
}

fn fails_with(args: &[&str], needle: &str) {
    let out = gureum().args(args).output().expect("run gureum");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        stderr.contains(needle),
        "{args:?}: stderr lacks {needle:?}:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
}

#[test]
fn bad_flags_are_refused_clearly() {
    fails_with(
        &["serve", "--listen", "not-an-address"],
        "invalid value 'not-an-address'",
    );
    fails_with(&["serve", "--token-ttl", "5"], "invalid value '5'");
    fails_with(&["serve", "--bogus"], "unexpected argument '--bogus'");
    fails_with(&["frobnicate"], "unrecognized subcommand");
    fails_with(
        &["serve", "--public-url", "ftp://example.org"],
        "--public-url must start with http",
    );
}

#[test]
fn unusable_data_dirs_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    fails_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            file.to_str().unwrap(),
        ],
        "is not a directory",
    );
    fails_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "/proc/gureum-cannot-be-here",
        ],
        "data directory",
    );
    fails_with(
        &["status", "--data-dir", dir.path().to_str().unwrap()],
        "no Gureum database",
    );
    fails_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            "mysql://x/y",
        ],
        "unsupported database url",
    );
}

/// Starts `gureum serve` and returns it with the lines it printed before "serving".
fn start(data_dir: &Path, password: Option<&str>) -> (Child, Vec<String>) {
    let mut cmd = gureum();
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    if let Some(p) = password {
        cmd.env("GUREUM_ADMIN_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("spawn gureum serve");
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Gureum is serving");
        lines.push(line);
        if done {
            break;
        }
    }
    (child, lines)
}

fn stop(mut child: Child) {
    // SIGTERM: a graceful shutdown exits 0.
    Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "gureum exited with {status}");
            return;
        }
        assert!(Instant::now() < deadline, "gureum did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn first_start_bootstraps_and_status_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (child, lines) = start(dir.path(), None);
    let generated: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("Generated the admin password"))
        .collect();
    assert_eq!(generated.len(), 1, "{lines:?}");
    let password = generated[0].rsplit(' ').next().unwrap().to_string();
    assert!(
        password.len() >= 16,
        "a strong generated password: {password}"
    );
    for f in ["admin-openrc.sh", "clouds.yaml"] {
        let meta = std::fs::metadata(dir.path().join(f)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{f}");
    }
    let openrc = std::fs::read_to_string(dir.path().join("admin-openrc.sh")).unwrap();
    assert!(openrc.contains(&format!("export OS_PASSWORD='{password}'")));

    let status = gureum()
        .args(["status", "--data-dir", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{report}");
    assert!(
        report.contains("keystone (identity):") && report.contains("active"),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("gureum-api") && l.contains(" up ")),
        "{report}"
    );
    stop(child);

    // A later start keeps everything and prints no password.
    let (child, lines) = start(dir.path(), Some("ignored-on-later-starts"));
    assert!(!lines.iter().any(|l| l.contains("password")), "{lines:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("admin-openrc.sh")).unwrap(),
        openrc
    );
    stop(child);
}

#[test]
fn a_config_file_sets_what_flags_do_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gureum.toml");
    std::fs::write(
        &config,
        format!(
            "# settings named as the flags\nlisten = \"not-an-address\"\ncompute_driver = \"fake\"\ndata_dir = \"{}\"\ntoken_ttl = 600\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    // The file's listen is overridden by the flag; its driver and data dir are used.
    let mut cmd = gureum();
    cmd.args([
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Gureum is serving");
        lines.push(line);
        if done {
            break;
        }
    }
    assert!(
        lines.iter().any(|l| l.starts_with("Compute driver: fake")),
        "{lines:?}"
    );
    assert!(
        dir.path().join("data").join("gureum.db").exists(),
        "the file's data_dir is used"
    );
    stop(child);

    // A setting the file cannot hold, or a bad value, is a clear error.
    std::fs::write(&config, "frobnicate = 1\n").unwrap();
    fails_with(
        &["serve", "--config", config.to_str().unwrap()],
        "unknown setting `frobnicate`",
    );
    std::fs::write(&config, "token_ttl = 5\n").unwrap();
    fails_with(
        &[
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        "invalid value '5'",
    );
    fails_with(
        &["serve", "--config", "/nonexistent/gureum.toml"],
        "reading the config file",
    );
}
