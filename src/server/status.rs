//! `gureum status`: every service and agent with up/down and its last heartbeat (the old
//! `openstack-status`). It reads the database, so it works whether or not a controller runs.

use std::fmt::Write;

use crate::server::db::{self, Db};
use crate::server::services::identity::bootstrap_services;

use crate::server::host::{DOWN_AFTER_SECONDS, HEARTBEAT_SECONDS};

pub struct AgentStatus {
    pub binary: String,
    pub host: String,
    pub topic: String,
    pub up: bool,
    pub last_seen: i64,
}

pub async fn agents(db: &Db, now: i64) -> Result<Vec<AgentStatus>, db::DbError> {
    let mut conn = db.conn().await?;
    Ok(db::heartbeats::heartbeat_list(&mut conn)
        .await?
        .into_iter()
        .map(|h| AgentStatus {
            up: now - h.last_seen <= DOWN_AFTER_SECONDS,
            binary: h.binary_name,
            host: h.host,
            topic: h.topic,
            last_seen: h.last_seen,
        })
        .collect())
}

/// Records that this controller started, then beats until the task is dropped.
pub async fn heartbeat_loop(db: Db, binary: String, host: String, topic: String) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(HEARTBEAT_SECONDS));
    let mut started = false;
    loop {
        interval.tick().await;
        let now = crate::server::services::now();
        let result = async {
            let mut conn = db.conn().await?;
            if started {
                db::heartbeats::heartbeat_beat(&mut conn, &binary, &host, now).await
            } else {
                db::heartbeats::heartbeat_start(&mut conn, &binary, &host, &topic, now).await
            }
        }
        .await;
        match result {
            Ok(()) => started = true,
            Err(e) => tracing::warn!(error = %e, "could not record the heartbeat"),
        }
    }
}

/// The report `gureum status` prints.
pub async fn report(db: &Db, now: i64) -> Result<String, db::DbError> {
    let agents = agents(db, now).await?;
    let controller_up = agents.iter().any(|a| a.binary == "gureum-api" && a.up);
    let mut out = String::new();
    let _ = writeln!(out, "== Gureum services ==");
    for (service_type, name, path, _) in bootstrap_services() {
        let state = if controller_up { "active" } else { "inactive" };
        let _ = writeln!(
            out,
            "{:<28} {:<9} {}",
            format!("{name} ({service_type}):"),
            state,
            path
        );
    }
    let _ = writeln!(out, "\n== Agents ==");
    let _ = writeln!(
        out,
        "{:<16} {:<24} {:<10} {:<6} {}",
        "Binary", "Host", "Topic", "State", "Last heartbeat"
    );
    if agents.is_empty() {
        let _ = writeln!(out, "(none has ever started)");
    }
    for a in &agents {
        let ago = now - a.last_seen;
        let _ = writeln!(
            out,
            "{:<16} {:<24} {:<10} {:<6} {} ({}s ago)",
            a.binary,
            a.host,
            a.topic,
            if a.up { "up" } else { "down" },
            crate::server::time::iso_micros(a.last_seen),
            ago
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_agent_is_down_after_its_heartbeat_goes_stale() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&db::sqlite_url(dir.path())).await.unwrap();
        let mut conn = db.conn().await.unwrap();
        db::heartbeats::heartbeat_start(&mut conn, "gureum-api", "host-a", "identity", 1_000)
            .await
            .unwrap();
        drop(conn);

        let fresh = report(&db, 1_000 + DOWN_AFTER_SECONDS).await.unwrap();
        assert!(
            fresh.contains("keystone (identity):") && fresh.contains(" active "),
            "{fresh}"
        );
        assert!(
            fresh
                .lines()
                .any(|l| l.starts_with("gureum-api") && l.contains("host-a") && l.contains(" up ")),
            "{fresh}"
        );

        let stale = report(&db, 1_001 + DOWN_AFTER_SECONDS).await.unwrap();
        assert!(stale.contains(" inactive "), "{stale}");
        assert!(
            stale
                .lines()
                .any(|l| l.starts_with("gureum-api") && l.contains(" down ")),
            "{stale}"
        );
    }
}
