//! Regions, services and endpoints.

use super::{on_duplicate, Endpoint, IdentityService, Region, Service};
use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db;
use crate::server::error::{Error, Result};
use crate::server::services::{found, new_id, remove};

#[derive(Clone, Debug, Default)]
pub struct RegionCreate {
    pub id: Option<String>,
    pub description: String,
    pub parent_region_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ServiceCreate {
    pub service_type: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ServiceUpdate {
    pub service_type: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, Default)]
pub struct EndpointCreate {
    pub service_id: String,
    pub interface: String,
    pub region_id: Option<String>,
    /// Makes the region when it does not exist (Keystone does for the v2-style
    /// `region` attribute, for clients that used the API as they used v2).
    pub create_region: bool,
    pub url: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, Default)]
pub struct EndpointUpdate {
    pub service_id: Option<String>,
    pub interface: Option<String>,
    pub region_id: Option<Option<String>>,
    /// Makes the region when it does not exist (the v2-style `region`).
    pub create_region: bool,
    pub url: Option<String>,
    pub enabled: Option<bool>,
}

pub const INTERFACES: [&str; 3] = ["public", "internal", "admin"];

fn check_interface(i: &str) -> Result<()> {
    if INTERFACES.contains(&i) {
        Ok(())
    } else {
        Err(Error::invalid(msg!(
            "Invalid input for field 'interface': '{i}' is not one of public, internal, admin.",
            i
        )))
    }
}

fn check_url(u: &str) -> Result<()> {
    if (u.starts_with("http://") || u.starts_with("https://"))
        && u.len() <= 1024
        && !u.chars().any(char::is_whitespace)
    {
        Ok(())
    } else {
        Err(Error::invalid(msg!(
            "Invalid input for field 'url': '{u}' is not an http(s) URL.",
            u
        )))
    }
}

impl IdentityService {
    pub async fn region_create(&self, ctx: &OpCtx, params: RegionCreate) -> Result<Region> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_region"),
        )?;
        self.region_insert(params).await
    }

    pub(super) async fn region_insert(&self, params: RegionCreate) -> Result<Region> {
        let id = params.id.unwrap_or_else(new_id);
        super::check_name("id", &id, 255)?;
        let mut conn = self.db.conn().await?;
        if let Some(p) = &params.parent_region_id {
            found::<Region>(&mut conn, "region", p).await?;
        }
        let row = Region {
            id,
            description: params.description,
            parent_region_id: params.parent_region_id,
        };
        db::insert(&mut conn, &row).await.map_err(on_duplicate(|| {
            Error::Conflict(msg!(
                "Conflict occurred attempting to store region - Duplicate ID, {id}.",
                id = row.id
            ))
        }))?;
        self.changed();
        Ok(row)
    }

    pub async fn region_get(&self, ctx: &OpCtx, id: &str) -> Result<Region> {
        authorize(ctx, Action::Read, Resource::Catalog)?;
        let mut conn = self.db.conn().await?;
        found::<Region>(&mut conn, "region", id).await
    }

    /// The regions, or the children of one (`parent_region_id`).
    pub async fn region_list(&self, ctx: &OpCtx, parent: Option<&str>) -> Result<Vec<Region>> {
        authorize(ctx, Action::List, Resource::Catalog)?;
        let mut conn = self.db.conn().await?;
        Ok(db::catalog::region_list(&mut conn, parent).await?)
    }

    pub async fn region_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        description: Option<String>,
        parent_region_id: Option<Option<String>>,
    ) -> Result<Region> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:update_region"),
        )?;
        let mut conn = self.db.conn().await?;
        let mut row = found::<Region>(&mut conn, "region", id).await?;
        if let Some(d) = description {
            row.description = d;
        }
        if let Some(parent) = parent_region_id {
            if let Some(p) = &parent {
                found::<Region>(&mut conn, "region", p).await?;
                // A region may not be its own ancestor.
                let mut up = Some(p.clone());
                while let Some(r) = up {
                    if r == row.id {
                        return Err(Error::invalid(msg!(
                            "Region {id} cannot be a parent of itself or of one of its ancestors.",
                            id
                        )));
                    }
                    up = db::get::<Region>(&mut conn, &r)
                        .await?
                        .and_then(|r| r.parent_region_id);
                }
            }
            row.parent_region_id = parent;
        }
        db::save(&mut conn, &row).await?;
        self.changed();
        Ok(row)
    }

    pub async fn region_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_region"),
        )?;
        let mut conn = self.db.conn().await?;
        match db::delete::<Region>(&mut conn, id).await {
            Ok(true) => {}
            Ok(false) => return Err(Error::not_found("region", id)),
            Err(e) if db::is_foreign_key_violation(&e) => {
                return Err(Error::Conflict(msg!(
                    "Region {id} still has endpoints or sub-regions.",
                    id
                )))
            }
            Err(e) => return Err(e.into()),
        }
        self.changed();
        Ok(())
    }

    pub async fn service_create(&self, ctx: &OpCtx, params: ServiceCreate) -> Result<Service> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_service"),
        )?;
        self.service_insert(params).await
    }

    pub(super) async fn service_insert(&self, params: ServiceCreate) -> Result<Service> {
        super::check_name("type", &params.service_type, 255)?;
        let row = Service {
            id: new_id(),
            service_type: params.service_type,
            name: params.name,
            description: params.description,
            enabled: params.enabled as i64,
        };
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &row).await?;
        self.changed();
        Ok(row)
    }

    pub async fn service_get(&self, ctx: &OpCtx, id: &str) -> Result<Service> {
        // Keystone's default: the service catalog's records are the administrators'; a
        // user reads its catalog from its token (`/v3/auth/catalog`).
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("identity:get_service"),
        )?;
        let mut conn = self.db.conn().await?;
        found::<Service>(&mut conn, "service", id).await
    }

    pub async fn service_list(
        &self,
        ctx: &OpCtx,
        service_type: Option<&str>,
        name: Option<&str>,
    ) -> Result<Vec<Service>> {
        // Keystone's default: the service catalog's records are the administrators'; a
        // user reads its catalog from its token (`/v3/auth/catalog`).
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_services"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::catalog::service_list(&mut conn, service_type, name).await?)
    }

    pub async fn service_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        params: ServiceUpdate,
    ) -> Result<Service> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:update_service"),
        )?;
        let mut conn = self.db.conn().await?;
        let mut row = found::<Service>(&mut conn, "service", id).await?;
        if let Some(t) = params.service_type {
            super::check_name("type", &t, 255)?;
            row.service_type = t;
        }
        if let Some(n) = params.name {
            row.name = n;
        }
        if let Some(d) = params.description {
            row.description = d;
        }
        if let Some(e) = params.enabled {
            row.enabled = e as i64;
        }
        db::save(&mut conn, &row).await?;
        self.changed();
        Ok(row)
    }

    pub async fn service_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_service"),
        )?;
        let mut conn = self.db.conn().await?;
        remove::<Service>(&mut conn, "service", id).await?;
        self.changed();
        Ok(())
    }

    pub async fn endpoint_create(&self, ctx: &OpCtx, params: EndpointCreate) -> Result<Endpoint> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_endpoint"),
        )?;
        self.endpoint_insert(params).await
    }

    /// Checks that an endpoint's region exists, or makes it when `create` (the v2-style
    /// `region` attribute, as Keystone does).
    async fn endpoint_region(&self, region: &str, create: bool) -> Result<()> {
        let mut conn = self.db.conn().await?;
        if db::get::<Region>(&mut conn, region).await?.is_some() {
            return Ok(());
        }
        if !create {
            return Err(Error::not_found("region", region));
        }
        drop(conn);
        self.region_insert(RegionCreate {
            id: Some(region.to_string()),
            ..Default::default()
        })
        .await?;
        Ok(())
    }

    pub(super) async fn endpoint_insert(&self, params: EndpointCreate) -> Result<Endpoint> {
        check_interface(&params.interface)?;
        check_url(&params.url)?;
        let mut conn = self.db.conn().await?;
        found::<Service>(&mut conn, "service", &params.service_id).await?;
        if let Some(r) = &params.region_id {
            drop(conn);
            self.endpoint_region(r, params.create_region).await?;
            conn = self.db.conn().await?;
        }
        let row = Endpoint {
            id: new_id(),
            service_id: params.service_id,
            interface: params.interface,
            region_id: params.region_id,
            url: params.url,
            enabled: params.enabled as i64,
        };
        db::insert(&mut conn, &row).await?;
        self.changed();
        Ok(row)
    }

    pub async fn endpoint_get(&self, ctx: &OpCtx, id: &str) -> Result<Endpoint> {
        // Keystone's default: the service catalog's records are the administrators'; a
        // user reads its catalog from its token (`/v3/auth/catalog`).
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("identity:get_endpoint"),
        )?;
        let mut conn = self.db.conn().await?;
        found::<Endpoint>(&mut conn, "endpoint", id).await
    }

    pub async fn endpoint_list(
        &self,
        ctx: &OpCtx,
        service_id: Option<&str>,
        interface: Option<&str>,
        region_id: Option<&str>,
    ) -> Result<Vec<Endpoint>> {
        // Keystone's default: the service catalog's records are the administrators'; a
        // user reads its catalog from its token (`/v3/auth/catalog`).
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_endpoints"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(db::catalog::endpoint_list(&mut conn, service_id, interface, region_id).await?)
    }

    pub async fn endpoint_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        params: EndpointUpdate,
    ) -> Result<Endpoint> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:update_endpoint"),
        )?;
        let mut conn = self.db.conn().await?;
        let mut row = found::<Endpoint>(&mut conn, "endpoint", id).await?;
        if let Some(s) = params.service_id {
            found::<Service>(&mut conn, "service", &s).await?;
            row.service_id = s;
        }
        if let Some(i) = params.interface {
            check_interface(&i)?;
            row.interface = i;
        }
        if let Some(r) = params.region_id {
            if let Some(r) = &r {
                drop(conn);
                self.endpoint_region(r, params.create_region).await?;
                conn = self.db.conn().await?;
            }
            row.region_id = r;
        }
        if let Some(u) = params.url {
            check_url(&u)?;
            row.url = u;
        }
        if let Some(e) = params.enabled {
            row.enabled = e as i64;
        }
        db::save(&mut conn, &row).await?;
        self.changed();
        Ok(row)
    }

    pub async fn endpoint_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_endpoint"),
        )?;
        let mut conn = self.db.conn().await?;
        remove::<Endpoint>(&mut conn, "endpoint", id).await?;
        self.changed();
        Ok(())
    }
}

/// What an endpoint group chooses endpoints by (each given attribute must match).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EndpointFilters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
}

impl EndpointFilters {
    pub fn matches(&self, e: &Endpoint) -> bool {
        self.interface.as_ref().is_none_or(|i| i == &e.interface)
            && self.service_id.as_ref().is_none_or(|s| s == &e.service_id)
            && self
                .region_id
                .as_ref()
                .is_none_or(|r| Some(r) == e.region_id.as_ref())
    }
}

/// An endpoint group (OS-EP-FILTER) with its filters read.
#[derive(Clone, Debug)]
pub struct EndpointGroup {
    pub id: String,
    pub name: String,
    pub description: String,
    pub filters: EndpointFilters,
}

impl EndpointGroup {
    fn from_row(r: db::catalog::EndpointGroupRow) -> Result<EndpointGroup> {
        Ok(EndpointGroup {
            filters: serde_json::from_str(&r.filters)
                .map_err(|e| Error::internal("reading an endpoint group's filters", e))?,
            id: r.id,
            name: r.name,
            description: r.description,
        })
    }

    fn to_row(&self) -> db::catalog::EndpointGroupRow {
        db::catalog::EndpointGroupRow {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            filters: serde_json::to_string(&self.filters).unwrap_or_else(|_| "{}".into()),
        }
    }
}

fn check_filters(f: &EndpointFilters) -> Result<()> {
    if let Some(i) = &f.interface {
        check_interface(i)?;
    }
    Ok(())
}

impl IdentityService {
    pub async fn endpoint_group_create(
        &self,
        ctx: &OpCtx,
        name: String,
        description: String,
        filters: EndpointFilters,
    ) -> Result<EndpointGroup> {
        authorize(
            ctx,
            Action::Create,
            Resource::AdminOnly("identity:create_endpoint_group"),
        )?;
        super::check_name("name", &name, 255)?;
        check_filters(&filters)?;
        let g = EndpointGroup {
            id: new_id(),
            name,
            description,
            filters,
        };
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &g.to_row()).await?;
        Ok(g)
    }

    async fn endpoint_group_row(&self, id: &str) -> Result<EndpointGroup> {
        let mut conn = self.db.conn().await?;
        EndpointGroup::from_row(
            found::<db::catalog::EndpointGroupRow>(&mut conn, "endpoint group", id).await?,
        )
    }

    pub async fn endpoint_group_get(&self, ctx: &OpCtx, id: &str) -> Result<EndpointGroup> {
        authorize(
            ctx,
            Action::Read,
            Resource::AdminOnly("identity:get_endpoint_group"),
        )?;
        self.endpoint_group_row(id).await
    }

    pub async fn endpoint_group_list(
        &self,
        ctx: &OpCtx,
        name: Option<&str>,
    ) -> Result<Vec<EndpointGroup>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_endpoint_groups"),
        )?;
        let mut conn = self.db.conn().await?;
        db::catalog::endpoint_group_list(&mut conn, name)
            .await?
            .into_iter()
            .map(EndpointGroup::from_row)
            .collect()
    }

    pub async fn endpoint_group_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        name: Option<String>,
        description: Option<String>,
        filters: Option<EndpointFilters>,
    ) -> Result<EndpointGroup> {
        authorize(
            ctx,
            Action::Modify,
            Resource::AdminOnly("identity:update_endpoint_group"),
        )?;
        let mut g = self.endpoint_group_row(id).await?;
        if let Some(n) = name {
            super::check_name("name", &n, 255)?;
            g.name = n;
        }
        if let Some(d) = description {
            g.description = d;
        }
        if let Some(f) = filters {
            check_filters(&f)?;
            g.filters = f;
        }
        let mut conn = self.db.conn().await?;
        db::save(&mut conn, &g.to_row()).await?;
        Ok(g)
    }

    pub async fn endpoint_group_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            Resource::AdminOnly("identity:delete_endpoint_group"),
        )?;
        let mut conn = self.db.conn().await?;
        if !db::delete::<db::catalog::EndpointGroupRow>(&mut conn, id).await? {
            return Err(Error::not_found("endpoint group", id));
        }
        Ok(())
    }

    /// The endpoints a group chooses.
    pub async fn endpoint_group_endpoints(&self, ctx: &OpCtx, id: &str) -> Result<Vec<Endpoint>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_endpoints_associated_with_endpoint_group"),
        )?;
        let g = self.endpoint_group_row(id).await?;
        let mut conn = self.db.conn().await?;
        Ok(db::catalog::endpoint_list(&mut conn, None, None, None)
            .await?
            .into_iter()
            .filter(|e| g.filters.matches(e))
            .collect())
    }

    /// The projects a group is associated with.
    pub async fn endpoint_group_projects(&self, ctx: &OpCtx, id: &str) -> Result<Vec<String>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_projects_associated_with_endpoint_group"),
        )?;
        self.endpoint_group_row(id).await?;
        let mut conn = self.db.conn().await?;
        Ok(db::catalog::endpoint_group_projects(&mut conn, id).await?)
    }

    /// The endpoint groups a project is associated with.
    pub async fn project_endpoint_groups(
        &self,
        ctx: &OpCtx,
        project_id: &str,
    ) -> Result<Vec<EndpointGroup>> {
        authorize(
            ctx,
            Action::List,
            Resource::AdminOnly("identity:list_endpoint_groups_for_project"),
        )?;
        let mut conn = self.db.conn().await?;
        found::<super::Project>(&mut conn, "project", project_id).await?;
        let ids = db::catalog::project_endpoint_groups(&mut conn, project_id).await?;
        drop(conn);
        let mut out = Vec::new();
        for id in ids {
            out.push(self.endpoint_group_row(&id).await?);
        }
        Ok(out)
    }

    /// Associates a project with a group, or checks (`change` `None`) or removes the
    /// association (`Some(false)`).
    pub async fn endpoint_group_project(
        &self,
        ctx: &OpCtx,
        id: &str,
        project_id: &str,
        change: Option<bool>,
    ) -> Result<()> {
        authorize(
            ctx,
            if change.is_some() {
                Action::Modify
            } else {
                Action::Read
            },
            Resource::AdminOnly("identity:add_endpoint_group_to_project"),
        )?;
        self.endpoint_group_row(id).await?;
        let mut conn = self.db.conn().await?;
        found::<super::Project>(&mut conn, "project", project_id).await?;
        let missing = || Error::NotFound {
            kind: "endpoint group association",
            id: format!("{id} with project {project_id}"),
        };
        match change {
            Some(true) => {
                db::catalog::endpoint_group_project_add(&mut conn, id, project_id).await?
            }
            Some(false) => {
                if !db::catalog::endpoint_group_project_remove(&mut conn, id, project_id).await? {
                    return Err(missing());
                }
            }
            None => {
                let linked = db::catalog::endpoint_group_projects(&mut conn, id).await?;
                if !linked.iter().any(|p| p == project_id) {
                    return Err(missing());
                }
            }
        }
        Ok(())
    }
}
