//! Filtered list queries: one builder instead of a `($n IS NULL OR col = $n)` string and
//! its matching chain of binds per table. A condition is added only when its value is
//! given, so the SQL a query sends names exactly the filters the caller asked for.
//!
//! ```text
//! Select::<NetworkRow>::table()
//!     .when(f.scope.project_id.as_deref(), "(project_id = ? OR shared = 1)")
//!     .eq("name", f.name.as_deref())
//!     .keyset_by_id(&f.ids, f.after.as_deref(), f.limit)
//!     .fetch_all(c)
//! ```
//!
//! In a condition `?` (or `?1`, `?2`, ... for several values) stands for the value(s)
//! passed with it; the builder numbers the placeholders.

use std::marker::PhantomData;

use sqlx::any::AnyRow;
use sqlx::FromRow;

use super::table::Table;
use super::{DbError, C};

/// A value bound to a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Int(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Self {
        Arg::Text(s.clone())
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}

/// Booleans are stored as 0 and 1.
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Int(v as i64)
    }
}

/// A `SELECT` under construction; `T` is what each row reads into.
#[derive(Clone, Debug)]
pub(crate) struct Select<T> {
    columns: String,
    from: String,
    conditions: Vec<String>,
    order: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
    args: Vec<Arg>,
    row: PhantomData<fn() -> T>,
}

impl<T: Table> Select<T> {
    /// Every column of a `table!` row type, from its table.
    pub fn table() -> Self {
        Select::new(&T::columns(), T::NAME)
    }
}

impl<T> Select<T> {
    /// `SELECT columns FROM from` (`from` may be a join).
    pub fn new(columns: &str, from: &str) -> Self {
        Select {
            columns: columns.to_owned(),
            from: from.to_owned(),
            conditions: Vec::new(),
            order: None,
            limit: None,
            offset: None,
            args: Vec::new(),
            row: PhantomData,
        }
    }

    /// A condition every row must meet, with the values its `?N` stand for.
    pub fn filter<I>(mut self, condition: &str, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Arg>,
    {
        let base = self.args.len();
        self.args.extend(values.into_iter().map(Into::into));
        self.conditions.push(number_placeholders(condition, base));
        self
    }

    /// A condition with no values.
    pub fn only(self, condition: &str) -> Self {
        self.filter(condition, None::<Arg>)
    }

    /// `condition` with `?` standing for `value`, when there is a value.
    pub fn when<A: Into<Arg>>(self, value: Option<A>, condition: &str) -> Self {
        match value {
            Some(v) => self.filter(condition, [v]),
            None => self,
        }
    }

    /// `column = value`, when there is a value.
    pub fn eq<A: Into<Arg>>(self, column: &str, value: Option<A>) -> Self {
        self.when(value, &format!("{column} = ?"))
    }

    /// `column IN (values)`, when the list is not empty.
    pub fn one_of(self, column: &str, values: &[String]) -> Self {
        self.in_list(values, &format!("{column} IN (?)"))
    }

    /// `condition` with `?` standing for the list of `values`, when there are any:
    /// `in_list(ids, "id IN (SELECT port_id FROM ip_allocations WHERE subnet_id IN (?))")`.
    pub fn in_list(self, values: &[String], condition: &str) -> Self {
        if values.is_empty() {
            return self;
        }
        let marks = (1..=values.len())
            .map(|n| format!("?{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.filter(&condition.replace('?', &marks), values)
    }

    /// `column IN (values)` when a list is given: an empty one finds nothing.
    pub fn within(self, column: &str, values: Option<&[String]>) -> Self {
        match values {
            None => self,
            Some([]) => self.only("1 = 0"),
            Some(values) => self.one_of(column, values),
        }
    }

    /// A case-insensitive substring of any of `columns`, when there is one (the portal's
    /// filter box).
    pub fn contains(self, columns: &[&str], text: Option<&str>) -> Self {
        let Some(text) = text else { return self };
        let any = columns
            .iter()
            .map(|col| format!("LOWER(COALESCE({col}, '')) LIKE ? ESCAPE '\\'"))
            .collect::<Vec<_>>()
            .join(" OR ");
        self.filter(&format!("({any})"), [super::like_pattern(text)])
    }

    pub fn order_by(mut self, order: &str) -> Self {
        self.order = Some(order.to_owned());
        self
    }

    pub fn limit(mut self, limit: Option<i64>) -> Self {
        self.limit = limit;
        self
    }

    /// Rows to skip (the portal's numbered pages); 0 skips none.
    pub fn offset(mut self, offset: i64) -> Self {
        self.offset = (offset > 0).then_some(offset);
        self
    }

    /// Neutron's paging: only these ids (when any), ordered by id, after the previous
    /// page's last id.
    pub fn keyset_by_id(self, ids: &[String], after: Option<&str>, limit: Option<i64>) -> Self {
        self.one_of("id", ids)
            .when(after, "id > ?")
            .order_by("id")
            .limit(limit)
    }

    /// Keyset paging on a sort column then id: the rows after `(value, id)` in the
    /// direction of the order.
    pub fn after(self, column: &str, descending: bool, after: Option<(Arg, String)>) -> Self {
        let Some((value, id)) = after else {
            return self;
        };
        let op = if descending { "<" } else { ">" };
        self.filter(
            &format!("({column} {op} ?1 OR ({column} = ?1 AND id {op} ?2))"),
            [value, Arg::Text(id)],
        )
    }

    fn sql(&self, columns: &str, whole: bool) -> String {
        let mut sql = format!("SELECT {columns} FROM {}", self.from);
        if !self.conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.conditions.join(" AND "));
        }
        let mut n = self.args.len();
        if whole {
            if let Some(order) = &self.order {
                sql.push_str(&format!(" ORDER BY {order}"));
            }
            if self.limit.is_some() || self.offset.is_some() {
                n += 1;
                sql.push_str(&format!(" LIMIT ${n}"));
            }
            if self.offset.is_some() {
                n += 1;
                sql.push_str(&format!(" OFFSET ${n}"));
            }
        }
        sql
    }

    /// The rows, in the order asked for.
    pub async fn fetch_all(self, c: &mut C) -> Result<Vec<T>, DbError>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = self.sql(&self.columns, true);
        // SQLite takes no OFFSET without a LIMIT.
        let limit = self.limit.or(self.offset.map(|_| i64::MAX));
        let extra = limit.into_iter().chain(self.offset).map(Arg::Int);
        let args = self.args.into_iter().chain(extra);
        let q = bound(sqlx::query_as(&sql), args);
        q.fetch_all(c).await
    }

    /// The first row, if any.
    pub async fn fetch_optional(self, c: &mut C) -> Result<Option<T>, DbError>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        Ok(self.limit(Some(1)).fetch_all(c).await?.into_iter().next())
    }

    /// How many rows the conditions find (order, limit and offset aside).
    pub async fn count(self, c: &mut C) -> Result<i64, DbError> {
        let sql = self.sql("COUNT(*)", false);
        let q = bound(sqlx::query_as::<_, (i64,)>(&sql), self.args);
        Ok(q.fetch_one(c).await?.0)
    }
}

type AnyQueryAs<'q, O> = sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>;

fn bound<'q, O>(
    mut q: AnyQueryAs<'q, O>,
    args: impl IntoIterator<Item = Arg>,
) -> AnyQueryAs<'q, O> {
    for arg in args {
        q = match arg {
            Arg::Text(s) => q.bind(s),
            Arg::Int(n) => q.bind(n),
        };
    }
    q
}

/// Rewrites `?` and `?N` as `$(base + N)` (`?` is `?1`).
fn number_placeholders(condition: &str, base: usize) -> String {
    let mut out = String::with_capacity(condition.len() + 8);
    let mut chars = condition.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '?' {
            out.push(ch);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        let n: usize = digits.parse().unwrap_or(1);
        out.push_str(&format!("${}", base + n));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(sqlx::FromRow)]
    struct Row {
        #[allow(dead_code)]
        id: String,
    }

    #[test]
    fn only_the_given_filters_reach_the_sql() {
        let s = Select::<Row>::new("id", "things")
            .eq("name", Some("web"))
            .eq("status", None::<&str>)
            .when(Some(true), "(shared = ? OR project_id IS NULL)")
            .one_of("kind", &["a".into(), "b".into()])
            .keyset_by_id(&[], Some("x"), Some(20));
        let sql = s.sql("id", true);
        assert_eq!(
            sql,
            "SELECT id FROM things WHERE name = $1 AND (shared = $2 OR project_id IS NULL) \
             AND kind IN ($3, $4) AND id > $5 ORDER BY id LIMIT $6"
        );
        assert_eq!(
            s.args,
            vec![
                Arg::from("web"),
                Arg::Int(1),
                Arg::from("a"),
                Arg::from("b"),
                Arg::from("x")
            ]
        );
    }

    #[test]
    fn keyset_after_a_sort_value_repeats_its_placeholders() {
        let s = Select::<Row>::new("id", "images")
            .eq("owner", Some("p"))
            .after("size", true, Some((Arg::Int(5), "i".into())))
            .order_by("size DESC, id DESC")
            .limit(Some(10))
            .offset(20);
        let sql = s.sql("id", true);
        assert_eq!(
            sql,
            "SELECT id FROM images WHERE owner = $1 AND (size < $2 OR (size = $2 AND id < $3)) \
             ORDER BY size DESC, id DESC LIMIT $4 OFFSET $5"
        );
        let count = s.sql("COUNT(*)", false);
        assert_eq!(
            count,
            "SELECT COUNT(*) FROM images WHERE owner = $1 AND (size < $2 OR (size = $2 AND id < $3))"
        );
    }

    #[test]
    fn a_substring_filter_escapes_wildcards_and_ignores_case() {
        let s = Select::<Row>::new("id", "users").contains(&["name", "email"], Some("A_b"));
        let sql = s.sql("id", true);
        assert_eq!(
            sql,
            "SELECT id FROM users WHERE (LOWER(COALESCE(name, '')) LIKE $1 ESCAPE '\\' \
             OR LOWER(COALESCE(email, '')) LIKE $1 ESCAPE '\\')"
        );
        assert_eq!(s.args, vec![Arg::from("%a\\_b%")]);
    }
}
