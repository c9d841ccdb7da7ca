//! Portal session records (see `server::session_store`).

use super::{DbError, C};

pub async fn session_save(c: &mut C, id: &str, data: &str, expires_at: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
    )
    .bind(id)
    .bind(data)
    .bind(expires_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Inserts a new record; false when the id is taken.
pub async fn session_create(
    c: &mut C,
    id: &str,
    data: &str,
    expires_at: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(data)
    .bind(expires_at)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn session_load(c: &mut C, id: &str, now: i64) -> Result<Option<(String, i64)>, DbError> {
    sqlx::query_as("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
        .bind(id)
        .bind(now)
        .fetch_optional(c)
        .await
}

pub async fn session_delete(c: &mut C, id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn session_purge(c: &mut C, now: i64) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}
