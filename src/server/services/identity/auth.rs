//! Authentication and tokens: issue, validate, revoke, and the catalog a token carries.
//!
//! Validation must be cheap (every API call of every service does one), so a validated
//! token is cached in memory together with the identity generation it was checked at.
//! Any identity write bumps the generation, so a disabled user or a removed role takes
//! effect on the very next request. Nothing about a token is stored except revocations.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use dashmap::DashMap;
use secrecy::SecretString;

use super::roles::SYSTEM;
use super::token::{new_audit_id, Payload};
use super::{password, IdentityService, User};
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::{AppCredRef, AuthContext, OpCtx, RoleRef, Scope};
use crate::server::db;
use crate::server::error::{Error, Result};
use crate::server::services::now;

/// A reference by id, or by name within a domain (Keystone's `{"id"}` / `{"name", "domain"}`).
#[derive(Clone, Debug, Default)]
pub struct Ref {
    pub id: Option<String>,
    pub name: Option<String>,
    pub domain: Option<Box<Ref>>,
}

pub enum AuthMethod {
    Password {
        user: Ref,
        password: SecretString,
    },
    ApplicationCredential {
        id: Option<String>,
        name: Option<String>,
        user: Option<Ref>,
        secret: SecretString,
    },
    Token {
        token: String,
    },
}

#[derive(Clone, Debug, Default)]
pub enum ScopeRequest {
    /// No scope given: the user's default project if it may use it, else unscoped.
    #[default]
    Default,
    /// Explicitly unscoped (`"scope": "unscoped"`).
    Unscoped,
    Project(Ref),
    Domain(Ref),
    /// The whole deployment (`{"system": {"all": true}}`).
    System,
}

/// What a token is scoped to, by id.
enum ScopeId {
    None,
    Project(String),
    Domain(String),
    System,
}

pub struct AuthRequest {
    pub method: AuthMethod,
    pub scope: ScopeRequest,
    /// The client's address, when known: failed logins are counted per address.
    pub source: Option<std::net::IpAddr>,
}

/// Failed password and credential logins per source address, in fixed windows: past
/// [`LoginThrottle::LIMIT`] in one window, an address's logins are refused unchecked
/// until the window ends. Guessing slows down; the accounts themselves stay usable.
#[derive(Default)]
pub struct LoginThrottle {
    /// Address → (window start, failures in it).
    failures: DashMap<std::net::IpAddr, (i64, u32)>,
}

impl LoginThrottle {
    pub const LIMIT: u32 = 20;
    pub const WINDOW_SECONDS: i64 = 60;

    fn refused(&self, source: Option<std::net::IpAddr>, now: i64) -> bool {
        source.is_some_and(|ip| {
            self.failures.get(&ip).is_some_and(|entry| {
                let (start, count) = *entry;
                now < start + Self::WINDOW_SECONDS && count >= Self::LIMIT
            })
        })
    }

    fn failed(&self, source: Option<std::net::IpAddr>, now: i64) {
        let Some(ip) = source else { return };
        let mut entry = self.failures.entry(ip).or_insert((now, 0));
        if now >= entry.0 + Self::WINDOW_SECONDS {
            *entry = (now, 0);
        }
        entry.1 += 1;
        drop(entry);
        if self.failures.len() > 100_000 {
            self.failures
                .retain(|_, (start, _)| now < *start + Self::WINDOW_SECONDS);
        }
    }
}

#[derive(Clone, Debug)]
pub struct CatalogEndpoint {
    pub id: String,
    pub interface: String,
    pub region_id: Option<String>,
    pub url: String,
}

#[derive(Clone, Debug)]
pub struct CatalogEntry {
    pub id: String,
    pub service_type: String,
    pub name: String,
    pub endpoints: Vec<CatalogEndpoint>,
}

const CACHE_LIMIT: usize = 50_000;
/// A cached validation is trusted this long at most. Writes made through this process
/// invalidate it at once (the generation); the age bounds how long a write made by another
/// controller on the shared database takes to reach this one.
const CACHE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(5);

impl IdentityService {
    /// Authenticates and issues a token (`POST /v3/auth/tokens`, and the portal's login).
    pub async fn authenticate(&self, req: AuthRequest) -> Result<(String, Arc<AuthContext>)> {
        let now_ms = now_ms();
        let source = req.source;
        let guessable = !matches!(req.method, AuthMethod::Token { .. });
        if guessable && self.throttle.refused(source, now()) {
            return Err(Error::Unauthenticated(msg!(
                "Too many failed logins from this address; try again in a minute."
            )));
        }
        let result = self.authenticate_checked(req, now_ms).await;
        if guessable && matches!(result, Err(Error::Unauthenticated(_))) {
            self.throttle.failed(source, now());
        }
        result
    }

    async fn authenticate_checked(
        &self,
        req: AuthRequest,
        now_ms: i64,
    ) -> Result<(String, Arc<AuthContext>)> {
        let mut conn = self.db.conn().await?;
        let (user, methods, app_cred, scope) = match req.method {
            AuthMethod::Password { user, password } => {
                let user = self.check_password(&mut conn, &user, password).await?;
                (user, vec!["password".to_string()], None, req.scope)
            }
            AuthMethod::ApplicationCredential {
                id,
                name,
                user,
                secret,
            } => {
                if !matches!(req.scope, ScopeRequest::Default) {
                    return Err(Error::invalid(msg!(
                        "Application credentials cannot request a scope."
                    )));
                }
                let cred = self
                    .check_app_cred(&mut conn, id, name, user, secret)
                    .await?;
                let user = db::get::<db::users::UserRow>(&mut conn, &cred.user_id)
                    .await?
                    .ok_or_else(Error::unauthenticated)?;
                let scope = ScopeRequest::Project(Ref {
                    id: Some(cred.project_id.clone()),
                    ..Default::default()
                });
                (
                    user,
                    vec!["application_credential".to_string()],
                    Some(cred.id),
                    scope,
                )
            }
            AuthMethod::Token { token } => {
                let old = self.validate(&token).await?;
                if old.app_cred.is_some() {
                    return Err(Error::Forbidden(msg!(
                        "A token created with an application credential cannot be rescoped."
                    )));
                }
                let user = db::get::<db::users::UserRow>(&mut conn, &old.user_id)
                    .await?
                    .ok_or_else(Error::unauthenticated)?;
                let mut methods = old.methods.clone();
                if !methods.iter().any(|m| m == "token") {
                    methods.push("token".to_string());
                }
                (user, methods, None, req.scope)
            }
        };
        if user.enabled == 0 {
            return Err(Error::unauthenticated());
        }
        let scope = self.resolve_scope(&mut conn, &user, scope).await?;
        let (project, domain) = match &scope {
            ScopeId::Project(id) => (Some(id.clone()), None),
            ScopeId::Domain(id) => (None, Some(id.clone())),
            ScopeId::None | ScopeId::System => (None, None),
        };
        let payload = Payload {
            v: 1,
            u: user.id.clone(),
            m: methods,
            p: project,
            d: domain,
            s: matches!(scope, ScopeId::System),
            ac: app_cred,
            iat: now_ms,
            exp: now_ms / 1000 + self.config.token_ttl,
            a: new_audit_id(),
        };
        drop(conn);
        let token = self.signer.sign(&payload);
        let auth = self.load_context(&payload).await?;
        Ok((token, auth))
    }

    /// Validates a token: signature, expiry, revocation, and that its user, scope and roles
    /// still hold. Any failure is `Unauthenticated`.
    pub async fn validate(&self, token: &str) -> Result<Arc<AuthContext>> {
        let generation = self.generation.load(Ordering::SeqCst);
        let now = now();
        if let Some(hit) = self.validated.get(token) {
            let (at, checked, auth) = hit.value();
            if *at == generation
                && checked.elapsed() < CACHE_MAX_AGE
                && auth.expires_at > now
                && !self.revoked.contains_key(&auth.audit_id)
            {
                return Ok(auth.clone());
            }
        }
        let payload = self.signer.open(token).ok_or_else(Error::unauthenticated)?;
        if payload.exp <= now || self.revoked.contains_key(&payload.a) {
            return Err(Error::unauthenticated());
        }
        // Another controller on the same database may have revoked it: the uncached path
        // asks the database, and remembers the answer.
        {
            let mut conn = self.db.conn().await?;
            if let Some(exp) = db::credentials::revocation_get(&mut conn, &payload.a).await? {
                self.revoked.insert(payload.a.clone(), exp);
                return Err(Error::unauthenticated());
            }
        }
        let auth = self.load_context(&payload).await?;
        if self.validated.len() >= CACHE_LIMIT {
            self.validated.clear();
        }
        self.validated.insert(
            token.to_string(),
            (generation, std::time::Instant::now(), auth.clone()),
        );
        Ok(auth)
    }

    /// Revokes a token (`DELETE /v3/auth/tokens`, logout). A user may revoke its own
    /// tokens; an admin any.
    pub async fn revoke(&self, ctx: &OpCtx, token: &str) -> Result<()> {
        let target = self
            .validate(token)
            .await
            .map_err(|_| Error::not_found("token", "the given token"))?;
        authorize(
            ctx,
            Action::Delete,
            Resource::Token {
                user_id: &target.user_id,
            },
        )
        .map_err(|_| Error::not_found("token", "the given token"))?;
        let mut conn = self.db.conn().await?;
        db::credentials::revocation_add(&mut conn, &target.audit_id, target.expires_at).await?;
        self.revoked
            .insert(target.audit_id.clone(), target.expires_at);
        self.validated.remove(token);
        Ok(())
    }

    /// Validates a token for a caller (`GET/HEAD /v3/auth/tokens`): an invalid one is a
    /// 404; a valid one of another user only for administrators and services (403).
    pub async fn validate_subject(&self, ctx: &OpCtx, token: &str) -> Result<Arc<AuthContext>> {
        let target = self
            .validate(token)
            .await
            .map_err(|_| Error::not_found("token", "the given token"))?;
        crate::server::authz::authorize(
            ctx,
            crate::server::authz::Action::Read,
            crate::server::authz::Resource::Token {
                user_id: &target.user_id,
            },
        )?;
        Ok(target)
    }

    /// Forgets expired revocations (they can no longer match a valid token).
    pub async fn revocations_purge(&self) -> Result<u64> {
        let now = now();
        self.revoked.retain(|_, exp| *exp > now);
        let mut conn = self.db.conn().await?;
        Ok(db::credentials::revocation_purge(&mut conn, now).await?)
    }

    /// The service catalog: every enabled service with its enabled endpoints.
    pub async fn catalog(&self) -> Result<Vec<CatalogEntry>> {
        let mut conn = self.db.conn().await?;
        let services = db::catalog::service_list(&mut conn, None, None).await?;
        let endpoints = db::catalog::endpoint_list(&mut conn, None, None, None).await?;
        let mut by_service: BTreeMap<String, Vec<CatalogEndpoint>> = BTreeMap::new();
        for e in endpoints.into_iter().filter(|e| e.enabled != 0) {
            by_service
                .entry(e.service_id.clone())
                .or_default()
                .push(CatalogEndpoint {
                    id: e.id,
                    interface: e.interface,
                    region_id: e.region_id,
                    url: e.url,
                });
        }
        Ok(services
            .into_iter()
            .filter(|s| s.enabled != 0)
            .map(|s| CatalogEntry {
                endpoints: by_service.remove(&s.id).unwrap_or_default(),
                id: s.id,
                service_type: s.service_type,
                name: s.name,
            })
            .collect())
    }

    async fn check_password(
        &self,
        conn: &mut db::Conn,
        user_ref: &Ref,
        password: SecretString,
    ) -> Result<User> {
        let found = self.find_user(conn, user_ref).await?;
        let now = now();
        // The password is checked whether or not the account is locked, and a wrong one
        // gets the same answer either way: neither the time taken nor the reply tells a
        // guesser that an account exists or is locked. Only the right password learns it.
        let ok = password::verify(
            password,
            found.as_ref().and_then(|u| u.password_hash.clone()),
        )
        .await?;
        let Some(user) = found else {
            return Err(Error::unauthenticated());
        };
        let locked = user.locked_until.is_some_and(|until| until > now);
        if locked {
            return Err(if ok {
                Error::AccountLocked { user_id: user.id }
            } else {
                Error::unauthenticated()
            });
        }
        if !ok {
            // The bootstrap administrator is never locked out (as if Keystone's
            // `ignore_lockout_failure_attempts` were set on it): anyone could otherwise
            // lock the operator out with a few anonymous guesses. Guessing is slowed
            // per source address instead.
            if is_bootstrap_admin(&user) {
                return Err(Error::unauthenticated());
            }
            if user.locked_until.is_some() {
                // An expired lock: start counting afresh.
                db::users::user_auth_reset(conn, &user.id).await?;
            }
            let failures = db::users::user_auth_failed(conn, &user.id).await?;
            if self.config.lockout_failure_attempts > 0
                && failures >= self.config.lockout_failure_attempts
            {
                db::users::user_lock(conn, &user.id, now + self.config.lockout_duration).await?;
                tracing::warn!(user_id = %user.id, failures, "account locked after failed logins");
                self.changed();
            }
            return Err(Error::unauthenticated());
        }
        if user.failed_auth_count != 0 || user.locked_until.is_some() {
            db::users::user_auth_reset(conn, &user.id).await?;
        }
        Ok(user)
    }

    async fn check_app_cred(
        &self,
        conn: &mut db::Conn,
        id: Option<String>,
        name: Option<String>,
        user: Option<Ref>,
        secret: SecretString,
    ) -> Result<super::AppCred> {
        let cred = match (id, name, user) {
            (Some(id), _, _) => db::get::<db::credentials::AppCredRow>(conn, &id).await?,
            (None, Some(name), Some(user_ref)) => match self.find_user(conn, &user_ref).await? {
                Some(u) => db::credentials::app_cred_get_by_name(conn, &u.id, &name).await?,
                None => None,
            },
            _ => {
                return Err(Error::invalid(msg!(
                "An application credential is identified by its id, or by its name and its user."
            )))
            }
        };
        let ok = password::verify(secret, cred.as_ref().map(|c| c.secret_hash.clone())).await?;
        match cred {
            Some(c) if ok && c.expires_at.is_none_or(|e| e > now()) => Ok(c),
            _ => Err(Error::unauthenticated()),
        }
    }

    async fn find_user(&self, conn: &mut db::Conn, r: &Ref) -> Result<Option<User>> {
        if let Some(id) = &r.id {
            return Ok(db::get::<db::users::UserRow>(conn, id).await?);
        }
        let Some(name) = &r.name else {
            return Err(Error::invalid(msg!(
                "Invalid input for field 'identity/password/user': an id or a name is required."
            )));
        };
        let Some(domain_id) = self.resolve_domain_id(conn, r.domain.as_deref()).await? else {
            return Ok(None);
        };
        Ok(db::users::user_get_by_name(conn, &domain_id, name).await?)
    }

    /// A domain reference to an id; `None` when it names no domain. A name without a
    /// domain means the default domain, as keystoneauth's users expect.
    async fn resolve_domain_id(
        &self,
        conn: &mut db::Conn,
        domain: Option<&Ref>,
    ) -> Result<Option<String>> {
        match domain {
            None => Ok(Some(super::resources::DEFAULT_DOMAIN_ID.to_string())),
            Some(Ref { id: Some(id), .. }) => Ok(Some(id.clone())),
            Some(Ref {
                name: Some(name), ..
            }) => Ok(db::resources::domain_get_by_name(conn, name)
                .await?
                .map(|d| d.id)),
            Some(_) => Err(Error::invalid(msg!(
                "Invalid input for field 'domain': an id or a name is required."
            ))),
        }
    }

    /// Turns the requested scope into ids, checking that the user holds a role there.
    async fn resolve_scope(
        &self,
        conn: &mut db::Conn,
        user: &User,
        scope: ScopeRequest,
    ) -> Result<ScopeId> {
        match scope {
            ScopeRequest::Unscoped => Ok(ScopeId::None),
            ScopeRequest::System => {
                if self
                    .effective_role_ids(conn, &user.id, "system", SYSTEM)
                    .await?
                    .is_empty()
                {
                    return Err(Error::Unauthenticated(msg!(
                        "User {id} has no access to the system.",
                        id = user.id
                    )));
                }
                Ok(ScopeId::System)
            }
            ScopeRequest::Default => {
                // Keystone scopes to the default project when the user may use it.
                let Some(p) = &user.default_project_id else {
                    return Ok(ScopeId::None);
                };
                let usable = match db::get::<db::resources::ProjectRow>(conn, p).await? {
                    Some(project) if project.enabled != 0 => !self
                        .effective_role_ids(conn, &user.id, "project", p)
                        .await?
                        .is_empty(),
                    _ => false,
                };
                Ok(if usable {
                    ScopeId::Project(p.clone())
                } else {
                    ScopeId::None
                })
            }
            ScopeRequest::Project(r) => {
                let project = match (&r.id, &r.name) {
                    (Some(id), _) => db::get::<db::resources::ProjectRow>(conn, id).await?,
                    (None, Some(name)) => {
                        match self.resolve_domain_id(conn, r.domain.as_deref()).await? {
                            Some(d) => db::resources::project_get_by_name(conn, &d, name).await?,
                            None => None,
                        }
                    }
                    _ => {
                        return Err(Error::invalid(msg!(
                            "Invalid input for field 'scope/project': an id or a name is required."
                        )))
                    }
                };
                let project = project
                    .filter(|p| p.enabled != 0)
                    .ok_or_else(Error::unauthenticated)?;
                if self
                    .effective_role_ids(conn, &user.id, "project", &project.id)
                    .await?
                    .is_empty()
                {
                    return Err(Error::Unauthenticated(msg!(
                        "User {id} has no access to project {id2}.",
                        id = user.id,
                        id2 = project.id
                    )));
                }
                Ok(ScopeId::Project(project.id))
            }
            ScopeRequest::Domain(r) => {
                let domain = match (&r.id, &r.name) {
                    (Some(id), _) => db::get::<db::resources::DomainRow>(conn, id).await?,
                    (None, Some(name)) => db::resources::domain_get_by_name(conn, name).await?,
                    _ => {
                        return Err(Error::invalid(msg!(
                            "Invalid input for field 'scope/domain': an id or a name is required."
                        )))
                    }
                };
                let domain = domain
                    .filter(|d| d.enabled != 0)
                    .ok_or_else(Error::unauthenticated)?;
                if self
                    .effective_role_ids(conn, &user.id, "domain", &domain.id)
                    .await?
                    .is_empty()
                {
                    return Err(Error::Unauthenticated(msg!(
                        "User {id} has no access to domain {id2}.",
                        id = user.id,
                        id2 = domain.id
                    )));
                }
                Ok(ScopeId::Domain(domain.id))
            }
        }
    }

    /// Reads everything a token stands for, checking that it all still holds.
    async fn load_context(&self, p: &Payload) -> Result<Arc<AuthContext>> {
        let mut conn = self.db.conn().await?;
        let user = db::get::<db::users::UserRow>(&mut conn, &p.u)
            .await?
            .ok_or_else(Error::unauthenticated)?;
        if user.enabled == 0 || p.iat < user.password_changed_at {
            return Err(Error::unauthenticated());
        }
        let user_domain = db::get::<db::resources::DomainRow>(&mut conn, &user.domain_id)
            .await?
            .ok_or_else(Error::unauthenticated)?;
        if user_domain.enabled == 0 {
            return Err(Error::unauthenticated());
        }
        let (scope, mut role_ids) = match (&p.p, &p.d) {
            (Some(project_id), _) => {
                let project = db::get::<db::resources::ProjectRow>(&mut conn, project_id)
                    .await?
                    .filter(|p| p.enabled != 0)
                    .ok_or_else(Error::unauthenticated)?;
                let domain = db::get::<db::resources::DomainRow>(&mut conn, &project.domain_id)
                    .await?
                    .filter(|d| d.enabled != 0)
                    .ok_or_else(Error::unauthenticated)?;
                let roles = self
                    .effective_role_ids(&mut conn, &user.id, "project", &project.id)
                    .await?;
                (
                    Scope::Project {
                        id: project.id,
                        name: project.name,
                        domain_id: domain.id,
                        domain_name: domain.name,
                    },
                    roles,
                )
            }
            (None, Some(domain_id)) => {
                let domain = db::get::<db::resources::DomainRow>(&mut conn, domain_id)
                    .await?
                    .filter(|d| d.enabled != 0)
                    .ok_or_else(Error::unauthenticated)?;
                let roles = self
                    .effective_role_ids(&mut conn, &user.id, "domain", &domain.id)
                    .await?;
                (
                    Scope::Domain {
                        id: domain.id,
                        name: domain.name,
                    },
                    roles,
                )
            }
            (None, None) if p.s => {
                let roles = self
                    .effective_role_ids(&mut conn, &user.id, "system", SYSTEM)
                    .await?;
                (Scope::System, roles)
            }
            (None, None) => (Scope::Unscoped, Default::default()),
        };
        let mut app_cred = None;
        if let Some(ac) = &p.ac {
            let cred = db::get::<db::credentials::AppCredRow>(&mut conn, ac)
                .await?
                .filter(|c| c.expires_at.is_none_or(|e| e > now()))
                .ok_or_else(Error::unauthenticated)?;
            let delegated: Vec<String> = serde_json::from_str(&cred.role_ids)
                .map_err(|e| Error::internal("decoding application credential roles", e))?;
            role_ids.retain(|r| delegated.contains(r));
            let rules = db::credentials::access_rules_of_app_cred(&mut conn, &cred.id).await?;
            app_cred = Some(AppCredRef {
                id: cred.id,
                name: cred.name,
                restricted: cred.unrestricted == 0,
                access_rules: (!rules.is_empty()).then_some(rules),
            });
        }
        if scope != Scope::Unscoped && role_ids.is_empty() {
            // The roles that made this token were removed.
            return Err(Error::unauthenticated());
        }
        let roles = if role_ids.is_empty() {
            Vec::new()
        } else {
            db::roles::role_list(&mut conn, None)
                .await?
                .into_iter()
                .filter(|r| role_ids.contains(&r.id))
                .map(|r| RoleRef {
                    id: r.id,
                    name: r.name,
                })
                .collect()
        };
        Ok(Arc::new(AuthContext {
            user_id: user.id,
            user_name: user.name,
            user_domain_id: user_domain.id,
            user_domain_name: user_domain.name,
            password_expires_at: None,
            scope,
            roles,
            methods: p.m.clone(),
            issued_at: p.iat / 1000,
            expires_at: p.exp,
            audit_id: p.a.clone(),
            app_cred,
        }))
    }
}

/// Milliseconds since the epoch: token issue times and password changes are compared at
/// this resolution, so a password change revokes a token issued in the same second.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The administrator `bootstrap` made: `admin` in the Default domain.
fn is_bootstrap_admin(user: &User) -> bool {
    user.domain_id == super::resources::DEFAULT_DOMAIN_ID && user.name == "admin"
}
