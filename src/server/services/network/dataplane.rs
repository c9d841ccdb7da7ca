//! The data plane: the desired state of this host computed from the database (a
//! [`HostPlan`]) and handed to the driver, after every change and at start. Changes
//! between two applies coalesce; `sync` waits for an apply that began after the call.
//!
//! DHCP ports live here too: a network whose subnets have DHCP keeps one port holding
//! an address on each of them (the DHCP agent's port in Neutron), made and changed in
//! the same transaction as the subnet.

use super::{FloatingIpQuery, PortQuery, RouterQuery};
use crate::server::db::network::Scope;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;

use super::networks::Network;
use super::ports::{FixedIpRequest, OwnedPort, OWNER_ROUTER_GATEWAY, OWNER_ROUTER_INTERFACE};
use super::security_groups::network_of;
use super::subnets::Subnet;
use super::{parse_list, NetworkService};
use crate::server::db::{self, Tx};
use crate::server::drivers::network::{
    tap_name, BridgePlan, Cidr, DhcpPlan, DhcpSubnet, FloatingPlan, HostPlan, RouterPlan,
    RouterPort, RulePlan, TapPlan,
};
use crate::server::error::{Error, Result};

pub const OWNER_DHCP: &str = "network:dhcp";

/// A protocol as a rule names it, as a number.
fn protocol_number(p: &str) -> Option<u8> {
    match p {
        "tcp" => Some(6),
        "udp" => Some(17),
        "icmp" => Some(1),
        "sctp" => Some(132),
        "dccp" => Some(33),
        "gre" => Some(47),
        "esp" => Some(50),
        "ah" => Some(51),
        "ipip" => Some(4),
        "vrrp" => Some(112),
        other => other.parse().ok(),
    }
}

fn cidr_of(ip: &str, subnet: Option<&Subnet>) -> Option<Cidr> {
    let ip: Ipv4Addr = ip.parse().ok()?;
    let prefix = subnet
        .and_then(|s| s.net().ok())
        .map(|n| n.prefix_len())
        .unwrap_or(32);
    Some(Cidr { ip, prefix })
}

impl NetworkService {
    /// Records a change: the data plane catches up in the background.
    pub(super) fn changed(&self) {
        self.dirty.notify_one();
    }

    /// Converges the host now (and waits): an instance's tap must exist before QEMU
    /// opens it.
    pub async fn sync(&self) -> Result<()> {
        let _one = self.applying.lock().await;
        let plan = self.plan().await?;
        self.driver
            .apply(&plan)
            .await
            .map_err(|e| Error::internal("applying the network data plane", e))
    }

    /// Applies after every change (coalesced) until the task is dropped; a failed apply
    /// is retried.
    pub async fn sync_loop(self) {
        loop {
            self.dirty.notified().await;
            if let Err(e) = self.sync().await {
                e.log();
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                self.dirty.notify_one();
            }
        }
    }

    /// The driver, for contract tests and `gureum status`.
    pub fn driver(&self) -> &std::sync::Arc<dyn crate::server::drivers::network::NetworkDriver> {
        &self.driver
    }

    /// Keeps a network's DHCP port holding one address on each subnet with DHCP, and
    /// none at all when no subnet has it.
    pub(super) async fn sync_dhcp_port(&self, tx: &mut Tx, network: &Network) -> Result<()> {
        let subnets: Vec<Subnet> = db::network::subnets_of(tx, &network.id)
            .await?
            .into_iter()
            .map(|r| Subnet::from_row(r, network.external))
            .filter(|s| s.enable_dhcp)
            .collect();
        let port = db::network::port_list(
            tx,
            &Scope::default(),
            &PortQuery {
                network_id: vec![network.id.clone()],
                device_owner: vec![OWNER_DHCP.into()],
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .next();
        match port {
            None if subnets.is_empty() => {}
            Some(p) if subnets.is_empty() => Self::port_delete_owned(tx, &p.id).await?,
            None => {
                self.port_create_owned(
                    tx,
                    network,
                    OwnedPort {
                        project_id: &network.project_id,
                        device_owner: OWNER_DHCP,
                        device_id: &format!("dhcp-{}", network.id),
                        fixed_ips: Some(
                            subnets
                                .iter()
                                .map(|s| FixedIpRequest {
                                    subnet_id: Some(s.id.clone()),
                                    ip_address: None,
                                })
                                .collect(),
                        ),
                    },
                )
                .await?;
            }
            Some(p) => {
                let held = db::network::allocations_of_ports(tx, &[p.id.clone()]).await?;
                for a in &held {
                    if !subnets.iter().any(|s| s.id == a.subnet_id) {
                        db::network::allocation_delete(tx, &a.network_id, &a.ip_address).await?;
                    }
                }
                let missing: Vec<FixedIpRequest> = subnets
                    .iter()
                    .filter(|s| !held.iter().any(|a| a.subnet_id == s.id))
                    .map(|s| FixedIpRequest {
                        subnet_id: Some(s.id.clone()),
                        ip_address: None,
                    })
                    .collect();
                if !missing.is_empty() {
                    super::ports::allocate(tx, network, &subnets, &p.id, Some(missing), &[])
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// The desired data plane of this host, from the database.
    pub async fn plan(&self) -> Result<HostPlan> {
        let mut conn = self.db.conn().await?;
        let c = &mut *conn;
        let mut rows = PlanRows {
            networks: db::network::network_list(c, &Scope::default(), &Default::default()).await?,
            subnet_rows: db::network::subnet_list(c, &Scope::default(), &Default::default())
                .await?,
            port_rows: db::network::port_list(c, &Scope::default(), &Default::default()).await?,
            routers: db::l3::router_list(c, &Scope::default(), &RouterQuery::default()).await?,
            fips: db::l3::fip_list(c, &Scope::default(), &FloatingIpQuery::default()).await?,
            ..Default::default()
        };
        let port_ids: Vec<String> = rows.port_rows.iter().map(|p| p.id.clone()).collect();
        rows.allocations = db::network::allocations_of_ports(c, &port_ids).await?;
        rows.port_groups = db::network::port_groups_of(c, &port_ids).await?;
        let mut group_ids: Vec<String> = rows.port_groups.iter().map(|(_, g)| g.clone()).collect();
        group_ids.sort();
        group_ids.dedup();
        rows.rules = db::network::rules_of(c, &group_ids).await?;
        drop(conn);
        Ok(plan_from(rows, &self.host, &self.config.physnets))
    }
}

/// What a host's plan is computed from: the rows `plan()` reads.
#[derive(Default)]
pub(super) struct PlanRows {
    pub networks: Vec<db::network::NetworkRow>,
    pub subnet_rows: Vec<db::network::SubnetRow>,
    pub port_rows: Vec<db::network::PortRow>,
    pub allocations: Vec<db::network::AllocationRow>,
    pub routers: Vec<db::l3::RouterRow>,
    pub fips: Vec<db::l3::FloatingIpRow>,
    /// (port, security group).
    pub port_groups: Vec<(String, String)>,
    pub rules: Vec<db::network::RuleRow>,
}

/// The desired data plane of `host`: a function of the rows alone, so it is tested
/// without a database or a host.
pub(super) fn plan_from(
    rows: PlanRows,
    host: &str,
    physnets: &BTreeMap<String, String>,
) -> HostPlan {
    let PlanRows {
        networks,
        subnet_rows,
        port_rows,
        allocations,
        routers,
        fips,
        port_groups,
        rules,
    } = rows;
    let external: HashSet<&str> = networks
        .iter()
        .filter(|n| n.external != 0)
        .map(|n| n.id.as_str())
        .collect();
    let subnets: HashMap<String, Subnet> = subnet_rows
        .into_iter()
        .map(|r| {
            let ext = external.contains(r.network_id.as_str());
            (r.id.clone(), Subnet::from_row(r, ext))
        })
        .collect();
    let mut plan = HostPlan {
        physnets: physnets.clone(),
        ..Default::default()
    };
    // Each network's bridge.
    let mut bridge_of: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for n in &networks {
        let bridge = match (n.network_type.as_str(), n.physical_network.as_deref()) {
            ("flat", Some(p)) => match physnets.get(p) {
                Some(b) => b.clone(),
                None => continue,
            },
            ("vlan", Some(p)) if physnets.contains_key(p) => {
                crate::server::drivers::network::dev_name("brq", &n.id)
            }
            ("local", _) => crate::server::drivers::network::dev_name("brq", &n.id),
            _ => continue,
        };
        bridge_of.insert(n.id.clone(), (bridge, n.mtu));
    }
    let used: HashSet<&str> = port_rows.iter().map(|p| p.network_id.as_str()).collect();
    for n in &networks {
        let Some((bridge, mtu)) = bridge_of.get(&n.id) else {
            continue;
        };
        if !used.contains(n.id.as_str()) {
            continue;
        }
        let vlan = match (
            n.network_type.as_str(),
            &n.physical_network,
            n.segmentation_id,
        ) {
            ("vlan", Some(p), Some(vid)) => physnets.get(p).map(|b| (b.clone(), vid)),
            _ => None,
        };
        plan.bridges.push(BridgePlan {
            network_id: n.id.clone(),
            bridge: bridge.clone(),
            vlan,
            mtu: *mtu,
        });
    }
    let addresses_of = |port_id: &str| -> Vec<(String, Option<&Subnet>)> {
        let mut list: Vec<_> = allocations
            .iter()
            .filter(|a| a.port_id == port_id)
            .map(|a| (a.ip_address.clone(), subnets.get(&a.subnet_id)))
            .collect();
        list.sort_by_key(|(ip, _)| ip.parse::<Ipv4Addr>().map(u32::from).unwrap_or(0));
        list
    };
    let cidrs_of = |port_id: &str| -> Vec<Cidr> {
        addresses_of(port_id)
            .into_iter()
            .filter_map(|(ip, s)| cidr_of(&ip, s))
            .collect()
    };
    // Members of each group, for rules whose remote is a group.
    let mut members: HashMap<&str, Vec<String>> = HashMap::new();
    for (port, group) in &port_groups {
        for (ip, _) in addresses_of(port) {
            members.entry(group.as_str()).or_default().push(ip);
        }
    }
    // Instances' ports bound to this host.
    for p in &port_rows {
        if !p.device_owner.starts_with("compute:") || p.binding_host_id != host {
            continue;
        }
        let Some((bridge, _)) = bridge_of.get(&p.network_id) else {
            continue;
        };
        let pairs: Vec<super::AddressPair> = parse_list(&p.allowed_address_pairs);
        let mut addrs: Vec<String> = addresses_of(&p.id).into_iter().map(|(ip, _)| ip).collect();
        addrs.extend(pairs.iter().map(|a| a.ip_address.clone()));
        let rules = (p.port_security_enabled != 0).then(|| {
            let mine: Vec<&String> = port_groups
                .iter()
                .filter(|(port, _)| port == &p.id)
                .map(|(_, g)| g)
                .collect();
            let mut out: Vec<RulePlan> = Vec::new();
            for r in rules
                .iter()
                .filter(|r| mine.contains(&&r.security_group_id))
            {
                if r.ethertype != "IPv4" {
                    continue;
                }
                let remote = match (&r.remote_ip_prefix, &r.remote_group_id) {
                    (Some(prefix), _) if network_of(prefix) != "0.0.0.0/0" => {
                        vec![network_of(prefix)]
                    }
                    (_, Some(g)) => match members.get(g.as_str()) {
                        Some(list) if !list.is_empty() => list.clone(),
                        _ => continue,
                    },
                    _ => Vec::new(),
                };
                let protocol = match r.protocol.as_deref() {
                    None | Some("any") => None,
                    Some(name) => match protocol_number(name) {
                        Some(n) => Some(n),
                        None => continue,
                    },
                };
                out.push(RulePlan {
                    direction: r.direction.clone(),
                    protocol,
                    port_min: r.port_range_min,
                    port_max: r.port_range_max,
                    remote,
                });
            }
            out.sort();
            out.dedup();
            out
        });
        plan.taps.push(TapPlan {
            port_id: p.id.clone(),
            tap: tap_name(&p.id),
            bridge: bridge.clone(),
            mac: p.mac_address.clone(),
            addresses: addrs,
            allowed_macs: pairs
                .iter()
                .map(|a| a.mac_address.clone())
                .filter(|m| m != &p.mac_address)
                .collect(),
            rules,
        });
    }
    // DHCP servers.
    for p in port_rows.iter().filter(|p| p.device_owner == OWNER_DHCP) {
        let Some((bridge, mtu)) = bridge_of.get(&p.network_id) else {
            continue;
        };
        let dhcp_subnets: Vec<&Subnet> = subnets
            .values()
            .filter(|s| s.network_id == p.network_id && s.enable_dhcp)
            .collect();
        let mut hosts = Vec::new();
        for other in port_rows
            .iter()
            .filter(|o| o.network_id == p.network_id && o.id != p.id)
        {
            for (ip, s) in addresses_of(&other.id) {
                if s.is_some_and(|s| s.enable_dhcp) {
                    if let Ok(addr) = ip.parse::<Ipv4Addr>() {
                        hosts.push((
                            other.mac_address.clone(),
                            addr,
                            format!("host-{}", ip.replace('.', "-")),
                        ));
                    }
                }
            }
        }
        hosts.sort();
        let mut list: Vec<DhcpSubnet> = dhcp_subnets
            .iter()
            .filter_map(|s| {
                let net = s.net().ok()?;
                Some(DhcpSubnet {
                    subnet_id: s.id.clone(),
                    network: Cidr {
                        ip: net.network(),
                        prefix: net.prefix_len(),
                    },
                    gateway: s.gateway_ip.as_deref().and_then(|g| g.parse().ok()),
                    dns: s.dns_nameservers.clone(),
                    routes: s
                        .host_routes
                        .iter()
                        .map(|r| (r.destination.clone(), r.nexthop.clone()))
                        .collect(),
                })
            })
            .collect();
        list.sort_by(|a, b| a.subnet_id.cmp(&b.subnet_id));
        plan.dhcp.push(DhcpPlan {
            network_id: p.network_id.clone(),
            namespace: format!("qdhcp-{}", p.network_id),
            port_id: p.id.clone(),
            bridge: bridge.clone(),
            mac: p.mac_address.clone(),
            addresses: cidrs_of(&p.id),
            mtu: *mtu,
            subnets: list,
            hosts,
        });
    }
    // Routers.
    for r in &routers {
        let leg = |port: &db::network::PortRow| -> Option<RouterPort> {
            let (bridge, _) = bridge_of.get(&port.network_id)?;
            Some(RouterPort {
                port_id: port.id.clone(),
                bridge: bridge.clone(),
                mac: port.mac_address.clone(),
                addresses: cidrs_of(&port.id),
            })
        };
        let gw_port = r.gw_port_id.as_deref().and_then(|id| {
            port_rows
                .iter()
                .find(|p| p.id == id && p.device_owner == OWNER_ROUTER_GATEWAY)
        });
        let gateway = gw_port.and_then(leg);
        let default_via = gw_port.and_then(|p| {
            addresses_of(&p.id)
                .into_iter()
                .find_map(|(_, s)| s?.gateway_ip.as_deref()?.parse().ok())
        });
        let interfaces: Vec<RouterPort> = port_rows
            .iter()
            .filter(|p| p.device_id == r.id && p.device_owner == OWNER_ROUTER_INTERFACE)
            // Only the router's own project's ports are its interfaces.
            .filter(|p| p.project_id == r.project_id)
            .filter_map(leg)
            .collect();
        if gateway.is_none() && interfaces.is_empty() {
            continue;
        }
        let mut floating: Vec<FloatingPlan> = fips
            .iter()
            .filter(|f| f.router_id.as_deref() == Some(r.id.as_str()))
            .filter_map(|f| {
                Some(FloatingPlan {
                    floating: f.floating_ip_address.parse().ok()?,
                    fixed: f.fixed_ip_address.as_deref()?.parse().ok()?,
                })
            })
            .collect();
        floating.sort();
        let routes: Vec<super::Route> = parse_list(&r.routes);
        plan.routers.push(RouterPlan {
            router_id: r.id.clone(),
            namespace: format!("qrouter-{}", r.id),
            gateway,
            default_via,
            snat: r.enable_snat != 0,
            interfaces,
            floating,
            routes: routes
                .into_iter()
                .filter_map(|x| Some((x.destination, x.nexthop.parse().ok()?)))
                .collect(),
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::l3::{FloatingIpRow, RouterRow};
    use crate::server::db::network::{AllocationRow, NetworkRow, PortRow, RuleRow, SubnetRow};

    fn network(id: &str, kind: &str, physnet: Option<&str>, external: bool) -> NetworkRow {
        NetworkRow {
            id: id.into(),
            project_id: "p1".into(),
            name: id.into(),
            network_type: kind.into(),
            physical_network: physnet.map(str::to_string),
            external: external as i64,
            mtu: 1500,
            tags: "[]".into(),
            ..Default::default()
        }
    }

    fn subnet(id: &str, network: &str, cidr: &str, gateway: &str, dhcp: bool) -> SubnetRow {
        SubnetRow {
            id: id.into(),
            network_id: network.into(),
            project_id: "p1".into(),
            ip_version: 4,
            cidr: cidr.into(),
            gateway_ip: Some(gateway.into()),
            enable_dhcp: dhcp as i64,
            allocation_pools: "[]".into(),
            dns_nameservers: r#"["192.0.2.53"]"#.into(),
            host_routes: "[]".into(),
            tags: "[]".into(),
            ..Default::default()
        }
    }

    fn port(id: &str, network: &str, owner: &str, device: &str, host: &str, mac: &str) -> PortRow {
        PortRow {
            id: id.into(),
            network_id: network.into(),
            project_id: "p1".into(),
            mac_address: mac.into(),
            device_id: device.into(),
            device_owner: owner.into(),
            port_security_enabled: 1,
            allowed_address_pairs: "[]".into(),
            binding_host_id: host.into(),
            tags: "[]".into(),
            ..Default::default()
        }
    }

    fn address(network: &str, subnet: &str, port: &str, ip: &str) -> AllocationRow {
        AllocationRow {
            network_id: network.into(),
            subnet_id: subnet.into(),
            port_id: port.into(),
            ip_address: ip.into(),
        }
    }

    fn rule(
        direction: &str,
        protocol: Option<&str>,
        port: Option<i64>,
        remote_group: Option<&str>,
    ) -> RuleRow {
        RuleRow {
            security_group_id: "sg1".into(),
            direction: direction.into(),
            ethertype: "IPv4".into(),
            protocol: protocol.map(str::to_string),
            port_range_min: port,
            port_range_max: port,
            remote_group_id: remote_group.map(str::to_string),
            ..Default::default()
        }
    }

    /// A host with an external flat network and a project network with DHCP, two
    /// instances on it (one on another host, which is left out), a router with a gateway,
    /// an interface and a floating IP, and a security group whose rules name a port, a
    /// protocol and a remote group. A change to the plan shows here as a diff to review.
    #[test]
    fn the_plan_of_a_small_cloud() {
        let rows = PlanRows {
            networks: vec![
                network("ext", "flat", Some("physnet1"), true),
                network("net1", "local", None, false),
            ],
            subnet_rows: vec![
                subnet("s-ext", "ext", "203.0.113.0/24", "203.0.113.1", false),
                subnet("s1", "net1", "10.0.0.0/24", "10.0.0.1", true),
            ],
            port_rows: vec![
                port("dhcp1", "net1", OWNER_DHCP, "dhcp", "", "fa:16:3e:00:00:02"),
                port(
                    "vm1",
                    "net1",
                    "compute:nova",
                    "i1",
                    "host-a",
                    "fa:16:3e:00:00:10",
                ),
                port(
                    "vm2",
                    "net1",
                    "compute:nova",
                    "i2",
                    "host-b",
                    "fa:16:3e:00:00:11",
                ),
                port(
                    "gw1",
                    "ext",
                    OWNER_ROUTER_GATEWAY,
                    "r1",
                    "",
                    "fa:16:3e:00:00:05",
                ),
                port(
                    "rif1",
                    "net1",
                    OWNER_ROUTER_INTERFACE,
                    "r1",
                    "",
                    "fa:16:3e:00:00:01",
                ),
                port(
                    "fip1",
                    "ext",
                    "network:floatingip",
                    "f1",
                    "",
                    "fa:16:3e:00:00:20",
                ),
            ],
            allocations: vec![
                address("net1", "s1", "dhcp1", "10.0.0.2"),
                address("net1", "s1", "vm1", "10.0.0.10"),
                address("net1", "s1", "vm2", "10.0.0.11"),
                address("ext", "s-ext", "gw1", "203.0.113.5"),
                address("net1", "s1", "rif1", "10.0.0.1"),
                address("ext", "s-ext", "fip1", "203.0.113.20"),
            ],
            routers: vec![RouterRow {
                id: "r1".into(),
                project_id: "p1".into(),
                gw_network_id: Some("ext".into()),
                gw_port_id: Some("gw1".into()),
                enable_snat: 1,
                routes: "[]".into(),
                tags: "[]".into(),
                ..Default::default()
            }],
            fips: vec![FloatingIpRow {
                id: "f1".into(),
                floating_ip_address: "203.0.113.20".into(),
                fixed_ip_address: Some("10.0.0.10".into()),
                port_id: Some("vm1".into()),
                router_id: Some("r1".into()),
                ..Default::default()
            }],
            port_groups: vec![("vm1".into(), "sg1".into()), ("vm2".into(), "sg1".into())],
            rules: vec![
                rule("egress", None, None, None),
                rule("ingress", Some("tcp"), Some(22), None),
                rule("ingress", Some("icmp"), None, Some("sg1")),
            ],
        };
        let physnets = BTreeMap::from([("physnet1".to_string(), "br-ex".to_string())]);
        insta::assert_debug_snapshot!(plan_from(rows, "host-a", &physnets));
    }
}
