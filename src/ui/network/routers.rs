//! Project → Network → Routers (and Admin → Network → Routers): Name, Status, External
//! Network, Admin State, Interfaces; Create Router (with an external network), Set /
//! Clear Gateway, Add Interface (a subnet), Remove Interface, Static Routes, delete.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::network::{
    list_networks, list_routers, CreateRouter, DeleteRouters, RouterInterface, RouterRoute,
    SetRouterGateway,
};
use crate::types::{ListQuery, NetworkView, RouterView};
use crate::ui::components::{
    close_on_success, loaded, use_list_query, ActionError, BulkDelete, Column, CreateButton,
    ListHeader, ListTable, Modal,
};

fn router_columns(admin: bool) -> Vec<Column> {
    let mut columns = Vec::new();
    if admin {
        columns.push(Column::new(|t| t.project));
    }
    columns.extend([
        Column::sorted(|t| t.name, "name"),
        Column::sorted(|t| t.status, "status"),
        Column::new(|t| t.n.external_network),
        Column::new(|t| t.n.admin_state),
        Column::new(|t| t.n.interfaces),
        Column::new(|t| t.n.static_routes),
        Column::actions(),
    ]);
    columns
}

#[component]
pub fn RoutersPage(#[prop(optional)] admin: bool) -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateRouter>::new();
    let delete = BulkDelete::new(|ids| DeleteRouters { ids }, |t| t.n.delete_routers);
    let gateway = ServerAction::<SetRouterGateway>::new();
    let interface = ServerAction::<RouterInterface>::new();
    let route = ServerAction::<RouterRoute>::new();
    let query = use_list_query();
    let routers = Resource::new(
        move || {
            (
                query.get(),
                create.version().get(),
                delete.version(),
                gateway.version().get(),
                interface.version().get(),
                route.version().get(),
            )
        },
        move |(q, ..)| list_routers(q, admin),
    );
    let networks = Resource::new(|| (), |_| list_networks(ListQuery::all(), false));
    let create_open = RwSignal::new(false);
    // The router a dialog is about: (id, name).
    let target = RwSignal::new((String::new(), String::new()));
    let gateway_open = RwSignal::new(false);
    let interface_open = RwSignal::new(false);
    let routes_open = RwSignal::new(false);
    let choice = RwSignal::new(String::new());
    let destination = RwSignal::new(String::new());
    let nexthop = RwSignal::new(String::new());
    close_on_success(gateway, gateway_open);
    close_on_success(interface, interface_open);
    close_on_success(route, routes_open);
    let external_options = move || {
        loaded(networks)
            .into_iter()
            .filter(|n| n.external)
            .collect::<Vec<NetworkView>>()
    };
    let subnet_options = move || {
        loaded(networks)
            .into_iter()
            .filter(|n| !n.external)
            .flat_map(|n| {
                n.subnets
                    .into_iter()
                    .map(move |s| (s.id.clone(), format!("{}: {} ({})", n.name, s.cidr, s.name)))
            })
            .collect::<Vec<_>>()
    };
    view! {
        <ListHeader title=|t| t.n.routers>
            <CreateButton id="create-router" label=|t| t.n.create_router open=create_open/>
            {delete.button("delete-routers")}
        </ListHeader>
        <ActionError value=interface.value()/>
        <ActionError value=gateway.value()/>
        <ListTable id="routers" columns=router_columns(admin) rows=routers selection=delete.selection cells=move |r: RouterView| {
            let (id, name_) = (r.id.clone(), r.name.clone());
            let has_gateway = r.gateway.is_some();
            let (id_d, name_d) = (id.clone(), name_.clone());
            let (id_g, name_g) = (id.clone(), name_.clone());
            let (id_i, name_i) = (id.clone(), name_.clone());
            let (id_r, name_r) = (id.clone(), name_.clone());
            let id_c = id.clone();
            view! {
                {admin.then(|| view! { <td class="mono">{r.project_id.clone()}</td> })}
                <td>{r.name.clone()}</td>
                <td>{r.status.clone()}</td>
                <td class="gateway">{r.gateway.clone().map(|(_, n)| format!("{n} ({})", r.gateway_ips.join(", "))).unwrap_or_else(|| "-".into())}</td>
                <td>{if r.admin_state_up { t().up } else { t().down }}</td>
                <td class="interfaces">{r.interfaces.iter().map(|i| {
                    let (rid, pid) = (r.id.clone(), i.port_id.clone());
                    view! {
                        <div class="interface" data-ip=i.ip.clone()>
                            {format!("{} {} ", i.network_name, i.ip)}
                            <button class="btn btn-sm link remove-interface" title=move || t().n.remove_interface on:click=move |_| { interface.dispatch(RouterInterface { router_id: rid.clone(), add: false, id: pid.clone() }); }>"×"</button>
                        </div>
                    }
                }).collect_view()}</td>
                <td class="routes">{r.routes.iter().map(|(d, h)| {
                    let (rid, d2, h2) = (r.id.clone(), d.clone(), h.clone());
                    view! {
                        <div>{format!("{d} → {h} ")}
                            <button class="btn btn-sm link" on:click=move |_| { route.dispatch(RouterRoute { router_id: rid.clone(), add: false, destination: d2.clone(), nexthop: h2.clone() }); }>"×"</button>
                        </div>
                    }
                }).collect_view()}</td>
                <td class="row-actions">
                    {if has_gateway {
                        view! { <button class="btn btn-sm clear-gateway" on:click=move |_| { gateway.dispatch(SetRouterGateway { router_id: id_c.clone(), network_id: None }); }>{t().n.clear_gateway}</button> }.into_any()
                    } else {
                        view! { <button class="btn btn-sm set-gateway" on:click=move |_| { target.set((id_g.clone(), name_g.clone())); choice.set(String::new()); gateway_open.set(true); }>{t().n.set_gateway}</button> }.into_any()
                    }}
                    <button class="btn btn-sm add-interface" on:click=move |_| { target.set((id_i.clone(), name_i.clone())); choice.set(String::new()); interface_open.set(true); }>{t().n.add_interface}</button>
                    <button class="btn btn-sm add-route" on:click=move |_| { target.set((id_r.clone(), name_r.clone())); destination.set(String::new()); nexthop.set(String::new()); routes_open.set(true); }>{t().n.add_static_route}</button>
                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(id_d.clone(), name_d.clone())>{t().delete}</button>
                </td>
            }
        }/>
        {delete.dialog()}
        <CreateRouterDialog open=create_open create external=Signal::derive(external_options)/>
        <Modal title=Signal::derive(move || format!("{}: {}", t().n.set_gateway, target.get().1)) open=gateway_open>
            <form id="set-gateway-form" on:submit=move |ev| { ev.prevent_default(); gateway.dispatch(SetRouterGateway { router_id: target.get_untracked().0, network_id: Some(choice.get_untracked()) }); }>
                <ActionError value=gateway.value()/>
                <label>{move || t().n.external_network}" *"
                    <select name="external_network" required on:change=move |ev| choice.set(event_target_value(&ev))>
                        <option value="">"-"</option>
                        {move || external_options().into_iter().map(|n| view! { <option value=n.id.clone()>{n.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || gateway.pending().get()>{move || t().n.set_gateway}</button></div>
            </form>
        </Modal>
        <Modal title=Signal::derive(move || format!("{}: {}", t().n.add_interface, target.get().1)) open=interface_open>
            <form id="add-interface-form" on:submit=move |ev| { ev.prevent_default(); interface.dispatch(RouterInterface { router_id: target.get_untracked().0, add: true, id: choice.get_untracked() }); }>
                <ActionError value=interface.value()/>
                <label>{move || t().n.subnet}" *"
                    <select name="subnet" required on:change=move |ev| choice.set(event_target_value(&ev))>
                        <option value="">"-"</option>
                        {move || subnet_options().into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                    </select>
                </label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || interface.pending().get()>{move || t().n.add_interface}</button></div>
            </form>
        </Modal>
        <Modal title=Signal::derive(move || format!("{}: {}", t().n.add_static_route, target.get().1)) open=routes_open>
            <form id="add-route-form" on:submit=move |ev| { ev.prevent_default(); route.dispatch(RouterRoute { router_id: target.get_untracked().0, add: true, destination: destination.get_untracked(), nexthop: nexthop.get_untracked() }); }>
                <ActionError value=route.value()/>
                <label>{move || t().n.destination_cidr}" *"<input type="text" name="destination" required placeholder="192.168.50.0/24" prop:value=move || destination.get() on:input=move |ev| destination.set(event_target_value(&ev))/></label>
                <label>{move || t().n.next_hop}" *"<input type="text" name="nexthop" required prop:value=move || nexthop.get() on:input=move |ev| nexthop.set(event_target_value(&ev))/></label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || route.pending().get()>{move || t().n.add_static_route}</button></div>
            </form>
        </Modal>
    }
}

/// Create Router: a name and, optionally, the external network of its gateway.
#[component]
pub fn CreateRouterDialog(
    open: RwSignal<bool>,
    create: ServerAction<CreateRouter>,
    external: Signal<Vec<NetworkView>>,
) -> impl IntoView {
    let t = use_texts();
    let name = RwSignal::new(String::new());
    let choice = RwSignal::new(String::new());
    Effect::new(move |_| {
        if open.get() {
            name.set(String::new());
            choice.set(String::new());
        }
    });
    close_on_success(create, open);
    view! {
        <Modal title=Signal::derive(move || t().n.create_router.to_string()) open=open>
            <form id="create-router-form" on:submit=move |ev| { ev.prevent_default(); create.dispatch(CreateRouter { name: name.get_untracked(), external_network: Some(choice.get_untracked()) }); }>
                <ActionError value=create.value()/>
                <label>{move || t().n.router_name}<input type="text" name="name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>{move || t().n.external_network}
                    <select name="external_network" on:change=move |ev| choice.set(event_target_value(&ev))>
                        <option value="">"-"</option>
                        {move || external.get().into_iter().map(|n| view! { <option value=n.id.clone()>{n.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>{move || t().n.create_router}</button></div>
            </form>
        </Modal>
    }
}
