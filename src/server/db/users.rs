//! Users, groups and group membership.

use super::select::Select;
use super::table::{table, Table};
use super::{DbError, C};

table! {
    pub struct UserRow in "users" {
        pub id: String,
        pub domain_id: String,
        pub name: String,
        pub password_hash: Option<String>,
        pub enabled: i64,
        pub email: Option<String>,
        pub description: Option<String>,
        pub default_project_id: Option<String>,
        pub password_changed_at: i64,
        pub failed_auth_count: i64,
        pub locked_until: Option<i64>,
        pub created_at: i64,
        /// A JSON object of the client's own attributes.
        pub extra: String,
    }
}

table! {
    pub struct GroupRow in "user_groups" {
        pub id: String,
        pub domain_id: String,
        pub name: String,
        pub description: String,
        pub created_at: i64,
    }
}

pub async fn user_get_by_name(
    c: &mut C,
    domain_id: &str,
    name: &str,
) -> Result<Option<UserRow>, DbError> {
    Select::table()
        .eq("domain_id", Some(domain_id))
        .eq("name", Some(name))
        .fetch_optional(c)
        .await
}

/// Filters, sort and page of the user list.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub enabled: Option<bool>,
    /// Case-insensitive substring of name or email (the portal's filter box).
    pub contains: Option<String>,
    /// A whitelisted column: name, email, id, enabled.
    pub sort: Option<String>,
    pub descending: bool,
    pub limit: Option<i64>,
    pub offset: i64,
}

fn users(f: &UserFilter) -> Select<UserRow> {
    Select::table()
        .eq("name", f.name.as_deref())
        .eq("domain_id", f.domain_id.as_deref())
        .eq("enabled", f.enabled)
        .contains(&["name", "email"], f.contains.as_deref())
}

pub async fn user_list(c: &mut C, f: &UserFilter) -> Result<Vec<UserRow>, DbError> {
    let column = match f.sort.as_deref() {
        Some("email") => "email",
        Some("id") => "id",
        Some("enabled") => "enabled",
        _ => "name",
    };
    let direction = if f.descending { "DESC" } else { "ASC" };
    users(f)
        .order_by(&format!("{column} {direction}, id"))
        .limit(f.limit)
        .offset(f.offset)
        .fetch_all(c)
        .await
}

pub async fn user_count(c: &mut C, f: &UserFilter) -> Result<i64, DbError> {
    users(f).count(c).await
}

pub async fn user_update(c: &mut C, u: &UserRow) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE users SET name = $2, enabled = $3, email = $4, description = $5, default_project_id = $6,
         extra = $7 WHERE id = $1",
    )
    .bind(&u.id)
    .bind(&u.name)
    .bind(u.enabled)
    .bind(&u.email)
    .bind(&u.description)
    .bind(&u.default_project_id)
    .bind(&u.extra)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn user_set_password(
    c: &mut C,
    id: &str,
    hash: &str,
    changed_at: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .bind(changed_at)
        .execute(c)
        .await?;
    Ok(())
}

/// Records a failed login; returns the new count.
pub async fn user_auth_failed(c: &mut C, id: &str) -> Result<i64, DbError> {
    let (n,): (i64,) =
        sqlx::query_as("UPDATE users SET failed_auth_count = failed_auth_count + 1 WHERE id = $1 RETURNING failed_auth_count")
            .bind(id)
            .fetch_one(c)
            .await?;
    Ok(n)
}

pub async fn user_lock(c: &mut C, id: &str, until: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET locked_until = $2 WHERE id = $1")
        .bind(id)
        .bind(until)
        .execute(c)
        .await?;
    Ok(())
}

/// Clears the failure count and any lock (a successful login, or an admin's unlock).
pub async fn user_auth_reset(c: &mut C, id: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET failed_auth_count = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn users_with_default_project_clear(c: &mut C, project_id: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET default_project_id = NULL WHERE default_project_id = $1")
        .bind(project_id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn group_list(
    c: &mut C,
    name: Option<&str>,
    domain_id: Option<&str>,
) -> Result<Vec<GroupRow>, DbError> {
    Select::table()
        .eq("name", name)
        .eq("domain_id", domain_id)
        .order_by("name")
        .fetch_all(c)
        .await
}

/// Adds a member; adding one twice is not an error.
pub async fn group_member_add(c: &mut C, group_id: &str, user_id: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(group_id)
    .bind(user_id)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn group_member_remove(
    c: &mut C,
    group_id: &str,
    user_id: &str,
) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn group_member_check(c: &mut C, group_id: &str, user_id: &str) -> Result<bool, DbError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT user_id FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group_id)
            .bind(user_id)
            .fetch_optional(c)
            .await?;
    Ok(row.is_some())
}

pub async fn group_members(c: &mut C, group_id: &str) -> Result<Vec<UserRow>, DbError> {
    Select::new(
        &prefixed("u", &UserRow::columns()),
        "users u JOIN group_members m ON m.user_id = u.id",
    )
    .eq("m.group_id", Some(group_id))
    .order_by("u.name")
    .fetch_all(c)
    .await
}

pub async fn user_groups(c: &mut C, user_id: &str) -> Result<Vec<GroupRow>, DbError> {
    Select::new(
        &prefixed("g", &GroupRow::columns()),
        "user_groups g JOIN group_members m ON m.group_id = g.id",
    )
    .eq("m.user_id", Some(user_id))
    .order_by("g.name")
    .fetch_all(c)
    .await
}

pub async fn user_group_ids(c: &mut C, user_id: &str) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT group_id FROM group_members WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(c)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

fn prefixed(alias: &str, cols: &str) -> String {
    cols.split(',')
        .map(|col| format!("{alias}.{}", col.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}
