//! Networks, subnets, ports and their addresses (Neutron).

use sqlx::FromRow;

use super::select::Select;
use super::table::{placeholders, table, Table};
use super::{DbError, C};

/// Which rows of a project-owned table a caller sees: `None` is an administrator (all);
/// otherwise its project's, plus (for networks) shared and external ones.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub project_id: Option<String>,
}

// --- Networks ----------------------------------------------------------------------------

table! {
    pub struct NetworkRow in "networks" {
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
}

/// A Neutron list's filters (its query parameters): a row matches when each given list
/// holds its value (a repeated parameter is "any of").
#[derive(Clone, Debug, Default)]
pub struct NetworkQuery {
    pub ids: Vec<String>,
    pub name: Vec<String>,
    pub project_id: Vec<String>,
    pub shared: Option<bool>,
    pub external: Option<bool>,
    pub status: Vec<String>,
    pub admin_state_up: Option<bool>,
    pub network_type: Vec<String>,
    pub physical_network: Vec<String>,
    /// Keyset paging: the previous page's last id.
    pub marker: Option<String>,
    pub limit: Option<i64>,
}

/// Ordered by id, as Neutron pages.
pub async fn network_list(
    c: &mut C,
    scope: &Scope,
    f: &NetworkQuery,
) -> Result<Vec<NetworkRow>, DbError> {
    Select::<NetworkRow>::table()
        .when(
            scope.project_id.as_deref(),
            "(project_id = ? OR shared = 1 OR external = 1)",
        )
        .one_of("name", &f.name)
        .one_of("project_id", &f.project_id)
        .eq("shared", f.shared)
        .eq("external", f.external)
        .one_of("status", &f.status)
        .eq("admin_state_up", f.admin_state_up)
        .one_of("network_type", &f.network_type)
        .one_of("physical_network", &f.physical_network)
        .keyset_by_id(&f.ids, f.marker.as_deref(), f.limit)
        .fetch_all(c)
        .await
}

// --- Subnets -----------------------------------------------------------------------------

table! {
    pub struct SubnetRow in "subnets" {
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
}

/// A Neutron list's filters (its query parameters): a row matches when each given list
/// holds its value (a repeated parameter is "any of").
#[derive(Clone, Debug, Default)]
pub struct SubnetQuery {
    pub ids: Vec<String>,
    pub network_id: Vec<String>,
    pub name: Vec<String>,
    pub project_id: Vec<String>,
    pub cidr: Vec<String>,
    pub enable_dhcp: Option<bool>,
    /// Keyset paging: the previous page's last id.
    pub marker: Option<String>,
    pub limit: Option<i64>,
}

/// A project sees its own subnets and those of shared and external networks.
pub async fn subnet_list(
    c: &mut C,
    scope: &Scope,
    f: &SubnetQuery,
) -> Result<Vec<SubnetRow>, DbError> {
    Select::<SubnetRow>::table()
        .when(
            scope.project_id.as_deref(),
            "(project_id = ? OR network_id IN (SELECT id FROM networks WHERE shared = 1 OR external = 1))",
        )
        .one_of("network_id", &f.network_id)
        .one_of("name", &f.name)
        .one_of("project_id", &f.project_id)
        .one_of("cidr", &f.cidr)
        .eq("enable_dhcp", f.enable_dhcp)
        .keyset_by_id(&f.ids, f.marker.as_deref(), f.limit)
        .fetch_all(c)
        .await
}

/// The subnets of one network, oldest first (the order addresses are taken from).
pub async fn subnets_of(c: &mut C, network_id: &str) -> Result<Vec<SubnetRow>, DbError> {
    let subnet_cols = SubnetRow::columns();
    sqlx::query_as(&format!(
        "SELECT {subnet_cols} FROM subnets WHERE network_id = $1 ORDER BY created_at, id"
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

// --- Ports -------------------------------------------------------------------------------

table! {
    pub struct PortRow in "ports" {
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
}

/// Inserts a port; `false` when the network already has a port with this MAC address.
pub async fn port_insert(c: &mut C, p: &PortRow) -> Result<bool, DbError> {
    super::table::insert_new(c, p, Some("network_id, mac_address")).await
}

/// A Neutron list's filters (its query parameters): a row matches when each given list
/// holds its value (a repeated parameter is "any of").
#[derive(Clone, Debug, Default)]
pub struct PortQuery {
    pub ids: Vec<String>,
    pub network_id: Vec<String>,
    pub name: Vec<String>,
    pub project_id: Vec<String>,
    pub device_id: Vec<String>,
    pub device_owner: Vec<String>,
    pub mac_address: Vec<String>,
    pub status: Vec<String>,
    /// Ports holding this address (`fixed_ips=ip_address=...`).
    pub ip_address: Vec<String>,
    /// Ports holding an address with this in it (`fixed_ips=ip_address_substr=...`).
    pub ip_address_substr: Vec<String>,
    /// Ports with an address on this subnet (`fixed_ips=subnet_id=...`).
    pub subnet_id: Vec<String>,
    /// Keyset paging: the previous page's last id.
    pub marker: Option<String>,
    pub limit: Option<i64>,
}

pub async fn port_list(c: &mut C, scope: &Scope, f: &PortQuery) -> Result<Vec<PortRow>, DbError> {
    Select::<PortRow>::table()
        .eq("project_id", scope.project_id.as_deref())
        .one_of("network_id", &f.network_id)
        .one_of("name", &f.name)
        .one_of("project_id", &f.project_id)
        .one_of("device_id", &f.device_id)
        .one_of("device_owner", &f.device_owner)
        .one_of("mac_address", &f.mac_address)
        .one_of("status", &f.status)
        .in_list(
            &f.ip_address,
            "id IN (SELECT port_id FROM ip_allocations WHERE ip_address IN (?))",
        )
        .in_list(
            &f.subnet_id,
            "id IN (SELECT port_id FROM ip_allocations WHERE subnet_id IN (?))",
        )
        .filter(
            &substrings(
                "id IN (SELECT port_id FROM ip_allocations WHERE {any})",
                "ip_address",
                f.ip_address_substr.len(),
            ),
            f.ip_address_substr.iter().map(|s| super::like_pattern(s)),
        )
        .keyset_by_id(&f.ids, f.marker.as_deref(), f.limit)
        .fetch_all(c)
        .await
}

/// `template` with `{any}` as "`column` holds any of N substrings" (`1 = 1` for none).
fn substrings(template: &str, column: &str, n: usize) -> String {
    if n == 0 {
        return "1 = 1".into();
    }
    let any = (1..=n)
        .map(|i| format!("LOWER({column}) LIKE ?{i} ESCAPE '\\'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    template.replace("{any}", &any)
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

#[derive(Clone, Debug, Default, FromRow)]
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

table! {
    pub struct SecurityGroupRow in "security_groups" {
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
}

/// Inserts a group; `false` when the project has its `default` group already (the
/// partial unique index).
pub async fn sg_insert(c: &mut C, g: &SecurityGroupRow) -> Result<bool, DbError> {
    super::table::insert_new(c, g, None).await
}

pub async fn sg_default_of(
    c: &mut C,
    project_id: &str,
) -> Result<Option<SecurityGroupRow>, DbError> {
    let sg_cols = SecurityGroupRow::columns();
    sqlx::query_as(&format!(
        "SELECT {sg_cols} FROM security_groups WHERE project_id = $1 AND is_default = 1"
    ))
    .bind(project_id)
    .fetch_optional(c)
    .await
}

/// A Neutron list's filters (its query parameters): a row matches when each given list
/// holds its value (a repeated parameter is "any of").
#[derive(Clone, Debug, Default)]
pub struct SecurityGroupQuery {
    pub ids: Vec<String>,
    pub name: Vec<String>,
    pub project_id: Vec<String>,
    /// Keyset paging: the previous page's last id.
    pub marker: Option<String>,
    pub limit: Option<i64>,
}

pub async fn sg_list(
    c: &mut C,
    scope: &Scope,
    f: &SecurityGroupQuery,
) -> Result<Vec<SecurityGroupRow>, DbError> {
    Select::<SecurityGroupRow>::table()
        .eq("project_id", scope.project_id.as_deref())
        .one_of("name", &f.name)
        .one_of("project_id", &f.project_id)
        .keyset_by_id(&f.ids, f.marker.as_deref(), f.limit)
        .fetch_all(c)
        .await
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

/// How many ports use a group.
pub async fn sg_port_count(c: &mut C, id: &str) -> Result<i64, DbError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM port_security_groups WHERE security_group_id = $1")
            .bind(id)
            .fetch_one(c)
            .await?;
    Ok(n)
}

table! {
    pub struct RuleRow in "security_group_rules" {
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
}

/// The rules of these groups, oldest first.
pub async fn rules_of(c: &mut C, group_ids: &[String]) -> Result<Vec<RuleRow>, DbError> {
    let rule_cols = RuleRow::columns();
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {rule_cols} FROM security_group_rules WHERE security_group_id IN ({}) ORDER BY created_at, id",
        placeholders(1, group_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in group_ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(c).await
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

/// Deletes the rules that name a security group as their remote group.
pub async fn sg_rules_delete_by_remote(c: &mut C, group_id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM security_group_rules WHERE remote_group_id = $1")
        .bind(group_id)
        .execute(c)
        .await?;
    Ok(())
}
