//! Identity → Roles: Role Name, Role ID; create, delete (confirmed), and an implied-roles
//! editor (which Horizon lacks): tick the roles each role implies.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::{list_roles, CreateRole, DeleteRoles, SetImpliedRole};
use crate::types::{ListQuery, RoleView};
use crate::ui::components::{
    use_list_query, ActionError, ConfirmDelete, FilterBox, Modal, Pager, RowCheck, Selection,
    SortHeader,
};

#[component]
pub fn RolesPage() -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let create = ServerAction::<CreateRole>::new();
    let delete = ServerAction::<DeleteRoles>::new();
    let imply = ServerAction::<SetImpliedRole>::new();
    let roles = Resource::new(
        move || {
            (
                query.get(),
                create.version().get(),
                delete.version().get(),
                imply.version().get(),
            )
        },
        |(q, ..)| async move {
            // The implied-roles editor offers every role, whatever page is shown.
            let all = list_roles(ListQuery::all()).await?.items;
            Ok::<_, crate::types::AppError>((list_roles(q).await?, all))
        },
    );
    let create_open = RwSignal::new(false);
    let selected = Selection::new();
    let confirm_open = RwSignal::new(false);
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
        <div class="page-header"><h2>{move || t().roles}</h2></div>
        <div class="table-toolbar">
            <FilterBox/>
            <button class="btn btn-primary" id="create-role" on:click=move |_| create_open.set(true)>"+ "{move || t().create_role}</button>
            <button class="btn btn-danger" id="delete-roles" disabled=move || selected.is_empty()
                on:click=move |_| confirm_open.set(true)>{move || t().delete_roles}</button>
        </div>
        <ActionError value=delete.value()/>
        <ActionError value=imply.value()/>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                let (page, all) = match roles.await {
                    Ok(v) => v,
                    Err(e) => return view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                };
                let (total, pages) = (page.total, page.pages());
                view! {
                    <table class="table" id="roles">
                        <thead><tr>
                            <th class="select"></th>
                            <SortHeader label=t().name column="name"/>
                            <SortHeader label=t().role_id column="id"/>
                            <th>{t().implied_roles}</th>
                            <th>{t().actions}</th>
                        </tr></thead>
                        <tbody>
                            {page.items.is_empty().then(|| view! { <tr><td colspan="5" class="empty">{t().no_items}</td></tr> })}
                            {page.items.into_iter().map(|r| {
                                let others: Vec<RoleView> = all.iter().filter(|o| o.id != r.id).cloned().collect();
                                let prior = r.id.clone();
                                let (id, name) = (r.id.clone(), r.name.clone());
                                view! {
                                    <tr data-name=r.name.clone()>
                                        {if r.builtin {
                                            view! { <td class="select"></td> }.into_any()
                                        } else {
                                            view! { <RowCheck selection=selected id=id.clone() name=name.clone()/> }.into_any()
                                        }}
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
                                                <button class="btn btn-sm btn-danger delete-row" on:click=move |_| { selected.only(id.clone(), name.clone()); confirm_open.set(true); }>{t().delete_role}</button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <Pager total pages/>
                }.into_any()
            })}
        </Transition>
        <ConfirmDelete
            title=Signal::derive(move || t().delete_roles.to_string())
            open=confirm_open
            names=Signal::derive(move || selected.names())
            pending=delete.pending().into()
            on_confirm=Callback::new(move |_| { delete.dispatch(DeleteRoles { ids: selected.ids() }); })
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
