//! Project → Compute panels (Overview, Instances, Images, Key Pairs) and the Admin panels
//! built on the same tables (Instances, Images, Flavors, Hypervisors, Defaults).

pub mod admin;
pub mod detail;
pub mod images;
pub mod instances;
pub mod interfaces;
pub mod keypairs;
pub mod launch;
pub mod overview;

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::types::QuotaUsage;

/// A donut chart of `used` out of `limit`, as Horizon's limit summary draws them.
#[component]
pub fn UsagePie(
    label: String,
    used: i64,
    limit: i64,
    #[prop(optional)] unit: &'static str,
) -> impl IntoView {
    let t = use_texts();
    let fraction = if limit > 0 {
        (used as f64 / limit as f64).min(1.0)
    } else {
        0.0
    };
    let circumference = 2.0 * std::f64::consts::PI * 40.0;
    let dash = format!("{:.1} {:.1}", fraction * circumference, circumference);
    let class = if fraction >= 0.9 {
        "pie-arc full"
    } else if fraction >= 0.7 {
        "pie-arc high"
    } else {
        "pie-arc"
    };
    let caption = move || {
        if limit < 0 {
            format!("{} ({used}{unit})", t().c.unlimited)
        } else {
            t().c
                .used_of
                .replace("{used}", &format!("{used}{unit}"))
                .replace("{limit}", &format!("{limit}{unit}"))
        }
    };
    let (resource, aria) = (label.clone(), label.clone());
    view! {
        <figure class="usage-pie" data-resource=resource>
            <svg viewBox="0 0 100 100" width="110" height="110" role="img" aria-label=aria>
                <circle class="pie-track" cx="50" cy="50" r="40"/>
                <circle class=class cx="50" cy="50" r="40" stroke-dasharray=dash transform="rotate(-90 50 50)"/>
                <text x="50" y="55" text-anchor="middle">{if limit > 0 { format!("{:.0}%", fraction * 100.0) } else { "∞".to_string() }}</text>
            </svg>
            <figcaption><strong>{label}</strong><br/><span class="pie-caption">{caption}</span></figcaption>
        </figure>
    }
}

/// The localized name of a quota resource.
pub fn quota_label(t: &'static crate::i18n::Texts, resource: &str) -> String {
    match resource {
        "instances" => t.c.q_instances.to_string(),
        "cores" => t.c.q_cores.to_string(),
        "ram" => t.c.q_ram.to_string(),
        "key_pairs" => t.c.q_key_pairs.to_string(),
        other => other.replace('_', " "),
    }
}

pub fn quota_unit(resource: &str) -> &'static str {
    if resource == "ram" {
        " MB"
    } else {
        ""
    }
}

#[component]
pub fn QuotaCharts(usage: Vec<QuotaUsage>) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="usage-charts">
            {usage.into_iter().map(|q| {
                let label = quota_label(t(), &q.resource);
                view! { <UsagePie label used=q.used limit=q.limit unit=quota_unit(&q.resource)/> }
            }).collect_view()}
        </div>
    }
}

/// Nova's status in the user's language.
pub fn status_label(t: &'static crate::i18n::Texts, status: &str) -> String {
    let c = t.c;
    match status {
        "ACTIVE" => c.st_active,
        "BUILD" => c.st_build,
        "SHUTOFF" => c.st_shutoff,
        "ERROR" => c.st_error,
        "PAUSED" => c.st_paused,
        "SUSPENDED" => c.st_suspended,
        "REBOOT" => c.st_reboot,
        "HARD_REBOOT" => c.st_hard_reboot,
        "RESIZE" => c.st_resize,
        "VERIFY_RESIZE" => c.st_verify_resize,
        "REVERT_RESIZE" => c.st_revert_resize,
        "REBUILD" => c.st_rebuild,
        "DELETED" => c.st_deleted,
        other => return other.to_string(),
    }
    .to_string()
}

/// A power state (as the views carry it) in the user's language.
pub fn power_label(t: &'static crate::i18n::Texts, power: &str) -> &'static str {
    let c = t.c;
    match power {
        "Running" => c.pw_running,
        "Shutdown" => c.pw_shutdown,
        "Paused" => c.pw_paused,
        "Suspended" => c.pw_suspended,
        "Crashed" => c.pw_crashed,
        _ => c.pw_nostate,
    }
}

/// Nova's status as a badge (BUILD and task states animate).
#[component]
pub fn StatusBadge(status: String, task: Option<String>) -> impl IntoView {
    let t = use_texts();
    let class = match status.as_str() {
        "ACTIVE" => "badge badge-ok",
        "ERROR" => "badge badge-error",
        "SHUTOFF" | "SUSPENDED" | "PAUSED" => "badge badge-muted",
        _ => "badge badge-warn",
    };
    let busy = task.is_some() || status == "BUILD";
    let data = status.clone();
    view! { <span class=class class:busy=busy data-status=data>{move || status_label(t(), &status)}</span> }
}

/// Bumps a counter each time the server pushes an instance change (server-sent events on
/// `/portal/events`), so a page refetches what it shows: no per-row polling.
pub fn use_instance_events() -> ReadSignal<u64> {
    use_pushed_events(&["instance"])
}

/// Bumps a counter on each pushed event of these kinds: `instance` (an instance changed)
/// and `network` (a network, subnet or router the user can see changed).
pub fn use_pushed_events(kinds: &'static [&'static str]) -> ReadSignal<u64> {
    let (version, set_version) = signal(0u64);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let Ok(source) = web_sys::EventSource::new("/portal/events") else {
            return;
        };
        let on_event =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_ev: web_sys::MessageEvent| {
                set_version.update(|v| *v += 1);
            });
        for kind in kinds {
            let _ =
                source.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
        }
        on_event.forget();
        let source = send_wrapper::SendWrapper::new(source);
        on_cleanup(move || source.close());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_version, kinds);
    version
}

/// A human age ("3 minutes") from an ISO time, as Horizon's Age column shows it.
pub fn age(created: &str) -> String {
    let Some(then) = parse_iso(created) else {
        return created.to_string();
    };
    duration((now_seconds() - then).max(0))
}

/// A length of time as the Age and "Time since created" columns show it.
pub fn duration(s: i64) -> String {
    let s = s.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86399 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

fn parse_iso(s: &str) -> Option<i64> {
    // 2026-11-26T04:22:08Z
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    );
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + h * 3600 + mi * 60 + se)
}

fn now_seconds() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        (js_sys_now() / 1000.0) as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

#[cfg(feature = "hydrate")]
fn js_sys_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance().map(|p| p.time_origin() + p.now()))
        .unwrap_or(0.0)
}

/// Bytes as Horizon prints them.
pub fn human_size(bytes: Option<i64>) -> String {
    match bytes {
        None => "-".into(),
        Some(b) if b < 1024 => format!("{b} bytes"),
        Some(b) if b < 1 << 20 => format!("{:.1} KB", b as f64 / 1024.0),
        Some(b) if b < 1 << 30 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        Some(b) => format!("{:.2} GB", b as f64 / (1u64 << 30) as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_parse() {
        assert_eq!(parse_iso("1970-01-02T00:00:00Z"), Some(86400));
        assert_eq!(parse_iso("2026-11-26T04:22:08Z"), Some(1795666928));
        assert_eq!(parse_iso("soon"), None);
        assert_eq!(human_size(Some(1536)), "1.5 KB");
    }
}
