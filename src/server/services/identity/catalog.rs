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
    pub url: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, Default)]
pub struct EndpointUpdate {
    pub service_id: Option<String>,
    pub interface: Option<String>,
    pub region_id: Option<Option<String>>,
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

    pub async fn region_list(&self, ctx: &OpCtx) -> Result<Vec<Region>> {
        authorize(ctx, Action::List, Resource::Catalog)?;
        let mut conn = self.db.conn().await?;
        Ok(db::catalog::region_list(&mut conn).await?)
    }

    pub async fn region_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        description: Option<String>,
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

    pub(super) async fn endpoint_insert(&self, params: EndpointCreate) -> Result<Endpoint> {
        check_interface(&params.interface)?;
        check_url(&params.url)?;
        let mut conn = self.db.conn().await?;
        found::<Service>(&mut conn, "service", &params.service_id).await?;
        if let Some(r) = &params.region_id {
            found::<Region>(&mut conn, "region", r).await?;
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
                found::<Region>(&mut conn, "region", r).await?;
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
