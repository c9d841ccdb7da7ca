//! Placement's records: resource providers with their inventories, traits and
//! aggregates, custom resource classes and traits, and the consumers' allocations.

use super::select::Select;
use super::table::{placeholders, table};
use super::{DbError, C};

table! {
    /// A resource provider. `root_id` is its own id when it has no parent.
    pub struct ProviderRow in "resource_providers" {
        pub id: String,
        pub name: String,
        pub generation: i64,
        pub parent_id: Option<String>,
        pub root_id: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

table! {
    /// A custom resource class (`CUSTOM_*`), by name.
    pub struct ResourceClassRow in "resource_classes" {
        pub id: String,
        pub created_at: i64,
        pub updated_at: Option<i64>,
    }
}

table! {
    /// A custom trait (`CUSTOM_*`), by name.
    pub struct TraitRow in "traits" {
        pub id: String,
        pub created_at: i64,
    }
}

table! {
    /// Who holds allocations: an instance, a migration, anything another service names.
    pub struct ConsumerRow in "consumers" {
        pub id: String,
        pub project_id: String,
        pub user_id: String,
        pub generation: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// What a provider has of one resource class.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct InventoryRow {
    pub provider_id: String,
    pub resource_class: String,
    pub total: i64,
    pub reserved: i64,
    pub min_unit: i64,
    pub max_unit: i64,
    pub step_size: i64,
    pub allocation_ratio: f64,
}

/// What a consumer holds of one class on one provider.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct AllocationRow {
    pub consumer_id: String,
    pub provider_id: String,
    pub resource_class: String,
    pub used: i64,
}

const INVENTORY_COLS: &str =
    "provider_id, resource_class, total, reserved, min_unit, max_unit, step_size, allocation_ratio";

pub async fn provider_list(c: &mut C) -> Result<Vec<ProviderRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM resource_providers ORDER BY created_at, id",
        <ProviderRow as super::table::Table>::columns()
    );
    sqlx::query_as(&sql).fetch_all(c).await
}

pub async fn provider_by_name(c: &mut C, name: &str) -> Result<Option<ProviderRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM resource_providers WHERE name = $1",
        <ProviderRow as super::table::Table>::columns()
    );
    sqlx::query_as(&sql).bind(name).fetch_optional(c).await
}

/// Moves a provider to its next generation if it is still at `seen`: `false` when another
/// writer got there first.
pub async fn provider_bump(c: &mut C, id: &str, seen: i64, at: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE resource_providers SET generation = generation + 1, updated_at = $3
         WHERE id = $1 AND generation = $2",
    )
    .bind(id)
    .bind(seen)
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives every provider of a tree its (new) root.
pub async fn provider_set_root(c: &mut C, old_root: &str, new_root: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE resource_providers SET root_id = $2 WHERE root_id = $1")
        .bind(old_root)
        .bind(new_root)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn provider_child_count(c: &mut C, id: &str) -> Result<i64, DbError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM resource_providers WHERE parent_id = $1")
            .bind(id)
            .fetch_one(c)
            .await?;
    Ok(n)
}

pub async fn inventories_of(c: &mut C, provider: &str) -> Result<Vec<InventoryRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {INVENTORY_COLS} FROM inventories WHERE provider_id = $1 ORDER BY resource_class"
    ))
    .bind(provider)
    .fetch_all(c)
    .await
}

pub async fn inventories_all(c: &mut C) -> Result<Vec<InventoryRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {INVENTORY_COLS} FROM inventories ORDER BY provider_id, resource_class"
    ))
    .fetch_all(c)
    .await
}

/// Replaces a provider's whole inventory.
pub async fn inventories_replace(
    c: &mut C,
    provider: &str,
    rows: &[InventoryRow],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM inventories WHERE provider_id = $1")
        .bind(provider)
        .execute(&mut *c)
        .await?;
    let sql = format!(
        "INSERT INTO inventories ({INVENTORY_COLS}) VALUES ({})",
        placeholders(1, 8)
    );
    for r in rows {
        sqlx::query(&sql)
            .bind(&r.provider_id)
            .bind(&r.resource_class)
            .bind(r.total)
            .bind(r.reserved)
            .bind(r.min_unit)
            .bind(r.max_unit)
            .bind(r.step_size)
            .bind(r.allocation_ratio)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// What is allocated of each class on each provider: `(provider, class, used)`.
pub async fn usages_all(c: &mut C) -> Result<Vec<(String, String, i64)>, DbError> {
    sqlx::query_as(
        "SELECT provider_id, resource_class, CAST(SUM(used) AS BIGINT) FROM allocations
         GROUP BY provider_id, resource_class ORDER BY provider_id, resource_class",
    )
    .fetch_all(c)
    .await
}

pub async fn usages_of(c: &mut C, provider: &str) -> Result<Vec<(String, i64)>, DbError> {
    sqlx::query_as(
        "SELECT resource_class, CAST(SUM(used) AS BIGINT) FROM allocations WHERE provider_id = $1
         GROUP BY resource_class ORDER BY resource_class",
    )
    .bind(provider)
    .fetch_all(c)
    .await
}

/// What a project's consumers (a user's, when given) hold of each class.
pub async fn usages_of_project(
    c: &mut C,
    project_id: &str,
    user_id: Option<&str>,
) -> Result<Vec<(String, i64)>, DbError> {
    let mut sql = String::from(
        "SELECT a.resource_class, CAST(SUM(a.used) AS BIGINT) FROM allocations a
         JOIN consumers c ON c.id = a.consumer_id WHERE c.project_id = $1",
    );
    if user_id.is_some() {
        sql.push_str(" AND c.user_id = $2");
    }
    sql.push_str(" GROUP BY a.resource_class ORDER BY a.resource_class");
    let mut q = sqlx::query_as(&sql).bind(project_id);
    if let Some(u) = user_id {
        q = q.bind(u);
    }
    q.fetch_all(c).await
}

/// `(provider, trait)` for every provider, or one.
pub async fn provider_traits(
    c: &mut C,
    provider: Option<&str>,
) -> Result<Vec<(String, String)>, DbError> {
    Select::new("provider_id, trait", "provider_traits")
        .eq("provider_id", provider)
        .order_by("provider_id, trait")
        .fetch_all(c)
        .await
}

pub async fn provider_traits_set(
    c: &mut C,
    provider: &str,
    traits: &[String],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM provider_traits WHERE provider_id = $1")
        .bind(provider)
        .execute(&mut *c)
        .await?;
    for t in traits {
        sqlx::query("INSERT INTO provider_traits (provider_id, trait) VALUES ($1, $2)")
            .bind(provider)
            .bind(t)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Whether any provider has the trait.
pub async fn trait_in_use(c: &mut C, name: &str) -> Result<bool, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM provider_traits WHERE trait = $1")
        .bind(name)
        .fetch_one(c)
        .await?;
    Ok(n > 0)
}

pub async fn custom_traits(c: &mut C) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM traits ORDER BY id")
        .fetch_all(c)
        .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

pub async fn custom_classes(c: &mut C) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM resource_classes ORDER BY id")
        .fetch_all(c)
        .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

pub async fn class_rename(c: &mut C, from: &str, to: &str, at: i64) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE resource_classes SET id = $2, updated_at = $3 WHERE id = $1")
        .bind(from)
        .bind(to)
        .bind(at)
        .execute(c)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether any inventory or allocation names the class.
pub async fn class_in_use(c: &mut C, name: &str) -> Result<bool, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM inventories WHERE resource_class = $1)
              + (SELECT COUNT(*) FROM allocations WHERE resource_class = $1)",
    )
    .bind(name)
    .fetch_one(c)
    .await?;
    Ok(n > 0)
}

/// `(provider, aggregate)` for every provider, or one.
pub async fn provider_aggregates(
    c: &mut C,
    provider: Option<&str>,
) -> Result<Vec<(String, String)>, DbError> {
    Select::new("provider_id, aggregate", "provider_aggregates")
        .eq("provider_id", provider)
        .order_by("provider_id, aggregate")
        .fetch_all(c)
        .await
}

pub async fn provider_aggregates_set(
    c: &mut C,
    provider: &str,
    aggregates: &[String],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM provider_aggregates WHERE provider_id = $1")
        .bind(provider)
        .execute(&mut *c)
        .await?;
    for a in aggregates {
        sqlx::query("INSERT INTO provider_aggregates (provider_id, aggregate) VALUES ($1, $2)")
            .bind(provider)
            .bind(a)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

const ALLOCATION_COLS: &str = "consumer_id, provider_id, resource_class, used";

pub async fn allocations_of_consumer(
    c: &mut C,
    consumer: &str,
) -> Result<Vec<AllocationRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {ALLOCATION_COLS} FROM allocations WHERE consumer_id = $1
         ORDER BY provider_id, resource_class"
    ))
    .bind(consumer)
    .fetch_all(c)
    .await
}

pub async fn allocations_of_provider(
    c: &mut C,
    provider: &str,
) -> Result<Vec<AllocationRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {ALLOCATION_COLS} FROM allocations WHERE provider_id = $1
         ORDER BY consumer_id, resource_class"
    ))
    .bind(provider)
    .fetch_all(c)
    .await
}

/// Replaces what a consumer holds (nothing, when `rows` is empty).
pub async fn allocations_replace(
    c: &mut C,
    consumer: &str,
    rows: &[AllocationRow],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM allocations WHERE consumer_id = $1")
        .bind(consumer)
        .execute(&mut *c)
        .await?;
    let sql = format!(
        "INSERT INTO allocations ({ALLOCATION_COLS}) VALUES ({})",
        placeholders(1, 4)
    );
    for r in rows {
        sqlx::query(&sql)
            .bind(&r.consumer_id)
            .bind(&r.provider_id)
            .bind(&r.resource_class)
            .bind(r.used)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Forgets the consumers that hold nothing any more.
pub async fn consumers_purge_empty(c: &mut C) -> Result<(), DbError> {
    sqlx::query(
        "DELETE FROM consumers WHERE NOT EXISTS
         (SELECT 1 FROM allocations a WHERE a.consumer_id = consumers.id)",
    )
    .execute(c)
    .await?;
    Ok(())
}
