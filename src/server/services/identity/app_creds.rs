//! Application credentials: a user delegates a subset of its roles on one project to a
//! secret that a program can authenticate with.

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use secrecy::SecretString;

use super::{check_name, on_duplicate, password, AppCred, IdentityService, Role};
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
    /// Role ids or names; all of the token's roles when empty.
    pub roles: Vec<String>,
    pub unrestricted: bool,
}

/// A new credential with its secret, which is shown once and never stored in clear.
pub struct AppCredCreated {
    pub credential: AppCred,
    pub roles: Vec<Role>,
    pub secret: String,
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
            unrestricted: params.unrestricted as i64,
            role_ids: serde_json::to_string(&role_ids).expect("strings serialize"),
            created_at: now(),
        };
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &row).await.map_err(on_duplicate(|| Error::Conflict(msg!("Conflict occurred attempting to store application_credential - Duplicate entry found with name {name}.", name = row.name))))?;
        self.changed();
        Ok(AppCredCreated {
            credential: row,
            roles,
            secret,
        })
    }

    pub async fn app_cred_get(
        &self,
        ctx: &OpCtx,
        user_id: &str,
        id: &str,
    ) -> Result<(AppCred, Vec<Role>)> {
        authorize(ctx, Action::Read, Resource::AppCred { user_id })?;
        let mut conn = self.db.conn().await?;
        let row = db::get::<db::credentials::AppCredRow>(&mut conn, id)
            .await?
            .filter(|a| a.user_id == user_id)
            .ok_or_else(|| Error::not_found("application credential", id))?;
        let roles = self.app_cred_roles(&mut conn, &row).await?;
        Ok((row, roles))
    }

    pub async fn app_cred_list(
        &self,
        ctx: &OpCtx,
        user_id: &str,
        name: Option<&str>,
    ) -> Result<Vec<(AppCred, Vec<Role>)>> {
        authorize(ctx, Action::List, Resource::AppCred { user_id })?;
        let mut conn = self.db.conn().await?;
        let rows = db::credentials::app_cred_list(&mut conn, user_id, name).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let roles = self.app_cred_roles(&mut conn, &row).await?;
            out.push((row, roles));
        }
        Ok(out)
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
