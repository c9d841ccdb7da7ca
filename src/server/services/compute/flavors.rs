//! Flavors: the sizes instances come in. Public flavors are for everyone; private ones for
//! the projects given access. Only administrators create, change access and delete.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{parse_map, to_json, ComputeService};
use crate::server::authz::{authorize, is_admin, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, compute::FlavorRow};
use crate::server::error::{Error, Result};
use crate::server::services::{found, now, remove};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flavor {
    pub id: String,
    pub name: String,
    pub vcpus: i64,
    pub ram: i64,
    pub disk: i64,
    pub ephemeral: i64,
    pub swap: i64,
    pub rxtx_factor: f64,
    pub is_public: bool,
    pub disabled: bool,
    pub description: Option<String>,
    pub extra_specs: BTreeMap<String, String>,
}

impl From<FlavorRow> for Flavor {
    fn from(r: FlavorRow) -> Flavor {
        Flavor {
            extra_specs: parse_map(&r.extra_specs),
            id: r.id,
            name: r.name,
            vcpus: r.vcpus,
            ram: r.memory_mb,
            disk: r.root_gb,
            ephemeral: r.ephemeral_gb,
            swap: r.swap_mb,
            rxtx_factor: r.rxtx_factor,
            is_public: r.is_public != 0,
            disabled: r.disabled != 0,
            description: r.description,
        }
    }
}

impl Flavor {
    /// Disk the flavor takes on a host, in GB (root + ephemeral + swap rounded up).
    pub fn disk_gb(&self) -> i64 {
        self.disk + self.ephemeral + (self.swap + 1023) / 1024
    }
}

/// `GET /flavors` parameters, already parsed.
#[derive(Clone, Debug, Default)]
pub struct FlavorQuery {
    /// `None`: public and private alike (as far as the caller may see them).
    pub is_public: Option<bool>,
    pub min_ram: Option<i64>,
    pub min_disk: Option<i64>,
    /// The last flavor of the previous page.
    pub marker: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct FlavorCreate {
    /// Generated (a UUID) when `None` or `"auto"`.
    pub id: Option<String>,
    pub name: String,
    pub vcpus: i64,
    pub ram: i64,
    pub disk: i64,
    pub ephemeral: i64,
    pub swap: i64,
    pub rxtx_factor: f64,
    pub is_public: bool,
    pub description: Option<String>,
}

const ADMIN: Resource<'static> = Resource::AdminOnly("os_compute_api:os-flavor-manage");

fn check_range(field: &str, v: i64, min: i64, max: i64) -> Result<()> {
    if v < min || v > max {
        return Err(Error::invalid(msg!("Invalid input for field/attribute {field}. Value: {v}. It must be between {min} and {max}.", field, v, min, max)));
    }
    Ok(())
}

impl ComputeService {
    pub async fn flavor_create(&self, ctx: &OpCtx, p: FlavorCreate) -> Result<Flavor> {
        authorize(ctx, Action::Create, ADMIN)?;
        let name = p.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
            return Err(Error::invalid(msg!(
                "Invalid input for field/attribute name: a name has 1 to 255 printable characters."
            )));
        }
        check_range("vcpus", p.vcpus, 1, 1 << 20)?;
        check_range("ram", p.ram, 1, 1 << 30)?;
        check_range("disk", p.disk, 0, 1 << 30)?;
        check_range("OS-FLV-EXT-DATA:ephemeral", p.ephemeral, 0, 1 << 30)?;
        check_range("swap", p.swap, 0, 1 << 30)?;
        if !(p.rxtx_factor > 0.0 && p.rxtx_factor <= 3.4e38) {
            return Err(Error::invalid(msg!(
                "Invalid input for field/attribute rxtx_factor."
            )));
        }
        if p.description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 65535)
        {
            return Err(Error::invalid(msg!(
                "Invalid input for field/attribute description."
            )));
        }
        let id = match p.id.as_deref().map(str::trim) {
            None | Some("auto") => uuid::Uuid::new_v4().to_string(),
            Some(id)
                if !id.is_empty()
                    && id.len() <= 255
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_. ".contains(c)) =>
            {
                id.to_string()
            }
            Some(id) => {
                return Err(Error::invalid(msg!("Invalid input for field/attribute id. Value: {id}. It must be letters, digits, '-', '_', '.' or ' '.", id)))
            }
        };
        let row = FlavorRow {
            id,
            name,
            vcpus: p.vcpus,
            memory_mb: p.ram,
            root_gb: p.disk,
            ephemeral_gb: p.ephemeral,
            swap_mb: p.swap,
            rxtx_factor: p.rxtx_factor,
            is_public: p.is_public as i64,
            disabled: 0,
            description: p.description,
            extra_specs: "{}".into(),
            created_at: now(),
        };
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &row).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                Error::Conflict(msg!(
                    "Flavor with ID {id} or name {name} already exists.",
                    id = row.id,
                    name = row.name
                ))
            } else {
                e.into()
            }
        })?;
        Ok(row.into())
    }

    /// Flavors the caller may use; `is_public`: `Some(true)` public only, `Some(false)`
    /// private only (admins), `None` both (Nova's `is_public=None`).
    /// The flavors the caller may use (an administrator: all), smallest first.
    pub async fn flavor_list(&self, ctx: &OpCtx, q: FlavorQuery) -> Result<Vec<Flavor>> {
        authorize(ctx, Action::List, Resource::Catalog)?;
        let project_id = if is_admin(ctx) {
            None
        } else {
            Some(ctx.auth.project_id().unwrap_or("-").to_string())
        };
        if let Some(l) = q.limit {
            if l < 0 {
                return Err(Error::invalid(msg!("Invalid limit [{l}]", l)));
            }
        }
        let after = match &q.marker {
            None => None,
            Some(m) => {
                let f = self.flavor_get(ctx, m).await.map_err(|e| match e {
                    Error::NotFound { .. } => Error::invalid(msg!("marker [{m}] not found", m)),
                    other => other,
                })?;
                Some((f.ram, f.vcpus, f.id))
            }
        };
        let mut conn = self.db.conn().await?;
        let filter = db::compute::FlavorFilter {
            project_id,
            is_public: q.is_public,
            min_ram: q.min_ram,
            min_disk: q.min_disk,
            after,
            limit: q.limit,
        };
        Ok(db::compute::flavor_list(&mut conn, &filter)
            .await?
            .into_iter()
            .map(Flavor::from)
            .collect())
    }

    /// A flavor by id, if the caller may use it.
    pub async fn flavor_get(&self, ctx: &OpCtx, id: &str) -> Result<Flavor> {
        authorize(ctx, Action::Read, Resource::Catalog)?;
        let mut conn = self.db.conn().await?;
        let flavor: Flavor = found::<db::compute::FlavorRow>(&mut conn, "flavor", id)
            .await?
            .into();
        if !flavor.is_public && !is_admin(ctx) {
            let access = db::compute::flavor_access_list(&mut conn, id).await?;
            if !ctx
                .auth
                .project_id()
                .is_some_and(|p| access.iter().any(|a| a == p))
            {
                return Err(Error::not_found("flavor", id));
            }
        }
        Ok(flavor)
    }

    pub async fn flavor_update_description(
        &self,
        ctx: &OpCtx,
        id: &str,
        description: Option<String>,
    ) -> Result<Flavor> {
        authorize(ctx, Action::Modify, ADMIN)?;
        let mut flavor = self.flavor_get(ctx, id).await?;
        if description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 65535)
        {
            return Err(Error::invalid(msg!(
                "Invalid input for field/attribute description."
            )));
        }
        flavor.description = description;
        self.flavor_save(&flavor).await?;
        Ok(flavor)
    }

    async fn flavor_save(&self, f: &Flavor) -> Result<()> {
        let mut conn = self.db.conn().await?;
        let mut row = found::<db::compute::FlavorRow>(&mut conn, "flavor", &f.id).await?;
        row.description = f.description.clone();
        row.extra_specs = to_json(&f.extra_specs);
        db::compute::flavor_update(&mut conn, &row).await?;
        Ok(())
    }

    pub async fn flavor_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(ctx, Action::Delete, ADMIN)?;
        let mut conn = self.db.conn().await?;
        remove::<db::compute::FlavorRow>(&mut conn, "flavor", id).await?;
        Ok(())
    }

    /// Adds or replaces extra specs; returns them all.
    pub async fn flavor_extra_specs_set(
        &self,
        ctx: &OpCtx,
        id: &str,
        specs: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        authorize(ctx, Action::Modify, ADMIN)?;
        let mut flavor = self.flavor_get(ctx, id).await?;
        for (k, v) in &specs {
            if k.is_empty()
                || k.chars().count() > 255
                || v.chars().count() > 255
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_:. ".contains(c))
            {
                return Err(Error::invalid(msg!(
                    "Invalid input for field/attribute extra_specs: key {key} or its value is not valid.",
                    key = format!("{k:?}")
                )));
            }
        }
        flavor.extra_specs.extend(specs);
        self.flavor_save(&flavor).await?;
        Ok(flavor.extra_specs)
    }

    pub async fn flavor_extra_spec_delete(&self, ctx: &OpCtx, id: &str, key: &str) -> Result<()> {
        authorize(ctx, Action::Modify, ADMIN)?;
        let mut flavor = self.flavor_get(ctx, id).await?;
        if flavor.extra_specs.remove(key).is_none() {
            return Err(Error::NotFound {
                kind: "extra spec",
                id: format!("{key} of flavor {id}"),
            });
        }
        self.flavor_save(&flavor).await
    }

    pub async fn flavor_access_list(&self, ctx: &OpCtx, id: &str) -> Result<Vec<String>> {
        authorize(ctx, Action::Read, ADMIN)?;
        let flavor = self.flavor_get(ctx, id).await?;
        if flavor.is_public {
            return Err(Error::not_found("flavor access", "public flavor"));
        }
        let mut conn = self.db.conn().await?;
        Ok(db::compute::flavor_access_list(&mut conn, id).await?)
    }

    pub async fn flavor_access_add(
        &self,
        ctx: &OpCtx,
        id: &str,
        project_id: &str,
    ) -> Result<Vec<String>> {
        authorize(ctx, Action::Modify, ADMIN)?;
        let flavor = self.flavor_get(ctx, id).await?;
        if flavor.is_public {
            return Err(Error::Conflict(msg!(
                "Can not add access to a public flavor."
            )));
        }
        if project_id.trim().is_empty() {
            return Err(Error::invalid(msg!(
                "Invalid input for field/attribute tenant."
            )));
        }
        let mut conn = self.db.conn().await?;
        db::compute::flavor_access_add(&mut conn, id, project_id)
            .await
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    Error::Conflict(msg!("Flavor access already exists for flavor {id} and project {project_id} combination.", id, project_id))
                } else {
                    e.into()
                }
            })?;
        Ok(db::compute::flavor_access_list(&mut conn, id).await?)
    }

    pub async fn flavor_access_remove(
        &self,
        ctx: &OpCtx,
        id: &str,
        project_id: &str,
    ) -> Result<Vec<String>> {
        authorize(ctx, Action::Modify, ADMIN)?;
        self.flavor_get(ctx, id).await?;
        let mut conn = self.db.conn().await?;
        if !db::compute::flavor_access_remove(&mut conn, id, project_id).await? {
            return Err(Error::NotFound {
                kind: "flavor access",
                id: format!("flavor {id} and project {project_id}"),
            });
        }
        Ok(db::compute::flavor_access_list(&mut conn, id).await?)
    }
}
