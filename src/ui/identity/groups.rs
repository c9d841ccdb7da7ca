//! Identity → Groups: Name, Description, Group ID; create, delete (confirmed), and
//! Manage Members.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::{
    group_members, list_groups, list_users, CreateGroup, DeleteGroups, SetGroupMember,
};
use crate::types::{GroupView, ListQuery};
use crate::ui::components::{
    close_on_success, use_list_query, ActionError, BulkDelete, Column, CreateButton, Dialog,
    ListHeader, ListTable, Modal,
};

#[component]
pub fn GroupsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let create = ServerAction::<CreateGroup>::new();
    let delete = BulkDelete::new(|ids| DeleteGroups { ids }, |t| t.delete_groups);
    let groups = Resource::new(
        move || (query.get(), create.version().get(), delete.version()),
        |(q, ..)| list_groups(q),
    );
    let create_open = RwSignal::new(false);
    let members_of = RwSignal::new(None::<GroupView>);
    close_on_success(create, create_open);
    let columns = vec![
        Column::sorted(|t| t.name, "name"),
        Column::sorted(|t| t.description, "description"),
        Column::sorted(|t| t.group_id, "id"),
        Column::actions(),
    ];
    view! {
        <ListHeader title=|t| t.groups>
            <CreateButton id="create-group" label=|t| t.create_group open=create_open/>
            {delete.button("delete-groups")}
        </ListHeader>
        <ListTable id="groups" columns rows=groups selection=delete.selection cells=move |g: GroupView| {
            let for_members = g.clone();
            let (id, name) = (g.id.clone(), g.name.clone());
            view! {
                <td>{g.name}</td><td>{g.description}</td><td class="mono">{g.id}</td>
                <td class="row-actions">
                    <button class="btn btn-sm" on:click=move |_| members_of.set(Some(for_members.clone()))>{t().manage_members}</button>
                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(id.clone(), name.clone())>{t().delete_group}</button>
                </td>
            }
        }/>
        {delete.dialog()}
        <Modal title=Signal::derive(move || t().create_group.to_string()) open=create_open>
            <ActionForm action=create attr:id="create-group-form">
                <ActionError value=create.value()/>
                <label>{move || t().name}" *"<input type="text" name="name" required/></label>
                <label>{move || t().description}<textarea name="description"></textarea></label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary">{move || t().create_group}</button></div>
            </ActionForm>
        </Modal>
        {move || members_of.get().map(|g| view! { <GroupMembers group=g close=members_of/> })}
    }
}

#[component]
fn GroupMembers(group: GroupView, close: RwSignal<Option<GroupView>>) -> impl IntoView {
    let t = use_texts();
    let open = RwSignal::new(true);
    Effect::new(move |_| {
        if !open.get() {
            close.set(None);
        }
    });
    let set = ServerAction::<SetGroupMember>::new();
    let group_id = group.id.clone();
    let data = Resource::new(move || set.version().get(), {
        let group_id = group_id.clone();
        move |_| {
            let group_id = group_id.clone();
            async move {
                let users = list_users(ListQuery::all()).await?.items;
                let members = group_members(group_id).await?;
                Ok::<_, crate::types::AppError>((users, members))
            }
        }
    });
    let title = format!("{}: {}", t().manage_members, group.name);
    view! {
        <Dialog title=Signal::derive(move || title.clone()) open>
            <ActionError value=set.value()/>
            <Transition fallback=|| ()>
                {move || {
                    let group_id = group_id.clone();
                    Suspend::new(async move {
                        let Ok((users, members)) = data.await else { return view! { <p>"—"</p> }.into_any() };
                        view! {
                            <ul class="member-list" id="group-members">
                                {users.into_iter().map(|u| {
                                    let is_member = members.iter().any(|(id, _)| *id == u.id);
                                    let (group_id, user_id) = (group_id.clone(), u.id.clone());
                                    view! {
                                        <li><label class="check"><input type="checkbox" checked=is_member on:change=move |ev| {
                                            set.dispatch(SetGroupMember { group_id: group_id.clone(), user_id: user_id.clone(), member: event_target_checked(&ev) });
                                        }/>{u.name.clone()}</label></li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    })
                }}
            </Transition>
        </Dialog>
    }
}
