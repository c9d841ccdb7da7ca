//! Project → Network → Floating IPs (and Admin → Network → Floating IPs): IP Address,
//! Mapped Fixed IP Address (with its instance), Pool, Status; Allocate IP To Project,
//! Associate / Disassociate, Release (confirmed).

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::network::{
    list_floating_ips, list_networks, port_choices, AllocateFloatingIp, AssociateFloatingIp,
    ReleaseFloatingIps,
};
use crate::types::{FloatingIpView, ListQuery};
use crate::ui::components::{
    close_on_success, loaded, use_list_query, ActionError, BulkDelete, Column, ListHeader,
    ListTable, Modal, TableRow,
};

/// A floating IP is called by its address.
impl TableRow for FloatingIpView {
    fn row_id(&self) -> String {
        self.id.clone()
    }
    fn row_name(&self) -> String {
        self.address.clone()
    }
}

fn floating_ip_columns(admin: bool) -> Vec<Column> {
    let mut columns = Vec::new();
    if admin {
        columns.push(Column::new(|t| t.project));
    }
    columns.extend([
        Column::sorted(|t| t.n.floating_ip, "address"),
        Column::new(|t| t.n.mapped_fixed_ip),
        Column::sorted(|t| t.n.pool, "pool"),
        Column::new(|t| t.status),
        Column::actions(),
    ]);
    columns
}

#[component]
pub fn FloatingIpsPage(#[prop(optional)] admin: bool) -> impl IntoView {
    let t = use_texts();
    let allocate = ServerAction::<AllocateFloatingIp>::new();
    let associate = ServerAction::<AssociateFloatingIp>::new();
    let release = BulkDelete::new(|ids| ReleaseFloatingIps { ids }, |t| t.n.release_ips);
    let query = use_list_query();
    let fips = Resource::new(
        move || {
            (
                query.get(),
                allocate.version().get(),
                associate.version().get(),
                release.version(),
            )
        },
        move |(q, ..)| list_floating_ips(q, admin),
    );
    let networks = Resource::new(|| (), |_| list_networks(ListQuery::all(), false));
    let ports = Resource::new(move || associate.version().get(), |_| port_choices());
    let allocate_open = RwSignal::new(false);
    let associate_open = RwSignal::new(false);
    let target = RwSignal::new((String::new(), String::new()));
    let choice = RwSignal::new(String::new());
    close_on_success(allocate, allocate_open);
    close_on_success(associate, associate_open);
    let pools = move || {
        loaded(networks)
            .into_iter()
            .filter(|n| n.external)
            .collect::<Vec<_>>()
    };
    view! {
        <ListHeader title=|t| t.n.floating_ips>
            <button class="btn btn-primary" id="allocate-ip" on:click=move |_| { choice.set(pools().first().map(|n| n.id.clone()).unwrap_or_default()); allocate_open.set(true); }>{move || t().n.allocate_ip}</button>
            {release.button("release-ips")}
        </ListHeader>
        <ActionError value=associate.value()/>
        <ListTable id="floating-ips" columns=floating_ip_columns(admin) rows=fips selection=release.selection cells=move |f: FloatingIpView| {
            let (id, address) = (f.id.clone(), f.address.clone());
            let (id_a, addr_a) = (id.clone(), address.clone());
            let (id_r, addr_r) = (id.clone(), address.clone());
            let id_d = id.clone();
            let associated = f.port_id.is_some();
            let mapped = match (&f.instance, &f.fixed_ip) {
                (Some((_, name)), Some(ip)) => format!("{name} {ip}"),
                (None, Some(ip)) => ip.clone(),
                _ => "-".into(),
            };
            view! {
                {admin.then(|| view! { <td class="mono">{f.project_id.clone()}</td> })}
                <td class="address">{f.address.clone()}</td>
                <td class="mapped">{mapped}</td>
                <td>{f.pool.clone()}</td>
                <td>{f.status.clone()}</td>
                <td class="row-actions">
                    {if associated {
                        view! { <button class="btn btn-sm disassociate" on:click=move |_| { associate.dispatch(AssociateFloatingIp { id: id_d.clone(), port_id: None }); }>{t().n.disassociate}</button> }.into_any()
                    } else {
                        view! { <button class="btn btn-sm btn-primary associate" on:click=move |_| { target.set((id_a.clone(), addr_a.clone())); choice.set(String::new()); associate_open.set(true); }>{t().n.associate}</button> }.into_any()
                    }}
                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| release.ask(id_r.clone(), addr_r.clone())>{t().n.release_ip}</button>
                </td>
            }
        }/>
        {release.dialog()}
        <Modal title=Signal::derive(move || t().n.allocate_ip.to_string()) open=allocate_open>
            <form id="allocate-ip-form" on:submit=move |ev| { ev.prevent_default(); allocate.dispatch(AllocateFloatingIp { network_id: choice.get_untracked() }); }>
                <ActionError value=allocate.value()/>
                <label>{move || t().n.pool}" *"
                    <select name="pool" required on:change=move |ev| choice.set(event_target_value(&ev))>
                        {move || pools().into_iter().map(|n| view! { <option value=n.id.clone()>{n.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || allocate.pending().get()>{move || t().n.allocate_ip}</button></div>
            </form>
        </Modal>
        <Modal title=Signal::derive(move || format!("{}: {}", t().n.manage_fip, target.get().1)) open=associate_open>
            <form id="associate-form" on:submit=move |ev| { ev.prevent_default(); associate.dispatch(AssociateFloatingIp { id: target.get_untracked().0, port_id: Some(choice.get_untracked()) }); }>
                <ActionError value=associate.value()/>
                <label>{move || t().n.port_to_associate}" *"
                    <select name="port" required on:change=move |ev| choice.set(event_target_value(&ev))>
                        <option value="">"-"</option>
                        {move || ports.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().map(|p| view! { <option value=p.port_id.clone()>{p.label.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || associate.pending().get()>{move || t().n.associate}</button></div>
            </form>
        </Modal>
    }
}
