//! Project → Key Pairs: Name, Fingerprint, Type; Create Key Pair (the private key is
//! offered once as `NAME.pem`), Import Public Key, delete (confirmed).

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::compute::{list_keypairs, CreateKeypair, DeleteKeypairs};
use crate::ui::components::{ActionError, ConfirmDelete, Modal, RowCheck, Selection};

/// Percent-encodes text for a `data:` URL.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn KeypairsPage() -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateKeypair>::new();
    let delete = ServerAction::<DeleteKeypairs>::new();
    let keypairs = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| list_keypairs(),
    );
    let selected = Selection::new();
    let confirm_open = RwSignal::new(false);
    let create_open = RwSignal::new(false);
    let import_open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let public_key = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            confirm_open.set(false);
            selected.clear();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(None)) = create.value().get() {
            import_open.set(false);
        }
    });
    let submit = move |import: bool| {
        last_name.set(name.get_untracked());
        create.dispatch(CreateKeypair {
            name: name.get_untracked(),
            public_key: import.then(|| public_key.get_untracked()),
        });
    };
    view! {
        <div class="page-header"><h2>{move || t().c.key_pairs}</h2></div>
        <div class="table-toolbar">
            <button class="btn btn-primary" id="create-key-pair" on:click=move |_| { name.set(String::new()); create_open.set(true); }>"+ "{move || t().c.create_key_pair}</button>
            <button class="btn" id="import-key-pair" on:click=move |_| { name.set(String::new()); import_open.set(true); }>{move || t().c.import_key_pair}</button>
            <button class="btn btn-danger" id="delete-key-pairs" disabled=move || selected.is_empty() on:click=move |_| confirm_open.set(true)>{move || t().c.delete_key_pairs}</button>
        </div>
        <ActionError value=delete.value()/>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match keypairs.await {
                    Err(e) => view! { <div class="alert alert-error">{e.to_string()}</div> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" id="key-pairs">
                            <thead><tr><th class="select"></th><th>{t().name}</th><th>{t().c.key_type}</th><th>{t().c.fingerprint}</th><th>{t().actions}</th></tr></thead>
                            <tbody>
                                {list.is_empty().then(|| view! { <tr><td colspan="5" class="empty">{t().no_items}</td></tr> })}
                                {list.into_iter().map(|k| {
                                    let n = k.name.clone();
                                    let n2 = n.clone();
                                    view! {
                                        <tr data-name=k.name.clone()>
                                            <RowCheck selection=selected id=n.clone() name=n.clone()/>
                                            <td>{k.name.clone()}</td><td>{k.key_type.clone()}</td><td class="mono">{k.fingerprint.clone()}</td>
                                            <td class="row-actions"><button class="btn btn-sm btn-danger delete-row" on:click=move |_| { selected.only(n2.clone(), n2.clone()); confirm_open.set(true); }>{t().delete}</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
        <ConfirmDelete
            title=Signal::derive(move || t().c.delete_key_pairs.to_string())
            open=confirm_open
            names=Signal::derive(move || selected.names())
            pending=delete.pending().into()
            on_confirm=Callback::new(move |_| { delete.dispatch(DeleteKeypairs { names: selected.ids() }); })
        />
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
