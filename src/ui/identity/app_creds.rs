//! Identity → Application Credentials: Name, Project ID, Description, Expiration, ID,
//! Roles; create (the secret is shown once), delete (confirmed).

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::{list_app_creds, CreateAppCred, DeleteAppCreds};
use crate::types::AppCredView;
use crate::ui::components::{
    use_list_query, ActionError, BulkDelete, Column, CreateButton, ListHeader, ListTable, Modal,
};

#[component]
pub fn AppCredsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let create = ServerAction::<CreateAppCred>::new();
    let delete = BulkDelete::new(|ids| DeleteAppCreds { ids }, |t| t.delete_app_creds);
    let creds = Resource::new(
        move || (query.get(), create.version().get(), delete.version()),
        |(q, ..)| list_app_creds(q),
    );
    let create_open = RwSignal::new(false);
    let columns = vec![
        Column::sorted(|t| t.name, "name"),
        Column::sorted(|t| t.project_id, "project_id"),
        Column::new(|t| t.description),
        Column::sorted(|t| t.expiration, "expires_at"),
        Column::sorted(|_| "ID", "id"),
        Column::new(|t| t.roles),
        Column::actions(),
    ];
    view! {
        <ListHeader title=|t| t.application_credentials>
            <CreateButton id="create-app-cred" label=|t| t.create_app_cred open=create_open/>
            {delete.button("delete-app-creds")}
        </ListHeader>
        <ListTable id="app-creds" columns rows=creds selection=delete.selection cells=move |a: AppCredView| {
            let (id, name) = (a.id.clone(), a.name.clone());
            view! {
                <td>{a.name}</td><td class="mono">{a.project_id}</td><td>{a.description}</td>
                <td>{a.expires_at.unwrap_or_else(|| t().none.to_string())}</td>
                <td class="mono">{a.id}</td><td>{a.roles.join(", ")}</td>
                <td class="row-actions">
                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(id.clone(), name.clone())>{t().delete_app_cred}</button>
                </td>
            }
        }/>
        {delete.dialog()}
        <Modal title=Signal::derive(move || t().create_app_cred.to_string()) open=create_open>
            <ActionForm action=create attr:id="create-app-cred-form">
                <ActionError value=create.value()/>
                <label>{move || t().name}" *"<input type="text" name="name" required/></label>
                <label>{move || t().description}<textarea name="description"></textarea></label>
                <label>{move || t().expiration}<input type="datetime-local" name="expires_at"/></label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary">{move || t().create}</button></div>
            </ActionForm>
            {move || create.value().get().and_then(|r| r.ok()).map(|s| view! {
                <div class="alert alert-info" id="app-cred-secret">
                    <p>{t().secret_once}</p>
                    <p>"ID: "<code>{s.id}</code></p>
                    <p>{t().secret}": "<code class="secret">{s.secret}</code></p>
                </div>
            })}
        </Modal>
    }
}
