//! Horizon's usage summary over Nova's report: the Overview pages' totals per project or per
//! instance for a period of days, and the same as the CSV that "Download CSV Summary" gives.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Utc};

use super::{ComputeService, UsageQuery};
use crate::server::context::OpCtx;
use crate::server::error::{Error, Result};
use crate::server::services::identity::{IdentityService, ProjectFilter};
use crate::types::{ProjectUsage, UsageInstance, UsageSummary};

/// The period as Horizon takes it: two days, YYYY-MM-DD, both included; by default
/// from the first of this month to today.
pub fn report_period(start: &str, end: &str) -> Result<(NaiveDate, NaiveDate)> {
    let today = Utc::now().date_naive();
    let parse = |s: &str, default: NaiveDate| {
        if s.trim().is_empty() {
            return Ok(default);
        }
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| Error::invalid(msg!("The date should be in YYYY-MM-DD format.")))
    };
    let start = parse(start, today.with_day(1).unwrap_or(today))?;
    let end = parse(end, today)?;
    if start > end {
        return Err(Error::invalid(msg!(
            "The start date must not be after the end date."
        )));
    }
    Ok((start, end))
}

impl ComputeService {
    /// One project's report (`Some`) or every project's (`None`, administrators).
    pub async fn usage_summary(
        &self,
        ctx: &OpCtx,
        identity: &IdentityService,
        project_id: Option<&str>,
        start: &str,
        end: &str,
    ) -> Result<UsageSummary> {
        let (first, last) = report_period(start, end)?;
        let report = self
            .usage(
                ctx,
                UsageQuery {
                    start: first.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
                    end: last
                        .succ_opt()
                        .unwrap_or(last)
                        .and_hms_opt(0, 0, 0)
                        .unwrap_or_default()
                        .and_utc(),
                    project_id: project_id.map(str::to_string),
                    marker: None,
                    limit: None,
                },
            )
            .await?;
        let names: HashMap<String, String> = if project_id.is_none() {
            identity
                .project_list(ctx, ProjectFilter::default())
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect()
        } else {
            HashMap::new()
        };
        let mut s = UsageSummary {
            start: first.to_string(),
            end: last.to_string(),
            instances: Vec::new(),
            projects: Vec::new(),
            active_instances: 0,
            active_vcpus: 0,
            active_ram: 0,
            active_disk: 0,
            vcpu_hours: 0.0,
            disk_gb_hours: 0.0,
            memory_mb_hours: 0.0,
        };
        for t in &report.tenants {
            let active: Vec<_> = t
                .server_usages
                .iter()
                .filter(|u| u.state != "terminated")
                .collect();
            let line = ProjectUsage {
                project_id: t.tenant_id.clone(),
                project_name: names
                    .get(&t.tenant_id)
                    .cloned()
                    .unwrap_or_else(|| t.tenant_id.clone()),
                vcpus: active.iter().map(|u| u.vcpus).sum(),
                disk: active.iter().map(|u| u.local_gb).sum(),
                ram: active.iter().map(|u| u.memory_mb).sum(),
                vcpu_hours: t.total_vcpus_usage,
                disk_gb_hours: t.total_local_gb_usage,
                memory_mb_hours: t.total_memory_mb_usage,
            };
            s.active_instances += active.len() as i64;
            s.active_vcpus += line.vcpus;
            s.active_disk += line.disk;
            s.active_ram += line.ram;
            s.vcpu_hours += line.vcpu_hours;
            s.disk_gb_hours += line.disk_gb_hours;
            s.memory_mb_hours += line.memory_mb_hours;
            s.projects.push(line);
            if project_id.is_some() {
                s.instances
                    .extend(t.server_usages.iter().map(|u| UsageInstance {
                        name: u.name.clone(),
                        vcpus: u.vcpus,
                        disk: u.local_gb,
                        ram: u.memory_mb,
                        hours: u.hours,
                        uptime: u.uptime,
                        state: u.state.clone(),
                    }));
            }
        }
        s.projects
            .sort_by(|a, b| a.project_name.cmp(&b.project_name));
        Ok(s)
    }
}

/// The report as Horizon's "Download CSV Summary" writes it. Cells that a
/// spreadsheet would run as a formula are quoted as text.
pub fn usage_csv(s: &UsageSummary, project: Option<&str>) -> Result<String> {
    fn cell(v: &str) -> String {
        if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{v}")
        } else {
            v.to_string()
        }
    }
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let err = |e: csv::Error| Error::internal("usage CSV", e);
    w.write_record(["Usage Report For Period:", &s.start, "/", &s.end])
        .map_err(err)?;
    if let Some(p) = project {
        w.write_record(["Project ID:", p]).map_err(err)?;
    }
    for (label, value) in [
        ("Active Instances:", s.active_instances.to_string()),
        ("Total Active VCPUs:", s.active_vcpus.to_string()),
        ("CPU-HRs Used:", format!("{:.2}", s.vcpu_hours)),
        ("Total Active RAM (MB):", s.active_ram.to_string()),
        ("Total Disk Size:", s.active_disk.to_string()),
        ("Total Disk Usage:", format!("{:.2}", s.disk_gb_hours)),
    ] {
        w.write_record([label, value.as_str()]).map_err(err)?;
    }
    w.write_record([""]).map_err(err)?;
    if project.is_some() {
        w.write_record([
            "Instance Name",
            "VCPUs",
            "RAM (MB)",
            "Disk (GB)",
            "Usage (Hours)",
            "Time since created (Seconds)",
            "State",
        ])
        .map_err(err)?;
        for i in &s.instances {
            w.write_record([
                cell(&i.name),
                i.vcpus.to_string(),
                i.ram.to_string(),
                i.disk.to_string(),
                format!("{:.2}", i.hours),
                i.uptime.to_string(),
                i.state.clone(),
            ])
            .map_err(err)?;
        }
    } else {
        w.write_record([
            "Project Name",
            "VCPUs",
            "RAM (MB)",
            "Disk (GB)",
            "VCPU Hours",
            "Disk GB Hours",
            "Memory MB Hours",
        ])
        .map_err(err)?;
        for p in &s.projects {
            w.write_record([
                cell(&p.project_name),
                p.vcpus.to_string(),
                p.ram.to_string(),
                p.disk.to_string(),
                format!("{:.2}", p.vcpu_hours),
                format!("{:.2}", p.disk_gb_hours),
                format!("{:.2}", p.memory_mb_hours),
            ])
            .map_err(err)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::internal("usage CSV", e.into_error()))?;
    String::from_utf8(bytes).map_err(|e| Error::internal("usage CSV", e))
}
