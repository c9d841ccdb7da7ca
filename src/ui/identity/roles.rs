//! Identity → Roles: Role Name, Role ID; create, delete (confirmed), and an implied-roles
//! editor (which Horizon lacks): tick the roles each role implies.

use leptos::prelude::*;

use crate::app::use_texts;
use crate::server_fns::identity::{list_roles, CreateRole, DeleteRoles, SetImpliedRole};
use crate::types::RoleView;
use crate::ui::components::{ActionError, ConfirmDelete, Modal};

#[component]
pub fn RolesPage() -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateRole>::new();
    let delete = ServerAction::<DeleteRoles>::new();
    let imply = ServerAction::<SetImpliedRole>::new();
    let roles = Resource::new(
        move || {
            (
                create.version().get(),
                delete.version().get(),
                imply.version().get(),
            )
        },
        |_| list_roles(),
    );
    let create_open = RwSignal::new(false);
    let to_delete = RwSignal::new(None::<RoleView>);
    let confirm_open = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = create.value().get() {
            create_open.set(false);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            confirm_open.set(false);
        }
    });
    view! {
        <div class="page-header"><h2>{move || t().roles}</h2></div>
        <div class="table-toolbar">
            <button class="btn btn-primary" id="create-role" on:click=move |_| create_open.set(true)>"+ "{move || t().create_role}</button>
        </div>
        <ActionError value=delete.value()/>
        <ActionError value=imply.value()/>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                let list = roles.await.unwrap_or_default();
                let all = list.clone();
                view! {
                    <table class="table" id="roles">
                        <thead><tr><th>{t().name}</th><th>{t().role_id}</th><th>{t().implied_roles}</th><th>{t().actions}</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|r| {
                                let for_delete = r.clone();
                                let others: Vec<RoleView> = all.iter().filter(|o| o.id != r.id).cloned().collect();
                                let prior = r.id.clone();
                                view! {
                                    <tr data-name=r.name.clone()>
                                        <td>{r.name.clone()}</td>
                                        <td class="mono">{r.id.clone()}</td>
                                        <td class="implies">
                                            {others.into_iter().map(|o| {
                                                let on = r.implies.contains(&o.name);
                                                let (prior, implied) = (prior.clone(), o.id.clone());
                                                view! {
                                                    <label class="check chip"><input type="checkbox" checked=on on:change=move |ev| {
                                                        imply.dispatch(SetImpliedRole { prior_id: prior.clone(), implied_id: implied.clone(), implied: event_target_checked(&ev) });
                                                    }/>{o.name.clone()}</label>
                                                }
                                            }).collect_view()}
                                        </td>
                                        <td class="row-actions">
                                            {(!r.builtin).then(|| view! {
                                                <button class="btn btn-sm btn-danger" on:click=move |_| { to_delete.set(Some(for_delete.clone())); confirm_open.set(true); }>{t().delete_role}</button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            })}
        </Transition>
        <ConfirmDelete
            title=Signal::derive(move || t().delete_role.to_string())
            open=confirm_open
            names=Signal::derive(move || to_delete.get().map(|r| vec![r.name]).unwrap_or_default())
            pending=delete.pending().into()
            on_confirm=Callback::new(move |_| { if let Some(r) = to_delete.get_untracked() { delete.dispatch(DeleteRoles { ids: vec![r.id] }); } })
        />
        <Modal title=Signal::derive(move || t().create_role.to_string()) open=create_open>
            <ActionForm action=create attr:id="create-role-form">
                <ActionError value=create.value()/>
                <label>{move || t().name}" *"<input type="text" name="name" required/></label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary">{move || t().create_role}</button></div>
            </ActionForm>
        </Modal>
    }
}
