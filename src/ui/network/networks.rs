//! Project → Network → Networks (and Admin → Network → Networks): Name, Subnets
//! Associated, Shared, External, Status, Admin State (administrators also see the
//! project and the provider attributes); Create Network as Horizon's three-step
//! workflow (Network → Subnet → Subnet Details); delete after confirmation.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::network::{list_networks, CreateNetwork, DeleteNetworks};
use crate::types::{NetworkCreateRequest, NetworkView};
use crate::ui::components::{
    close_on_success, use_list_query, yes_no, ActionError, BulkDelete, Column, CreateButton,
    ListHeader, ListTable, Modal, TableRow,
};

impl TableRow for NetworkView {
    fn row_id(&self) -> String {
        self.id.clone()
    }
    /// A network without a name is called by the start of its id.
    fn row_name(&self) -> String {
        if self.name.is_empty() {
            format!("({})", &self.id[..8.min(self.id.len())])
        } else {
            self.name.clone()
        }
    }
}

fn network_columns(admin: bool) -> Vec<Column> {
    let c = Column::new;
    let mut columns = Vec::new();
    if admin {
        columns.push(c(|t| t.project));
    }
    columns.extend([
        Column::sorted(|t| t.name, "name"),
        c(|t| t.n.subnets_associated),
    ]);
    if admin {
        columns.extend([
            c(|t| t.n.network_type),
            c(|t| t.n.physical_network),
            c(|t| t.n.segmentation_id),
        ]);
    }
    columns.extend([
        c(|t| t.n.shared),
        c(|t| t.n.external),
        Column::sorted(|t| t.status, "status"),
        c(|t| t.n.admin_state),
        Column::actions(),
    ]);
    columns
}

#[component]
pub fn NetworksPage(#[prop(optional)] admin: bool) -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateNetwork>::new();
    let delete = BulkDelete::new(|ids| DeleteNetworks { ids }, |t| t.n.delete_networks);
    let query = use_list_query();
    let networks = Resource::new(
        move || (query.get(), create.version().get(), delete.version()),
        move |(q, ..)| list_networks(q, admin),
    );
    let create_open = RwSignal::new(false);
    close_on_success(create, create_open);
    view! {
        <ListHeader title=|t| t.n.networks>
            <CreateButton id="create-network" label=|t| t.n.create_network open=create_open/>
            {delete.button("delete-networks")}
        </ListHeader>
        <ListTable id="networks" columns=network_columns(admin) rows=networks selection=delete.selection cells=move |n: NetworkView| {
            let name = n.row_name();
            let (id2, name2) = (n.id.clone(), name.clone());
            view! {
                {admin.then(|| view! { <td class="mono">{n.project_id.clone()}</td> })}
                <td>{name.clone()}</td>
                <td class="subnets">{n.subnets.iter().map(|s| view! { <div><b>{s.name.clone()}</b>" "{s.cidr.clone()}</div> }).collect_view()}</td>
                {admin.then(|| view! {
                    <td>{n.network_type.clone()}</td>
                    <td>{n.physical_network.clone().unwrap_or_default()}</td>
                    <td>{n.segmentation_id.map(|s| s.to_string()).unwrap_or_default()}</td>
                })}
                <td>{yes_no(t(), n.shared)}</td><td>{yes_no(t(), n.external)}</td>
                <td>{n.status.clone()}</td>
                <td>{if n.admin_state_up { t().up } else { t().down }}</td>
                <td class="row-actions"><button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(id2.clone(), name2.clone())>{t().delete}</button></td>
            }
        }/>
        {delete.dialog()}
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
