//! Images and image members (Glance v2).

use sqlx::FromRow;

use super::select::{Arg, Select};
use super::table::table;
use super::{DbError, C};

table! {
    pub struct ImageRow in "images" {
        pub id: String,
        pub name: Option<String>,
        pub owner: String,
        pub status: String,
        pub visibility: String,
        pub protected: i64,
        pub disk_format: Option<String>,
        pub container_format: Option<String>,
        pub size: Option<i64>,
        pub virtual_size: Option<i64>,
        pub checksum: Option<String>,
        pub os_hash_algo: Option<String>,
        pub os_hash_value: Option<String>,
        pub min_disk: i64,
        pub min_ram: i64,
        /// A JSON object of string values.
        pub properties: String,
        /// A JSON array of strings.
        pub tags: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// Writes the fields a user may change (JSON patch); `status` and the data fields are
/// changed only through the transitions below.
pub async fn image_update(c: &mut C, i: &ImageRow) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE images SET name = $2, visibility = $3, protected = $4, disk_format = $5,
         container_format = $6, min_disk = $7, min_ram = $8, properties = $9, tags = $10,
         updated_at = $11, owner = $12 WHERE id = $1",
    )
    .bind(&i.id)
    .bind(&i.name)
    .bind(&i.visibility)
    .bind(i.protected)
    .bind(&i.disk_format)
    .bind(&i.container_format)
    .bind(i.min_disk)
    .bind(i.min_ram)
    .bind(&i.properties)
    .bind(&i.tags)
    .bind(i.updated_at)
    .bind(&i.owner)
    .execute(c)
    .await?;
    Ok(())
}

/// Moves an image from one status to another; `false` when it was not in `from` (another
/// request got there first).
pub async fn image_transition(
    c: &mut C,
    id: &str,
    from: &str,
    to: &str,
    now: i64,
) -> Result<bool, DbError> {
    let r =
        sqlx::query("UPDATE images SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2")
            .bind(id)
            .bind(from)
            .bind(to)
            .bind(now)
            .execute(c)
            .await?;
    Ok(r.rows_affected() == 1)
}

/// What a completed upload records.
#[derive(Clone, Debug)]
pub struct ImageData {
    pub size: i64,
    pub virtual_size: Option<i64>,
    pub checksum: String,
    pub os_hash_algo: String,
    pub os_hash_value: String,
}

/// `saving` → `active` with the data's figures; `false` when the image left `saving`
/// (deleted meanwhile).
pub async fn image_activate(c: &mut C, id: &str, d: &ImageData, now: i64) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE images SET status = 'active', size = $2, virtual_size = $3, checksum = $4,
         os_hash_algo = $5, os_hash_value = $6, updated_at = $7 WHERE id = $1 AND status = 'saving'",
    )
    .bind(id)
    .bind(d.size)
    .bind(d.virtual_size)
    .bind(&d.checksum)
    .bind(&d.os_hash_algo)
    .bind(&d.os_hash_value)
    .bind(now)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Ids of images left in `saving` (an upload that a stopped controller never finished).
pub async fn image_ids_in_status(c: &mut C, status: &str) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM images WHERE status = $1")
        .bind(status)
        .fetch_all(c)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// A column images can be sorted by: its SQL expression (NULLs folded so keyset paging
/// works) and whether it is a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageSort {
    Name,
    Status,
    DiskFormat,
    ContainerFormat,
    Size,
    Id,
    CreatedAt,
    UpdatedAt,
    Visibility,
    Owner,
    MinDisk,
    MinRam,
}

impl ImageSort {
    pub fn parse(key: &str) -> Option<ImageSort> {
        Some(match key {
            "name" => ImageSort::Name,
            "status" => ImageSort::Status,
            "disk_format" => ImageSort::DiskFormat,
            "container_format" => ImageSort::ContainerFormat,
            "size" => ImageSort::Size,
            "id" => ImageSort::Id,
            "created_at" => ImageSort::CreatedAt,
            "updated_at" => ImageSort::UpdatedAt,
            "visibility" => ImageSort::Visibility,
            "owner" => ImageSort::Owner,
            "min_disk" => ImageSort::MinDisk,
            "min_ram" => ImageSort::MinRam,
            _ => return None,
        })
    }

    fn expr(self) -> &'static str {
        match self {
            ImageSort::Name => "COALESCE(name, '')",
            ImageSort::Status => "status",
            ImageSort::DiskFormat => "COALESCE(disk_format, '')",
            ImageSort::ContainerFormat => "COALESCE(container_format, '')",
            ImageSort::Size => "COALESCE(size, -1)",
            ImageSort::Id => "id",
            ImageSort::CreatedAt => "created_at",
            ImageSort::UpdatedAt => "updated_at",
            ImageSort::Visibility => "visibility",
            ImageSort::Owner => "owner",
            ImageSort::MinDisk => "min_disk",
            ImageSort::MinRam => "min_ram",
        }
    }

    /// The marker row's value of this column, as the SQL expression computes it.
    pub fn value_of(self, i: &ImageRow) -> SortValue {
        match self {
            ImageSort::Name => SortValue::Text(i.name.clone().unwrap_or_default()),
            ImageSort::Status => SortValue::Text(i.status.clone()),
            ImageSort::DiskFormat => SortValue::Text(i.disk_format.clone().unwrap_or_default()),
            ImageSort::ContainerFormat => {
                SortValue::Text(i.container_format.clone().unwrap_or_default())
            }
            ImageSort::Size => SortValue::Int(i.size.unwrap_or(-1)),
            ImageSort::Id => SortValue::Text(i.id.clone()),
            ImageSort::CreatedAt => SortValue::Int(i.created_at),
            ImageSort::UpdatedAt => SortValue::Int(i.updated_at),
            ImageSort::Visibility => SortValue::Text(i.visibility.clone()),
            ImageSort::Owner => SortValue::Text(i.owner.clone()),
            ImageSort::MinDisk => SortValue::Int(i.min_disk),
            ImageSort::MinRam => SortValue::Int(i.min_ram),
        }
    }
}

/// A sort column's value, as a marker for the next page.
pub type SortValue = Arg;

/// Which images a list returns. `project_id: None` is an administrator, who sees every
/// image; a project sees Glance's default set (public, its own, shared with it and
/// accepted) unless `visibility` asks for another.
#[derive(Clone, Debug)]
pub struct ImageFilter {
    pub project_id: Option<String>,
    /// `public`, `private`, `shared`, `community` or `all`.
    pub visibility: Option<String>,
    /// For shared images: `accepted` (default), `pending`, `rejected` or `all`.
    pub member_status: String,
    pub name: Option<String>,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub protected: Option<bool>,
    pub size_min: Option<i64>,
    pub size_max: Option<i64>,
    pub tags: Vec<String>,
    /// Case-insensitive substring of the name (the portal's filter box).
    pub name_contains: Option<String>,
    /// Only these images (empty: no restriction).
    pub ids: Vec<String>,
    pub sort: ImageSort,
    pub descending: bool,
    /// Keyset paging: the sort value and id of the last row of the previous page.
    pub after: Option<(SortValue, String)>,
    pub limit: i64,
    /// Rows to skip (the portal's numbered pages).
    pub offset: i64,
}

impl Default for ImageFilter {
    fn default() -> Self {
        ImageFilter {
            project_id: None,
            visibility: None,
            member_status: "accepted".into(),
            name: None,
            status: None,
            owner: None,
            disk_format: None,
            container_format: None,
            protected: None,
            size_min: None,
            size_max: None,
            tags: Vec::new(),
            name_contains: None,
            ids: Vec::new(),
            sort: ImageSort::CreatedAt,
            descending: true,
            after: None,
            limit: 25,
            offset: 0,
        }
    }
}

/// The images a filter finds, before paging: Glance's visibility rules, then the filters.
fn images(f: &ImageFilter) -> Select<ImageRow> {
    const MEMBER_OF: &str = "EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id
        AND m.member_id = ?1 AND (?2 = 'all' OR m.status = ?2))";
    let q = Select::table();
    let member = |p: &String| [Arg::from(p), Arg::from(&f.member_status)];
    let q = match (&f.project_id, f.visibility.as_deref()) {
        (None, None | Some("all")) => q,
        (None, Some(v)) => q.filter("visibility = ?", [v]),
        (Some(p), None) => q.filter(
            &format!("(visibility = 'public' OR owner = ?1 OR (visibility = 'shared' AND {MEMBER_OF}))"),
            member(p),
        ),
        (Some(p), Some("all")) => q.filter(
            &format!("(visibility IN ('public', 'community') OR owner = ?1 OR (visibility = 'shared' AND {MEMBER_OF}))"),
            member(p),
        ),
        (Some(_), Some("public")) => q.only("visibility = 'public'"),
        (Some(_), Some("community")) => q.only("visibility = 'community'"),
        (Some(p), Some("private")) => q.filter("visibility = 'private' AND owner = ?", [p]),
        (Some(p), Some("shared")) => q.filter(
            &format!("visibility = 'shared' AND (owner = ?1 OR {MEMBER_OF})"),
            member(p),
        ),
        // A visibility Glance does not know finds nothing.
        (Some(_), Some(_)) => q.only("1 = 0"),
    };
    let mut q = q
        .eq("name", f.name.as_deref())
        .eq("status", f.status.as_deref())
        .eq("owner", f.owner.as_deref())
        .eq("disk_format", f.disk_format.as_deref())
        .eq("container_format", f.container_format.as_deref())
        .eq("protected", f.protected)
        .when(f.size_min, "size >= ?")
        .when(f.size_max, "size <= ?")
        .contains(&["name"], f.name_contains.as_deref());
    for tag in &f.tags {
        q = q.filter("tags LIKE ? ESCAPE '\\'", [tag_pattern(tag)]);
    }
    q.one_of("id", &f.ids)
}

/// The pattern that finds one tag in the JSON array (`"tag"` with LIKE wildcards escaped).
fn tag_pattern(tag: &str) -> String {
    let quoted = serde_json::to_string(tag).unwrap_or_default();
    let mut out = String::from("%");
    for c in quoted.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub async fn image_list(c: &mut C, f: &ImageFilter) -> Result<Vec<ImageRow>, DbError> {
    let expr = f.sort.expr();
    let dir = if f.descending { "DESC" } else { "ASC" };
    images(f)
        .after(expr, f.descending, f.after.clone())
        .order_by(&format!("{expr} {dir}, id {dir}"))
        .limit(Some(f.limit))
        .offset(f.offset)
        .fetch_all(c)
        .await
}

/// How many images a filter finds (paging and `after` aside).
pub async fn image_count(c: &mut C, f: &ImageFilter) -> Result<i64, DbError> {
    images(f).count(c).await
}

#[derive(Clone, Debug, FromRow)]
pub struct MemberRow {
    pub image_id: String,
    pub member_id: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const MEMBER_COLS: &str = "image_id, member_id, status, created_at, updated_at";

pub async fn member_insert(c: &mut C, m: &MemberRow) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO image_members ({MEMBER_COLS}) VALUES ($1, $2, $3, $4, $5)"
    ))
    .bind(&m.image_id)
    .bind(&m.member_id)
    .bind(&m.status)
    .bind(m.created_at)
    .bind(m.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn member_get(
    c: &mut C,
    image_id: &str,
    member_id: &str,
) -> Result<Option<MemberRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {MEMBER_COLS} FROM image_members WHERE image_id = $1 AND member_id = $2"
    ))
    .bind(image_id)
    .bind(member_id)
    .fetch_optional(c)
    .await
}

pub async fn member_list(c: &mut C, image_id: &str) -> Result<Vec<MemberRow>, DbError> {
    sqlx::query_as(&format!(
        "SELECT {MEMBER_COLS} FROM image_members WHERE image_id = $1 ORDER BY created_at, member_id"
    ))
    .bind(image_id)
    .fetch_all(c)
    .await
}

pub async fn member_set_status(
    c: &mut C,
    image_id: &str,
    member_id: &str,
    status: &str,
    now: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE image_members SET status = $3, updated_at = $4 WHERE image_id = $1 AND member_id = $2",
    )
    .bind(image_id)
    .bind(member_id)
    .bind(status)
    .bind(now)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn member_delete(c: &mut C, image_id: &str, member_id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM image_members WHERE image_id = $1 AND member_id = $2")
        .bind(image_id)
        .bind(member_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_patterns_match_whole_quoted_tags() {
        assert_eq!(tag_pattern("web"), "%\"web\"%");
        assert_eq!(tag_pattern("50%_off"), "%\"50\\%\\_off\"%");
    }
}
