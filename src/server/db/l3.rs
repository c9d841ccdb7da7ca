//! Routers, floating IPs and network agents (Neutron's L3 and agent resources).

use sqlx::FromRow;

use super::network::Scope;
use super::select::Select;
use super::table::{placeholders, table, Table};
use super::{DbError, C};

// --- Routers -----------------------------------------------------------------------------

table! {
    pub struct RouterRow in "routers" {
        pub id: String,
        pub project_id: String,
        pub name: String,
        pub description: String,
        pub admin_state_up: i64,
        pub status: String,
        pub gw_network_id: Option<String>,
        pub gw_port_id: Option<String>,
        pub enable_snat: i64,
        pub routes: String,
        pub tags: String,
        pub revision_number: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// A Neutron list's filters (its query parameters): a row matches when each given list
/// holds its value (a repeated parameter is "any of").
#[derive(Clone, Debug, Default)]
pub struct RouterQuery {
    pub ids: Vec<String>,
    pub name: Vec<String>,
    pub project_id: Vec<String>,
    pub status: Vec<String>,
    /// Routers whose gateway is on this network.
    pub gw_network_id: Vec<String>,
    /// Keyset paging: the previous page's last id.
    pub marker: Option<String>,
    pub limit: Option<i64>,
}

pub async fn router_list(
    c: &mut C,
    scope: &Scope,
    f: &RouterQuery,
) -> Result<Vec<RouterRow>, DbError> {
    Select::<RouterRow>::table()
        .eq("project_id", scope.project_id.as_deref())
        .one_of("name", &f.name)
        .one_of("project_id", &f.project_id)
        .one_of("status", &f.status)
        .one_of("gw_network_id", &f.gw_network_id)
        .keyset_by_id(&f.ids, f.marker.as_deref(), f.limit)
        .fetch_all(c)
        .await
}

/// The router that connects a subnet to an external network: a gateway on `network_id`
/// and an interface on `subnet_id`. Oldest router first when several would do.
pub async fn router_between(
    c: &mut C,
    network_id: &str,
    subnet_id: &str,
) -> Result<Option<String>, DbError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT r.id FROM routers r
           JOIN ports p ON p.device_id = r.id AND p.device_owner = 'network:router_interface'
                        AND p.project_id = r.project_id
           JOIN ip_allocations a ON a.port_id = p.id
          WHERE r.gw_network_id = $1 AND a.subnet_id = $2
          ORDER BY r.created_at, r.id LIMIT 1",
    )
    .bind(network_id)
    .bind(subnet_id)
    .fetch_optional(c)
    .await?;
    Ok(row.map(|(id,)| id))
}

// --- Floating IPs ------------------------------------------------------------------------

table! {
    pub struct FloatingIpRow in "floating_ips" {
        pub id: String,
        pub project_id: String,
        pub floating_network_id: String,
        pub floating_ip_address: String,
        pub floating_port_id: String,
        pub port_id: Option<String>,
        pub fixed_ip_address: Option<String>,
        pub router_id: Option<String>,
        pub status: String,
        pub description: String,
        pub tags: String,
        pub revision_number: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// `false` when another floating IP holds the same fixed address of the port already
/// (the partial unique index on (port_id, fixed_ip_address)).
pub async fn fip_save(c: &mut C, f: &FloatingIpRow) -> Result<bool, DbError> {
    let taken: Option<(String,)> = match (&f.port_id, &f.fixed_ip_address) {
        (Some(port), Some(ip)) => sqlx::query_as(
            "SELECT id FROM floating_ips WHERE port_id = $1 AND fixed_ip_address = $2 AND id <> $3",
        )
        .bind(port)
        .bind(ip)
        .bind(&f.id)
        .fetch_optional(&mut *c)
        .await?,
        _ => None,
    };
    if taken.is_some() {
        return Ok(false);
    }
    super::table::save(c, f).await
}

/// A Neutron list's filters (its query parameters): a row matches when each given list
/// holds its value (a repeated parameter is "any of").
#[derive(Clone, Debug, Default)]
pub struct FloatingIpQuery {
    pub ids: Vec<String>,
    pub project_id: Vec<String>,
    pub floating_network_id: Vec<String>,
    pub floating_ip_address: Vec<String>,
    pub port_id: Vec<String>,
    pub fixed_ip_address: Vec<String>,
    pub router_id: Vec<String>,
    pub status: Vec<String>,
    pub description: Vec<String>,
    /// Keyset paging: the previous page's last id.
    pub marker: Option<String>,
    pub limit: Option<i64>,
}

pub async fn fip_list(
    c: &mut C,
    scope: &Scope,
    f: &FloatingIpQuery,
) -> Result<Vec<FloatingIpRow>, DbError> {
    Select::<FloatingIpRow>::table()
        .eq("project_id", scope.project_id.as_deref())
        .one_of("project_id", &f.project_id)
        .one_of("floating_network_id", &f.floating_network_id)
        .one_of("floating_ip_address", &f.floating_ip_address)
        .one_of("port_id", &f.port_id)
        .one_of("fixed_ip_address", &f.fixed_ip_address)
        .one_of("router_id", &f.router_id)
        .one_of("status", &f.status)
        .one_of("description", &f.description)
        .keyset_by_id(&f.ids, f.marker.as_deref(), f.limit)
        .fetch_all(c)
        .await
}

/// The floating IPs associated with any of these ports.
pub async fn fips_of_ports(c: &mut C, port_ids: &[String]) -> Result<Vec<FloatingIpRow>, DbError> {
    let fip_cols = FloatingIpRow::columns();
    if port_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {fip_cols} FROM floating_ips WHERE port_id IN ({}) ORDER BY id",
        placeholders(1, port_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in port_ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(c).await
}

/// Floating IPs translated by a router, optionally only those whose fixed address is on
/// one subnet (an interface about to be removed).
pub async fn fips_via_router(
    c: &mut C,
    router_id: &str,
    subnet_id: Option<&str>,
) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM floating_ips f WHERE f.router_id = $1
           AND ($2 IS NULL OR EXISTS (SELECT 1 FROM ip_allocations a
                 WHERE a.port_id = f.port_id AND a.ip_address = f.fixed_ip_address AND a.subnet_id = $2))",
    )
    .bind(router_id)
    .bind(subnet_id)
    .fetch_one(c)
    .await?;
    Ok(n)
}

/// Lets go of the floating IPs associated with a port (the port is going away).
pub async fn fips_disassociate_port(c: &mut C, port_id: &str, now: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE floating_ips SET port_id = NULL, fixed_ip_address = NULL, router_id = NULL,
                status = 'DOWN', revision_number = revision_number + 1, updated_at = $2
          WHERE port_id = $1",
    )
    .bind(port_id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

// --- Network agents ----------------------------------------------------------------------

#[derive(Clone, Debug, FromRow)]
pub struct AgentRow {
    pub id: String,
    pub agent_type: String,
    pub binary_name: String,
    pub host: String,
    pub topic: String,
    pub availability_zone: Option<String>,
    pub admin_state_up: i64,
    pub description: String,
    pub configurations: String,
    pub created_at: i64,
    pub started_at: i64,
    /// The host controller's last heartbeat (joined from `heartbeats`).
    pub heartbeat: Option<i64>,
}

/// Agents with their host's last heartbeat.
fn agents() -> Select<AgentRow> {
    Select::new(
        "a.id, a.agent_type, a.binary_name, a.host, a.topic, a.availability_zone,
         a.admin_state_up, a.description, a.configurations, a.created_at, a.started_at,
         h.last_seen AS heartbeat",
        "network_agents a LEFT JOIN heartbeats h ON h.binary_name = 'gureum-api' AND h.host = a.host",
    )
}

/// Records an agent starting on a host: a new row the first time, afterwards the same id
/// with a new start time and configuration.
pub async fn agent_started(c: &mut C, a: &AgentRow) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO network_agents (id, agent_type, binary_name, host, topic, availability_zone,
                admin_state_up, description, configurations, created_at, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, '', $7, $8, $8)
         ON CONFLICT (binary_name, host) DO UPDATE SET agent_type = excluded.agent_type,
             topic = excluded.topic, availability_zone = excluded.availability_zone,
             configurations = excluded.configurations, started_at = excluded.started_at",
    )
    .bind(&a.id)
    .bind(&a.agent_type)
    .bind(&a.binary_name)
    .bind(&a.host)
    .bind(&a.topic)
    .bind(&a.availability_zone)
    .bind(&a.configurations)
    .bind(a.started_at)
    .execute(c)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct AgentFilter {
    pub agent_type: Option<String>,
    pub host: Option<String>,
    pub binary_name: Option<String>,
}

pub async fn agent_list(c: &mut C, f: &AgentFilter) -> Result<Vec<AgentRow>, DbError> {
    agents()
        .eq("a.agent_type", f.agent_type.as_deref())
        .eq("a.host", f.host.as_deref())
        .eq("a.binary_name", f.binary_name.as_deref())
        .order_by("a.host, a.binary_name")
        .fetch_all(c)
        .await
}

pub async fn agent_get(c: &mut C, id: &str) -> Result<Option<AgentRow>, DbError> {
    agents().eq("a.id", Some(id)).fetch_optional(c).await
}

pub async fn agent_update(
    c: &mut C,
    id: &str,
    admin_state_up: i64,
    description: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE network_agents SET admin_state_up = $2, description = $3 WHERE id = $1")
        .bind(id)
        .bind(admin_state_up)
        .bind(description)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn agent_delete(c: &mut C, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM network_agents WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}
