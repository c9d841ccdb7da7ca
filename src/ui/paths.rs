//! Where each panel lives (`/dashboard/panel`) and what the side navigation calls it,
//! written once: the route table (`app.rs`), the navigation (`layout.rs`) and the links
//! between pages all take them from here.

use leptos_router::{ParamSegment, StaticSegment};

use crate::i18n::Texts;

/// A panel: its path under a dashboard and its name in the navigation.
#[derive(Clone, Copy)]
pub struct Panel {
    dashboard: &'static str,
    name: &'static str,
    pub label: fn(&'static Texts) -> &'static str,
}

type Segment = StaticSegment<&'static str>;

impl Panel {
    const fn new(
        dashboard: &'static str,
        name: &'static str,
        label: fn(&'static Texts) -> &'static str,
    ) -> Panel {
        Panel {
            dashboard,
            name,
            label,
        }
    }

    /// `/project/instances`.
    pub fn href(self) -> String {
        format!("/{}/{}", self.dashboard, self.name)
    }

    /// `/project/instances/ID`: one item's detail page.
    pub fn detail(self, id: &str) -> String {
        format!("{}/{id}", self.href())
    }

    /// The panel's route.
    pub fn route(self) -> (Segment, Segment) {
        (StaticSegment(self.dashboard), StaticSegment(self.name))
    }

    /// The route of its detail pages (`/:id`).
    pub fn detail_route(self) -> (Segment, Segment, ParamSegment) {
        (
            StaticSegment(self.dashboard),
            StaticSegment(self.name),
            ParamSegment("id"),
        )
    }
}

pub const OVERVIEW: Panel = Panel::new("project", "overview", |t| t.c.overview);
pub const INSTANCES: Panel = Panel::new("project", "instances", |t| t.c.instances);
pub const IMAGES: Panel = Panel::new("project", "images", |t| t.c.images);
pub const KEY_PAIRS: Panel = Panel::new("project", "key_pairs", |t| t.c.key_pairs);
pub const API_ACCESS: Panel = Panel::new("project", "api_access", |t| t.api_access);
pub const TOPOLOGY: Panel = Panel::new("project", "network_topology", |t| t.n.topology);
pub const NETWORKS: Panel = Panel::new("project", "networks", |t| t.n.networks);
pub const ROUTERS: Panel = Panel::new("project", "routers", |t| t.n.routers);
pub const SECURITY_GROUPS: Panel =
    Panel::new("project", "security_groups", |t| t.n.security_groups);
pub const FLOATING_IPS: Panel = Panel::new("project", "floating_ips", |t| t.n.floating_ips);

pub const ADMIN_OVERVIEW: Panel = Panel::new("admin", "overview", |t| t.c.overview);
pub const HYPERVISORS: Panel = Panel::new("admin", "hypervisors", |t| t.c.hypervisors);
pub const ADMIN_INSTANCES: Panel = Panel::new("admin", "instances", |t| t.c.instances);
pub const FLAVORS: Panel = Panel::new("admin", "flavors", |t| t.c.flavors);
pub const ADMIN_IMAGES: Panel = Panel::new("admin", "images", |t| t.c.images);
pub const ADMIN_NETWORKS: Panel = Panel::new("admin", "networks", |t| t.n.networks);
pub const ADMIN_ROUTERS: Panel = Panel::new("admin", "routers", |t| t.n.routers);
pub const ADMIN_FLOATING_IPS: Panel = Panel::new("admin", "floating_ips", |t| t.n.floating_ips);
pub const DEFAULTS: Panel = Panel::new("admin", "defaults", |t| t.c.defaults);
pub const SYSTEM_INFO: Panel = Panel::new("admin", "info", |t| t.system_information);

pub const PROJECTS: Panel = Panel::new("identity", "projects", |t| t.projects);
pub const USERS: Panel = Panel::new("identity", "users", |t| t.users);
pub const GROUPS: Panel = Panel::new("identity", "groups", |t| t.groups);
pub const ROLES: Panel = Panel::new("identity", "roles", |t| t.roles);
pub const APP_CREDS: Panel = Panel::new("identity", "application_credentials", |t| {
    t.application_credentials
});
