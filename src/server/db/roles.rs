//! Roles, implied roles and role assignments.

use sqlx::FromRow;

use super::select::Select;
use super::table::table;
use super::{DbError, C};

table! {
    pub struct RoleRow in "roles" {
        pub id: String,
        pub name: String,
        pub description: String,
        pub created_at: i64,
    }
}

#[derive(Clone, Debug, FromRow, PartialEq, Eq, PartialOrd, Ord)]
pub struct AssignmentRow {
    pub actor_type: String,
    pub actor_id: String,
    pub target_type: String,
    pub target_id: String,
    pub role_id: String,
}

const ASSIGNMENT_COLS: &str = "actor_type, actor_id, target_type, target_id, role_id";

pub async fn role_get_by_name(c: &mut C, name: &str) -> Result<Option<RoleRow>, DbError> {
    Select::table()
        .eq("name", Some(name))
        .fetch_optional(c)
        .await
}

pub async fn role_list(c: &mut C, name: Option<&str>) -> Result<Vec<RoleRow>, DbError> {
    Select::table()
        .eq("name", name)
        .order_by("name")
        .fetch_all(c)
        .await
}

pub async fn implied_role_add(c: &mut C, prior: &str, implied: &str) -> Result<(), DbError> {
    sqlx::query("INSERT INTO implied_roles (prior_role_id, implied_role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(prior)
        .bind(implied)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn implied_role_remove(c: &mut C, prior: &str, implied: &str) -> Result<bool, DbError> {
    let r =
        sqlx::query("DELETE FROM implied_roles WHERE prior_role_id = $1 AND implied_role_id = $2")
            .bind(prior)
            .bind(implied)
            .execute(c)
            .await?;
    Ok(r.rows_affected() > 0)
}

/// Every (prior, implied) pair.
pub async fn implied_role_list(c: &mut C) -> Result<Vec<(String, String)>, DbError> {
    sqlx::query_as("SELECT prior_role_id, implied_role_id FROM implied_roles ORDER BY prior_role_id, implied_role_id")
        .fetch_all(c)
        .await
}

pub async fn assignment_add(c: &mut C, a: &AssignmentRow) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO role_assignments ({ASSIGNMENT_COLS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
    ))
    .bind(&a.actor_type)
    .bind(&a.actor_id)
    .bind(&a.target_type)
    .bind(&a.target_id)
    .bind(&a.role_id)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn assignment_remove(c: &mut C, a: &AssignmentRow) -> Result<bool, DbError> {
    let r = sqlx::query(
        "DELETE FROM role_assignments
         WHERE actor_type = $1 AND actor_id = $2 AND target_type = $3 AND target_id = $4 AND role_id = $5",
    )
    .bind(&a.actor_type)
    .bind(&a.actor_id)
    .bind(&a.target_type)
    .bind(&a.target_id)
    .bind(&a.role_id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Filters of the direct assignment list; `actor_ids` matches any of the ids given.
#[derive(Clone, Debug, Default)]
pub struct AssignmentFilter {
    pub actor_type: Option<String>,
    pub actor_ids: Option<Vec<String>>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub role_id: Option<String>,
}

pub async fn assignment_list(
    c: &mut C,
    f: &AssignmentFilter,
) -> Result<Vec<AssignmentRow>, DbError> {
    Select::new(ASSIGNMENT_COLS, "role_assignments")
        .eq("actor_type", f.actor_type.as_deref())
        .within("actor_id", f.actor_ids.as_deref())
        .eq("target_type", f.target_type.as_deref())
        .eq("target_id", f.target_id.as_deref())
        .eq("role_id", f.role_id.as_deref())
        .order_by("actor_type, actor_id, target_type, target_id, role_id")
        .fetch_all(c)
        .await
}

/// Removes every assignment of an actor (a deleted user or group) or on a target (a
/// deleted project or domain), the inherited ones made on it included.
pub async fn assignments_purge(c: &mut C, kind: &str, id: &str) -> Result<(), DbError> {
    let inherited = match kind {
        "domain" => "domain-projects",
        "project" => "project-subtree",
        _ => "",
    };
    sqlx::query(
        "DELETE FROM role_assignments WHERE (actor_type = $1 AND actor_id = $2)
         OR ((target_type = $1 OR target_type = $3) AND target_id = $2)",
    )
    .bind(kind)
    .bind(id)
    .bind(inherited)
    .execute(c)
    .await?;
    Ok(())
}
