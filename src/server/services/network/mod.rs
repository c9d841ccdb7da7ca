//! The network service (Neutron v2.0): networks, subnets, ports with their addresses,
//! and quotas.
//!
//! Addresses come from the subnets' allocation pools; the database's primary key on
//! (network, address) decides between concurrent allocations, so two ports never share an
//! address, whatever runs at once.

mod agents;
mod floating_ips;
mod instances;
mod ipam;
mod networks;
mod ports;
mod quotas;
mod routers;
mod security_groups;
mod subnets;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::server::db::Db;
use crate::server::error::Error;

pub use agents::{Agent, AgentQuery, AgentUpdate};
pub use floating_ips::{FloatingIp, FloatingIpCreate, FloatingIpQuery, FloatingIpUpdate};
pub use instances::{InstanceAddress, InstanceNetworking, OWNER_COMPUTE};
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

#[derive(Clone, Debug)]
pub struct NetworkConfig {
    /// Physical network name → host bridge (`extnet` → `br-ex`).
    pub physnets: BTreeMap<String, String>,
    /// The MTU of networks that do not say.
    pub default_mtu: i64,
    /// What moves the packets (`fake` moves none); agents report it.
    pub driver_name: String,
}

impl Default for NetworkConfig {
    fn default() -> NetworkConfig {
        NetworkConfig {
            physnets: BTreeMap::from([("extnet".to_string(), "br-ex".to_string())]),
            default_mtu: 1500,
            driver_name: "fake".into(),
        }
    }
}

#[derive(Clone)]
pub struct NetworkService {
    db: Db,
    config: Arc<NetworkConfig>,
    /// Serializes quota checks and the creation of per-project defaults.
    claims: Arc<tokio::sync::Mutex<()>>,
}

impl NetworkService {
    pub fn new(db: Db, config: NetworkConfig) -> NetworkService {
        NetworkService {
            db,
            config: Arc::new(config),
            claims: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    pub fn physnets(&self) -> &BTreeMap<String, String> {
        &self.config.physnets
    }
}

/// A Neutron refusal: the exception name and the HTTP class it maps to.
fn refuse(code: &'static str, inner: Error) -> Error {
    Error::coded(code, inner)
}

fn invalid(code: &'static str, message: impl Into<String>) -> Error {
    refuse(code, Error::invalid(message))
}

fn conflict(code: &'static str, message: impl Into<String>) -> Error {
    refuse(code, Error::Conflict(message.into()))
}

fn not_found(kind: &'static str, id: &str) -> Error {
    let code = match kind {
        "network" => "NetworkNotFound",
        "subnet" => "SubnetNotFound",
        "port" => "PortNotFound",
        _ => "NotFound",
    };
    refuse(code, Error::not_found(kind, id))
}

/// Neutron's refusal of an attribute only administrators may set.
fn policy(rule: &str) -> Error {
    refuse(
        "PolicyNotAuthorized",
        Error::forbidden_msg(format!("({rule}) is disallowed by policy")),
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
