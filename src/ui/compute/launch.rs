//! Horizon's Launch Instance wizard: Details, Source, Flavor (with the impact on the
//! project's quota, and flavors too small for the image marked), Networks, Key Pair (create
//! or import on the spot), Configuration (user data).

use leptos::prelude::*;

use super::quota_label;
use crate::i18n::use_texts;
use crate::server_fns::compute::{launch_options, CreateKeypair, LaunchInstance};
use crate::types::{FlavorView, ImageView, LaunchRequest};
use crate::ui::components::{ActionError, Modal};

/// Details, Source, Flavor, Networks, Key Pair, Configuration.
const LAST_STEP: usize = 6;

#[component]
pub fn LaunchWizard(
    open: RwSignal<bool>,
    on_launched: Callback<()>,
    /// The image to boot, chosen already (an image's Launch action).
    #[prop(optional)]
    preset_image: Option<RwSignal<String>>,
) -> impl IntoView {
    let t = use_texts();
    let step = RwSignal::new(0usize);
    let create_key = ServerAction::<CreateKeypair>::new();
    let options = Resource::new(
        move || (open.get(), create_key.version().get()),
        |_| launch_options(),
    );
    let launch = ServerAction::<LaunchInstance>::new();
    let name = RwSignal::new(String::new());
    let count = RwSignal::new(1u32);
    let image = RwSignal::new(String::new());
    Effect::new(move |_| {
        if open.get() {
            if let Some(preset) = preset_image {
                let chosen = preset.get_untracked();
                if !chosen.is_empty() {
                    image.set(chosen);
                }
            }
        }
    });
    let flavor = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let user_data = RwSignal::new(String::new());
    // Chosen networks in order, and security groups.
    let nets = RwSignal::new(Vec::<String>::new());
    let groups = RwSignal::new(vec!["default".to_string()]);
    let new_key_name = RwSignal::new(String::new());
    let import_key = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = launch.value().get() {
            open.set(false);
            step.set(0);
            name.set(String::new());
            on_launched.run(());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = create_key.value().get() {
            key.set(new_key_name.get_untracked());
        }
    });
    let step_names = move || {
        let c = t().c;
        [
            c.details,
            c.source,
            c.flavor,
            c.networks,
            t().n.security_groups,
            c.key_pair,
            c.configuration,
        ]
    };
    let submit = move || {
        launch.dispatch(LaunchInstance {
            request: LaunchRequest {
                name: name.get_untracked(),
                count: count.get_untracked(),
                image_id: image.get_untracked(),
                flavor_id: flavor.get_untracked(),
                key_name: Some(key.get_untracked()).filter(|k| !k.is_empty()),
                user_data: user_data.get_untracked(),
                networks: nets.get_untracked(),
                security_groups: groups.get_untracked(),
            },
        });
    };
    view! {
        <Modal title=Signal::derive(move || t().c.launch_instance.to_string()) open>
            <div class="wizard" id="launch-wizard">
                <ol class="wizard-steps">
                    {move || step_names().into_iter().enumerate().map(|(n, label)| view! {
                        <li class:active=move || step.get() == n>
                            <button class="link" data-step=n on:click=move |_| step.set(n)>{label}</button>
                        </li>
                    }).collect_view()}
                </ol>
                <ActionError value=launch.value()/>
                <Transition fallback=move || view! { <p>{t().loading}</p> }>
                    {move || Suspend::new(async move {
                        let opts = match options.await {
                            Ok(o) => o,
                            Err(e) => return view! { <div class="alert alert-error">{crate::ui::components::error_text(t(), e)}</div> }.into_any(),
                        };
                        let images = opts.images.clone();
                        let flavors = opts.flavors.clone();
                        let keypairs = opts.keypairs.clone();
                        let quota = opts.quota.clone();
                        let network_choices = opts.networks.clone();
                        let group_choices = opts.security_groups.clone();
                        let chosen_image = {
                            let images = images.clone();
                            move || images.iter().find(|i| i.id == image.get()).cloned()
                        };
                        let chosen_image2 = chosen_image.clone();
                        view! {
                            <div class="wizard-body">
                                <Show when=move || step.get() == 0>
                                    <label>{move || t().c.instance_name}" *"
                                        <input type="text" id="instance-name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                                    <label>{move || t().c.availability_zone}<select disabled><option>"nova"</option></select></label>
                                    <label>{move || t().c.count}" *"
                                        <input type="number" id="instance-count" min="1" prop:value=move || count.get().to_string() on:input=move |ev| count.set(event_target_value(&ev).parse().unwrap_or(1))/></label>
                                </Show>
                                <Show when=move || step.get() == 1>
                                    <p class="help">{move || t().c.select_boot_source}</p>
                                    <ImagePicker images=images.clone() selected=image/>
                                </Show>
                                <Show when=move || step.get() == 2>
                                    <p class="help">{move || t().c.select_flavor}</p>
                                    <FlavorPicker flavors=flavors.clone() selected=flavor image=Signal::derive(chosen_image2.clone())/>
                                    <h4>{move || t().c.impact_on_quota}</h4>
                                    <div class="quota-impact" id="quota-impact">
                                        {
                                            let quota = quota.clone();
                                            let flavors = flavors.clone();
                                            move || {
                                                let f = flavors.iter().find(|f| f.id == flavor.get()).cloned();
                                                let n = count.get() as i64;
                                                quota.iter().filter(|q| q.resource != "key_pairs").map(|q| {
                                                    let adding = match (q.resource.as_str(), &f) {
                                                        ("instances", _) => n,
                                                        ("cores", Some(f)) => n * f.vcpus,
                                                        ("ram", Some(f)) => n * f.ram,
                                                        _ => 0,
                                                    };
                                                    let over = q.limit >= 0 && q.used + adding > q.limit;
                                                    let pct = |v: i64| if q.limit > 0 { (v as f64 / q.limit as f64 * 100.0).min(100.0) } else { 0.0 };
                                                    let label = quota_label(t(), &q.resource);
                                                    let caption = if q.limit < 0 { format!("{} + {}", q.used, adding) } else { format!("{} + {} / {}", q.used, adding, q.limit) };
                                                    view! {
                                                        <div class="impact-row" class:over=over data-resource=q.resource.clone()>
                                                            <span class="impact-label">{label}</span>
                                                            <div class="bar">
                                                                <div class="bar-used" style=format!("width:{:.1}%", pct(q.used))></div>
                                                                <div class="bar-adding" style=format!("width:{:.1}%", pct(adding))></div>
                                                            </div>
                                                            <span class="impact-caption">{caption}</span>
                                                        </div>
                                                    }
                                                }).collect_view()
                                            }
                                        }
                                    </div>
                                </Show>
                                <Show when=move || step.get() == 3>
                                    <p class="help">{move || t().n.networks_step_help}</p>
                                    <div id="wizard-networks">
                                        {network_choices.is_empty().then(|| view! { <p class="empty" id="no-networks">{move || t().n.no_network_choice}</p> })}
                                        {network_choices.iter().map(|(id, label)| {
                                            let (id1, id2, id3) = (id.clone(), id.clone(), id.clone());
                                            view! {
                                                <label class="check" data-network=id.clone()>
                                                    <input type="checkbox" prop:checked=move || nets.with(|n| n.contains(&id1)) on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        nets.update(|n| { n.retain(|x| x != &id2); if on { n.push(id2.clone()); } });
                                                    }/>
                                                    {label.clone()}
                                                    <span class="nic-order">{move || nets.with(|n| n.iter().position(|x| x == &id3).map(|p| format!(" eth{p}")).unwrap_or_default())}</span>
                                                </label>
                                            }
                                        }).collect_view()}
                                    </div>
                                </Show>
                                <Show when=move || step.get() == 4>
                                    <p class="help">{move || t().n.groups_step_help}</p>
                                    <div id="wizard-security-groups">
                                        {group_choices.iter().map(|g| {
                                            let (g1, g2) = (g.clone(), g.clone());
                                            view! {
                                                <label class="check" data-group=g.clone()>
                                                    <input type="checkbox" prop:checked=move || groups.with(|l| l.contains(&g1)) on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        groups.update(|l| { l.retain(|x| x != &g2); if on { l.push(g2.clone()); } });
                                                    }/>
                                                    {g.clone()}
                                                </label>
                                            }
                                        }).collect_view()}
                                    </div>
                                </Show>
                                <Show when=move || step.get() == 5>
                                    <p class="help">{move || t().c.select_key_pair}</p>
                                    <label>{move || t().c.key_pair}
                                        <select id="key-pair" on:change=move |ev| key.set(event_target_value(&ev))>
                                            <option value="" selected=move || key.get().is_empty()>{move || t().none}</option>
                                            {keypairs.iter().map(|k| {
                                                let n = k.name.clone();
                                                let (n2, value) = (n.clone(), n.clone());
                                                view! { <option value=value selected=move || key.get() == n2>{n}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <details class="inline-create">
                                        <summary>{move || t().c.create_key_pair}" / "{move || t().c.import_key_pair}</summary>
                                        <ActionError value=create_key.value()/>
                                        <label>{move || t().name}<input type="text" id="wizard-key-name" prop:value=move || new_key_name.get() on:input=move |ev| new_key_name.set(event_target_value(&ev))/></label>
                                        <label>{move || t().c.public_key}" ("{move || t().c.import_key_pair}")"<textarea id="wizard-public-key" prop:value=move || import_key.get() on:input=move |ev| import_key.set(event_target_value(&ev))></textarea></label>
                                        <button class="btn" id="wizard-create-key" on:click=move |_| {
                                            create_key.dispatch(CreateKeypair { name: new_key_name.get_untracked(), public_key: Some(import_key.get_untracked()).filter(|k| !k.trim().is_empty()) });
                                        }>{move || t().c.create_key_pair}</button>
                                        {move || create_key.value().get().and_then(|r| r.ok()).flatten().map(|pem| {
                                            let href = format!("data:application/x-pem-file;charset=utf-8,{}", crate::ui::components::urlencode(&pem));
                                            view! {
                                                <div class="alert alert-info">
                                                    <p>{t().c.private_key_once}</p>
                                                    <a class="btn" id="wizard-download-key" href=href download=format!("{}.pem", new_key_name.get_untracked())>{t().c.download_private_key}</a>
                                                </div>
                                            }
                                        })}
                                    </details>
                                </Show>
                                <Show when=move || step.get() == 6>
                                    <label>{move || t().c.user_data}
                                        <textarea id="user-data" rows="8" placeholder="#!/bin/sh" prop:value=move || user_data.get() on:input=move |ev| user_data.set(event_target_value(&ev))></textarea></label>
                                    <p class="help">{move || t().c.user_data_help}</p>
                                </Show>
                            </div>
                        }.into_any()
                    })}
                </Transition>
                <div class="modal-footer">
                    <button class="btn" disabled=move || step.get() == 0 on:click=move |_| step.update(|s| *s = s.saturating_sub(1))>{move || t().c.back}</button>
                    <button class="btn" id="wizard-next" disabled=move || { step.get() >= LAST_STEP } on:click=move |_| step.update(|s| *s = (*s + 1).min(LAST_STEP))>{move || t().c.next_step}</button>
                    <button class="btn btn-primary" id="wizard-launch"
                        disabled=move || launch.pending().get() || name.get().trim().is_empty() || image.get().is_empty() || flavor.get().is_empty()
                        on:click=move |_| submit()>{move || t().c.launch_instance}</button>
                </div>
            </div>
        </Modal>
    }
}

#[component]
fn ImagePicker(images: Vec<ImageView>, selected: RwSignal<String>) -> impl IntoView {
    let t = use_texts();
    view! {
        <table class="table picker" id="image-picker">
            <thead><tr><th></th><th>{t().name}</th><th>{t().c.image_type}</th><th>{t().c.size}</th><th>{t().c.visibility}</th><th>{t().c.min_ram}</th></tr></thead>
            <tbody>
                {images.into_iter().map(|i| {
                    let id = i.id.clone();
                    let id2 = id.clone();
                    view! {
                        <tr data-name=i.name.clone() class:chosen=move || selected.get() == id2>
                            <td><input type="radio" name="image" aria-label=i.name.clone() prop:checked={let id = id.clone(); move || selected.get() == id} on:change=move |_| selected.set(id.clone())/></td>
                            <td>{i.name.clone()}</td><td>{i.image_type.clone()}</td><td>{super::human_size(i.size)}</td><td>{i.visibility.clone()}</td><td>{i.min_ram}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn FlavorPicker(
    flavors: Vec<FlavorView>,
    selected: RwSignal<String>,
    image: Signal<Option<ImageView>>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <table class="table picker" id="flavor-picker">
            <thead><tr><th></th><th>{t().name}</th><th>{t().c.vcpus}</th><th>{t().c.ram_mb}</th><th>{t().c.root_disk}</th><th>{t().c.ephemeral_disk}</th><th>{t().c.public}</th></tr></thead>
            <tbody>
                {flavors.into_iter().map(|f| {
                    let id = f.id.clone();
                    let id2 = id.clone();
                    let (ram, disk) = (f.ram, f.disk);
                    let too_small = move || image.get().is_some_and(|i| i.min_ram > ram || (disk > 0 && (i.min_disk > disk || i.size.unwrap_or(0) > disk << 30)));
                    view! {
                        <tr data-name=f.name.clone() class:chosen=move || selected.get() == id2 class:too-small=too_small>
                            <td><input type="radio" name="flavor" aria-label=f.name.clone() disabled=too_small prop:checked={let id = id.clone(); move || selected.get() == id} on:change=move |_| selected.set(id.clone())/></td>
                            <td>{f.name.clone()}{move || too_small().then(|| view! { <span class="badge badge-warn">{t().c.too_tight}</span> })}</td>
                            <td>{f.vcpus}</td><td>{format!("{} MB", f.ram)}</td><td>{format!("{} GB", f.disk)}</td><td>{format!("{} GB", f.ephemeral)}</td>
                            <td>{crate::ui::components::yes_no(t(), f.is_public)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
