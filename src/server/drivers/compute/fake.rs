//! The fake hypervisor: instances live in memory, nothing runs. For tests and for
//! development on machines without QEMU. It reports `hypervisor_type` "fake" so it is
//! never mistaken for the real thing, and any operation can be made to fail.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, bail};
use async_trait::async_trait;

use super::{
    uptime_line, ComputeDriver, DriverResult, HostInfo, InstanceSpec, NicSpec, PowerState,
};

/// The fake host's size (a configuration, so tests can make it tight).
#[derive(Clone, Debug)]
pub struct FakeCapacity {
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
}

impl Default for FakeCapacity {
    fn default() -> Self {
        FakeCapacity {
            vcpus: 8,
            memory_mb: 16384,
            local_gb: 200,
        }
    }
}

#[derive(Debug, Default)]
struct FakeVm {
    disks: bool,
    config_drive: bool,
    state: Option<PowerState>,
    console: String,
    vcpus: i64,
    memory_mb: i64,
    /// The NICs of the running VM: (slot, port).
    nics: Vec<(usize, String)>,
}

fn plug_all(vm: &mut FakeVm, spec: &InstanceSpec) {
    vm.nics = spec
        .nics
        .iter()
        .map(|n| (n.slot, n.port_id.clone()))
        .collect();
    vm.nics.sort();
}

#[derive(Clone, Default)]
pub struct FakeDriver {
    capacity: FakeCapacity,
    vms: Arc<Mutex<HashMap<String, FakeVm>>>,
    fail: Arc<Mutex<HashSet<String>>>,
    /// When each instance's spawn was called (benchmarks of the control plane).
    spawned: Arc<Mutex<HashMap<String, std::time::Instant>>>,
}

impl FakeDriver {
    pub fn new(capacity: FakeCapacity) -> FakeDriver {
        FakeDriver {
            capacity,
            ..FakeDriver::default()
        }
    }

    /// Makes every later call of `op` (`spawn`, `create_disks` ...) fail.
    pub fn fail_on(&self, op: &str) {
        self.fail.lock().expect("fake").insert(op.to_string());
    }

    pub fn clear_failures(&self) {
        self.fail.lock().expect("fake").clear();
    }

    /// When `spawn` was called for an instance.
    pub fn spawned_at(&self, id: &str) -> Option<std::time::Instant> {
        self.spawned.lock().expect("fake").get(id).copied()
    }

    fn check(&self, op: &str) -> DriverResult<()> {
        if self.fail.lock().expect("fake").contains(op) {
            bail!("fake driver: injected failure in {op}");
        }
        Ok(())
    }

    fn with_vm<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut FakeVm) -> DriverResult<T>,
    ) -> DriverResult<T> {
        let mut vms = self.vms.lock().expect("fake");
        let vm = vms
            .get_mut(id)
            .ok_or_else(|| anyhow!("fake driver: no instance {id}"))?;
        f(vm)
    }

    fn set_state(
        &self,
        id: &str,
        op: &str,
        from: &[PowerState],
        to: PowerState,
    ) -> DriverResult<()> {
        self.check(op)?;
        self.with_vm(id, |vm| {
            let now = vm.state.unwrap_or(PowerState::Shutdown);
            if !from.contains(&now) {
                bail!("fake driver: cannot {op} an instance that is {now:?}");
            }
            vm.state = Some(to);
            vm.console.push_str(&format!("[fake] {op}\n"));
            Ok(())
        })
    }
}

#[async_trait]
impl ComputeDriver for FakeDriver {
    fn kind(&self) -> &'static str {
        "fake"
    }

    async fn uptime(&self) -> DriverResult<String> {
        // The fake host came up when the first fake driver was made.
        static BOOTED: std::sync::LazyLock<std::time::Instant> =
            std::sync::LazyLock::new(std::time::Instant::now);
        let up = BOOTED.elapsed().as_secs();
        Ok(uptime_line(chrono::Utc::now(), up, [0.0; 3]))
    }

    async fn host_info(&self) -> DriverResult<HostInfo> {
        Ok(HostInfo {
            hypervisor_type: "fake".into(),
            hypervisor_version: 1000,
            host_ip: "127.0.0.1".into(),
            vcpus: self.capacity.vcpus,
            memory_mb: self.capacity.memory_mb,
            local_gb: self.capacity.local_gb,
            cpu_info: serde_json::json!({"arch": "x86_64", "model": "fake", "vendor": "fake",
                "topology": {"cells": 1, "sockets": 1, "cores": self.capacity.vcpus, "threads": 1}, "features": []}),
        })
    }

    async fn create_disks(&self, spec: &InstanceSpec) -> DriverResult<()> {
        self.check("create_disks")?;
        let mut vms = self.vms.lock().expect("fake");
        let vm = vms.entry(spec.id.clone()).or_default();
        vm.disks = true;
        vm.vcpus = spec.vcpus;
        vm.memory_mb = spec.memory_mb;
        Ok(())
    }

    async fn delete_disks(&self, id: &str) -> DriverResult<()> {
        self.check("delete_disks")?;
        let mut vms = self.vms.lock().expect("fake");
        if let Some(vm) = vms.get_mut(id) {
            vm.disks = false;
            if !vm.config_drive && vm.state.is_none() {
                vms.remove(id);
            }
        }
        Ok(())
    }

    async fn create_config_drive(&self, spec: &InstanceSpec) -> DriverResult<()> {
        self.check("create_config_drive")?;
        let mut vms = self.vms.lock().expect("fake");
        vms.entry(spec.id.clone()).or_default().config_drive = true;
        Ok(())
    }

    async fn delete_config_drive(&self, id: &str) -> DriverResult<()> {
        self.check("delete_config_drive")?;
        let mut vms = self.vms.lock().expect("fake");
        if let Some(vm) = vms.get_mut(id) {
            vm.config_drive = false;
            if !vm.disks && vm.state.is_none() {
                vms.remove(id);
            }
        }
        Ok(())
    }

    async fn spawn(&self, spec: &InstanceSpec) -> DriverResult<()> {
        self.spawned
            .lock()
            .expect("fake")
            .insert(spec.id.clone(), std::time::Instant::now());
        self.check("spawn")?;
        self.with_vm(&spec.id, |vm| {
            if !vm.disks {
                bail!("fake driver: spawn without disks");
            }
            vm.state = Some(PowerState::Running);
            plug_all(vm, spec);
            // A boot log of a few lines, as a guest's serial console has.
            vm.console.push_str(&format!(
                "[fake] booting {name}\n[fake] kernel: command line: console=ttyS0\n\
                 [fake] cloud-init: found the config drive\n\
                 [fake] cloud-init: set the hostname to {host}\n\
                 [fake] cloud-init: configured the network\n{host} login: \n",
                name = spec.name,
                host = spec.hostname
            ));
            Ok(())
        })
    }

    async fn destroy(&self, id: &str) -> DriverResult<()> {
        self.check("destroy")?;
        let mut vms = self.vms.lock().expect("fake");
        if let Some(vm) = vms.get_mut(id) {
            vm.state = None;
            if !vm.disks && !vm.config_drive {
                vms.remove(id);
            }
        }
        Ok(())
    }

    async fn power_off(&self, id: &str, _grace: Duration) -> DriverResult<()> {
        use PowerState::*;
        self.set_state(
            id,
            "power_off",
            &[Running, Paused, Shutdown, Crashed],
            Shutdown,
        )
    }

    async fn reboot(&self, spec: &InstanceSpec, hard: bool) -> DriverResult<()> {
        use PowerState::*;
        let from: &[PowerState] = if hard {
            &[Running, Paused, Shutdown, Crashed, Suspended]
        } else {
            &[Running]
        };
        self.set_state(&spec.id, "reboot", from, Running)?;
        if hard {
            self.with_vm(&spec.id, |vm| Ok(plug_all(vm, spec)))?;
        }
        Ok(())
    }

    async fn pause(&self, id: &str) -> DriverResult<()> {
        self.set_state(id, "pause", &[PowerState::Running], PowerState::Paused)
    }

    async fn unpause(&self, id: &str) -> DriverResult<()> {
        self.set_state(id, "unpause", &[PowerState::Paused], PowerState::Running)
    }

    async fn suspend(&self, id: &str) -> DriverResult<()> {
        use PowerState::*;
        self.set_state(id, "suspend", &[Running, Paused], Suspended)
    }

    async fn resume(&self, spec: &InstanceSpec) -> DriverResult<()> {
        use PowerState::*;
        // As QEMU does, a VM whose process is gone but whose disks are kept starts afresh.
        self.with_vm(&spec.id, |vm| {
            if vm.state.is_none() && vm.disks {
                vm.state = Some(Shutdown);
            }
            Ok(())
        })?;
        self.set_state(&spec.id, "resume", &[Suspended, Shutdown], Running)?;
        self.with_vm(&spec.id, |vm| Ok(plug_all(vm, spec)))
    }

    async fn power_state(&self, id: &str) -> PowerState {
        self.vms
            .lock()
            .expect("fake")
            .get(id)
            .and_then(|vm| vm.state)
            .unwrap_or(PowerState::NoState)
    }

    async fn running(&self) -> Vec<String> {
        self.vms
            .lock()
            .expect("fake")
            .iter()
            .filter(|(_, vm)| matches!(vm.state, Some(PowerState::Running | PowerState::Paused)))
            .map(|(id, _)| id.clone())
            .collect()
    }

    async fn console_output(&self, id: &str, max_lines: Option<usize>) -> DriverResult<String> {
        self.check("console_output")?;
        let text = self.with_vm(id, |vm| Ok(vm.console.clone()))?;
        Ok(match max_lines {
            Some(n) => {
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(n)..].join("\n")
            }
            None => text,
        })
    }

    async fn snapshot(&self, id: &str, out: &Path) -> DriverResult<()> {
        self.check("snapshot")?;
        self.with_vm(id, |vm| {
            if !vm.disks {
                bail!("fake driver: no disk to snapshot");
            }
            Ok(())
        })?;
        // A real (empty) qcow2, so the image service's checks see what they expect.
        let status = tokio::process::Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2"])
            .arg(out)
            .arg("1M")
            .status()
            .await?;
        if !status.success() {
            bail!("qemu-img create failed for the fake snapshot");
        }
        Ok(())
    }

    async fn resize(&self, spec: &InstanceSpec) -> DriverResult<()> {
        self.check("resize")?;
        self.with_vm(&spec.id, |vm| {
            vm.vcpus = spec.vcpus;
            vm.memory_mb = spec.memory_mb;
            Ok(())
        })
    }

    async fn attach_nic(&self, id: &str, nic: &NicSpec) -> DriverResult<()> {
        self.check("attach_nic")?;
        self.with_vm(id, |vm| {
            if !matches!(vm.state, Some(PowerState::Running | PowerState::Paused)) {
                bail!("fake driver: hot-plug into a VM that is not running");
            }
            if vm.nics.iter().any(|(slot, _)| *slot == nic.slot) {
                bail!("fake driver: NIC slot {} is taken", nic.slot);
            }
            vm.nics.push((nic.slot, nic.port_id.clone()));
            vm.nics.sort();
            Ok(())
        })
    }

    async fn detach_nic(&self, id: &str, port_id: &str) -> DriverResult<()> {
        self.check("detach_nic")?;
        self.with_vm(id, |vm| {
            vm.nics.retain(|(_, port)| port != port_id);
            Ok(())
        })
    }

    async fn plugged_nics(&self, id: &str) -> DriverResult<Vec<String>> {
        let vms = self.vms.lock().expect("fake");
        Ok(vms
            .get(id)
            .filter(|vm| matches!(vm.state, Some(PowerState::Running | PowerState::Paused)))
            .map(|vm| vm.nics.iter().map(|(_, port)| port.clone()).collect())
            .unwrap_or_default())
    }

    async fn vnc_address(&self, _id: &str) -> Option<std::net::SocketAddr> {
        None
    }

    async fn leftovers(&self, id: &str) -> Vec<String> {
        let vms = self.vms.lock().expect("fake");
        let Some(vm) = vms.get(id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if vm.disks {
            out.push("disks".into());
        }
        if vm.config_drive {
            out.push("config drive".into());
        }
        if vm.state.is_some() {
            out.push("vm".into());
        }
        out
    }
}
