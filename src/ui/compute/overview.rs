//! Project → Overview (the limit summary's quota pies, then the usage summary for a
//! period) and Admin → Overview (every project's usage), as Horizon lays them out.

use leptos::prelude::*;

use super::{duration, QuotaCharts};
use crate::i18n::use_texts;
use crate::server_fns::compute::{admin_usage_report, project_usage, project_usage_report};
use crate::types::UsageSummary;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let t = use_texts();
    let events = super::use_instance_events();
    let usage = Resource::new(move || events.get(), |_| project_usage());
    view! {
        <div class="page-header"><h2>{move || t().c.overview}</h2></div>
        <h3>{move || t().c.limit_summary}</h3>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match usage.await {
                    Ok(u) => view! { <div id="limit-summary"><QuotaCharts usage=u/></div> }.into_any(),
                    Err(e) => view! { <div class="alert alert-error">{crate::ui::components::error_text(t(), e)}</div> }.into_any(),
                }
            })}
        </Transition>
        <UsageSummaryView admin=false/>
    }
}

#[component]
pub fn AdminOverviewPage() -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="page-header"><h2>{move || t().c.overview}</h2></div>
        <UsageSummaryView admin=true/>
    }
}

/// The period form, the totals line, the usage table with a bar per row, and the CSV
/// link. The period applies when submitted; instance changes refresh it by themselves.
#[component]
fn UsageSummaryView(admin: bool) -> impl IntoView {
    let t = use_texts();
    let events = super::use_instance_events();
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    // The period in force: empty means Horizon's default (this month up to today).
    let period = RwSignal::new((String::new(), String::new()));
    let report = Resource::new(
        move || (period.get(), events.get()),
        move |((s, e), _)| async move {
            if admin {
                admin_usage_report(s, e).await
            } else {
                project_usage_report(s, e).await
            }
        },
    );
    let csv_base = if admin {
        "/admin/overview/usage.csv"
    } else {
        "/project/overview/usage.csv"
    };
    // The inputs show the period the table covers (the defaults, once loaded).
    Effect::new(move |_| {
        if let Some(Ok(s)) = report.get() {
            start.set(s.start);
            end.set(s.end);
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        period.set((start.get_untracked(), end.get_untracked()));
    };
    view! {
        <h3>{move || t().c.usage_summary}</h3>
        <form class="usage-period" id="usage-period" on:submit=on_submit>
            <p>{move || t().c.usage_period}</p>
            <label>{move || t().c.period_from}" "
                <input type="date" name="start" id="usage-start" prop:value=move || start.get()
                    on:input=move |ev| start.set(event_target_value(&ev))/></label>
            " "
            <label>{move || t().c.period_to}" "
                <input type="date" name="end" id="usage-end" prop:value=move || end.get()
                    on:input=move |ev| end.set(event_target_value(&ev))/></label>
            " "
            <button type="submit" class="btn btn-primary">{move || t().c.submit}</button>
            <p class="help-text">{move || t().c.date_hint}</p>
        </form>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(s) => {
                        let href = format!("{csv_base}?start={}&end={}", s.start, s.end);
                        view! { <UsageReportView summary=s admin=admin csv=href/> }.into_any()
                    }
                    Err(e) => {
                        let message = crate::ui::components::error_text(t(), e);
                        view! { <div class="alert alert-error" id="usage-error">{message}</div> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn UsageReportView(summary: UsageSummary, admin: bool, csv: String) -> impl IntoView {
    let t = use_texts();
    let s = summary;
    let empty = s.projects.is_empty();
    let totals = view! {
        <dl class="usage-totals" id="usage-totals">
            <div><dt>{t().c.active_instances}</dt><dd id="active-instances">{s.active_instances}</dd></div>
            <div><dt>{t().c.active_ram}</dt><dd>{format_mb(s.active_ram)}</dd></div>
            <div><dt>{t().c.period_vcpu_hours}</dt><dd id="vcpu-hours">{format!("{:.2}", s.vcpu_hours)}</dd></div>
            <div><dt>{t().c.period_gb_hours}</dt><dd>{format!("{:.2}", s.disk_gb_hours)}</dd></div>
            <div><dt>{t().c.period_ram_hours}</dt><dd>{format!("{:.2}", s.memory_mb_hours)}</dd></div>
        </dl>
    };
    let toolbar = view! {
        <div class="table-toolbar">
            <h4>{t().c.usage_table}</h4>
            <a class="btn" id="usage-csv" href=csv download="">{t().c.download_csv}</a>
        </div>
    };
    let table = if admin {
        let max = s.projects.iter().map(|p| p.vcpu_hours).fold(0.0, f64::max);
        let rows = s
            .projects
            .into_iter()
            .map(|p| {
                view! {
                    <tr>
                        <td>{p.project_name}</td>
                        <td>{p.vcpus}</td>
                        <td>{format!("{} GB", p.disk)}</td>
                        <td>{format_mb(p.ram)}</td>
                        <td><HoursBar hours=p.vcpu_hours max=max/></td>
                        <td>{format!("{:.2}", p.disk_gb_hours)}</td>
                        <td>{format!("{:.2}", p.memory_mb_hours)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="table" id="usage-table">
                <thead><tr><th>{t().c.project_name}</th><th>{t().c.col_vcpus}</th><th>{t().c.col_disk}</th><th>{t().c.col_ram}</th>
                    <th>{t().c.usage_hours}</th><th>{t().c.disk_gb_hours}</th><th>{t().c.memory_mb_hours}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    } else {
        let max = s
            .instances
            .iter()
            .map(|i| i.hours * i.vcpus as f64)
            .fold(0.0, f64::max);
        let rows = s
            .instances
            .into_iter()
            .map(|i| {
                let since = if i.state == "terminated" {
                    format!("{} ({})", duration(i.uptime), t().c.st_deleted)
                } else {
                    duration(i.uptime)
                };
                view! {
                    <tr>
                        <td>{i.name}</td>
                        <td>{i.vcpus}</td>
                        <td>{format!("{} GB", i.disk)}</td>
                        <td>{format_mb(i.ram)}</td>
                        <td><HoursBar hours=i.hours * i.vcpus as f64 max=max/></td>
                        <td>{since}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="table" id="usage-table">
                <thead><tr><th>{t().c.instance_name}</th><th>{t().c.col_vcpus}</th><th>{t().c.col_disk}</th><th>{t().c.col_ram}</th>
                    <th>{t().c.usage_hours}</th><th>{t().c.time_since_created}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        {totals}
        {toolbar}
        {table}
        <Show when=move || empty><p class="empty">{t().c.no_usage}</p></Show>
    }
}

/// The figure with a bar scaled to the largest in the table: who used the most shows at
/// a glance.
#[component]
fn HoursBar(hours: f64, max: f64) -> impl IntoView {
    let pct = if max > 0.0 { hours / max * 100.0 } else { 0.0 };
    view! {
        <div class="hours-bar">
            <span class="hours-bar-fill" style=format!("width: {pct:.1}%")></span>
            <span class="hours-bar-label">{format!("{hours:.2}")}</span>
        </div>
    }
}

fn format_mb(mb: i64) -> String {
    if mb >= 1024 {
        format!("{:.1} GB", mb as f64 / 1024.0)
    } else {
        format!("{mb} MB")
    }
}
