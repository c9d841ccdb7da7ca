//! Server functions: the portal's calls to the server. Each is a thin adapter: find the
//! caller (`request_ctx`), parse, call one service method, convert to a view.

pub mod compute;
pub mod identity;
pub mod network;
pub mod session;

#[cfg(feature = "ssr")]
use crate::types::{ListQuery, Page};

/// Whether a row matches the table's filter box (case-insensitive substring of its name).
#[cfg(feature = "ssr")]
pub(crate) fn matches(filter: &str, name: &str) -> bool {
    filter.is_empty() || name.to_lowercase().contains(&filter.to_lowercase())
}

/// Sorts and pages an in-memory list the way the portal's tables expect.
#[cfg(feature = "ssr")]
pub(crate) fn paginate<T: Clone>(
    mut items: Vec<T>,
    q: &ListQuery,
    key: impl Fn(&T, &str) -> String,
) -> Page<T> {
    if !q.sort.is_empty() {
        items.sort_by_key(|i| key(i, &q.sort).to_lowercase());
        if q.desc {
            items.reverse();
        }
    }
    let total = items.len() as u64;
    let size = q.size() as usize;
    let items = items
        .into_iter()
        .skip(q.page as usize * size)
        .take(size)
        .collect();
    Page {
        items,
        total,
        page: q.page,
        page_size: q.size(),
    }
}

/// One page of a whole list, as a portal table asks for it: the rows whose name contains
/// the filter, sorted by the chosen column (`key` gives a row's value in a column), paged.
#[cfg(feature = "ssr")]
pub(crate) fn table_page<T: Clone>(
    mut items: Vec<T>,
    q: &ListQuery,
    name: impl Fn(&T) -> &str,
    key: impl Fn(&T, &str) -> String,
) -> Page<T> {
    items.retain(|i| matches(&q.filter, name(i)));
    paginate(items, q, key)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::table_page;
    use crate::types::ListQuery;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("net-{i:02}")).collect()
    }

    #[test]
    fn a_table_page_filters_on_the_name_then_sorts_then_pages() {
        let q = |filter: &str, desc: bool, page: u32| ListQuery {
            filter: filter.into(),
            sort: "name".into(),
            desc,
            page,
            page_size: 0,
        };
        let page = table_page(names(45), &q("", false, 0), |n| n, |n, _| n.clone());
        assert_eq!((page.total, page.items.len(), page.pages()), (45, 20, 3));
        assert_eq!(page.items[0], "net-00");
        let last = table_page(names(45), &q("", false, 2), |n| n, |n, _| n.clone());
        assert_eq!(
            last.items,
            ["net-40", "net-41", "net-42", "net-43", "net-44"]
        );
        let desc = table_page(names(45), &q("", true, 0), |n| n, |n, _| n.clone());
        assert_eq!(desc.items[0], "net-44");
        // The filter is a case-insensitive part of the name, counted before paging.
        let some = table_page(names(45), &q("NET-1", false, 0), |n| n, |n, _| n.clone());
        assert_eq!(some.total, 10);
        assert_eq!(some.items.first().map(String::as_str), Some("net-10"));
    }
}
