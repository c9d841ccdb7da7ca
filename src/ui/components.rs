//! Shared pieces of the panels: the list table (`ListTable`) with its bulk delete
//! (`BulkDelete`), sortable headers, pager, modal dialogs and the delete confirmation.
//! Tables sort, filter and page on the server; the state lives in the URL, so links work
//! without JavaScript and the back button does what users expect.
//!
//! Every list page is built the same way — `ListHeader` with its `CreateButton` and bulk
//! delete, then `ListTable` — and `ui::identity::groups` is the shortest example.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

pub use crate::i18n::error_text;
use crate::i18n::{use_texts, Texts};
use crate::types::{AppError, ListQuery, Page};

/// The table state in the URL: `?q=filter&sort=col&desc=1&page=N`.
pub fn use_list_query() -> Memo<ListQuery> {
    let query = use_query_map();
    Memo::new(move |_| {
        query.with(|q| ListQuery {
            filter: q.get("q").unwrap_or_default(),
            sort: q.get("sort").unwrap_or_default(),
            desc: q.get("desc").as_deref() == Some("1"),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
            page_size: 0,
        })
    })
}

fn href(q: &ListQuery) -> String {
    let mut parts = Vec::new();
    if !q.filter.is_empty() {
        parts.push(format!("q={}", urlencode(&q.filter)));
    }
    if !q.sort.is_empty() {
        parts.push(format!("sort={}", urlencode(&q.sort)));
    }
    if q.desc {
        parts.push("desc=1".into());
    }
    if q.page > 0 {
        parts.push(format!("page={}", q.page));
    }
    format!("?{}", parts.join("&"))
}

/// Percent-encodes text for a URL (a query parameter, a `data:` URL).
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

/// A column header that sorts by `column`, toggling the direction.
#[component]
fn SortHeader(label: &'static str, column: &'static str) -> impl IntoView {
    let q = use_list_query();
    let link = move || {
        let mut next = q.get();
        next.desc = next.sort == column && !next.desc;
        next.sort = column.to_string();
        next.page = 0;
        href(&next)
    };
    let marker = move || {
        let cur = q.get();
        if cur.sort == column {
            if cur.desc {
                " ▼"
            } else {
                " ▲"
            }
        } else {
            ""
        }
    };
    view! { <th><a class="sort" href=link>{label}{marker}</a></th> }
}

/// The filter box of a table (a GET form, so it works before hydration).
#[component]
pub fn FilterBox() -> impl IntoView {
    let t = use_texts();
    let q = use_list_query();
    view! {
        <form class="filter" method="get">
            <input type="search" name="q" placeholder=move || t().filter prop:value=move || q.get().filter aria-label=move || t().filter/>
            <button type="submit" class="btn">{move || t().filter}</button>
        </form>
    }
}

/// A list page's title and the toolbar under it: the filter box, then the page's own
/// buttons (`children`: its `CreateButton` first, the bulk delete last).
#[component]
pub fn ListHeader(title: fn(&'static Texts) -> &'static str, children: Children) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="page-header"><h2>{move || title(t())}</h2></div>
        <div class="table-toolbar">
            <FilterBox/>
            {children()}
        </div>
    }
}

/// The button that opens a page's create dialog ("+ Create Network"); `before` resets the
/// dialog's fields first.
#[component]
pub fn CreateButton(
    id: &'static str,
    label: fn(&'static Texts) -> &'static str,
    open: RwSignal<bool>,
    #[prop(optional)] before: Option<Callback<()>>,
) -> impl IntoView {
    let t = use_texts();
    let click = move |_| {
        if let Some(reset) = before {
            reset.run(());
        }
        open.set(true);
    };
    view! {
        <button class="btn btn-primary" id=id on:click=click>"+ "{move || label(t())}</button>
    }
}

/// "Displaying N items" and the page links.
#[component]
fn Pager(total: u64, pages: u32) -> impl IntoView {
    let t = use_texts();
    let q = use_list_query();
    let prev = move || {
        let mut p = q.get();
        (p.page > 0).then(|| {
            p.page -= 1;
            href(&p)
        })
    };
    let next = move || {
        let mut p = q.get();
        (p.page + 1 < pages).then(|| {
            p.page += 1;
            href(&p)
        })
    };
    view! {
        <div class="pager">
            <span class="count">{move || displaying(t(), total)}</span>
            {move || prev().map(|h| view! { <a class="btn" href=h>{t().previous}</a> })}
            {move || (pages > 1).then(|| view! { <span class="page-no">{q.get().page + 1}" / "{pages}</span> })}
            {move || next().map(|h| view! { <a class="btn" href=h>{t().next}</a> })}
        </div>
    }
}

/// A modal dialog shown while `open` is true.
#[component]
pub fn Modal(title: Signal<String>, open: RwSignal<bool>, children: ChildrenFn) -> impl IntoView {
    let t = use_texts();
    view! {
        <Show when=move || open.get()>
            <div class="modal-backdrop" on:click=move |_| open.set(false)></div>
            <div class="modal" role="dialog" aria-modal="true" aria-label=move || title.get()>
                <div class="modal-header">
                    <h3>{move || title.get()}</h3>
                    <button class="close" aria-label=move || t().close on:click=move |_| open.set(false)>"×"</button>
                </div>
                <div class="modal-body">{children()}</div>
            </div>
        </Show>
    }
}

/// A dialog that exists only while shown: the caller removes it (via `open`) to close it.
#[component]
pub fn Dialog(title: Signal<String>, open: RwSignal<bool>, children: Children) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="modal-backdrop" on:click=move |_| open.set(false)></div>
        <div class="modal" role="dialog" aria-modal="true" aria-label=move || title.get()>
            <div class="modal-header">
                <h3>{move || title.get()}</h3>
                <button class="close" aria-label=move || t().close on:click=move |_| open.set(false)>"×"</button>
            </div>
            <div class="modal-body">{children()}</div>
        </div>
    }
}

/// Horizon's "Confirm Delete" dialog: lists what will be destroyed and asks once more.
#[component]
fn ConfirmDelete(
    title: Signal<String>,
    open: RwSignal<bool>,
    names: Signal<Vec<String>>,
    on_confirm: Callback<()>,
    pending: Signal<bool>,
    /// Why the last try failed, shown in the dialog.
    #[prop(optional, into)]
    error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <Modal title open>
            {move || error.and_then(|e| e.get()).map(|msg| view! { <div class="alert alert-error" role="alert">{msg}</div> })}
            <p>{move || t().confirm_delete_body}" "<strong class="confirm-names">{move || names.get().join(", ")}</strong></p>
            <p class="warning">{move || t().cannot_undo}</p>
            <div class="modal-footer">
                <button class="btn" on:click=move |_| open.set(false)>{move || t().cancel}</button>
                <button class="btn btn-danger confirm" disabled=move || pending.get() on:click=move |_| on_confirm.run(())>
                    {move || title.get()}
                </button>
            </div>
        </Modal>
    }
}

/// The error of the last run of an action, shown beside its form.
#[component]
pub fn ActionError<T, V>(value: V) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    let t = use_texts();
    move || {
        value.get().and_then(|r| r.err()).map(|e| {
            view! { <div class="alert alert-error" role="alert">{error_text(t(), e)}</div> }
        })
    }
}

/// A column of a list table: its header and, when the server can sort by it, the sort key.
#[derive(Clone, Copy)]
pub struct Column {
    label: fn(&'static Texts) -> &'static str,
    sort: Option<&'static str>,
}

impl Column {
    pub fn new(label: fn(&'static Texts) -> &'static str) -> Column {
        Column { label, sort: None }
    }

    /// A column whose header sorts the table by `key` (toggling the direction).
    pub fn sorted(label: fn(&'static Texts) -> &'static str, key: &'static str) -> Column {
        Column {
            label,
            sort: Some(key),
        }
    }

    /// The row actions, last.
    pub fn actions() -> Column {
        Column::new(|t| t.actions)
    }
}

/// What a list table needs to know about a row besides its cells.
pub trait TableRow: Clone + Send + Sync + 'static {
    /// `data-id`, and what a tick selects.
    fn row_id(&self) -> String;
    /// `data-name`, and what the delete confirmation lists.
    fn row_name(&self) -> String;
    /// `data-status`, for rows that have a status.
    fn row_status(&self) -> Option<String> {
        None
    }
    /// Whether the row has a tick box (built-in rows cannot be deleted).
    fn selectable(&self) -> bool {
        true
    }
}

/// Rows that have an `id` and are called by their `name`; those listed after `status:`
/// also have a `status` (`data-status`, which the tests and styles look at).
macro_rules! id_name_rows {
    ($($row:ty),* ; status: $($with_status:ty),*) => {
        $(id_name_rows!(@row $row, |_row| None);)*
        $(id_name_rows!(@row $with_status, |row| Some(row.status.clone()));)*
    };
    (@row $row:ty, |$it:ident| $status:expr) => {
        impl TableRow for $row {
            fn row_id(&self) -> String {
                self.id.clone()
            }
            fn row_name(&self) -> String {
                self.name.clone()
            }
            fn row_status(&self) -> Option<String> {
                let $it = self;
                $status
            }
        }
    };
}

id_name_rows!(
    crate::types::AppCredView,
    crate::types::FlavorView,
    crate::types::GroupView,
    crate::types::ProjectView,
    crate::types::RouterView,
    crate::types::SecurityGroupView,
    crate::types::UserView;
    status: crate::types::ImageView, crate::types::InstanceView
);

/// Closes a dialog once its action succeeds.
pub fn close_on_success<A>(action: ServerAction<A>, open: RwSignal<bool>)
where
    A: ServerFn + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
    A::Error: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            open.set(false);
        }
    });
}

/// The rows of a page that has loaded (none while loading or after an error): for pickers
/// fed by a list server function.
pub fn loaded<T>(rows: Resource<Result<Page<T>, AppError>>) -> Vec<T>
where
    T: Clone + Send + Sync + 'static,
{
    rows.get()
        .and_then(|r| r.ok())
        .map(|p| p.items)
        .unwrap_or_default()
}

/// The one list table of the portal: headers (sortable where the server sorts), a tick box
/// per row when the page has a `selection`, the rows' cells from `cells`, an empty row, an
/// error row, and the pager. Filtering, sorting and paging happen on the server: `rows` is
/// the page's resource, keyed on `use_list_query()` and whatever refreshes it (pushed
/// events, finished actions).
#[component]
pub fn ListTable<T, F, V>(
    /// The table's element id.
    id: &'static str,
    columns: Vec<Column>,
    rows: Resource<Result<Page<T>, AppError>>,
    #[prop(optional)] selection: Option<Selection>,
    /// The cells of one row (after its tick box).
    cells: F,
) -> impl IntoView
where
    T: TableRow,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let t = use_texts();
    let width = (columns.len() + usize::from(selection.is_some())).to_string();
    view! {
        <Transition fallback=move || view! { <p class="loading">{t().loading}</p> }>
            {move || {
                let (columns, cells, width) = (columns.clone(), cells.clone(), width.clone());
                Suspend::new(async move {
                    let t = t();
                    let (body, pager) = match rows.await {
                        Err(e) => (
                            view! { <tr><td colspan=width class="error" role="alert">{error_text(t, e)}</td></tr> }.into_any(),
                            None,
                        ),
                        Ok(page) if page.items.is_empty() => (
                            view! { <tr><td colspan=width class="empty">{t.no_items}</td></tr> }.into_any(),
                            Some((page.total, page.pages())),
                        ),
                        Ok(page) => {
                            let pager = Some((page.total, page.pages()));
                            let rows = page.items.into_iter().map(|item| {
                                let (id, name, status) = (item.row_id(), item.row_name(), item.row_status());
                                let check = selection.map(|selection| match item.selectable() {
                                    true => view! { <RowCheck selection id=id.clone() name=name.clone()/> }.into_any(),
                                    false => view! { <td class="select"></td> }.into_any(),
                                });
                                view! {
                                    <tr data-id=id.clone() data-name=name.clone() data-status=status.clone()>
                                        {check}
                                        {cells(item)}
                                    </tr>
                                }
                            });
                            (rows.collect_view().into_any(), pager)
                        }
                    };
                    view! {
                        <table class="table" id=id>
                            <thead><tr>
                                {selection.map(|_| view! { <th class="select"></th> })}
                                {columns.into_iter().map(|c| match c.sort {
                                    Some(column) => view! { <SortHeader label=(c.label)(t) column/> }.into_any(),
                                    None => view! { <th>{(c.label)(t)}</th> }.into_any(),
                                }).collect_view()}
                            </tr></thead>
                            <tbody>{body}</tbody>
                        </table>
                        {pager.map(|(total, pages)| view! { <Pager total pages/> })}
                    }
                })
            }}
        </Transition>
    }
}

/// A list page's Delete: tick rows (or press a row's own Delete), confirm in a dialog that
/// names them, and the page's server function deletes them all; a failure is shown in the
/// dialog, which stays open.
pub struct BulkDelete<A>
where
    A: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    pub selection: Selection,
    confirm: RwSignal<bool>,
    /// The last try's error, until the dialog opens again.
    failed: RwSignal<Option<AppError>>,
    action: ServerAction<A>,
    make: fn(Vec<String>) -> A,
    label: fn(&'static Texts) -> &'static str,
}

impl<A> Clone for BulkDelete<A>
where
    A: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    fn clone(&self) -> Self {
        *self
    }
}

impl<A> Copy for BulkDelete<A> where
    A: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static
{
}

impl<A> BulkDelete<A>
where
    A: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    /// `make` builds the server function's arguments from the ids; `label` names the
    /// button and the dialog ("Delete Networks").
    pub fn new(make: fn(Vec<String>) -> A, label: fn(&'static Texts) -> &'static str) -> Self {
        let action = ServerAction::<A>::new();
        let (selection, confirm, failed) =
            (Selection::new(), RwSignal::new(false), RwSignal::new(None));
        Effect::new(move |_| match action.value().get() {
            Some(Ok(())) => {
                confirm.set(false);
                selection.clear();
            }
            Some(Err(e)) => failed.set(Some(e)),
            None => {}
        });
        BulkDelete {
            selection,
            confirm,
            failed,
            action,
            make,
            label,
        }
    }

    /// Counts finished deletes: part of the key of the list's resource.
    pub fn version(&self) -> usize {
        self.action.version().get()
    }

    /// Asks to delete just this row (a row's own Delete).
    pub fn ask(&self, id: String, name: String) {
        self.selection.only(id, name);
        self.open();
    }

    fn open(&self) {
        self.failed.set(None);
        self.confirm.set(true);
    }

    /// The toolbar's button, enabled while rows are ticked.
    pub fn button(self, id: &'static str) -> impl IntoView {
        let t = use_texts();
        view! {
            <button class="btn btn-danger" id=id disabled=move || self.selection.is_empty()
                on:click=move |_| self.open()>{move || (self.label)(t())}</button>
        }
    }

    /// The confirmation dialog.
    pub fn dialog(self) -> impl IntoView {
        let t = use_texts();
        let BulkDelete {
            selection,
            confirm,
            failed,
            action,
            make,
            label,
        } = self;
        view! {
            <ConfirmDelete
                title=Signal::derive(move || label(t()).to_string())
                open=confirm
                names=Signal::derive(move || selection.names())
                pending=action.pending().into()
                error=Signal::derive(move || failed.get().map(|e| error_text(t(), e)))
                on_confirm=Callback::new(move |_| { action.dispatch(make(selection.ids())); })
            />
        }
    }
}

/// The rows ticked in a table, as (id, name): the names go into the delete confirmation.
#[derive(Clone, Copy)]
pub struct Selection(pub RwSignal<Vec<(String, String)>>);

impl Selection {
    pub fn new() -> Selection {
        Selection(RwSignal::new(Vec::new()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.with(|s| s.is_empty())
    }

    pub fn ids(&self) -> Vec<String> {
        self.0.get_untracked().into_iter().map(|(i, _)| i).collect()
    }

    pub fn names(&self) -> Vec<String> {
        self.0.get().into_iter().map(|(_, n)| n).collect()
    }

    /// Selects just this row (a row's own Delete action).
    pub fn only(&self, id: String, name: String) {
        self.0.set(vec![(id, name)]);
    }

    pub fn clear(&self) {
        self.0.set(Vec::new());
    }
}

impl Default for Selection {
    fn default() -> Self {
        Selection::new()
    }
}

/// The tick box at the start of a row.
#[component]
fn RowCheck(selection: Selection, id: String, name: String) -> impl IntoView {
    let checked = {
        let id = id.clone();
        move || selection.0.with(|s| s.iter().any(|(i, _)| *i == id))
    };
    let label = name.clone();
    let toggle = move |_| {
        selection
            .0
            .update(|s| match s.iter().position(|(i, _)| *i == id) {
                Some(pos) => {
                    s.remove(pos);
                }
                None => s.push((id.clone(), name.clone())),
            })
    };
    view! { <td class="select"><input type="checkbox" aria-label=label prop:checked=checked on:change=toggle/></td> }
}

/// "Displaying N items", in the singular for one.
pub fn displaying(t: &'static crate::i18n::Texts, total: u64) -> String {
    if total == 1 {
        t.displaying_item.to_string()
    } else {
        t.displaying_items.replace("{n}", &total.to_string())
    }
}

/// A Yes/No cell.
pub fn yes_no(t: &'static crate::i18n::Texts, v: bool) -> &'static str {
    if v {
        t.yes
    } else {
        t.no
    }
}

#[cfg(test)]
mod tests {
    use super::{displaying, error_text};
    use crate::i18n::{EN, KO};
    use crate::types::AppError;

    #[test]
    fn one_item_is_singular() {
        assert_eq!(displaying(&EN, 0), "Displaying 0 items");
        assert_eq!(displaying(&EN, 1), "Displaying 1 item");
        assert_eq!(displaying(&EN, 1001), "Displaying 1001 items");
        assert_eq!(displaying(&KO, 1), "1개 항목 표시 중");
        assert_eq!(displaying(&KO, 20), "20개 항목 표시 중");
    }

    #[test]
    fn a_services_error_is_shown_in_the_users_language() {
        let id = "0f6e";
        let in_use = || {
            AppError::Conflict(msg!(
                "Unable to complete operation on network {id}. There are one or more ports still in use on the network.",
                id
            ))
        };
        assert_eq!(
            error_text(&EN, in_use()),
            "Unable to complete operation on network 0f6e. There are one or more ports still in use on the network."
        );
        assert_eq!(
            error_text(&KO, in_use()),
            "네트워크 0f6e에 대한 작업을 완료할 수 없습니다. 네트워크에 아직 사용 중인 포트가 하나 이상 있습니다."
        );
        // The kind a "not found" names is a Korean noun too.
        let missing = AppError::NotFound(msg!("Could not find {kind}: {id}.", kind = "router", id));
        assert_eq!(
            error_text(&KO, missing),
            "라우터을(를) 찾을 수 없습니다: 0f6e."
        );
        // What a value should be is said in Korean; the values themselves stay.
        let bad = || {
            AppError::Invalid(msg!(
                "Invalid value {v} for attribute '{attr}': expected {expected}.",
                v = "\"x\"",
                attr = "visibility",
                expected = "one of public, private"
            ))
        };
        assert_eq!(
            error_text(&EN, bad()),
            "Invalid value \"x\" for attribute 'visibility': expected one of public, private."
        );
        assert_eq!(
            error_text(&KO, bad()),
            "속성 'visibility'의 값 \"x\"이(가) 올바르지 않습니다: 필요한 값: public, private 중 하나."
        );
        let too_many = AppError::Invalid(msg!(
            "The limit has been exceeded on the number of allowed image {what}. \
             Attempted: {attempted}, Maximum: {maximum}",
            what = "tags",
            attempted = 129,
            maximum = 128
        ));
        assert_eq!(
            error_text(&KO, too_many),
            "허용된 이미지 태그 수의 제한을 초과했습니다. 시도: 129, 최대: 128"
        );
        assert_eq!(
            error_text(&KO, AppError::Internal("r-1".into())),
            "서버에서 오류가 발생했습니다 (요청 r-1)."
        );
    }
}
