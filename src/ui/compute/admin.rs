//! Admin → Flavors, Hypervisors (capacity charts), Defaults (quotas), and System
//! Information → Compute Services.

use leptos::prelude::*;

use super::{quota_label, UsagePie};
use crate::i18n::use_texts;
use crate::server_fns::compute::{
    flavor_access, hypervisor_totals, list_flavors, list_hypervisors, quota_defaults, CreateFlavor,
    DeleteFlavors, SetFlavorAccess, SetFlavorExtraSpecs, UpdateQuotaDefaults,
};
use crate::server_fns::identity::list_projects;
use crate::types::{FlavorView, HypervisorView, ListQuery};
use crate::ui::components::{
    close_on_success, use_list_query, yes_no, ActionError, BulkDelete, Column, CreateButton,
    FilterBox, ListHeader, ListTable, Modal, TableRow,
};

fn flavor_columns() -> Vec<Column> {
    vec![
        Column::sorted(|t| t.name, "name"),
        Column::sorted(|t| t.c.vcpus, "vcpus"),
        Column::sorted(|t| t.c.ram_mb, "ram"),
        Column::sorted(|t| t.c.root_disk, "disk"),
        Column::new(|t| t.c.ephemeral_disk),
        Column::new(|t| t.c.swap_disk),
        Column::sorted(|_| "ID", "id"),
        Column::new(|t| t.c.public),
        Column::new(|t| t.c.extra_specs),
        Column::actions(),
    ]
}

#[component]
pub fn FlavorsPage() -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateFlavor>::new();
    let delete = BulkDelete::new(|ids| DeleteFlavors { ids }, |t| t.c.delete_flavors);
    let set_specs = ServerAction::<SetFlavorExtraSpecs>::new();
    let set_access = ServerAction::<SetFlavorAccess>::new();
    let query = use_list_query();
    let flavors = Resource::new(
        move || {
            (
                query.get(),
                create.version().get(),
                delete.version(),
                set_specs.version().get(),
                set_access.version().get(),
            )
        },
        |(q, ..)| list_flavors(q),
    );
    let specs_for: RwSignal<Option<FlavorView>> = RwSignal::new(None);
    let access_for: RwSignal<Option<FlavorView>> = RwSignal::new(None);
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
    close_on_success(create, create_open);
    let number = move |label: &'static str,
                       field: &'static str,
                       sig: RwSignal<i64>,
                       min: &'static str| {
        view! {
            <label>{label}<input type="number" name=field min=min prop:value=move || sig.get().to_string() on:input=move |ev| sig.set(event_target_value(&ev).parse().unwrap_or(0))/></label>
        }
    };
    view! {
        <ListHeader title=|t| t.c.flavors>
            <CreateButton id="create-flavor" label=|t| t.c.create_flavor open=create_open/>
            {delete.button("delete-flavors")}
        </ListHeader>
        <ListTable id="flavors" columns=flavor_columns() rows=flavors selection=delete.selection cells=move |f: FlavorView| {
            let (for_specs, for_access) = (f.clone(), f.clone());
            let (id, name) = (f.id.clone(), f.name.clone());
            let private = !f.is_public;
            view! {
                <td>{f.name.clone()}</td><td>{f.vcpus}</td><td>{format!("{} MB", f.ram)}</td><td>{format!("{} GB", f.disk)}</td>
                <td>{format!("{} GB", f.ephemeral)}</td><td>{format!("{} MB", f.swap)}</td><td class="mono">{f.id.clone()}</td>
                <td>{yes_no(t(), f.is_public)}</td>
                <td>{f.extra_specs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")}</td>
                <td class="row-actions">
                    <button class="btn btn-sm specs-row" on:click=move |_| specs_for.set(Some(for_specs.clone()))>{t().c.update_metadata}</button>
                    {private.then(|| view! { <button class="btn btn-sm access-row" on:click=move |_| access_for.set(Some(for_access.clone()))>{t().c.modify_access}</button> })}
                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(id.clone(), name.clone())>{t().delete}</button>
                </td>
            }
        }/>
        {delete.dialog()}
        {move || specs_for.get().map(|f| view! { <ExtraSpecsDialog flavor=f action=set_specs close=Callback::new(move |_| specs_for.set(None))/> })}
        {move || access_for.get().map(|f| view! { <AccessDialog flavor=f action=set_access close=Callback::new(move |_| access_for.set(None))/> })}
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

impl TableRow for HypervisorView {
    fn row_id(&self) -> String {
        self.id.to_string()
    }
    fn row_name(&self) -> String {
        self.hostname.clone()
    }
}

#[component]
pub fn HypervisorsPage() -> impl IntoView {
    let t = use_texts();
    let events = super::use_instance_events();
    let query = use_list_query();
    let summary = Resource::new(move || events.get(), |_| hypervisor_totals());
    let hypervisors = Resource::new(
        move || (query.get(), events.get()),
        |(q, _)| list_hypervisors(q),
    );
    let columns = vec![
        Column::sorted(|t| t.c.host, "hostname"),
        Column::new(|t| t.c.hypervisor_type),
        Column::new(|t| t.c.vcpus),
        Column::new(|t| t.c.ram_mb),
        Column::new(|t| t.c.root_disk),
        Column::new(|t| t.c.running_vms),
        Column::new(|t| t.status),
    ];
    view! {
        <div class="page-header"><h2>{move || t().c.hypervisors}</h2></div>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // Without the totals there is nothing to draw: the table below says why.
                let Ok(s) = summary.await else { return ().into_any() };
                view! {
                    <div class="usage-charts" id="hypervisor-summary">
                        <UsagePie label=t().c.vcpus_usage.to_string() used=s.vcpus_used limit=s.vcpus/>
                        <UsagePie label=t().c.memory_usage.to_string() used=s.memory_mb_used limit=s.memory_mb unit=" MB"/>
                        <UsagePie label=t().c.disk_usage.to_string() used=s.local_gb_used limit=s.local_gb unit=" GB"/>
                    </div>
                }
                .into_any()
            })}
        </Transition>
        <div class="table-toolbar"><FilterBox/></div>
        <ListTable id="hypervisors" columns rows=hypervisors cells=|h: HypervisorView| view! {
            <td>{h.hostname}</td><td>{h.hypervisor_type}</td>
            <td>{format!("{} / {} (×{})", h.vcpus_used, h.vcpus, h.cpu_allocation_ratio)}</td>
            <td>{format!("{} / {} MB", h.memory_mb_used, h.memory_mb)}</td>
            <td>{format!("{} / {} GB", h.local_gb_used, h.local_gb)}</td>
            <td>{h.running_vms}</td><td>{h.status}</td>
        }/>
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
                    Err(e) => view! { <div class="alert alert-error">{crate::ui::components::error_text(t(), e)}</div> }.into_any(),
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
    let hypervisors = Resource::new(|| (), |_| list_hypervisors(ListQuery::all()));
    let columns = vec![
        Column::new(|t| t.name),
        Column::new(|t| t.c.host),
        Column::new(|t| t.c.availability_zone),
        Column::new(|t| t.status),
        Column::new(|t| t.c.hypervisor_type),
    ];
    view! {
        <ListTable id="compute-services" columns rows=hypervisors cells=|h: HypervisorView| view! {
            <td>"nova-compute"</td><td>{h.hostname}</td><td>"nova"</td><td>{h.status}</td><td>{h.hypervisor_type}</td>
        }/>
    }
}

/// Update Metadata: a flavor's extra specs as key/value rows; rows can be added and removed.
#[component]
fn ExtraSpecsDialog(
    flavor: FlavorView,
    action: ServerAction<SetFlavorExtraSpecs>,
    close: Callback<()>,
) -> impl IntoView {
    let t = use_texts();
    let open = RwSignal::new(true);
    let original: Vec<String> = flavor.extra_specs.iter().map(|(k, _)| k.clone()).collect();
    let rows = RwSignal::new(flavor.extra_specs.clone());
    let new_key = RwSignal::new(String::new());
    let new_value = RwSignal::new(String::new());
    Effect::new(move |_| {
        if !open.get() {
            close.run(());
        }
    });
    Effect::new(move |prev: Option<usize>| {
        let v = action.version().get();
        if prev.is_some_and(|p| p != v) && matches!(action.value().get_untracked(), Some(Ok(()))) {
            open.set(false);
        }
        v
    });
    let id = flavor.id.clone();
    let title = format!("{} — {}", t().c.update_metadata, flavor.name);
    view! {
        <crate::ui::components::Dialog title=Signal::derive(move || title.clone()) open>
            <form id="extra-specs-form" on:submit=move |ev| {
                ev.prevent_default();
                let mut specs = rows.get_untracked();
                let (k, v) = (new_key.get_untracked(), new_value.get_untracked());
                if !k.trim().is_empty() {
                    specs.push((k.trim().to_string(), v));
                }
                let removed = original.iter().filter(|o| !specs.iter().any(|(k, _)| k == *o)).cloned().collect();
                action.dispatch(SetFlavorExtraSpecs { id: id.clone(), specs, removed });
            }>
                <ActionError value=action.value()/>
                <table class="table">
                    <thead><tr><th>{t().c.key}</th><th>{t().c.value}</th><th></th></tr></thead>
                    <tbody>
                        {move || rows.get().into_iter().enumerate().map(|(n, (k, v))| {
                            let key = k.clone();
                            view! {
                                <tr data-key=key>
                                    <td class="mono">{k}</td>
                                    <td><input type="text" value=v on:input=move |ev| rows.update(|r| r[n].1 = event_target_value(&ev))/></td>
                                    <td><button type="button" class="btn btn-sm btn-danger" on:click=move |_| rows.update(|r| { r.remove(n); })>{t().remove}</button></td>
                                </tr>
                            }
                        }).collect_view()}
                        <tr>
                            <td><input type="text" name="key" placeholder=move || t().c.key prop:value=move || new_key.get() on:input=move |ev| new_key.set(event_target_value(&ev))/></td>
                            <td><input type="text" name="value" placeholder=move || t().c.value prop:value=move || new_value.get() on:input=move |ev| new_value.set(event_target_value(&ev))/></td>
                            <td></td>
                        </tr>
                    </tbody>
                </table>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>{t().save}</button></div>
            </form>
        </crate::ui::components::Dialog>
    }
}

/// Modify Access: which projects may use a private flavor.
#[component]
fn AccessDialog(
    flavor: FlavorView,
    action: ServerAction<SetFlavorAccess>,
    close: Callback<()>,
) -> impl IntoView {
    let t = use_texts();
    let open = RwSignal::new(true);
    let id = flavor.id.clone();
    let chosen: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let data = {
        let id = id.clone();
        Resource::new(
            move || id.clone(),
            |id| async move {
                let projects = list_projects(ListQuery::all()).await?;
                let access = flavor_access(id).await?;
                Ok::<_, crate::types::AppError>((projects.items, access))
            },
        )
    };
    Effect::new(move |_| {
        if !open.get() {
            close.run(());
        }
    });
    Effect::new(move |prev: Option<usize>| {
        let v = action.version().get();
        if prev.is_some_and(|p| p != v) && matches!(action.value().get_untracked(), Some(Ok(()))) {
            open.set(false);
        }
        v
    });
    let title = format!("{} — {}", t().c.flavor_access, flavor.name);
    view! {
        <crate::ui::components::Dialog title=Signal::derive(move || title.clone()) open>
            <ActionError value=action.value()/>
            <Transition fallback=move || view! { <p>{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <div class="alert alert-error">{crate::ui::components::error_text(t(), e)}</div> }.into_any(),
                        Ok((projects, access)) => {
                            chosen.set(access);
                            view! {
                                <ul class="member-list" id="flavor-access">
                                    {projects.into_iter().map(|p| {
                                        let (pid, pid2) = (p.id.clone(), p.id.clone());
                                        let name = p.name.clone();
                                        view! {
                                            <li><label class="inline"><input type="checkbox" data-project=name
                                                prop:checked=move || chosen.get().contains(&pid)
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    chosen.update(|c| { c.retain(|x| *x != pid2); if on { c.push(pid2.clone()); } });
                                                }/>{p.name}</label></li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <div class="modal-footer">
                <button class="btn btn-primary" id="save-flavor-access" disabled=move || action.pending().get()
                    on:click=move |_| { action.dispatch(SetFlavorAccess { id: id.clone(), projects: chosen.get_untracked() }); }>{t().save}</button>
            </div>
        </crate::ui::components::Dialog>
    }
}
