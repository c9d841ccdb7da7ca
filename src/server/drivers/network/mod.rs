//! Network data-plane drivers: what the network service asks of a host.
//!
//! The service computes the whole desired state of this host's data plane from the
//! database (a [`HostPlan`]) and hands it to the driver, which converges the host to it:
//! it makes what is missing, changes what differs and removes what it made earlier that
//! is no longer wanted. The same call serves every API change, the start-up reconcile
//! and recovery after a crash, so the host always ends up matching the database.
//!
//! `linuxbridge` does it with Linux bridges, taps, veths, network namespaces, dnsmasq and
//! nftables; `fake` records the plan in memory and moves no packets. Both are always
//! compiled; `--network-driver` chooses, and the fake says it is one (agents report the
//! driver in their configuration).

pub mod fake;
pub mod linuxbridge;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use async_trait::async_trait;

pub type DriverResult<T> = anyhow::Result<T>;

/// An interface name: a prefix and the start of a resource id, within Linux's 15 bytes
/// (`tap` + 11 characters of a port id, as Neutron names them).
pub fn dev_name(prefix: &str, id: &str) -> String {
    let room = 15usize.saturating_sub(prefix.len());
    format!("{prefix}{}", &id[..room.min(id.len())])
}

/// The tap an instance's port plugs into (QEMU opens it by name).
pub fn tap_name(port_id: &str) -> String {
    dev_name("tap", port_id)
}

/// An address with its prefix length, `10.0.0.1/24`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cidr {
    pub ip: Ipv4Addr,
    pub prefix: u8,
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.ip, self.prefix)
    }
}

/// One network's layer 2: the bridge its ports plug into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgePlan {
    pub network_id: String,
    /// `brq…` for project networks; the physical network's bridge for a flat network.
    pub bridge: String,
    /// A VLAN network: the physical bridge and the VLAN id its traffic is tagged with.
    pub vlan: Option<(String, i64)>,
    pub mtu: i64,
}

/// A security group rule as it applies to one port (remote groups already expanded
/// to addresses).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RulePlan {
    /// `ingress` or `egress`.
    pub direction: String,
    /// `None`: any protocol. Otherwise an IP protocol number.
    pub protocol: Option<u8>,
    /// Destination port range (TCP/UDP), or ICMP type / code.
    pub port_min: Option<i64>,
    pub port_max: Option<i64>,
    /// The remote addresses; empty is any.
    pub remote: Vec<String>,
}

/// An instance's port on this host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TapPlan {
    pub port_id: String,
    pub tap: String,
    pub bridge: String,
    pub mac: String,
    /// Its fixed addresses and allowed address pairs (anti-spoofing lets only these out).
    pub addresses: Vec<String>,
    pub allowed_macs: Vec<String>,
    /// `None`: port security off (no filtering); otherwise the rules of its groups.
    pub rules: Option<Vec<RulePlan>>,
}

/// A subnet dnsmasq serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpSubnet {
    pub subnet_id: String,
    pub network: Cidr,
    pub gateway: Option<Ipv4Addr>,
    pub dns: Vec<String>,
    pub routes: Vec<(String, String)>,
}

/// One network's DHCP server: a namespace with the DHCP port, and dnsmasq.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpPlan {
    pub network_id: String,
    pub namespace: String,
    pub port_id: String,
    pub bridge: String,
    pub mac: String,
    pub addresses: Vec<Cidr>,
    pub mtu: i64,
    pub subnets: Vec<DhcpSubnet>,
    /// (MAC, address, hostname) of every port with an address on its subnets.
    pub hosts: Vec<(String, Ipv4Addr, String)>,
}

/// A router's leg on a network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterPort {
    pub port_id: String,
    pub bridge: String,
    pub mac: String,
    pub addresses: Vec<Cidr>,
}

/// A floating IP the router translates.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FloatingPlan {
    pub floating: Ipv4Addr,
    pub fixed: Ipv4Addr,
}

/// A router: a namespace forwarding between its interfaces, with NAT on its gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterPlan {
    pub router_id: String,
    pub namespace: String,
    pub gateway: Option<RouterPort>,
    /// The external subnet's gateway (the default route).
    pub default_via: Option<Ipv4Addr>,
    pub snat: bool,
    pub interfaces: Vec<RouterPort>,
    pub floating: Vec<FloatingPlan>,
    pub routes: Vec<(String, Ipv4Addr)>,
}

/// The whole desired data plane of one host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostPlan {
    /// Physical network → host bridge (made when missing).
    pub physnets: BTreeMap<String, String>,
    pub bridges: Vec<BridgePlan>,
    pub taps: Vec<TapPlan>,
    pub dhcp: Vec<DhcpPlan>,
    pub routers: Vec<RouterPlan>,
}

/// What a driver finds on the host: enough for the contract tests to compare drivers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostState {
    /// Bridges the driver looks after (physical ones included).
    pub bridges: BTreeSet<String>,
    /// Tap or veth name → the bridge it is plugged into.
    pub ports: BTreeMap<String, String>,
    pub namespaces: BTreeSet<String>,
    /// Namespace → its addresses (`qr-`/`qg-`/`ns-` devices, floating IPs included).
    pub addresses: BTreeMap<String, BTreeSet<String>>,
    /// Router namespace → (floating, fixed) pairs it translates.
    pub nat: BTreeMap<String, BTreeSet<(String, String)>>,
    /// DHCP namespace → the MAC,address pairs it hands out.
    pub dhcp_hosts: BTreeMap<String, BTreeSet<(String, String)>>,
    /// Ports that have security group filtering.
    pub filtered: BTreeSet<String>,
}

impl HostState {
    /// What a correct driver leaves on the host for a plan.
    pub fn expected(plan: &HostPlan) -> HostState {
        let mut s = HostState::default();
        for b in plan.physnets.values() {
            s.bridges.insert(b.clone());
        }
        for b in &plan.bridges {
            s.bridges.insert(b.bridge.clone());
        }
        for t in &plan.taps {
            s.ports.insert(t.tap.clone(), t.bridge.clone());
            if t.rules.is_some() {
                s.filtered.insert(t.tap.clone());
            }
        }
        for d in &plan.dhcp {
            s.ports.insert(tap_name(&d.port_id), d.bridge.clone());
            s.namespaces.insert(d.namespace.clone());
            s.addresses.insert(
                d.namespace.clone(),
                d.addresses.iter().map(|c| c.to_string()).collect(),
            );
            s.dhcp_hosts.insert(
                d.namespace.clone(),
                d.hosts
                    .iter()
                    .map(|(mac, ip, _)| (mac.clone(), ip.to_string()))
                    .collect(),
            );
        }
        for r in &plan.routers {
            s.namespaces.insert(r.namespace.clone());
            let mut addrs = BTreeSet::new();
            for p in r.gateway.iter().chain(r.interfaces.iter()) {
                s.ports.insert(tap_name(&p.port_id), p.bridge.clone());
                addrs.extend(p.addresses.iter().map(|c| c.to_string()));
            }
            if r.gateway.is_some() {
                addrs.extend(r.floating.iter().map(|f| format!("{}/32", f.floating)));
                s.nat.insert(
                    r.namespace.clone(),
                    r.floating
                        .iter()
                        .map(|f| (f.floating.to_string(), f.fixed.to_string()))
                        .collect(),
                );
            }
            s.addresses.insert(r.namespace.clone(), addrs);
        }
        s
    }
}

#[async_trait]
pub trait NetworkDriver: Send + Sync + 'static {
    /// `linuxbridge` or `fake`.
    fn kind(&self) -> &'static str;
    /// Converges the host to the plan (idempotent; removes only what this driver made).
    async fn apply(&self, plan: &HostPlan) -> DriverResult<()>;
    /// What is on the host now.
    async fn observe(&self) -> DriverResult<HostState>;
    /// Whether instances' taps exist for QEMU to open (the fake makes none).
    fn makes_taps(&self) -> bool;
}
