//! Project → Images (and Admin → Images): Name, Type, Status, Visibility, Protected,
//! Disk Format, Size; Create Image with an upload progress bar, Edit, Delete (confirmed),
//! Launch.

use leptos::prelude::*;

use super::human_size;
use super::launch::LaunchWizard;
use crate::i18n::use_texts;
use crate::server_fns::compute::{list_images, CreateImage, DeleteImages, UpdateImage};
use crate::types::ImageView;
use crate::ui::components::{
    close_on_success, use_list_query, yes_no, ActionError, BulkDelete, Column, CreateButton,
    ListHeader, ListTable, Modal,
};

#[component]
pub fn ImagesPage() -> impl IntoView {
    view! { <ImagesTable all_projects=false/> }
}

#[component]
pub fn AdminImagesPage() -> impl IntoView {
    view! { <ImagesTable all_projects=true/> }
}

/// The upload of a file to the portal's image endpoint, reporting progress (0–100).
#[cfg(feature = "hydrate")]
fn upload(
    id: &str,
    file: web_sys::File,
    progress: RwSignal<f64>,
    done: Callback<Result<(), String>>,
    t: &'static crate::i18n::Texts,
) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        done.run(Err(t.c.upload_not_sent.into()));
        return;
    };
    if xhr
        .open("PUT", &format!("/portal/images/{id}/file"))
        .is_err()
    {
        done.run(Err(t.c.upload_not_sent.into()));
        return;
    }
    let _ = xhr.set_request_header("Content-Type", "application/octet-stream");
    if let Ok(up) = xhr.upload() {
        let on_progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    progress.set(e.loaded() / e.total() * 100.0);
                }
            });
        up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        on_progress.forget();
    }
    let xhr2 = xhr.clone();
    let on_end = Closure::<dyn FnMut()>::new(move || {
        let status = xhr2.status().unwrap_or(0);
        if (200..300).contains(&status) {
            progress.set(100.0);
            done.run(Ok(()));
        } else {
            let text = xhr2.response_text().ok().flatten().unwrap_or_default();
            done.run(Err(if text.is_empty() {
                t.c.upload_status.replace("{status}", &status.to_string())
            } else {
                text
            }));
        }
    });
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    on_end.forget();
    if xhr.send_with_opt_blob(Some(&file)).is_err() {
        done.run(Err(t.c.upload_not_sent.into()));
    }
}

fn image_columns(all_projects: bool) -> Vec<Column> {
    let mut columns = Vec::new();
    if all_projects {
        columns.push(Column::new(|t| t.c.project_col));
    }
    columns.extend([
        Column::new(|t| t.name),
        Column::new(|t| t.c.image_type),
        Column::new(|t| t.status),
        Column::new(|t| t.c.visibility),
        Column::new(|t| t.c.protected),
        Column::new(|t| t.c.disk_format),
        Column::new(|t| t.c.size),
        Column::actions(),
    ]);
    columns
}

#[component]
fn ImagesTable(all_projects: bool) -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let create = ServerAction::<CreateImage>::new();
    let update = ServerAction::<UpdateImage>::new();
    let delete = BulkDelete::new(|ids| DeleteImages { ids }, |t| t.c.delete_images);
    let uploaded = RwSignal::new(0u64);
    let images = Resource::new(
        move || {
            (
                query.get(),
                create.version().get(),
                update.version().get(),
                delete.version(),
                uploaded.get(),
            )
        },
        move |(q, ..)| list_images(q, all_projects),
    );
    let create_open = RwSignal::new(false);
    let edit_open = RwSignal::new(false);
    let launch_open = RwSignal::new(false);
    let launch_image = RwSignal::new(String::new());
    let editing: RwSignal<Option<ImageView>> = RwSignal::new(None);
    let progress = RwSignal::new(-1.0f64);
    let upload_error: RwSignal<Option<String>> = RwSignal::new(None);
    let file_input: NodeRef<leptos::html::Input> = NodeRef::new();
    // Form fields.
    let name = RwSignal::new(String::new());
    let disk_format = RwSignal::new("qcow2".to_string());
    let visibility = RwSignal::new("private".to_string());
    let min_disk = RwSignal::new(0i64);
    let min_ram = RwSignal::new(0i64);
    let protected = RwSignal::new(false);
    close_on_success(update, edit_open);
    // Once the record exists, send the file with a progress bar.
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            upload_error.set(None);
            progress.set(0.0);
            let done = Callback::new(move |r: Result<(), String>| {
                match r {
                    Ok(()) => {
                        create_open.set(false);
                        progress.set(-1.0);
                    }
                    Err(e) => upload_error.set(Some(e)),
                }
                uploaded.update(|v| *v += 1);
            });
            #[cfg(feature = "hydrate")]
            {
                match file_input
                    .get_untracked()
                    .and_then(|i| i.files())
                    .and_then(|f| f.get(0))
                {
                    Some(file) => upload(&id, file, progress, done, t()),
                    None => done.run(Err(t().c.no_file_chosen.into())),
                }
            }
            #[cfg(not(feature = "hydrate"))]
            {
                let _ = (id, done, file_input);
            }
        }
    });
    view! {
        <ListHeader title=|t| t.c.images>
            <CreateButton id="create-image" label=|t| t.c.create_image open=create_open before=Callback::new(move |_| { progress.set(-1.0); upload_error.set(None); })/>
            {delete.button("delete-images")}
        </ListHeader>
        <ListTable id="images" columns=image_columns(all_projects) rows=images selection=delete.selection cells=move |i: ImageView| {
            let (id, name_) = (i.id.clone(), i.name.clone());
            let launch_id = i.id.clone();
            let edit = i.clone();
            let active = i.status == "active";
            view! {
                {all_projects.then(|| view! { <td class="mono">{i.owner.clone()}</td> })}
                <td>{i.name.clone()}</td><td>{i.image_type.clone()}</td>
                <td><span class="badge" class:badge-ok=active data-status=i.status.clone()>{i.status.clone()}</span></td>
                <td>{i.visibility.clone()}</td><td>{yes_no(t(), i.protected)}</td>
                <td>{i.disk_format.to_uppercase()}</td><td>{human_size(i.size)}</td>
                <td class="row-actions">
                    {(active && !all_projects).then(|| view! { <button class="btn btn-sm launch-row" on:click=move |_| { launch_image.set(launch_id.clone()); launch_open.set(true); }>{t().c.launch}</button> })}
                    <button class="btn btn-sm edit-row" on:click=move |_| {
                        name.set(edit.name.clone()); visibility.set(edit.visibility.clone());
                        min_disk.set(edit.min_disk); min_ram.set(edit.min_ram); protected.set(edit.protected);
                        editing.set(Some(edit.clone())); edit_open.set(true);
                    }>{t().c.edit_image}</button>
                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(id.clone(), name_.clone())>{t().c.delete_image}</button>
                </td>
            }
        }/>
        {delete.dialog()}
        <Modal title=Signal::derive(move || t().c.create_image.to_string()) open=create_open>
            <form id="create-image-form" on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(CreateImage {
                    name: name.get_untracked(),
                    disk_format: disk_format.get_untracked(),
                    container_format: "bare".into(),
                    visibility: visibility.get_untracked(),
                    min_disk: min_disk.get_untracked(),
                    min_ram: min_ram.get_untracked(),
                    protected: protected.get_untracked(),
                });
            }>
                <ActionError value=create.value()/>
                {move || upload_error.get().map(|e| view! { <div class="alert alert-error" role="alert">{t().c.upload_failed}" "{e}</div> })}
                <label>{move || t().name}" *"<input type="text" name="name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>{move || t().c.image_file}" *"<input type="file" name="file" id="image-file" required node_ref=file_input/></label>
                <label>{move || t().c.disk_format}
                    <select name="disk_format" on:change=move |ev| disk_format.set(event_target_value(&ev))>
                        {["qcow2", "raw", "iso", "vmdk", "vdi", "vhd", "vhdx", "ami", "aki", "ari"].into_iter().map(|f| view! {
                            <option value=f selected=move || disk_format.get() == f>{f.to_uppercase()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <VisibilityPicker visibility/>
                <label>{move || t().c.min_disk}<input type="number" min="0" name="min_disk" prop:value=move || min_disk.get().to_string() on:input=move |ev| min_disk.set(event_target_value(&ev).parse().unwrap_or(0))/></label>
                <label>{move || t().c.min_ram}<input type="number" min="0" name="min_ram" prop:value=move || min_ram.get().to_string() on:input=move |ev| min_ram.set(event_target_value(&ev).parse().unwrap_or(0))/></label>
                <label class="inline"><input type="checkbox" name="protected" prop:checked=move || protected.get() on:change=move |ev| protected.set(event_target_checked(&ev))/>{move || t().c.protected}</label>
                {move || (progress.get() >= 0.0).then(|| view! {
                    <div class="upload-progress" id="upload-progress">
                        <span>{t().c.uploading}</span>
                        <progress max="100" value=progress.get()></progress>
                        <span class="pct">{format!("{:.0}%", progress.get())}</span>
                    </div>
                })}
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || { let p = progress.get(); create.pending().get() || (p >= 0.0 && p < 100.0 && upload_error.get().is_none()) }>{move || t().c.create_image}</button></div>
            </form>
        </Modal>
        <Modal title=Signal::derive(move || t().c.edit_image.to_string()) open=edit_open>
            <form id="edit-image-form" on:submit=move |ev| {
                ev.prevent_default();
                if let Some(img) = editing.get_untracked() {
                    update.dispatch(UpdateImage { id: img.id, name: name.get_untracked(), visibility: visibility.get_untracked(), min_disk: min_disk.get_untracked(), min_ram: min_ram.get_untracked(), protected: protected.get_untracked() });
                }
            }>
                <ActionError value=update.value()/>
                <label>{move || t().name}" *"<input type="text" name="name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <VisibilityPicker visibility/>
                <label>{move || t().c.min_disk}<input type="number" min="0" prop:value=move || min_disk.get().to_string() on:input=move |ev| min_disk.set(event_target_value(&ev).parse().unwrap_or(0))/></label>
                <label>{move || t().c.min_ram}<input type="number" min="0" prop:value=move || min_ram.get().to_string() on:input=move |ev| min_ram.set(event_target_value(&ev).parse().unwrap_or(0))/></label>
                <label class="inline"><input type="checkbox" prop:checked=move || protected.get() on:change=move |ev| protected.set(event_target_checked(&ev))/>{move || t().c.protected}</label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary" disabled=move || update.pending().get()>{move || t().save}</button></div>
            </form>
        </Modal>
        {(!all_projects).then(|| view! { <LaunchWizard open=launch_open preset_image=launch_image on_launched=Callback::new(move |_| ())/> })}
    }
}

#[component]
fn VisibilityPicker(visibility: RwSignal<String>) -> impl IntoView {
    let t = use_texts();
    view! {
        <label>{move || t().c.visibility}
            <select name="visibility" on:change=move |ev| visibility.set(event_target_value(&ev))>
                {move || {
                    let c = t().c;
                    [("private", c.private), ("shared", c.shared), ("community", c.community), ("public", c.public)].into_iter().map(|(v, label)| view! {
                        <option value=v selected=move || visibility.get() == v>{label}</option>
                    }).collect_view()
                }}
            </select>
        </label>
    }
}
