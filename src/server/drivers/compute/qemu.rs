//! The QEMU driver: one `qemu-system-x86_64` per instance, KVM when the host really has
//! it (VMX/SVM), TCG otherwise.
//!
//! Each instance has a directory under `DATA_DIR/instances/<id>/`:
//! `disk` (a qcow2 overlay over the cached image in `_base/`), `disk.eph0`, `disk.swap`,
//! `disk.config` (the config drive, ISO 9660 labelled `config-2`), `console.log` (the
//! serial console), `qmp.sock`, `qemu.pid`, `vnc.json` (its VNC display on loopback, which
//! the portal's console proxies), and `suspend.state` while
//! suspended (a migration stream, QEMU's managed save).
//!
//! The VMs outlive a restart of the controller: they run in their own process group,
//! and are found again through their pid files and QMP sockets. Every lifecycle action
//! goes through QMP (`system_powerdown`, `stop`, `cont`, `system_reset`, `migrate`,
//! `quit`), typed by the `qapi` crate (commands and replies generated from QEMU's schema).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use async_trait::async_trait;
use qapi::qmp;
use serde_json::{json, Value};

use super::{
    pid_alive, uptime_line, ComputeDriver, DriverResult, HostInfo, InstanceSpec, NicSpec,
    PowerState, NIC_SLOTS,
};

#[derive(Clone, Debug)]
pub struct QemuConfig {
    /// Where instance directories live.
    pub dir: PathBuf,
    /// `qemu-system-x86_64`; found on the PATH when `None`.
    pub binary: Option<PathBuf>,
}

impl QemuConfig {
    pub fn new(dir: PathBuf) -> QemuConfig {
        QemuConfig { dir, binary: None }
    }
}

/// `qemu-system-x86_64` on the PATH.
pub fn find_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("qemu-system-x86_64"))
        .find(|p| p.is_file())
}

/// KVM only when the CPU has VMX or SVM: a paravirtual `/dev/kvm` (PVM) cannot run
/// ordinary guests.
fn kvm_usable() -> bool {
    if !Path::new("/dev/kvm").exists() {
        return false;
    }
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|c| {
            c.lines()
                .any(|l| l.starts_with("flags") && (l.contains(" vmx") || l.contains(" svm")))
        })
        .unwrap_or(false)
}

pub struct QemuDriver {
    config: QemuConfig,
    binary: PathBuf,
    kvm: bool,
    version: (i64, String),
    /// Children this process started, so they are reaped when they exit.
    children: Arc<tokio::sync::Mutex<HashMap<String, tokio::task::JoinHandle<()>>>>,
    /// Held from choosing a VM's VNC ports until its QEMU has bound them, so two
    /// instances starting together never pick the same port.
    start_lock: Arc<tokio::sync::Mutex<()>>,
}

impl QemuDriver {
    pub async fn new(config: QemuConfig) -> DriverResult<QemuDriver> {
        let binary = config
            .binary
            .clone()
            .or_else(find_binary)
            .ok_or_else(|| anyhow!("qemu-system-x86_64 is not installed (run scripts/setup, or choose --compute-driver fake)"))?;
        let out = tokio::process::Command::new(&binary)
            .arg("--version")
            .output()
            .await
            .with_context(|| format!("running {}", binary.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .split_whitespace()
            .skip_while(|w| *w != "version")
            .nth(1)
            .unwrap_or("0.0.0")
            .to_string();
        let mut parts = version.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
        let numeric = parts.next().unwrap_or(0) * 1_000_000
            + parts.next().unwrap_or(0) * 1000
            + parts.next().unwrap_or(0);
        tokio::fs::create_dir_all(config.dir.join("_base"))
            .await
            .context("creating the instances directory")?;
        Ok(QemuDriver {
            kvm: kvm_usable(),
            config,
            binary,
            version: (numeric, version),
            children: Arc::default(),
            start_lock: Arc::default(),
        })
    }

    fn dir(&self, id: &str) -> PathBuf {
        // Instance ids are UUIDs; anything else could name a path outside the directory.
        let safe: String = id
            .chars()
            .filter(|c| c.is_ascii_hexdigit() || *c == '-')
            .collect();
        self.config.dir.join(safe)
    }

    fn pid(&self, id: &str) -> Option<u32> {
        let pid: u32 = std::fs::read_to_string(self.dir(id).join("qemu.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()?;
        // The pid must still be this instance's QEMU, not a recycled number.
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let cmdline = String::from_utf8_lossy(&cmdline);
        (pid_alive(pid) && cmdline.contains(id)).then_some(pid)
    }

    async fn qmp<C>(&self, id: &str, command: C) -> DriverResult<C::Ok>
    where
        C: qmp::QmpCommand + Send + 'static,
    {
        qmp_call(&self.dir(id).join("qmp.sock"), command).await
    }

    /// Waits for the QEMU process to end.
    async fn wait_exit(&self, id: &str, timeout: Duration) -> bool {
        let Some(pid) = self.pid(id) else {
            return true;
        };
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if !pid_alive(pid) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        !pid_alive(pid)
    }

    /// Stops the QEMU process and waits until it is really gone (QEMU removes its pid
    /// file before it has finished exiting, so the process itself is watched).
    async fn kill(&self, id: &str) -> DriverResult<()> {
        let Some(pid) = self.pid(id) else {
            return Ok(());
        };
        let gone = |timeout: Duration| async move {
            let deadline = tokio::time::Instant::now() + timeout;
            while tokio::time::Instant::now() < deadline {
                if !pid_alive(pid) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            !pid_alive(pid)
        };
        let _ = self.qmp(id, qmp::quit {}).await;
        if gone(Duration::from_secs(5)).await {
            return Ok(());
        }
        // SAFETY: a plain kill(2) of a pid we checked is this instance's QEMU.
        unsafe {
            libc::kill(pid as i32, libc::SIGKILL);
        }
        if !gone(Duration::from_secs(5)).await {
            bail!("QEMU of instance {id} (pid {pid}) did not stop");
        }
        Ok(())
    }

    async fn run(cmd: &mut tokio::process::Command, what: &str) -> DriverResult<()> {
        let out = cmd
            .output()
            .await
            .with_context(|| format!("running {what}"))?;
        if !out.status.success() {
            bail!(
                "{what} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// Copies an image into the base cache once (write, then rename).
    async fn cached_base(&self, spec: &InstanceSpec) -> DriverResult<Option<(PathBuf, String)>> {
        let Some(image) = &spec.image else {
            return Ok(None);
        };
        let format = match image.disk_format.as_str() {
            "qcow2" => "qcow2",
            "vmdk" => "vmdk",
            "vdi" => "vdi",
            "vhd" => "vpc",
            "vhdx" => "vhdx",
            _ => "raw",
        };
        let safe: String = image
            .id
            .chars()
            .filter(|c| c.is_ascii_hexdigit() || *c == '-')
            .collect();
        let base = self
            .config
            .dir
            .join("_base")
            .join(format!("{safe}.{format}"));
        if !base.exists() {
            let partial = base.with_extension(format!("partial-{}", uuid::Uuid::new_v4().simple()));
            tokio::fs::copy(&image.path, &partial)
                .await
                .context("copying the image into the base cache")?;
            tokio::fs::rename(&partial, &base)
                .await
                .context("placing the cached image")?;
        }
        Ok(Some((base, format.to_string())))
    }

    async fn start(&self, spec: &InstanceSpec, incoming: Option<&Path>) -> DriverResult<()> {
        let dir = self.dir(&spec.id);
        if self.pid(&spec.id).is_some() {
            return Ok(());
        }
        let _ = tokio::fs::remove_file(dir.join("qmp.sock")).await;
        let _ports = self.start_lock.lock().await;
        let display = free_vnc_display()?;
        tokio::fs::write(
            dir.join("vnc.json"),
            json!({"display": display, "port": 5900 + display}).to_string(),
        )
        .await?;
        let is_iso = spec.image.as_ref().is_some_and(|i| i.disk_format == "iso");
        let cdrom = match is_iso {
            true => self.cached_base(spec).await?.map(|(base, _)| base),
            false => None,
        };
        let config_drive = dir.join("disk.config");
        let layout = Layout {
            dir: &dir,
            display,
            kvm: self.kvm,
            config_drive: config_drive.exists(),
            cdrom: cdrom.as_deref(),
            incoming,
        };
        let mut cmd = tokio::process::Command::new(&self.binary);
        cmd.args(command_line(spec, &layout));
        let log = std::fs::File::create(dir.join("qemu.log")).context("creating qemu.log")?;
        cmd.stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Its own process group: a ^C to the controller does not stop the guests.
            .process_group(0)
            .kill_on_drop(false);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        // Wait for QMP to answer (or the process to die).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = tokio::fs::read_to_string(dir.join("qemu.log"))
                    .await
                    .unwrap_or_default();
                bail!("QEMU exited at start ({status}): {}", log.trim());
            }
            if self.qmp(&spec.id, qmp::query_status {}).await.is_ok() {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                let _ = child.start_kill();
                bail!("QEMU did not answer on QMP within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let id = spec.id.clone();
        let reaper = tokio::spawn(async move {
            let _ = child.wait().await;
            tracing::debug!(instance = %id, "QEMU exited");
        });
        self.children.lock().await.insert(spec.id.clone(), reaper);
        Ok(())
    }
}

/// The PCIe root port of a NIC slot.
fn nic_port(slot: usize) -> String {
    format!("nicslot{slot}")
}

/// QEMU ids of a port's NIC (ids must start with a letter; port ids are UUIDs).
fn nic_id(port_id: &str) -> String {
    format!("nic-{}", qemu_safe(port_id))
}

fn netdev_id(port_id: &str) -> String {
    format!("net-{}", qemu_safe(port_id))
}

fn qemu_safe(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// A free VNC display (port 5900 + n) on loopback.
fn free_vnc_display() -> DriverResult<u16> {
    (0..1000u16)
        .find(|n| std::net::TcpListener::bind(("127.0.0.1", 5900 + n)).is_ok())
        .ok_or_else(|| anyhow!("no free VNC port"))
}

/// One QMP command over the instance's socket: greeting, capabilities, command.
pub async fn qmp_call<C>(socket: &Path, command: C) -> DriverResult<C::Ok>
where
    C: qmp::QmpCommand + Send + 'static,
{
    let name = <C as qapi::Command>::NAME;
    let exchange = async {
        // QEMU may flush an event queued for the connection before (a VNC client came or
        // went) ahead of the next connection's greeting, which then does not parse. Nothing
        // has been sent yet, so a new connection is safe: it starts with a clean greeting.
        let mut attempt = 1;
        let mut stream = loop {
            let opened = async {
                qapi::futures::QmpStreamTokio::open_uds(socket)
                    .await?
                    .negotiate()
                    .await
            };
            match opened.await {
                Ok(stream) => break stream,
                Err(e) if attempt < 3 => {
                    tracing::debug!(error = %e, attempt, "QMP greeting, trying again");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(anyhow::Error::from(e)),
            }
        };
        stream
            .execute(command)
            .await
            .map_err(|e| anyhow!("QMP {name}: {e}"))
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| anyhow!("QMP {name} timed out"))?
}

#[async_trait]
impl ComputeDriver for QemuDriver {
    fn kind(&self) -> &'static str {
        "qemu"
    }

    async fn uptime(&self) -> DriverResult<String> {
        let read = |path: &'static str| async move {
            tokio::fs::read_to_string(path)
                .await
                .with_context(|| format!("reading {path}"))
        };
        let (uptime, loadavg) = (read("/proc/uptime").await?, read("/proc/loadavg").await?);
        let numbers = |text: &str, n: usize| -> Vec<f64> {
            text.split_whitespace()
                .take(n)
                .filter_map(|v| v.parse().ok())
                .collect()
        };
        let up = numbers(&uptime, 1).first().copied().unwrap_or(0.0);
        let load = numbers(&loadavg, 3);
        let load = [0, 1, 2].map(|i| load.get(i).copied().unwrap_or(0.0));
        Ok(uptime_line(chrono::Utc::now(), up as u64, load))
    }

    async fn host_info(&self) -> DriverResult<HostInfo> {
        let vcpus = std::thread::available_parallelism()
            .map(|n| n.get() as i64)
            .unwrap_or(1);
        let meminfo = tokio::fs::read_to_string("/proc/meminfo")
            .await
            .unwrap_or_default();
        let memory_mb = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<i64>().ok())
            .map(|kb| kb / 1024)
            .unwrap_or(0);
        let local_gb = disk_gb(&self.config.dir).unwrap_or(0);
        let cpuinfo = tokio::fs::read_to_string("/proc/cpuinfo")
            .await
            .unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .unwrap_or("unknown")
            .trim()
            .to_string();
        Ok(HostInfo {
            hypervisor_type: "QEMU".into(),
            hypervisor_version: self.version.0,
            host_ip: "127.0.0.1".into(),
            vcpus,
            memory_mb,
            local_gb,
            cpu_info: json!({"arch": "x86_64", "model": model, "vendor": "unknown",
                "accelerator": if self.kvm { "kvm" } else { "tcg" },
                "topology": {"cells": 1, "sockets": 1, "cores": vcpus, "threads": 1}, "features": []}),
        })
    }

    async fn create_disks(&self, spec: &InstanceSpec) -> DriverResult<()> {
        let dir = self.dir(&spec.id);
        tokio::fs::create_dir_all(&dir)
            .await
            .context("creating the instance directory")?;
        let disk = dir.join("disk");
        let gib = 1u64 << 30;
        match (
            self.cached_base(spec).await?,
            spec.image.as_ref().map(|i| i.disk_format.as_str()),
        ) {
            (Some((base, format)), Some(f)) if f != "iso" => {
                let virtual_size = spec
                    .image
                    .as_ref()
                    .and_then(|i| i.virtual_size)
                    .unwrap_or(0)
                    .max(0) as u64;
                let mut cmd = tokio::process::Command::new("qemu-img");
                cmd.args(["create", "-q", "-f", "qcow2", "-F", &format, "-b"])
                    .arg(&base)
                    .arg(&disk);
                let wanted = spec.root_gb.max(0) as u64 * gib;
                if wanted > virtual_size {
                    cmd.arg(wanted.to_string());
                }
                Self::run(&mut cmd, "qemu-img create (root disk)").await?;
            }
            _ => {
                let size = (spec.root_gb.max(1) as u64) * gib;
                Self::run(
                    tokio::process::Command::new("qemu-img")
                        .args(["create", "-q", "-f", "qcow2"])
                        .arg(&disk)
                        .arg(size.to_string()),
                    "qemu-img create (blank root disk)",
                )
                .await?;
            }
        }
        if spec.ephemeral_gb > 0 {
            Self::run(
                tokio::process::Command::new("qemu-img")
                    .args(["create", "-q", "-f", "qcow2"])
                    .arg(dir.join("disk.eph0"))
                    .arg(format!("{}G", spec.ephemeral_gb)),
                "qemu-img create (ephemeral disk)",
            )
            .await?;
        }
        if spec.swap_mb > 0 {
            Self::run(
                tokio::process::Command::new("qemu-img")
                    .args(["create", "-q", "-f", "qcow2"])
                    .arg(dir.join("disk.swap"))
                    .arg(format!("{}M", spec.swap_mb)),
                "qemu-img create (swap disk)",
            )
            .await?;
        }
        Ok(())
    }

    async fn delete_disks(&self, id: &str) -> DriverResult<()> {
        let dir = self.dir(id);
        if self.pid(id).is_some() {
            bail!("instance {id} is still running");
        }
        for name in ["disk", "disk.eph0", "disk.swap", "suspend.state"] {
            remove_if_exists(&dir.join(name)).await?;
        }
        remove_dir_if_done(&dir).await;
        Ok(())
    }

    async fn create_config_drive(&self, spec: &InstanceSpec) -> DriverResult<()> {
        let Some(files) = &spec.config_drive else {
            return Ok(());
        };
        let dir = self.dir(&spec.id);
        tokio::fs::create_dir_all(&dir).await?;
        let staging = tempfile_dir(&dir.join("config-drive.staging")).await?;
        for (path, data) in files {
            if path.split('/').any(|p| p == ".." || p.is_empty()) {
                bail!("bad config drive path {path}");
            }
            let target = staging.join(path);
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            tokio::fs::write(&target, data).await?;
        }
        let result = Self::run(
            tokio::process::Command::new("genisoimage")
                .arg("-o")
                .arg(dir.join("disk.config"))
                .args([
                    "-ldots",
                    "-allow-lowercase",
                    "-allow-multidot",
                    "-l",
                    "-publisher",
                    "Gureum",
                    "-quiet",
                    "-J",
                    "-r",
                    "-V",
                    "config-2",
                ])
                .arg(&staging),
            "genisoimage (config drive)",
        )
        .await;
        let _ = tokio::fs::remove_dir_all(&staging).await;
        result
    }

    async fn delete_config_drive(&self, id: &str) -> DriverResult<()> {
        let dir = self.dir(id);
        remove_if_exists(&dir.join("disk.config")).await?;
        let _ = tokio::fs::remove_dir_all(dir.join("config-drive.staging")).await;
        remove_dir_if_done(&dir).await;
        Ok(())
    }

    async fn spawn(&self, spec: &InstanceSpec) -> DriverResult<()> {
        if !self.dir(&spec.id).join("disk").exists() {
            bail!("instance {} has no root disk", spec.id);
        }
        self.start(spec, None).await
    }

    async fn destroy(&self, id: &str) -> DriverResult<()> {
        self.kill(id).await?;
        if let Some(reaper) = self.children.lock().await.remove(id) {
            let _ = tokio::time::timeout(Duration::from_secs(5), reaper).await;
        }
        let dir = self.dir(id);
        for name in [
            "qmp.sock",
            "console.sock",
            "qemu.pid",
            "vnc.json",
            "qemu.log",
            "console.log",
        ] {
            let _ = tokio::fs::remove_file(dir.join(name)).await;
        }
        remove_dir_if_done(&dir).await;
        Ok(())
    }

    async fn power_off(&self, id: &str, grace: Duration) -> DriverResult<()> {
        if self.pid(id).is_none() {
            return Ok(());
        }
        if self.qmp(id, qmp::system_powerdown {}).await.is_ok() && self.wait_exit(id, grace).await {
            return Ok(());
        }
        tracing::info!(instance = %id, "the guest did not shut down in time; stopping it");
        self.kill(id).await
    }

    async fn reboot(&self, spec: &InstanceSpec, hard: bool) -> DriverResult<()> {
        if self.pid(&spec.id).is_none() {
            return self.start(spec, None).await;
        }
        if hard {
            self.qmp(&spec.id, qmp::system_reset {}).await?;
            // A paused or suspended guest runs again after a hard reboot.
            let _ = self.qmp(&spec.id, qmp::cont {}).await;
            return Ok(());
        }
        // Soft: an ACPI shutdown, then the same VM started again.
        self.power_off(&spec.id, Duration::from_secs(120)).await?;
        self.start(spec, None).await
    }

    async fn pause(&self, id: &str) -> DriverResult<()> {
        self.qmp(id, qmp::stop {}).await.map(|_| ())
    }

    async fn unpause(&self, id: &str) -> DriverResult<()> {
        self.qmp(id, qmp::cont {}).await.map(|_| ())
    }

    async fn suspend(&self, id: &str) -> DriverResult<()> {
        // Managed save: the VM's memory and device state go to a file and QEMU exits.
        let state = self.dir(id).join("suspend.state");
        let _ = self.qmp(id, qmp::stop {}).await;
        self.qmp(
            id,
            qmp::migrate {
                uri: Some(format!("file:{}", state.display())),
                channels: None,
                detach: None,
                resume: None,
            },
        )
        .await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
        loop {
            let info = self.qmp(id, qmp::query_migrate {}).await?;
            match info.status {
                Some(qmp::MigrationStatus::completed) => break,
                Some(qmp::MigrationStatus::failed | qmp::MigrationStatus::cancelled) => {
                    let _ = self.qmp(id, qmp::cont {}).await;
                    bail!(
                        "saving the VM's state failed: {}",
                        info.error_desc.unwrap_or_default()
                    );
                }
                _ if tokio::time::Instant::now() > deadline => {
                    bail!("saving the VM's state took too long")
                }
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        self.kill(id).await
    }

    async fn resume(&self, spec: &InstanceSpec) -> DriverResult<()> {
        let state = self.dir(&spec.id).join("suspend.state");
        if self.pid(&spec.id).is_some() {
            // Paused: just continue.
            self.qmp(&spec.id, qmp::cont {}).await?;
            return Ok(());
        }
        if state.exists() {
            self.start(spec, Some(&state)).await?;
            // The incoming migration must finish before the file can go.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
            loop {
                let status = self.qmp(&spec.id, qmp::query_status {}).await?.status;
                if status == qmp::RunState::running {
                    break;
                }
                if matches!(status, qmp::RunState::paused | qmp::RunState::postmigrate) {
                    self.qmp(&spec.id, qmp::cont {}).await?;
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    bail!("restoring the VM's state took too long");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let _ = tokio::fs::remove_file(&state).await;
            return Ok(());
        }
        self.start(spec, None).await
    }

    async fn power_state(&self, id: &str) -> PowerState {
        if self.pid(id).is_none() {
            return if self.dir(id).join("suspend.state").exists() {
                PowerState::Suspended
            } else if self.dir(id).join("disk").exists() {
                PowerState::Shutdown
            } else {
                PowerState::NoState
            };
        }
        match self.qmp(id, qmp::query_status {}).await {
            Ok(info) => match info.status {
                qmp::RunState::running => PowerState::Running,
                qmp::RunState::paused | qmp::RunState::suspended => PowerState::Paused,
                qmp::RunState::guest_panicked | qmp::RunState::internal_error => {
                    PowerState::Crashed
                }
                qmp::RunState::shutdown => PowerState::Shutdown,
                _ => PowerState::Running,
            },
            Err(_) => PowerState::NoState,
        }
    }

    async fn running(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Ok(mut entries) = tokio::fs::read_dir(&self.config.dir).await else {
            return out;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let id = entry.file_name().to_string_lossy().to_string();
            if id != "_base" && self.pid(&id).is_some() {
                out.push(id);
            }
        }
        out
    }

    async fn console_output(&self, id: &str, max_lines: Option<usize>) -> DriverResult<String> {
        let bytes = match tokio::fs::read(self.dir(id).join("console.log")).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let text = String::from_utf8_lossy(&bytes).replace('\r', "");
        Ok(match max_lines {
            Some(n) => {
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(n)..].join("\n")
            }
            None => text,
        })
    }

    async fn snapshot(&self, id: &str, out: &Path) -> DriverResult<()> {
        let disk = self.dir(id).join("disk");
        if !disk.exists() {
            bail!("instance {id} has no root disk");
        }
        // A consistent copy: the guest is paused while its disk is read.
        let running = self.power_state(id).await == PowerState::Running;
        if running {
            self.qmp(id, qmp::stop {}).await?;
        }
        let result = Self::run(
            tokio::process::Command::new("qemu-img")
                .args(["convert", "-U", "-O", "qcow2"])
                .arg(&disk)
                .arg(out),
            "qemu-img convert (snapshot)",
        )
        .await;
        if running {
            let _ = self.qmp(id, qmp::cont {}).await;
        }
        result
    }

    async fn resize(&self, spec: &InstanceSpec) -> DriverResult<()> {
        let disk = self.dir(&spec.id).join("disk");
        if spec.root_gb > 0 {
            let out = tokio::process::Command::new("qemu-img")
                .args(["info", "-U", "--output=json"])
                .arg(&disk)
                .output()
                .await?;
            let info: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
            let current = info
                .get("virtual-size")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let wanted = spec.root_gb << 30;
            if wanted > current {
                Self::run(
                    tokio::process::Command::new("qemu-img")
                        .arg("resize")
                        .arg(&disk)
                        .arg(wanted.to_string()),
                    "qemu-img resize",
                )
                .await?;
            }
        }
        // vCPUs and memory take effect at the next start.
        Ok(())
    }

    async fn attach_nic(&self, id: &str, nic: &NicSpec) -> DriverResult<()> {
        let Some(tap) = &nic.tap else {
            // The network driver makes no taps (the fake one): no NIC, as at start.
            return Ok(());
        };
        if nic.slot >= NIC_SLOTS {
            bail!("NIC slot {} is out of range", nic.slot);
        }
        if self.pid(id).is_none() {
            bail!("instance {id} has no running VM to plug a NIC into");
        }
        if self.plugged_nics(id).await?.contains(&nic.port_id) {
            return Ok(());
        }
        self.qmp(
            id,
            qmp::netdev_add(qmp::Netdev::tap {
                id: netdev_id(&nic.port_id),
                tap: qmp::NetdevTapOptions {
                    ifname: Some(tap.clone()),
                    script: Some("no".into()),
                    downscript: Some("no".into()),
                    ..Default::default()
                },
            }),
        )
        .await?;
        let mut arguments = qapi::Dictionary::new();
        arguments.insert("netdev".into(), json!(netdev_id(&nic.port_id)));
        arguments.insert("mac".into(), json!(nic.mac));
        let added = self
            .qmp(
                id,
                qmp::device_add {
                    driver: "virtio-net-pci".into(),
                    id: Some(nic_id(&nic.port_id)),
                    bus: Some(nic_port(nic.slot)),
                    arguments,
                },
            )
            .await;
        if let Err(e) = added {
            let _ = self
                .qmp(
                    id,
                    qmp::netdev_del {
                        id: netdev_id(&nic.port_id),
                    },
                )
                .await;
            return Err(e);
        }
        Ok(())
    }

    async fn detach_nic(&self, id: &str, port_id: &str) -> DriverResult<()> {
        if self.pid(id).is_none() {
            return Ok(());
        }
        if self.plugged_nics(id).await?.iter().any(|p| p == port_id) {
            self.qmp(
                id,
                qmp::device_del {
                    id: nic_id(port_id),
                },
            )
            .await?;
            // The guest is asked to let the device go (PCIe hot-plug: the attention
            // button, which Linux honours after its 5 s grace); QEMU removes it then.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            while self.plugged_nics(id).await?.iter().any(|p| p == port_id) {
                if tokio::time::Instant::now() > deadline {
                    bail!("the guest of instance {id} did not release the NIC of port {port_id} within 30 s");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        // The backend outlives its device until deleted; gone already is fine.
        let _ = self
            .qmp(
                id,
                qmp::netdev_del {
                    id: netdev_id(port_id),
                },
            )
            .await;
        Ok(())
    }

    async fn plugged_nics(&self, id: &str) -> DriverResult<Vec<String>> {
        if self.pid(id).is_none() {
            return Ok(Vec::new());
        }
        let buses = self.qmp(id, qmp::query_pci {}).await?;
        let mut found = Vec::new();
        for bus in &buses {
            for device in &bus.devices {
                let Some(slot) = (0..NIC_SLOTS).find(|s| device.qdev_id == nic_port(*s)) else {
                    continue;
                };
                let children = device.pci_bridge.as_ref().and_then(|b| b.devices.as_ref());
                for child in children.into_iter().flatten() {
                    if let Some(port) = child.qdev_id.strip_prefix("nic-") {
                        found.push((slot, port.to_string()));
                    }
                }
            }
        }
        found.sort();
        Ok(found.into_iter().map(|(_, port)| port).collect())
    }

    async fn vnc_address(&self, id: &str) -> Option<std::net::SocketAddr> {
        self.pid(id)?;
        let text = std::fs::read_to_string(self.dir(id).join("vnc.json")).ok()?;
        let v: Value = serde_json::from_str(&text).ok()?;
        let port = v.get("port")?.as_u64()? as u16;
        Some(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
    }

    async fn leftovers(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pid) = self.pid(id) {
            out.push(format!("QEMU process {pid}"));
        }
        if let Ok(mut entries) = tokio::fs::read_dir(self.dir(id)).await {
            while let Ok(Some(entry)) = entries.next_entry().await {
                out.push(entry.path().display().to_string());
            }
        }
        out
    }
}

async fn remove_if_exists(path: &Path) -> DriverResult<()> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::Error::from(e).context(format!("removing {}", path.display()))),
    }
}

/// Removes an instance directory once nothing is left in it.
async fn remove_dir_if_done(dir: &Path) {
    let _ = tokio::fs::remove_dir(dir).await;
}

async fn tempfile_dir(path: &Path) -> DriverResult<PathBuf> {
    let _ = tokio::fs::remove_dir_all(path).await;
    tokio::fs::create_dir_all(path).await?;
    Ok(path.to_path_buf())
}

/// Where an instance's pieces are, for its command line.
struct Layout<'a> {
    dir: &'a Path,
    display: u16,
    kvm: bool,
    /// Whether the instance has a config drive (`disk.config`).
    config_drive: bool,
    /// An ISO image to boot from, as a CD-ROM.
    cdrom: Option<&'a Path>,
    /// A saved state to resume from.
    incoming: Option<&'a Path>,
}

/// QEMU's arguments, collected as `Command` takes them.
#[derive(Default)]
struct Args(Vec<std::ffi::OsString>);

impl Args {
    fn arg(&mut self, a: impl AsRef<std::ffi::OsStr>) -> &mut Args {
        self.0.push(a.as_ref().to_owned());
        self
    }

    fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(&mut self, list: I) -> &mut Args {
        for a in list {
            self.arg(a);
        }
        self
    }
}

/// The command line of an instance's QEMU: a function of its spec and where its files
/// are, so it is tested without starting anything.
fn command_line(spec: &InstanceSpec, layout: &Layout<'_>) -> Vec<std::ffi::OsString> {
    let dir = layout.dir;
    let mut cmd = Args::default();
    cmd.arg("-name")
        .arg(format!("guest={},debug-threads=on", spec.id))
        .arg("-uuid")
        .arg(&spec.id)
        .args([
            "-machine",
            if layout.kvm {
                "q35,accel=kvm"
            } else {
                "q35,accel=tcg"
            },
        ])
        .args([
            "-smp",
            &spec.vcpus.to_string(),
            "-m",
            &spec.memory_mb.to_string(),
        ])
        .args([
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            "-device",
            "VGA",
        ])
        .arg("-vnc")
        .arg(format!("127.0.0.1:{}", layout.display))
        .arg("-chardev")
        .arg(format!(
            "socket,id=serial0,path={},server=on,wait=off,logfile={},logappend=on",
            dir.join("console.sock").display(),
            dir.join("console.log").display()
        ))
        .args(["-serial", "chardev:serial0"])
        .arg("-qmp")
        .arg(format!(
            "unix:{},server=on,wait=off",
            dir.join("qmp.sock").display()
        ))
        .arg("-pidfile")
        .arg(dir.join("qemu.pid"))
        .args(["-nic", "none", "-device", "virtio-rng-pci"]);
    // A PCIe root port per NIC slot, so that every NIC (those of the command line
    // too) can be unplugged and others plugged in while the VM runs; each NIC sits in
    // its slot's port whether it came at start or later, so a VM restarted from a
    // saved state (resume) finds the same layout.
    for slot in 0..NIC_SLOTS {
        cmd.arg("-device").arg(format!(
            "pcie-root-port,id={},chassis={}",
            nic_port(slot),
            slot + 1
        ));
    }
    // Each NIC on its pre-made tap (QEMU runs no scripts; the network driver plugged
    // the tap into its bridge).
    for nic in &spec.nics {
        let Some(tap) = &nic.tap else { continue };
        cmd.arg("-netdev")
            .arg(format!(
                "tap,id={},ifname={tap},script=no,downscript=no",
                netdev_id(&nic.port_id)
            ))
            .arg("-device")
            .arg(format!(
                "virtio-net-pci,netdev={},id={},bus={},mac={}",
                netdev_id(&nic.port_id),
                nic_id(&nic.port_id),
                nic_port(nic.slot),
                nic.mac
            ));
    }
    if layout.kvm {
        cmd.args(["-cpu", "host"]);
    }
    let mut disk = |node: &str, file: &Path, format: &str, extra: &str| {
        cmd.arg("-blockdev").arg(format!(
            "driver=file,filename={},node-name={node}-file{extra}",
            file.display()
        ));
        cmd.arg("-blockdev").arg(format!(
            "driver={format},file={node}-file,node-name={node}{extra}"
        ));
    };
    disk("root", &dir.join("disk"), "qcow2", "");
    if spec.ephemeral_gb > 0 {
        disk("eph0", &dir.join("disk.eph0"), "qcow2", "");
    }
    if spec.swap_mb > 0 {
        disk("swap", &dir.join("disk.swap"), "qcow2", "");
    }
    if layout.config_drive {
        disk("config", &dir.join("disk.config"), "raw", ",read-only=on");
    }
    if let Some(base) = layout.cdrom {
        disk("cdrom", base, "raw", ",read-only=on");
    }
    let mut boot = 1;
    if layout.cdrom.is_some() {
        cmd.args(["-device", "ide-cd,drive=cdrom,bus=ide.0,bootindex=1"]);
        boot = 2;
    }
    cmd.arg("-device").arg(format!(
        "virtio-blk-pci,drive=root,id=root-dev,bootindex={boot}"
    ));
    if spec.ephemeral_gb > 0 {
        cmd.args(["-device", "virtio-blk-pci,drive=eph0,id=eph0-dev"]);
    }
    if spec.swap_mb > 0 {
        cmd.args(["-device", "virtio-blk-pci,drive=swap,id=swap-dev"]);
    }
    if layout.config_drive {
        cmd.args([
            "-device",
            "virtio-blk-pci,drive=config,id=config-dev,serial=config-2",
        ]);
    }
    if let Some(kernel) = &spec.kernel {
        cmd.arg("-kernel").arg(kernel);
        if let Some(ramdisk) = &spec.ramdisk {
            cmd.arg("-initrd").arg(ramdisk);
        }
        cmd.arg("-append").arg(
            spec.kernel_args
                .clone()
                .unwrap_or_else(|| "root=/dev/vda console=ttyS0".into()),
        );
    }
    if let Some(state) = layout.incoming {
        cmd.arg("-incoming")
            .arg(format!("file:{}", state.display()));
    }
    cmd.0
}

fn disk_gb(dir: &Path) -> Option<i64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs is plain old data, for which all zero bytes are a valid value.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: statvfs writes into the struct we own; the path is a valid C string.
    if unsafe { libc::statvfs(c.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some((stat.f_blocks as i64 * stat.f_frsize as i64) >> 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> InstanceSpec {
        InstanceSpec {
            id: "0f0e0d0c-0000-4000-8000-000000000001".into(),
            name: "vm".into(),
            hostname: "vm".into(),
            vcpus: 2,
            memory_mb: 256,
            root_gb: 1,
            ephemeral_gb: 1,
            swap_mb: 64,
            image: None,
            kernel: Some("/images/vmlinuz".into()),
            ramdisk: Some("/images/initrd".into()),
            kernel_args: None,
            config_drive: None,
            nics: vec![
                NicSpec {
                    port_id: "11111111-aaaa-4aaa-8aaa-000000000001".into(),
                    mac: "fa:16:3e:00:00:01".into(),
                    tap: Some("tap11111111-aa".into()),
                    slot: 0,
                },
                // A NIC without a tap (the fake network driver) is left out.
                NicSpec {
                    port_id: "11111111-aaaa-4aaa-8aaa-000000000002".into(),
                    mac: "fa:16:3e:00:00:02".into(),
                    tap: None,
                    slot: 1,
                },
            ],
        }
    }

    /// The whole command line of an instance with every kind of disk, a config drive, a
    /// NIC on a tap and direct kernel boot, under TCG, resuming from a saved state; and of
    /// one booting an ISO under KVM. A change shows here as a diff to review.
    #[test]
    fn command_lines_of_two_instances() {
        let dir = Path::new("/var/lib/gureum/instances/vm");
        let line = |spec: &InstanceSpec, layout: &Layout<'_>| {
            command_line(spec, layout)
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let resumed = Layout {
            dir,
            display: 3,
            kvm: false,
            config_drive: true,
            cdrom: None,
            incoming: Some(Path::new("/var/lib/gureum/instances/vm/state")),
        };
        insta::assert_snapshot!("tcg_kernel_boot_resumed", line(&spec(), &resumed));
        let iso = InstanceSpec {
            ephemeral_gb: 0,
            swap_mb: 0,
            kernel: None,
            ramdisk: None,
            nics: Vec::new(),
            ..spec()
        };
        let from_cd = Layout {
            dir,
            display: 0,
            kvm: true,
            config_drive: false,
            cdrom: Some(Path::new("/var/lib/gureum/base/abc")),
            incoming: None,
        };
        insta::assert_snapshot!("kvm_iso_boot", line(&iso, &from_cd));
    }
}
