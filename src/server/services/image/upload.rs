//! Image data: a stream written under a temporary name, hashed and checked, then renamed
//! and the image activated; an upload cut short leaves the image `killed`, never `active`.

use std::path::PathBuf;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use md5::Digest as _;

use super::*;
use crate::server::authz::{authorize, is_admin, Action};
use crate::server::context::OpCtx;
use crate::server::db::images::ImageData;
use crate::server::db::{self};
use crate::server::error::{Error, Result};
use crate::server::services::found;
use crate::server::services::now;

impl ImageService {
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
            return Err(Error::invalid(msg!(
                "Properties disk_format, container_format must be set prior to saving data."
            )));
        };
        {
            let mut conn = self.db.conn().await?;
            if !db::images::image_transition(&mut conn, id, "queued", "saving", now()).await? {
                return Err(Error::Conflict(msg!(
                    "Image status transition from {status} to saving is not allowed",
                    status = image.status
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
                Ok(found::<db::images::ImageRow>(&mut conn, "image", id)
                    .await?
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
                    return Err(Upload::Broken(Error::invalid(msg!(
                        "The image upload was interrupted: {e}",
                        e
                    ))));
                }
            };
            size += chunk.len() as i64;
            if size > self.config.size_cap {
                return Err(Upload::Refused(Error::TooLarge(msg!(
                    "Image exceeds the storage quota: the limit is {size_cap} bytes.",
                    size_cap = self.config.size_cap
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
            return Err(Error::forbidden_msg(msg!(
                "The requested image has been deactivated. Image data download is forbidden."
            )));
        }
        if image.status != "active" && image.status != "deactivated" {
            return Ok(None);
        }
        let path = self.store.path(id);
        Ok(Some((image, path)))
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
