//! Domains and projects.

use super::select::Select;
use super::table::table;
use super::{DbError, C};

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
        /// A JSON array of tags.
        pub tags: String,
    }
}

pub async fn domain_get_by_name(c: &mut C, name: &str) -> Result<Option<DomainRow>, DbError> {
    Select::table()
        .eq("name", Some(name))
        .fetch_optional(c)
        .await
}

pub async fn domain_list(
    c: &mut C,
    name: Option<&str>,
    enabled: Option<bool>,
) -> Result<Vec<DomainRow>, DbError> {
    Select::table()
        .eq("name", name)
        .eq("enabled", enabled)
        .order_by("name")
        .fetch_all(c)
        .await
}

pub async fn project_get_by_name(
    c: &mut C,
    domain_id: &str,
    name: &str,
) -> Result<Option<ProjectRow>, DbError> {
    Select::table()
        .eq("domain_id", Some(domain_id))
        .eq("name", Some(name))
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
    /// Tag filters (Keystone's `tags`, `tags-any`, `not-tags`, `not-tags-any`).
    pub tags: Vec<String>,
    pub tags_any: Vec<String>,
    pub not_tags: Vec<String>,
    pub not_tags_any: Vec<String>,
}

pub async fn project_list(c: &mut C, f: &ProjectFilter) -> Result<Vec<ProjectRow>, DbError> {
    let mut rows: Vec<ProjectRow> = Select::table()
        .eq("name", f.name.as_deref())
        .eq("domain_id", f.domain_id.as_deref())
        .eq("parent_id", f.parent_id.as_deref())
        .eq("enabled", f.enabled)
        .contains(&["name"], f.name_contains.as_deref())
        .within("id", f.ids.as_deref())
        .order_by("name")
        .fetch_all(c)
        .await?;
    // Tags are a JSON array in the row: filtered here, the same on both databases.
    if !(f.tags.is_empty()
        && f.tags_any.is_empty()
        && f.not_tags.is_empty()
        && f.not_tags_any.is_empty())
    {
        rows.retain(|p| {
            let tags: Vec<String> = serde_json::from_str(&p.tags).unwrap_or_default();
            let has = |t: &String| tags.contains(t);
            (f.tags.is_empty() || f.tags.iter().all(has))
                && (f.tags_any.is_empty() || f.tags_any.iter().any(has))
                && (f.not_tags.is_empty() || !f.not_tags.iter().all(has))
                && (f.not_tags_any.is_empty() || !f.not_tags_any.iter().any(has))
        });
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
