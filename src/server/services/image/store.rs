//! The image store: one file per image under `DATA_DIR/images/`.
//!
//! Data is written to `.partial-<id>-<random>` and renamed to `<id>` only once it is
//! complete and checked; a partial file is removed when its writer goes away, and any
//! left by a crash are removed at the next start.

use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct ImageStore {
    dir: PathBuf,
}

/// A partially written image; dropping it without `commit` removes the file.
pub struct Partial {
    pub file: tokio::fs::File,
    pub path: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Partial {
    /// Renames the finished file into place (atomic on one file system).
    pub async fn commit(mut self) -> std::io::Result<()> {
        tokio::fs::rename(&self.path, &self.target).await?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

const PARTIAL_PREFIX: &str = ".partial-";

impl ImageStore {
    pub fn open(dir: PathBuf) -> std::io::Result<ImageStore> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
        Ok(ImageStore { dir })
    }

    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(file_name(id))
    }

    pub async fn partial(&self, id: &str) -> std::io::Result<Partial> {
        let path = self.dir.join(format!(
            "{PARTIAL_PREFIX}{}-{}",
            file_name(id),
            uuid::Uuid::new_v4().simple()
        ));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(Partial {
            file,
            path,
            target: self.path(id),
            committed: false,
        })
    }

    pub async fn remove(&self, id: &str) {
        let path = self.path(id);
        if let Err(e) = tokio::fs::remove_file(&path).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %path.display(), error = %e, "could not remove image data");
            }
        }
    }

    /// Removes the partial files a crash left behind.
    pub async fn remove_partials(&self) {
        let Ok(mut entries) = tokio::fs::read_dir(&self.dir).await else {
            return;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(PARTIAL_PREFIX)
            {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
    }
}

/// Image ids are UUIDs, but a file name must never be able to leave the store.
fn file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
