//! Users, groups and group membership.

use secrecy::SecretString;

use super::resources::DEFAULT_DOMAIN_ID;
use super::{check_name, on_duplicate, password, Group, IdentityService, User, UserFilter};
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::error::{Error, Result};
use crate::server::services::{found, new_id, now, remove};

#[derive(Debug, Default)]
pub struct UserCreate {
    pub name: String,
    pub domain_id: Option<String>,
    pub password: Option<SecretString>,
    pub enabled: bool,
    pub email: Option<String>,
    pub description: Option<String>,
    pub default_project_id: Option<String>,
    /// Attributes beyond Keystone's own, kept and shown back as they were given.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Default)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub password: Option<SecretString>,
    pub enabled: Option<bool>,
    pub email: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub default_project_id: Option<Option<String>>,
    /// Attributes beyond Keystone's own to set (merged into the stored ones).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Keystone's own attributes of a user, which `extra` may not hold.
const USER_ATTRIBUTES: [&str; 12] = [
    "id",
    "name",
    "domain_id",
    "password",
    "enabled",
    "email",
    "description",
    "default_project_id",
    "links",
    "options",
    "password_expires_at",
    "federated",
];

/// The user's `extra` attributes as stored.
pub fn user_extra(u: &super::User) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_str(&u.extra) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

fn check_extra(extra: &serde_json::Map<String, serde_json::Value>) -> Result<()> {
    if let Some(k) = extra
        .keys()
        .find(|k| k.is_empty() || k.len() > 255 || USER_ATTRIBUTES.contains(&k.as_str()))
    {
        return Err(Error::invalid(msg!(
            "Invalid attribute '{k}' for a user.",
            k
        )));
    }
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct GroupCreate {
    pub name: String,
    pub domain_id: Option<String>,
    pub description: String,
}

#[derive(Clone, Debug, Default)]
pub struct GroupUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// One page of users and the number that match the filter.
#[derive(Clone, Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    pub total: i64,
}

fn check_email(email: &Option<String>) -> Result<()> {
    if let Some(e) = email {
        if !e.is_empty()
            && (e.len() > 255 || !e.contains('@') || e.chars().any(char::is_whitespace))
        {
            return Err(Error::invalid(msg!(
                "Invalid input for field 'email': '{e}' is not an email address.",
                e
            )));
        }
    }
    Ok(())
}

impl IdentityService {
    pub async fn user_create(&self, ctx: &OpCtx, params: UserCreate) -> Result<User> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_user"),
        )?;
        self.user_insert(params).await
    }

    pub(super) async fn user_insert(&self, params: UserCreate) -> Result<User> {
        check_name("name", &params.name, 255)?;
        check_email(&params.email)?;
        check_extra(&params.extra)?;
        let password_hash = match params.password {
            Some(pw) => {
                password::check_rules(secrecy::ExposeSecret::expose_secret(&pw))?;
                Some(password::hash(pw).await?)
            }
            None => None,
        };
        let domain_id = params
            .domain_id
            .unwrap_or_else(|| DEFAULT_DOMAIN_ID.to_string());
        let mut conn = self.db.conn().await?;
        if db::get::<db::resources::DomainRow>(&mut conn, &domain_id)
            .await?
            .is_none()
        {
            return Err(Error::not_found("domain", &domain_id));
        }
        if let Some(p) = &params.default_project_id {
            if db::get::<db::resources::ProjectRow>(&mut conn, p)
                .await?
                .is_none()
            {
                return Err(Error::not_found("project", p));
            }
        }
        let now = now();
        let row = User {
            id: new_id(),
            domain_id,
            name: params.name,
            password_hash,
            enabled: params.enabled as i64,
            email: params.email.filter(|e| !e.is_empty()),
            description: params.description,
            default_project_id: params.default_project_id,
            password_changed_at: super::auth::now_ms(),
            failed_auth_count: 0,
            locked_until: None,
            created_at: now,
            extra: serde_json::Value::Object(params.extra).to_string(),
        };
        db::insert(&mut conn, &row)
            .await
            .map_err(on_duplicate(|| Error::duplicate("user", &row.name)))?;
        self.changed();
        Ok(row)
    }

    pub async fn user_get(&self, ctx: &OpCtx, id: &str) -> Result<User> {
        authorize(ctx, Action::Read, Resource::User { id })?;
        let mut conn = self.db.conn().await?;
        db::get::<db::users::UserRow>(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("user", id))
    }

    pub async fn user_list(&self, ctx: &OpCtx, filter: UserFilter) -> Result<UserPage> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_users"),
        )?;
        let mut conn = self.db.conn().await?;
        let users = db::users::user_list(&mut conn, &filter).await?;
        let total = if filter.limit.is_some() {
            db::users::user_count(&mut conn, &filter).await?
        } else {
            users.len() as i64
        };
        Ok(UserPage { users, total })
    }

    /// Updates a user. Re-enabling a user also clears a lockout, as in Keystone.
    pub async fn user_update(&self, ctx: &OpCtx, id: &str, params: UserUpdate) -> Result<User> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:update_user"),
        )?;
        let new_hash = match params.password {
            Some(pw) => {
                password::check_rules(secrecy::ExposeSecret::expose_secret(&pw))?;
                Some(password::hash(pw).await?)
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let mut row = found::<db::users::UserRow>(&mut tx, "user", id).await?;
        if let Some(name) = params.name {
            check_name("name", &name, 255)?;
            row.name = name;
        }
        if let Some(email) = params.email {
            check_email(&email)?;
            row.email = email.filter(|e| !e.is_empty());
        }
        if !params.extra.is_empty() {
            check_extra(&params.extra)?;
            let mut extra = user_extra(&row);
            extra.extend(params.extra);
            row.extra = serde_json::Value::Object(extra).to_string();
        }
        if let Some(d) = params.description {
            row.description = d;
        }
        if let Some(p) = params.default_project_id {
            if let Some(p) = &p {
                if db::get::<db::resources::ProjectRow>(&mut tx, p)
                    .await?
                    .is_none()
                {
                    return Err(Error::not_found("project", p));
                }
            }
            row.default_project_id = p;
        }
        if let Some(e) = params.enabled {
            if e {
                db::users::user_auth_reset(&mut tx, id).await?;
                row.failed_auth_count = 0;
                row.locked_until = None;
            }
            row.enabled = e as i64;
        }
        db::users::user_update(&mut tx, &row)
            .await
            .map_err(on_duplicate(|| Error::duplicate("user", &row.name)))?;
        if let Some(hash) = new_hash {
            let t = super::auth::now_ms();
            db::users::user_set_password(&mut tx, id, &hash, t).await?;
            row.password_hash = Some(hash);
            row.password_changed_at = t;
        }
        tx.commit().await?;
        self.changed();
        Ok(row)
    }

    /// A user changes its own password, proving the old one (`POST /v3/users/{id}/password`).
    pub async fn user_change_password(
        &self,
        ctx: &OpCtx,
        id: &str,
        original: SecretString,
        new: SecretString,
    ) -> Result<()> {
        authorize(ctx, Action::Modify, Resource::User { id })?;
        let mut conn = self.db.conn().await?;
        let row = found::<db::users::UserRow>(&mut conn, "user", id).await?;
        if !password::verify(original, row.password_hash.clone()).await? {
            return Err(Error::Unauthenticated(msg!(
                "The original password is not correct."
            )));
        }
        password::check_rules(secrecy::ExposeSecret::expose_secret(&new))?;
        let hash = password::hash(new).await?;
        db::users::user_set_password(&mut conn, id, &hash, super::auth::now_ms()).await?;
        self.changed();
        Ok(())
    }

    /// Clears a lockout (the portal's "Unlock" action).
    pub async fn user_unlock(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:update_user"),
        )?;
        let mut conn = self.db.conn().await?;
        if db::get::<db::users::UserRow>(&mut conn, id)
            .await?
            .is_none()
        {
            return Err(Error::not_found("user", id));
        }
        db::users::user_auth_reset(&mut conn, id).await?;
        self.changed();
        Ok(())
    }

    pub async fn user_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_user"),
        )?;
        if id == ctx.user_id() {
            return Err(Error::Forbidden(msg!(
                "You cannot delete the user you are logged in as."
            )));
        }
        let mut tx = self.db.begin().await?;
        db::roles::assignments_purge(&mut tx, "user", id).await?;
        remove::<db::users::UserRow>(&mut tx, "user", id).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    pub async fn group_create(&self, ctx: &OpCtx, params: GroupCreate) -> Result<Group> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_group"),
        )?;
        check_name("name", &params.name, 64)?;
        let domain_id = params
            .domain_id
            .unwrap_or_else(|| DEFAULT_DOMAIN_ID.to_string());
        let mut conn = self.db.conn().await?;
        if db::get::<db::resources::DomainRow>(&mut conn, &domain_id)
            .await?
            .is_none()
        {
            return Err(Error::not_found("domain", &domain_id));
        }
        let row = Group {
            id: new_id(),
            domain_id,
            name: params.name,
            description: params.description,
            created_at: now(),
        };
        db::insert(&mut conn, &row)
            .await
            .map_err(on_duplicate(|| Error::duplicate("group", &row.name)))?;
        self.changed();
        Ok(row)
    }

    pub async fn group_get(&self, ctx: &OpCtx, id: &str) -> Result<Group> {
        authorize(ctx, Action::Read, Resource::AdminOnly("identity:get_group"))?;
        let mut conn = self.db.conn().await?;
        db::get::<db::users::GroupRow>(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("group", id))
    }

    pub async fn group_list(
        &self,
        ctx: &OpCtx,
        name: Option<&str>,
        domain_id: Option<&str>,
    ) -> Result<Vec<Group>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_groups"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::users::group_list(&mut conn, name, domain_id).await?)
    }

    pub async fn group_update(&self, ctx: &OpCtx, id: &str, params: GroupUpdate) -> Result<Group> {
        self.modify(ctx, "identity:update_group", id, |row: &mut Group| {
            if let Some(name) = params.name {
                check_name("name", &name, 64)?;
                row.name = name;
            }
            if let Some(d) = params.description {
                row.description = d;
            }
            Ok(())
        })
        .await
    }

    pub async fn group_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_group"),
        )?;
        let mut tx = self.db.begin().await?;
        db::roles::assignments_purge(&mut tx, "group", id).await?;
        remove::<db::users::GroupRow>(&mut tx, "group", id).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    pub async fn group_member_add(&self, ctx: &OpCtx, group_id: &str, user_id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:add_user_to_group"),
        )?;
        let mut conn = self.db.conn().await?;
        self.group_and_user_exist(&mut conn, group_id, user_id)
            .await?;
        db::users::group_member_add(&mut conn, group_id, user_id).await?;
        self.changed();
        Ok(())
    }

    pub async fn group_member_remove(
        &self,
        ctx: &OpCtx,
        group_id: &str,
        user_id: &str,
    ) -> Result<()> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:remove_user_from_group"),
        )?;
        let mut conn = self.db.conn().await?;
        self.group_and_user_exist(&mut conn, group_id, user_id)
            .await?;
        if !db::users::group_member_remove(&mut conn, group_id, user_id).await? {
            return Err(Error::NotFound {
                kind: "membership",
                id: format!("user {user_id} in group {group_id}"),
            });
        }
        self.changed();
        Ok(())
    }

    pub async fn group_member_check(
        &self,
        ctx: &OpCtx,
        group_id: &str,
        user_id: &str,
    ) -> Result<()> {
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("identity:check_user_in_group"),
        )?;
        let mut conn = self.db.conn().await?;
        self.group_and_user_exist(&mut conn, group_id, user_id)
            .await?;
        if !db::users::group_member_check(&mut conn, group_id, user_id).await? {
            return Err(Error::NotFound {
                kind: "membership",
                id: format!("user {user_id} in group {group_id}"),
            });
        }
        Ok(())
    }

    pub async fn group_members(&self, ctx: &OpCtx, group_id: &str) -> Result<Vec<User>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_users_in_group"),
        )?;
        let mut conn = self.db.conn().await?;
        if db::get::<db::users::GroupRow>(&mut conn, group_id)
            .await?
            .is_none()
        {
            return Err(Error::not_found("group", group_id));
        }
        Ok(db::users::group_members(&mut conn, group_id).await?)
    }

    pub async fn user_groups(&self, ctx: &OpCtx, user_id: &str) -> Result<Vec<Group>> {
        authorize(ctx, Action::List, Resource::User { id: user_id })?;
        let mut conn = self.db.conn().await?;
        if db::get::<db::users::UserRow>(&mut conn, user_id)
            .await?
            .is_none()
        {
            return Err(Error::not_found("user", user_id));
        }
        Ok(db::users::user_groups(&mut conn, user_id).await?)
    }

    async fn group_and_user_exist(
        &self,
        conn: &mut db::Conn,
        group_id: &str,
        user_id: &str,
    ) -> Result<()> {
        if db::get::<db::users::GroupRow>(conn, group_id)
            .await?
            .is_none()
        {
            return Err(Error::not_found("group", group_id));
        }
        if db::get::<db::users::UserRow>(conn, user_id)
            .await?
            .is_none()
        {
            return Err(Error::not_found("user", user_id));
        }
        Ok(())
    }
}
