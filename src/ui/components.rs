//! Shared pieces of the panels: table toolbar, sortable headers, pager, modal dialogs and
//! the delete confirmation. Tables sort, filter and page on the server; the state lives in
//! the URL, so links work without JavaScript and the back button does what users expect.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::i18n::use_texts;
use crate::types::{AppError, ListQuery};

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

fn urlencode(s: &str) -> String {
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
pub fn SortHeader(label: &'static str, column: &'static str) -> impl IntoView {
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

/// "Displaying N items" and the page links.
#[component]
pub fn Pager(total: u64, pages: u32) -> impl IntoView {
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
pub fn ConfirmDelete(
    title: Signal<String>,
    open: RwSignal<bool>,
    names: Signal<Vec<String>>,
    on_confirm: Callback<()>,
    pending: Signal<bool>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <Modal title open>
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
            let msg = match e {
                AppError::InvalidCredentials => t().invalid_credentials.to_string(),
                AppError::AccountLocked => t().account_locked.to_string(),
                AppError::PasswordMismatch => t().passwords_differ.to_string(),
                AppError::NotSignedIn => t().log_in.to_string(),
                other => other.to_string(),
            };
            view! { <div class="alert alert-error" role="alert">{msg}</div> }
        })
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
pub fn RowCheck(selection: Selection, id: String, name: String) -> impl IntoView {
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
    use super::displaying;
    use crate::i18n::{EN, KO};

    #[test]
    fn one_item_is_singular() {
        assert_eq!(displaying(&EN, 0), "Displaying 0 items");
        assert_eq!(displaying(&EN, 1), "Displaying 1 item");
        assert_eq!(displaying(&EN, 1001), "Displaying 1001 items");
        assert_eq!(displaying(&KO, 1), "1개 항목 표시 중");
        assert_eq!(displaying(&KO, 20), "20개 항목 표시 중");
    }
}
