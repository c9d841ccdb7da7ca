//! Identity → Projects: Horizon's columns (Name, Description, Project ID, Domain Name,
//! Enabled), server-side filter/sort/paging, create, edit, delete (bulk, confirmed),
//! Manage Members and Set as Active Project.

use leptos::prelude::*;

use crate::i18n::use_texts;
use crate::server_fns::identity::{
    list_groups, list_projects, list_roles, list_users, CreateProject, DeleteProjects,
    SetMemberRoles, UpdateProject,
};
use crate::server_fns::session::SwitchProject;
use crate::types::{ListQuery, ProjectView};
use crate::ui::components::{
    close_on_success, use_list_query, yes_no, ActionError, BulkDelete, Column, CreateButton,
    Dialog, ListHeader, ListTable, Modal,
};

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_list_query();
    let create = ServerAction::<CreateProject>::new();
    let update = ServerAction::<UpdateProject>::new();
    let delete = BulkDelete::new(|ids| DeleteProjects { ids }, |t| t.delete_projects);
    let switch = ServerAction::<SwitchProject>::new();
    let projects = Resource::new(
        move || {
            (
                query.get(),
                create.version().get(),
                update.version().get(),
                delete.version(),
            )
        },
        |(q, ..)| list_projects(q),
    );
    let create_open = RwSignal::new(false);
    let editing = RwSignal::new(None::<ProjectView>);
    let members_of = RwSignal::new(None::<ProjectView>);
    close_on_success(create, create_open);
    Effect::new(move |_| {
        if let Some(Ok(())) = update.value().get() {
            editing.set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = switch.value().get() {
            let _ = window().location().reload();
        }
    });
    let columns = vec![
        Column::sorted(|t| t.name, "name"),
        Column::sorted(|t| t.description, "description"),
        Column::sorted(|t| t.project_id, "id"),
        Column::new(|t| t.domain_name),
        Column::sorted(|t| t.enabled, "enabled"),
        Column::actions(),
    ];
    view! {
        <ListHeader title=|t| t.projects>
            <CreateButton id="create-project" label=|t| t.create_project open=create_open/>
            {delete.button("delete-projects")}
        </ListHeader>
        <ListTable id="projects" columns rows=projects selection=delete.selection cells=move |p: ProjectView| {
            let (id, name) = (p.id.clone(), p.name.clone());
            let (for_edit, for_members) = (p.clone(), p.clone());
            let switch_id = id.clone();
            view! {
                <td>{name.clone()}</td>
                <td>{p.description}</td>
                <td class="mono">{id.clone()}</td>
                <td>{p.domain_name}</td>
                <td>{yes_no(t(), p.enabled)}</td>
                <td class="row-actions">
                    <button class="btn btn-sm" on:click=move |_| members_of.set(Some(for_members.clone()))>{t().manage_members}</button>
                    <button class="btn btn-sm" on:click=move |_| editing.set(Some(for_edit.clone()))>{t().edit_project}</button>
                    <button class="btn btn-sm set-active" on:click=move |_| { switch.dispatch(SwitchProject { project_id: switch_id.clone() }); }>{t().set_active_project}</button>
                    <button class="btn btn-sm btn-danger delete-row" on:click=move |_| delete.ask(id.clone(), name.clone())>{t().delete_project}</button>
                </td>
            }
        }/>
        {delete.dialog()}
        <Modal title=Signal::derive(move || t().create_project.to_string()) open=create_open>
            <CreateProjectForm create/>
        </Modal>
        <Show when=move || editing.get().is_some()>
            <EditProjectForm project=editing update/>
        </Show>
        <Show when=move || members_of.get().is_some()>
            <ManageMembers project=members_of/>
        </Show>
    }
}

#[component]
fn CreateProjectForm(create: ServerAction<CreateProject>) -> impl IntoView {
    let t = use_texts();
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let enabled = RwSignal::new(true);
    // Horizon's Project Members and Project Groups tabs: (user or group id, role id) pairs
    // chosen before the project exists.
    let members = RwSignal::new(Vec::<(String, String)>::new());
    let groups = RwSignal::new(Vec::<(String, String)>::new());
    let choices = Resource::new(
        || (),
        |_| async move {
            let users = list_users(ListQuery::all())
                .await?
                .items
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect::<Vec<_>>();
            let groups = list_groups(ListQuery::all())
                .await?
                .items
                .into_iter()
                .map(|g| (g.id, g.name))
                .collect::<Vec<_>>();
            let roles = list_roles(ListQuery::all())
                .await?
                .items
                .into_iter()
                .map(|r| (r.id, r.name))
                .collect::<Vec<_>>();
            Ok::<_, crate::types::AppError>((users, groups, roles))
        },
    );
    view! {
        <form id="create-project-form" on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch(CreateProject {
                name: name.get(),
                description: description.get(),
                enabled: enabled.get(),
                members: members.get(),
                groups: groups.get(),
            });
        }>
            <ActionError value=create.value()/>
            <label>{move || t().name}" *"<input type="text" name="name" required prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <label>{move || t().description}<textarea name="description" prop:value=description on:input=move |ev| description.set(event_target_value(&ev))></textarea></label>
            <label class="check"><input type="checkbox" name="enabled" prop:checked=enabled on:change=move |ev| enabled.set(event_target_checked(&ev))/>{move || t().enabled}</label>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let Ok((users, group_list, roles)) = choices.await else { return ().into_any() };
                    view! {
                        <AssignmentPicker legend=t().members id="member" options=users roles=roles.clone() chosen=members/>
                        <AssignmentPicker legend=t().groups id="group" options=group_list roles chosen=groups/>
                    }.into_any()
                })}
            </Transition>
            <div class="modal-footer">
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>{move || t().create_project}</button>
            </div>
        </form>
    }
}

/// Picks (actor, role) pairs: a user or group, a role, "Add"; the chosen pairs are listed.
#[component]
fn AssignmentPicker(
    legend: &'static str,
    id: &'static str,
    options: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    chosen: RwSignal<Vec<(String, String)>>,
) -> impl IntoView {
    let t = use_texts();
    let pick_actor = RwSignal::new(String::new());
    let pick_role = RwSignal::new(String::new());
    let name_of = |list: &[(String, String)], id: &str| {
        list.iter()
            .find(|(i, _)| i == id)
            .map(|(_, n)| n.clone())
            .unwrap_or(id.to_string())
    };
    let (option_names, role_names) = (options.clone(), roles.clone());
    view! {
        <fieldset>
            <legend>{legend}</legend>
            <div class="inline">
                <select id=format!("{id}-actor") on:change=move |ev| pick_actor.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {options.into_iter().map(|(i, n)| view! { <option value=i>{n}</option> }).collect_view()}
                </select>
                <select id=format!("{id}-role") on:change=move |ev| pick_role.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {roles.into_iter().map(|(i, n)| view! { <option value=i>{n}</option> }).collect_view()}
                </select>
                <button type="button" class="btn" id=format!("add-{id}") on:click=move |_| {
                    let (a, r) = (pick_actor.get(), pick_role.get());
                    if !a.is_empty() && !r.is_empty() {
                        chosen.update(|c| if !c.contains(&(a.clone(), r.clone())) { c.push((a, r)) });
                    }
                }>{move || t().add}</button>
            </div>
            <ul class="chosen">
                {move || chosen.get().into_iter().map(|(a, r)| {
                    let pair = (a.clone(), r.clone());
                    view! {
                        <li>
                            {name_of(&option_names, &a)}" — "{name_of(&role_names, &r)}" "
                            <button type="button" class="link" on:click=move |_| chosen.update(|c| c.retain(|x| *x != pair))>{t().remove}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </fieldset>
    }
}

#[component]
fn EditProjectForm(
    project: RwSignal<Option<ProjectView>>,
    update: ServerAction<UpdateProject>,
) -> impl IntoView {
    let t = use_texts();
    let open = RwSignal::new(true);
    Effect::new(move |_| {
        if !open.get() {
            project.set(None);
        }
    });
    let p = project.get_untracked().unwrap_or(ProjectView {
        id: String::new(),
        name: String::new(),
        description: String::new(),
        domain_name: String::new(),
        enabled: true,
    });
    view! {
        <Dialog title=Signal::derive(move || t().edit_project.to_string()) open>
            <ActionForm action=update attr:id="edit-project-form">
                <ActionError value=update.value()/>
                <input type="hidden" name="id" value=p.id.clone()/>
                <label>{move || t().name}<input type="text" name="name" required value=p.name.clone()/></label>
                <label>{move || t().description}<textarea name="description">{p.description.clone()}</textarea></label>
                <input type="hidden" name="enabled" value="false"/>
                <label class="check"><input type="checkbox" name="enabled" value="true" checked=p.enabled/>{move || t().enabled}</label>
                <div class="modal-footer"><button type="submit" class="btn btn-primary">{move || t().save}</button></div>
            </ActionForm>
        </Dialog>
    }
}

#[component]
fn ManageMembers(project: RwSignal<Option<ProjectView>>) -> impl IntoView {
    let t = use_texts();
    let open = RwSignal::new(true);
    Effect::new(move |_| {
        if !open.get() {
            project.set(None);
        }
    });
    let p = project
        .get_untracked()
        .map(|p| (p.id, p.name))
        .unwrap_or_default();
    let project_id = p.0.clone();
    let set = ServerAction::<SetMemberRoles>::new();
    let data = Resource::new(move || set.version().get(), {
        let project_id = project_id.clone();
        move |_| {
            let project_id = project_id.clone();
            async move {
                let users = list_users(ListQuery::all()).await?.items;
                let roles = list_roles(ListQuery::all()).await?.items;
                let members = crate::server_fns::identity::project_members(project_id).await?;
                Ok::<_, crate::types::AppError>((users, roles, members))
            }
        }
    });
    view! {
        <Dialog title=Signal::derive(move || format!("{}: {}", t().manage_members, p.1)) open>
            <ActionError value=set.value()/>
            <Transition fallback=move || view! { <p>{t().loading}</p> }>
                {move || {
                    let project_id = project_id.clone();
                    Suspend::new(async move {
                        let Ok((users, roles, members)) = data.await else { return view! { <p>"—"</p> }.into_any() };
                        view! {
                            <table class="table" id="members">
                                <thead><tr><th>{t().user_name}</th>{roles.iter().map(|r| view! { <th>{r.name.clone()}</th> }).collect_view()}</tr></thead>
                                <tbody>
                                    {users.into_iter().map(|u| {
                                        let current: Vec<String> = members.iter().find(|m| m.actor_id == u.id).map(|m| m.role_ids.clone()).unwrap_or_default();
                                        let roles = roles.clone();
                                        let project_id = project_id.clone();
                                        view! {
                                            <tr data-name=u.name.clone()>
                                                <td>{u.name.clone()}</td>
                                                {roles.into_iter().map(|r| {
                                                    let has = current.contains(&r.id);
                                                    let (project_id, user_id, current) = (project_id.clone(), u.id.clone(), current.clone());
                                                    view! {
                                                        <td><input type="checkbox" aria-label=r.name.clone() checked=has on:change=move |ev| {
                                                            let mut roles = current.clone();
                                                            if event_target_checked(&ev) { roles.push(r.id.clone()); } else { roles.retain(|x| *x != r.id); }
                                                            set.dispatch(SetMemberRoles { project_id: project_id.clone(), user_id: user_id.clone(), role_ids: roles });
                                                        }/></td>
                                                    }
                                                }).collect_view()}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    })
                }}
            </Transition>
        </Dialog>
    }
}
