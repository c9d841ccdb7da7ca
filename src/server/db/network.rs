//! Networks, subnets, ports and their addresses (Neutron).

use sqlx::FromRow;

use super::{b, DbError, C};

pub(super) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

type AnyQueryAs<'q, O> = sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>;

/// The tail every keyset-paged list shares: `AND id IN (...)`, `ORDER BY id`, `LIMIT`.
/// `next` is the first placeholder number the tail may use.
pub(super) fn page_sql(sql: &mut String, next: usize, ids: &[String], limit: Option<i64>) {
    if !ids.is_empty() {
        sql.push_str(&format!(" AND id IN ({})", placeholders(next, ids.len())));
    }
    sql.push_str(" ORDER BY id");
    if limit.is_some() {
        sql.push_str(&format!(" LIMIT ${}", next + ids.len()));
    }
}

/// Binds what [`page_sql`] asked for.
pub(super) fn page_bind<'q, O>(
    mut q: AnyQueryAs<'q, O>,
    ids: &[String],
    limit: Option<i64>,
) -> AnyQueryAs<'q, O> {
    for id in ids {
        q = q.bind(id.clone());
    }
    if let Some(l) = limit {
        q = q.bind(l);
    }
    q
}

/// `UPDATE table SET col2 = $2, ... WHERE id = $1` for every column after the id.
pub(super) fn update_sql(table: &str, cols: &str) -> String {
    let sets = cols
        .split(", ")
        .enumerate()
        .skip(1)
        .map(|(n, col)| format!("{col} = ${}", n + 1))
        .collect::<Vec<_>>()
        .join(", ");
    format!("UPDATE {table} SET {sets} WHERE id = $1")
}

/// Which rows of a project-owned table a caller sees: `None` is an administrator (all);
/// otherwise its project's, plus (for networks) shared and external ones.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub project_id: Option<String>,
}

// --- Networks ----------------------------------------------------------------------------

#[derive(Clone, Debug, FromRow)]
pub struct NetworkRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub admin_state_up: i64,
    pub status: String,
    pub shared: i64,
    pub external: i64,
    pub mtu: i64,
    pub network_type: String,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i64>,
    pub port_security_enabled: i64,
    pub tags: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const NETWORK_COLS: &str = "id, project_id, name, description, admin_state_up, status, shared, external, mtu, network_type, physical_network, segmentation_id, port_security_enabled, tags, revision_number, created_at, updated_at";

macro_rules! bind_network {
    ($q:expr, $n:expr) => {
        $q.bind(&$n.id)
            .bind(&$n.project_id)
            .bind(&$n.name)
            .bind(&$n.description)
            .bind($n.admin_state_up)
            .bind(&$n.status)
            .bind($n.shared)
            .bind($n.external)
            .bind($n.mtu)
            .bind(&$n.network_type)
            .bind(&$n.physical_network)
            .bind($n.segmentation_id)
            .bind($n.port_security_enabled)
            .bind(&$n.tags)
            .bind($n.revision_number)
            .bind($n.created_at)
            .bind($n.updated_at)
    };
}

pub async fn network_insert(c: &mut C, n: &NetworkRow) -> Result<(), DbError> {
    let sql = format!(
        "INSERT INTO networks ({NETWORK_COLS}) VALUES ({})",
        placeholders(1, 17)
    );
    bind_network!(sqlx::query(&sql), n).execute(c).await?;
    Ok(())
}

pub async fn network_save(c: &mut C, n: &NetworkRow) -> Result<(), DbError> {
    bind_network!(sqlx::query(&update_sql("networks", NETWORK_COLS)), n)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn network_get(c: &mut C, id: &str) -> Result<Option<NetworkRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {NETWORK_COLS} FROM networks WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await
}

#[derive(Clone, Debug, Default)]
pub struct NetworkFilter {
    pub scope: Scope,
    pub ids: Vec<String>,
    pub name: Option<String>,
    pub project_id: Option<String>,
    pub shared: Option<bool>,
    pub external: Option<bool>,
    pub status: Option<String>,
    pub admin_state_up: Option<bool>,
    pub network_type: Option<String>,
    pub physical_network: Option<String>,
    /// Keyset paging: the previous page's last id.
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// Ordered by id, as Neutron pages.
pub async fn network_list(c: &mut C, f: &NetworkFilter) -> Result<Vec<NetworkRow>, DbError> {
    let mut sql = format!(
        "SELECT {NETWORK_COLS} FROM networks
         WHERE ($1 IS NULL OR project_id = $1 OR shared = 1 OR external = 1)
           AND ($2 IS NULL OR name = $2) AND ($3 IS NULL OR project_id = $3)
           AND ($4 IS NULL OR shared = $4) AND ($5 IS NULL OR external = $5)
           AND ($6 IS NULL OR status = $6) AND ($7 IS NULL OR admin_state_up = $7)
           AND ($8 IS NULL OR network_type = $8) AND ($9 IS NULL OR physical_network = $9)
           AND ($10 IS NULL OR id > $10)"
    );
    page_sql(&mut sql, 11, &f.ids, f.limit);
    let q = sqlx::query_as(&sql)
        .bind(f.scope.project_id.as_deref())
        .bind(f.name.as_deref())
        .bind(f.project_id.as_deref())
        .bind(f.shared.map(b))
        .bind(f.external.map(b))
        .bind(f.status.as_deref())
        .bind(f.admin_state_up.map(b))
        .bind(f.network_type.as_deref())
        .bind(f.physical_network.as_deref())
        .bind(f.after.as_deref());
    page_bind(q, &f.ids, f.limit).fetch_all(c).await
}

pub async fn network_delete(c: &mut C, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM networks WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// How many networks a project owns (its quota).
pub async fn network_count(c: &mut C, project_id: &str) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM networks WHERE project_id = $1")
        .bind(project_id)
        .fetch_one(c)
        .await?;
    Ok(n)
}

// --- Subnets -----------------------------------------------------------------------------

#[derive(Clone, Debug, FromRow)]
pub struct SubnetRow {
    pub id: String,
    pub network_id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub ip_version: i64,
    pub cidr: String,
    pub gateway_ip: Option<String>,
    pub enable_dhcp: i64,
    pub allocation_pools: String,
    pub dns_nameservers: String,
    pub host_routes: String,
    pub tags: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const SUBNET_COLS: &str = "id, network_id, project_id, name, description, ip_version, cidr, gateway_ip, enable_dhcp, allocation_pools, dns_nameservers, host_routes, tags, revision_number, created_at, updated_at";

macro_rules! bind_subnet {
    ($q:expr, $s:expr) => {
        $q.bind(&$s.id)
            .bind(&$s.network_id)
            .bind(&$s.project_id)
            .bind(&$s.name)
            .bind(&$s.description)
            .bind($s.ip_version)
            .bind(&$s.cidr)
            .bind(&$s.gateway_ip)
            .bind($s.enable_dhcp)
            .bind(&$s.allocation_pools)
            .bind(&$s.dns_nameservers)
            .bind(&$s.host_routes)
            .bind(&$s.tags)
            .bind($s.revision_number)
            .bind($s.created_at)
            .bind($s.updated_at)
    };
}

pub async fn subnet_insert(c: &mut C, s: &SubnetRow) -> Result<(), DbError> {
    let sql = format!(
        "INSERT INTO subnets ({SUBNET_COLS}) VALUES ({})",
        placeholders(1, 16)
    );
    bind_subnet!(sqlx::query(&sql), s).execute(c).await?;
    Ok(())
}

pub async fn subnet_save(c: &mut C, s: &SubnetRow) -> Result<(), DbError> {
    bind_subnet!(sqlx::query(&update_sql("subnets", SUBNET_COLS)), s)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn subnet_get(c: &mut C, id: &str) -> Result<Option<SubnetRow>, DbError> {
    sqlx::query_as(&format!("SELECT {SUBNET_COLS} FROM subnets WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await
}

#[derive(Clone, Debug, Default)]
pub struct SubnetFilter {
    pub scope: Scope,
    pub ids: Vec<String>,
    pub network_id: Option<String>,
    pub name: Option<String>,
    pub project_id: Option<String>,
    pub cidr: Option<String>,
    pub enable_dhcp: Option<bool>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// A project sees its own subnets and those of shared and external networks.
pub async fn subnet_list(c: &mut C, f: &SubnetFilter) -> Result<Vec<SubnetRow>, DbError> {
    let mut sql = format!(
        "SELECT {SUBNET_COLS} FROM subnets
         WHERE ($1 IS NULL OR project_id = $1
                OR network_id IN (SELECT id FROM networks WHERE shared = 1 OR external = 1))
           AND ($2 IS NULL OR network_id = $2) AND ($3 IS NULL OR name = $3)
           AND ($4 IS NULL OR project_id = $4) AND ($5 IS NULL OR cidr = $5)
           AND ($6 IS NULL OR enable_dhcp = $6) AND ($7 IS NULL OR id > $7)"
    );
    page_sql(&mut sql, 8, &f.ids, f.limit);
    let q = sqlx::query_as(&sql)
        .bind(f.scope.project_id.as_deref())
        .bind(f.network_id.as_deref())
        .bind(f.name.as_deref())
        .bind(f.project_id.as_deref())
        .bind(f.cidr.as_deref())
        .bind(f.enable_dhcp.map(b))
        .bind(f.after.as_deref());
    page_bind(q, &f.ids, f.limit).fetch_all(c).await
}

/// The subnets of one network, oldest first (the order addresses are taken from).
pub async fn subnets_of(c: &mut C, network_id: &str) -> Result<Vec<SubnetRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {SUBNET_COLS} FROM subnets WHERE network_id = $1 ORDER BY created_at, id"
    ))
    .bind(network_id)
    .fetch_all(c)
    .await
}

/// The ids of the subnets of these networks, per network (a network list's `subnets`).
pub async fn subnet_ids_of(
    c: &mut C,
    network_ids: &[String],
) -> Result<Vec<(String, String)>, DbError> {
    if network_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT network_id, id FROM subnets WHERE network_id IN ({}) ORDER BY created_at, id",
        placeholders(1, network_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in network_ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(c).await
}

pub async fn subnet_delete(c: &mut C, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM subnets WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn subnet_count(c: &mut C, project_id: &str) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM subnets WHERE project_id = $1")
        .bind(project_id)
        .fetch_one(c)
        .await?;
    Ok(n)
}

// --- Ports -------------------------------------------------------------------------------

#[derive(Clone, Debug, FromRow)]
pub struct PortRow {
    pub id: String,
    pub network_id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub mac_address: String,
    pub admin_state_up: i64,
    pub status: String,
    pub device_id: String,
    pub device_owner: String,
    pub port_security_enabled: i64,
    pub allowed_address_pairs: String,
    pub binding_host_id: String,
    pub binding_vif_type: String,
    pub tags: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const PORT_COLS: &str = "id, network_id, project_id, name, description, mac_address, admin_state_up, status, device_id, device_owner, port_security_enabled, allowed_address_pairs, binding_host_id, binding_vif_type, tags, revision_number, created_at, updated_at";

macro_rules! bind_port {
    ($q:expr, $p:expr) => {
        $q.bind(&$p.id)
            .bind(&$p.network_id)
            .bind(&$p.project_id)
            .bind(&$p.name)
            .bind(&$p.description)
            .bind(&$p.mac_address)
            .bind($p.admin_state_up)
            .bind(&$p.status)
            .bind(&$p.device_id)
            .bind(&$p.device_owner)
            .bind($p.port_security_enabled)
            .bind(&$p.allowed_address_pairs)
            .bind(&$p.binding_host_id)
            .bind(&$p.binding_vif_type)
            .bind(&$p.tags)
            .bind($p.revision_number)
            .bind($p.created_at)
            .bind($p.updated_at)
    };
}

/// `false` when the network already has a port with this MAC address.
pub async fn port_insert(c: &mut C, p: &PortRow) -> Result<bool, DbError> {
    let sql = format!(
        "INSERT INTO ports ({PORT_COLS}) VALUES ({}) ON CONFLICT (network_id, mac_address) DO NOTHING",
        placeholders(1, 18)
    );
    let r = bind_port!(sqlx::query(&sql), p).execute(c).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn port_save(c: &mut C, p: &PortRow) -> Result<(), DbError> {
    bind_port!(sqlx::query(&update_sql("ports", PORT_COLS)), p)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn port_get(c: &mut C, id: &str) -> Result<Option<PortRow>, DbError> {
    sqlx::query_as(&format!("SELECT {PORT_COLS} FROM ports WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await
}

#[derive(Clone, Debug, Default)]
pub struct PortFilter {
    /// A project sees its own ports (administrators all).
    pub scope: Scope,
    pub ids: Vec<String>,
    pub network_id: Option<String>,
    pub name: Option<String>,
    pub project_id: Option<String>,
    pub device_id: Option<String>,
    pub device_owner: Option<String>,
    pub mac_address: Option<String>,
    pub status: Option<String>,
    /// Ports holding this address (`fixed_ips=ip_address=...`).
    pub ip_address: Option<String>,
    /// Ports with an address on this subnet (`fixed_ips=subnet_id=...`).
    pub subnet_id: Option<String>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

pub async fn port_list(c: &mut C, f: &PortFilter) -> Result<Vec<PortRow>, DbError> {
    let mut sql = format!(
        "SELECT {PORT_COLS} FROM ports
         WHERE ($1 IS NULL OR project_id = $1)
           AND ($2 IS NULL OR network_id = $2) AND ($3 IS NULL OR name = $3)
           AND ($4 IS NULL OR project_id = $4) AND ($5 IS NULL OR device_id = $5)
           AND ($6 IS NULL OR device_owner = $6) AND ($7 IS NULL OR mac_address = $7)
           AND ($8 IS NULL OR status = $8)
           AND ($9 IS NULL OR id IN (SELECT port_id FROM ip_allocations WHERE ip_address = $9))
           AND ($10 IS NULL OR id IN (SELECT port_id FROM ip_allocations WHERE subnet_id = $10))
           AND ($11 IS NULL OR id > $11)"
    );
    page_sql(&mut sql, 12, &f.ids, f.limit);
    let q = sqlx::query_as(&sql)
        .bind(f.scope.project_id.as_deref())
        .bind(f.network_id.as_deref())
        .bind(f.name.as_deref())
        .bind(f.project_id.as_deref())
        .bind(f.device_id.as_deref())
        .bind(f.device_owner.as_deref())
        .bind(f.mac_address.as_deref())
        .bind(f.status.as_deref())
        .bind(f.ip_address.as_deref())
        .bind(f.subnet_id.as_deref())
        .bind(f.after.as_deref());
    page_bind(q, &f.ids, f.limit).fetch_all(c).await
}

pub async fn port_delete(c: &mut C, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM ports WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn port_count(c: &mut C, project_id: &str) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ports WHERE project_id = $1")
        .bind(project_id)
        .fetch_one(c)
        .await?;
    Ok(n)
}

/// Ports of a network other than the given owners' (a network or subnet in use).
pub async fn ports_in_use(
    c: &mut C,
    network_id: &str,
    subnet_id: Option<&str>,
    except_owner: &str,
) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM ports WHERE network_id = $1 AND device_owner <> $3
           AND ($2 IS NULL OR id IN (SELECT port_id FROM ip_allocations WHERE subnet_id = $2))",
    )
    .bind(network_id)
    .bind(subnet_id)
    .bind(except_owner)
    .fetch_one(c)
    .await?;
    Ok(n)
}

// --- Addresses ---------------------------------------------------------------------------

#[derive(Clone, Debug, FromRow)]
pub struct AllocationRow {
    pub network_id: String,
    pub ip_address: String,
    pub subnet_id: String,
    pub port_id: String,
}

/// Takes an address for a port; `false` when another port holds it already. Never
/// fails on the conflict itself, so a PostgreSQL transaction stays usable.
pub async fn allocation_try_insert(c: &mut C, a: &AllocationRow) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO ip_allocations (network_id, ip_address, subnet_id, port_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (network_id, ip_address) DO NOTHING",
    )
    .bind(&a.network_id)
    .bind(&a.ip_address)
    .bind(&a.subnet_id)
    .bind(&a.port_id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The addresses of these ports, in allocation order per port.
pub async fn allocations_of_ports(
    c: &mut C,
    port_ids: &[String],
) -> Result<Vec<AllocationRow>, DbError> {
    if port_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT network_id, ip_address, subnet_id, port_id FROM ip_allocations WHERE port_id IN ({})",
        placeholders(1, port_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in port_ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(c).await
}

/// The addresses taken on a subnet.
pub async fn allocated_on_subnet(c: &mut C, subnet_id: &str) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT ip_address FROM ip_allocations WHERE subnet_id = $1")
            .bind(subnet_id)
            .fetch_all(c)
            .await?;
    Ok(rows.into_iter().map(|(a,)| a).collect())
}

pub async fn allocations_delete_for_port(c: &mut C, port_id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM ip_allocations WHERE port_id = $1")
        .bind(port_id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn allocation_delete(c: &mut C, network_id: &str, ip: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM ip_allocations WHERE network_id = $1 AND ip_address = $2")
        .bind(network_id)
        .bind(ip)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn allocations_delete_for_subnet(c: &mut C, subnet_id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM ip_allocations WHERE subnet_id = $1")
        .bind(subnet_id)
        .execute(c)
        .await?;
    Ok(())
}

// --- Quotas ------------------------------------------------------------------------------

pub async fn quota_list(c: &mut C, project_id: &str) -> Result<Vec<(String, i64)>, DbError> {
    sqlx::query_as("SELECT resource, hard_limit FROM network_quotas WHERE project_id = $1")
        .bind(project_id)
        .fetch_all(c)
        .await
}

pub async fn quota_set(
    c: &mut C,
    project_id: &str,
    resource: &str,
    limit: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO network_quotas (project_id, resource, hard_limit) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = $3",
    )
    .bind(project_id)
    .bind(resource)
    .bind(limit)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn quota_clear(c: &mut C, project_id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM network_quotas WHERE project_id = $1")
        .bind(project_id)
        .execute(c)
        .await?;
    Ok(())
}

// --- Security groups ---------------------------------------------------------------------

#[derive(Clone, Debug, FromRow)]
pub struct SecurityGroupRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub stateful: i64,
    pub is_default: i64,
    pub tags: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const SG_COLS: &str = "id, project_id, name, description, stateful, is_default, tags, revision_number, created_at, updated_at";

macro_rules! bind_sg {
    ($q:expr, $g:expr) => {
        $q.bind(&$g.id)
            .bind(&$g.project_id)
            .bind(&$g.name)
            .bind(&$g.description)
            .bind($g.stateful)
            .bind($g.is_default)
            .bind(&$g.tags)
            .bind($g.revision_number)
            .bind($g.created_at)
            .bind($g.updated_at)
    };
}

/// `false` when the project has its `default` group already (the partial unique index).
pub async fn sg_insert(c: &mut C, g: &SecurityGroupRow) -> Result<bool, DbError> {
    let sql = format!(
        "INSERT INTO security_groups ({SG_COLS}) VALUES ({}) ON CONFLICT DO NOTHING",
        placeholders(1, 10)
    );
    let r = bind_sg!(sqlx::query(&sql), g).execute(c).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn sg_save(c: &mut C, g: &SecurityGroupRow) -> Result<(), DbError> {
    bind_sg!(sqlx::query(&update_sql("security_groups", SG_COLS)), g)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn sg_get(c: &mut C, id: &str) -> Result<Option<SecurityGroupRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {SG_COLS} FROM security_groups WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await
}

pub async fn sg_default_of(
    c: &mut C,
    project_id: &str,
) -> Result<Option<SecurityGroupRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {SG_COLS} FROM security_groups WHERE project_id = $1 AND is_default = 1"
    ))
    .bind(project_id)
    .fetch_optional(c)
    .await
}

#[derive(Clone, Debug, Default)]
pub struct SecurityGroupFilter {
    pub scope: Scope,
    pub ids: Vec<String>,
    pub name: Option<String>,
    pub project_id: Option<String>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

pub async fn sg_list(c: &mut C, f: &SecurityGroupFilter) -> Result<Vec<SecurityGroupRow>, DbError> {
    let mut sql = format!(
        "SELECT {SG_COLS} FROM security_groups
         WHERE ($1 IS NULL OR project_id = $1) AND ($2 IS NULL OR name = $2)
           AND ($3 IS NULL OR project_id = $3) AND ($4 IS NULL OR id > $4)"
    );
    page_sql(&mut sql, 5, &f.ids, f.limit);
    let q = sqlx::query_as(&sql)
        .bind(f.scope.project_id.as_deref())
        .bind(f.name.as_deref())
        .bind(f.project_id.as_deref())
        .bind(f.after.as_deref());
    page_bind(q, &f.ids, f.limit).fetch_all(c).await
}

/// (id, name) of these groups.
pub async fn sg_names(c: &mut C, ids: &[String]) -> Result<Vec<(String, String)>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, name FROM security_groups WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(c).await
}

pub async fn sg_delete(c: &mut C, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM security_groups WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn sg_count(c: &mut C, project_id: &str) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM security_groups WHERE project_id = $1")
        .bind(project_id)
        .fetch_one(c)
        .await?;
    Ok(n)
}

/// How many ports use a group.
pub async fn sg_port_count(c: &mut C, id: &str) -> Result<i64, DbError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM port_security_groups WHERE security_group_id = $1")
            .bind(id)
            .fetch_one(c)
            .await?;
    Ok(n)
}

#[derive(Clone, Debug, FromRow)]
pub struct RuleRow {
    pub id: String,
    pub security_group_id: String,
    pub project_id: String,
    pub direction: String,
    pub ethertype: String,
    pub protocol: Option<String>,
    pub port_range_min: Option<i64>,
    pub port_range_max: Option<i64>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub description: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const RULE_COLS: &str = "id, security_group_id, project_id, direction, ethertype, protocol, port_range_min, port_range_max, remote_ip_prefix, remote_group_id, description, revision_number, created_at, updated_at";

pub async fn rule_insert(c: &mut C, r: &RuleRow) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO security_group_rules ({RULE_COLS}) VALUES ({})",
        placeholders(1, 14)
    ))
    .bind(&r.id)
    .bind(&r.security_group_id)
    .bind(&r.project_id)
    .bind(&r.direction)
    .bind(&r.ethertype)
    .bind(&r.protocol)
    .bind(r.port_range_min)
    .bind(r.port_range_max)
    .bind(&r.remote_ip_prefix)
    .bind(&r.remote_group_id)
    .bind(&r.description)
    .bind(r.revision_number)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn rule_get(c: &mut C, id: &str) -> Result<Option<RuleRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {RULE_COLS} FROM security_group_rules WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await
}

/// The rules of these groups, oldest first.
pub async fn rules_of(c: &mut C, group_ids: &[String]) -> Result<Vec<RuleRow>, DbError> {
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {RULE_COLS} FROM security_group_rules WHERE security_group_id IN ({}) ORDER BY created_at, id",
        placeholders(1, group_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in group_ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(c).await
}

pub async fn rule_delete(c: &mut C, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM security_group_rules WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn rule_count(c: &mut C, project_id: &str) -> Result<i64, DbError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM security_group_rules WHERE project_id = $1")
            .bind(project_id)
            .fetch_one(c)
            .await?;
    Ok(n)
}

// --- Ports' security groups ------------------------------------------------------------

pub async fn port_groups_set(c: &mut C, port_id: &str, groups: &[String]) -> Result<(), DbError> {
    sqlx::query("DELETE FROM port_security_groups WHERE port_id = $1")
        .bind(port_id)
        .execute(&mut *c)
        .await?;
    for g in groups {
        sqlx::query(
            "INSERT INTO port_security_groups (port_id, security_group_id) VALUES ($1, $2)",
        )
        .bind(port_id)
        .bind(g)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// The groups of these ports, as (port id, group id).
pub async fn port_groups_of(
    c: &mut C,
    port_ids: &[String],
) -> Result<Vec<(String, String)>, DbError> {
    if port_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT port_id, security_group_id FROM port_security_groups WHERE port_id IN ({}) ORDER BY security_group_id",
        placeholders(1, port_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in port_ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(c).await
}
