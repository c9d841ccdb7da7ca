//! Usage reports (Nova's os-simple-tenant-usage): for a window of time, which instances
//! ran and for how long, with vCPU-, RAM- and disk-hours per project. Deleted instances
//! count for the time they ran; an instance that never launched counts for nothing.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{ComputeService, Flavor};
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, compute::UsageFilter, compute::UsageRow};
use crate::server::error::{Error, Result};

/// The most instances one report page holds (Nova's `[api] max_limit`).
pub const USAGE_MAX_LIMIT: i64 = 1000;

#[derive(Clone, Debug)]
pub struct UsageQuery {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `None`: every project (administrators).
    pub project_id: Option<String>,
    /// The last instance of the previous page.
    pub marker: Option<String>,
    /// At most this many instances (capped at `USAGE_MAX_LIMIT`); `None` for all of them.
    pub limit: Option<i64>,
}

/// Parses a report boundary as Nova does: `%Y-%m-%dT%H:%M:%S`, with `.%f`, or
/// `%Y-%m-%d %H:%M:%S.%f`, in UTC; none given means now.
pub fn parse_usage_time(value: Option<&str>) -> Result<DateTime<Utc>> {
    let Some(text) = value.filter(|t| !t.is_empty()) else {
        return Ok(Utc::now());
    };
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
    .iter()
    .find_map(|fmt| NaiveDateTime::parse_from_str(text, fmt).ok())
    .map(|t| t.and_utc())
    .ok_or_else(|| Error::invalid(msg!("Datetime is in invalid format")))
}

/// One instance in a report.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerUsage {
    pub instance_id: String,
    pub name: String,
    pub tenant_id: String,
    pub flavor: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    /// Root plus ephemeral disk, in GB.
    pub local_gb: i64,
    /// Hours it ran inside the window.
    pub hours: f64,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// `terminated` once deleted, otherwise its vm_state.
    pub state: String,
    /// Seconds since it launched (until it was deleted).
    pub uptime: i64,
}

/// A project's usage in a window.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantUsage {
    pub tenant_id: String,
    pub server_usages: Vec<ServerUsage>,
    pub total_hours: f64,
    pub total_vcpus_usage: f64,
    pub total_memory_mb_usage: f64,
    pub total_local_gb_usage: f64,
}

#[derive(Clone, Debug)]
pub struct UsageReport {
    pub start: DateTime<Utc>,
    /// The end asked for, or now when that is later (nothing has run after now).
    pub stop: DateTime<Utc>,
    /// Per project, in the order their first instance appears.
    pub tenants: Vec<TenantUsage>,
    /// The last instance of this page when the page is full (the next page's marker).
    pub next_marker: Option<String>,
}

impl ServerUsage {
    fn new(row: UsageRow, start: f64, stop: f64, now: i64) -> ServerUsage {
        let flavor: Option<Flavor> = serde_json::from_str(&row.flavor).ok();
        let launched = row.launched_at.unwrap_or(row.created_at);
        // Charged from launch (or the window's start) to deletion (or the window's end).
        let from = start.max(launched as f64);
        let to = row.terminated_at.map_or(stop, |t| stop.min(t as f64));
        let hours = ((to - from) / 3600.0).max(0.0);
        let (state, uptime) = match row.terminated_at {
            Some(t) => ("terminated".to_string(), t - launched),
            None => (row.vm_state, now - launched),
        };
        ServerUsage {
            instance_id: row.id,
            name: row.name,
            tenant_id: row.project_id,
            flavor: flavor.as_ref().map(|f| f.name.clone()).unwrap_or_default(),
            vcpus: flavor.as_ref().map_or(0, |f| f.vcpus),
            memory_mb: flavor.as_ref().map_or(0, |f| f.ram),
            local_gb: flavor.as_ref().map_or(0, |f| f.disk + f.ephemeral),
            hours,
            started_at: launched,
            ended_at: row.terminated_at,
            state,
            uptime: uptime.max(0),
        }
    }
}

fn seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_micros() as f64 / 1e6
}

/// The instance usage audit of a period (`os-instance_usage_audit_log`): which compute
/// hosts have audited it. Gureum runs no periodic audit task (Nova's is off unless
/// `instance_usage_audit` is set), so every host is listed as not run.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageAudit {
    pub period_beginning: NaiveDateTime,
    pub period_ending: NaiveDateTime,
    pub hosts_not_run: Vec<String>,
}

/// The last whole month that ended before `before` (Nova's default audit period).
pub fn last_completed_month(before: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    use chrono::Datelike;
    let first_of = |year: i32, month: u32| {
        chrono::NaiveDate::from_ymd_opt(year, month, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default()
    };
    let end = first_of(before.year(), before.month());
    let (year, month) = if end.month() == 1 {
        (end.year() - 1, 12)
    } else {
        (end.year(), end.month() - 1)
    };
    (first_of(year, month), end)
}

/// A time as the audit log takes it: `2026-12-07 15:52:24`, with or without fractions.
pub fn parse_audit_time(value: &str) -> Result<NaiveDateTime> {
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
        .ok_or_else(|| Error::invalid(msg!("Invalid timestamp for date {value}", value)))
}

impl ComputeService {
    /// The usage audit of the last whole month before `before` (now when none).
    pub async fn usage_audit(
        &self,
        ctx: &OpCtx,
        before: Option<NaiveDateTime>,
    ) -> Result<UsageAudit> {
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("os_compute_api:os-instance-usage-audit-log"),
        )?;
        let (period_beginning, period_ending) =
            last_completed_month(before.unwrap_or_else(|| Utc::now().naive_utc()));
        let mut conn = self.db.conn().await?;
        let hosts_not_run = db::compute::node_list(&mut conn)
            .await?
            .into_iter()
            .map(|n| n.host)
            .collect();
        Ok(UsageAudit {
            period_beginning,
            period_ending,
            hosts_not_run,
        })
    }

    /// A usage report: one project's (its readers and administrators) or every
    /// project's (administrators only).
    pub async fn usage(&self, ctx: &OpCtx, q: UsageQuery) -> Result<UsageReport> {
        match &q.project_id {
            Some(project_id) => authorize(ctx, Action::Read, Resource::Project { id: project_id })?,
            None => authorize(
                ctx,
                Action::List,
                Resource::AdminOnly("os_compute_api:os-simple-tenant-usage:list"),
            )?,
        }
        if q.start >= q.end {
            return Err(Error::invalid(msg!(
                "Invalid start time. The start time cannot occur after the end time."
            )));
        }
        let now = Utc::now();
        let stop = q.end.min(now);
        let mut conn = self.db.conn().await?;
        let mut after = match &q.marker {
            Some(m) => Some(
                db::compute::usage_marker(&mut conn, m)
                    .await?
                    .ok_or_else(|| Error::invalid(msg!("Marker {m} could not be found.", m)))?,
            ),
            None => None,
        };
        let page = q
            .limit
            .map(|l| l.clamp(0, USAGE_MAX_LIMIT))
            .unwrap_or(USAGE_MAX_LIMIT);
        let mut report = UsageReport {
            start: q.start,
            stop,
            tenants: Vec::new(),
            next_marker: None,
        };
        let (start_s, stop_s) = (seconds(q.start), seconds(stop));
        loop {
            let filter = UsageFilter {
                project_id: q.project_id.clone(),
                // Whole seconds that still cover the window.
                start: q.start.timestamp(),
                end: stop.timestamp() + 1,
                after: after.clone(),
                limit: page,
            };
            let rows = db::compute::usage_instances(&mut conn, &filter).await?;
            let full = rows.len() as i64 == page && page > 0;
            after = rows.last().map(|r| (r.created_at, r.id.clone()));
            for row in rows {
                let usage = ServerUsage::new(row, start_s, stop_s, now.timestamp());
                add(&mut report.tenants, usage);
            }
            if q.limit.is_some() || !full {
                if q.limit.is_some() && full {
                    report.next_marker = after.map(|(_, id)| id);
                }
                break;
            }
        }
        Ok(report)
    }
}

fn add(tenants: &mut Vec<TenantUsage>, u: ServerUsage) {
    let index = match tenants.iter().position(|t| t.tenant_id == u.tenant_id) {
        Some(i) => i,
        None => {
            tenants.push(TenantUsage {
                tenant_id: u.tenant_id.clone(),
                server_usages: Vec::new(),
                total_hours: 0.0,
                total_vcpus_usage: 0.0,
                total_memory_mb_usage: 0.0,
                total_local_gb_usage: 0.0,
            });
            tenants.len() - 1
        }
    };
    let t = &mut tenants[index];
    t.total_hours += u.hours;
    t.total_vcpus_usage += u.vcpus as f64 * u.hours;
    t.total_memory_mb_usage += u.memory_mb as f64 * u.hours;
    t.total_local_gb_usage += u.local_gb as f64 * u.hours;
    t.server_usages.push(u);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(launched: Option<i64>, terminated: Option<i64>) -> UsageRow {
        UsageRow {
            id: "i".into(),
            name: "vm".into(),
            project_id: "p".into(),
            flavor: r#"{"id":"1","name":"m1.small","vcpus":2,"ram":2048,"disk":20,"ephemeral":5,"swap":512,"rxtx_factor":1.0,"is_public":true,"disabled":false,"description":null,"extra_specs":{}}"#.into(),
            vm_state: "active".into(),
            launched_at: launched,
            terminated_at: terminated,
            created_at: launched.unwrap_or(0),
        }
    }

    #[test]
    fn hours_are_clipped_to_the_window_and_to_the_instance_life() {
        let h = 3600.0;
        // Launched before the window, still running: the whole window.
        let u = ServerUsage::new(row(Some(0), None), 2.0 * h, 5.0 * h, 10 * 3600);
        assert_eq!(u.hours, 3.0);
        assert_eq!((u.vcpus, u.memory_mb, u.local_gb), (2, 2048, 25));
        assert_eq!(u.state, "active");
        assert_eq!(u.uptime, 10 * 3600);
        // Launched inside, deleted inside: its life.
        let u = ServerUsage::new(row(Some(3 * 3600), Some(4 * 3600)), 2.0 * h, 5.0 * h, 0);
        assert_eq!(u.hours, 1.0);
        assert_eq!(u.state, "terminated");
        assert_eq!(u.uptime, 3600);
        // Deleted before the window ends, launched before it starts.
        let u = ServerUsage::new(row(Some(0), Some(2 * 3600 + 1800)), 2.0 * h, 5.0 * h, 0);
        assert_eq!(u.hours, 0.5);
    }

    #[test]
    fn nova_time_formats() {
        for ok in [
            "2026-11-01T00:00:00",
            "2026-11-01T00:00:00.123456",
            "2026-11-01 00:00:00.5",
        ] {
            assert!(parse_usage_time(Some(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "2026-11-01",
            "yesterday",
            "2026-13-01T00:00:00",
            "2026-11-01T00:00:00Z",
        ] {
            assert!(parse_usage_time(Some(bad)).is_err(), "{bad}");
        }
        let t = parse_usage_time(Some("2026-11-01T12:30:00")).unwrap();
        assert_eq!(t.timestamp(), 1_793_536_200);
    }
}

#[cfg(test)]
mod audit_tests {
    use super::*;

    #[test]
    fn the_audit_period_is_the_last_whole_month() {
        let at = |s: &str| parse_audit_time(s).unwrap();
        assert_eq!(
            last_completed_month(at("2026-12-07 15:52:24")),
            (at("2026-11-01 00:00:00"), at("2026-12-01 00:00:00"))
        );
        assert_eq!(
            last_completed_month(at("2027-01-01 00:00:00.5")),
            (at("2026-12-01 00:00:00"), at("2027-01-01 00:00:00"))
        );
        assert!(parse_audit_time("invalid_time").is_err());
    }
}
