//! Project → Key Pairs: Name, Fingerprint, Type; Create Key Pair (the private key is
//! offered once as `NAME.pem`), Import Public Key, delete (confirmed).

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::compute::{list_keypairs, CreateKeypair, DeleteKeypairs};
use crate::types::KeypairView;
use crate::ui::components::{
    urlencode, use_list_query, ActionError, BulkDelete, Column, CreateButton, ListHeader,
    ListTable, Modal, TableRow,
};

/// A key pair is known by its name.
impl TableRow for KeypairView {
    fn row_id(&self) -> String {
        self.name.clone()
    }
    fn row_name(&self) -> String {
        self.name.clone()
    }
}

#[component]
pub fn KeypairsPage() -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateKeypair>::new();
    let delete = BulkDelete::new(|names| DeleteKeypairs { names }, |t| t.c.delete_key_pairs);
    let query = use_list_query();
    let keypairs = Resource::new(
        move || (query.get(), create.version().get(), delete.version()),
        |(q, ..)| list_keypairs(q),
    );
    let create_open = RwSignal::new(false);
    let import_open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let public_key = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(None)) = create.value().get() {
            import_open.set(false);
        }
    });
    let columns = vec![
        Column::sorted(|t| t.name, "name"),
        Column::new(|t| t.c.key_type),
        Column::sorted(|t| t.c.fingerprint, "fingerprint"),
        Column::actions(),
    ];
    let submit = move |import: bool| {
        last_name.set(name.get_untracked());
        create.dispatch(CreateKeypair {
            name: name.get_untracked(),
            public_key: import.then(|| public_key.get_untracked()),
        });
    };
    view! {
        <ListHeader title=|t| t.c.key_pairs>
            <CreateButton id="create-key-pair" label=|t| t.c.create_key_pair open=create_open before=Callback::new(move |_| { name.set(String::new()); })/>
            <button class="btn" id="import-key-pair" on:click=move |_| { name.set(String::new()); import_open.set(true); }>{move || t().c.import_key_pair}</button>
            {delete.button("delete-key-pairs")}
        </ListHeader>
        <ListTable id="key-pairs" columns rows=keypairs selection=delete.selection cells=move |k: KeypairView| {
            let name = k.name.clone();
            view! {
                <td>{k.name}</td><td>{k.key_type}</td><td class="mono">{k.fingerprint}</td>
                <td class="row-actions"><button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(name.clone(), name.clone())>{t().delete}</button></td>
            }
        }/>
        {delete.dialog()}
        <Modal title=Signal::derive(move || t().c.create_key_pair.to_string()) open=create_open>
            <form id="create-key-pair-form" on:submit=move |ev| { ev.prevent_default(); submit(false); }>
                <ActionError value=create.value()/>
                <label>{move || t().name}" *"<input type="text" name="name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>{move || t().c.create_key_pair}</button></div>
            </form>
            {move || create.value().get().and_then(|r| r.ok()).flatten().map(|pem| {
                let href = format!("data:application/x-pem-file;charset=utf-8,{}", urlencode(&pem));
                view! {
                    <div class="alert alert-info" id="private-key">
                        <p>{t().c.private_key_once}</p>
                        <a class="btn btn-primary" id="download-private-key" href=href download=format!("{}.pem", last_name.get_untracked())>{t().c.download_private_key}</a>
                    </div>
                }
            })}
        </Modal>
        <Modal title=Signal::derive(move || t().c.import_key_pair.to_string()) open=import_open>
            <form id="import-key-pair-form" on:submit=move |ev| { ev.prevent_default(); submit(true); }>
                <ActionError value=create.value()/>
                <label>{move || t().name}" *"<input type="text" name="name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>{move || t().c.public_key}" *"<textarea name="public_key" rows="6" required prop:value=move || public_key.get() on:input=move |ev| public_key.set(event_target_value(&ev))></textarea></label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>{move || t().c.import_key_pair}</button></div>
            </form>
        </Modal>
    }
}
