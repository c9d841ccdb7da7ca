//! Project → Instances (and Admin → Instances): Horizon's columns, row actions, bulk
//! delete with confirmation, the Launch Instance wizard, and statuses that update when the
//! server pushes a change.

use leptos::prelude::*;
use leptos_router::components::A;

use super::interfaces::InterfaceDialogs;
use super::launch::LaunchWizard;
use super::{age, use_instance_events, StatusBadge};
use crate::i18n::use_texts;
use crate::server_fns::compute::{
    list_instances, AttachInterface, CreateSnapshot, DeleteInstances, DetachInterface,
    InstanceAction,
};
use crate::types::InstanceView;
use crate::ui::components::{
    use_list_query, ActionError, ConfirmDelete, FilterBox, Modal, Pager, RowCheck, Selection,
};

#[component]
pub fn InstancesPage() -> impl IntoView {
    view! { <InstancesTable all_projects=false/> }
}

#[component]
pub fn AdminInstancesPage() -> impl IntoView {
    view! { <InstancesTable all_projects=true/> }
}

/// The actions a row offers in its state (Horizon hides the ones that cannot apply).
fn row_actions(i: &InstanceView) -> Vec<&'static str> {
    if i.task_state.is_some() || i.status == "BUILD" {
        return vec![];
    }
    let mut out = Vec::new();
    match i.status.as_str() {
        "ACTIVE" => out.extend(["pause", "suspend", "soft_reboot", "hard_reboot", "stop"]),
        "SHUTOFF" => out.extend(["start", "hard_reboot"]),
        "PAUSED" => out.extend(["unpause", "hard_reboot"]),
        "SUSPENDED" => out.extend(["resume", "hard_reboot"]),
        "VERIFY_RESIZE" => out.extend(["confirm_resize", "revert_resize"]),
        "ERROR" => out.extend(["hard_reboot"]),
        _ => {}
    }
    if matches!(i.status.as_str(), "ACTIVE" | "PAUSED" | "SHUTOFF") {
        out.push("attach_interface");
    }
    if matches!(i.status.as_str(), "ACTIVE" | "SHUTOFF") {
        out.push("detach_interface");
    }
    out.push(if i.locked { "unlock" } else { "lock" });
    out
}

/// Row actions that open a dialog instead of acting at once.
const DIALOG_ACTIONS: &[&str] = &["attach_interface", "detach_interface"];

fn action_label(t: &'static crate::i18n::Texts, a: &str) -> &'static str {
    let c = t.c;
    match a {
        "start" => c.start_instance,
        "stop" => c.shut_off_instance,
        "soft_reboot" => c.soft_reboot,
        "hard_reboot" => c.hard_reboot,
        "pause" => c.pause_instance,
        "unpause" => c.resume_paused,
        "suspend" => c.suspend_instance,
        "resume" => c.resume_instance,
        "lock" => c.lock_instance,
        "unlock" => c.unlock_instance,
        "confirm_resize" => c.confirm_resize,
        "revert_resize" => c.revert_resize,
        "attach_interface" => t.n.attach_interface,
        "detach_interface" => t.n.detach_interface,
        _ => "?",
    }
}

#[component]
fn InstancesTable(all_projects: bool) -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let events = use_instance_events();
    let act = ServerAction::<InstanceAction>::new();
    let delete = ServerAction::<DeleteInstances>::new();
    let snapshot = ServerAction::<CreateSnapshot>::new();
    let attach = ServerAction::<AttachInterface>::new();
    let detach = ServerAction::<DetachInterface>::new();
    let interface_for: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let attach_open = RwSignal::new(false);
    let detach_open = RwSignal::new(false);
    let launched = RwSignal::new(0u64);
    let instances = Resource::new(
        move || {
            (
                query.get(),
                events.get(),
                act.version().get(),
                delete.version().get(),
                attach.version().get(),
                detach.version().get(),
                launched.get(),
            )
        },
        move |(q, ..)| list_instances(q, all_projects),
    );
    let selected = Selection::new();
    let confirm_open = RwSignal::new(false);
    let launch_open = RwSignal::new(false);
    let snapshot_for: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let snapshot_open = RwSignal::new(false);
    let snapshot_name = RwSignal::new(String::new());
    let menu_open: RwSignal<Option<String>> = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            confirm_open.set(false);
            selected.clear();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = snapshot.value().get() {
            snapshot_open.set(false);
        }
    });
    let title = move || {
        if all_projects {
            t().c.instances
        } else {
            t().c.instances
        }
    };
    view! {
        <div class="page-header"><h2>{title}</h2><span class="live" title=move || t().c.live>"●"</span></div>
        <div class="table-toolbar">
            <FilterBox/>
            {(!all_projects).then(|| view! {
                <button class="btn btn-primary" id="launch-instance" on:click=move |_| launch_open.set(true)>{move || t().c.launch_instance}</button>
            })}
            <button class="btn btn-danger" id="delete-instances" disabled=move || selected.is_empty()
                on:click=move |_| confirm_open.set(true)>{move || t().c.delete_instances}</button>
        </div>
        <ActionError value=act.value()/>
        <ActionError value=delete.value()/>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match instances.await {
                    Err(e) => view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                    Ok(page) => {
                        let (total, pages) = (page.total, page.pages());
                        let colspan = if all_projects { "12" } else { "11" };
                        view! {
                            <table class="table" id="instances">
                                <thead><tr>
                                    <th class="select"></th>
                                    {all_projects.then(|| view! { <th>{t().c.project_col}</th><th>{t().c.host}</th> })}
                                    <th>{t().c.instance_name}</th>
                                    <th>{t().c.image_name}</th>
                                    {(!all_projects).then(|| view! { <th>{t().c.ip_address}</th> })}
                                    <th>{t().c.flavor}</th>
                                    {(!all_projects).then(|| view! { <th>{t().c.key_pair}</th> })}
                                    <th>{t().status}</th>
                                    {(!all_projects).then(|| view! { <th>{t().c.availability_zone}</th> })}
                                    <th>{t().c.task}</th>
                                    <th>{t().c.power_state}</th>
                                    <th>{t().c.age}</th>
                                    <th>{t().actions}</th>
                                </tr></thead>
                                <tbody>
                                    {page.items.is_empty().then(|| view! { <tr><td colspan=colspan class="empty">{t().no_items}</td></tr> })}
                                    {page.items.into_iter().map(|i| {
                                        let (id, name) = (i.id.clone(), i.name.clone());
                                        let mut actions = row_actions(&i);
                                        if all_projects {
                                            actions.retain(|a| !DIALOG_ACTIONS.contains(a));
                                        }
                                        let href = if all_projects { format!("/admin/instances/{}", i.id) } else { format!("/project/instances/{}", i.id) };
                                        let menu_id = id.clone();
                                        let open = move || menu_open.get().as_deref() == Some(menu_id.as_str());
                                        let toggle_id = id.clone();
                                        let snap = (id.clone(), name.clone());
                                        let delete_pair = (id.clone(), name.clone());
                                        let (row_name, row_id, row_status) = (i.name.clone(), i.id.clone(), i.status.clone());
                                        view! {
                                            <tr data-name=row_name data-id=row_id data-status=row_status>
                                                <RowCheck selection=selected id=id.clone() name=name.clone()/>
                                                {all_projects.then(|| view! { <td class="mono">{i.project_id.clone()}</td><td>{i.host.clone().unwrap_or_default()}</td> })}
                                                <td><A href=href>{i.name.clone()}</A></td>
                                                <td>{i.image_name.clone()}</td>
                                                {(!all_projects).then(|| view! { <td class="addresses">{if i.addresses.is_empty() { "-".to_string() } else { i.addresses.join(", ") }}</td> })}
                                                <td>{i.flavor_name.clone()}</td>
                                                {(!all_projects).then(|| view! { <td>{i.key_name.clone().unwrap_or_else(|| "-".into())}</td> })}
                                                <td class="status-cell"><StatusBadge status=i.status.clone() task=i.task_state.clone()/>
                                                    {i.fault.clone().map(|f| { let title = f.clone(); view! { <div class="fault" title=title>{f}</div> } })}</td>
                                                {(!all_projects).then(|| view! { <td>{i.availability_zone.clone()}</td> })}
                                                <td class="task">{i.task_state.clone().unwrap_or_else(|| t().none.to_string())}</td>
                                                <td class="power">{super::power_label(t(), &i.power_state)}</td>
                                                <td>{age(&i.created)}</td>
                                                <td class="row-actions">
                                                    {(i.status == "ACTIVE" || i.status == "SHUTOFF").then(|| view! {
                                                        <button class="btn btn-sm snapshot-row" on:click=move |_| { snapshot_name.set(format!("{}-snapshot", snap.1)); snapshot_for.set(Some(snap.clone())); snapshot_open.set(true); }>{t().c.create_snapshot}</button>
                                                    })}
                                                    <div class="dropdown-wrap">
                                                        <button class="btn btn-sm more-actions" on:click=move |_| menu_open.update(|m| *m = if m.as_deref() == Some(toggle_id.as_str()) { None } else { Some(toggle_id.clone()) })>{t().c.more_actions}" ▾"</button>
                                                        <div class="dropdown" class:open=open>
                                                            {actions.into_iter().map(|a| {
                                                                let (id, name) = (id.clone(), name.clone());
                                                                view! { <button class="link" data-action=a on:click=move |_| {
                                                                    menu_open.set(None);
                                                                    if DIALOG_ACTIONS.contains(&a) {
                                                                        interface_for.set(Some((id.clone(), name.clone())));
                                                                        if a == "attach_interface" { attach_open.set(true) } else { detach_open.set(true) }
                                                                    } else {
                                                                        act.dispatch(InstanceAction { id: id.clone(), action: a.to_string() });
                                                                    }
                                                                }>{action_label(t(), a)}</button> }
                                                            }).collect_view()}
                                                            <button class="link danger delete-row" on:click=move |_| { menu_open.set(None); selected.only(delete_pair.0.clone(), delete_pair.1.clone()); confirm_open.set(true); }>{t().c.delete_instance}</button>
                                                        </div>
                                                    </div>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager total pages/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <ConfirmDelete
            title=Signal::derive(move || t().c.delete_instances.to_string())
            open=confirm_open
            names=Signal::derive(move || selected.names())
            pending=delete.pending().into()
            on_confirm=Callback::new(move |_| { delete.dispatch(DeleteInstances { ids: selected.ids() }); })
        />
        <Modal title=Signal::derive(move || t().c.create_snapshot.to_string()) open=snapshot_open>
            <form id="snapshot-form" on:submit=move |ev| {
                ev.prevent_default();
                if let Some((id, _)) = snapshot_for.get_untracked() {
                    snapshot.dispatch(CreateSnapshot { id, name: snapshot_name.get_untracked() });
                }
            }>
                <ActionError value=snapshot.value()/>
                <label>{move || t().c.snapshot_name}" *"<input type="text" name="snapshot_name" required
                    prop:value=move || snapshot_name.get() on:input=move |ev| snapshot_name.set(event_target_value(&ev))/></label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || snapshot.pending().get()>{move || t().c.create_snapshot}</button></div>
            </form>
        </Modal>
        <InterfaceDialogs target=interface_for attach_open detach_open attach detach/>
        {(!all_projects).then(|| view! { <LaunchWizard open=launch_open on_launched=Callback::new(move |_| launched.update(|v| *v += 1))/> })}
    }
}
