//! Images and image members (Glance v2).

use sqlx::FromRow;

use super::table::{table, Table};
use super::{b, DbError, C};

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
         updated_at = $11 WHERE id = $1",
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

#[derive(Clone, Debug)]
pub enum SortValue {
    Text(String),
    Int(i64),
}

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

const MEMBER_OF: &str = "EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id AND m.member_id = $1 AND ($3 = 'all' OR m.status = $3))";

fn image_where(f: &ImageFilter) -> String {
    let visible = format!(
        "(($1 IS NULL AND ($2 IS NULL OR $2 = 'all' OR visibility = $2))
          OR ($1 IS NOT NULL AND (
               ($2 IS NULL AND (visibility = 'public' OR owner = $1 OR (visibility = 'shared' AND {MEMBER_OF})))
            OR ($2 = 'all' AND (visibility IN ('public', 'community') OR owner = $1 OR (visibility = 'shared' AND {MEMBER_OF})))
            OR ($2 = 'public' AND visibility = 'public')
            OR ($2 = 'community' AND visibility = 'community')
            OR ($2 = 'private' AND visibility = 'private' AND owner = $1)
            OR ($2 = 'shared' AND visibility = 'shared' AND (owner = $1 OR {MEMBER_OF})))))"
    );
    let mut sql = format!(
        "WHERE {visible}
         AND ($4 IS NULL OR name = $4) AND ($5 IS NULL OR status = $5) AND ($6 IS NULL OR owner = $6)
         AND ($7 IS NULL OR disk_format = $7) AND ($8 IS NULL OR container_format = $8)
         AND ($9 IS NULL OR protected = $9) AND ($10 IS NULL OR size >= $10) AND ($11 IS NULL OR size <= $11)
         AND ($12 IS NULL OR LOWER(name) LIKE $12 ESCAPE '\\')"
    );
    for n in 0..f.tags.len() {
        sql.push_str(&format!(
            " AND tags LIKE ${} ESCAPE '\\'",
            FIXED_PARAMS + 1 + n
        ));
    }
    if !f.ids.is_empty() {
        let first = FIXED_PARAMS + 1 + f.tags.len();
        let list = (0..f.ids.len())
            .map(|n| format!("${}", first + n))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" AND id IN ({list})"));
    }
    sql
}

/// The parameters every image filter binds before its tags and ids.
const FIXED_PARAMS: usize = 12;

/// The number of parameters a filter binds.
fn filter_params(f: &ImageFilter) -> usize {
    FIXED_PARAMS + f.tags.len() + f.ids.len()
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

macro_rules! bind_image_filter {
    ($q:expr, $f:expr) => {{
        let mut q = $q
            .bind($f.project_id.as_deref())
            .bind($f.visibility.as_deref())
            .bind($f.member_status.as_str())
            .bind($f.name.as_deref())
            .bind($f.status.as_deref())
            .bind($f.owner.as_deref())
            .bind($f.disk_format.as_deref())
            .bind($f.container_format.as_deref())
            .bind($f.protected.map(b))
            .bind($f.size_min)
            .bind($f.size_max)
            .bind($f.name_contains.as_deref().map(super::like_pattern));
        for t in &$f.tags {
            q = q.bind(tag_pattern(t));
        }
        for id in &$f.ids {
            q = q.bind(id.clone());
        }
        q
    }};
}

pub async fn image_list(c: &mut C, f: &ImageFilter) -> Result<Vec<ImageRow>, DbError> {
    let image_cols = ImageRow::columns();
    let expr = f.sort.expr();
    let (dir, op) = if f.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let mut sql = format!("SELECT {image_cols} FROM images {}", image_where(f));
    let next = filter_params(f) + 1;
    if f.after.is_some() {
        sql.push_str(&format!(
            " AND ({expr} {op} ${next} OR ({expr} = ${next} AND id {op} ${}))",
            next + 1
        ));
    }
    let limit_at = if f.after.is_some() { next + 2 } else { next };
    sql.push_str(&format!(
        " ORDER BY {expr} {dir}, id {dir} LIMIT ${limit_at} OFFSET ${}",
        limit_at + 1
    ));
    let mut q = bind_image_filter!(sqlx::query_as(&sql), f);
    if let Some((value, id)) = &f.after {
        q = match value {
            SortValue::Text(s) => q.bind(s.clone()),
            SortValue::Int(n) => q.bind(*n),
        };
        q = q.bind(id.clone());
    }
    q.bind(f.limit).bind(f.offset).fetch_all(c).await
}

/// How many images a filter finds (paging and `after` aside).
pub async fn image_count(c: &mut C, f: &ImageFilter) -> Result<i64, DbError> {
    let sql = format!("SELECT COUNT(*) FROM images {}", image_where(f));
    let (n,): (i64,) = bind_image_filter!(sqlx::query_as(&sql), f)
        .fetch_one(c)
        .await?;
    Ok(n)
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
