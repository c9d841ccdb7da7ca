//! Regions, services and endpoints: the service catalog. Rows are read and written with
//! the generic [`get`](super::get), [`insert`](super::insert), [`save`](super::save) and
//! [`delete`](super::delete); what is here are the lists.

use super::select::Select;
use super::table::table;
use super::{DbError, C};

table! {
    pub struct RegionRow in "regions" {
        pub id: String,
        pub description: String,
        pub parent_region_id: Option<String>,
    }
}

table! {
    pub struct ServiceRow in "services" {
        pub id: String,
        pub service_type as "type": String,
        pub name: String,
        pub description: String,
        pub enabled: i64,
    }
}

table! {
    pub struct EndpointRow in "endpoints" {
        pub id: String,
        pub service_id: String,
        pub interface: String,
        pub region_id: Option<String>,
        pub url: String,
        pub enabled: i64,
    }
}

pub async fn region_list(c: &mut C, parent: Option<&str>) -> Result<Vec<RegionRow>, DbError> {
    Select::table()
        .eq("parent_region_id", parent)
        .order_by("id")
        .fetch_all(c)
        .await
}

pub async fn service_list(
    c: &mut C,
    service_type: Option<&str>,
    name: Option<&str>,
) -> Result<Vec<ServiceRow>, DbError> {
    Select::table()
        .eq("type", service_type)
        .eq("name", name)
        .order_by("type, name")
        .fetch_all(c)
        .await
}

pub async fn endpoint_list(
    c: &mut C,
    service_id: Option<&str>,
    interface: Option<&str>,
    region_id: Option<&str>,
) -> Result<Vec<EndpointRow>, DbError> {
    Select::table()
        .eq("service_id", service_id)
        .eq("interface", interface)
        .eq("region_id", region_id)
        .order_by("service_id, interface")
        .fetch_all(c)
        .await
}

table! {
    /// A policy document (`/v3/policies`): its media type and its text.
    pub struct PolicyRow in "policies" {
        pub id: String,
        pub policy_type: String,
        pub blob: String,
    }
}

table! {
    /// An endpoint group; `filters` is a JSON object of endpoint attributes.
    pub struct EndpointGroupRow in "endpoint_groups" {
        pub id: String,
        pub name: String,
        pub description: String,
        pub filters: String,
    }
}

pub async fn policy_list(c: &mut C, policy_type: Option<&str>) -> Result<Vec<PolicyRow>, DbError> {
    Select::table()
        .eq("policy_type", policy_type)
        .order_by("id")
        .fetch_all(c)
        .await
}

pub async fn endpoint_group_list(
    c: &mut C,
    name: Option<&str>,
) -> Result<Vec<EndpointGroupRow>, DbError> {
    Select::table()
        .eq("name", name)
        .order_by("id")
        .fetch_all(c)
        .await
}

/// The projects an endpoint group is associated with.
pub async fn endpoint_group_projects(c: &mut C, group_id: &str) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT project_id FROM endpoint_group_projects WHERE endpoint_group_id = $1 ORDER BY project_id",
    )
    .bind(group_id)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// The endpoint groups a project is associated with.
pub async fn project_endpoint_groups(c: &mut C, project_id: &str) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT endpoint_group_id FROM endpoint_group_projects WHERE project_id = $1 ORDER BY endpoint_group_id",
    )
    .bind(project_id)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(|(g,)| g).collect())
}

/// Associates a project with an endpoint group (again is no change).
pub async fn endpoint_group_project_add(
    c: &mut C,
    group_id: &str,
    project_id: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO endpoint_group_projects (endpoint_group_id, project_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
    )
    .bind(group_id)
    .bind(project_id)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn endpoint_group_project_remove(
    c: &mut C,
    group_id: &str,
    project_id: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "DELETE FROM endpoint_group_projects WHERE endpoint_group_id = $1 AND project_id = $2",
    )
    .bind(group_id)
    .bind(project_id)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}
