//! Service and agent heartbeats, read by `gureum status`.

use sqlx::FromRow;

use super::{DbError, C};

#[derive(Clone, Debug, FromRow)]
pub struct HeartbeatRow {
    pub binary_name: String,
    pub host: String,
    pub topic: String,
    #[allow(dead_code)]
    pub started_at: i64,
    pub last_seen: i64,
}

pub async fn heartbeat_start(
    c: &mut C,
    binary: &str,
    host: &str,
    topic: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO heartbeats (binary_name, host, topic, started_at, last_seen) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (binary_name, host) DO UPDATE SET topic = excluded.topic, started_at = excluded.started_at,
             last_seen = excluded.last_seen",
    )
    .bind(binary)
    .bind(host)
    .bind(topic)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn heartbeat_beat(c: &mut C, binary: &str, host: &str, now: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE heartbeats SET last_seen = $3 WHERE binary_name = $1 AND host = $2")
        .bind(binary)
        .bind(host)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn heartbeat_list(c: &mut C) -> Result<Vec<HeartbeatRow>, DbError> {
    sqlx::query_as("SELECT binary_name, host, topic, started_at, last_seen FROM heartbeats ORDER BY binary_name, host")
        .fetch_all(c)
        .await
}
