//! The image service (Glance v2): image records, their data in the store, sharing with
//! other projects, and the checks that keep unsafe data out.
//!
//! Status moves `queued` → `saving` → `active` (or `killed` when the upload breaks), and
//! `active` ⇄ `deactivated`. The data is written under a temporary name and renamed only
//! when it is complete and checked, so no interrupted upload ever leaves an `active` image.

pub mod inspect;
mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use md5::Digest as _;
use serde_json::Value;

use crate::server::authz::{authorize, is_admin, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::images::{ImageData, ImageFilter, ImageRow};
pub use crate::server::db::images::{ImageSort, MemberRow as ImageMember};
use crate::server::db::{self, Db};
use crate::server::error::{Error, Result};
use crate::server::services::now;
pub use inspect::{CONTAINER_FORMATS, DISK_FORMATS};
pub use store::ImageStore;

/// Image settings (Glance's `image_size_cap` and the tools it runs).
#[derive(Clone, Debug)]
pub struct ImageConfig {
    /// The largest image accepted, in bytes (Glance's default is 1 TiB).
    pub size_cap: i64,
    pub qemu_img: PathBuf,
}

impl Default for ImageConfig {
    fn default() -> Self {
        ImageConfig {
            size_cap: 1 << 40,
            qemu_img: PathBuf::from("qemu-img"),
        }
    }
}

pub const VISIBILITIES: [&str; 4] = ["public", "private", "shared", "community"];
pub const MEMBER_STATUSES: [&str; 3] = ["pending", "accepted", "rejected"];

/// Attributes Glance computes; a client may not set them.
const READ_ONLY: [&str; 14] = [
    "id",
    "status",
    "owner",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "size",
    "virtual_size",
    "created_at",
    "updated_at",
    "file",
    "self",
    "schema",
    "direct_url",
];
/// Names no property may take.
const RESERVED: [&str; 4] = [
    "deleted",
    "deleted_at",
    "locations",
    "os_glance_import_task",
];

/// An image as the service hands it out.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub owner: String,
    pub status: String,
    pub visibility: String,
    pub protected: bool,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub size: Option<i64>,
    pub virtual_size: Option<i64>,
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    pub min_disk: i64,
    pub min_ram: i64,
    pub properties: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<ImageRow> for Image {
    fn from(r: ImageRow) -> Image {
        Image {
            properties: serde_json::from_str(&r.properties).unwrap_or_default(),
            tags: serde_json::from_str(&r.tags).unwrap_or_default(),
            id: r.id,
            name: r.name,
            owner: r.owner,
            status: r.status,
            visibility: r.visibility,
            protected: r.protected != 0,
            disk_format: r.disk_format,
            container_format: r.container_format,
            size: r.size,
            virtual_size: r.virtual_size,
            checksum: r.checksum,
            os_hash_algo: r.os_hash_algo,
            os_hash_value: r.os_hash_value,
            min_disk: r.min_disk,
            min_ram: r.min_ram,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl Image {
    fn to_row(&self) -> ImageRow {
        ImageRow {
            id: self.id.clone(),
            name: self.name.clone(),
            owner: self.owner.clone(),
            status: self.status.clone(),
            visibility: self.visibility.clone(),
            protected: self.protected as i64,
            disk_format: self.disk_format.clone(),
            container_format: self.container_format.clone(),
            size: self.size,
            virtual_size: self.virtual_size,
            checksum: self.checksum.clone(),
            os_hash_algo: self.os_hash_algo.clone(),
            os_hash_value: self.os_hash_value.clone(),
            min_disk: self.min_disk,
            min_ram: self.min_ram,
            properties: serde_json::to_string(&self.properties).unwrap_or_else(|_| "{}".into()),
            tags: serde_json::to_string(&self.tags).unwrap_or_else(|_| "[]".into()),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// Applies one attribute as a client sets it (create or JSON patch), with Glance's
    /// schema checks. `None` removes it.
    fn set(&mut self, attr: &str, value: Option<&Value>) -> Result<()> {
        if READ_ONLY.contains(&attr) {
            return Err(Error::forbidden_msg(format!(
                "Attribute '{attr}' is read-only."
            )));
        }
        if RESERVED.contains(&attr) {
            return Err(Error::forbidden_msg(format!(
                "Attribute '{attr}' is reserved."
            )));
        }
        match attr {
            "name" => {
                self.name = match value {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) if s.chars().count() <= 255 => Some(s.clone()),
                    Some(v) => {
                        return Err(bad_value(attr, v, "a string of at most 255 characters"))
                    }
                }
            }
            "visibility" => {
                let v = required_str(attr, value)?;
                if !VISIBILITIES.contains(&v) {
                    return Err(bad_value(
                        attr,
                        value.unwrap_or(&Value::Null),
                        "one of public, private, shared, community",
                    ));
                }
                self.visibility = v.to_string();
            }
            "protected" => {
                self.protected = match value {
                    Some(Value::Bool(b)) => *b,
                    Some(v) => return Err(bad_value(attr, v, "a boolean")),
                    None => {
                        return Err(Error::forbidden_msg(
                            "Attribute 'protected' cannot be removed.",
                        ))
                    }
                }
            }
            "disk_format" | "container_format" => {
                let allowed: &[&str] = if attr == "disk_format" {
                    &DISK_FORMATS
                } else {
                    &CONTAINER_FORMATS
                };
                let v = match value {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) if allowed.contains(&s.as_str()) => Some(s.clone()),
                    Some(v) => {
                        return Err(bad_value(
                            attr,
                            v,
                            &format!("one of {}", allowed.join(", ")),
                        ))
                    }
                };
                if self.status != "queued" && v != self.field_str(attr) {
                    return Err(Error::forbidden_msg(format!(
                        "Attribute {attr} can be only replaced for a queued image."
                    )));
                }
                if attr == "disk_format" {
                    self.disk_format = v;
                } else {
                    self.container_format = v;
                }
            }
            "min_disk" | "min_ram" => {
                let n = match value {
                    Some(Value::Number(n)) => n.as_i64().filter(|n| *n >= 0),
                    _ => None,
                }
                .ok_or_else(|| {
                    bad_value(
                        attr,
                        value.unwrap_or(&Value::Null),
                        "a non-negative integer",
                    )
                })?;
                if attr == "min_disk" {
                    self.min_disk = n;
                } else {
                    self.min_ram = n;
                }
            }
            "tags" => {
                let tags = match value {
                    Some(Value::Array(items)) if items.len() > MAX_TAGS => {
                        return Err(over_limit("tags", items.len(), MAX_TAGS))
                    }
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|t| match t {
                            Value::String(s) => check_tag(s).map(|_| s.clone()),
                            other => Err(bad_value("tags", other, "a string")),
                        })
                        .collect::<Result<Vec<_>>>()?,
                    None => Vec::new(),
                    Some(v) => return Err(bad_value(attr, v, "an array of strings")),
                };
                let mut unique = Vec::new();
                for t in tags {
                    if !unique.contains(&t) {
                        unique.push(t);
                    }
                }
                self.tags = unique;
            }
            _ => {
                if attr.is_empty() || attr.chars().count() > 255 || attr.contains('/') {
                    return Err(Error::invalid(format!("Invalid property name '{attr}'.")));
                }
                match value {
                    None => {
                        if self.properties.remove(attr).is_none() {
                            return Err(Error::Conflict(format!(
                                "Property {attr} does not exist."
                            )));
                        }
                    }
                    Some(Value::String(s)) => {
                        if s.chars().count() > 65535 {
                            return Err(bad_value(attr, &Value::Null, "at most 65535 characters"));
                        }
                        self.properties.insert(attr.to_string(), s.clone());
                    }
                    Some(v) => return Err(bad_value(attr, v, "a string")),
                }
            }
        }
        Ok(())
    }

    fn field_str(&self, attr: &str) -> Option<String> {
        match attr {
            "disk_format" => self.disk_format.clone(),
            "container_format" => self.container_format.clone(),
            _ => None,
        }
    }

    /// The image as the policy sees it.
    fn resource<'a>(&'a self, member: bool) -> Resource<'a> {
        Resource::Image {
            id: &self.id,
            owner: &self.owner,
            visibility: &self.visibility,
            member,
        }
    }
}

fn bad_value(attr: &str, v: &Value, expected: &str) -> Error {
    Error::invalid(format!(
        "Invalid value {v} for attribute '{attr}': expected {expected}."
    ))
}

fn required_str<'v>(attr: &str, value: Option<&'v Value>) -> Result<&'v str> {
    match value {
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(bad_value(attr, v, "a string")),
        None => Err(Error::forbidden_msg(format!(
            "Attribute '{attr}' cannot be removed."
        ))),
    }
}

/// Glance's `image_property_quota`, `image_tag_quota` and `image_member_quota`: counted
/// before the work a longer list would cost.
pub const MAX_PROPERTIES: usize = 128;
pub const MAX_TAGS: usize = 128;
pub const MAX_MEMBERS: usize = 128;

/// Glance's 413 for one of those limits.
fn over_limit(what: &str, attempted: usize, maximum: usize) -> Error {
    Error::TooLarge(format!(
        "The limit has been exceeded on the number of allowed image {what}. \
         Attempted: {attempted}, Maximum: {maximum}"
    ))
}

fn check_properties(image: &Image) -> Result<()> {
    match image.properties.len() {
        n if n > MAX_PROPERTIES => Err(over_limit("properties", n, MAX_PROPERTIES)),
        _ => Ok(()),
    }
}

fn check_tag(tag: &str) -> Result<()> {
    if tag.is_empty() || tag.chars().count() > 255 {
        return Err(Error::invalid(format!(
            "Invalid tag '{tag}': a tag has 1 to 255 characters."
        )));
    }
    Ok(())
}

/// A new image: the attributes of `POST /v2/images`.
#[derive(Debug, Default)]
pub struct ImageCreate {
    pub id: Option<String>,
    /// Every other attribute as the client sent it, checked like a patch.
    pub attributes: serde_json::Map<String, Value>,
}

/// One JSON-patch operation on an image attribute.
#[derive(Debug, Clone)]
pub enum ImagePatch {
    /// `add` and `replace` alike set the value (Glance treats them the same on attributes).
    Set(String, Value),
    Remove(String),
}

/// `GET /v2/images` parameters, already parsed.
#[derive(Debug, Clone)]
pub struct ImageQuery {
    pub visibility: Option<String>,
    pub member_status: Option<String>,
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
    /// Only these images.
    pub ids: Vec<String>,
    /// List what a member of the token's project sees, even for an administrator
    /// (Horizon's Project → Images, the launch wizard).
    pub project_view: bool,
    pub sort: ImageSort,
    pub descending: bool,
    pub marker: Option<String>,
    pub limit: Option<i64>,
    /// Rows to skip (the portal's numbered pages).
    pub offset: i64,
}

impl Default for ImageQuery {
    fn default() -> Self {
        ImageQuery {
            visibility: None,
            member_status: None,
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
            project_view: false,
            sort: ImageSort::CreatedAt,
            descending: true,
            marker: None,
            limit: None,
            offset: 0,
        }
    }
}

/// A page of images; `more` when another page follows the last one.
pub struct ImagePage {
    pub images: Vec<Image>,
    pub more: bool,
}

/// The largest page Glance serves (`api_limit_max`).
pub const MAX_PAGE: i64 = 1000;

#[derive(Clone)]
pub struct ImageService {
    db: Db,
    store: ImageStore,
    config: ImageConfig,
}

impl ImageService {
    pub fn new(db: Db, data_dir: &std::path::Path, config: ImageConfig) -> Result<ImageService> {
        let store = ImageStore::open(data_dir.join("images"))
            .map_err(|e| Error::internal("opening the image store", e))?;
        Ok(ImageService { db, store, config })
    }

    /// After a restart: an upload that was running when the controller stopped can never
    /// finish, so its image is `killed` and its partial file removed.
    pub async fn recover(&self) -> Result<()> {
        let mut conn = self.db.conn().await?;
        for id in db::images::image_ids_in_status(&mut conn, "saving").await? {
            db::images::image_transition(&mut conn, &id, "saving", "killed", now()).await?;
            tracing::warn!(image_id = %id, "upload interrupted by a restart: image killed");
        }
        self.store.remove_partials().await;
        Ok(())
    }

    /// The image if the caller may see it, with whether the caller is a member of it.
    async fn load(&self, ctx: &OpCtx, id: &str) -> Result<(Image, bool)> {
        let mut conn = self.db.conn().await?;
        let image: Image = db::images::image_get(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("image", id))?
            .into();
        let member = match ctx.auth.project_id() {
            Some(p) if image.visibility == "shared" && p != image.owner => {
                db::images::member_get(&mut conn, id, p).await?.is_some()
            }
            _ => false,
        };
        authorize(ctx, Action::Read, image.resource(member))?;
        Ok((image, member))
    }

    pub async fn image_get(&self, ctx: &OpCtx, id: &str) -> Result<Image> {
        Ok(self.load(ctx, id).await?.0)
    }

    pub async fn image_create(&self, ctx: &OpCtx, params: ImageCreate) -> Result<Image> {
        let project_id = ctx
            .auth
            .project_id()
            .ok_or_else(|| Error::forbidden_msg("Images are created with a project-scoped token."))?
            .to_string();
        let id = match params.id {
            Some(id) => {
                uuid::Uuid::parse_str(&id).map_err(|_| {
                    Error::invalid(format!(
                        "Invalid value '{id}' for attribute 'id': not a UUID."
                    ))
                })?;
                id
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        authorize(
            ctx,
            Action::Create,
            Resource::ProjectOwned {
                kind: "image",
                id: &id,
                project_id: &project_id,
            },
        )?;
        let t = now();
        let mut image = Image {
            id,
            name: None,
            owner: project_id,
            status: "queued".into(),
            // Glance says `shared` (with no members, private in effect); an upload here
            // is plainly private until its owner shares it.
            visibility: "private".into(),
            protected: false,
            disk_format: None,
            container_format: None,
            size: None,
            virtual_size: None,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            min_disk: 0,
            min_ram: 0,
            properties: BTreeMap::new(),
            tags: Vec::new(),
            created_at: t,
            updated_at: t,
        };
        for (attr, value) in &params.attributes {
            image.set(attr, Some(value))?;
        }
        check_properties(&image)?;
        self.check_publicize(ctx, None, &image)?;
        let mut conn = self.db.conn().await?;
        db::images::image_insert(&mut conn, &image.to_row())
            .await
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    Error::Conflict(format!(
                        "Image with identifier {} already exists!",
                        image.id
                    ))
                } else {
                    e.into()
                }
            })?;
        Ok(image)
    }

    /// Only administrators make an image public (Glance's `publicize_image`).
    fn check_publicize(&self, ctx: &OpCtx, before: Option<&Image>, after: &Image) -> Result<()> {
        let was_public = before.is_some_and(|b| b.visibility == "public");
        if after.visibility == "public" && !was_public {
            authorize(
                ctx,
                Action::Modify,
                Resource::AdminOnly {
                    policy: "publicize_image",
                },
            )?;
        }
        Ok(())
    }

    pub async fn image_list(&self, ctx: &OpCtx, q: ImageQuery) -> Result<ImagePage> {
        let limit = q.limit.unwrap_or(25);
        if !(0..=MAX_PAGE).contains(&limit) {
            return Err(Error::invalid(format!(
                "limit must be between 0 and {MAX_PAGE}"
            )));
        }
        let mut filter = self.filter(ctx, q).await?;
        filter.limit = limit + 1;
        let mut conn = self.db.conn().await?;
        let mut rows = db::images::image_list(&mut conn, &filter).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        Ok(ImagePage {
            images: rows.into_iter().map(Image::from).collect(),
            more,
        })
    }

    /// How many images a query finds, all pages together (the portal's pager).
    pub async fn image_count(&self, ctx: &OpCtx, q: ImageQuery) -> Result<i64> {
        let filter = self.filter(ctx, q).await?;
        let mut conn = self.db.conn().await?;
        Ok(db::images::image_count(&mut conn, &filter).await?)
    }

    /// The names of the images among `ids` the caller may see (an instance list's
    /// Image Name column); the others are left out.
    pub async fn image_names(
        &self,
        ctx: &OpCtx,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, String>> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let limit = ids.len() as i64;
        let page = self
            .image_list(
                ctx,
                ImageQuery {
                    visibility: Some("all".into()),
                    ids,
                    limit: Some(limit.min(MAX_PAGE)),
                    ..Default::default()
                },
            )
            .await?;
        Ok(page
            .images
            .into_iter()
            .map(|i| (i.id.clone(), i.name.unwrap_or(i.id)))
            .collect())
    }

    /// Checks a query and turns it into the database filter for the caller.
    async fn filter(&self, ctx: &OpCtx, q: ImageQuery) -> Result<ImageFilter> {
        if let Some(v) = &q.visibility {
            if !VISIBILITIES.contains(&v.as_str()) && v != "all" {
                return Err(Error::invalid(format!("Invalid visibility value: {v}")));
            }
        }
        let member_status = q.member_status.clone().unwrap_or_else(|| "accepted".into());
        if !MEMBER_STATUSES.contains(&member_status.as_str()) && member_status != "all" {
            return Err(Error::invalid(format!(
                "Invalid status value: {member_status}"
            )));
        }
        let project_id = if is_admin(ctx) && !(q.project_view && ctx.auth.project_id().is_some()) {
            None
        } else {
            let p = ctx.auth.project_id().ok_or_else(|| {
                Error::forbidden_msg("Images are listed with a project-scoped token.")
            })?;
            authorize(
                ctx,
                Action::List,
                Resource::ProjectOwned {
                    kind: "image",
                    id: "*",
                    project_id: p,
                },
            )?;
            Some(p.to_string())
        };
        let after = match &q.marker {
            None => None,
            Some(m) => {
                let (marker, _) = self.load(ctx, m).await.map_err(|e| match e {
                    Error::NotFound { .. } => {
                        Error::invalid(format!("Invalid marker. Image {m} could not be found."))
                    }
                    other => other,
                })?;
                Some((q.sort.value_of(&marker.to_row()), marker.id))
            }
        };
        Ok(ImageFilter {
            project_id,
            visibility: q.visibility,
            member_status,
            name: q.name,
            status: q.status,
            owner: q.owner,
            disk_format: q.disk_format,
            container_format: q.container_format,
            protected: q.protected,
            size_min: q.size_min,
            size_max: q.size_max,
            tags: q.tags,
            name_contains: q.name_contains,
            ids: q.ids,
            sort: q.sort,
            descending: q.descending,
            after,
            limit: 0,
            offset: q.offset,
        })
    }

    pub async fn image_update(&self, ctx: &OpCtx, id: &str, ops: Vec<ImagePatch>) -> Result<Image> {
        let (before, member) = self.load(ctx, id).await?;
        authorize(ctx, Action::Modify, before.resource(member))?;
        let mut image = before.clone();
        for op in &ops {
            match op {
                ImagePatch::Set(attr, value) => image.set(attr, Some(value))?,
                ImagePatch::Remove(attr) => image.set(attr, None)?,
            }
        }
        check_properties(&image)?;
        self.check_publicize(ctx, Some(&before), &image)?;
        image.updated_at = now();
        let mut conn = self.db.conn().await?;
        db::images::image_update(&mut conn, &image.to_row()).await?;
        Ok(image)
    }

    pub async fn image_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let (image, member) = self.load(ctx, id).await?;
        authorize(ctx, Action::Delete, image.resource(member))?;
        if image.protected {
            return Err(Error::forbidden_msg(format!(
                "Image {id} is protected and cannot be deleted."
            )));
        }
        let mut conn = self.db.conn().await?;
        if !db::images::image_delete(&mut conn, id).await? {
            return Err(Error::not_found("image", id));
        }
        drop(conn);
        self.store.remove(id).await;
        Ok(())
    }

    pub async fn tag_add(&self, ctx: &OpCtx, id: &str, tag: &str) -> Result<()> {
        check_tag(tag)?;
        let (image, _) = self.load(ctx, id).await?;
        let mut tags = image.tags.clone();
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
        self.image_update(ctx, id, vec![ImagePatch::Set("tags".into(), tags.into())])
            .await
            .map(|_| ())
    }

    pub async fn tag_delete(&self, ctx: &OpCtx, id: &str, tag: &str) -> Result<()> {
        let (image, _) = self.load(ctx, id).await?;
        if !image.tags.iter().any(|t| t == tag) {
            return Err(Error::not_found("tag", tag));
        }
        let tags: Vec<String> = image.tags.into_iter().filter(|t| t != tag).collect();
        self.image_update(ctx, id, vec![ImagePatch::Set("tags".into(), tags.into())])
            .await
            .map(|_| ())
    }

    /// `active` → `deactivated` (or back): the data can no longer be downloaded or booted
    /// by anyone but an administrator.
    pub async fn image_set_active(&self, ctx: &OpCtx, id: &str, active: bool) -> Result<()> {
        let (image, member) = self.load(ctx, id).await?;
        authorize(ctx, Action::Modify, image.resource(member))?;
        let (from, to) = if active {
            ("deactivated", "active")
        } else {
            ("active", "deactivated")
        };
        if image.status == to {
            return Ok(());
        }
        let mut conn = self.db.conn().await?;
        if !db::images::image_transition(&mut conn, id, from, to, now()).await? {
            return Err(Error::Conflict(format!(
                "Not allowed to {} image in status '{}'.",
                if active { "reactivate" } else { "deactivate" },
                image.status
            )));
        }
        Ok(())
    }

    /// Stores an image's data from a stream, checks it, and activates the image.
    ///
    /// The transfer runs in a task of its own: a client that hangs up drops the request
    /// handler, but the upload still ends as `killed` rather than stuck in `saving`.
    pub async fn image_upload<S, E>(&self, ctx: &OpCtx, id: &str, body: S) -> Result<Image>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let (image, member) = self.load(ctx, id).await?;
        authorize(ctx, Action::Modify, image.resource(member))?;
        let (Some(disk_format), Some(container_format)) =
            (image.disk_format.clone(), image.container_format.clone())
        else {
            return Err(Error::invalid(
                "Properties disk_format, container_format must be set prior to saving data.",
            ));
        };
        {
            let mut conn = self.db.conn().await?;
            if !db::images::image_transition(&mut conn, id, "queued", "saving", now()).await? {
                return Err(Error::Conflict(format!(
                    "Image status transition from {} to saving is not allowed",
                    image.status
                )));
            }
        }
        let this = self.clone();
        let image_id = id.to_string();
        tokio::spawn(async move {
            this.finish_upload(&image_id, body, &disk_format, &container_format)
                .await
        })
        .await
        .map_err(|e| Error::internal("image upload task", e))?
    }

    async fn finish_upload<S, E>(
        &self,
        id: &str,
        body: S,
        disk_format: &str,
        container_format: &str,
    ) -> Result<Image>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        match self.receive(id, body, disk_format, container_format).await {
            Ok(data) => {
                let mut conn = self.db.conn().await?;
                if !db::images::image_activate(&mut conn, id, &data, now()).await? {
                    // Deleted while uploading: the data has no image any more.
                    drop(conn);
                    self.store.remove(id).await;
                    return Err(Error::not_found("image", id));
                }
                Ok(db::images::image_get(&mut conn, id)
                    .await?
                    .ok_or_else(|| Error::not_found("image", id))?
                    .into())
            }
            Err(Upload::Refused(e)) => {
                // The client's data was wrong: the image may be uploaded again.
                let mut conn = self.db.conn().await?;
                db::images::image_transition(&mut conn, id, "saving", "queued", now()).await?;
                Err(e)
            }
            Err(Upload::Broken(e)) => {
                let mut conn = self.db.conn().await?;
                db::images::image_transition(&mut conn, id, "saving", "killed", now()).await?;
                Err(e)
            }
        }
    }

    /// Writes the stream to a temporary file, hashing as it goes, checks the data, and
    /// renames it into place.
    async fn receive<S, E>(
        &self,
        id: &str,
        mut body: S,
        disk_format: &str,
        container_format: &str,
    ) -> std::result::Result<ImageData, Upload>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        use tokio::io::AsyncWriteExt;
        let mut partial = self.store.partial(id).await.map_err(Upload::io)?;
        let mut md5 = md5::Md5::new();
        let mut sha512 = sha2::Sha512::new();
        let mut size: i64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(image_id = %id, error = %e, "image upload interrupted");
                    return Err(Upload::Broken(Error::invalid(format!(
                        "The image upload was interrupted: {e}"
                    ))));
                }
            };
            size += chunk.len() as i64;
            if size > self.config.size_cap {
                return Err(Upload::Refused(Error::TooLarge(format!(
                    "Image exceeds the storage quota: the limit is {} bytes.",
                    self.config.size_cap
                ))));
            }
            md5.update(&chunk);
            sha2::Digest::update(&mut sha512, &chunk);
            partial.file.write_all(&chunk).await.map_err(Upload::io)?;
        }
        partial.file.flush().await.map_err(Upload::io)?;
        partial.file.sync_all().await.map_err(Upload::io)?;
        let virtual_size = inspect::inspect(
            &self.config.qemu_img,
            &partial.path,
            disk_format,
            container_format,
        )
        .await
        .map_err(|reason| Upload::Refused(Error::invalid(reason)))?;
        let data = ImageData {
            size,
            virtual_size,
            checksum: hex::encode(md5.finalize()),
            os_hash_algo: "sha512".into(),
            os_hash_value: hex::encode(sha2::Digest::finalize(sha512)),
        };
        partial.commit().await.map_err(Upload::io)?;
        Ok(data)
    }

    /// The image's data file, if the caller may download it.
    pub async fn image_data(&self, ctx: &OpCtx, id: &str) -> Result<Option<(Image, PathBuf)>> {
        let (image, _) = self.load(ctx, id).await?;
        if image.status == "deactivated" && !is_admin(ctx) {
            return Err(Error::forbidden_msg(
                "The requested image has been deactivated. Image data download is forbidden.",
            ));
        }
        if image.status != "active" && image.status != "deactivated" {
            return Ok(None);
        }
        let path = self.store.path(id);
        Ok(Some((image, path)))
    }

    // --- Members -----------------------------------------------------------------------

    pub async fn member_create(
        &self,
        ctx: &OpCtx,
        id: &str,
        member_id: &str,
    ) -> Result<ImageMember> {
        let (image, member) = self.load(ctx, id).await?;
        authorize(ctx, Action::Modify, image.resource(member))?;
        if image.visibility != "shared" {
            return Err(Error::forbidden_msg(format!(
                "Image {id} is not shared: only shared images have members."
            )));
        }
        if member_id.trim().is_empty() || member_id.len() > 255 {
            return Err(Error::invalid("Invalid member id."));
        }
        let mut conn = self.db.conn().await?;
        let members = db::images::member_list(&mut conn, id).await?.len();
        drop(conn);
        if members >= MAX_MEMBERS {
            return Err(over_limit(
                "members for this image",
                members + 1,
                MAX_MEMBERS,
            ));
        }
        let t = now();
        let row = ImageMember {
            image_id: id.to_string(),
            member_id: member_id.to_string(),
            status: "pending".into(),
            created_at: t,
            updated_at: t,
        };
        let mut conn = self.db.conn().await?;
        db::images::member_insert(&mut conn, &row)
            .await
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    Error::Conflict(format!(
                        "Member {member_id} already associated with image {id}."
                    ))
                } else {
                    e.into()
                }
            })?;
        Ok(row)
    }

    /// The owner sees every member; a member sees only itself.
    pub async fn member_list(&self, ctx: &OpCtx, id: &str) -> Result<Vec<ImageMember>> {
        let (image, member) = self.load(ctx, id).await?;
        if image.visibility != "shared" {
            return Err(Error::forbidden_msg(format!(
                "Image {id} is not shared: only shared images have members."
            )));
        }
        let mut conn = self.db.conn().await?;
        let all = db::images::member_list(&mut conn, id).await?;
        if authorize(ctx, Action::Modify, image.resource(member)).is_ok() || is_admin(ctx) {
            return Ok(all);
        }
        let me = ctx.auth.project_id().unwrap_or_default();
        Ok(all.into_iter().filter(|m| m.member_id == me).collect())
    }

    pub async fn member_get(&self, ctx: &OpCtx, id: &str, member_id: &str) -> Result<ImageMember> {
        self.member_list(ctx, id)
            .await?
            .into_iter()
            .find(|m| m.member_id == member_id)
            .ok_or_else(|| Error::not_found("member", member_id))
    }

    /// A member accepts or rejects an image shared with it; nobody else may.
    pub async fn member_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        member_id: &str,
        status: &str,
    ) -> Result<ImageMember> {
        if !MEMBER_STATUSES.contains(&status) {
            return Err(Error::invalid(format!(
                "Invalid status value: {status}. It must be one of pending, accepted, rejected."
            )));
        }
        let current = self.member_get(ctx, id, member_id).await?;
        if ctx.auth.project_id() != Some(member_id) {
            return Err(Error::forbidden_msg(
                "Only the member itself may change its membership status.",
            ));
        }
        let t = now();
        let mut conn = self.db.conn().await?;
        db::images::member_set_status(&mut conn, id, member_id, status, t).await?;
        Ok(ImageMember {
            status: status.to_string(),
            updated_at: t,
            ..current
        })
    }

    pub async fn member_delete(&self, ctx: &OpCtx, id: &str, member_id: &str) -> Result<()> {
        let (image, member) = self.load(ctx, id).await?;
        self.member_get(ctx, id, member_id).await?;
        authorize(ctx, Action::Modify, image.resource(member))?;
        let mut conn = self.db.conn().await?;
        db::images::member_delete(&mut conn, id, member_id).await?;
        Ok(())
    }
}

/// Why an upload failed: the client's data (the image may be uploaded again) or the
/// transfer itself (the image is `killed`).
enum Upload {
    Refused(Error),
    Broken(Error),
}

impl Upload {
    fn io(e: std::io::Error) -> Upload {
        Upload::Broken(Error::internal("writing image data", e))
    }
}
