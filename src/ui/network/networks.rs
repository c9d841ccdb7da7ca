//! Project → Network → Networks (and Admin → Network → Networks): Name, Subnets
//! Associated, Shared, External, Status, Admin State (administrators also see the
//! project and the provider attributes); Create Network as Horizon's three-step
//! workflow (Network → Subnet → Subnet Details); delete after confirmation.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::network::{list_networks, CreateNetwork, DeleteNetworks};
use crate::types::NetworkCreateRequest;
use crate::ui::components::{ActionError, ConfirmDelete, Modal, RowCheck, Selection};

#[component]
pub fn NetworksPage(#[prop(optional)] admin: bool) -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateNetwork>::new();
    let delete = ServerAction::<DeleteNetworks>::new();
    let networks = Resource::new(
        move || (create.version().get(), delete.version().get()),
        move |_| list_networks(admin),
    );
    let selected = Selection::new();
    let confirm_open = RwSignal::new(false);
    let create_open = RwSignal::new(false);
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
    view! {
        <div class="page-header"><h2>{move || t().n.networks}</h2></div>
        <div class="table-toolbar">
            <button class="btn btn-primary" id="create-network" on:click=move |_| create_open.set(true)>"+ "{move || t().n.create_network}</button>
            <button class="btn btn-danger" id="delete-networks" disabled=move || selected.is_empty() on:click=move |_| confirm_open.set(true)>{move || t().n.delete_networks}</button>
        </div>
        <ActionError value=delete.value()/>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match networks.await {
                    Err(e) => view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" id="networks">
                            <thead><tr>
                                <th class="select"></th>
                                {admin.then(|| view! { <th>{t().project}</th> })}
                                <th>{t().name}</th><th>{t().n.subnets_associated}</th>
                                {admin.then(|| view! { <th>{t().n.network_type}</th><th>{t().n.physical_network}</th><th>{t().n.segmentation_id}</th> })}
                                <th>{t().n.shared}</th><th>{t().n.external}</th><th>{t().status}</th><th>{t().n.admin_state}</th><th>{t().actions}</th>
                            </tr></thead>
                            <tbody>
                                {list.is_empty().then(|| view! { <tr><td colspan="12" class="empty">{t().no_items}</td></tr> })}
                                {list.into_iter().map(|n| {
                                    let id = n.id.clone();
                                    let name = if n.name.is_empty() { format!("({})", &n.id[..8.min(n.id.len())]) } else { n.name.clone() };
                                    let (id2, name2) = (id.clone(), name.clone());
                                    let yes_no = move |b: bool| if b { t().yes } else { t().no };
                                    view! {
                                        <tr data-name=n.name.clone() data-id=n.id.clone()>
                                            <RowCheck selection=selected id=id.clone() name=name.clone()/>
                                            {admin.then(|| view! { <td class="mono">{n.project_id.clone()}</td> })}
                                            <td>{name.clone()}</td>
                                            <td class="subnets">{n.subnets.iter().map(|s| view! { <div><b>{s.name.clone()}</b>" "{s.cidr.clone()}</div> }).collect_view()}</td>
                                            {admin.then(|| view! {
                                                <td>{n.network_type.clone()}</td>
                                                <td>{n.physical_network.clone().unwrap_or_default()}</td>
                                                <td>{n.segmentation_id.map(|s| s.to_string()).unwrap_or_default()}</td>
                                            })}
                                            <td>{yes_no(n.shared)}</td><td>{yes_no(n.external)}</td>
                                            <td>{n.status.clone()}</td>
                                            <td>{if n.admin_state_up { t().up } else { t().down }}</td>
                                            <td class="row-actions"><button class="btn btn-sm btn-danger delete-row" on:click=move |_| { selected.only(id2.clone(), name2.clone()); confirm_open.set(true); }>{t().delete}</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
        <ConfirmDelete
            title=Signal::derive(move || t().n.delete_networks.to_string())
            open=confirm_open
            names=Signal::derive(move || selected.names())
            pending=delete.pending().into()
            on_confirm=Callback::new(move |_| { delete.dispatch(DeleteNetworks { ids: selected.ids() }); })
        />
        <Modal title=Signal::derive(move || t().n.create_network.to_string()) open=create_open>
            <CreateNetworkWorkflow action=create admin/>
        </Modal>
    }
}

/// Network → Subnet → Subnet Details, one form submitted at the end.
#[component]
pub fn CreateNetworkWorkflow(action: ServerAction<CreateNetwork>, admin: bool) -> impl IntoView {
    let t = use_texts();
    let step = RwSignal::new(0u8);
    let req = RwSignal::new(NetworkCreateRequest {
        admin_state_up: true,
        create_subnet: true,
        enable_dhcp: true,
        ..Default::default()
    });
    let text = move |get: fn(&NetworkCreateRequest) -> &String,
                     set: fn(&mut NetworkCreateRequest, String)| {
        (
            move || req.with(|r| get(r).clone()),
            move |ev| req.update(|r| set(r, event_target_value(&ev))),
        )
    };
    let flag = move |get: fn(&NetworkCreateRequest) -> bool,
                     set: fn(&mut NetworkCreateRequest, bool)| {
        (
            move || req.with(get),
            move |ev| req.update(|r| set(r, event_target_checked(&ev))),
        )
    };
    let (name, set_name) = text(|r| &r.name, |r, v| r.name = v);
    let (subnet_name, set_subnet_name) = text(|r| &r.subnet_name, |r, v| r.subnet_name = v);
    let (cidr, set_cidr) = text(|r| &r.cidr, |r, v| r.cidr = v);
    let (gateway, set_gateway) = text(|r| &r.gateway_ip, |r, v| r.gateway_ip = v);
    let (pools, set_pools) = text(|r| &r.pools, |r, v| r.pools = v);
    let (dns, set_dns) = text(|r| &r.dns, |r, v| r.dns = v);
    let (physnet, set_physnet) = text(|r| &r.physical_network, |r, v| r.physical_network = v);
    let (admin_up, set_admin_up) = flag(|r| r.admin_state_up, |r, v| r.admin_state_up = v);
    let (shared, set_shared) = flag(|r| r.shared, |r, v| r.shared = v);
    let (external, set_external) = flag(|r| r.external, |r, v| r.external = v);
    let (with_subnet, set_with_subnet) = flag(|r| r.create_subnet, |r, v| r.create_subnet = v);
    let (no_gateway, set_no_gateway) = flag(|r| r.disable_gateway, |r, v| r.disable_gateway = v);
    let (dhcp, set_dhcp) = flag(|r| r.enable_dhcp, |r, v| r.enable_dhcp = v);
    let steps = move || {
        let t = t();
        [t.n.network, t.n.subnet, t.n.subnet_details]
    };
    view! {
        <form id="create-network-form" on:submit=move |ev| {
            ev.prevent_default();
            if step.get_untracked() < 2 && req.with_untracked(|r| r.create_subnet) {
                step.update(|s| *s += 1);
            } else {
                action.dispatch(CreateNetwork { req: req.get_untracked() });
            }
        }>
            <ul class="wizard-steps">
                {move || steps().into_iter().enumerate().map(|(n, label)| view! {
                    <li class:active=move || step.get() as usize == n>
                        <a href="#" on:click=move |ev| { ev.prevent_default(); if n == 0 || req.with_untracked(|r| r.create_subnet) { step.set(n as u8) } }>{label}</a>
                    </li>
                }).collect_view()}
            </ul>
            <ActionError value=action.value()/>
            <div class="wizard-step" class:hidden=move || step.get() != 0>
                <label>{move || t().n.network_name}<input type="text" name="network_name" prop:value=name on:input=set_name/></label>
                <label class="check"><input type="checkbox" name="admin_state_up" prop:checked=admin_up on:change=set_admin_up/>{move || t().n.admin_state}" "{move || t().up}</label>
                <label class="check"><input type="checkbox" name="shared" prop:checked=shared on:change=set_shared/>{move || t().n.shared}</label>
                <label class="check"><input type="checkbox" name="create_subnet" prop:checked=with_subnet on:change=set_with_subnet/>{move || t().n.create_subnet}</label>
                {admin.then(|| view! {
                    <label class="check"><input type="checkbox" name="external" prop:checked=external on:change=set_external/>{move || t().n.external}</label>
                    <label>{move || t().n.network_type}
                        <select name="network_type" on:change=move |ev| req.update(|r| r.network_type = event_target_value(&ev))>
                            <option value="">"local"</option><option value="flat">"flat"</option><option value="vlan">"vlan"</option>
                        </select>
                    </label>
                    <label>{move || t().n.physical_network}<input type="text" name="physical_network" placeholder="extnet" prop:value=physnet on:input=set_physnet/></label>
                    <label>{move || t().n.segmentation_id}<input type="number" name="segmentation_id" min="1" max="4094" on:input=move |ev| req.update(|r| r.segmentation_id = event_target_value(&ev).parse().ok())/></label>
                })}
            </div>
            <div class="wizard-step" class:hidden=move || step.get() != 1>
                <label>{move || t().n.subnet_name}<input type="text" name="subnet_name" prop:value=subnet_name on:input=set_subnet_name/></label>
                <label>{move || t().n.network_address}" *"<input type="text" name="cidr" placeholder="192.168.0.0/24" prop:value=cidr on:input=set_cidr/></label>
                <label>{move || t().n.gateway_ip}<input type="text" name="gateway_ip" placeholder="192.168.0.1" prop:value=gateway on:input=set_gateway/></label>
                <label class="check"><input type="checkbox" name="disable_gateway" prop:checked=no_gateway on:change=set_no_gateway/>{move || t().n.disable_gateway}</label>
            </div>
            <div class="wizard-step" class:hidden=move || step.get() != 2>
                <label class="check"><input type="checkbox" name="enable_dhcp" prop:checked=dhcp on:change=set_dhcp/>{move || t().n.enable_dhcp}</label>
                <label>{move || t().n.allocation_pools}<textarea name="pools" rows="3" placeholder="192.168.0.10,192.168.0.100" prop:value=pools on:input=set_pools></textarea><small>{move || t().n.allocation_pools_help}</small></label>
                <label>{move || t().n.dns_name_servers}<textarea name="dns" rows="3" prop:value=dns on:input=set_dns></textarea><small>{move || t().n.dns_help}</small></label>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn" disabled=move || step.get() == 0 on:click=move |_| step.update(|s| *s = s.saturating_sub(1))>{move || t().n.back}</button>
                {move || {
                    let last = step.get() == 2 || !req.with(|r| r.create_subnet);
                    if last {
                        view! { <button type="submit" id="create-network-submit" class="btn btn-primary" disabled=move || action.pending().get()>{move || t().create}</button> }.into_any()
                    } else {
                        view! { <button type="submit" id="create-network-next" class="btn btn-primary">{move || t().n.next_step}</button> }.into_any()
                    }
                }}
            </div>
        </form>
    }
}
