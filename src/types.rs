//! Types shared by the server and the browser: the portal's views of resources and its
//! error. Database rows never cross to the browser; services' results are converted here.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::message::Message;

/// The portal's error: what a user may be shown. Details stay in the server's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A field or request is wrong; shown inline next to the form.
    #[error("{0}")]
    Invalid(Message),
    #[error("{0}")]
    NotFound(Message),
    #[error("{0}")]
    Conflict(Message),
    #[error("{0}")]
    Forbidden(Message),
    /// A new password and its confirmation differ (shown in the user's language).
    #[error("passwords do not match")]
    PasswordMismatch,
    /// Login failed; deliberately says nothing of which part was wrong.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("account locked")]
    AccountLocked,
    /// No session (or it expired): the portal sends the user to the login page.
    #[error("not signed in")]
    NotSignedIn,
    #[error("internal error (request {0})")]
    Internal(String),
    /// The request did not reach the server function (network, encoding).
    #[error("{0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

/// Who is signed in, in which project, and their preferences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user_id: String,
    pub user_name: String,
    pub domain_name: String,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    /// Projects the user may switch to: (id, name).
    pub projects: Vec<(String, String)>,
    pub roles: Vec<String>,
    pub is_admin: bool,
}

/// Sorting, filtering and paging of a table, as the URL carries them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ListQuery {
    pub filter: String,
    pub sort: String,
    pub desc: bool,
    pub page: u32,
    /// Rows per page; 0 means `PAGE_SIZE`. Pickers ask for up to `MAX_PAGE_SIZE`.
    #[serde(default)]
    pub page_size: u32,
}

pub const PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 1000;

impl ListQuery {
    /// Everything a picker may offer, in name order.
    pub fn all() -> ListQuery {
        ListQuery {
            page_size: MAX_PAGE_SIZE,
            ..Default::default()
        }
    }

    pub fn size(&self) -> u32 {
        match self.page_size {
            0 => PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

/// No rows.
impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            total: 0,
            page: 0,
            page_size: PAGE_SIZE,
        }
    }
}

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        (self.total.div_ceil(self.page_size as u64)).max(1) as u32
    }

    /// The same page with each row turned into another.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            page_size: self.page_size,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub domain_name: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub email: String,
    pub enabled: bool,
    pub locked: bool,
    pub domain_name: String,
    pub default_project_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleView {
    pub id: String,
    pub name: String,
    /// Names of the roles this one implies directly.
    pub implies: Vec<String>,
    pub builtin: bool,
}

/// A member of a project and its roles there (direct ones).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub actor_id: String,
    pub actor_name: String,
    pub role_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppCredView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub project_id: String,
    pub expires_at: Option<String>,
    pub roles: Vec<String>,
}

/// A new application credential: the secret is shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppCredSecret {
    pub id: String,
    pub name: String,
    pub secret: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointView {
    pub service_name: String,
    pub service_type: String,
    pub interface: String,
    pub region: String,
    pub url: String,
}

// --- Compute and images ---------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceView {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub image_id: Option<String>,
    pub image_name: String,
    pub flavor_name: String,
    pub vcpus: i64,
    pub ram: i64,
    pub disk: i64,
    pub key_name: Option<String>,
    /// Nova's status (ACTIVE, BUILD, SHUTOFF ...).
    pub status: String,
    pub task_state: Option<String>,
    /// Running, Shutdown, Paused ...
    pub power_state: String,
    pub availability_zone: String,
    pub host: Option<String>,
    pub locked: bool,
    /// Whether the user may act on it as its lock stands (administrators only, when locked).
    pub actionable: bool,
    /// Whether the user may unlock it (administrators and whoever locked it).
    pub unlockable: bool,
    /// ISO 8601.
    pub created: String,
    pub fault: Option<String>,
    /// Fixed then floating addresses, per interface in order.
    pub addresses: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceActionView {
    pub action: String,
    pub request_id: String,
    pub start_time: String,
    pub user_id: String,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceDetail {
    pub instance: InstanceView,
    pub hostname: String,
    pub user_id: String,
    pub launched_at: Option<String>,
    pub metadata: Vec<(String, String)>,
    pub actions: Vec<InstanceActionView>,
    pub has_console: bool,
    /// A member of the instance's project (not a reader): its log and console are shown.
    pub may_operate: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlavorView {
    pub id: String,
    pub name: String,
    pub vcpus: i64,
    pub ram: i64,
    pub disk: i64,
    pub ephemeral: i64,
    pub swap: i64,
    pub is_public: bool,
    pub extra_specs: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageView {
    pub id: String,
    pub name: String,
    pub status: String,
    pub visibility: String,
    pub protected: bool,
    pub disk_format: String,
    pub container_format: String,
    pub size: Option<i64>,
    pub min_disk: i64,
    pub min_ram: i64,
    pub owner: String,
    pub created: String,
    /// `image` or `snapshot`.
    pub image_type: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeypairView {
    pub name: String,
    pub fingerprint: String,
    pub key_type: String,
    pub public_key: String,
}

/// One resource's limit and use; a limit of -1 is unlimited.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuotaUsage {
    pub resource: String,
    pub limit: i64,
    pub used: i64,
}

/// What the Launch Instance wizard offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaunchChoices {
    pub images: Vec<ImageView>,
    pub flavors: Vec<FlavorView>,
    pub keypairs: Vec<KeypairView>,
    pub quota: Vec<QuotaUsage>,
    /// (id, `name (cidr, …)`) of the networks an instance can be put on.
    pub networks: Vec<(String, String)>,
    /// Names of the project's security groups.
    pub security_groups: Vec<String>,
}

/// What the Attach Interface and Detach Interface dialogs offer: (id, label) each.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InterfaceChoices {
    pub networks: Vec<(String, String)>,
    /// The project's ports that no instance or router uses.
    pub free_ports: Vec<(String, String)>,
    /// The instance's interfaces.
    pub attached: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LaunchRequest {
    pub name: String,
    pub count: u32,
    pub image_id: String,
    pub flavor_id: String,
    pub key_name: Option<String>,
    /// Plain text; the server encodes it.
    pub user_data: String,
    /// Network ids, in the order of the instance's interfaces.
    pub networks: Vec<String>,
    /// Security group names (none: `default`).
    pub security_groups: Vec<String>,
}

/// What every hypervisor together can place and holds (Admin → Hypervisors' charts): the
/// limits are capacity times the allocation ratios.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HypervisorSummary {
    pub vcpus: i64,
    pub vcpus_used: i64,
    pub memory_mb: i64,
    pub memory_mb_used: i64,
    pub local_gb: i64,
    pub local_gb_used: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HypervisorView {
    pub id: String,
    pub hostname: String,
    pub hypervisor_type: String,
    pub vcpus: i64,
    pub vcpus_used: i64,
    pub memory_mb: i64,
    pub memory_mb_used: i64,
    pub local_gb: i64,
    pub local_gb_used: i64,
    pub running_vms: i64,
    pub status: String,
    pub cpu_allocation_ratio: f64,
    pub ram_allocation_ratio: f64,
}

/// One instance in a usage report (Project → Overview).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageInstance {
    pub name: String,
    pub vcpus: i64,
    /// Root plus ephemeral, GB.
    pub disk: i64,
    /// MB.
    pub ram: i64,
    pub hours: f64,
    /// Seconds since it launched.
    pub uptime: i64,
    pub state: String,
}

/// One project's line in Admin → Overview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectUsage {
    pub project_id: String,
    pub project_name: String,
    /// What its instances that are still there hold.
    pub vcpus: i64,
    pub disk: i64,
    pub ram: i64,
    pub vcpu_hours: f64,
    pub disk_gb_hours: f64,
    pub memory_mb_hours: f64,
}

/// A usage report for a period of days: the project's instances (Project → Overview) or
/// every project (Admin → Overview), and the totals Horizon shows above the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageSummary {
    /// YYYY-MM-DD, both days included.
    pub start: String,
    pub end: String,
    pub instances: Vec<UsageInstance>,
    pub projects: Vec<ProjectUsage>,
    pub active_instances: i64,
    pub active_vcpus: i64,
    pub active_ram: i64,
    pub active_disk: i64,
    pub vcpu_hours: f64,
    pub disk_gb_hours: f64,
    pub memory_mb_hours: f64,
}

// --- Network panels ----------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubnetView {
    pub id: String,
    pub name: String,
    pub cidr: String,
    pub gateway_ip: Option<String>,
    pub enable_dhcp: bool,
    pub pools: Vec<(String, String)>,
    pub dns: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkView {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub subnets: Vec<SubnetView>,
    pub shared: bool,
    pub external: bool,
    pub status: String,
    pub admin_state_up: bool,
    pub network_type: String,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i64>,
    pub mtu: i64,
}

/// The Create Network workflow: Network → Subnet → Subnet Details.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkCreateRequest {
    pub name: String,
    pub admin_state_up: bool,
    pub shared: bool,
    /// Administrators: an external provider network.
    pub external: bool,
    pub network_type: String,
    pub physical_network: String,
    pub segmentation_id: Option<i64>,
    pub create_subnet: bool,
    pub subnet_name: String,
    pub cidr: String,
    pub gateway_ip: String,
    pub disable_gateway: bool,
    pub enable_dhcp: bool,
    /// `start,end` per line.
    pub pools: String,
    /// One address per line.
    pub dns: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouterInterfaceView {
    pub port_id: String,
    pub subnet_id: String,
    pub network_name: String,
    pub ip: String,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouterView {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub status: String,
    pub admin_state_up: bool,
    /// (network id, name) of the gateway.
    pub gateway: Option<(String, String)>,
    pub gateway_ips: Vec<String>,
    pub snat: bool,
    pub interfaces: Vec<RouterInterfaceView>,
    pub routes: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleView {
    pub id: String,
    pub direction: String,
    pub ethertype: String,
    pub protocol: String,
    pub port_range: String,
    pub remote: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroupView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub project_id: String,
    pub rules: Vec<RuleView>,
}

/// Horizon's rule templates: key, label, protocol, port range (None: any / asked for).
pub const RULE_TEMPLATES: [(&str, &str, &str, Option<(i64, i64)>); 12] = [
    ("custom_tcp", "Custom TCP Rule", "tcp", None),
    ("custom_udp", "Custom UDP Rule", "udp", None),
    ("custom_icmp", "Custom ICMP Rule", "icmp", None),
    ("all_icmp", "All ICMP", "icmp", None),
    ("all_tcp", "All TCP", "tcp", Some((1, 65535))),
    ("all_udp", "All UDP", "udp", Some((1, 65535))),
    ("dns", "DNS", "udp", Some((53, 53))),
    ("http", "HTTP", "tcp", Some((80, 80))),
    ("https", "HTTPS", "tcp", Some((443, 443))),
    ("mysql", "MYSQL", "tcp", Some((3306, 3306))),
    ("rdp", "RDP", "tcp", Some((3389, 3389))),
    ("ssh", "SSH", "tcp", Some((22, 22))),
];

/// Add Rule: a template, and what a custom one asks for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleRequest {
    pub group_id: String,
    pub template: String,
    pub direction: String,
    /// `port` or `range` (custom TCP/UDP).
    pub port_mode: String,
    pub port: Option<i64>,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    pub icmp_type: Option<i64>,
    pub icmp_code: Option<i64>,
    /// `cidr` or `group`.
    pub remote: String,
    pub cidr: String,
    pub remote_group_id: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FloatingIpView {
    pub id: String,
    pub address: String,
    pub pool: String,
    pub fixed_ip: Option<String>,
    pub port_id: Option<String>,
    /// (instance id, name) the port belongs to.
    pub instance: Option<(String, String)>,
    pub status: String,
    pub project_id: String,
}

/// A port a floating IP can be associated with: `vm1: 10.0.0.3`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortChoice {
    pub port_id: String,
    pub fixed_ip: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopologyNetwork {
    pub id: String,
    pub name: String,
    pub cidrs: Vec<String>,
    pub external: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopologyRouter {
    pub id: String,
    pub name: String,
    pub gateway: Option<String>,
    /// Networks it has interfaces on.
    pub networks: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopologyInstance {
    pub id: String,
    pub name: String,
    pub status: String,
    /// (network id, address) of each interface.
    pub ports: Vec<(String, String)>,
}

/// What Network Topology draws.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TopologyView {
    pub networks: Vec<TopologyNetwork>,
    pub routers: Vec<TopologyRouter>,
    pub instances: Vec<TopologyInstance>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentView {
    pub id: String,
    pub agent_type: String,
    pub binary: String,
    pub host: String,
    pub alive: bool,
    pub admin_state_up: bool,
    pub heartbeat: Option<String>,
    pub driver: String,
}
