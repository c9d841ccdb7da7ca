//! Project → Network → Security Groups: Name, Description, rules; Create Security Group,
//! Manage Rules (the rules table, Add Rule with Horizon's templates — SSH, HTTP, HTTPS,
//! ICMP, All TCP/UDP/ICMP, DNS, RDP, MySQL, custom TCP/UDP/ICMP — and Delete Rule),
//! delete after confirmation.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::network::{
    list_security_groups, AddRule, CreateSecurityGroup, DeleteRules, DeleteSecurityGroups,
};
use crate::types::{ListQuery, Page, RuleRequest, SecurityGroupView, RULE_TEMPLATES};
use crate::ui::components::{
    close_on_success, loaded, use_list_query, ActionError, BulkDelete, Column, CreateButton,
    ListHeader, ListTable, Modal,
};

#[component]
pub fn SecurityGroupsPage() -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateSecurityGroup>::new();
    let delete = BulkDelete::new(
        |ids| DeleteSecurityGroups { ids },
        |t| t.n.delete_security_groups,
    );
    let add_rule = ServerAction::<AddRule>::new();
    let delete_rules = ServerAction::<DeleteRules>::new();
    let query = use_list_query();
    let changed = move || {
        (
            create.version().get(),
            delete.version(),
            add_rule.version().get(),
            delete_rules.version().get(),
        )
    };
    let groups = Resource::new(
        move || (query.get(), changed()),
        |(q, _)| list_security_groups(q),
    );
    let create_open = RwSignal::new(false);
    let rules_open = RwSignal::new(false);
    let rule_form_open = RwSignal::new(false);
    // Every group, for the remote-group picker: asked for only while the rule form is open.
    let everything = Resource::new(
        move || (rule_form_open.get(), changed()),
        |(open, _)| async move {
            if open {
                list_security_groups(ListQuery::all()).await
            } else {
                Ok(Page::default())
            }
        },
    );
    let current = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let rule = RwSignal::new(RuleRequest::default());
    close_on_success(create, create_open);
    close_on_success(add_rule, rule_form_open);
    let all_groups = move || loaded(everything);
    // The group whose rules are managed is a row of the page shown.
    let group_of = move |id: &str| loaded(groups).into_iter().find(|g| g.id == id);
    let template = move || rule.with(|r| r.template.clone());
    let columns = vec![
        Column::sorted(|t| t.name, "name"),
        Column::new(|t| t.description),
        Column::new(|t| t.n.rule),
        Column::actions(),
    ];
    view! {
        <ListHeader title=|t| t.n.security_groups>
            <CreateButton id="create-security-group" label=|t| t.n.create_security_group open=create_open before=Callback::new(move |_| { name.set(String::new()); description.set(String::new()); })/>
            {delete.button("delete-security-groups")}
        </ListHeader>
        <ListTable id="security-groups" columns rows=groups selection=delete.selection cells=move |g: SecurityGroupView| {
            let (id, n) = (g.id.clone(), g.name.clone());
            let (id2, n2) = (id.clone(), n.clone());
            let id3 = id.clone();
            view! {
                <td>{g.name.clone()}</td><td>{g.description.clone()}</td><td>{g.rules.len()}</td>
                <td class="row-actions">
                    <button class="btn btn-sm btn-primary manage-rules" on:click=move |_| { current.set(id3.clone()); rules_open.set(true); }>{t().n.manage_rules}</button>
                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(id2.clone(), n2.clone())>{t().delete}</button>
                </td>
            }
        }/>
        {delete.dialog()}
        <Modal title=Signal::derive(move || t().n.create_security_group.to_string()) open=create_open>
            <form id="create-security-group-form" on:submit=move |ev| { ev.prevent_default(); create.dispatch(CreateSecurityGroup { name: name.get_untracked(), description: description.get_untracked() }); }>
                <ActionError value=create.value()/>
                <label>{move || t().name}" *"<input type="text" name="name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>{move || t().description}<textarea name="description" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea></label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>{move || t().n.create_security_group}</button></div>
            </form>
        </Modal>
        <Modal title=Signal::derive(move || t().n.rules_of.replace("{name}", &group_of(&current.get()).map(|g| g.name).unwrap_or_default())) open=rules_open>
            <div class="table-toolbar">
                <button class="btn btn-primary" id="add-rule" on:click=move |_| {
                    rule.set(RuleRequest { group_id: current.get_untracked(), template: "ssh".into(), direction: "ingress".into(), port_mode: "port".into(), remote: "cidr".into(), cidr: "0.0.0.0/0".into(), ..Default::default() });
                    rule_form_open.set(true);
                }>"+ "{move || t().n.add_rule}</button>
            </div>
            <ActionError value=delete_rules.value()/>
            <table class="table" id="rules">
                <thead><tr><th>{move || t().n.direction}</th><th>{move || t().n.ether_type}</th><th>{move || t().n.ip_protocol}</th><th>{move || t().n.port_range}</th><th>{move || t().n.remote}</th><th></th></tr></thead>
                <tbody>
                    {move || group_of(&current.get()).map(|g| g.rules.into_iter().map(|r| {
                        let id = r.id.clone();
                        view! {
                            <tr class="rule">
                                <td>{if r.direction == "ingress" { t().n.ingress } else { t().n.egress }}</td>
                                <td>{r.ethertype.clone()}</td><td>{r.protocol.clone()}</td><td>{r.port_range.clone()}</td><td>{r.remote.clone()}</td>
                                <td><button class="btn btn-sm btn-danger delete-rule" on:click=move |_| { delete_rules.dispatch(DeleteRules { ids: vec![id.clone()] }); }>{t().n.delete_rule}</button></td>
                            </tr>
                        }
                    }).collect_view())}
                </tbody>
            </table>
        </Modal>
        <Modal title=Signal::derive(move || t().n.add_rule.to_string()) open=rule_form_open>
            <form id="add-rule-form" on:submit=move |ev| { ev.prevent_default(); add_rule.dispatch(AddRule { req: rule.get_untracked() }); }>
                <ActionError value=add_rule.value()/>
                <label>{move || t().n.rule}
                    <select name="template" on:change=move |ev| rule.update(|r| r.template = event_target_value(&ev))>
                        {RULE_TEMPLATES.iter().map(|(key, label, _, _)| {
                            let key = key.to_string();
                            let k2 = key.clone();
                            view! { <option value=key selected=move || template() == k2>{*label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>{move || t().n.direction}
                    <select name="direction" on:change=move |ev| rule.update(|r| r.direction = event_target_value(&ev))>
                        <option value="ingress">{move || t().n.ingress}</option>
                        <option value="egress">{move || t().n.egress}</option>
                    </select>
                </label>
                <Show when=move || matches!(template().as_str(), "custom_tcp" | "custom_udp")>
                    <label>{move || t().n.port}
                        <select name="port_mode" on:change=move |ev| rule.update(|r| r.port_mode = event_target_value(&ev))>
                            <option value="port">{move || t().n.port}</option>
                            <option value="range">{move || t().n.port_range}</option>
                        </select>
                    </label>
                    <Show when=move || rule.with(|r| r.port_mode != "range")>
                        <label>{move || t().n.port}" *"<input type="number" name="port" min="1" max="65535" on:input=move |ev| rule.update(|r| r.port = event_target_value(&ev).parse().ok())/></label>
                    </Show>
                    <Show when=move || rule.with(|r| r.port_mode == "range")>
                        <label>{move || t().n.from_port}<input type="number" name="from_port" min="1" max="65535" on:input=move |ev| rule.update(|r| r.from_port = event_target_value(&ev).parse().ok())/></label>
                        <label>{move || t().n.to_port}<input type="number" name="to_port" min="1" max="65535" on:input=move |ev| rule.update(|r| r.to_port = event_target_value(&ev).parse().ok())/></label>
                    </Show>
                </Show>
                <Show when=move || template() == "custom_icmp">
                    <label>{move || t().n.icmp_type}<input type="number" name="icmp_type" min="0" max="255" on:input=move |ev| rule.update(|r| r.icmp_type = event_target_value(&ev).parse().ok())/></label>
                    <label>{move || t().n.icmp_code}<input type="number" name="icmp_code" min="0" max="255" on:input=move |ev| rule.update(|r| r.icmp_code = event_target_value(&ev).parse().ok())/></label>
                </Show>
                <label>{move || t().n.remote}
                    <select name="remote" on:change=move |ev| rule.update(|r| r.remote = event_target_value(&ev))>
                        <option value="cidr">{move || t().n.cidr}</option>
                        <option value="group">{move || t().n.remote_group}</option>
                    </select>
                </label>
                <Show when=move || rule.with(|r| r.remote != "group")>
                    <label>{move || t().n.cidr}<input type="text" name="cidr" prop:value=move || rule.with(|r| r.cidr.clone()) on:input=move |ev| rule.update(|r| r.cidr = event_target_value(&ev))/></label>
                </Show>
                <Show when=move || rule.with(|r| r.remote == "group")>
                    <label>{move || t().n.remote_group}
                        <select name="remote_group" on:change=move |ev| rule.update(|r| r.remote_group_id = event_target_value(&ev))>
                            <option value="">"-"</option>
                            {move || all_groups().into_iter().map(|g| view! { <option value=g.id.clone()>{g.name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || add_rule.pending().get()>{move || t().n.add_rule}</button></div>
            </form>
        </Modal>
    }
}
