//! Hypervisor drivers: what the compute service asks of a host.
//!
//! `qemu` runs one `qemu-system-x86_64` per instance and drives it over QMP; `fake` keeps
//! instances in memory for tests and development, with failure injection. Both are always
//! compiled; configuration chooses (`--compute-driver`), and the fake says it is one
//! (`hypervisor_type` "fake").

pub mod fake;
pub mod qemu;

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;

pub type DriverResult<T> = anyhow::Result<T>;

/// A host's inventory, as the hypervisors API reports it.
#[derive(Clone, Debug)]
pub struct HostInfo {
    pub hypervisor_type: String,
    /// Nova's integer form: 10.0.2 is 10000002.
    pub hypervisor_version: i64,
    pub host_ip: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    pub cpu_info: serde_json::Value,
}

/// The line `uptime` prints: the time of day (UTC), how long the host has been up, and
/// the load averages over 1, 5 and 15 minutes.
pub fn uptime_line(now: chrono::DateTime<chrono::Utc>, up_seconds: u64, load: [f64; 3]) -> String {
    let days = up_seconds / 86_400;
    let (hours, minutes) = (up_seconds % 86_400 / 3_600, up_seconds % 3_600 / 60);
    let up = match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, _) => format!("{hours}:{minutes:02}"),
        (1, _) => format!("1 day, {hours}:{minutes:02}"),
        _ => format!("{days} days, {hours}:{minutes:02}"),
    };
    format!(
        " {} up {up},  load average: {:.2}, {:.2}, {:.2}",
        now.format("%H:%M:%S"),
        load[0],
        load[1],
        load[2]
    )
}

/// The image an instance boots from, as the host holds it.
#[derive(Clone, Debug)]
pub struct BootImage {
    pub id: String,
    /// The image data in the image store.
    pub path: PathBuf,
    pub disk_format: String,
    pub virtual_size: Option<i64>,
}

/// Everything a driver needs to build and run one instance.
#[derive(Clone, Debug)]
pub struct InstanceSpec {
    pub id: String,
    pub name: String,
    pub hostname: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub root_gb: i64,
    pub ephemeral_gb: i64,
    pub swap_mb: i64,
    pub image: Option<BootImage>,
    /// Direct kernel boot (`kernel_id` / `ramdisk_id` image properties).
    pub kernel: Option<PathBuf>,
    pub ramdisk: Option<PathBuf>,
    pub kernel_args: Option<String>,
    /// Files of the config drive (`openstack/latest/meta_data.json` ...), when it has one.
    pub config_drive: Option<Vec<(String, Vec<u8>)>>,
    /// Network interfaces in order (eth0 first).
    pub nics: Vec<NicSpec>,
}

/// How many network interfaces an instance can have: each sits in its own hot-pluggable
/// slot, so that any of them can be detached and more attached while the VM runs.
pub const NIC_SLOTS: usize = 8;

/// One network interface: the guest's MAC, the host tap it is wired to (`None` when the
/// network driver makes no taps, as the fake one: the NIC is then left out), and its slot
/// (`0..NIC_SLOTS`; the guest names interfaces in slot order, eth0 first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NicSpec {
    pub port_id: String,
    pub mac: String,
    pub tap: Option<String>,
    pub slot: usize,
}

/// Nova's power states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerState {
    NoState = 0,
    Running = 1,
    Paused = 3,
    Shutdown = 4,
    Crashed = 6,
    Suspended = 7,
}

#[async_trait]
pub trait ComputeDriver: Send + Sync + 'static {
    /// `qemu` or `fake`.
    fn kind(&self) -> &'static str;
    async fn host_info(&self) -> DriverResult<HostInfo>;
    /// How long the host has been up and its load, as `uptime` prints them (Nova's
    /// hypervisor uptime).
    async fn uptime(&self) -> DriverResult<String>;
    /// The root disk (an overlay over the image, or blank), ephemeral and swap disks.
    async fn create_disks(&self, spec: &InstanceSpec) -> DriverResult<()>;
    async fn delete_disks(&self, id: &str) -> DriverResult<()>;
    async fn create_config_drive(&self, spec: &InstanceSpec) -> DriverResult<()>;
    async fn delete_config_drive(&self, id: &str) -> DriverResult<()>;
    /// Starts the VM on the disks made before.
    async fn spawn(&self, spec: &InstanceSpec) -> DriverResult<()>;
    /// Stops the VM at once and forgets its process; fine when it is not running.
    async fn destroy(&self, id: &str) -> DriverResult<()>;
    /// Asks the guest to shut down (ACPI), waits up to `grace`, then stops it hard.
    async fn power_off(&self, id: &str, grace: Duration) -> DriverResult<()>;
    async fn reboot(&self, spec: &InstanceSpec, hard: bool) -> DriverResult<()>;
    async fn pause(&self, id: &str) -> DriverResult<()>;
    async fn unpause(&self, id: &str) -> DriverResult<()>;
    /// Saves the VM's state and stops it (resume restores it).
    async fn suspend(&self, id: &str) -> DriverResult<()>;
    async fn resume(&self, spec: &InstanceSpec) -> DriverResult<()>;
    async fn power_state(&self, id: &str) -> PowerState;
    /// Ids of the instances with a live VM on this host.
    async fn running(&self) -> Vec<String>;
    /// The serial console's log, last `max_lines` lines if given.
    async fn console_output(&self, id: &str, max_lines: Option<usize>) -> DriverResult<String>;
    /// Writes a self-contained qcow2 of the root disk to `out`.
    async fn snapshot(&self, id: &str, out: &Path) -> DriverResult<()>;
    /// Changes the VM's size (stopped); disks only grow.
    async fn resize(&self, spec: &InstanceSpec) -> DriverResult<()>;
    /// The loopback address of the VM's VNC server, for the browser console (the portal
    /// proxies a websocket to it).
    async fn vnc_address(&self, id: &str) -> Option<std::net::SocketAddr>;
    /// Plugs a NIC into a running (or paused) VM: PCI hot-plug into the NIC's slot.
    async fn attach_nic(&self, id: &str, nic: &NicSpec) -> DriverResult<()>;
    /// Unplugs a NIC from a running VM and waits until the guest has let it go; fine when
    /// the VM does not have it.
    async fn detach_nic(&self, id: &str, port_id: &str) -> DriverResult<()>;
    /// The ports whose NICs the running VM has now, in slot order (empty when it is
    /// not running).
    async fn plugged_nics(&self, id: &str) -> DriverResult<Vec<String>>;
    /// What the host holds for an instance (files, processes), for leak checks.
    async fn leftovers(&self, id: &str) -> Vec<String>;
}

/// What a config drive tells the guest: Nova's `meta_data.json` and friends.
pub struct ConfigDrive<'a> {
    pub id: &'a str,
    pub hostname: &'a str,
    pub name: &'a str,
    /// The key pair's name and public key.
    pub key: Option<(&'a str, &'a str)>,
    pub metadata: &'a serde_json::Value,
    pub user_data: Option<&'a [u8]>,
    /// The administrator password of a build or rebuild (`admin_pass`, as Nova writes it
    /// for cloud-init); only the drive holds it.
    pub admin_pass: Option<&'a str>,
}

impl ConfigDrive<'_> {
    /// The drive's files, by path.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut meta = serde_json::json!({
            "uuid": self.id,
            "hostname": self.hostname,
            "name": self.name,
            "launch_index": 0,
            "availability_zone": "nova",
            "project_id": "",
            "meta": self.metadata,
        });
        if let Some((key_name, public_key)) = self.key {
            meta["public_keys"] = serde_json::json!({ key_name: public_key });
            meta["keys"] =
                serde_json::json!([{"name": key_name, "type": "ssh", "data": public_key}]);
        }
        if let Some(password) = self.admin_pass {
            meta["admin_pass"] = password.into();
        }
        let meta = serde_json::to_vec_pretty(&meta).unwrap_or_default();
        let network = br#"{"links": [], "networks": [], "services": []}"#.to_vec();
        let mut files = Vec::new();
        for version in ["latest", "2012-08-10"] {
            files.push((format!("openstack/{version}/meta_data.json"), meta.clone()));
            files.push((
                format!("openstack/{version}/network_data.json"),
                network.clone(),
            ));
            if let Some(data) = self.user_data {
                files.push((format!("openstack/{version}/user_data"), data.to_vec()));
            }
        }
        files
    }
}

/// Whether a process id is alive and not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // The state follows the parenthesised command name.
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|s| s.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X") | None)
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_reads_as_uptime_prints_it() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T08:32:11Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let load = [0.2, 0.125, 1.0];
        assert_eq!(
            uptime_line(at, 93 * 86_400 + 18 * 3_600 + 25 * 60 + 7, load),
            " 08:32:11 up 93 days, 18:25,  load average: 0.20, 0.12, 1.00"
        );
        assert_eq!(
            uptime_line(at, 86_400 + 60, load),
            " 08:32:11 up 1 day, 0:01,  load average: 0.20, 0.12, 1.00"
        );
        assert_eq!(
            uptime_line(at, 2 * 3_600 + 5 * 60, load),
            " 08:32:11 up 2:05,  load average: 0.20, 0.12, 1.00"
        );
        assert_eq!(
            uptime_line(at, 59, [0.0; 3]),
            " 08:32:11 up 0 min,  load average: 0.00, 0.00, 0.00"
        );
    }

    #[test]
    fn the_config_drive_holds_the_admin_password_only_when_given() {
        let meta = |admin_pass| {
            let drive = ConfigDrive {
                id: "i",
                hostname: "h",
                name: "n",
                key: None,
                metadata: &serde_json::json!({}),
                user_data: None,
                admin_pass,
            };
            let files = drive.files();
            let (_, bytes) = files
                .iter()
                .find(|(path, _)| path == "openstack/latest/meta_data.json")
                .expect("meta_data.json");
            serde_json::from_slice::<serde_json::Value>(bytes).expect("json")
        };
        assert_eq!(
            meta(Some("s3cret")).get("admin_pass"),
            Some(&"s3cret".into())
        );
        assert_eq!(meta(None).get("admin_pass"), None);
    }
}
