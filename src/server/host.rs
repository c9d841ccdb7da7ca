//! The host this controller runs on, as services register their agents under it, and the
//! rule that tells a live agent from a dead one.

/// A heartbeat older than this means the agent is down.
pub const DOWN_AFTER_SECONDS: i64 = 30;
/// How often a controller records its heartbeat.
pub const HEARTBEAT_SECONDS: u64 = 10;

/// The kernel's host name, or `localhost` when it has none.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}
