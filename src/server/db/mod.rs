//! The database layer: every SQL string in the crate lives below this module.
//!
//! One schema serves SQLite (the embedded default) and PostgreSQL (several controllers).
//! Queries go through sqlx's `Any` driver with `$N` placeholders, which both backends accept,
//! and the migrations in `migrations/` are written in the SQL both understand.
//! Functions here take a `&mut AnyConnection`, so the caller decides whether they run
//! alone or inside a transaction. They never authorize and never call drivers.

pub mod catalog;
pub mod compute;
pub mod credentials;
pub mod heartbeats;
pub mod images;
pub mod l3;
pub mod metadefs;
pub mod network;
pub mod placement;
pub mod resources;
pub mod roles;
pub mod scheduling;
mod select;
pub mod sessions;
mod table;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

pub use sqlx::Error as DbError;
pub use table::{count_owned, delete, get, insert, insert_new, save, Table};

/// Which database backs the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The pool every service shares.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
pub type Conn = sqlx::pool::PoolConnection<sqlx::Any>;

impl Db {
    /// Opens (and for SQLite creates) the database at `url` and runs the migrations.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(DbError::Configuration(
                format!(
                    "unsupported database url (use sqlite:// or postgres://): {}",
                    redact(url)
                )
                .into(),
            ));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; the busy timeout makes
                        // concurrent writers wait instead of failing with SQLITE_BUSY.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        if backend == Backend::Sqlite {
            restrict_sqlite_files(url);
        }
        Ok(Db { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn conn(&self) -> Result<Conn, DbError> {
        self.pool.acquire().await
    }

    /// A transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred transaction that reads and then writes fails at once with SQLITE_BUSY
    /// when another writer committed in between (the busy timeout cannot help), while an
    /// immediate one waits its turn.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            _ => self.pool.begin().await,
        }
    }

    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await
    }

    pub async fn close(&self) {
        self.pool.close().await
    }
}

/// The database holds password hashes and token keys: readable by its owner only.
fn restrict_sqlite_files(url: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        if let Ok(meta) = std::fs::metadata(&file) {
            let mut perms = meta.permissions();
            perms.set_mode(0o600);
            let _ = std::fs::set_permissions(&file, perms);
        }
    }
}

/// The SQLite URL for a data directory.
pub fn sqlite_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("gureum.db").display())
}

/// Whether an error is a unique-constraint violation (a duplicate name or id).
pub fn is_unique_violation(e: &DbError) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Whether an error is a foreign-key violation (a reference to a missing row).
pub fn is_foreign_key_violation(e: &DbError) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_foreign_key_violation())
}

/// Database URLs may carry a password; never print one.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Escapes a user-supplied filter for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn like_pattern(filter: &str) -> String {
    let mut out = String::from("%");
    for c in filter.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(crate) type C = AnyConnection;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://***@h/db");
        assert_eq!(redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("A_b%"), "%a\\_b\\%%");
    }
}
