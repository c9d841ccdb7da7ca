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
    close_on_success, use_list_query, ActionError, BulkDelete, Column, FilterBox, ListTable, Modal,
};
use crate::ui::paths;

#[component]
pub fn InstancesPage() -> impl IntoView {
    view! { <InstancesTable all_projects=false/> }
}

#[component]
pub fn AdminInstancesPage() -> impl IntoView {
    view! { <InstancesTable all_projects=true/> }
}

/// The actions a row offers in its state (Horizon hides the ones that cannot apply); a
/// locked instance offers only its unlock to whoever may not act on it (the API's rule).
fn row_actions(i: &InstanceView) -> Vec<&'static str> {
    if i.task_state.is_some() || i.status == "BUILD" {
        return vec![];
    }
    if !i.actionable {
        return if i.unlockable { vec!["unlock"] } else { vec![] };
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

fn instance_columns(all_projects: bool) -> Vec<Column> {
    let c = Column::new;
    let mut columns = Vec::new();
    if all_projects {
        columns.extend([c(|t| t.c.project_col), c(|t| t.c.host)]);
    }
    columns.extend([c(|t| t.c.instance_name), c(|t| t.c.image_name)]);
    if !all_projects {
        columns.push(c(|t| t.c.ip_address));
    }
    columns.push(c(|t| t.c.flavor));
    if !all_projects {
        columns.push(c(|t| t.c.key_pair));
    }
    columns.push(c(|t| t.status));
    if !all_projects {
        columns.push(c(|t| t.c.availability_zone));
    }
    columns.extend([
        c(|t| t.c.task),
        c(|t| t.c.power_state),
        c(|t| t.c.age),
        Column::actions(),
    ]);
    columns
}

#[component]
fn InstancesTable(all_projects: bool) -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let events = use_instance_events();
    let act = ServerAction::<InstanceAction>::new();
    let delete = BulkDelete::new(|ids| DeleteInstances { ids }, |t| t.c.delete_instances);
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
                delete.version(),
                attach.version().get(),
                detach.version().get(),
                launched.get(),
            )
        },
        move |(q, ..)| list_instances(q, all_projects),
    );
    let launch_open = RwSignal::new(false);
    let snapshot_for: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let snapshot_open = RwSignal::new(false);
    let snapshot_name = RwSignal::new(String::new());
    let menu_open: RwSignal<Option<String>> = RwSignal::new(None);
    close_on_success(snapshot, snapshot_open);
    let title = move || t().c.instances;
    view! {
        <div class="page-header"><h2>{title}</h2><span class="live" title=move || t().c.live>"●"</span></div>
        <div class="table-toolbar">
            <FilterBox/>
            {(!all_projects).then(|| view! {
                <button class="btn btn-primary" id="launch-instance" on:click=move |_| launch_open.set(true)>{move || t().c.launch_instance}</button>
            })}
            {delete.button("delete-instances")}
        </div>
        <ActionError value=act.value()/>
        <ListTable id="instances" columns=instance_columns(all_projects) rows=instances selection=delete.selection cells=move |i: InstanceView| {
            let (id, name) = (i.id.clone(), i.name.clone());
            let mut actions = row_actions(&i);
            if all_projects {
                actions.retain(|a| !DIALOG_ACTIONS.contains(a));
            }
            let href = if all_projects { paths::ADMIN_INSTANCES } else { paths::INSTANCES }.detail(&i.id);
            let menu_id = id.clone();
            let open = move || menu_open.get().as_deref() == Some(menu_id.as_str());
            let toggle_id = id.clone();
            let snap = (id.clone(), name.clone());
            let delete_pair = (id.clone(), name.clone());
            view! {
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
                            <button class="link danger delete-row" on:click=move |_| { menu_open.set(None); delete.ask(delete_pair.0.clone(), delete_pair.1.clone()); }>{t().c.delete_instance}</button>
                        </div>
                    </div>
                </td>
            }
        }/>
        {delete.dialog()}
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
