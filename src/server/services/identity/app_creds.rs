//! Application credentials: a user delegates a subset of its roles on one project to a
//! secret that a program can authenticate with.

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use secrecy::SecretString;

use super::{check_name, on_duplicate, password, AccessRule, AppCred, IdentityService, Role};
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::error::{Error, Result};
use crate::server::services::{new_id, now};

#[derive(Debug, Default)]
pub struct AppCredCreate {
    pub name: String,
    pub description: Option<String>,
    /// Generated when not given.
    pub secret: Option<SecretString>,
    pub expires_at: Option<i64>,
    /// The microseconds past `expires_at`'s second, kept so it reads back as given.
    pub expires_at_us: i64,
    /// Role ids or names; all of the token's roles when empty.
    pub roles: Vec<String>,
    pub unrestricted: bool,
    /// The calls its tokens may make (any, when empty).
    pub access_rules: Vec<AccessRuleSpec>,
}

/// An access rule a new credential names: an existing one of the user's by id, or a call.
#[derive(Clone, Debug, Default)]
pub struct AccessRuleSpec {
    pub id: Option<String>,
    pub service: Option<String>,
    pub path: Option<String>,
    pub method: Option<String>,
}

const METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// A credential with its roles and access rules.
pub struct AppCredDetail {
    pub credential: AppCred,
    pub roles: Vec<Role>,
    pub access_rules: Vec<AccessRule>,
}

/// The most segments a rule's path or a request's path is matched over; longer ones do
/// not match (a rule cannot make the check costly).
const MAX_SEGMENTS: usize = 64;

/// Whether an access rule's path (`*` one segment, `**` any number) matches a path: a
/// table of which rule prefixes match which path prefixes, so the cost is the product of
/// their lengths whatever the wildcards.
fn path_matches(rule: &str, path: &str) -> bool {
    let r: Vec<&str> = rule.split('/').filter(|x| !x.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|x| !x.is_empty()).collect();
    if r.len() > MAX_SEGMENTS || p.len() > MAX_SEGMENTS {
        return false;
    }
    // m[i][j]: the first i rule segments match the first j path segments.
    let mut m = vec![vec![false; p.len() + 1]; r.len() + 1];
    m[0][0] = true;
    for i in 1..=r.len() {
        for j in 0..=p.len() {
            m[i][j] = match r[i - 1] {
                "**" => m[i - 1][j] || (j > 0 && m[i][j - 1]),
                seg => j > 0 && m[i - 1][j - 1] && (seg == "*" || seg == p[j - 1]),
            };
        }
    }
    m[r.len()][p.len()]
}

/// Whether a call (`service` type, path under the service's root, method) is one of the
/// rules allow. A `HEAD` is allowed by a rule for `GET`.
pub fn access_allowed(rules: &[AccessRule], service: &str, path: &str, method: &str) -> bool {
    rules.iter().any(|r| {
        r.service == service
            && (r.method == method || (method == "HEAD" && r.method == "GET"))
            && path_matches(&r.path, path)
    })
}

/// A new credential with its secret, which is shown once and never stored in clear.
pub struct AppCredCreated {
    pub credential: AppCred,
    pub roles: Vec<Role>,
    pub secret: String,
    pub access_rules: Vec<AccessRule>,
}

impl IdentityService {
    pub async fn app_cred_create(
        &self,
        ctx: &OpCtx,
        user_id: &str,
        params: AppCredCreate,
    ) -> Result<AppCredCreated> {
        authorize(ctx, Action::Create, Resource::AppCred { user_id })?;
        if user_id != ctx.user_id() {
            // Even an admin cannot delegate someone else's roles.
            return Err(Error::forbidden("identity:create_application_credential"));
        }
        check_name("name", &params.name, 255)?;
        let project_id = ctx
            .auth
            .project_id()
            .ok_or_else(|| {
                Error::invalid(msg!(
                    "Application credentials can only be created with a project-scoped token."
                ))
            })?
            .to_string();
        if let Some(exp) = params.expires_at {
            if exp <= now() {
                return Err(Error::invalid(msg!(
                    "Invalid input for field 'expires_at': the time is in the past."
                )));
            }
        }
        // The requested roles must be a subset of the roles the token carries.
        let roles: Vec<Role> = if params.roles.is_empty() {
            ctx.auth
                .roles
                .iter()
                .map(|r| Role {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    description: String::new(),
                    created_at: 0,
                })
                .collect()
        } else {
            let mut chosen = Vec::new();
            for wanted in &params.roles {
                let held = ctx
                    .auth
                    .roles
                    .iter()
                    .find(|r| &r.id == wanted || &r.name == wanted)
                    .ok_or_else(|| {
                        Error::Forbidden(msg!(
                            "Cannot delegate role {wanted}: the token does not carry it.",
                            wanted
                        ))
                    })?;
                chosen.push(Role {
                    id: held.id.clone(),
                    name: held.name.clone(),
                    description: String::new(),
                    created_at: 0,
                });
            }
            chosen
        };
        let secret = match params.secret {
            Some(s) => secrecy::ExposeSecret::expose_secret(&s).to_string(),
            None => {
                let mut bytes = [0u8; 48];
                rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
                URL_SAFE_NO_PAD.encode(bytes)
            }
        };
        if secret.is_empty() || secret.len() > password::MAX_LENGTH {
            return Err(Error::invalid(msg!("Invalid input for field 'secret'.")));
        }
        let secret_hash = password::hash(SecretString::from(secret.clone())).await?;
        let role_ids: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
        let row = AppCred {
            id: new_id(),
            user_id: user_id.to_string(),
            project_id,
            name: params.name,
            description: params.description,
            secret_hash,
            expires_at: params.expires_at,
            expires_at_us: params.expires_at.map_or(0, |_| params.expires_at_us),
            unrestricted: params.unrestricted as i64,
            role_ids: serde_json::to_string(&role_ids).expect("strings serialize"),
            created_at: now(),
        };
        for spec in &params.access_rules {
            if spec.id.is_none() {
                let method = spec.method.as_deref().unwrap_or_default();
                let path = spec.path.as_deref().unwrap_or_default();
                if spec.service.as_deref().unwrap_or_default().is_empty()
                    || !path.starts_with('/')
                    || !METHODS.contains(&method)
                {
                    return Err(Error::invalid(msg!(
                        "Invalid input for field 'access_rules': each rule needs a service, a path starting with / and a method (GET, HEAD, POST, PUT, PATCH or DELETE)."
                    )));
                }
            }
        }
        let mut tx = self.db.begin().await?;
        db::insert(&mut tx, &row).await.map_err(on_duplicate(|| Error::Conflict(msg!("Conflict occurred attempting to store application_credential - Duplicate entry found with name {name}.", name = row.name))))?;
        for spec in params.access_rules {
            let rule = match &spec.id {
                Some(id) => db::get::<AccessRule>(&mut tx, id)
                    .await?
                    .filter(|r| r.user_id == user_id)
                    .ok_or_else(|| Error::not_found("access rule", id.clone()))?,
                None => {
                    let (service, path, method) = (
                        spec.service.unwrap_or_default(),
                        spec.path.unwrap_or_default(),
                        spec.method.unwrap_or_default(),
                    );
                    match db::credentials::access_rule_find(
                        &mut tx, user_id, &service, &path, &method,
                    )
                    .await?
                    {
                        Some(r) => r,
                        None => {
                            let r = AccessRule {
                                id: new_id(),
                                user_id: user_id.to_string(),
                                service,
                                path,
                                method,
                            };
                            // Another create may have made the same rule meanwhile.
                            let conflict = Some("user_id, service, path, method");
                            if db::insert_new(&mut tx, &r, conflict).await? {
                                r
                            } else {
                                db::credentials::access_rule_find(
                                    &mut tx, user_id, &r.service, &r.path, &r.method,
                                )
                                .await?
                                .ok_or_else(|| Error::not_found("access rule", r.path.clone()))?
                            }
                        }
                    }
                }
            };
            db::credentials::access_rule_link(&mut tx, &row.id, &rule.id).await?;
        }
        let access_rules = db::credentials::access_rules_of_app_cred(&mut tx, &row.id).await?;
        tx.commit().await?;
        self.changed();
        Ok(AppCredCreated {
            credential: row,
            roles,
            secret,
            access_rules,
        })
    }

    pub async fn app_cred_get(
        &self,
        ctx: &OpCtx,
        user_id: &str,
        id: &str,
    ) -> Result<AppCredDetail> {
        authorize(ctx, Action::Read, Resource::AppCred { user_id })?;
        let mut conn = self.db.conn().await?;
        let row = db::get::<db::credentials::AppCredRow>(&mut conn, id)
            .await?
            .filter(|a| a.user_id == user_id)
            .ok_or_else(|| Error::not_found("application credential", id))?;
        self.app_cred_detail(&mut conn, row).await
    }

    async fn app_cred_detail(&self, conn: &mut db::Conn, row: AppCred) -> Result<AppCredDetail> {
        let roles = self.app_cred_roles(conn, &row).await?;
        let access_rules = db::credentials::access_rules_of_app_cred(conn, &row.id).await?;
        Ok(AppCredDetail {
            credential: row,
            roles,
            access_rules,
        })
    }

    pub async fn app_cred_list(
        &self,
        ctx: &OpCtx,
        user_id: &str,
        name: Option<&str>,
    ) -> Result<Vec<AppCredDetail>> {
        authorize(ctx, Action::List, Resource::AppCred { user_id })?;
        let mut conn = self.db.conn().await?;
        let rows = db::credentials::app_cred_list(&mut conn, user_id, name).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.app_cred_detail(&mut conn, row).await?);
        }
        Ok(out)
    }

    /// A user's access rules (`/v3/users/{id}/access_rules`).
    pub async fn access_rule_list(&self, ctx: &OpCtx, user_id: &str) -> Result<Vec<AccessRule>> {
        authorize(ctx, Action::List, Resource::AppCred { user_id })?;
        let mut conn = self.db.conn().await?;
        Ok(db::credentials::access_rules_of_user(&mut conn, user_id).await?)
    }

    pub async fn access_rule_get(
        &self,
        ctx: &OpCtx,
        user_id: &str,
        id: &str,
    ) -> Result<AccessRule> {
        authorize(ctx, Action::Read, Resource::AppCred { user_id })?;
        let mut conn = self.db.conn().await?;
        db::get::<AccessRule>(&mut conn, id)
            .await?
            .filter(|r| r.user_id == user_id)
            .ok_or_else(|| Error::not_found("access rule", id))
    }

    /// Deletes an access rule no application credential names any more.
    pub async fn access_rule_delete(&self, ctx: &OpCtx, user_id: &str, id: &str) -> Result<()> {
        authorize(ctx, Action::Delete, Resource::AppCred { user_id })?;
        let mut tx = self.db.begin().await?;
        let rule = db::get::<AccessRule>(&mut tx, id)
            .await?
            .filter(|r| r.user_id == user_id)
            .ok_or_else(|| Error::not_found("access rule", id))?;
        if db::credentials::access_rule_in_use(&mut tx, &rule.id).await? {
            return Err(Error::forbidden_msg(msg!(
                "Access rule {id} is still used by an application credential; delete the credential first.",
                id
            )));
        }
        db::delete::<AccessRule>(&mut tx, &rule.id).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    pub async fn app_cred_delete(&self, ctx: &OpCtx, user_id: &str, id: &str) -> Result<()> {
        authorize(ctx, Action::Delete, Resource::AppCred { user_id })?;
        let mut conn = self.db.conn().await?;
        let exists = db::get::<db::credentials::AppCredRow>(&mut conn, id)
            .await?
            .is_some_and(|a| a.user_id == user_id);
        if !exists {
            return Err(Error::not_found("application credential", id));
        }
        db::delete::<db::credentials::AppCredRow>(&mut conn, id).await?;
        self.changed();
        Ok(())
    }

    pub(super) async fn app_cred_roles(
        &self,
        conn: &mut db::Conn,
        row: &AppCred,
    ) -> Result<Vec<Role>> {
        let ids: BTreeSet<String> = serde_json::from_str(&row.role_ids)
            .map_err(|e| Error::internal("decoding application credential roles", e))?;
        Ok(db::roles::role_list(conn, None)
            .await?
            .into_iter()
            .filter(|r| ids.contains(&r.id))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn wildcards_match_one_segment_or_any_number() {
        assert!(path_matches("/v2.1/servers", "/v2.1/servers"));
        assert!(path_matches("/v2.1/servers/*", "/v2.1/servers/abc"));
        assert!(!path_matches("/v2.1/servers/*", "/v2.1/servers"));
        assert!(!path_matches("/v2.1/servers/*", "/v2.1/servers/abc/ips"));
        assert!(path_matches("/v2.1/servers/**", "/v2.1/servers"));
        assert!(path_matches(
            "/v2.1/servers/**",
            "/v2.1/servers/abc/ips/net"
        ));
        assert!(path_matches("/v2.1/**/ips", "/v2.1/servers/abc/ips"));
        assert!(!path_matches("/v2.1/**/ips", "/v2.1/servers/abc"));
        assert!(!path_matches("/v2/images", "/v2.1/servers"));
    }

    #[test]
    fn many_wildcards_cost_little() {
        let rule = format!("{}/x", "/**".repeat(60));
        let path = "/a".repeat(60);
        // Matched by a table, not by backtracking: this returns at once.
        assert!(!path_matches(&rule, &path));
    }
}
