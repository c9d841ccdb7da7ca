//! Rows stored whole in one table, keyed by `id`: one declaration (`table!`) gives the
//! struct, its columns and how its values bind, and `insert`, `insert_new`, `save` and
//! `get` serve every such table. Queries that are more than that (filters, joins,
//! conditional updates) stay beside their table as functions of their own.

use sqlx::any::AnyRow;

use super::{DbError, C};

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// A row type of one table. Implemented by `table!`, never by hand.
pub trait Table: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Sync + Unpin + 'static {
    /// The table's name.
    const NAME: &'static str;
    /// Its columns, the primary key `id` first, in the order `bind` binds them.
    const COLUMNS: &'static [&'static str];
    /// Binds every column's value, in `COLUMNS` order.
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q>;

    /// `col1, col2, ...`, for the table's own queries.
    fn columns() -> String {
        Self::COLUMNS.join(", ")
    }
}

/// Declares a row struct and its table: `table! { pub struct NetworkRow in "networks" { pub
/// id: String, ... } }`. The first field is the primary key. A field whose column has
/// another name says so: `pub service_type as "type": String`.
macro_rules! table {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $table:literal {
            $($(#[$field_meta:meta])* pub $field:ident $(as $column:literal)?: $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, sqlx::FromRow)]
        pub struct $name {
            $($(#[$field_meta])* $(#[sqlx(rename = $column)])? pub $field: $ty,)*
        }

        impl $crate::server::db::table::Table for $name {
            const NAME: &'static str = $table;
            const COLUMNS: &'static [&'static str] =
                &[$($crate::server::db::table::column!($field $(, $column)?)),*];
            fn bind<'q>(
                &'q self,
                q: $crate::server::db::table::AnyQuery<'q>,
            ) -> $crate::server::db::table::AnyQuery<'q> {
                q$(.bind(&self.$field))*
            }
        }
    };
}

/// A field's column: its own name unless `table!` gave another.
macro_rules! column {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $column:literal) => {
        $column
    };
}
pub(crate) use column;
pub(crate) use table;

/// `$from, $from+1, ...`: `n` placeholders.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn insert_sql<T: Table>() -> String {
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        T::NAME,
        T::columns(),
        placeholders(1, T::COLUMNS.len())
    )
}

/// `UPDATE table SET col2 = $2, ... WHERE id = $1` for every column after the id.
pub(crate) fn update_sql<T: Table>() -> String {
    let sets = T::COLUMNS
        .iter()
        .enumerate()
        .skip(1)
        .map(|(n, col)| format!("{col} = ${}", n + 1))
        .collect::<Vec<_>>()
        .join(", ");
    format!("UPDATE {} SET {sets} WHERE id = $1", T::NAME)
}

/// Inserts a row.
pub async fn insert<T: Table>(c: &mut C, row: &T) -> Result<(), DbError> {
    let sql = insert_sql::<T>();
    row.bind(sqlx::query(&sql)).execute(c).await?;
    Ok(())
}

/// Inserts a row unless a unique constraint holds another (`ON CONFLICT DO NOTHING`, on
/// `conflict`'s columns when given): `false` then.
pub async fn insert_new<T: Table>(
    c: &mut C,
    row: &T,
    conflict: Option<&str>,
) -> Result<bool, DbError> {
    let target = conflict
        .map(|cols| format!(" ({cols})"))
        .unwrap_or_default();
    let sql = format!("{} ON CONFLICT{target} DO NOTHING", insert_sql::<T>());
    let done = row.bind(sqlx::query(&sql)).execute(c).await?;
    Ok(done.rows_affected() == 1)
}

/// Writes every column of a row over the stored one; `false` when there is none.
pub async fn save<T: Table>(c: &mut C, row: &T) -> Result<bool, DbError> {
    let sql = update_sql::<T>();
    let done = row.bind(sqlx::query(&sql)).execute(c).await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the row with this id; `false` when there was none.
pub async fn delete<T: Table>(c: &mut C, id: &str) -> Result<bool, DbError> {
    let sql = format!("DELETE FROM {} WHERE id = $1", T::NAME);
    let done = sqlx::query(&sql).bind(id).execute(c).await?;
    Ok(done.rows_affected() == 1)
}

/// How many rows a project owns (what its quota counts).
pub async fn count_owned<T: Table>(c: &mut C, project_id: &str) -> Result<i64, DbError> {
    let sql = format!("SELECT COUNT(*) FROM {} WHERE project_id = $1", T::NAME);
    let (n,): (i64,) = sqlx::query_as(&sql).bind(project_id).fetch_one(c).await?;
    Ok(n)
}

/// The row with this id.
pub async fn get<T: Table>(c: &mut C, id: &str) -> Result<Option<T>, DbError> {
    let sql = format!("SELECT {} FROM {} WHERE id = $1", T::columns(), T::NAME);
    sqlx::query_as(&sql).bind(id).fetch_optional(c).await
}
