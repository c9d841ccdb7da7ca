//! Servers: create (checks, quota, records; the launch saga does the rest), list, show,
//! update, and the state Nova reports.

use std::collections::BTreeMap;

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{
    parse_map, to_json, ComputeService, Flavor, Hypervisor, HypervisorUsage, PowerState, TaskState,
    VmState, MAX_COUNT,
};
use crate::server::authz::{authorize, is_admin, reads_all_projects, visible, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, compute::InstanceFilter, compute::InstanceRow};
use crate::server::error::{Error, Result};
use crate::server::services::now;

/// A volume attached to an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeAttachment {
    pub volume_id: String,
    pub server_id: String,
    /// Where the guest sees it (`/dev/vdb`).
    pub device: String,
}

/// The sums over every hypervisor; `*_allocatable` is what the allocation ratios let the
/// scheduler place.
#[derive(Clone, Debug, PartialEq)]
pub struct HypervisorStatistics {
    pub count: i64,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    pub vcpus_used: i64,
    pub memory_mb_used: i64,
    pub local_gb_used: i64,
    pub running_vms: i64,
    pub vcpus_allocatable: i64,
    pub memory_mb_allocatable: i64,
}

/// The last error of an instance, as Nova shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub code: i64,
    pub message: String,
    pub details: Option<String>,
    pub created: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Server {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub user_id: String,
    pub image_id: Option<String>,
    pub flavor: Flavor,
    pub key_name: Option<String>,
    pub key_data: Option<String>,
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub hostname: String,
    pub node_id: Option<String>,
    pub host: Option<String>,
    pub vm_state: VmState,
    pub task_state: Option<TaskState>,
    pub power_state: PowerState,
    pub locked: bool,
    pub locked_by: Option<String>,
    pub locked_reason: Option<String>,
    pub fault: Option<Fault>,
    pub config_drive: bool,
    pub availability_zone: String,
    pub progress: i64,
    pub launched_at: Option<i64>,
    pub terminated_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// During a resize: the flavor being moved to, and the one to go back to.
    pub new_flavor: Option<Flavor>,
    pub old_flavor: Option<Flavor>,
    /// The server group it is a member of.
    pub server_group: Option<String>,
    pub labels: ServerLabels,
}

/// How a server's disk was to be partitioned (Nova's `OS-DCF:diskConfig`): `AUTO` grows
/// the root partition to the disk, `MANUAL` leaves the image's as it is. Gureum's guests
/// grow their own file systems (cloud-init), so it is recorded and shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DiskConfig {
    Auto,
    #[default]
    Manual,
}

impl DiskConfig {
    pub fn as_str(self) -> &'static str {
        match self {
            DiskConfig::Auto => "AUTO",
            DiskConfig::Manual => "MANUAL",
        }
    }

    pub fn parse(s: &str) -> Option<DiskConfig> {
        match s {
            "AUTO" => Some(DiskConfig::Auto),
            "MANUAL" => Some(DiskConfig::Manual),
            _ => None,
        }
    }
}

/// What a server shows of itself that the cloud does not act on: the addresses its user
/// says to reach it at (`accessIPv4`, `accessIPv6`; empty when not set) and its disk
/// configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerLabels {
    pub access_ipv4: String,
    pub access_ipv6: String,
    pub disk_config: DiskConfig,
}

/// A change to a server's labels: only what is given changes.
#[derive(Clone, Debug, Default)]
pub struct LabelsChange {
    pub access_ipv4: Option<String>,
    pub access_ipv6: Option<String>,
    pub disk_config: Option<DiskConfig>,
}

impl ServerLabels {
    /// Applies a change, refusing an address that is not of its family.
    pub fn apply(&mut self, change: &LabelsChange) -> Result<()> {
        if let Some(v4) = &change.access_ipv4 {
            // Kept in its canonical form, as Nova keeps it.
            self.access_ipv4 = match v4.parse::<std::net::Ipv4Addr>() {
                _ if v4.is_empty() => String::new(),
                Ok(a) => a.to_string(),
                Err(_) => {
                    return Err(Error::invalid(msg!(
                        "Invalid input for field/attribute accessIPv4. Value: {v4}. It is not an IPv4 address.",
                        v4
                    )))
                }
            };
        }
        if let Some(v6) = &change.access_ipv6 {
            self.access_ipv6 = match v6.parse::<std::net::Ipv6Addr>() {
                _ if v6.is_empty() => String::new(),
                Ok(a) => a.to_string(),
                Err(_) => {
                    return Err(Error::invalid(msg!(
                        "Invalid input for field/attribute accessIPv6. Value: {v6}. It is not an IPv6 address.",
                        v6
                    )))
                }
            };
        }
        if let Some(d) = change.disk_config {
            self.disk_config = d;
        }
        Ok(())
    }
}

impl From<InstanceRow> for Server {
    fn from(r: InstanceRow) -> Server {
        Server {
            flavor: serde_json::from_str(&r.flavor).unwrap_or_else(|_| Flavor {
                id: r.flavor_id.clone(),
                name: r.flavor_id.clone(),
                vcpus: r.vcpus,
                ram: r.memory_mb,
                disk: r.disk_gb,
                ephemeral: 0,
                swap: 0,
                rxtx_factor: 1.0,
                is_public: true,
                disabled: false,
                description: None,
                extra_specs: BTreeMap::new(),
            }),
            new_flavor: r
                .new_flavor
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok()),
            old_flavor: r
                .old_flavor
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok()),
            metadata: parse_map(&r.metadata),
            fault: r
                .fault
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok()),
            id: r.id,
            name: r.name,
            project_id: r.project_id,
            user_id: r.user_id,
            image_id: r.image_id,
            key_name: r.key_name,
            key_data: r.key_data,
            user_data: r.user_data,
            hostname: r.hostname,
            node_id: r.node_id,
            host: r.host,
            vm_state: VmState::from_row(&r.vm_state),
            task_state: TaskState::from_row(r.task_state.as_deref()),
            power_state: PowerState::from_code(r.power_state),
            locked: r.locked != 0,
            locked_by: r.locked_by,
            locked_reason: r.locked_reason,
            config_drive: r.config_drive != 0,
            availability_zone: r.availability_zone,
            progress: r.progress,
            launched_at: r.launched_at,
            terminated_at: r.terminated_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            server_group: r.server_group_id,
            labels: ServerLabels {
                access_ipv4: r.access_ip_v4,
                access_ipv6: r.access_ip_v6,
                disk_config: DiskConfig::parse(&r.disk_config).unwrap_or_default(),
            },
        }
    }
}

/// Whether the caller may act on an instance as its lock stands: an unlocked one, or as
/// an administrator (the portal offers only what this allows).
pub fn lock_allows(ctx: &OpCtx, server: &Server) -> bool {
    !server.locked || is_admin(ctx)
}

/// Whether the caller may unlock an instance: administrators, and whoever locked it.
pub fn may_unlock(ctx: &OpCtx, server: &Server) -> bool {
    lock_allows(ctx, server) || server.locked_by.as_deref() == Some(ctx.user_id())
}

impl Server {
    pub(super) fn to_row(&self) -> InstanceRow {
        // During a resize the instance holds the larger of both flavors.
        let held = |f: fn(&Flavor) -> i64| {
            let mut v = f(&self.flavor);
            for other in [&self.new_flavor, &self.old_flavor].into_iter().flatten() {
                v = v.max(f(other));
            }
            v
        };
        InstanceRow {
            id: self.id.clone(),
            name: self.name.clone(),
            project_id: self.project_id.clone(),
            user_id: self.user_id.clone(),
            image_id: self.image_id.clone(),
            flavor: to_json(&self.flavor),
            flavor_id: self.flavor.id.clone(),
            vcpus: held(|f| f.vcpus),
            memory_mb: held(|f| f.ram),
            disk_gb: held(Flavor::disk_gb),
            new_flavor: self.new_flavor.as_ref().map(to_json),
            old_flavor: self.old_flavor.as_ref().map(to_json),
            key_name: self.key_name.clone(),
            key_data: self.key_data.clone(),
            user_data: self.user_data.clone(),
            metadata: to_json(&self.metadata),
            hostname: self.hostname.clone(),
            node_id: self.node_id.clone(),
            host: self.host.clone(),
            vm_state: self.vm_state.as_str().to_string(),
            task_state: self.task_state.map(|t| t.as_str().to_string()),
            power_state: self.power_state.code(),
            locked: self.locked as i64,
            locked_by: self.locked_by.clone(),
            locked_reason: self.locked_reason.clone(),
            fault: self.fault.as_ref().map(to_json),
            config_drive: self.config_drive as i64,
            availability_zone: self.availability_zone.clone(),
            progress: self.progress,
            launched_at: self.launched_at,
            terminated_at: self.terminated_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted: 0,
            server_group_id: self.server_group.clone(),
            access_ip_v4: self.labels.access_ipv4.clone(),
            access_ip_v6: self.labels.access_ipv6.clone(),
            disk_config: self.labels.disk_config.as_str().to_string(),
        }
    }

    /// Nova's `status`, from `vm_state` and `task_state`.
    pub fn status(&self) -> &'static str {
        use TaskState::*;
        let task = self.task_state;
        match self.vm_state {
            VmState::Active => match task {
                Some(Rebooting) => "REBOOT",
                Some(RebootingHard) => "HARD_REBOOT",
                Some(Rebuilding) => "REBUILD",
                Some(ResizePrep) => "RESIZE",
                _ => "ACTIVE",
            },
            VmState::Building => "BUILD",
            VmState::Stopped => match task {
                Some(ResizePrep) => "RESIZE",
                Some(Rebuilding) => "REBUILD",
                _ => "SHUTOFF",
            },
            VmState::Resized => match task {
                Some(ResizeReverting) => "REVERT_RESIZE",
                _ => "VERIFY_RESIZE",
            },
            VmState::Paused => "PAUSED",
            VmState::Suspended => "SUSPENDED",
            VmState::Rescued => "RESCUE",
            VmState::Error => match task {
                Some(Rebuilding) => "REBUILD",
                _ => "ERROR",
            },
            VmState::Deleted => "DELETED",
            VmState::SoftDeleted => "SOFT_DELETED",
            VmState::Shelved => "SHELVED",
            VmState::ShelvedOffloaded => "SHELVED_OFFLOADED",
        }
    }

    pub fn user_data_bytes(&self) -> Option<Vec<u8>> {
        self.user_data
            .as_deref()
            .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
    }
}

/// Whether a `status` filter names a status Nova knows.
pub fn known_status(status: &str) -> bool {
    vm_states_for_status(status).is_some()
}

/// The vm_states a `status` filter selects.
fn vm_states_for_status(status: &str) -> Option<Vec<VmState>> {
    use VmState::*;
    Some(match status.to_ascii_uppercase().as_str() {
        "ACTIVE" | "REBOOT" | "HARD_REBOOT" | "MIGRATING" | "PASSWORD" => vec![Active],
        "BUILD" => vec![Building],
        "SHUTOFF" => vec![Stopped],
        "RESIZE" => vec![Active, Stopped],
        "VERIFY_RESIZE" | "REVERT_RESIZE" => vec![Resized],
        "PAUSED" => vec![Paused],
        "SUSPENDED" => vec![Suspended],
        "RESCUE" => vec![Rescued],
        "ERROR" => vec![Error],
        "REBUILD" => vec![Active, Stopped, Error],
        "DELETED" => vec![Deleted],
        "SOFT_DELETED" => vec![SoftDeleted],
        "SHELVED" => vec![Shelved],
        "SHELVED_OFFLOADED" => vec![ShelvedOffloaded],
        _ => return None,
    })
}

/// What the caller asks to boot.
#[derive(Clone, Debug, Default)]
pub struct ServerCreate {
    pub name: String,
    pub image_id: Option<String>,
    pub flavor_id: String,
    pub key_name: Option<String>,
    /// Base64, as the API takes it.
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub min_count: i64,
    pub max_count: i64,
    pub availability_zone: Option<String>,
    pub hostname: Option<String>,
    pub networks: super::NetworkRequest,
    /// Security groups by name or id (none: the project's `default`).
    pub security_groups: Vec<String>,
    /// The administrator password for the guest (none: a new one is made).
    pub admin_pass: Option<String>,
    /// The server group to join (`scheduler_hints.group`).
    pub group: Option<String>,
    pub labels: LabelsChange,
}

/// A new administrator password, as Nova makes one when the request gives none: twelve
/// characters from letters and digits that cannot be mistaken for one another.
pub fn new_admin_pass() -> String {
    use rand::seq::SliceRandom;
    const CHARS: &[u8] = b"23456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| *CHARS.choose(&mut rng).unwrap_or(&b'x') as char)
        .collect()
}

/// The servers a create made, and the administrator password they were given.
pub struct Launched {
    pub servers: Vec<Server>,
    pub admin_pass: String,
}

#[derive(Clone, Debug, Default)]
pub struct ServerListQuery {
    /// Administrators: every project (`all_tenants`), or one (`project_id`).
    pub all_projects: bool,
    pub project_id: Option<String>,
    /// A regular expression the name matches somewhere (Nova's `name` filter).
    pub name: Option<String>,
    /// A regular expression one of the fixed IPv4 or IPv6 addresses matches (`ip`, `ip6`).
    pub ip: Option<String>,
    pub status: Option<String>,
    pub image_id: Option<String>,
    pub flavor_id: Option<String>,
    pub host: Option<String>,
    pub changes_since: Option<i64>,
    pub marker: Option<String>,
    pub limit: Option<i64>,
    /// Rows to skip (the portal's numbered pages).
    pub offset: i64,
}

pub struct ServerList {
    pub servers: Vec<Server>,
    /// The id to continue after, when the page was full.
    pub next_marker: Option<String>,
    /// All matching servers (for the portal's pager).
    pub total: i64,
}

/// Nova's largest page (`max_limit`).
pub const MAX_LIMIT: i64 = 1000;

/// A display name as a DNS label (Nova's sanitize_hostname).
pub fn hostname_for(name: &str, id: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c);
        } else if (c == ' ' || c == '_' || c == '.') && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches('-').chars().take(63).collect();
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        format!("server-{id}")
    } else {
        out
    }
}

fn check_server_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            msg!("Invalid input for field/attribute name. Value: a server name has 1 to 255 printable characters."),
        ));
    }
    Ok(())
}

fn check_metadata(metadata: &BTreeMap<String, String>, limit: i64) -> Result<()> {
    if limit >= 0 && metadata.len() as i64 > limit {
        return Err(Error::OverQuota(msg!(
            "Quota exceeded for metadata_items: Requested {len}, but the limit is {limit}",
            len = metadata.len(),
            limit
        )));
    }
    for (k, v) in metadata {
        if k.is_empty() || k.chars().count() > 255 || v.chars().count() > 255 {
            return Err(Error::invalid(
                msg!("Invalid input for field/attribute metadata: keys have 1 to 255 characters, values at most 255."),
            ));
        }
    }
    Ok(())
}

impl ComputeService {
    /// Loads an instance the caller may see (a 404 otherwise).
    pub(super) async fn load(&self, ctx: &OpCtx, id: &str, action: Action) -> Result<Server> {
        let mut conn = self.db.conn().await?;
        let server: Server = db::compute::instance_get(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("instance", id))?
            .into();
        authorize(
            ctx,
            action,
            Resource::ProjectOwned {
                kind: "instance",
                id,
                project_id: &server.project_id,
            },
        )?;
        Ok(server)
    }

    pub async fn server_get(&self, ctx: &OpCtx, id: &str) -> Result<Server> {
        self.load(ctx, id, Action::Read).await
    }

    /// The volumes attached to an instance (`os-volume_attachments`): none until the
    /// block storage service exists, but the instance is looked up as for any read, so
    /// another project's is still not found.
    pub async fn volume_attachments(&self, ctx: &OpCtx, id: &str) -> Result<Vec<VolumeAttachment>> {
        self.load(ctx, id, Action::Read).await?;
        Ok(Vec::new())
    }

    /// Whether the caller may act on a server it can see (start, stop, read its console
    /// log, open its console): members of its project, not readers.
    pub fn may_operate(ctx: &OpCtx, server: &Server) -> bool {
        authorize(
            ctx,
            Action::Modify,
            Resource::ProjectOwned {
                kind: "instance",
                id: &server.id,
                project_id: &server.project_id,
            },
        )
        .is_ok()
    }

    pub async fn server_list(&self, ctx: &OpCtx, q: ServerListQuery) -> Result<ServerList> {
        let project_id = if q.all_projects || q.project_id.is_some() {
            if !reads_all_projects(ctx) {
                // Nova ignores all_tenants for non-admins; a project filter of another
                // project shows nothing.
                match (&q.project_id, ctx.auth.project_id()) {
                    (Some(p), Some(mine)) if p != mine => {
                        return Ok(ServerList {
                            servers: Vec::new(),
                            next_marker: None,
                            total: 0,
                        })
                    }
                    _ => ctx.auth.project_id().map(str::to_string),
                }
            } else {
                q.project_id.clone()
            }
        } else {
            ctx.auth.project_id().map(str::to_string)
        };
        let Some(scope) = project_id
            .clone()
            .or_else(|| reads_all_projects(ctx).then(String::new))
        else {
            return Err(Error::forbidden_msg(msg!(
                "Servers are listed with a project-scoped token."
            )));
        };
        if !scope.is_empty() {
            authorize(
                ctx,
                Action::List,
                Resource::ProjectOwned {
                    kind: "instance",
                    id: "*",
                    project_id: &scope,
                },
            )?;
        }
        let vm_states = match &q.status {
            None => Vec::new(),
            Some(s) => vm_states_for_status(s)
                .ok_or_else(|| Error::invalid(msg!("Invalid status value: {s}", s)))?
                .into_iter()
                .map(|state| state.as_str().to_string())
                .collect(),
        };
        let limit = q.limit.unwrap_or(MAX_LIMIT);
        if !(0..=i64::MAX).contains(&limit) {
            return Err(Error::invalid(msg!("limit must be a non-negative integer")));
        }
        let limit = limit.min(MAX_LIMIT);
        let mut conn = self.db.conn().await?;
        let after = match &q.marker {
            None => None,
            Some(m) => {
                let row = db::compute::instance_get(&mut conn, m)
                    .await?
                    .filter(|r| is_admin(ctx) || visible(ctx, &r.project_id))
                    .ok_or_else(|| Error::invalid(msg!("marker [{m}] not found", m)))?;
                Some((row.created_at, row.id))
            }
        };
        // A name that is a plain string is a substring the database finds; a regular
        // expression (or an address one) chooses the ids first.
        let pattern = |field: &str, p: &str| {
            regex::Regex::new(p).map_err(|_| {
                Error::invalid(msg!(
                    "Invalid input for query parameters {field}. Value: {p}. It is not a regular expression.",
                    field,
                    p
                ))
            })
        };
        let plain = |p: &str| !p.chars().any(|c| "\\^$.|?*+()[]{}".contains(c));
        let name_regex = match &q.name {
            Some(n) if !plain(n) => Some(pattern("name", n)?),
            _ => None,
        };
        let ip_regex = match &q.ip {
            Some(ip) => Some(pattern("ip", ip)?),
            None => None,
        };
        let mut filter = InstanceFilter {
            project_id,
            name: q.name.filter(|_| name_regex.is_none()),
            vm_states,
            image_id: q.image_id,
            flavor_id: q.flavor_id,
            host: if is_admin(ctx) { q.host } else { None },
            changes_since: q.changes_since,
            after,
            limit,
            offset: q.offset.max(0),
            ids: None,
        };
        if name_regex.is_some() || ip_regex.is_some() {
            let mut chosen: Vec<(String, String)> =
                db::compute::instance_names(&mut conn, &filter).await?;
            if let Some(re) = &name_regex {
                chosen.retain(|(_, name)| re.is_match(name));
            }
            if let Some(re) = &ip_regex {
                let ids: Vec<String> = chosen.iter().map(|(id, _)| id.clone()).collect();
                let nets = self.networking_of(&ids).await?;
                chosen.retain(|(id, _)| {
                    nets.get(id).is_some_and(|n| {
                        n.addresses
                            .iter()
                            .any(|a| a.kind == "fixed" && re.is_match(&a.addr))
                    })
                });
            }
            filter.ids = Some(chosen.into_iter().map(|(id, _)| id).collect());
        }
        let rows = db::compute::instance_list(&mut conn, &filter).await?;
        filter.after = None;
        let total = db::compute::instance_count(&mut conn, &filter).await?;
        let next_marker = (rows.len() as i64 == limit && limit > 0)
            .then(|| rows.last().map(|r| r.id.clone()))
            .flatten();
        Ok(ServerList {
            servers: rows.into_iter().map(Server::from).collect(),
            next_marker,
            total,
        })
    }

    /// Checks a request, claims quota, records the instances (`BUILD`), and starts one
    /// launch saga per instance. Returns the new servers.
    pub async fn server_create(&self, ctx: &OpCtx, p: ServerCreate) -> Result<Launched> {
        let project_id = ctx
            .auth
            .project_id()
            .ok_or_else(|| {
                Error::forbidden_msg(msg!("Servers are created with a project-scoped token."))
            })?
            .to_string();
        authorize(
            ctx,
            Action::Create,
            Resource::ProjectOwned {
                kind: "instance",
                id: "*",
                project_id: &project_id,
            },
        )?;
        check_server_name(&p.name)?;
        if p.min_count < 1 || p.max_count < 1 || p.min_count > p.max_count {
            return Err(Error::invalid(
                msg!("Invalid input for field/attribute min_count/max_count: both are at least 1 and min_count is not over max_count."),
            ));
        }
        for (field, value) in [("min_count", p.min_count), ("max_count", p.max_count)] {
            if value > MAX_COUNT {
                return Err(Error::invalid(msg!("Invalid input for field/attribute {field}. Value: {value}. {value} is greater than the maximum of {MAX_COUNT}", field, value, MAX_COUNT)));
            }
        }
        if let Some(az) = p.availability_zone.as_deref().filter(|az| !az.is_empty()) {
            if !self.zones().await?.iter().any(|z| z.name == az) {
                return Err(Error::invalid(msg!(
                    "The requested availability zone is not available: {az}",
                    az
                )));
            }
        }
        if let Some(h) = &p.hostname {
            if h.is_empty()
                || h.len() > 63
                || !h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                || h.starts_with('-')
            {
                return Err(Error::invalid(msg!(
                    "Invalid input for field/attribute hostname. Value: {h}.",
                    h
                )));
            }
        }
        if let Some(data) = &p.user_data {
            if data.len() > 65535
                || base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .is_err()
            {
                return Err(Error::invalid(
                    msg!("Invalid input for field/attribute user_data: it must be Base64 of at most 65535 characters."),
                ));
            }
        }
        let limit = self.quota_limit(&project_id, "metadata_items").await?;
        check_metadata(&p.metadata, limit)?;
        let flavor = self
            .flavor_get(ctx, &p.flavor_id)
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => Error::invalid(msg!(
                    "Flavor {flavor_id} could not be found.",
                    flavor_id = p.flavor_id
                )),
                other => other,
            })?;
        if flavor.disabled {
            return Err(Error::invalid(msg!(
                "Flavor {id} is disabled.",
                id = flavor.id
            )));
        }
        let Some(image_id) = p.image_id.clone() else {
            return Err(Error::invalid(
                msg!("Booting from a volume is not available: the volume service is not offered yet. Give an imageRef."),
            ));
        };
        let image = self
            .image
            .image_get(ctx, &image_id)
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => {
                    Error::invalid(msg!("Image {image_id} could not be found.", image_id))
                }
                other => other,
            })?;
        if image.status != "active" {
            return Err(Error::invalid(msg!(
                "Image {image_id} is not active.",
                image_id
            )));
        }
        if image.min_ram > flavor.ram {
            return Err(Error::invalid(msg!(
                "Flavor's memory is too small for requested image."
            )));
        }
        let gib = 1i64 << 30;
        if flavor.disk > 0
            && (image.min_disk > flavor.disk
                || image.virtual_size.unwrap_or(0) > flavor.disk * gib
                || image.size.unwrap_or(0) > flavor.disk * gib)
        {
            return Err(Error::invalid(msg!(
                "Flavor's disk is too small for requested image."
            )));
        }
        let key = match &p.key_name {
            None => None,
            Some(name) => Some(
                self.keypair_get(ctx, name, None)
                    .await
                    .map_err(|_| Error::invalid(msg!("Invalid key_name provided.")))?,
            ),
        };

        let nics = self
            .plan_nics(ctx, &p.networks, &p.security_groups, p.max_count)
            .await?;
        let mut labels = ServerLabels::default();
        labels.apply(&p.labels)?;

        let _claim = self.quota_claim(&project_id).await;
        // Launch as many as the quota allows, at least min_count (as Nova does).
        let room = self
            .instance_room(
                &project_id,
                &[
                    ("instances", 1),
                    ("cores", flavor.vcpus),
                    ("ram", flavor.ram),
                ],
            )
            .await?;
        let count = p.max_count.min(room);
        if count < p.min_count {
            let wanted = [
                ("instances", p.min_count),
                ("cores", p.min_count * flavor.vcpus),
                ("ram", p.min_count * flavor.ram),
            ];
            self.check_quota(&project_id, &wanted).await?;
        }
        // The group's member quota counts what is launched, under the project's claim.
        let group = match &p.group {
            Some(id) => Some(self.group_to_join(ctx, id, count).await?),
            None => None,
        };
        let admin_pass = p.admin_pass.clone().unwrap_or_else(new_admin_pass);
        let t = now();
        let mut servers = Vec::new();
        let mut tx = self.db.begin().await?;
        for n in 1..=count {
            let id = uuid::Uuid::new_v4().to_string();
            let name = if count > 1 {
                format!("{}-{n}", p.name)
            } else {
                p.name.clone()
            };
            let hostname = match &p.hostname {
                Some(h) if count == 1 => h.clone(),
                _ => hostname_for(&name, &id),
            };
            let server = Server {
                id: id.clone(),
                name,
                project_id: project_id.clone(),
                user_id: ctx.user_id().to_string(),
                image_id: Some(image_id.clone()),
                flavor: flavor.clone(),
                key_name: key.as_ref().map(|k| k.name.clone()),
                key_data: key.as_ref().map(|k| k.public_key.clone()),
                user_data: p.user_data.clone(),
                metadata: p.metadata.clone(),
                hostname,
                node_id: None,
                host: None,
                vm_state: VmState::Building,
                task_state: Some(TaskState::Scheduling),
                power_state: PowerState::NoState,
                locked: false,
                locked_by: None,
                locked_reason: None,
                fault: None,
                config_drive: true,
                // The host's zone once scheduled; until then the one asked for.
                availability_zone: p.availability_zone.clone().unwrap_or_default(),
                progress: 0,
                launched_at: None,
                terminated_at: None,
                created_at: t,
                updated_at: t,
                new_flavor: None,
                old_flavor: None,
                server_group: group.as_ref().map(|g| g.id.clone()),
                labels: labels.clone(),
            };
            db::insert(&mut tx, &server.to_row()).await?;
            servers.push(server);
        }
        tx.commit().await?;
        drop(_claim);
        for server in &servers {
            let action = self
                .action_start(ctx, &server.id, &server.project_id, "create")
                .await?;
            self.notify(&server.id, &server.project_id);
            self.spawn_launch(
                ctx.clone(),
                server.clone(),
                image.clone(),
                nics.clone(),
                admin_pass.clone(),
                action,
            );
        }
        Ok(Launched {
            servers,
            admin_pass,
        })
    }

    /// Clears the password the guest posted (`DELETE os-server-password`): a change of the
    /// server, for those who may change it. Gureum's guests post none, so there is nothing
    /// to clear.
    pub async fn server_password_clear(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        self.load(ctx, id, Action::Modify).await?;
        Ok(())
    }

    /// Takes events other services report about instances (`os-server-external-events`:
    /// Neutron's `network-vif-plugged` and the like). Nothing here waits on them, so each
    /// is acknowledged: `true` for an instance that exists, `false` for one that does not.
    pub async fn external_events(&self, ctx: &OpCtx, server_ids: &[String]) -> Result<Vec<bool>> {
        authorize(
            ctx,
            Action::Create,
            Resource::ServiceApi("os_compute_api:os-server-external-events:create"),
        )?;
        let mut conn = self.db.conn().await?;
        let mut found = Vec::with_capacity(server_ids.len());
        for id in server_ids {
            let row = db::get::<db::compute::InstanceRow>(&mut conn, id).await?;
            found.push(row.is_some_and(|r| r.deleted == 0));
        }
        Ok(found)
    }

    /// Sets a server's state by hand (`os-resetState`, administrators): `active` or
    /// `error`, with no task, whatever the hypervisor says. For an operator who has
    /// repaired or given up on an instance by other means.
    pub async fn server_reset_state(&self, ctx: &OpCtx, id: &str, error: bool) -> Result<Server> {
        let mut server = self.load(ctx, id, Action::Read).await?;
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("os_compute_api:os-admin-actions:reset_state"),
        )?;
        server.vm_state = if error {
            VmState::Error
        } else {
            VmState::Active
        };
        server.task_state = None;
        server.updated_at = now();
        self.save(&server).await?;
        self.notify(&server.id, &server.project_id);
        Ok(server)
    }

    /// Renames (and re-describes) a server.
    pub async fn server_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        name: Option<String>,
        hostname: Option<String>,
        labels: LabelsChange,
    ) -> Result<Server> {
        let mut server = self.load(ctx, id, Action::Modify).await?;
        self.check_unlocked(ctx, &server)?;
        server.labels.apply(&labels)?;
        if let Some(name) = name {
            check_server_name(&name)?;
            server.name = name;
        }
        if let Some(h) = hostname {
            if h.is_empty()
                || h.len() > 63
                || !h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(Error::invalid(msg!(
                    "Invalid input for field/attribute hostname. Value: {h}.",
                    h
                )));
            }
            server.hostname = h;
        }
        server.updated_at = now();
        self.save(&server).await?;
        Ok(server)
    }

    pub async fn server_metadata_set(
        &self,
        ctx: &OpCtx,
        id: &str,
        metadata: BTreeMap<String, String>,
        replace: bool,
    ) -> Result<BTreeMap<String, String>> {
        let mut server = self.load(ctx, id, Action::Modify).await?;
        self.check_unlocked(ctx, &server)?;
        if replace {
            server.metadata = metadata;
        } else {
            server.metadata.extend(metadata);
        }
        let limit = self
            .quota_limit(&server.project_id, "metadata_items")
            .await?;
        check_metadata(&server.metadata, limit)?;
        server.updated_at = now();
        self.save(&server).await?;
        Ok(server.metadata)
    }

    pub async fn server_metadata_delete(&self, ctx: &OpCtx, id: &str, key: &str) -> Result<()> {
        let mut server = self.load(ctx, id, Action::Modify).await?;
        self.check_unlocked(ctx, &server)?;
        if server.metadata.remove(key).is_none() {
            return Err(Error::NotFound {
                kind: "metadata item",
                id: key.to_string(),
            });
        }
        server.updated_at = now();
        self.save(&server).await
    }

    /// Saves an instance; refused once a delete has begun on it (only the delete's own
    /// steps, through [`Self::save_deleting`], change it then).
    pub(super) async fn save(&self, server: &Server) -> Result<()> {
        let row = server.to_row();
        let mut conn = self.db.conn().await?;
        let saved = db::compute::instance_save(&mut conn, &row).await?;
        drop(conn);
        if !saved {
            return Err(Error::Conflict(msg!(
                "Instance {id} is being deleted.",
                id = server.id
            )));
        }
        self.sync_allocation(&row).await?;
        self.notify(&server.id, &server.project_id);
        Ok(())
    }

    /// Saves an instance a delete is working on.
    pub(super) async fn save_deleting(&self, server: &Server) -> Result<()> {
        let row = server.to_row();
        let mut conn = self.db.conn().await?;
        db::save(&mut conn, &row).await?;
        drop(conn);
        self.sync_allocation(&row).await?;
        self.notify(&server.id, &server.project_id);
        Ok(())
    }

    /// A locked instance is changed only by administrators, as in Nova (whoever locked it
    /// may unlock it, and then act).
    pub(super) fn check_unlocked(&self, ctx: &OpCtx, server: &Server) -> Result<()> {
        if !lock_allows(ctx, server) {
            return Err(Error::Conflict(msg!(
                "Instance {id} is locked",
                id = server.id
            )));
        }
        Ok(())
    }

    pub async fn instance_actions(
        &self,
        ctx: &OpCtx,
        id: &str,
    ) -> Result<Vec<super::InstanceAction>> {
        self.load(ctx, id, Action::Read).await?;
        let mut conn = self.db.conn().await?;
        Ok(db::compute::action_list(&mut conn, id).await?)
    }

    /// The compute services of this cloud (one per node), for `os-services`.
    pub async fn compute_services(&self, ctx: &OpCtx) -> Result<Vec<super::Hypervisor>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("os_compute_api:os-services:list"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::compute::node_list(&mut conn).await?)
    }

    /// Hypervisors with what their instances hold.
    pub async fn hypervisors(&self, ctx: &OpCtx) -> Result<Vec<(Hypervisor, HypervisorUsage)>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("os_compute_api:os-hypervisors:list"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::compute::node_loads(&mut conn).await?)
    }

    /// How long the hypervisor's host has been up, and its load (`uptime`'s line).
    pub async fn hypervisor_uptime(&self, ctx: &OpCtx) -> Result<String> {
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("os_compute_api:os-hypervisors:uptime"),
        )?;
        self.driver
            .uptime()
            .await
            .map_err(|e| Error::internal("reading the host's uptime", e))
    }

    /// The instances each hypervisor runs (`with_servers`, microversion 2.53).
    pub async fn hypervisor_servers(&self, ctx: &OpCtx) -> Result<Vec<super::HostedServer>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("os_compute_api:os-hypervisors:servers"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::compute::hosted_servers(&mut conn).await?)
    }

    /// What all hypervisors have and hold (Nova's `os-hypervisors/statistics`, and the
    /// portal's charts on Admin → Hypervisors).
    pub async fn hypervisor_statistics(&self, ctx: &OpCtx) -> Result<HypervisorStatistics> {
        let list = self.hypervisors(ctx).await?;
        let sum = |f: &dyn Fn(&Hypervisor, &HypervisorUsage) -> i64| {
            list.iter().map(|(h, u)| f(h, u)).sum::<i64>()
        };
        Ok(HypervisorStatistics {
            count: list.len() as i64,
            vcpus: sum(&|h, _| h.vcpus),
            memory_mb: sum(&|h, _| h.memory_mb),
            local_gb: sum(&|h, _| h.local_gb),
            vcpus_used: sum(&|_, u| u.vcpus),
            memory_mb_used: sum(&|_, u| u.memory_mb),
            local_gb_used: sum(&|_, u| u.disk_gb),
            running_vms: sum(&|_, u| u.instances),
            vcpus_allocatable: sum(&|h, _| (h.vcpus as f64 * h.cpu_allocation_ratio) as i64),
            memory_mb_allocatable: sum(&|h, _| {
                (h.memory_mb as f64 * h.ram_allocation_ratio) as i64
            }),
        })
    }

    /// Enables or disables this host's compute service (the scheduler skips a disabled one).
    pub async fn service_set_status(
        &self,
        ctx: &OpCtx,
        node_id: &str,
        enabled: bool,
        reason: Option<String>,
    ) -> Result<super::Hypervisor> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("os_compute_api:os-services:update"),
        )?;
        let mut conn = self.db.conn().await?;
        let node = db::compute::node_get(&mut conn, node_id)
            .await?
            .ok_or_else(|| Error::not_found("compute service", node_id))?;
        let status = if enabled { "enabled" } else { "disabled" };
        let reason = if enabled { None } else { reason };
        db::compute::node_set_status(&mut conn, &node.id, status, reason.as_deref(), now()).await?;
        Ok(db::compute::node_get(&mut conn, &node.id)
            .await?
            .ok_or_else(|| Error::not_found("compute service", node_id))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_are_dns_labels() {
        assert_eq!(hostname_for("My Web_Server.1", "x"), "my-web-server-1");
        assert_eq!(hostname_for("웹", "abc"), "server-abc");
        assert_eq!(hostname_for(&"a".repeat(80), "x").len(), 63);
    }
}
