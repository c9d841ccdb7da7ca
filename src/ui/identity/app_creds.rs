//! Identity → Application Credentials: Name, Project ID, Description, Expiration, ID,
//! Roles; create (the secret is shown once), delete (confirmed).

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::{list_app_creds, CreateAppCred, DeleteAppCreds};
use crate::ui::components::{
    use_list_query, ActionError, ConfirmDelete, FilterBox, Modal, Pager, RowCheck, Selection,
    SortHeader,
};

#[component]
pub fn AppCredsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let create = ServerAction::<CreateAppCred>::new();
    let delete = ServerAction::<DeleteAppCreds>::new();
    let creds = Resource::new(
        move || (query.get(), create.version().get(), delete.version().get()),
        |(q, ..)| list_app_creds(q),
    );
    let create_open = RwSignal::new(false);
    let selected = Selection::new();
    let confirm_open = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            confirm_open.set(false);
            selected.clear();
        }
    });
    view! {
        <div class="page-header"><h2>{move || t().application_credentials}</h2></div>
        <div class="table-toolbar">
            <FilterBox/>
            <button class="btn btn-primary" id="create-app-cred" on:click=move |_| create_open.set(true)>"+ "{move || t().create_app_cred}</button>
            <button class="btn btn-danger" id="delete-app-creds" disabled=move || selected.is_empty()
                on:click=move |_| confirm_open.set(true)>{move || t().delete_app_creds}</button>
        </div>
        <ActionError value=delete.value()/>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match creds.await {
                    Err(e) => view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                    Ok(page) => {
                        let (total, pages) = (page.total, page.pages());
                        view! {
                            <table class="table" id="app-creds">
                                <thead><tr>
                                    <th class="select"></th>
                                    <SortHeader label=t().name column="name"/>
                                    <SortHeader label=t().project_id column="project_id"/>
                                    <th>{t().description}</th>
                                    <SortHeader label=t().expiration column="expires_at"/>
                                    <SortHeader label="ID" column="id"/>
                                    <th>{t().roles}</th>
                                    <th>{t().actions}</th>
                                </tr></thead>
                                <tbody>
                                    {page.items.is_empty().then(|| view! { <tr><td colspan="8" class="empty">{t().no_items}</td></tr> })}
                                    {page.items.into_iter().map(|a| {
                                        let (id, name) = (a.id.clone(), a.name.clone());
                                        view! {
                                            <tr data-name=a.name.clone()>
                                                <RowCheck selection=selected id=id.clone() name=name.clone()/>
                                                <td>{a.name.clone()}</td><td class="mono">{a.project_id.clone()}</td><td>{a.description.clone()}</td>
                                                <td>{a.expires_at.clone().unwrap_or_else(|| t().none.to_string())}</td>
                                                <td class="mono">{a.id.clone()}</td><td>{a.roles.join(", ")}</td>
                                                <td class="row-actions">
                                                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| { selected.only(id.clone(), name.clone()); confirm_open.set(true); }>{t().delete_app_cred}</button>
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
            title=Signal::derive(move || t().delete_app_creds.to_string())
            open=confirm_open
            names=Signal::derive(move || selected.names())
            pending=delete.pending().into()
            on_confirm=Callback::new(move |_| { delete.dispatch(DeleteAppCreds { ids: selected.ids() }); })
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
