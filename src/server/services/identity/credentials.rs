//! Credentials (`/v3/credentials`): a blob of a type that a user keeps with the identity
//! service, such as the access key and secret of an EC2 credential, which
//! `/v3/users/{id}/credentials/OS-EC2` shows in its own form.

use sha2::{Digest, Sha256};

use super::{Consumer, Credential, IdentityService};
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::error::{Error, Result};
use crate::server::services::{found, new_id, now};

/// The type whose blob is an EC2 access key and secret.
pub const EC2: &str = "ec2";

pub struct CredentialCreate {
    pub user_id: String,
    pub project_id: Option<String>,
    pub cred_type: String,
    pub blob: String,
}

#[derive(Default)]
pub struct CredentialUpdate {
    pub project_id: Option<Option<String>>,
    pub cred_type: Option<String>,
    pub blob: Option<String>,
}

/// An EC2 credential's parts, from its blob.
pub struct Ec2 {
    pub access: String,
    pub secret: String,
}

impl Credential {
    pub fn ec2(&self) -> Option<Ec2> {
        if self.cred_type != EC2 {
            return None;
        }
        let blob: serde_json::Value = serde_json::from_str(&self.blob).ok()?;
        Some(Ec2 {
            access: blob.get("access")?.as_str()?.to_string(),
            secret: blob.get("secret")?.as_str()?.to_string(),
        })
    }
}

/// An EC2 credential's id is the SHA-256 of its access key, as Keystone makes it, so
/// the access key finds the credential.
fn ec2_id(access: &str) -> String {
    hex::encode(Sha256::digest(access.as_bytes()))
}

fn check(c: &Credential) -> Result<()> {
    if c.cred_type.is_empty() || c.cred_type.chars().count() > 255 {
        return Err(Error::invalid(msg!(
            "Invalid input for field 'type': a string of 1 to 255 characters."
        )));
    }
    if c.cred_type == EC2 {
        if c.project_id.is_none() {
            return Err(Error::invalid(msg!(
                "Invalid input for field 'project_id': EC2 credentials need one."
            )));
        }
        if c.ec2().is_none() {
            return Err(Error::invalid(msg!(
                "Invalid input for field 'blob': an EC2 credential's blob is JSON with 'access' and 'secret'."
            )));
        }
    }
    Ok(())
}

impl IdentityService {
    pub async fn credential_create(&self, ctx: &OpCtx, p: CredentialCreate) -> Result<Credential> {
        authorize(
            ctx,
            Action::Create,
            Resource::Credential {
                user_id: &p.user_id,
            },
        )?;
        let mut conn = self.db.conn().await?;
        found::<db::users::UserRow>(&mut conn, "user", &p.user_id).await?;
        if let Some(project) = &p.project_id {
            found::<db::resources::ProjectRow>(&mut conn, "project", project).await?;
        }
        let mut c = Credential {
            id: new_id(),
            user_id: p.user_id,
            project_id: p.project_id,
            cred_type: p.cred_type,
            blob: p.blob,
            created_at: now(),
        };
        check(&c)?;
        if let Some(ec2) = c.ec2() {
            c.id = ec2_id(&ec2.access);
        }
        db::insert(&mut conn, &c).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                Error::Conflict(msg!("A credential with id {id} exists.", id = c.id))
            } else {
                e.into()
            }
        })?;
        Ok(c)
    }

    pub async fn credential_get(&self, ctx: &OpCtx, id: &str) -> Result<Credential> {
        let mut conn = self.db.conn().await?;
        let c = found::<db::credentials::CredentialRow>(&mut conn, "credential", id).await?;
        authorize(
            ctx,
            Action::Read,
            Resource::Credential {
                user_id: &c.user_id,
            },
        )?;
        Ok(c)
    }

    /// Credentials, filtered by user and type; a user who may not list everyone's lists
    /// its own.
    pub async fn credential_list(
        &self,
        ctx: &OpCtx,
        user_id: Option<&str>,
        cred_type: Option<&str>,
    ) -> Result<Vec<Credential>> {
        let everyone = authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_credentials"),
        )
        .is_ok();
        let user_id = match user_id {
            Some(u) => {
                authorize(ctx, Action::List, Resource::Credential { user_id: u })?;
                Some(u)
            }
            None if everyone => None,
            None => Some(ctx.user_id()),
        };
        let mut conn = self.db.conn().await?;
        Ok(db::credentials::credential_list(&mut conn, user_id, cred_type).await?)
    }

    pub async fn credential_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        u: CredentialUpdate,
    ) -> Result<Credential> {
        let mut c = self.credential_get(ctx, id).await?;
        authorize(
            ctx,
            Action::Modify,
            Resource::Credential {
                user_id: &c.user_id,
            },
        )?;
        let mut conn = self.db.conn().await?;
        if let Some(project) = u.project_id {
            if let Some(p) = &project {
                found::<db::resources::ProjectRow>(&mut conn, "project", p).await?;
            }
            c.project_id = project;
        }
        if let Some(t) = u.cred_type {
            c.cred_type = t;
        }
        if let Some(b) = u.blob {
            c.blob = b;
        }
        check(&c)?;
        db::save(&mut conn, &c).await?;
        Ok(c)
    }

    pub async fn credential_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let c = self.credential_get(ctx, id).await?;
        authorize(
            ctx,
            Action::Delete,
            Resource::Credential {
                user_id: &c.user_id,
            },
        )?;
        let mut conn = self.db.conn().await?;
        db::delete::<db::credentials::CredentialRow>(&mut conn, id).await?;
        Ok(())
    }

    /// A new EC2 credential of a user on a project (`POST …/credentials/OS-EC2`): a fresh
    /// access key and secret.
    pub async fn ec2_create(
        &self,
        ctx: &OpCtx,
        user_id: &str,
        project_id: &str,
    ) -> Result<Credential> {
        let access = hex::encode(rand::random::<[u8; 16]>());
        let secret = hex::encode(rand::random::<[u8; 16]>());
        let blob = serde_json::json!({"access": access, "secret": secret, "trust_id": null});
        self.credential_create(
            ctx,
            CredentialCreate {
                user_id: user_id.to_string(),
                project_id: Some(project_id.to_string()),
                cred_type: EC2.to_string(),
                blob: blob.to_string(),
            },
        )
        .await
    }

    /// A user's EC2 credential by its access key.
    pub async fn ec2_get(&self, ctx: &OpCtx, user_id: &str, access: &str) -> Result<Credential> {
        let not_found = || Error::not_found("EC2 credential", access);
        let c = self
            .credential_get(ctx, &ec2_id(access))
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => not_found(),
                e => e,
            })?;
        if c.user_id != user_id || c.ec2().is_none() {
            return Err(not_found());
        }
        Ok(c)
    }

    pub async fn ec2_delete(&self, ctx: &OpCtx, user_id: &str, access: &str) -> Result<()> {
        let c = self.ec2_get(ctx, user_id, access).await?;
        self.credential_delete(ctx, &c.id).await
    }
}

/// A new OAuth consumer with its secret, which is shown this once.
pub struct ConsumerCreated {
    pub consumer: Consumer,
    pub secret: String,
}

impl IdentityService {
    /// Registers an OAuth 1.0a consumer (`OS-OAUTH1`), administrators only.
    pub async fn consumer_create(
        &self,
        ctx: &OpCtx,
        description: Option<String>,
    ) -> Result<ConsumerCreated> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_consumer"),
        )?;
        let secret = new_id() + &new_id();
        let row = Consumer {
            id: new_id(),
            description,
            secret_hash: hex::encode(Sha256::digest(secret.as_bytes())),
        };
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &row).await?;
        Ok(ConsumerCreated {
            consumer: row,
            secret,
        })
    }

    pub async fn consumer_get(&self, ctx: &OpCtx, id: &str) -> Result<Consumer> {
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("identity:get_consumer"),
        )?;
        let mut conn = self.db.conn().await?;
        found::<Consumer>(&mut conn, "consumer", id).await
    }

    pub async fn consumer_list(&self, ctx: &OpCtx) -> Result<Vec<Consumer>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_consumers"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::credentials::consumer_list(&mut conn).await?)
    }

    pub async fn consumer_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        description: Option<String>,
    ) -> Result<Consumer> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:update_consumer"),
        )?;
        let mut conn = self.db.conn().await?;
        let mut row = found::<Consumer>(&mut conn, "consumer", id).await?;
        row.description = description;
        db::save(&mut conn, &row).await?;
        Ok(row)
    }

    pub async fn consumer_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_consumer"),
        )?;
        let mut conn = self.db.conn().await?;
        if !db::delete::<Consumer>(&mut conn, id).await? {
            return Err(Error::not_found("consumer", id));
        }
        Ok(())
    }
}
