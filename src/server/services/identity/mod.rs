//! The identity service (Keystone v3): domains, projects, users, groups, roles,
//! assignments, the catalog, application credentials and tokens.

mod app_creds;
mod auth;
mod bootstrap;
mod catalog;
mod credentials;
pub mod password;
mod policies;
mod resources;
mod roles;
pub mod token;
mod users;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use dashmap::DashMap;

pub use crate::server::db::catalog::PolicyRow as Policy;
pub use crate::server::db::catalog::{
    EndpointRow as Endpoint, RegionRow as Region, ServiceRow as Service,
};
pub use crate::server::db::credentials::AccessRuleRow as AccessRule;
pub use crate::server::db::credentials::AppCredRow as AppCred;
pub use crate::server::db::credentials::ConsumerRow as Consumer;
pub use crate::server::db::credentials::CredentialRow as Credential;
pub use crate::server::db::resources::{DomainRow as Domain, ProjectFilter, ProjectRow as Project};
pub use crate::server::db::roles::{AssignmentRow as Assignment, RoleRow as Role};
pub use crate::server::db::users::{GroupRow as Group, UserFilter, UserRow as User};
pub use app_creds::{access_allowed, AccessRuleSpec, AppCredCreate, AppCredCreated, AppCredDetail};
pub use auth::{
    AuthMethod, AuthRequest, CatalogEndpoint, CatalogEntry, LoginThrottle, Ref, ScopeRequest,
};
pub use bootstrap::{BootstrapOutcome, BootstrapParams, BUILTIN_ROLES, REGION};
pub use credentials::{ConsumerCreated, CredentialCreate, CredentialUpdate, Ec2, EC2};

/// The services this controller offers: (type, name, path, description).
pub fn bootstrap_services() -> &'static [(&'static str, &'static str, &'static str, &'static str)] {
    &bootstrap::OFFERED_SERVICES
}
pub use catalog::{
    EndpointCreate, EndpointFilters, EndpointGroup, EndpointUpdate, RegionCreate, ServiceCreate,
    ServiceUpdate,
};
pub use resources::{
    project_tags, DomainCreate, DomainUpdate, ProjectCreate, ProjectUpdate, TagChange,
};
pub use roles::{
    Actor, AssignmentQuery, EffectiveAssignment, Target, DOMAIN_PROJECTS, SUBPROJECTS,
};
pub use users::{user_extra, GroupCreate, GroupUpdate, UserCreate, UserPage, UserUpdate};

use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::Db;

/// Identity settings (the `[identity]` part of the configuration).
#[derive(Clone, Debug)]
pub struct IdentityConfig {
    /// Token lifetime in seconds (Keystone's `[token] expiration`, default one hour).
    pub token_ttl: i64,
    /// Failed logins before an account locks (`[security_compliance] lockout_failure_attempts`).
    pub lockout_failure_attempts: i64,
    /// How long a lock lasts, in seconds (`lockout_duration`).
    pub lockout_duration: i64,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            token_ttl: 3600,
            lockout_failure_attempts: 5,
            lockout_duration: 1800,
        }
    }
}

#[derive(Clone)]
pub struct IdentityService {
    db: Db,
    config: IdentityConfig,
    signer: Arc<token::Signer>,
    /// Bumped by every identity write in this process. A validated token is cached with
    /// the generation it was validated at, so any write (a disabled user, a removed role)
    /// makes the next validation go back to the database.
    generation: Arc<AtomicU64>,
    validated: Arc<
        DashMap<
            String,
            (
                u64,
                std::time::Instant,
                Arc<crate::server::context::AuthContext>,
            ),
        >,
    >,
    /// Revoked token audit ids with their expiry, loaded at start.
    revoked: Arc<DashMap<String, i64>>,
    /// Failed logins per source address, to slow down guessing.
    throttle: Arc<auth::LoginThrottle>,
}

impl IdentityService {
    /// Loads (or on first start creates) the token signing key and the revocation list.
    pub async fn new(
        db: Db,
        config: IdentityConfig,
    ) -> crate::server::error::Result<IdentityService> {
        let signer = token::Signer::load_or_create(&db).await?;
        let revoked = DashMap::new();
        {
            let mut conn = db.conn().await?;
            for (audit_id, exp) in
                crate::server::db::credentials::revocation_list(&mut conn, super::now()).await?
            {
                revoked.insert(audit_id, exp);
            }
        }
        Ok(IdentityService {
            db,
            config,
            signer: Arc::new(signer),
            generation: Arc::new(AtomicU64::new(1)),
            validated: Arc::new(DashMap::new()),
            revoked: Arc::new(revoked),
            throttle: Arc::default(),
        })
    }

    /// Called after every committed identity write.
    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

/// Validates a resource name: not blank, not over `max` characters.
fn check_name(field: &str, value: &str, max: usize) -> crate::server::error::Result<()> {
    if value.trim().is_empty() {
        return Err(crate::server::error::Error::invalid(msg!(
            "Invalid input for field '{field}': the value is empty.",
            field
        )));
    }
    if value.chars().count() > max {
        return Err(crate::server::error::Error::invalid(msg!(
            "Invalid input for field '{field}': '{value}' is too long (at most {max} characters).",
            field,
            value,
            max
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(crate::server::error::Error::invalid(msg!(
            "Invalid input for field '{field}': control characters are not allowed.",
            field
        )));
    }
    Ok(())
}

/// An identity object that has a unique name (a duplicate is refused by the database).
trait Named {
    const KIND: &'static str;
    fn name(&self) -> &str;
}

macro_rules! named {
    ($($row:ty => $kind:literal,)*) => {$(
        impl Named for $row {
            const KIND: &'static str = $kind;
            fn name(&self) -> &str {
                &self.name
            }
        }
    )*};
}

named! {
    Domain => "domain",
    Project => "project",
    Group => "group",
    Role => "role",
}

impl IdentityService {
    /// Changes one object: authorizes `policy` (an administrator's), reads the row (a 404
    /// names its kind), lets `change` apply the request to it, writes it back (a duplicate
    /// name is a 409) and ends the cached validations, as every identity write does.
    async fn modify<R: crate::server::db::Table + Named>(
        &self,
        ctx: &OpCtx,
        policy: &'static str,
        id: &str,
        change: impl FnOnce(&mut R) -> crate::server::error::Result<()>,
    ) -> crate::server::error::Result<R> {
        authorize(ctx, Action::Modify, Resource::AdminOnly(policy))?;
        let mut conn = self.db.conn().await?;
        let mut row = super::found::<R>(&mut conn, R::KIND, id).await?;
        change(&mut row)?;
        let saved = crate::server::db::save(&mut conn, &row)
            .await
            .map_err(on_duplicate(|| {
                crate::server::error::Error::duplicate(R::KIND, row.name())
            }))?;
        if !saved {
            // Deleted between the read and the write.
            return Err(crate::server::error::Error::not_found(R::KIND, id));
        }
        self.changed();
        Ok(row)
    }

    /// Forgets every cached validation, as an identity write does (benchmarks use this to
    /// measure the uncached path).
    pub fn bench_invalidate(&self) {
        self.changed();
    }
}

/// Maps a unique-constraint violation to the given conflict; any other database error
/// stays an internal one.
fn on_duplicate(
    conflict: impl FnOnce() -> crate::server::error::Error,
) -> impl FnOnce(crate::server::db::DbError) -> crate::server::error::Error {
    move |e| {
        if crate::server::db::is_unique_violation(&e) {
            conflict()
        } else {
            e.into()
        }
    }
}
