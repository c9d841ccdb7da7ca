//! Regions, services and endpoints: the service catalog.

use sqlx::FromRow;

use super::{DbError, C};

#[derive(Clone, Debug, FromRow)]
pub struct RegionRow {
    pub id: String,
    pub description: String,
    pub parent_region_id: Option<String>,
}

#[derive(Clone, Debug, FromRow)]
pub struct ServiceRow {
    pub id: String,
    #[sqlx(rename = "type")]
    pub service_type: String,
    pub name: String,
    pub description: String,
    pub enabled: i64,
}

#[derive(Clone, Debug, FromRow)]
pub struct EndpointRow {
    pub id: String,
    pub service_id: String,
    pub interface: String,
    pub region_id: Option<String>,
    pub url: String,
    pub enabled: i64,
}

pub async fn region_insert(c: &mut C, r: &RegionRow) -> Result<(), DbError> {
    sqlx::query("INSERT INTO regions (id, description, parent_region_id) VALUES ($1, $2, $3)")
        .bind(&r.id)
        .bind(&r.description)
        .bind(&r.parent_region_id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn region_get(c: &mut C, id: &str) -> Result<Option<RegionRow>, DbError> {
    sqlx::query_as("SELECT id, description, parent_region_id FROM regions WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await
}

pub async fn region_list(c: &mut C) -> Result<Vec<RegionRow>, DbError> {
    sqlx::query_as("SELECT id, description, parent_region_id FROM regions ORDER BY id")
        .fetch_all(c)
        .await
}

pub async fn region_update(c: &mut C, r: &RegionRow) -> Result<(), DbError> {
    sqlx::query("UPDATE regions SET description = $2, parent_region_id = $3 WHERE id = $1")
        .bind(&r.id)
        .bind(&r.description)
        .bind(&r.parent_region_id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn region_delete(c: &mut C, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM regions WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn service_insert(c: &mut C, s: &ServiceRow) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO services (id, type, name, description, enabled) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.id)
    .bind(&s.service_type)
    .bind(&s.name)
    .bind(&s.description)
    .bind(s.enabled)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn service_get(c: &mut C, id: &str) -> Result<Option<ServiceRow>, DbError> {
    sqlx::query_as("SELECT id, type, name, description, enabled FROM services WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await
}

pub async fn service_list(
    c: &mut C,
    service_type: Option<&str>,
    name: Option<&str>,
) -> Result<Vec<ServiceRow>, DbError> {
    sqlx::query_as(
        "SELECT id, type, name, description, enabled FROM services
         WHERE ($1 IS NULL OR type = $1) AND ($2 IS NULL OR name = $2) ORDER BY type, name",
    )
    .bind(service_type)
    .bind(name)
    .fetch_all(c)
    .await
}

pub async fn service_update(c: &mut C, s: &ServiceRow) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE services SET type = $2, name = $3, description = $4, enabled = $5 WHERE id = $1",
    )
    .bind(&s.id)
    .bind(&s.service_type)
    .bind(&s.name)
    .bind(&s.description)
    .bind(s.enabled)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn service_delete(c: &mut C, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM services WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn endpoint_insert(c: &mut C, e: &EndpointRow) -> Result<(), DbError> {
    sqlx::query("INSERT INTO endpoints (id, service_id, interface, region_id, url, enabled) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&e.id)
        .bind(&e.service_id)
        .bind(&e.interface)
        .bind(&e.region_id)
        .bind(&e.url)
        .bind(e.enabled)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn endpoint_get(c: &mut C, id: &str) -> Result<Option<EndpointRow>, DbError> {
    sqlx::query_as(
        "SELECT id, service_id, interface, region_id, url, enabled FROM endpoints WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(c)
    .await
}

pub async fn endpoint_list(
    c: &mut C,
    service_id: Option<&str>,
    interface: Option<&str>,
    region_id: Option<&str>,
) -> Result<Vec<EndpointRow>, DbError> {
    sqlx::query_as(
        "SELECT id, service_id, interface, region_id, url, enabled FROM endpoints
         WHERE ($1 IS NULL OR service_id = $1) AND ($2 IS NULL OR interface = $2) AND ($3 IS NULL OR region_id = $3)
         ORDER BY service_id, interface",
    )
    .bind(service_id)
    .bind(interface)
    .bind(region_id)
    .fetch_all(c)
    .await
}

pub async fn endpoint_update(c: &mut C, e: &EndpointRow) -> Result<(), DbError> {
    sqlx::query("UPDATE endpoints SET service_id = $2, interface = $3, region_id = $4, url = $5, enabled = $6 WHERE id = $1")
        .bind(&e.id)
        .bind(&e.service_id)
        .bind(&e.interface)
        .bind(&e.region_id)
        .bind(&e.url)
        .bind(e.enabled)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn endpoint_delete(c: &mut C, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM endpoints WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() > 0)
}
