//! Types shared by the server and the browser: the portal's views of resources and its
//! error. Database rows never cross to the browser; services' results are converted here.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The portal's error: what a user may be shown. Details stay in the server's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A field or request is wrong; shown inline next to the form.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
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

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        (self.total.div_ceil(self.page_size as u64)).max(1) as u32
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
    /// ISO 8601.
    pub created: String,
    pub fault: Option<String>,
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
