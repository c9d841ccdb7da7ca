//! First-start bootstrap (Keystone's `keystone-manage bootstrap`), run on every start and
//! idempotent: what exists is kept, what is missing is created.

use secrecy::{ExposeSecret, SecretString};

use super::catalog::INTERFACES;
use super::resources::DEFAULT_DOMAIN_ID;
use super::{
    DomainCreate, EndpointCreate, IdentityService, ProjectCreate, RegionCreate, ServiceCreate,
    UserCreate,
};
use crate::server::db::{self, roles::AssignmentRow};
use crate::server::error::Result;

/// Roles every cloud has, as Keystone's bootstrap makes them: `admin` implies `manager`,
/// which implies `member`, which implies `reader`; `service` is for services' own users.
pub const BUILTIN_ROLES: [&str; 5] = ["admin", "manager", "member", "reader", "service"];
/// The implications the first start makes (an operator may remove them later).
const BUILTIN_IMPLIES: [(&str, &str); 3] = [
    ("admin", "manager"),
    ("manager", "member"),
    ("member", "reader"),
];
pub const REGION: &str = "RegionOne";

pub struct BootstrapParams {
    /// `GUREUM_ADMIN_PASSWORD`, or `None` to generate one on the first start.
    pub admin_password: Option<SecretString>,
    /// The URL clients reach this controller at, e.g. `http://127.0.0.1:8080`.
    pub public_url: String,
}

pub struct BootstrapOutcome {
    /// True on the first start (the admin user was created now).
    pub first_start: bool,
    /// The generated admin password, to be shown once. `None` when it was given.
    pub generated_password: Option<String>,
    pub admin_password: Option<SecretString>,
}

/// The services this controller offers, with the path each is served under.
pub const OFFERED_SERVICES: [(&str, &str, &str, &str); 5] = [
    ("identity", "keystone", "/identity/v3", "Identity Service"),
    ("image", "glance", "/image", "Image Service"),
    ("compute", "nova", "/compute/v2.1", "Compute Service"),
    ("network", "neutron", "/networking", "Networking Service"),
    ("placement", "placement", "/placement", "Placement Service"),
];

impl IdentityService {
    pub async fn bootstrap(&self, params: BootstrapParams) -> Result<BootstrapOutcome> {
        let mut conn = self.db.conn().await?;
        if db::get::<db::resources::DomainRow>(&mut conn, DEFAULT_DOMAIN_ID)
            .await?
            .is_none()
        {
            self.domain_insert(DomainCreate {
                id: Some(DEFAULT_DOMAIN_ID.into()),
                name: "Default".into(),
                description: "The default domain".into(),
                enabled: true,
            })
            .await?;
        }
        let mut role_ids = std::collections::HashMap::new();
        for name in BUILTIN_ROLES {
            let role = match db::roles::role_get_by_name(&mut conn, name).await? {
                Some(r) => r,
                None => self.role_insert(name.into(), String::new()).await?,
            };
            role_ids.insert(name, role.id);
        }
        // Implications are only created on the first start: an operator may remove them.
        let admin_project = match db::resources::project_get_by_name(
            &mut conn,
            DEFAULT_DOMAIN_ID,
            "admin",
        )
        .await?
        {
            Some(p) => p,
            None => {
                self.project_insert(ProjectCreate {
                    name: "admin".into(),
                    domain_id: Some(DEFAULT_DOMAIN_ID.into()),
                    parent_id: None,
                    description: "Bootstrap project for initializing the cloud.".into(),
                    enabled: true,
                    tags: Vec::new(),
                })
                .await?
            }
        };
        let mut outcome = BootstrapOutcome {
            first_start: false,
            generated_password: None,
            admin_password: None,
        };
        if db::users::user_get_by_name(&mut conn, DEFAULT_DOMAIN_ID, "admin")
            .await?
            .is_none()
        {
            outcome.first_start = true;
            for (prior, implied) in BUILTIN_IMPLIES {
                db::roles::implied_role_add(&mut conn, &role_ids[prior], &role_ids[implied])
                    .await?;
            }
            let password = match params.admin_password {
                Some(p) => p,
                None => {
                    let generated = super::token::new_audit_id();
                    outcome.generated_password = Some(generated.clone());
                    SecretString::from(generated)
                }
            };
            outcome.admin_password = Some(SecretString::from(password.expose_secret().to_string()));
            let admin = self
                .user_insert(UserCreate {
                    name: "admin".into(),
                    domain_id: Some(DEFAULT_DOMAIN_ID.into()),
                    password: Some(password),
                    enabled: true,
                    email: None,
                    description: Some("Cloud administrator".into()),
                    default_project_id: Some(admin_project.id.clone()),
                    ..Default::default()
                })
                .await?;
            db::roles::assignment_add(
                &mut conn,
                &AssignmentRow {
                    actor_type: "user".into(),
                    actor_id: admin.id,
                    target_type: "project".into(),
                    target_id: admin_project.id,
                    role_id: role_ids["admin"].clone(),
                },
            )
            .await?;
        }
        if db::get::<db::catalog::RegionRow>(&mut conn, REGION)
            .await?
            .is_none()
        {
            self.region_insert(RegionCreate {
                id: Some(REGION.into()),
                description: String::new(),
                parent_region_id: None,
            })
            .await?;
        }
        self.sync_endpoints(&mut conn, &params.public_url).await?;
        self.changed();
        Ok(outcome)
    }

    /// Makes the catalog list every offered service at the current public URL, so a
    /// controller that moves to another address keeps a working catalog.
    async fn sync_endpoints(&self, conn: &mut db::Conn, public_url: &str) -> Result<()> {
        let base = public_url.trim_end_matches('/');
        for (service_type, name, path, description) in OFFERED_SERVICES {
            let service = match db::catalog::service_list(conn, Some(service_type), Some(name))
                .await?
                .into_iter()
                .next()
            {
                Some(s) => s,
                None => {
                    self.service_insert(ServiceCreate {
                        service_type: service_type.into(),
                        name: name.into(),
                        description: description.into(),
                        enabled: true,
                    })
                    .await?
                }
            };
            let url = format!("{base}{path}");
            let existing =
                db::catalog::endpoint_list(conn, Some(&service.id), None, Some(REGION)).await?;
            for interface in INTERFACES {
                match existing.iter().find(|e| e.interface == interface) {
                    Some(e) if e.url == url => {}
                    Some(e) => {
                        let mut updated = e.clone();
                        updated.url = url.clone();
                        db::save(conn, &updated).await?;
                    }
                    None => {
                        self.endpoint_insert(EndpointCreate {
                            service_id: service.id.clone(),
                            interface: interface.into(),
                            region_id: Some(REGION.into()),
                            create_region: false,
                            url: url.clone(),
                            enabled: true,
                        })
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }
}
