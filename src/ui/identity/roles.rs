//! Identity → Roles: Role Name, Role ID; create, delete (confirmed), and an implied-roles
//! editor (which Horizon lacks): tick the roles each role implies.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::i18n::use_texts;
use crate::server_fns::identity::{list_roles, CreateRole, DeleteRoles, SetImpliedRole};
use crate::types::{ListQuery, RoleView};
use crate::ui::components::{
    close_on_success, use_list_query, ActionError, BulkDelete, Column, CreateButton, ListHeader,
    ListTable, Modal, TableRow,
};

/// A row of the Roles table: the role, and the other roles it may imply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct RoleRow {
    role: RoleView,
    others: Vec<RoleView>,
}

impl TableRow for RoleRow {
    fn row_id(&self) -> String {
        self.role.id.clone()
    }
    fn row_name(&self) -> String {
        self.role.name.clone()
    }
    /// Built-in roles cannot be deleted.
    fn selectable(&self) -> bool {
        !self.role.builtin
    }
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let create = ServerAction::<CreateRole>::new();
    let delete = BulkDelete::new(|ids| DeleteRoles { ids }, |t| t.delete_roles);
    let imply = ServerAction::<SetImpliedRole>::new();
    let roles = Resource::new(
        move || {
            (
                query.get(),
                create.version().get(),
                delete.version(),
                imply.version().get(),
            )
        },
        |(q, ..)| async move {
            // The implied-roles editor offers every role, whatever page is shown.
            let all = list_roles(ListQuery::all()).await?.items;
            let page = list_roles(q).await?;
            Ok::<_, crate::types::AppError>(page.map(|role| RoleRow {
                others: all.iter().filter(|o| o.id != role.id).cloned().collect(),
                role,
            }))
        },
    );
    let create_open = RwSignal::new(false);
    close_on_success(create, create_open);
    let columns = vec![
        Column::sorted(|t| t.name, "name"),
        Column::sorted(|t| t.role_id, "id"),
        Column::new(|t| t.implied_roles),
        Column::actions(),
    ];
    view! {
        <ListHeader title=|t| t.roles>
            <CreateButton id="create-role" label=|t| t.create_role open=create_open/>
            {delete.button("delete-roles")}
        </ListHeader>
        <ActionError value=imply.value()/>
        <ListTable id="roles" columns rows=roles selection=delete.selection cells=move |RoleRow { role: r, others }| {
            let prior = r.id.clone();
            let (id, name) = (r.id.clone(), r.name.clone());
            view! {
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
                        <button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(id.clone(), name.clone())>{t().delete_role}</button>
                    })}
                </td>
            }
        }/>
        {delete.dialog()}
        <Modal title=Signal::derive(move || t().create_role.to_string()) open=create_open>
            <ActionForm action=create attr:id="create-role-form">
                <ActionError value=create.value()/>
                <label>{move || t().name}" *"<input type="text" name="name" required/></label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary">{move || t().create_role}</button></div>
            </ActionForm>
        </Modal>
    }
}
