//! Admin → Flavors, Hypervisors (capacity charts), Defaults (quotas), and System
//! Information → Compute Services.

use leptos::prelude::*;

use super::{quota_label, UsagePie};
use crate::app::use_texts;
use crate::server_fns::compute::{
    list_flavors, list_hypervisors, quota_defaults, CreateFlavor, DeleteFlavors,
    UpdateQuotaDefaults,
};
use crate::ui::components::{ActionError, ConfirmDelete, Modal, RowCheck, Selection};

#[component]
pub fn FlavorsPage() -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateFlavor>::new();
    let delete = ServerAction::<DeleteFlavors>::new();
    let flavors = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| list_flavors(),
    );
    let selected = Selection::new();
    let confirm_open = RwSignal::new(false);
    let create_open = RwSignal::new(false);
    let f = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(1i64),
        RwSignal::new(512i64),
        RwSignal::new(1i64),
        RwSignal::new(0i64),
        RwSignal::new(0i64),
        RwSignal::new(true),
    );
    let (name, id, vcpus, ram, disk, ephemeral, swap, is_public) = f;
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            confirm_open.set(false);
            selected.clear();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            create_open.set(false);
        }
    });
    let number = move |label: &'static str,
                       field: &'static str,
                       sig: RwSignal<i64>,
                       min: &'static str| {
        view! {
            <label>{label}<input type="number" name=field min=min prop:value=move || sig.get().to_string() on:input=move |ev| sig.set(event_target_value(&ev).parse().unwrap_or(0))/></label>
        }
    };
    view! {
        <div class="page-header"><h2>{move || t().c.flavors}</h2></div>
        <div class="table-toolbar">
            <button class="btn btn-primary" id="create-flavor" on:click=move |_| create_open.set(true)>"+ "{move || t().c.create_flavor}</button>
            <button class="btn btn-danger" id="delete-flavors" disabled=move || selected.is_empty() on:click=move |_| confirm_open.set(true)>{move || t().c.delete_flavors}</button>
        </div>
        <ActionError value=delete.value()/>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match flavors.await {
                    Err(e) => view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" id="flavors">
                            <thead><tr><th class="select"></th><th>{t().name}</th><th>{t().c.vcpus}</th><th>{t().c.ram_mb}</th><th>{t().c.root_disk}</th>
                                <th>{t().c.ephemeral_disk}</th><th>{t().c.swap_disk}</th><th>"ID"</th><th>{t().c.public}</th><th>{t().c.extra_specs}</th></tr></thead>
                            <tbody>
                                {list.is_empty().then(|| view! { <tr><td colspan="10" class="empty">{t().no_items}</td></tr> })}
                                {list.into_iter().map(|f| view! {
                                    <tr data-name=f.name.clone()>
                                        <RowCheck selection=selected id=f.id.clone() name=f.name.clone()/>
                                        <td>{f.name.clone()}</td><td>{f.vcpus}</td><td>{format!("{} MB", f.ram)}</td><td>{format!("{} GB", f.disk)}</td>
                                        <td>{format!("{} GB", f.ephemeral)}</td><td>{format!("{} MB", f.swap)}</td><td class="mono">{f.id.clone()}</td>
                                        <td>{crate::ui::components::yes_no(t(), f.is_public)}</td>
                                        <td>{f.extra_specs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
        <ConfirmDelete
            title=Signal::derive(move || t().c.delete_flavors.to_string())
            open=confirm_open
            names=Signal::derive(move || selected.names())
            pending=delete.pending().into()
            on_confirm=Callback::new(move |_| { delete.dispatch(DeleteFlavors { ids: selected.ids() }); })
        />
        <Modal title=Signal::derive(move || t().c.create_flavor.to_string()) open=create_open>
            <form id="create-flavor-form" on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(CreateFlavor { name: name.get_untracked(), id: id.get_untracked(), vcpus: vcpus.get_untracked(), ram: ram.get_untracked(), disk: disk.get_untracked(), ephemeral: ephemeral.get_untracked(), swap: swap.get_untracked(), is_public: is_public.get_untracked() });
            }>
                <ActionError value=create.value()/>
                <label>{move || t().name}" *"<input type="text" name="name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>{move || t().c.flavor_id_auto}<input type="text" name="id" prop:value=move || id.get() on:input=move |ev| id.set(event_target_value(&ev))/></label>
                {move || number(t().c.vcpus, "vcpus", vcpus, "1")}
                {move || number(t().c.ram_mb, "ram", ram, "1")}
                {move || number(t().c.root_disk, "disk", disk, "0")}
                {move || number(t().c.ephemeral_disk, "ephemeral", ephemeral, "0")}
                {move || number(t().c.swap_disk, "swap", swap, "0")}
                <label class="inline"><input type="checkbox" prop:checked=move || is_public.get() on:change=move |ev| is_public.set(event_target_checked(&ev))/>{move || t().c.public}</label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>{move || t().c.create_flavor}</button></div>
            </form>
        </Modal>
    }
}

#[component]
pub fn HypervisorsPage() -> impl IntoView {
    let t = use_texts();
    let events = super::use_instance_events();
    let hypervisors = Resource::new(move || events.get(), |_| list_hypervisors());
    view! {
        <div class="page-header"><h2>{move || t().c.hypervisors}</h2></div>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match hypervisors.await {
                    Err(e) => view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                    Ok(list) => {
                        let sum = |f: fn(&crate::types::HypervisorView) -> i64| list.iter().map(f).sum::<i64>();
                        let (cpu, cpu_used) = (sum(|h| (h.vcpus as f64 * h.cpu_allocation_ratio) as i64), sum(|h| h.vcpus_used));
                        let (ram, ram_used) = (sum(|h| (h.memory_mb as f64 * h.ram_allocation_ratio) as i64), sum(|h| h.memory_mb_used));
                        let (disk, disk_used) = (sum(|h| h.local_gb), sum(|h| h.local_gb_used));
                        view! {
                            <div class="usage-charts" id="hypervisor-summary">
                                <UsagePie label=t().c.vcpus_usage.to_string() used=cpu_used limit=cpu/>
                                <UsagePie label=t().c.memory_usage.to_string() used=ram_used limit=ram unit=" MB"/>
                                <UsagePie label=t().c.disk_usage.to_string() used=disk_used limit=disk unit=" GB"/>
                            </div>
                            <table class="table" id="hypervisors">
                                <thead><tr><th>{t().c.host}</th><th>{t().c.hypervisor_type}</th><th>{t().c.vcpus}</th><th>{t().c.ram_mb}</th>
                                    <th>{t().c.root_disk}</th><th>{t().c.running_vms}</th><th>{t().status}</th></tr></thead>
                                <tbody>
                                    {list.iter().map(|h| view! {
                                        <tr data-name=h.hostname.clone()>
                                            <td>{h.hostname.clone()}</td><td>{h.hypervisor_type.clone()}</td>
                                            <td>{format!("{} / {} (×{})", h.vcpus_used, h.vcpus, h.cpu_allocation_ratio)}</td>
                                            <td>{format!("{} / {} MB", h.memory_mb_used, h.memory_mb)}</td>
                                            <td>{format!("{} / {} GB", h.local_gb_used, h.local_gb)}</td>
                                            <td>{h.running_vms}</td><td>{h.status.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
pub fn DefaultsPage() -> impl IntoView {
    let t = use_texts();
    let update = ServerAction::<UpdateQuotaDefaults>::new();
    let defaults = Resource::new(move || update.version().get(), |_| quota_defaults());
    let edited: RwSignal<Vec<(String, i64)>> = RwSignal::new(Vec::new());
    view! {
        <div class="page-header"><h2>{move || t().c.defaults}</h2></div>
        <ActionError value=update.value()/>
        {move || update.value().get().and_then(|r| r.ok()).map(|_| view! { <p class="saved">{t().saved}</p> })}
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match defaults.await {
                    Err(e) => view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                    Ok(list) => {
                        edited.set(list.iter().map(|q| (q.resource.clone(), q.limit)).collect());
                        view! {
                            <form id="defaults-form" on:submit=move |ev| { ev.prevent_default(); update.dispatch(UpdateQuotaDefaults { values: edited.get_untracked() }); }>
                                <table class="table" id="quota-defaults">
                                    <thead><tr><th>{t().c.quota_name}</th><th>{t().c.limit}</th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|q| {
                                            let r = q.resource.clone();
                                            view! {
                                                <tr data-name=q.resource.clone()>
                                                    <td>{quota_label(t(), &q.resource)}</td>
                                                    <td><input type="number" min="-1" name=q.resource.clone() value=q.limit.to_string() on:input=move |ev| {
                                                        let v: i64 = event_target_value(&ev).parse().unwrap_or(-1);
                                                        edited.update(|e| if let Some(x) = e.iter_mut().find(|(k, _)| *k == r) { x.1 = v; });
                                                    }/></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <button type="submit" class="btn btn-primary" disabled=move || update.pending().get()>{t().c.save_defaults}</button>
                            </form>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// System Information → Compute Services: one nova-compute per hypervisor.
#[component]
pub fn ComputeServicesTab() -> impl IntoView {
    let t = use_texts();
    let hypervisors = Resource::new(|| (), |_| list_hypervisors());
    view! {
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                let list = hypervisors.await.unwrap_or_default();
                view! {
                    <table class="table" id="compute-services">
                        <thead><tr><th>{t().name}</th><th>{t().c.host}</th><th>{t().c.availability_zone}</th><th>{t().status}</th><th>{t().c.hypervisor_type}</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|h| view! {
                                <tr><td>"nova-compute"</td><td>{h.hostname.clone()}</td><td>"nova"</td><td>{h.status.clone()}</td><td>{h.hypervisor_type.clone()}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            })}
        </Transition>
    }
}
