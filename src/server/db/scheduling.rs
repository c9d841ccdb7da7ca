//! What the scheduler reads beside the compute nodes: host aggregates (and the
//! availability zones they make) and server groups with their members.

use super::table::table;
use super::{DbError, C};

table! {
    /// A host aggregate. `hosts` is a JSON array of host names, `metadata` a JSON object of
    /// strings; the availability zone is kept apart from the metadata that shows it.
    pub struct AggregateRow in "aggregates" {
        pub id: String,
        pub num: i64,
        pub name: String,
        pub availability_zone: Option<String>,
        pub hosts: String,
        pub metadata: String,
        pub created_at: i64,
        pub updated_at: Option<i64>,
    }
}

table! {
    /// A server group: `policy` is affinity, anti-affinity, soft-affinity or
    /// soft-anti-affinity; `rules` a JSON object.
    pub struct ServerGroupRow in "server_groups" {
        pub id: String,
        pub name: String,
        pub project_id: String,
        pub user_id: String,
        pub policy: String,
        pub rules: String,
        pub created_at: i64,
    }
}

pub async fn aggregate_list(c: &mut C) -> Result<Vec<AggregateRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM aggregates ORDER BY num",
        <AggregateRow as super::table::Table>::columns()
    );
    sqlx::query_as(&sql).fetch_all(c).await
}

/// The aggregate with this integer id (as Nova's API names it) or uuid.
pub async fn aggregate_find(c: &mut C, id: &str) -> Result<Option<AggregateRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM aggregates WHERE id = $1 OR CAST(num AS TEXT) = $1",
        <AggregateRow as super::table::Table>::columns()
    );
    sqlx::query_as(&sql).bind(id).fetch_optional(c).await
}

/// The integer id the next aggregate gets (the caller holds the claims lock).
pub async fn aggregate_next_num(c: &mut C) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(num), 0) + 1 FROM aggregates")
        .fetch_one(c)
        .await?;
    Ok(n)
}

/// The server groups of a project, or every project's when `None`.
pub async fn server_group_list(
    c: &mut C,
    project_id: Option<&str>,
) -> Result<Vec<ServerGroupRow>, DbError> {
    let cols = <ServerGroupRow as super::table::Table>::columns();
    match project_id {
        Some(p) => {
            let sql = format!(
                "SELECT {cols} FROM server_groups WHERE project_id = $1 ORDER BY created_at, id"
            );
            sqlx::query_as(&sql).bind(p).fetch_all(c).await
        }
        None => {
            let sql = format!("SELECT {cols} FROM server_groups ORDER BY created_at, id");
            sqlx::query_as(&sql).fetch_all(c).await
        }
    }
}

/// The live instances of a group, with the host each was placed on (if any yet).
pub async fn server_group_members(
    c: &mut C,
    group_id: &str,
) -> Result<Vec<(String, Option<String>)>, DbError> {
    sqlx::query_as(
        "SELECT id, host FROM instances WHERE server_group_id = $1 AND deleted = 0
         ORDER BY created_at, id",
    )
    .bind(group_id)
    .fetch_all(c)
    .await
}

/// Deletes a group; its instances stay, in no group.
pub async fn server_group_delete(c: &mut C, group_id: &str) -> Result<bool, DbError> {
    sqlx::query("UPDATE instances SET server_group_id = NULL WHERE server_group_id = $1")
        .bind(group_id)
        .execute(&mut *c)
        .await?;
    super::table::delete::<ServerGroupRow>(c, group_id).await
}
