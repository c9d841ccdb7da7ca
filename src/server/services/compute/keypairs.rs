//! Key pairs: a user's SSH public keys, injected into instances through the config drive.
//! A generated key's private half is returned once and never stored.

use md5::Digest as _;
use ssh_key::{Algorithm, LineEnding, PrivateKey, PublicKey};

use super::ComputeService;
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, compute::KeypairRow};
use crate::server::error::{Error, Result};
use crate::server::services::now;

pub use crate::server::db::compute::KeypairRow as Keypair;

/// A new key pair; `private_key` only when the server generated it.
pub struct KeypairCreated {
    pub keypair: Keypair,
    pub private_key: Option<String>,
}

fn check_keypair_name(name: &str) -> Result<()> {
    let valid = !name.trim().is_empty()
        && name.chars().count() <= 255
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "_- .@".contains(c));
    if !valid {
        return Err(Error::invalid(
            msg!("Keypair data is invalid: Keypair name contains unsafe characters or is not 1 to 255 characters long."),
        ));
    }
    Ok(())
}

/// Nova's fingerprint: the MD5 of the key blob, colon-separated hex.
fn fingerprint(key: &PublicKey) -> Result<String> {
    let blob = key
        .to_bytes()
        .map_err(|e| Error::internal("encoding a public key", e))?;
    Ok(md5::Md5::digest(&blob)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":"))
}

impl ComputeService {
    /// Imports `public_key`, or generates an Ed25519 key pair when it is `None`.
    pub async fn keypair_create(
        &self,
        ctx: &OpCtx,
        name: &str,
        key_type: Option<&str>,
        public_key: Option<&str>,
    ) -> Result<KeypairCreated> {
        let user_id = ctx.user_id().to_string();
        // A key pair is part of the user's own record.
        authorize(ctx, Action::Modify, Resource::User { id: &user_id })?;
        check_keypair_name(name)?;
        let key_type = key_type.unwrap_or("ssh");
        if key_type != "ssh" {
            return Err(Error::invalid(msg!(
                "Keypair data is invalid: key type {key_type} is not supported (only ssh).",
                key_type
            )));
        }
        let (public, private) = match public_key {
            Some(text) => {
                let key = PublicKey::from_openssh(text.trim()).map_err(|e| {
                    Error::invalid(msg!(
                        "Keypair data is invalid: failed to generate fingerprint ({e})",
                        e
                    ))
                })?;
                (key, None)
            }
            None => {
                let private = PrivateKey::random(&mut rand::rngs::OsRng, Algorithm::Ed25519)
                    .map_err(|e| Error::internal("generating a key pair", e))?;
                let pem = private
                    .to_openssh(LineEnding::LF)
                    .map_err(|e| Error::internal("encoding a private key", e))?
                    .to_string();
                let mut public = private.public_key().clone();
                public.set_comment(format!("Generated-by-Gureum {name}"));
                (public, Some(pem))
            }
        };
        let openssh = public
            .to_openssh()
            .map_err(|e| Error::internal("encoding a public key", e))?;
        let row = KeypairRow {
            user_id: user_id.clone(),
            name: name.to_string(),
            key_type: "ssh".into(),
            fingerprint: fingerprint(&public)?,
            public_key: openssh,
            created_at: now(),
        };
        let limit = self
            .quota_limit(ctx.auth.project_id().unwrap_or(""), "key_pairs")
            .await?;
        let _claim = self.claims.lock().await;
        let mut conn = self.db.conn().await?;
        if limit >= 0 && db::compute::keypair_count(&mut conn, &user_id).await? >= limit {
            return Err(Error::OverQuota(msg!(
                "Quota exceeded, too many key pairs (the limit is {limit}).",
                limit
            )));
        }
        db::compute::keypair_insert(&mut conn, &row)
            .await
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    Error::Conflict(msg!("Key pair '{name}' already exists.", name))
                } else {
                    e.into()
                }
            })?;
        Ok(KeypairCreated {
            keypair: row,
            private_key: private,
        })
    }

    /// The caller's key pairs (an administrator may name another user).
    pub async fn keypair_list(&self, ctx: &OpCtx, user_id: Option<&str>) -> Result<Vec<Keypair>> {
        let user_id = user_id.unwrap_or(ctx.user_id()).to_string();
        authorize(ctx, Action::List, Resource::User { id: &user_id })?;
        let mut conn = self.db.conn().await?;
        Ok(db::compute::keypair_list(&mut conn, &user_id).await?)
    }

    pub async fn keypair_get(
        &self,
        ctx: &OpCtx,
        name: &str,
        user_id: Option<&str>,
    ) -> Result<Keypair> {
        let user_id = user_id.unwrap_or(ctx.user_id()).to_string();
        authorize(ctx, Action::Read, Resource::User { id: &user_id })
            .map_err(|_| Error::not_found("keypair", name))?;
        let mut conn = self.db.conn().await?;
        db::compute::keypair_get(&mut conn, &user_id, name)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "keypair",
                id: format!("{name} for user {user_id}"),
            })
    }

    pub async fn keypair_delete(
        &self,
        ctx: &OpCtx,
        name: &str,
        user_id: Option<&str>,
    ) -> Result<()> {
        let user_id = user_id.unwrap_or(ctx.user_id()).to_string();
        authorize(ctx, Action::Modify, Resource::User { id: &user_id })
            .map_err(|_| Error::not_found("keypair", name))?;
        let mut conn = self.db.conn().await?;
        if !db::compute::keypair_delete(&mut conn, &user_id, name).await? {
            return Err(Error::NotFound {
                kind: "keypair",
                id: format!("{name} for user {user_id}"),
            });
        }
        Ok(())
    }
}
