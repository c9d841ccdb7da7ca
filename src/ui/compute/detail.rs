//! Instance details: the Overview, Log and Action Log tabs. The page follows pushed
//! changes of the instance.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{use_instance_events, StatusBadge};
use crate::i18n::use_texts;
use crate::server_fns::compute::{get_instance, instance_log};

#[component]
pub fn InstanceDetailPage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let tab = move || query.with(|q| q.get("tab").unwrap_or_else(|| "overview".into()));
    let events = use_instance_events();
    let detail = Resource::new(move || (id(), events.get()), |(id, _)| get_instance(id));
    let lines = RwSignal::new(35u32);
    let full = RwSignal::new(false);
    let refresh = RwSignal::new(0u64);
    let log = Resource::new(
        move || {
            (
                id(),
                tab(),
                lines.get(),
                full.get(),
                refresh.get(),
                events.get(),
            )
        },
        |(id, tab, lines, full, ..)| async move {
            if tab != "log" {
                return Ok(String::new());
            }
            instance_log(id, (!full).then_some(lines)).await
        },
    );
    let tab_link = move |name: &'static str, label: &'static str| {
        let href = move || format!("?tab={name}");
        view! { <a class="tab" class:active=move || tab() == name href=href data-tab=name>{label}</a> }
    };
    view! {
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                let d = match detail.await {
                    Ok(d) => d,
                    Err(e) => return view! { <div class="alert alert-error">{crate::ui::components::error_text(t(), e)}</div> }.into_any(),
                };
                let i = d.instance.clone();
                let console_src = format!("/portal/instances/{}/console", i.id);
                let running = i.status == "ACTIVE";
                view! {
                    <div class="page-header"><h2 id="instance-name">{i.name.clone()}</h2>
                        <StatusBadge status=i.status.clone() task=i.task_state.clone()/></div>
                    <div class="tabs">
                        {tab_link("overview", t().c.overview)}
                        {d.may_operate.then(|| tab_link("log", t().c.log))}
                        {(d.has_console && d.may_operate).then(|| tab_link("console", t().c.console))}
                        {tab_link("actions", t().c.action_log)}
                    </div>
                    <Show when=move || tab() == "overview">
                        <dl class="detail" id="instance-overview">
                            <dt>{t().name}</dt><dd>{i.name.clone()}</dd>
                            <dt>"ID"</dt><dd class="mono">{i.id.clone()}</dd>
                            <dt>{t().status}</dt><dd>{super::status_label(t(), &i.status)}</dd>
                            <dt>{t().c.power_state}</dt><dd>{super::power_label(t(), &i.power_state)}</dd>
                            <dt>{t().c.task}</dt><dd>{i.task_state.clone().unwrap_or_else(|| t().none.into())}</dd>
                            <dt>{t().c.availability_zone}</dt><dd>{i.availability_zone.clone()}</dd>
                            <dt>{t().c.created}</dt><dd>{i.created.clone()}</dd>
                            <dt>{t().c.launched_at}</dt><dd>{d.launched_at.clone().unwrap_or_else(|| "-".into())}</dd>
                            <dt>{t().c.flavor}</dt><dd>{format!("{} ({} VCPU, {} MB RAM, {} GB)", i.flavor_name, i.vcpus, i.ram, i.disk)}</dd>
                            <dt>{t().c.image_name}</dt><dd>{i.image_name.clone()}</dd>
                            <dt>{t().c.key_pair}</dt><dd>{i.key_name.clone().unwrap_or_else(|| t().none.into())}</dd>
                            <dt>"Hostname"</dt><dd>{d.hostname.clone()}</dd>
                            {i.fault.clone().map(|f| view! { <dt>{t().c.fault}</dt><dd class="fault">{f}</dd> })}
                        </dl>
                        <h4>{t().c.metadata}</h4>
                        <dl class="detail">
                            {d.metadata.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> }).collect_view()}
                        </dl>
                    </Show>
                    <Show when=move || tab() == "console">
                        <p class="help">{t().c.console_help}</p>
                        {
                            let src = console_src.clone();
                            if running {
                                view! { <iframe class="console-frame" id="console-frame" src=src title=t().c.console></iframe> }.into_any()
                            } else {
                                view! { <div class="alert alert-info">{t().c.console_unavailable}</div> }.into_any()
                            }
                        }
                    </Show>
                    <Show when=move || tab() == "actions">
                        <table class="table" id="instance-actions">
                            <thead><tr><th>{t().c.request_id}</th><th>{t().actions}</th><th>{t().c.start_time}</th><th>{t().user_id}</th><th>{t().c.message}</th></tr></thead>
                            <tbody>
                                {d.actions.iter().map(|a| view! {
                                    <tr><td class="mono">{a.request_id.clone()}</td><td>{a.action.clone()}</td><td>{a.start_time.clone()}</td>
                                        <td class="mono">{a.user_id.clone()}</td><td>{a.message.clone().unwrap_or_else(|| "-".into())}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </Show>
                }.into_any()
            })}
        </Transition>
        <Show when=move || tab() == "log">
            <div class="log-toolbar">
                <label>{move || t().c.log_lines}<input type="number" min="1" prop:value=move || lines.get().to_string() on:change=move |ev| lines.set(event_target_value(&ev).parse().unwrap_or(35))/></label>
                <button class="btn" on:click=move |_| refresh.update(|v| *v += 1)>{move || t().c.refresh}</button>
                <button class="btn" id="full-log" on:click=move |_| full.set(true)>{move || t().c.view_full_log}</button>
            </div>
            <Transition fallback=move || view! { <p>{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(text) => view! { <pre class="console-log" id="console-log">{text}</pre> }.into_any(),
                        Err(e) => view! { <div class="alert alert-error">{crate::ui::components::error_text(t(), e)}</div> }.into_any(),
                    }
                })}
            </Transition>
        </Show>
    }
}
