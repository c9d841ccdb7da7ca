//! Glance's metadata definitions: namespaces, the definitions in them (objects,
//! properties, tags) and the resource types they apply to.

use super::table::{table, Table};
use super::{DbError, C};

table! {
    pub struct NamespaceRow in "metadef_namespaces" {
        pub id: String,
        pub namespace: String,
        pub display_name: Option<String>,
        pub description: Option<String>,
        pub visibility: String,
        pub protected: i64,
        pub owner: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

table! {
    /// An object, property or tag of a namespace (`kind`), its JSON `body` without the name.
    pub struct DefinitionRow in "metadef_definitions" {
        pub id: String,
        pub namespace_id: String,
        pub kind: String,
        pub name: String,
        pub body: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

table! {
    pub struct ResourceTypeRow in "metadef_resource_types" {
        pub id: String,
        pub name: String,
        pub protected: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

table! {
    pub struct AssociationRow in "metadef_associations" {
        pub id: String,
        pub namespace_id: String,
        pub resource_type: String,
        pub prefix: Option<String>,
        pub properties_target: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub async fn namespace_by_name(c: &mut C, name: &str) -> Result<Option<NamespaceRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM metadef_namespaces WHERE namespace = $1",
        NamespaceRow::columns()
    );
    sqlx::query_as(&sql).bind(name).fetch_optional(c).await
}

/// Every namespace, by name: the caller filters what it may see.
pub async fn namespace_list(c: &mut C) -> Result<Vec<NamespaceRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM metadef_namespaces ORDER BY namespace",
        NamespaceRow::columns()
    );
    sqlx::query_as(&sql).fetch_all(c).await
}

/// The definitions of one kind in a namespace, by name.
pub async fn definitions(
    c: &mut C,
    namespace_id: &str,
    kind: &str,
) -> Result<Vec<DefinitionRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM metadef_definitions WHERE namespace_id = $1 AND kind = $2 ORDER BY name",
        DefinitionRow::columns()
    );
    sqlx::query_as(&sql)
        .bind(namespace_id)
        .bind(kind)
        .fetch_all(c)
        .await
}

pub async fn definition(
    c: &mut C,
    namespace_id: &str,
    kind: &str,
    name: &str,
) -> Result<Option<DefinitionRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM metadef_definitions WHERE namespace_id = $1 AND kind = $2 AND name = $3",
        DefinitionRow::columns()
    );
    sqlx::query_as(&sql)
        .bind(namespace_id)
        .bind(kind)
        .bind(name)
        .fetch_optional(c)
        .await
}

/// Deletes every definition of one kind in a namespace.
pub async fn definitions_delete(c: &mut C, namespace_id: &str, kind: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM metadef_definitions WHERE namespace_id = $1 AND kind = $2")
        .bind(namespace_id)
        .bind(kind)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn resource_types(c: &mut C) -> Result<Vec<ResourceTypeRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM metadef_resource_types ORDER BY name",
        ResourceTypeRow::columns()
    );
    sqlx::query_as(&sql).fetch_all(c).await
}

/// The associations of a namespace, or of every namespace when `None`.
pub async fn associations(
    c: &mut C,
    namespace_id: Option<&str>,
) -> Result<Vec<AssociationRow>, DbError> {
    let cols = AssociationRow::columns();
    match namespace_id {
        Some(ns) => {
            let sql = format!(
                "SELECT {cols} FROM metadef_associations WHERE namespace_id = $1 ORDER BY resource_type"
            );
            sqlx::query_as(&sql).bind(ns).fetch_all(c).await
        }
        None => {
            let sql = format!("SELECT {cols} FROM metadef_associations ORDER BY resource_type");
            sqlx::query_as(&sql).fetch_all(c).await
        }
    }
}

pub async fn association_delete(
    c: &mut C,
    namespace_id: &str,
    resource_type: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "DELETE FROM metadef_associations WHERE namespace_id = $1 AND resource_type = $2",
    )
    .bind(namespace_id)
    .bind(resource_type)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}
