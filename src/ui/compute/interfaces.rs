//! The Attach Interface and Detach Interface dialogs of an instance (Horizon's row actions):
//! attach by network (with perhaps a fixed address) or by a free port; detach one of the
//! instance's interfaces.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::compute::{interface_options, AttachInterface, DetachInterface};
use crate::ui::components::{close_on_success, ActionError, Modal};

/// Both dialogs for the instance in `target` (id, name); `mode` says which is open.
#[component]
pub fn InterfaceDialogs(
    target: RwSignal<Option<(String, String)>>,
    attach_open: RwSignal<bool>,
    detach_open: RwSignal<bool>,
    attach: ServerAction<AttachInterface>,
    detach: ServerAction<DetachInterface>,
) -> impl IntoView {
    let t = use_texts();
    let options = Resource::new(
        move || (target.get(), attach.version().get(), detach.version().get()),
        |(target, ..)| async move {
            match target {
                Some((id, _)) => interface_options(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let by_port = RwSignal::new(false);
    let network = RwSignal::new(String::new());
    let fixed_ip = RwSignal::new(String::new());
    let port = RwSignal::new(String::new());
    let detach_port = RwSignal::new(String::new());
    Effect::new(move |_| {
        if attach_open.get() {
            by_port.set(false);
            network.set(String::new());
            fixed_ip.set(String::new());
            port.set(String::new());
        }
    });
    Effect::new(move |_| {
        if detach_open.get() {
            detach_port.set(String::new());
        }
    });
    close_on_success(attach, attach_open);
    close_on_success(detach, detach_open);
    let choices = move || {
        options
            .get()
            .and_then(|r| r.ok())
            .flatten()
            .unwrap_or_default()
    };
    let name = move || target.get().map(|(_, n)| n).unwrap_or_default();
    view! {
        <Modal title=Signal::derive(move || format!("{}: {}", t().n.attach_interface, name())) open=attach_open>
            <form id="attach-interface-form" on:submit=move |ev| {
                ev.prevent_default();
                let Some((id, _)) = target.get_untracked() else { return };
                let some = |s: String| (!s.is_empty()).then_some(s);
                if by_port.get_untracked() {
                    attach.dispatch(AttachInterface { id, network_id: None, fixed_ip: None, port_id: some(port.get_untracked()) });
                } else {
                    attach.dispatch(AttachInterface { id, network_id: some(network.get_untracked()), fixed_ip: some(fixed_ip.get_untracked()), port_id: None });
                }
            }>
                <ActionError value=attach.value()/>
                <label>{move || t().n.specify_interface}
                    <select name="interface_type" on:change=move |ev| by_port.set(event_target_value(&ev) == "port")>
                        <option value="network" selected=move || !by_port.get()>{move || t().n.by_network}</option>
                        <option value="port" selected=move || by_port.get()>{move || t().n.by_port}</option>
                    </select>
                </label>
                <Show when=move || !by_port.get()>
                    <label>{move || t().n.network}" *"
                        <select name="network" required on:change=move |ev| network.set(event_target_value(&ev))>
                            <option value="">"-"</option>
                            {move || choices().networks.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>{move || t().n.fixed_ip_address}
                        <input type="text" name="fixed_ip" placeholder="10.0.0.20"
                            prop:value=move || fixed_ip.get() on:input=move |ev| fixed_ip.set(event_target_value(&ev))/>
                    </label>
                    <p class="help">{move || t().n.fixed_ip_help}</p>
                </Show>
                <Show when=move || by_port.get()>
                    {move || {
                        let free = choices().free_ports;
                        if free.is_empty() {
                            view! { <p class="empty" id="no-free-ports">{t().n.no_free_ports}</p> }.into_any()
                        } else {
                            view! {
                                <label>{t().n.port}" *"
                                    <select name="port" required on:change=move |ev| port.set(event_target_value(&ev))>
                                        <option value="">"-"</option>
                                        {free.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                                    </select>
                                </label>
                            }.into_any()
                        }
                    }}
                </Show>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || attach.pending().get()>{move || t().n.attach_interface}</button></div>
            </form>
        </Modal>
        <Modal title=Signal::derive(move || format!("{}: {}", t().n.detach_interface, name())) open=detach_open>
            <form id="detach-interface-form" on:submit=move |ev| {
                ev.prevent_default();
                let Some((id, _)) = target.get_untracked() else { return };
                detach.dispatch(DetachInterface { id, port_id: detach_port.get_untracked() });
            }>
                <ActionError value=detach.value()/>
                {move || {
                    let attached = choices().attached;
                    if attached.is_empty() {
                        view! { <p class="empty" id="no-interfaces">{t().n.no_interfaces}</p> }.into_any()
                    } else {
                        view! {
                            <label>{t().n.port}" *"
                                <select name="port" required on:change=move |ev| detach_port.set(event_target_value(&ev))>
                                    <option value="">"-"</option>
                                    {attached.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                                </select>
                            </label>
                        }.into_any()
                    }
                }}
                <p class="help">{move || t().n.detach_help}</p>
                <div class="modal-footer"><button type="submit" class="btn btn-danger" disabled=move || detach.pending().get()>{move || t().n.detach_interface}</button></div>
            </form>
        </Modal>
    }
}
