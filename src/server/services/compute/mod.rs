//! The compute service (Nova v2.1): flavors, key pairs, quotas, hypervisors, and servers
//! with their lifecycle, run by a hypervisor driver.
//!
//! API calls check, claim and record; the work on the host runs afterwards as sagas
//! (`launch.rs`, `delete.rs`, `snapshot.rs`, the interface attach in `interfaces.rs`): one
//! that fails at any step undoes what it did, so no VM process, disk, config drive or held
//! resource is left. Instance states are types (`states.rs`); `reconcile.rs` matches the
//! database with the host after a restart.

mod actions;
mod aggregates;
mod delete;
mod flavors;
mod interfaces;
mod keypairs;
mod launch;
mod migrations;
mod nics;
mod quotas;
mod reconcile;
mod report;
mod server_groups;
mod servers;
mod snapshot;
mod states;
mod usage;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::server::db::compute::{
    ActionRow as InstanceAction, HostedServer, NodeRow as Hypervisor, NodeUsage as HypervisorUsage,
};
use crate::server::db::{self, Db};
use crate::server::drivers::compute::fake::{FakeCapacity, FakeDriver};
use crate::server::drivers::compute::qemu::{QemuConfig, QemuDriver};
use crate::server::drivers::compute::ComputeDriver;
use crate::server::error::{Error, Result};
use crate::server::saga::FailPoints;
use crate::server::services::image::ImageService;
use crate::server::services::network::NetworkService;
use crate::server::services::now;
use crate::server::services::placement::{Inventories, Inventory, PlacementService};
pub use actions::{RebootKind, ServerAction};
pub use aggregates::{
    zone_of, Aggregate, MetadataChange as AggregateMetadataChange, Zone, DEFAULT_ZONE,
};
pub use flavors::{Flavor, FlavorCreate, FlavorQuery};
pub use interfaces::{InterfaceAttach, InterfaceAttachment};
pub use keypairs::{Keypair, KeypairCreated};
pub use migrations::{Migration, MigrationFilter};
pub use nics::{NetworkRequest, NicRequest};
pub use quotas::{QuotaSet, LEGACY_NETWORK_QUOTAS, QUOTA_RESOURCES};
pub use report::usage_csv;
pub use server_groups::{GroupPolicy, ServerGroup, ServerGroupCreate};
pub use servers::{
    known_status, lock_allows, may_unlock, new_admin_pass, DiskConfig, Fault, HypervisorStatistics,
    LabelsChange, Launched, Server, ServerCreate, ServerLabels, ServerList, ServerListQuery,
    VolumeAttachment,
};
pub use states::{PowerState, TaskState, VmState};
pub use usage::{
    parse_audit_time, parse_usage_time, ServerUsage, TenantUsage, UsageAudit, UsageQuery,
    UsageReport, USAGE_MAX_LIMIT,
};

/// The most instances one create request may ask for (`min_count`, `max_count`): checked
/// before any per-instance work, as Nova's schema bounds them.
pub const MAX_COUNT: i64 = 1000;

/// Which hypervisor driver runs the instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DriverChoice {
    Qemu,
    Fake,
}

#[derive(Clone, Debug)]
pub struct ComputeConfig {
    pub driver: DriverChoice,
    /// Nova's initial allocation ratios.
    pub cpu_allocation_ratio: f64,
    pub ram_allocation_ratio: f64,
    pub disk_allocation_ratio: f64,
    pub fake_capacity: FakeCapacity,
    pub qemu: QemuConfig,
    /// How long a guest gets to shut down cleanly on stop before it is stopped hard.
    pub shutdown_timeout: std::time::Duration,
}

impl ComputeConfig {
    pub fn new(driver: DriverChoice, data_dir: &std::path::Path) -> ComputeConfig {
        ComputeConfig {
            driver,
            cpu_allocation_ratio: 4.0,
            ram_allocation_ratio: 1.0,
            disk_allocation_ratio: 1.0,
            fake_capacity: FakeCapacity::default(),
            qemu: QemuConfig::new(data_dir.join("instances")),
            shutdown_timeout: std::time::Duration::from_secs(60),
        }
    }
}

/// What an instance's row holds of its node, as Placement's resource classes.
fn held(row: &db::compute::InstanceRow) -> BTreeMap<String, i64> {
    BTreeMap::from([
        ("VCPU".to_string(), row.vcpus),
        ("MEMORY_MB".to_string(), row.memory_mb),
        ("DISK_GB".to_string(), row.disk_gb),
    ])
}

/// Whether QEMU can run here (the default driver is `qemu` only then).
pub fn qemu_available() -> bool {
    crate::server::drivers::compute::qemu::find_binary().is_some()
}

/// A change to an instance, pushed to whoever watches (the portal's live status).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InstanceEvent {
    pub id: String,
    pub project_id: String,
}

#[derive(Clone)]
pub struct ComputeService {
    db: Db,
    image: ImageService,
    /// Instances' ports and addresses.
    network: NetworkService,
    /// Where nodes' inventories and instances' allocations are recorded.
    placement: PlacementService,
    driver: Arc<dyn ComputeDriver>,
    /// The fake driver when it is the one in use, for tests' failure injection.
    fake: Option<FakeDriver>,
    config: Arc<ComputeConfig>,
    /// Serializes host claims (scheduling) in this controller: held for one instance's
    /// placement at a time.
    claims: Arc<tokio::sync::Mutex<()>>,
    /// Serializes each project's quota claims (check, then record) in this controller,
    /// so one project's large request never holds up another's.
    quota_claims: Arc<dashmap::DashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Keeps making an instance's ports and releasing them apart (a delete racing a
    /// launch), striped by instance id.
    nic_locks: Arc<[tokio::sync::Mutex<()>; NIC_LOCKS]>,
    fail_points: FailPoints,
    events: tokio::sync::broadcast::Sender<InstanceEvent>,
    host: String,
}

/// Stripes of [`ComputeService::nic_lock`].
const NIC_LOCKS: usize = 64;

impl ComputeService {
    pub async fn new(
        db: Db,
        image: ImageService,
        network: NetworkService,
        placement: PlacementService,
        config: ComputeConfig,
    ) -> Result<ComputeService> {
        let (driver, fake): (Arc<dyn ComputeDriver>, Option<FakeDriver>) = match config.driver {
            DriverChoice::Fake => {
                let fake = FakeDriver::new(config.fake_capacity.clone());
                (Arc::new(fake.clone()), Some(fake))
            }
            DriverChoice::Qemu => (
                Arc::new(
                    QemuDriver::new(config.qemu.clone())
                        .await
                        .map_err(|e| Error::internal("starting the QEMU driver", e))?,
                ),
                None,
            ),
        };
        let (events, _) = tokio::sync::broadcast::channel(256);
        let service = ComputeService {
            db,
            image,
            network,
            placement,
            driver,
            fake,
            config: Arc::new(config),
            claims: Arc::new(tokio::sync::Mutex::new(())),
            quota_claims: Arc::default(),
            nic_locks: Arc::new(std::array::from_fn(|_| tokio::sync::Mutex::new(()))),
            fail_points: FailPoints::default(),
            events,
            host: crate::server::host::hostname(),
        };
        service.register_node().await?;
        Ok(service)
    }

    /// Records this host's inventory as a compute node (a hypervisor).
    async fn register_node(&self) -> Result<()> {
        let info = self
            .driver
            .host_info()
            .await
            .map_err(|e| Error::internal("reading the host's inventory", e))?;
        let t = now();
        let mut conn = self.db.conn().await?;
        let existing = db::compute::node_get_by_host(&mut conn, &self.host).await?;
        let node = db::compute::NodeRow {
            id: existing
                .as_ref()
                .map(|n| n.id.clone())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            num: 0,
            host: self.host.clone(),
            hypervisor_type: info.hypervisor_type,
            hypervisor_version: info.hypervisor_version,
            host_ip: info.host_ip,
            vcpus: info.vcpus,
            memory_mb: info.memory_mb,
            local_gb: info.local_gb,
            cpu_allocation_ratio: self.config.cpu_allocation_ratio,
            ram_allocation_ratio: self.config.ram_allocation_ratio,
            disk_allocation_ratio: self.config.disk_allocation_ratio,
            cpu_info: info.cpu_info.to_string(),
            status: "enabled".into(),
            disabled_reason: None,
            created_at: existing.as_ref().map(|n| n.created_at).unwrap_or(t),
            updated_at: t,
        };
        db::compute::node_upsert(&mut conn, &node).await?;
        drop(conn);
        // One instance may take all the node has (after its allocation ratio), as the
        // scheduler allows.
        let ratio = |total: i64, allocation_ratio: f64| Inventory {
            max_unit: ((total.max(1) as f64) * allocation_ratio).max(1.0) as i64,
            allocation_ratio,
            ..Inventory::of(total.max(1))
        };
        let inventories = Inventories::from([
            ("VCPU".into(), ratio(node.vcpus, node.cpu_allocation_ratio)),
            (
                "MEMORY_MB".into(),
                ratio(node.memory_mb, node.ram_allocation_ratio),
            ),
            (
                "DISK_GB".into(),
                ratio(node.local_gb, node.disk_allocation_ratio),
            ),
        ]);
        self.placement
            .node_report(&node.id, &node.host, inventories)
            .await?;
        self.sync_node_aggregates(&node.id, &node.host).await
    }

    /// Keeps what Placement records an instance holding equal to what its row holds: the
    /// larger of its flavors on its node while it is placed, nothing once it is not. A
    /// record, not a claim: what the row holds was claimed when it grew (`claim_for`).
    pub(super) async fn sync_allocation(&self, row: &db::compute::InstanceRow) -> Result<()> {
        match (&row.node_id, row.deleted) {
            (Some(node), 0) => {
                self.placement
                    .record(&row.id, &row.project_id, &row.user_id, node, held(row))
                    .await
            }
            _ => self.placement.release(&row.id).await,
        }
    }

    /// Claims on its node what an instance's row is about to hold (scheduling, a resize):
    /// refused, with Nova's "no valid host", when what it holds more does not fit.
    pub(super) async fn claim_for(&self, row: &db::compute::InstanceRow) -> Result<()> {
        let Some(node) = &row.node_id else {
            return Ok(());
        };
        self.placement
            .claim(&row.id, &row.project_id, &row.user_id, node, held(row))
            .await
            .map_err(|e| match e.into_plain() {
                Error::Conflict(_) | Error::InvalidRequest(_) => {
                    Error::invalid(launch::no_valid_host())
                }
                other => other,
            })
    }

    /// Holds the right to make or release an instance's ports.
    async fn nic_lock(&self, instance_id: &str) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        instance_id.hash(&mut h);
        self.nic_locks[h.finish() as usize % NIC_LOCKS].lock().await
    }

    /// Holds the project's quota claim: checks against its limits and the records they
    /// count stay together. Other projects are not held up.
    async fn quota_claim(&self, project_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = self
            .quota_claims
            .entry(project_id.to_string())
            .or_default()
            .clone();
        lock.lock_owned().await
    }

    /// `qemu` or `fake`.
    pub fn driver_kind(&self) -> &'static str {
        self.driver.kind()
    }

    /// Tests: make the saga step `saga.step` fail (`launch.spawn`, `delete.disks` ...).
    pub fn inject_failure(&self, point: &str) {
        self.fail_points.set(point);
    }

    /// Tests: no more injected failures (saga steps and fake driver calls).
    pub fn clear_failures(&self) {
        self.fail_points.clear();
        if let Some(fake) = &self.fake {
            fake.clear_failures();
        }
    }

    /// Tests: the fake driver, to make a driver call fail; `None` with `qemu`.
    pub fn fake_driver(&self) -> Option<&FakeDriver> {
        self.fake.as_ref()
    }

    /// Tests and leak checks: what the host still holds for an instance.
    pub async fn host_leftovers(&self, id: &str) -> Vec<String> {
        self.driver.leftovers(id).await
    }

    /// Every failure point of the compute sagas (`launch.spawn`, ...), for the tests that
    /// fail each one in turn.
    pub fn saga_points() -> Vec<String> {
        [
            launch::saga_points(),
            delete::saga_points(),
            snapshot::saga_points(),
            interfaces::saga_points(),
        ]
        .concat()
    }

    /// Instance changes as they happen (the portal's pushed updates).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<InstanceEvent> {
        self.events.subscribe()
    }

    fn notify(&self, id: &str, project_id: &str) {
        let _ = self.events.send(InstanceEvent {
            id: id.to_string(),
            project_id: project_id.to_string(),
        });
    }
}

/// Free-form string maps (metadata, extra specs) as stored.
fn parse_map(json: &str) -> BTreeMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}
