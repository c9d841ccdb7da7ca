//! Flavors, key pairs, quotas, compute nodes, instances and instance actions (Nova).

use sqlx::FromRow;

use super::select::{Arg, Select};
use super::table::{table, Table};
use super::{DbError, C};

// --- Flavors ---------------------------------------------------------------------------

table! {
    pub struct FlavorRow in "flavors" {
        pub id: String,
        pub name: String,
        pub vcpus: i64,
        pub memory_mb: i64,
        pub root_gb: i64,
        pub ephemeral_gb: i64,
        pub swap_mb: i64,
        pub rxtx_factor: f64,
        pub is_public: i64,
        pub disabled: i64,
        pub description: Option<String>,
        /// A JSON object of strings.
        pub extra_specs: String,
        pub created_at: i64,
    }
}

/// Which flavors a list returns.
#[derive(Clone, Debug, Default)]
pub struct FlavorFilter {
    /// Flavors this project may use (public ones and those it was given access to);
    /// every flavor when `None` (an administrator).
    pub project_id: Option<String>,
    pub is_public: Option<bool>,
    pub min_ram: Option<i64>,
    pub min_disk: Option<i64>,
    /// Keyset paging: the (memory_mb, vcpus, id) of the previous page's last flavor.
    pub after: Option<(i64, i64, String)>,
    pub limit: Option<i64>,
}

/// Smallest first (RAM, then vCPUs), as Horizon shows them.
pub async fn flavor_list(c: &mut C, f: &FlavorFilter) -> Result<Vec<FlavorRow>, DbError> {
    let mut q = Select::<FlavorRow>::table()
        .when(
            f.project_id.as_deref(),
            "(is_public = 1 OR id IN (SELECT flavor_id FROM flavor_projects WHERE project_id = ?))",
        )
        .eq("is_public", f.is_public)
        .when(f.min_ram, "memory_mb >= ?")
        .when(f.min_disk, "root_gb >= ?");
    if let Some((ram, vcpus, id)) = &f.after {
        q = q.filter(
            "(memory_mb > ?1 OR (memory_mb = ?1 AND (vcpus > ?2 OR (vcpus = ?2 AND id > ?3))))",
            [Arg::Int(*ram), Arg::Int(*vcpus), Arg::from(id)],
        );
    }
    q.order_by("memory_mb, vcpus, id")
        .limit(f.limit)
        .fetch_all(c)
        .await
}

pub async fn flavor_update(c: &mut C, f: &FlavorRow) -> Result<(), DbError> {
    sqlx::query("UPDATE flavors SET description = $2, extra_specs = $3 WHERE id = $1")
        .bind(&f.id)
        .bind(&f.description)
        .bind(&f.extra_specs)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn flavor_access_list(c: &mut C, flavor_id: &str) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT project_id FROM flavor_projects WHERE flavor_id = $1 ORDER BY project_id",
    )
    .bind(flavor_id)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

pub async fn flavor_access_add(
    c: &mut C,
    flavor_id: &str,
    project_id: &str,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO flavor_projects (flavor_id, project_id) VALUES ($1, $2)")
        .bind(flavor_id)
        .bind(project_id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn flavor_access_remove(
    c: &mut C,
    flavor_id: &str,
    project_id: &str,
) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM flavor_projects WHERE flavor_id = $1 AND project_id = $2")
        .bind(flavor_id)
        .bind(project_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

// --- Key pairs -------------------------------------------------------------------------

#[derive(Clone, Debug, FromRow)]
pub struct KeypairRow {
    pub user_id: String,
    pub name: String,
    pub key_type: String,
    pub public_key: String,
    pub fingerprint: String,
    pub created_at: i64,
}

const KEYPAIR_COLS: &str = "user_id, name, key_type, public_key, fingerprint, created_at";

pub async fn keypair_insert(c: &mut C, k: &KeypairRow) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO keypairs ({KEYPAIR_COLS}) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(&k.user_id)
    .bind(&k.name)
    .bind(&k.key_type)
    .bind(&k.public_key)
    .bind(&k.fingerprint)
    .bind(k.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn keypair_get(
    c: &mut C,
    user_id: &str,
    name: &str,
) -> Result<Option<KeypairRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {KEYPAIR_COLS} FROM keypairs WHERE user_id = $1 AND name = $2"
    ))
    .bind(user_id)
    .bind(name)
    .fetch_optional(c)
    .await
}

pub async fn keypair_list(c: &mut C, user_id: &str) -> Result<Vec<KeypairRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {KEYPAIR_COLS} FROM keypairs WHERE user_id = $1 ORDER BY name"
    ))
    .bind(user_id)
    .fetch_all(c)
    .await
}

pub async fn keypair_delete(c: &mut C, user_id: &str, name: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM keypairs WHERE user_id = $1 AND name = $2")
        .bind(user_id)
        .bind(name)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn keypair_count(c: &mut C, user_id: &str) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM keypairs WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(c)
        .await?;
    Ok(n)
}

// --- Quotas ----------------------------------------------------------------------------

/// The limits set for a project (`""` is the defaults), as (resource, limit).
pub async fn quota_list(c: &mut C, project_id: &str) -> Result<Vec<(String, i64)>, DbError> {
    sqlx::query_as("SELECT resource, hard_limit FROM quotas WHERE project_id = $1")
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
        "INSERT INTO quotas (project_id, resource, hard_limit) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit",
    )
    .bind(project_id)
    .bind(resource)
    .bind(limit)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn quota_clear(c: &mut C, project_id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM quotas WHERE project_id = $1")
        .bind(project_id)
        .execute(c)
        .await?;
    Ok(())
}

/// What a project uses: (instances, cores, ram). Every live instance counts as an
/// instance; cores and RAM count unless a failed launch gave its resources back (an
/// instance in `error` that holds no node).
pub async fn project_usage(c: &mut C, project_id: &str) -> Result<(i64, i64, i64), DbError> {
    sqlx::query_as(
        "SELECT COUNT(*),
                CAST(COALESCE(SUM(vcpus), 0) AS BIGINT),
                CAST(COALESCE(SUM(memory_mb), 0) AS BIGINT)
         FROM instances WHERE project_id = $1 AND deleted = 0",
    )
    .bind(project_id)
    .fetch_one(c)
    .await
}

// --- Compute nodes ---------------------------------------------------------------------

#[derive(Clone, Debug, FromRow)]
pub struct NodeRow {
    pub id: String,
    pub num: i64,
    pub host: String,
    pub hypervisor_type: String,
    pub hypervisor_version: i64,
    pub host_ip: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    pub cpu_allocation_ratio: f64,
    pub ram_allocation_ratio: f64,
    pub disk_allocation_ratio: f64,
    pub cpu_info: String,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const NODE_COLS: &str = "id, num, host, hypervisor_type, hypervisor_version, host_ip, vcpus, memory_mb, local_gb, cpu_allocation_ratio, ram_allocation_ratio, disk_allocation_ratio, cpu_info, status, disabled_reason, created_at, updated_at";

pub async fn node_get_by_host(c: &mut C, host: &str) -> Result<Option<NodeRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {NODE_COLS} FROM compute_nodes WHERE host = $1"
    ))
    .bind(host)
    .fetch_optional(c)
    .await
}

pub async fn node_get(c: &mut C, id: &str) -> Result<Option<NodeRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {NODE_COLS} FROM compute_nodes WHERE id = $1 OR CAST(num AS TEXT) = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await
}

pub async fn node_list(c: &mut C) -> Result<Vec<NodeRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {NODE_COLS} FROM compute_nodes ORDER BY num"
    ))
    .fetch_all(c)
    .await
}

/// Records a node's inventory (created on its first report).
pub async fn node_upsert(c: &mut C, n: &NodeRow) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO compute_nodes ({NODE_COLS}) VALUES ($1, (SELECT COALESCE(MAX(num), 0) + 1 FROM compute_nodes), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (host) DO UPDATE SET hypervisor_type = excluded.hypervisor_type,
           hypervisor_version = excluded.hypervisor_version, host_ip = excluded.host_ip,
           vcpus = excluded.vcpus, memory_mb = excluded.memory_mb, local_gb = excluded.local_gb,
           cpu_allocation_ratio = excluded.cpu_allocation_ratio,
           ram_allocation_ratio = excluded.ram_allocation_ratio,
           disk_allocation_ratio = excluded.disk_allocation_ratio,
           cpu_info = excluded.cpu_info, updated_at = excluded.updated_at"
    ))
    .bind(&n.id)
    .bind(&n.host)
    .bind(&n.hypervisor_type)
    .bind(n.hypervisor_version)
    .bind(&n.host_ip)
    .bind(n.vcpus)
    .bind(n.memory_mb)
    .bind(n.local_gb)
    .bind(n.cpu_allocation_ratio)
    .bind(n.ram_allocation_ratio)
    .bind(n.disk_allocation_ratio)
    .bind(&n.cpu_info)
    .bind(&n.status)
    .bind(&n.disabled_reason)
    .bind(n.created_at)
    .bind(n.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn node_set_status(
    c: &mut C,
    id: &str,
    status: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE compute_nodes SET status = $2, disabled_reason = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(reason)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

/// What the live instances on a node hold: (instances, vcpus, memory_mb, disk_gb).
/// (PostgreSQL sums BIGINTs as NUMERIC; the casts keep them BIGINT on both backends.)
/// What a compute node's live instances hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, FromRow)]
pub struct NodeUsage {
    pub instances: i64,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
}

/// Every compute node (as [`node_list`] orders them) with what its live instances hold,
/// in two queries however many nodes there are.
pub async fn node_loads(c: &mut C) -> Result<Vec<(NodeRow, NodeUsage)>, DbError> {
    let nodes = node_list(c).await?;
    let sums: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT node_id, COUNT(*), CAST(COALESCE(SUM(vcpus), 0) AS BIGINT),
                CAST(COALESCE(SUM(memory_mb), 0) AS BIGINT), CAST(COALESCE(SUM(disk_gb), 0) AS BIGINT)
         FROM instances WHERE deleted = 0 AND node_id IS NOT NULL GROUP BY node_id",
    )
    .fetch_all(c)
    .await?;
    Ok(nodes
        .into_iter()
        .map(|node| {
            let usage = sums
                .iter()
                .find(|(id, ..)| *id == node.id)
                .map(|&(_, instances, vcpus, memory_mb, disk_gb)| NodeUsage {
                    instances,
                    vcpus,
                    memory_mb,
                    disk_gb,
                })
                .unwrap_or_default();
            (node, usage)
        })
        .collect())
}

/// A live instance and the compute node it runs on (`with_servers` on hypervisors).
#[derive(Clone, Debug, FromRow)]
pub struct HostedServer {
    pub node_id: String,
    pub id: String,
    pub name: String,
}

/// Every live instance that is placed on a node, oldest first.
pub async fn hosted_servers(c: &mut C) -> Result<Vec<HostedServer>, DbError> {
    Select::new("node_id, id, name", "instances")
        .only("deleted = 0 AND node_id IS NOT NULL")
        .order_by("created_at, id")
        .fetch_all(c)
        .await
}

// --- Instances -------------------------------------------------------------------------

table! {
    pub struct InstanceRow in "instances" {
        pub id: String,
        pub name: String,
        pub project_id: String,
        pub user_id: String,
        pub image_id: Option<String>,
        pub flavor: String,
        pub flavor_id: String,
        pub vcpus: i64,
        pub memory_mb: i64,
        pub disk_gb: i64,
        pub new_flavor: Option<String>,
        pub old_flavor: Option<String>,
        pub key_name: Option<String>,
        pub key_data: Option<String>,
        pub user_data: Option<String>,
        pub metadata: String,
        pub hostname: String,
        pub node_id: Option<String>,
        pub host: Option<String>,
        pub vm_state: String,
        pub task_state: Option<String>,
        pub power_state: i64,
        pub locked: i64,
        pub locked_by: Option<String>,
        pub locked_reason: Option<String>,
        pub fault: Option<String>,
        pub config_drive: i64,
        pub availability_zone: String,
        pub progress: i64,
        pub launched_at: Option<i64>,
        pub terminated_at: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
        pub deleted: i64,
        pub server_group_id: Option<String>,
        pub access_ip_v4: String,
        pub access_ip_v6: String,
        pub disk_config: String,
    }
}

/// Saves an instance unless a delete has begun on it since it was read (Nova's
/// `expected_task_state`): a launch or an action finishing late must not undo the
/// delete's `deleting`. `false` when the row was being deleted (or is gone).
pub async fn instance_save(c: &mut C, i: &InstanceRow) -> Result<bool, DbError> {
    let sql = format!(
        "{} AND deleted = 0 AND (task_state IS NULL OR task_state <> 'deleting')",
        super::table::update_sql::<InstanceRow>()
    );
    let r = i.bind(sqlx::query(&sql)).execute(c).await?;
    Ok(r.rows_affected() > 0)
}

pub async fn instance_get(c: &mut C, id: &str) -> Result<Option<InstanceRow>, DbError> {
    let instance_cols = InstanceRow::columns();
    sqlx::query_as(&format!(
        "SELECT {instance_cols} FROM instances WHERE id = $1 AND deleted = 0"
    ))
    .bind(id)
    .fetch_optional(c)
    .await
}

/// Claims an instance for a task: sets `task_state` only if none is running, so two
/// actions never overlap. `false` when another task holds it.
pub async fn instance_claim_task(
    c: &mut C,
    id: &str,
    task_state: &str,
    now: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE instances SET task_state = $2, updated_at = $3 WHERE id = $1 AND deleted = 0 AND task_state IS NULL",
    )
    .bind(id)
    .bind(task_state)
    .bind(now)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Marks an instance as being deleted, whatever task it had: a delete overrides them
/// all (the task's own saves are refused from then on, see [`instance_save`]).
pub async fn instance_mark_deleting(c: &mut C, id: &str, now: i64) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE instances SET task_state = 'deleting', updated_at = $2 WHERE id = $1 AND deleted = 0",
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Live instances still holding a task or resources, for reconciliation at start.
pub async fn instance_list_all_live(c: &mut C) -> Result<Vec<InstanceRow>, DbError> {
    let instance_cols = InstanceRow::columns();
    sqlx::query_as(&format!(
        "SELECT {instance_cols} FROM instances WHERE deleted = 0 ORDER BY created_at, id"
    ))
    .fetch_all(c)
    .await
}

#[derive(Clone, Debug, Default)]
pub struct InstanceFilter {
    /// `None`: every project (administrators with all_tenants).
    pub project_id: Option<String>,
    pub name: Option<String>,
    pub vm_states: Vec<String>,
    pub image_id: Option<String>,
    pub flavor_id: Option<String>,
    pub host: Option<String>,
    pub changes_since: Option<i64>,
    /// Keyset paging: the (created_at, id) of the previous page's last row.
    pub after: Option<(i64, String)>,
    pub limit: i64,
    /// Rows to skip (the portal's numbered pages).
    pub offset: i64,
    /// Only these instances (what a regular expression over names or addresses chose).
    pub ids: Option<Vec<String>>,
}

/// The instances a filter finds, before paging.
fn instances(f: &InstanceFilter) -> Select<InstanceRow> {
    Select::table()
        .only("deleted = 0")
        .within("id", f.ids.as_deref())
        .eq("project_id", f.project_id.as_deref())
        .contains(&["name"], f.name.as_deref())
        .eq("image_id", f.image_id.as_deref())
        .eq("flavor_id", f.flavor_id.as_deref())
        .eq("host", f.host.as_deref())
        .when(f.changes_since, "updated_at >= ?")
        .one_of("vm_state", &f.vm_states)
}

/// Newest first, as Nova lists.
pub async fn instance_list(c: &mut C, f: &InstanceFilter) -> Result<Vec<InstanceRow>, DbError> {
    let after = f.after.clone().map(|(t, id)| (Arg::Int(t), id));
    instances(f)
        .after("created_at", true, after)
        .order_by("created_at DESC, id DESC")
        .limit(Some(f.limit))
        .offset(f.offset)
        .fetch_all(c)
        .await
}

/// The (id, name) of every instance a filter finds, unpaged: what a regular expression is
/// matched against.
pub async fn instance_names(
    c: &mut C,
    f: &InstanceFilter,
) -> Result<Vec<(String, String)>, DbError> {
    let rows = instances(f).fetch_all(c).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

pub async fn instance_count(c: &mut C, f: &InstanceFilter) -> Result<i64, DbError> {
    instances(f).count(c).await
}

// --- Instance actions ------------------------------------------------------------------

table! {
    pub struct ActionRow in "instance_actions" {
        pub id: String,
        pub instance_id: String,
        pub action: String,
        pub request_id: String,
        pub user_id: String,
        pub project_id: String,
        pub message: Option<String>,
        pub start_time: i64,
        pub finish_time: Option<i64>,
        /// A JSON array of events.
        pub events: String,
    }
}

pub async fn action_finish(
    c: &mut C,
    id: &str,
    message: Option<&str>,
    finish_time: i64,
    events: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE instance_actions SET message = $2, finish_time = $3, events = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(message)
    .bind(finish_time)
    .bind(events)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn action_list(c: &mut C, instance_id: &str) -> Result<Vec<ActionRow>, DbError> {
    let action_cols = ActionRow::columns();
    sqlx::query_as(&format!(
        "SELECT {action_cols} FROM instance_actions WHERE instance_id = $1 ORDER BY start_time DESC, id DESC"
    ))
    .bind(instance_id)
    .fetch_all(c)
    .await
}

// --- Usage (os-simple-tenant-usage) --------------------------------------------------

/// What a usage report needs of an instance, deleted ones included.
#[derive(Clone, Debug, FromRow)]
pub struct UsageRow {
    pub id: String,
    pub name: String,
    pub project_id: String,
    /// The flavor as it was at launch (or after a resize), JSON.
    pub flavor: String,
    pub vm_state: String,
    pub launched_at: Option<i64>,
    pub terminated_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Clone, Debug)]
pub struct UsageFilter {
    /// `None`: every project.
    pub project_id: Option<String>,
    /// The window, in seconds since the epoch: instances launched before `end` and not
    /// terminated before `start` (Nova's "active by window").
    pub start: i64,
    pub end: i64,
    /// Keyset paging: the (created_at, id) of the previous page's last row.
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

/// Instances that ran during a window, oldest first.
pub async fn usage_instances(c: &mut C, f: &UsageFilter) -> Result<Vec<UsageRow>, DbError> {
    let after = f.after.clone().map(|(t, id)| (Arg::Int(t), id));
    Select::new(
        "id, name, project_id, flavor, vm_state, launched_at, terminated_at, created_at",
        "instances",
    )
    .eq("project_id", f.project_id.as_deref())
    .filter(
        "launched_at IS NOT NULL AND launched_at < ?2 AND (terminated_at IS NULL OR terminated_at > ?1)",
        [f.start, f.end],
    )
    .after("created_at", false, after)
    .order_by("created_at, id")
    .limit(Some(f.limit))
    .fetch_all(c)
    .await
}

/// The paging position of an instance, deleted or not (a usage report's marker).
pub async fn usage_marker(c: &mut C, id: &str) -> Result<Option<(i64, String)>, DbError> {
    sqlx::query_as("SELECT created_at, id FROM instances WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await
}

// --- Network interfaces ------------------------------------------------------------------

#[derive(Clone, Debug, FromRow)]
pub struct NicRow {
    pub instance_id: String,
    pub position: i64,
    pub port_id: String,
    pub preserve_on_delete: i64,
}

pub async fn nic_insert(c: &mut C, n: &NicRow) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO instance_nics (instance_id, position, port_id, preserve_on_delete) VALUES ($1, $2, $3, $4)",
    )
    .bind(&n.instance_id)
    .bind(n.position)
    .bind(&n.port_id)
    .bind(n.preserve_on_delete)
    .execute(c)
    .await?;
    Ok(())
}

/// The interfaces of these instances, each instance's in order.
/// Interfaces whose instance is gone (deleted, or never recorded): what a delete that
/// raced a launch's last port, cut short by a crash, can leave.
pub async fn nics_of_gone_instances(c: &mut C) -> Result<Vec<NicRow>, DbError> {
    sqlx::query_as(
        "SELECT n.instance_id, n.position, n.port_id, n.preserve_on_delete FROM instance_nics n
          LEFT JOIN instances i ON i.id = n.instance_id AND i.deleted = 0
          WHERE i.id IS NULL ORDER BY n.instance_id, n.position",
    )
    .fetch_all(c)
    .await
}

pub async fn nics_of(c: &mut C, instance_ids: &[String]) -> Result<Vec<NicRow>, DbError> {
    if instance_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT instance_id, position, port_id, preserve_on_delete FROM instance_nics
          WHERE instance_id IN ({}) ORDER BY instance_id, position",
        super::table::placeholders(1, instance_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in instance_ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(c).await
}

pub async fn nic_delete(c: &mut C, instance_id: &str, port_id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM instance_nics WHERE instance_id = $1 AND port_id = $2")
        .bind(instance_id)
        .bind(port_id)
        .execute(c)
        .await?;
    Ok(())
}

/// Forgets an interface whose port went away by itself (deleted through Neutron).
pub async fn nic_delete_port(c: &mut C, port_id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM instance_nics WHERE port_id = $1")
        .bind(port_id)
        .execute(c)
        .await?;
    Ok(())
}

// --- Migrations ------------------------------------------------------------------------

table! {
    /// A move of an instance (a resize), with the status it reached.
    pub struct MigrationRow in "migrations" {
        pub id: String,
        pub num: i64,
        pub instance_id: String,
        pub project_id: String,
        pub user_id: String,
        pub migration_type: String,
        pub status: String,
        pub source_compute: Option<String>,
        pub dest_compute: Option<String>,
        pub old_flavor_id: Option<String>,
        pub new_flavor_id: Option<String>,
        pub created_at: i64,
        pub updated_at: Option<i64>,
    }
}

/// Which migrations a list returns.
#[derive(Clone, Debug, Default)]
pub struct MigrationFilter {
    pub instance_id: Option<String>,
    pub status: Option<String>,
    pub migration_type: Option<String>,
    /// Either end's host.
    pub host: Option<String>,
}

/// Newest first, as Nova lists them.
pub async fn migration_list(c: &mut C, f: &MigrationFilter) -> Result<Vec<MigrationRow>, DbError> {
    let mut rows: Vec<MigrationRow> = Select::table()
        .eq("instance_id", f.instance_id.as_deref())
        .eq("status", f.status.as_deref())
        .eq("migration_type", f.migration_type.as_deref())
        .order_by("created_at DESC, num DESC")
        .fetch_all(c)
        .await?;
    if let Some(h) = &f.host {
        rows.retain(|m| m.source_compute.as_ref() == Some(h) || m.dest_compute.as_ref() == Some(h));
    }
    Ok(rows)
}

/// The integer id the next migration gets.
pub async fn migration_next_num(c: &mut C) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(num), 0) + 1 FROM migrations")
        .fetch_one(c)
        .await?;
    Ok(n)
}

/// Moves an instance's latest migration in one of the `from` statuses to `to`.
pub async fn migration_advance(
    c: &mut C,
    instance_id: &str,
    from: &[&str],
    to: &str,
    at: i64,
) -> Result<(), DbError> {
    let latest = migration_list(
        c,
        &MigrationFilter {
            instance_id: Some(instance_id.to_string()),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .find(|m| from.contains(&m.status.as_str()));
    if let Some(mut m) = latest {
        m.status = to.to_string();
        m.updated_at = Some(at);
        super::table::save(c, &m).await?;
    }
    Ok(())
}
