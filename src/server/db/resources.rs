//! Domains and projects.

use super::table::{table, Table};
use super::{b, like_pattern, DbError, C};

table! {
    pub struct DomainRow in "domains" {
        pub id: String,
        pub name: String,
        pub description: String,
        pub enabled: i64,
        pub created_at: i64,
    }
}

table! {
    pub struct ProjectRow in "projects" {
        pub id: String,
        pub name: String,
        pub domain_id: String,
        pub parent_id: Option<String>,
        pub description: String,
        pub enabled: i64,
        pub created_at: i64,
    }
}

pub async fn domain_get_by_name(c: &mut C, name: &str) -> Result<Option<DomainRow>, DbError> {
    let domain_cols = DomainRow::columns();
    sqlx::query_as(&format!(
        "SELECT {domain_cols} FROM domains WHERE name = $1"
    ))
    .bind(name)
    .fetch_optional(c)
    .await
}

pub async fn domain_list(
    c: &mut C,
    name: Option<&str>,
    enabled: Option<bool>,
) -> Result<Vec<DomainRow>, DbError> {
    let domain_cols = DomainRow::columns();
    sqlx::query_as(&format!(
        "SELECT {domain_cols} FROM domains
         WHERE ($1 IS NULL OR name = $1) AND ($2 IS NULL OR enabled = $2) ORDER BY name"
    ))
    .bind(name)
    .bind(enabled.map(b))
    .fetch_all(c)
    .await
}

pub async fn domain_has_children(c: &mut C, id: &str) -> Result<bool, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM projects WHERE domain_id = $1)
              + (SELECT COUNT(*) FROM users WHERE domain_id = $1)
              + (SELECT COUNT(*) FROM user_groups WHERE domain_id = $1)",
    )
    .bind(id)
    .fetch_one(c)
    .await?;
    Ok(n > 0)
}

pub async fn project_get_by_name(
    c: &mut C,
    domain_id: &str,
    name: &str,
) -> Result<Option<ProjectRow>, DbError> {
    let project_cols = ProjectRow::columns();
    sqlx::query_as(&format!(
        "SELECT {project_cols} FROM projects WHERE domain_id = $1 AND name = $2"
    ))
    .bind(domain_id)
    .bind(name)
    .fetch_optional(c)
    .await
}

/// Filters of the project list (Keystone's query parameters).
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub parent_id: Option<String>,
    pub enabled: Option<bool>,
    /// Case-insensitive substring of the name (the portal's filter box).
    pub name_contains: Option<String>,
    /// Only these ids (a non-admin's own projects).
    pub ids: Option<Vec<String>>,
}

pub async fn project_list(c: &mut C, f: &ProjectFilter) -> Result<Vec<ProjectRow>, DbError> {
    let project_cols = ProjectRow::columns();
    let mut rows: Vec<ProjectRow> = sqlx::query_as(&format!(
        "SELECT {project_cols} FROM projects
         WHERE ($1 IS NULL OR name = $1) AND ($2 IS NULL OR domain_id = $2)
           AND ($3 IS NULL OR parent_id = $3) AND ($4 IS NULL OR enabled = $4)
           AND ($5 IS NULL OR LOWER(name) LIKE $5 ESCAPE '\\')
         ORDER BY name"
    ))
    .bind(f.name.as_deref())
    .bind(f.domain_id.as_deref())
    .bind(f.parent_id.as_deref())
    .bind(f.enabled.map(b))
    .bind(f.name_contains.as_deref().map(like_pattern))
    .fetch_all(c)
    .await?;
    if let Some(ids) = &f.ids {
        rows.retain(|r| ids.contains(&r.id));
    }
    Ok(rows)
}

pub async fn project_has_children(c: &mut C, id: &str) -> Result<bool, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM projects WHERE parent_id = $1")
        .bind(id)
        .fetch_one(c)
        .await?;
    Ok(n > 0)
}
