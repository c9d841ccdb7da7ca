//! The image service (Glance v2): image records, their data in the store, sharing with
//! other projects, and the checks that keep unsafe data out.
//!
//! Status moves `queued` → `saving` → `active` (or `killed` when the upload breaks), and
//! `active` ⇄ `deactivated`. The data is written under a temporary name and renamed only
//! when it is complete and checked, so no interrupted upload ever leaves an `active` image.

pub mod inspect;
mod members;
mod metadefs;
mod model;
mod store;
mod upload;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::server::authz::{authorize, is_admin, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::images::ImageFilter;
pub use crate::server::db::images::{ImageSort, MemberRow as ImageMember};
use crate::server::db::{self, Db};
use crate::server::error::{Error, Result};
use crate::server::services::{found, now, remove};
pub use inspect::{CONTAINER_FORMATS, DISK_FORMATS};
pub use metadefs::{Association, Definition, DefinitionKind, Namespace, NamespaceWrite};
pub use model::*;
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
        let image: Image = found::<db::images::ImageRow>(&mut conn, "image", id)
            .await?
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
            .ok_or_else(|| {
                Error::forbidden_msg(msg!("Images are created with a project-scoped token."))
            })?
            .to_string();
        let id = match params.id {
            Some(id) => {
                uuid::Uuid::parse_str(&id).map_err(|_| {
                    Error::invalid(msg!(
                        "Invalid value '{id}' for attribute 'id': not a UUID.",
                        id
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
            owner: project_id.clone(),
            status: "queued".into(),
            // Glance's default: `shared`, private in effect until the owner adds members.
            visibility: "shared".into(),
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
        for attr in params.attributes {
            image.set(attr)?;
        }
        check_properties(&image)?;
        self.check_publicize(ctx, None, &image)?;
        self.check_owner(ctx, &project_id, &image)?;
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &image.to_row()).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                Error::Conflict(msg!(
                    "Image with identifier {id} already exists!",
                    id = image.id
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
            authorize(ctx, Action::Modify, Resource::AdminOnly("publicize_image"))?;
        }
        Ok(())
    }

    /// Only administrators give an image to another project.
    fn check_owner(&self, ctx: &OpCtx, owner_before: &str, after: &Image) -> Result<()> {
        if after.owner != owner_before
            && authorize(
                ctx,
                Action::Modify,
                Resource::AdminOnly("modify_image:owner"),
            )
            .is_err()
        {
            return Err(Error::forbidden_msg(msg!(
                "You are not permitted to create or modify images owned by '{owner}'.",
                owner = after.owner
            )));
        }
        Ok(())
    }

    pub async fn image_list(&self, ctx: &OpCtx, q: ImageQuery) -> Result<ImagePage> {
        let limit = q.limit.unwrap_or(25);
        if !(0..=MAX_PAGE).contains(&limit) {
            return Err(Error::invalid(msg!(
                "limit must be between 0 and {MAX_PAGE}",
                MAX_PAGE
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
                return Err(Error::invalid(msg!("Invalid visibility value: {v}", v)));
            }
        }
        let member_status = q.member_status.clone().unwrap_or_else(|| "accepted".into());
        if !MEMBER_STATUSES.contains(&member_status.as_str()) && member_status != "all" {
            return Err(Error::invalid(msg!(
                "Invalid status value: {member_status}",
                member_status
            )));
        }
        let project_id = if is_admin(ctx) && !(q.project_view && ctx.auth.project_id().is_some()) {
            None
        } else {
            let p = ctx.auth.project_id().ok_or_else(|| {
                Error::forbidden_msg(msg!("Images are listed with a project-scoped token."))
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
                        Error::invalid(msg!("Invalid marker. Image {m} could not be found.", m))
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
        for op in ops {
            match op {
                ImagePatch::Set(attr) => image.set(attr)?,
                ImagePatch::Remove(attr) => image.remove(&attr)?,
            }
        }
        check_properties(&image)?;
        self.check_publicize(ctx, Some(&before), &image)?;
        self.check_owner(ctx, &before.owner, &image)?;
        image.updated_at = now();
        let mut conn = self.db.conn().await?;
        db::images::image_update(&mut conn, &image.to_row()).await?;
        Ok(image)
    }

    pub async fn image_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let (image, member) = self.load(ctx, id).await?;
        authorize(ctx, Action::Delete, image.resource(member))?;
        if image.protected {
            return Err(Error::forbidden_msg(msg!(
                "Image {id} is protected and cannot be deleted.",
                id
            )));
        }
        let mut conn = self.db.conn().await?;
        remove::<db::images::ImageRow>(&mut conn, "image", id).await?;
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
        self.image_update(ctx, id, vec![ImagePatch::Set(ImageAttr::Tags(tags))])
            .await
            .map(|_| ())
    }

    pub async fn tag_delete(&self, ctx: &OpCtx, id: &str, tag: &str) -> Result<()> {
        let (image, _) = self.load(ctx, id).await?;
        if !image.tags.iter().any(|t| t == tag) {
            return Err(Error::not_found("tag", tag));
        }
        let tags: Vec<String> = image.tags.into_iter().filter(|t| t != tag).collect();
        self.image_update(ctx, id, vec![ImagePatch::Set(ImageAttr::Tags(tags))])
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
            return Err(Error::Conflict(if active {
                msg!(
                    "Not allowed to reactivate image in status '{status}'.",
                    status = image.status
                )
            } else {
                msg!(
                    "Not allowed to deactivate image in status '{status}'.",
                    status = image.status
                )
            }));
        }
        Ok(())
    }
}
