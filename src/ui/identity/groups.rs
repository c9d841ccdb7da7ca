//! Identity → Groups: Name, Description, Group ID; create, delete (confirmed), and
//! Manage Members.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::{
    group_members, list_groups, list_users, CreateGroup, DeleteGroups, SetGroupMember,
};
use crate::types::{GroupView, ListQuery};
use crate::ui::components::{
    use_list_query, ActionError, ConfirmDelete, Dialog, FilterBox, Modal, Pager, RowCheck,
    Selection, SortHeader,
};

#[component]
pub fn GroupsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let create = ServerAction::<CreateGroup>::new();
    let delete = ServerAction::<DeleteGroups>::new();
    let groups = Resource::new(
        move || (query.get(), create.version().get(), delete.version().get()),
        |(q, ..)| list_groups(q),
    );
    let create_open = RwSignal::new(false);
    let selected = Selection::new();
    let confirm_open = RwSignal::new(false);
    let members_of = RwSignal::new(None::<GroupView>);
    Effect::new(move |_| {
        if let Some(Ok(())) = create.value().get() {
            create_open.set(false);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            confirm_open.set(false);
            selected.clear();
        }
    });
    view! {
        <div class="page-header"><h2>{move || t().groups}</h2></div>
        <div class="table-toolbar">
            <FilterBox/>
            <button class="btn btn-primary" id="create-group" on:click=move |_| create_open.set(true)>"+ "{move || t().create_group}</button>
            <button class="btn btn-danger" id="delete-groups" disabled=move || selected.is_empty()
                on:click=move |_| confirm_open.set(true)>{move || t().delete_groups}</button>
        </div>
        <ActionError value=delete.value()/>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Err(e) => view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                    Ok(page) => {
                        let (total, pages) = (page.total, page.pages());
                        view! {
                            <table class="table" id="groups">
                                <thead><tr>
                                    <th class="select"></th>
                                    <SortHeader label=t().name column="name"/>
                                    <SortHeader label=t().description column="description"/>
                                    <SortHeader label=t().group_id column="id"/>
                                    <th>{t().actions}</th>
                                </tr></thead>
                                <tbody>
                                    {page.items.is_empty().then(|| view! { <tr><td colspan="5" class="empty">{t().no_items}</td></tr> })}
                                    {page.items.into_iter().map(|g| {
                                        let for_members = g.clone();
                                        let (id, name) = (g.id.clone(), g.name.clone());
                                        view! {
                                            <tr data-name=g.name.clone()>
                                                <RowCheck selection=selected id=id.clone() name=name.clone()/>
                                                <td>{g.name.clone()}</td><td>{g.description.clone()}</td><td class="mono">{g.id.clone()}</td>
                                                <td class="row-actions">
                                                    <button class="btn btn-sm" on:click=move |_| members_of.set(Some(for_members.clone()))>{t().manage_members}</button>
                                                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| { selected.only(id.clone(), name.clone()); confirm_open.set(true); }>{t().delete_group}</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager total pages/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <ConfirmDelete
            title=Signal::derive(move || t().delete_groups.to_string())
            open=confirm_open
            names=Signal::derive(move || selected.names())
            pending=delete.pending().into()
            on_confirm=Callback::new(move |_| { delete.dispatch(DeleteGroups { ids: selected.ids() }); })
        />
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
