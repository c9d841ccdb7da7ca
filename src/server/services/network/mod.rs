//! The network service (Neutron v2.0): networks, subnets, ports with their addresses,
//! and quotas.
//!
//! Addresses come from the subnets' allocation pools; the database's primary key on
//! (network, address) decides between concurrent allocations, so two ports never share an
//! address, whatever runs at once.

mod agents;
mod dataplane;
pub mod fault;
mod floating_ips;
mod instances;
mod ipam;
mod networks;
mod ports;
mod quotas;
mod routers;
mod security_groups;
mod subnets;

use crate::message::Message;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::server::db::Db;
use crate::server::drivers::network::fake::FakeNetworkDriver;
use crate::server::drivers::network::linuxbridge::{LinuxBridgeConfig, LinuxBridgeDriver};
use crate::server::drivers::network::NetworkDriver;
use crate::server::error::{Error, Result};
pub use fault::{refuse, Fault};

pub use agents::{Agent, AgentQuery, AgentUpdate};
pub use dataplane::OWNER_DHCP;
pub use floating_ips::{FloatingIp, FloatingIpCreate, FloatingIpQuery, FloatingIpUpdate};
pub use instances::{InstanceAddress, InstanceNetworking, Vif, OWNER_COMPUTE};
pub use ipam::Pool;
pub use networks::{Network, NetworkCreate, NetworkQuery, NetworkUpdate};
pub use ports::{AddressPair, FixedIp, FixedIpRequest, Port, PortCreate, PortQuery, PortUpdate};
pub use quotas::{NetworkQuota, NETWORK_QUOTA_RESOURCES};
pub use routers::{
    ExternalGateway, InterfaceRequest, Route, Router, RouterCreate, RouterGateway, RouterInterface,
    RouterQuery, RouterUpdate,
};
pub use security_groups::{
    RuleCreate, SecurityGroup, SecurityGroupCreate, SecurityGroupQuery, SecurityGroupRule,
};
pub use subnets::{GatewayRequest, HostRoute, Subnet, SubnetCreate, SubnetQuery, SubnetUpdate};

/// Which data-plane driver moves the packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NetworkDriverChoice {
    Linuxbridge,
    Fake,
}

#[derive(Clone, Debug)]
pub struct NetworkConfig {
    /// Physical network name → host bridge (`extnet` → `br-ex`).
    pub physnets: BTreeMap<String, String>,
    /// The MTU of networks that do not say.
    pub default_mtu: i64,
    pub driver: NetworkDriverChoice,
    /// The data plane's own files (the driver's ledger, dnsmasq's files).
    pub state_dir: PathBuf,
}

impl NetworkConfig {
    pub fn new(driver: NetworkDriverChoice, data_dir: &Path) -> NetworkConfig {
        NetworkConfig {
            driver,
            state_dir: data_dir.join("network"),
            ..NetworkConfig::default()
        }
    }
}

impl Default for NetworkConfig {
    fn default() -> NetworkConfig {
        NetworkConfig {
            physnets: BTreeMap::from([("extnet".to_string(), "br-ex".to_string())]),
            default_mtu: 1500,
            driver: NetworkDriverChoice::Fake,
            state_dir: PathBuf::from("network"),
        }
    }
}

/// `NAME:BRIDGE` of `--physnet`.
pub fn parse_physnet(text: &str) -> std::result::Result<(String, String), String> {
    let (name, bridge) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not NAME:BRIDGE (extnet:br-ex)"))?;
    let ok_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
    let ok_bridge = !bridge.is_empty()
        && bridge.len() <= 15
        && bridge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok_name || !ok_bridge {
        return Err(format!(
            "`{text}`: the physical network name is letters, digits, - and _; the bridge a Linux interface name of at most 15 characters"
        ));
    }
    Ok((name.to_string(), bridge.to_string()))
}

#[derive(Clone)]
pub struct NetworkService {
    db: Db,
    config: Arc<NetworkConfig>,
    /// Serializes quota checks and the creation of per-project defaults.
    claims: Arc<tokio::sync::Mutex<()>>,
    driver: Arc<dyn NetworkDriver>,
    /// The fake driver when it is the one in use (tests read its plan).
    fake: Option<FakeNetworkDriver>,
    /// Set by every change; the sync loop applies.
    dirty: Arc<tokio::sync::Notify>,
    /// One apply at a time.
    applying: Arc<tokio::sync::Mutex<()>>,
    /// This host (instances' ports bound to it get taps here).
    host: String,
    /// Changes to what Network Topology draws, pushed to the portal.
    events: tokio::sync::broadcast::Sender<NetworkEvent>,
}

/// A change to a project's networks, subnets or routers, pushed to whoever watches (the
/// portal's Network Topology). `project_id` is empty for a change every project sees (a
/// shared or external network).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkEvent {
    pub project_id: String,
}

impl NetworkService {
    pub fn new(db: Db, config: NetworkConfig) -> Result<NetworkService> {
        let (driver, fake): (Arc<dyn NetworkDriver>, Option<FakeNetworkDriver>) = match config
            .driver
        {
            NetworkDriverChoice::Fake => {
                let fake = FakeNetworkDriver::new();
                (Arc::new(fake.clone()), Some(fake))
            }
            NetworkDriverChoice::Linuxbridge => {
                use sha2::Digest;
                let dir =
                    std::fs::canonicalize(config.state_dir.parent().unwrap_or(Path::new(".")))
                        .unwrap_or_else(|_| config.state_dir.clone());
                let tag = hex::encode(&sha2::Sha256::digest(dir.to_string_lossy().as_bytes())[..4]);
                let driver = LinuxBridgeDriver::new(LinuxBridgeConfig {
                    state_dir: config.state_dir.clone(),
                    tag,
                })
                .map_err(|e| Error::internal("starting the linuxbridge driver", e))?;
                (Arc::new(driver), None)
            }
        };
        Ok(NetworkService {
            db,
            config: Arc::new(config),
            claims: Arc::new(tokio::sync::Mutex::new(())),
            driver,
            fake,
            dirty: Arc::new(tokio::sync::Notify::new()),
            events: tokio::sync::broadcast::channel(256).0,
            applying: Arc::new(tokio::sync::Mutex::new(())),
            host: crate::server::host::hostname(),
        })
    }

    /// The fake driver, when it is in use.
    pub fn fake_driver(&self) -> Option<&FakeNetworkDriver> {
        self.fake.as_ref()
    }

    /// Changes to networks, subnets and routers as they happen.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<NetworkEvent> {
        self.events.subscribe()
    }

    /// Tells watchers that a project's network graph changed (every project's, when
    /// `everyone`: a shared or external network).
    fn announce(&self, project_id: &str, everyone: bool) {
        let project_id = if everyone { "" } else { project_id };
        let _ = self.events.send(NetworkEvent {
            project_id: project_id.to_string(),
        });
    }

    /// The host the service's data plane runs on.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn physnets(&self) -> &BTreeMap<String, String> {
        &self.config.physnets
    }
}

fn invalid(code: Fault, message: Message) -> Error {
    refuse(code, Error::invalid(message))
}

fn conflict(code: Fault, message: Message) -> Error {
    refuse(code, Error::Conflict(message))
}

fn not_found(kind: &'static str, id: &str) -> Error {
    let code = match kind {
        "network" => Fault::NetworkNotFound,
        "subnet" => Fault::SubnetNotFound,
        "port" => Fault::PortNotFound,
        _ => Fault::NotFound,
    };
    refuse(code, Error::not_found(kind, id))
}

/// Neutron's refusal of an attribute only administrators may set.
fn policy(rule: &str) -> Error {
    refuse(
        Fault::PolicyNotAuthorized,
        Error::forbidden_msg(msg!("({rule}) is disallowed by policy", rule)),
    )
}

fn from_refusal(r: ipam::Refusal) -> Error {
    if r.conflict {
        conflict(r.code, r.message)
    } else {
        invalid(r.code, r.message)
    }
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn parse_list<T: serde::de::DeserializeOwned>(json: &str) -> Vec<T> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Neutron's ids: UUIDs with dashes.
fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
