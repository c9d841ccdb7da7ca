//! Host aggregates and the availability zones they make: an aggregate with a zone puts
//! its hosts in that zone; a host in no such aggregate is in the default zone, `nova`.
//! Administrators only, as in Nova.

use std::collections::BTreeMap;

use super::ComputeService;
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, scheduling::AggregateRow};
use crate::server::error::{Error, Result};
use crate::server::services::now;

/// The zone of every host that is in no aggregate with a zone.
pub const DEFAULT_ZONE: &str = "nova";

/// A host aggregate.
#[derive(Clone, Debug)]
pub struct Aggregate {
    pub id: String,
    /// The integer id Nova's API shows.
    pub num: i64,
    pub name: String,
    pub availability_zone: Option<String>,
    pub hosts: Vec<String>,
    /// Without `availability_zone`, which [`Aggregate::shown_metadata`] adds.
    pub metadata: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: Option<i64>,
}

impl Aggregate {
    fn from_row(r: AggregateRow) -> Result<Aggregate> {
        Ok(Aggregate {
            hosts: serde_json::from_str(&r.hosts)
                .map_err(|e| Error::internal("reading an aggregate's hosts", e))?,
            metadata: serde_json::from_str(&r.metadata)
                .map_err(|e| Error::internal("reading an aggregate's metadata", e))?,
            id: r.id,
            num: r.num,
            name: r.name,
            availability_zone: r.availability_zone,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn to_row(&self) -> AggregateRow {
        AggregateRow {
            id: self.id.clone(),
            num: self.num,
            name: self.name.clone(),
            availability_zone: self.availability_zone.clone(),
            hosts: serde_json::to_string(&self.hosts).unwrap_or_else(|_| "[]".into()),
            metadata: serde_json::to_string(&self.metadata).unwrap_or_else(|_| "{}".into()),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The metadata as Nova shows it: the zone is one of its keys.
    pub fn shown_metadata(&self) -> BTreeMap<String, String> {
        let mut m = self.metadata.clone();
        if let Some(az) = &self.availability_zone {
            m.insert("availability_zone".into(), az.clone());
        }
        m
    }
}

/// An availability zone and the hosts in it.
#[derive(Clone, Debug)]
pub struct Zone {
    pub name: String,
    pub hosts: Vec<super::Hypervisor>,
}

/// A change to an aggregate's metadata: `None` removes the key.
pub type MetadataChange = BTreeMap<String, Option<String>>;

/// Nova's names: 1 to 255 characters, no leading or trailing white space.
fn check_name(field: &str, value: &str) -> Result<()> {
    let n = value.chars().count();
    if n == 0 || n > 255 || value.trim() != value {
        return Err(Error::invalid(msg!(
            "Invalid input for field/attribute {field}. Value: {value}. It must be 1 to 255 characters without leading or trailing white space.",
            field,
            value
        )));
    }
    Ok(())
}

/// The zone of `host` given every aggregate.
pub fn zone_of(aggregates: &[Aggregate], host: &str) -> String {
    aggregates
        .iter()
        .filter(|a| a.hosts.iter().any(|h| h == host))
        .find_map(|a| a.availability_zone.clone())
        .unwrap_or_else(|| DEFAULT_ZONE.to_string())
}

impl ComputeService {
    pub(super) async fn aggregates_all(&self) -> Result<Vec<Aggregate>> {
        let mut conn = self.db.conn().await?;
        db::scheduling::aggregate_list(&mut conn)
            .await?
            .into_iter()
            .map(Aggregate::from_row)
            .collect()
    }

    async fn aggregate_find(&self, id: &str) -> Result<Aggregate> {
        let mut conn = self.db.conn().await?;
        let row = db::scheduling::aggregate_find(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("aggregate", id))?;
        Aggregate::from_row(row)
    }

    async fn aggregate_save(&self, a: &mut Aggregate) -> Result<()> {
        a.updated_at = Some(now());
        let mut conn = self.db.conn().await?;
        db::save(&mut conn, &a.to_row()).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                let name = &a.name;
                Error::Conflict(msg!("Aggregate {name} already exists.", name))
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    pub async fn aggregate_list(&self, ctx: &OpCtx) -> Result<Vec<Aggregate>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("os_compute_api:os-aggregates:index"),
        )?;
        self.aggregates_all().await
    }

    pub async fn aggregate_get(&self, ctx: &OpCtx, id: &str) -> Result<Aggregate> {
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("os_compute_api:os-aggregates:show"),
        )?;
        self.aggregate_find(id).await
    }

    pub async fn aggregate_create(
        &self,
        ctx: &OpCtx,
        name: &str,
        availability_zone: Option<&str>,
    ) -> Result<Aggregate> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("os_compute_api:os-aggregates:create"),
        )?;
        check_name("name", name)?;
        if let Some(az) = availability_zone {
            check_name("availability_zone", az)?;
        }
        let _claim = self.claims.lock().await;
        let mut conn = self.db.conn().await?;
        let a = Aggregate {
            id: uuid::Uuid::new_v4().to_string(),
            num: db::scheduling::aggregate_next_num(&mut conn).await?,
            name: name.to_string(),
            availability_zone: availability_zone.map(str::to_string),
            hosts: Vec::new(),
            metadata: BTreeMap::new(),
            created_at: now(),
            updated_at: None,
        };
        db::insert(&mut conn, &a.to_row()).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                Error::Conflict(msg!("Aggregate {name} already exists.", name))
            } else {
                e.into()
            }
        })?;
        Ok(a)
    }

    /// Renames an aggregate or moves it to another zone (`Some(None)` takes it out of any).
    pub async fn aggregate_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        name: Option<&str>,
        availability_zone: Option<Option<&str>>,
    ) -> Result<Aggregate> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("os_compute_api:os-aggregates:update"),
        )?;
        if let Some(name) = name {
            check_name("name", name)?;
        }
        if let Some(Some(az)) = availability_zone {
            check_name("availability_zone", az)?;
        }
        let _claim = self.claims.lock().await;
        let mut a = self.aggregate_find(id).await?;
        if let Some(name) = name {
            a.name = name.to_string();
        }
        if let Some(az) = availability_zone {
            let az = az.map(str::to_string);
            self.check_zone_move(&a, &a.hosts, az.as_deref()).await?;
            a.availability_zone = az;
        }
        self.aggregate_save(&mut a).await?;
        Ok(a)
    }

    /// Deletes an aggregate that holds no host (Nova refuses otherwise).
    pub async fn aggregate_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("os_compute_api:os-aggregates:delete"),
        )?;
        let _claim = self.claims.lock().await;
        let a = self.aggregate_find(id).await?;
        if !a.hosts.is_empty() {
            let name = &a.name;
            return Err(Error::invalid(msg!(
                "Cannot delete aggregate {name}: it still has hosts; remove them first.",
                name
            )));
        }
        let mut conn = self.db.conn().await?;
        db::delete::<AggregateRow>(&mut conn, &a.id).await?;
        Ok(())
    }

    /// Refuses to put `hosts` in zone `az` through aggregate `a` when another aggregate
    /// already puts one of them in a different zone (a host is in one zone).
    async fn check_zone_move(
        &self,
        a: &Aggregate,
        hosts: &[String],
        az: Option<&str>,
    ) -> Result<()> {
        let Some(az) = az else { return Ok(()) };
        for other in self.aggregates_all().await? {
            if other.id == a.id {
                continue;
            }
            let Some(other_az) = &other.availability_zone else {
                continue;
            };
            if other_az == az {
                continue;
            }
            if let Some(host) = hosts.iter().find(|h| other.hosts.contains(h)) {
                let (name, other_name) = (&a.name, &other.name);
                return Err(Error::Conflict(msg!(
                    "Cannot put host {host} in zone {az} through aggregate {name}: aggregate {other_name} already puts it in zone {other_az}.",
                    host,
                    az,
                    name,
                    other_name,
                    other_az
                )));
            }
        }
        Ok(())
    }

    pub async fn aggregate_add_host(&self, ctx: &OpCtx, id: &str, host: &str) -> Result<Aggregate> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("os_compute_api:os-aggregates:add_host"),
        )?;
        let _claim = self.claims.lock().await;
        let mut a = self.aggregate_find(id).await?;
        let mut conn = self.db.conn().await?;
        let Some(node) = db::compute::node_get_by_host(&mut conn, host).await? else {
            return Err(Error::NotFound {
                kind: "compute host",
                id: host.to_string(),
            });
        };
        drop(conn);
        if a.hosts.iter().any(|h| h == host) {
            let name = &a.name;
            return Err(Error::Conflict(msg!(
                "Aggregate {name} already has host {host}.",
                name,
                host
            )));
        }
        self.check_zone_move(&a, &[host.to_string()], a.availability_zone.as_deref())
            .await?;
        a.hosts.push(host.to_string());
        self.aggregate_save(&mut a).await?;
        self.placement.node_aggregate(&node.id, &a.id, true).await?;
        Ok(a)
    }

    pub async fn aggregate_remove_host(
        &self,
        ctx: &OpCtx,
        id: &str,
        host: &str,
    ) -> Result<Aggregate> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("os_compute_api:os-aggregates:remove_host"),
        )?;
        let _claim = self.claims.lock().await;
        let mut a = self.aggregate_find(id).await?;
        let before = a.hosts.len();
        a.hosts.retain(|h| h != host);
        if a.hosts.len() == before {
            return Err(Error::NotFound {
                kind: "aggregate host",
                id: format!("{host} in aggregate {}", a.name),
            });
        }
        self.aggregate_save(&mut a).await?;
        let mut conn = self.db.conn().await?;
        let node = db::compute::node_get_by_host(&mut conn, host).await?;
        drop(conn);
        if let Some(node) = node {
            self.placement
                .node_aggregate(&node.id, &a.id, false)
                .await?;
        }
        Ok(a)
    }

    /// Brings the node's provider into the aggregates that hold its host (at start, as
    /// `nova-manage placement sync_aggregates` does: it adds, never removes).
    pub(crate) async fn sync_node_aggregates(&self, node_id: &str, host: &str) -> Result<()> {
        for a in self.aggregates_all().await? {
            if a.hosts.iter().any(|h| h == host) {
                self.placement.node_aggregate(node_id, &a.id, true).await?;
            }
        }
        Ok(())
    }

    /// Sets and removes metadata keys; `availability_zone` moves the aggregate's zone.
    pub async fn aggregate_set_metadata(
        &self,
        ctx: &OpCtx,
        id: &str,
        change: MetadataChange,
    ) -> Result<Aggregate> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("os_compute_api:os-aggregates:set_metadata"),
        )?;
        for (k, v) in &change {
            check_name("metadata key", k)?;
            if let (Some(az), "availability_zone") = (v, k.as_str()) {
                check_name("availability_zone", az)?;
            }
            if let Some(v) = v {
                if v.chars().count() > 255 {
                    return Err(Error::invalid(msg!(
                        "Invalid input for field/attribute metadata value of {k}: it is over 255 characters.",
                        k
                    )));
                }
            }
        }
        let _claim = self.claims.lock().await;
        let mut a = self.aggregate_find(id).await?;
        for (k, v) in change {
            if k == "availability_zone" {
                self.check_zone_move(&a, &a.hosts, v.as_deref()).await?;
                a.availability_zone = v;
            } else {
                match v {
                    Some(v) => a.metadata.insert(k, v),
                    None => a.metadata.remove(&k),
                };
            }
        }
        self.aggregate_save(&mut a).await?;
        Ok(a)
    }

    /// The availability zones with their hosts (every compute host is in exactly one).
    /// Anyone may list the zones; [`ComputeService::compute_services`] guards the hosts.
    pub(super) async fn zones(&self) -> Result<Vec<Zone>> {
        let aggregates = self.aggregates_all().await?;
        let mut conn = self.db.conn().await?;
        let mut zones: BTreeMap<String, Vec<super::Hypervisor>> = BTreeMap::new();
        for node in db::compute::node_list(&mut conn).await? {
            zones
                .entry(zone_of(&aggregates, &node.host))
                .or_default()
                .push(node);
        }
        Ok(zones
            .into_iter()
            .map(|(name, hosts)| Zone { name, hosts })
            .collect())
    }

    /// The zones without their hosts, for anyone (`GET /os-availability-zone`).
    pub async fn zones_brief(&self, ctx: &OpCtx) -> Result<Vec<Zone>> {
        authorize(ctx, Action::List, Resource::Catalog)?;
        let mut zones = self.zones().await?;
        for z in &mut zones {
            z.hosts.clear();
        }
        Ok(zones)
    }

    /// The zones with their hosts, for administrators (`/os-availability-zone/detail`).
    pub async fn zones_detail(&self, ctx: &OpCtx) -> Result<Vec<Zone>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("os_compute_api:os-availability-zone:detail"),
        )?;
        self.zones().await
    }

    /// Every compute host's zone, for views that show it (`/os-services`).
    pub async fn host_zones(&self, ctx: &OpCtx) -> Result<BTreeMap<String, String>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("os_compute_api:os-services:list"),
        )?;
        let aggregates = self.aggregates_all().await?;
        let mut conn = self.db.conn().await?;
        Ok(db::compute::node_list(&mut conn)
            .await?
            .into_iter()
            .map(|n| {
                let zone = zone_of(&aggregates, &n.host);
                (n.host, zone)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aggregate(name: &str, az: Option<&str>, hosts: &[&str]) -> Aggregate {
        Aggregate {
            id: name.into(),
            num: 1,
            name: name.into(),
            availability_zone: az.map(str::to_string),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            metadata: BTreeMap::new(),
            created_at: 0,
            updated_at: None,
        }
    }

    #[test]
    fn a_host_is_in_its_aggregates_zone_or_the_default_one() {
        let list = [
            aggregate("fast", None, &["a", "b"]),
            aggregate("east", Some("east"), &["b"]),
        ];
        assert_eq!(zone_of(&list, "a"), "nova");
        assert_eq!(zone_of(&list, "b"), "east");
        assert_eq!(zone_of(&list, "c"), "nova");
    }

    #[test]
    fn the_zone_shows_in_the_metadata() {
        let mut a = aggregate("east", Some("east"), &[]);
        a.metadata.insert("ssd".into(), "true".into());
        let shown = a.shown_metadata();
        assert_eq!(
            shown.get("availability_zone").map(String::as_str),
            Some("east")
        );
        assert_eq!(shown.get("ssd").map(String::as_str), Some("true"));
    }
}
