//! What the compute service asks of networking for its instances: binding a port to an
//! instance on a host, letting it go, and the addresses and security groups a server
//! body shows. The compute service has authorized the instance; these calls act on the
//! ports it recorded for it.

use super::{NetworkQuery, PortQuery};
use crate::server::db::network::Scope;
use std::collections::HashMap;

use super::ports::Port;
use super::NetworkService;
use crate::server::db::{self};
use crate::server::error::Result;
use crate::server::services::now;

/// The device owner of instances' ports.
pub const OWNER_COMPUTE: &str = "compute:nova";

/// A port as the hypervisor plugs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vif {
    pub port_id: String,
    pub mac: String,
    pub tap: Option<String>,
}

/// One address of an instance, as Nova's `addresses` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceAddress {
    pub network_name: String,
    pub version: u8,
    pub addr: String,
    /// `fixed` or `floating`.
    pub kind: &'static str,
    pub mac: String,
}

/// An instance's addresses (per interface in order, each fixed address followed by its
/// floating one) and the names of its ports' security groups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceNetworking {
    pub addresses: Vec<InstanceAddress>,
    pub security_groups: Vec<String>,
}

impl NetworkService {
    /// Binds a port to an instance on a host: the port is the instance's and active.
    pub async fn port_bind(&self, port_id: &str, instance_id: &str, host: &str) -> Result<Port> {
        let mut conn = self.db.conn().await?;
        let Some(mut row) = db::get::<db::network::PortRow>(&mut conn, port_id).await? else {
            return Err(super::not_found("port", port_id));
        };
        row.device_id = instance_id.to_string();
        row.device_owner = OWNER_COMPUTE.to_string();
        row.binding_host_id = host.to_string();
        row.binding_vif_type = "bridge".into();
        row.status = "ACTIVE".into();
        row.revision_number += 1;
        row.updated_at = now();
        db::save(&mut conn, &row).await?;
        drop(conn);
        self.changed();
        self.port_unchecked(port_id).await
    }

    /// Lets a port go from its instance (a port the user brought, kept after the instance).
    pub async fn port_unbind(&self, port_id: &str) -> Result<()> {
        let mut conn = self.db.conn().await?;
        let Some(mut row) = db::get::<db::network::PortRow>(&mut conn, port_id).await? else {
            return Ok(());
        };
        row.device_id = String::new();
        row.device_owner = String::new();
        row.binding_host_id = String::new();
        row.binding_vif_type = "unbound".into();
        row.status = "DOWN".into();
        row.revision_number += 1;
        row.updated_at = now();
        db::save(&mut conn, &row).await?;
        self.changed();
        Ok(())
    }

    /// Deletes a port made for an instance; its floating IPs stay, let go. A port that
    /// is gone already is fine (undo and retries call this again).
    pub async fn port_release(&self, port_id: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        db::l3::fips_disassociate_port(&mut tx, port_id, now()).await?;
        Self::port_delete_owned(&mut tx, port_id).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// The host side of ports, in the order given: MAC and tap (none with a driver that
    /// makes no taps). Ports that are gone are left out.
    pub async fn vifs(&self, port_ids: &[String]) -> Result<Vec<Vif>> {
        let mut conn = self.db.conn().await?;
        let rows = db::network::port_list(
            &mut conn,
            &Scope::default(),
            &PortQuery {
                ids: port_ids.to_vec(),
                ..Default::default()
            },
        )
        .await?;
        let taps = self.driver.makes_taps();
        Ok(port_ids
            .iter()
            .filter_map(|id| rows.iter().find(|r| &r.id == id))
            .map(|r| Vif {
                port_id: r.id.clone(),
                mac: r.mac_address.clone(),
                tap: taps.then(|| crate::server::drivers::network::tap_name(&r.id)),
            })
            .collect())
    }

    /// A port without the caller's check.
    pub(super) async fn port_unchecked(&self, id: &str) -> Result<Port> {
        self.ports_unchecked(&[id.to_string()])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| super::not_found("port", id))
    }

    /// Ports of an instance the compute service authorized, in the order given; ports
    /// that are gone are left out.
    pub async fn ports_unchecked(&self, ids: &[String]) -> Result<Vec<Port>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.db.conn().await?;
        let rows = db::network::port_list(
            &mut conn,
            &Scope::default(),
            &PortQuery {
                ids: ids.to_vec(),
                ..Default::default()
            },
        )
        .await?;
        drop(conn);
        let mut ports = self.ports_from_rows(rows).await?;
        ports.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
        Ok(ports)
    }

    /// The networking of instances, from their interfaces `(instance id, port id)` in
    /// order. One query per table, whatever the number of instances.
    pub async fn instance_networking(
        &self,
        nics: &[(String, String)],
    ) -> Result<HashMap<String, InstanceNetworking>> {
        let mut out: HashMap<String, InstanceNetworking> = HashMap::new();
        if nics.is_empty() {
            return Ok(out);
        }
        let port_ids: Vec<String> = nics.iter().map(|(_, p)| p.clone()).collect();
        let mut conn = self.db.conn().await?;
        let ports = db::network::port_list(
            &mut conn,
            &Scope::default(),
            &PortQuery {
                ids: port_ids.clone(),
                ..Default::default()
            },
        )
        .await?;
        let mut network_ids: Vec<String> = ports.iter().map(|p| p.network_id.clone()).collect();
        network_ids.sort();
        network_ids.dedup();
        let networks = db::network::network_list(
            &mut conn,
            &Scope::default(),
            &NetworkQuery {
                ids: network_ids,
                ..Default::default()
            },
        )
        .await?;
        let allocations = db::network::allocations_of_ports(&mut conn, &port_ids).await?;
        let floating = db::l3::fips_of_ports(&mut conn, &port_ids).await?;
        let groups = db::network::port_groups_of(&mut conn, &port_ids).await?;
        let mut group_ids: Vec<String> = groups.iter().map(|(_, g)| g.clone()).collect();
        group_ids.sort();
        group_ids.dedup();
        let group_names: HashMap<String, String> = db::network::sg_names(&mut conn, &group_ids)
            .await?
            .into_iter()
            .collect();
        for (instance, port_id) in nics {
            let Some(port) = ports.iter().find(|p| &p.id == port_id) else {
                continue;
            };
            let name = networks
                .iter()
                .find(|n| n.id == port.network_id)
                .map(|n| n.name.clone())
                .unwrap_or_default();
            let entry = out.entry(instance.clone()).or_default();
            let mut mine: Vec<_> = allocations
                .iter()
                .filter(|a| &a.port_id == port_id)
                .collect();
            mine.sort_by_key(|a| {
                a.ip_address
                    .parse::<std::net::Ipv4Addr>()
                    .map(u32::from)
                    .unwrap_or(u32::MAX)
            });
            for a in mine {
                let address = |addr: &str, kind| InstanceAddress {
                    network_name: name.clone(),
                    version: if addr.contains(':') { 6 } else { 4 },
                    addr: addr.to_string(),
                    kind,
                    mac: port.mac_address.clone(),
                };
                entry.addresses.push(address(&a.ip_address, "fixed"));
                for f in floating.iter().filter(|f| {
                    f.port_id.as_deref() == Some(port_id.as_str())
                        && f.fixed_ip_address.as_deref() == Some(a.ip_address.as_str())
                }) {
                    entry
                        .addresses
                        .push(address(&f.floating_ip_address, "floating"));
                }
            }
            for (_, g) in groups.iter().filter(|(p, _)| p == port_id) {
                if let Some(n) = group_names.get(g) {
                    if !entry.security_groups.contains(n) {
                        entry.security_groups.push(n.clone());
                    }
                }
            }
        }
        Ok(out)
    }
}
