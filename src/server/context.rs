//! `OpCtx`: who is acting, in which scope, for which request.
//!
//! The portal's session cookie and the REST `X-Auth-Token` header both end as a validated
//! token, so both resolve to the same `OpCtx`. It is the first parameter of every service
//! method (the "context parameter" of rust-analyzer's style).

use std::sync::Arc;

/// The request id of the current request (`x-openstack-request-id`), as the request
/// middleware stores it in the request's extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// A role as a token carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRef {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Unscoped,
    Project {
        id: String,
        name: String,
        domain_id: String,
        domain_name: String,
    },
    Domain {
        id: String,
        name: String,
    },
    /// The whole deployment (Keystone's `{"system": {"all": true}}`): roles held on the
    /// system administer (`admin`) or read (`reader`) every project's resources.
    System,
}

#[derive(Clone, Debug)]
pub struct AppCredRef {
    pub id: String,
    pub name: String,
    pub restricted: bool,
    /// The calls its tokens may make; `None` when it names no access rules (any call).
    pub access_rules: Option<Vec<crate::server::db::credentials::AccessRuleRow>>,
}

/// Everything a validated token says about its bearer.
#[derive(Clone, Debug)]
pub struct AuthContext {
    pub user_id: String,
    pub user_name: String,
    pub user_domain_id: String,
    pub user_domain_name: String,
    pub password_expires_at: Option<i64>,
    pub scope: Scope,
    /// Effective roles on the scope, implied roles included.
    pub roles: Vec<RoleRef>,
    pub methods: Vec<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub audit_id: String,
    pub app_cred: Option<AppCredRef>,
}

impl AuthContext {
    pub fn has_role(&self, name: &str) -> bool {
        self.roles.iter().any(|r| r.name == name)
    }

    pub fn project_id(&self) -> Option<&str> {
        match &self.scope {
            Scope::Project { id, .. } => Some(id),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct OpCtx {
    pub request_id: String,
    pub auth: Arc<AuthContext>,
    /// The raw token, for rescoping and for the portal's own calls.
    pub token: Arc<str>,
}

impl OpCtx {
    pub fn user_id(&self) -> &str {
        &self.auth.user_id
    }
}
