//! Identity → Users: Horizon's columns (User Name, Description, Email, User ID, Enabled,
//! Domain Name), server-side filter/sort/paging, Create User (with primary project and
//! role), Edit, Change Password, Enable/Disable, Unlock, Delete (bulk, confirmed).

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::{
    list_projects, list_roles, list_users, CreateUser, DeleteUsers, SetUserEnabled,
    SetUserPassword, UnlockUser, UpdateUser,
};
use crate::types::{ListQuery, UserView};
use crate::ui::components::{
    close_on_success, use_list_query, yes_no, ActionError, BulkDelete, Column, CreateButton,
    Dialog, ListHeader, ListTable, Modal,
};

#[derive(Clone, PartialEq)]
enum UserDialogKind {
    Edit(UserView),
    Password(UserView),
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let create = ServerAction::<CreateUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let password = ServerAction::<SetUserPassword>::new();
    let enable = ServerAction::<SetUserEnabled>::new();
    let unlock = ServerAction::<UnlockUser>::new();
    let delete = BulkDelete::new(|ids| DeleteUsers { ids }, |t| t.delete_users);
    let users = Resource::new(
        move || {
            (
                query.get(),
                create.version().get(),
                update.version().get(),
                enable.version().get(),
                unlock.version().get(),
                delete.version(),
            )
        },
        |(q, ..)| list_users(q),
    );
    let create_open = RwSignal::new(false);
    let dialog = RwSignal::new(None::<UserDialogKind>);
    close_on_success(create, create_open);
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(())))
            || matches!(password.value().get(), Some(Ok(())))
        {
            dialog.set(None);
        }
    });
    let columns = vec![
        Column::sorted(|t| t.user_name, "name"),
        Column::new(|t| t.description),
        Column::sorted(|t| t.email, "email"),
        Column::sorted(|t| t.user_id, "id"),
        Column::sorted(|t| t.enabled, "enabled"),
        Column::new(|t| t.domain_name),
        Column::actions(),
    ];
    view! {
        <ListHeader title=|t| t.users>
            <CreateButton id="create-user" label=|t| t.create_user open=create_open/>
            {delete.button("delete-users")}
        </ListHeader>
        <ActionError value=enable.value()/>
        <ListTable id="users" columns rows=users selection=delete.selection cells=move |u: UserView| {
            let (id, name) = (u.id.clone(), u.name.clone());
            let (for_edit, for_pw) = (u.clone(), u.clone());
            let (id_enable, id_unlock) = (id.clone(), id.clone());
            let enabled = u.enabled;
            view! {
                <td>{name.clone()}{u.locked.then(|| view! { <span class="badge badge-warn">{t().locked}</span> })}</td>
                <td>{u.description}</td>
                <td>{u.email}</td>
                <td class="mono">{id.clone()}</td>
                <td>{yes_no(t(), enabled)}</td>
                <td>{u.domain_name}</td>
                <td class="row-actions">
                    <button class="btn btn-sm" on:click=move |_| dialog.set(Some(UserDialogKind::Edit(for_edit.clone())))>{t().edit_user}</button>
                    <button class="btn btn-sm" on:click=move |_| dialog.set(Some(UserDialogKind::Password(for_pw.clone())))>{t().change_password}</button>
                    <button class="btn btn-sm toggle-enabled" on:click=move |_| { enable.dispatch(SetUserEnabled { id: id_enable.clone(), enabled: !enabled }); }>
                        {if enabled { t().disable_user } else { t().enable_user }}
                    </button>
                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(id.clone(), name.clone())>{t().delete_user}</button>
                    {u.locked.then(|| view! {
                        <button class="btn btn-sm" on:click=move |_| { unlock.dispatch(UnlockUser { id: id_unlock.clone() }); }>{t().unlock}</button>
                    })}
                </td>
            }
        }/>
        {delete.dialog()}
        <Modal title=Signal::derive(move || t().create_user.to_string()) open=create_open>
            <CreateUserForm create/>
        </Modal>
        {move || dialog.get().map(|d| view! { <UserDialog dialog=d close=dialog update password/> })}
    }
}

#[component]
fn CreateUserForm(create: ServerAction<CreateUser>) -> impl IntoView {
    let t = use_texts();
    let projects = Resource::new(|| (), |_| list_projects(ListQuery::all()));
    let roles = Resource::new(|| (), |_| list_roles(ListQuery::all()));
    view! {
        <ActionForm action=create attr:id="create-user-form">
            <ActionError value=create.value()/>
            <label>{move || t().user_name}" *"<input type="text" name="name" required/></label>
            <label>{move || t().description}<textarea name="description"></textarea></label>
            <label>{move || t().email}<input type="email" name="email"/></label>
            <label>{move || t().password}" *"<input type="password" name="password" required minlength="8" autocomplete="new-password"/></label>
            <label>{move || t().confirm_password}" *"<input type="password" name="confirm" required autocomplete="new-password"/></label>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let projects = projects.await.map(|p| p.items).unwrap_or_default();
                    let roles = roles.await.map(|p| p.items).unwrap_or_default();
                    view! {
                        <label>{t().primary_project}
                            <select name="project_id">
                                <option value="">{t().none}</option>
                                {projects.into_iter().map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>{t().role}
                            <select name="role_id">
                                {roles.into_iter().map(|r| {
                                    let member = r.name == "member";
                                    view! { <option value=r.id.clone() selected=member>{r.name.clone()}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }
                })}
            </Transition>
            <label class="check"><input type="checkbox" name="enabled" value="on" checked/>{move || t().enabled}</label>
            <div class="modal-footer"><button type="submit" class="btn btn-primary">{move || t().create_user}</button></div>
        </ActionForm>
    }
}

#[component]
fn UserDialog(
    dialog: UserDialogKind,
    close: RwSignal<Option<UserDialogKind>>,
    update: ServerAction<UpdateUser>,
    password: ServerAction<SetUserPassword>,
) -> impl IntoView {
    let t = use_texts();
    let open = RwSignal::new(true);
    Effect::new(move |_| {
        if !open.get() {
            close.set(None);
        }
    });
    match dialog {
        UserDialogKind::Edit(u) => view! {
            <Dialog title=Signal::derive(move || t().edit_user.to_string()) open>
                <ActionForm action=update attr:id="edit-user-form">
                    <ActionError value=update.value()/>
                    <input type="hidden" name="id" value=u.id.clone()/>
                    <label>{move || t().user_name}<input type="text" name="name" required value=u.name.clone()/></label>
                    <label>{move || t().email}<input type="email" name="email" value=u.email.clone()/></label>
                    <label>{move || t().description}<textarea name="description">{u.description.clone()}</textarea></label>
                    <div class="modal-footer"><button type="submit" class="btn btn-primary">{move || t().save}</button></div>
                </ActionForm>
            </Dialog>
        }
        .into_any(),
        UserDialogKind::Password(u) => view! {
            <Dialog title=Signal::derive(move || t().change_password.to_string()) open>
                <ActionForm action=password attr:id="user-password-form">
                    <ActionError value=password.value()/>
                    <input type="hidden" name="id" value=u.id.clone()/>
                    <p>{u.name.clone()}</p>
                    <label>{move || t().password}<input type="password" name="password" required minlength="8" autocomplete="new-password"/></label>
                    <label>{move || t().confirm_password}<input type="password" name="confirm" required autocomplete="new-password"/></label>
                    <div class="modal-footer"><button type="submit" class="btn btn-primary">{move || t().save}</button></div>
                </ActionForm>
            </Dialog>
        }
        .into_any(),
    }
}
