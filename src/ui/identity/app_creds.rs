//! Identity → Application Credentials: Name, Project ID, Description, Expiration, ID,
//! Roles; create (the secret is shown once), delete (confirmed).

use leptos::prelude::*;

use crate::app::use_texts;
use crate::server_fns::identity::{list_app_creds, CreateAppCred, DeleteAppCreds};
use crate::types::AppCredView;
use crate::ui::components::{ActionError, ConfirmDelete, Modal};

#[component]
pub fn AppCredsPage() -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateAppCred>::new();
    let delete = ServerAction::<DeleteAppCreds>::new();
    let creds = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| list_app_creds(),
    );
    let create_open = RwSignal::new(false);
    let to_delete = RwSignal::new(None::<AppCredView>);
    let confirm_open = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            confirm_open.set(false);
        }
    });
    view! {
        <div class="page-header"><h2>{move || t().application_credentials}</h2></div>
        <div class="table-toolbar">
            <button class="btn btn-primary" id="create-app-cred" on:click=move |_| create_open.set(true)>"+ "{move || t().create_app_cred}</button>
        </div>
        <ActionError value=delete.value()/>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                let list = creds.await.unwrap_or_default();
                view! {
                    <table class="table" id="app-creds">
                        <thead><tr>
                            <th>{t().name}</th><th>{t().project_id}</th><th>{t().description}</th>
                            <th>{t().expiration}</th><th>"ID"</th><th>{t().roles}</th><th>{t().actions}</th>
                        </tr></thead>
                        <tbody>
                            {list.is_empty().then(|| view! { <tr><td colspan="7" class="empty">{t().no_items}</td></tr> })}
                            {list.into_iter().map(|a| {
                                let for_delete = a.clone();
                                view! {
                                    <tr data-name=a.name.clone()>
                                        <td>{a.name.clone()}</td><td class="mono">{a.project_id.clone()}</td><td>{a.description.clone()}</td>
                                        <td>{a.expires_at.clone().unwrap_or_else(|| t().none.to_string())}</td>
                                        <td class="mono">{a.id.clone()}</td><td>{a.roles.join(", ")}</td>
                                        <td class="row-actions">
                                            <button class="btn btn-sm btn-danger" on:click=move |_| { to_delete.set(Some(for_delete.clone())); confirm_open.set(true); }>{t().delete_app_cred}</button>
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
            title=Signal::derive(move || t().delete_app_cred.to_string())
            open=confirm_open
            names=Signal::derive(move || to_delete.get().map(|a| vec![a.name]).unwrap_or_default())
            pending=delete.pending().into()
            on_confirm=Callback::new(move |_| { if let Some(a) = to_delete.get_untracked() { delete.dispatch(DeleteAppCreds { ids: vec![a.id] }); } })
        />
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
