//! The metadata definitions catalog (Glance's metadefs): namespaces that describe the
//! metadata images, flavors, volumes and servers take, as objects, properties (each a JSON
//! schema) and tags, and the resource types each namespace applies to. Administrators
//! write the catalog; everyone reads its public namespaces, and a project its own.

use serde_json::{Map, Value};

use super::ImageService;
use crate::server::authz::{authorize, visible, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{
    self,
    metadefs::{AssociationRow, DefinitionRow, NamespaceRow},
};
use crate::server::error::{Error, Result};
use crate::server::services::now;

/// A definition's kind within a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefinitionKind {
    Object,
    Property,
    Tag,
}

impl DefinitionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DefinitionKind::Object => "object",
            DefinitionKind::Property => "property",
            DefinitionKind::Tag => "tag",
        }
    }
}

/// A namespace's tie to a resource type, and the prefix its properties take there.
#[derive(Clone, Debug, Default)]
pub struct Association {
    pub resource_type: String,
    pub prefix: Option<String>,
    pub properties_target: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An object, property or tag: its name and its JSON body (a property's schema, an
/// object's description, required list and properties; nothing for a tag).
#[derive(Clone, Debug, Default)]
pub struct Definition {
    pub name: String,
    pub body: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug)]
pub struct Namespace {
    pub namespace: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub visibility: String,
    pub protected: bool,
    pub owner: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub associations: Vec<Association>,
}

/// A new namespace, or the whole of one that replaces another (`PUT`).
#[derive(Clone, Debug, Default)]
pub struct NamespaceWrite {
    pub namespace: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<String>,
    pub protected: Option<bool>,
    pub associations: Vec<Association>,
    /// Definitions made with the namespace.
    pub definitions: Vec<(DefinitionKind, Definition)>,
}

/// Glance's limit on namespace and definition names.
const NAME_MAX: usize = 80;

fn check_name(name: &str) -> Result<()> {
    let n = name.chars().count();
    if n == 0 || n > NAME_MAX {
        return Err(Error::invalid(msg!(
            "A metadata definition name must be 1 to {NAME_MAX} characters: '{name}'.",
            NAME_MAX,
            name
        )));
    }
    Ok(())
}

fn check_visibility(v: &str) -> Result<()> {
    if v == "public" || v == "private" {
        return Ok(());
    }
    Err(Error::invalid(msg!(
        "Invalid visibility '{v}': it is public or private.",
        v
    )))
}

/// A property definition is a JSON schema with at least a title and a type.
fn check_definition(kind: DefinitionKind, d: &Definition) -> Result<()> {
    check_name(&d.name)?;
    if kind == DefinitionKind::Property {
        for field in ["title", "type"] {
            if !d.body.get(field).is_some_and(Value::is_string) {
                let name = &d.name;
                return Err(Error::invalid(msg!(
                    "Property {name} needs a '{field}'.",
                    name,
                    field
                )));
            }
        }
    }
    Ok(())
}

/// A protected namespace keeps itself and what is in it.
fn check_unprotected(ns: &NamespaceRow) -> Result<()> {
    if ns.protected != 0 {
        let name = &ns.namespace;
        return Err(Error::forbidden_msg(msg!(
            "Namespace {name} is protected and cannot be deleted.",
            name
        )));
    }
    Ok(())
}

fn write_policy(ctx: &OpCtx, action: Action) -> Result<()> {
    authorize(ctx, action, Resource::AdminOnly("modify_metadef_namespace"))
}

impl ImageService {
    /// The namespace of this name, if the caller may see it (a private one is its owner's).
    async fn namespace_row(&self, ctx: &OpCtx, name: &str) -> Result<NamespaceRow> {
        let mut conn = self.db.conn().await?;
        db::metadefs::namespace_by_name(&mut conn, name)
            .await?
            .filter(|r| r.visibility == "public" || visible(ctx, &r.owner))
            .ok_or_else(|| Error::not_found("metadata definition namespace", name))
    }

    async fn with_associations(&self, r: NamespaceRow) -> Result<Namespace> {
        let mut conn = self.db.conn().await?;
        let associations = db::metadefs::associations(&mut conn, Some(&r.id))
            .await?
            .into_iter()
            .map(association)
            .collect();
        Ok(Namespace {
            namespace: r.namespace,
            display_name: r.display_name,
            description: r.description,
            visibility: r.visibility,
            protected: r.protected != 0,
            owner: r.owner,
            created_at: r.created_at,
            updated_at: r.updated_at,
            associations,
        })
    }

    /// The namespaces the caller sees, optionally those of one resource type or
    /// visibility.
    pub async fn namespace_list(
        &self,
        ctx: &OpCtx,
        resource_type: Option<&str>,
        visibility: Option<&str>,
    ) -> Result<Vec<Namespace>> {
        authorize(ctx, Action::List, Resource::Catalog)?;
        let mut conn = self.db.conn().await?;
        let rows = db::metadefs::namespace_list(&mut conn).await?;
        let all_associations = db::metadefs::associations(&mut conn, None).await?;
        drop(conn);
        let mut out = Vec::new();
        for r in rows {
            if !(r.visibility == "public" || visible(ctx, &r.owner)) {
                continue;
            }
            if visibility.is_some_and(|v| v != r.visibility) {
                continue;
            }
            if let Some(t) = resource_type {
                let tied = all_associations
                    .iter()
                    .any(|a| a.namespace_id == r.id && a.resource_type == t);
                if !tied {
                    continue;
                }
            }
            out.push(self.with_associations(r).await?);
        }
        Ok(out)
    }

    pub async fn namespace_get(&self, ctx: &OpCtx, name: &str) -> Result<Namespace> {
        authorize(ctx, Action::Read, Resource::Catalog)?;
        let row = self.namespace_row(ctx, name).await?;
        self.with_associations(row).await
    }

    pub async fn namespace_create(&self, ctx: &OpCtx, w: NamespaceWrite) -> Result<Namespace> {
        write_policy(ctx, Action::Create)?;
        check_name(&w.namespace)?;
        let visibility = w.visibility.clone().unwrap_or_else(|| "private".into());
        check_visibility(&visibility)?;
        for (kind, d) in &w.definitions {
            check_definition(*kind, d)?;
        }
        let t = now();
        let row = NamespaceRow {
            id: uuid::Uuid::new_v4().to_string(),
            namespace: w.namespace.clone(),
            display_name: w.display_name,
            description: w.description,
            visibility,
            protected: w.protected.unwrap_or(false) as i64,
            owner: ctx.auth.project_id().unwrap_or_default().to_string(),
            created_at: t,
            updated_at: t,
        };
        let mut tx = self.db.begin().await?;
        db::insert(&mut tx, &row).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                let name = &w.namespace;
                Error::Conflict(msg!(
                    "A metadata definition namespace named {name} already exists.",
                    name
                ))
            } else {
                e.into()
            }
        })?;
        let mut tied: Vec<&str> = Vec::new();
        for a in &w.associations {
            if tied.contains(&a.resource_type.as_str()) {
                let name = &a.resource_type;
                return Err(Error::invalid(msg!(
                    "Resource type {name} is named twice.",
                    name
                )));
            }
            tied.push(&a.resource_type);
            self.check_resource_type(&mut tx, &a.resource_type).await?;
            db::insert(&mut tx, &association_row(&row.id, a, t)).await?;
        }
        for (kind, d) in &w.definitions {
            db::insert(&mut tx, &definition_row(&row.id, *kind, d, t))
                .await
                .map_err(|e| duplicate(e, &d.name))?;
        }
        tx.commit().await?;
        self.with_associations(row).await
    }

    /// Replaces a namespace's attributes (a protected one must be unprotected in the same
    /// change to be renamed or made private, as Glance allows).
    pub async fn namespace_update(
        &self,
        ctx: &OpCtx,
        name: &str,
        w: NamespaceWrite,
    ) -> Result<Namespace> {
        write_policy(ctx, Action::Modify)?;
        check_name(&w.namespace)?;
        let mut row = self.namespace_row(ctx, name).await?;
        if let Some(v) = &w.visibility {
            check_visibility(v)?;
            row.visibility = v.clone();
        }
        row.namespace = w.namespace.clone();
        row.display_name = w.display_name;
        row.description = w.description;
        if let Some(p) = w.protected {
            row.protected = p as i64;
        }
        row.updated_at = now();
        let mut conn = self.db.conn().await?;
        db::save(&mut conn, &row).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                let name = &w.namespace;
                Error::Conflict(msg!(
                    "A metadata definition namespace named {name} already exists.",
                    name
                ))
            } else {
                e.into()
            }
        })?;
        drop(conn);
        self.with_associations(row).await
    }

    /// Deletes a namespace with everything in it; a protected one is refused.
    pub async fn namespace_delete(&self, ctx: &OpCtx, name: &str) -> Result<()> {
        write_policy(ctx, Action::Delete)?;
        let row = self.namespace_row(ctx, name).await?;
        check_unprotected(&row)?;
        let mut conn = self.db.conn().await?;
        db::delete::<NamespaceRow>(&mut conn, &row.id).await?;
        Ok(())
    }

    pub async fn definition_list(
        &self,
        ctx: &OpCtx,
        namespace: &str,
        kind: DefinitionKind,
    ) -> Result<Vec<Definition>> {
        authorize(ctx, Action::List, Resource::Catalog)?;
        let ns = self.namespace_row(ctx, namespace).await?;
        let mut conn = self.db.conn().await?;
        db::metadefs::definitions(&mut conn, &ns.id, kind.as_str())
            .await?
            .into_iter()
            .map(definition)
            .collect()
    }

    pub async fn definition_get(
        &self,
        ctx: &OpCtx,
        namespace: &str,
        kind: DefinitionKind,
        name: &str,
    ) -> Result<Definition> {
        authorize(ctx, Action::Read, Resource::Catalog)?;
        let ns = self.namespace_row(ctx, namespace).await?;
        let mut conn = self.db.conn().await?;
        let row = db::metadefs::definition(&mut conn, &ns.id, kind.as_str(), name)
            .await?
            .ok_or_else(|| not_found(kind, name))?;
        definition(row)
    }

    /// Adds definitions to a namespace; with `replace`, they take the place of every
    /// definition of their kind (`POST .../tags` with a list).
    pub async fn definitions_create(
        &self,
        ctx: &OpCtx,
        namespace: &str,
        kind: DefinitionKind,
        list: Vec<Definition>,
        replace: bool,
    ) -> Result<Vec<Definition>> {
        write_policy(ctx, Action::Create)?;
        for d in &list {
            check_definition(kind, d)?;
        }
        let ns = self.namespace_row(ctx, namespace).await?;
        let t = now();
        let mut tx = self.db.begin().await?;
        // Replacing deletes what was there: not in a protected namespace.
        if replace
            && !db::metadefs::definitions(&mut tx, &ns.id, kind.as_str())
                .await?
                .is_empty()
        {
            check_unprotected(&ns)?;
        }
        if replace {
            db::metadefs::definitions_delete(&mut tx, &ns.id, kind.as_str()).await?;
        }
        let mut made = Vec::with_capacity(list.len());
        for d in list {
            let row = definition_row(&ns.id, kind, &d, t);
            db::insert(&mut tx, &row)
                .await
                .map_err(|e| duplicate(e, &d.name))?;
            made.push(definition(row)?);
        }
        tx.commit().await?;
        Ok(made)
    }

    /// Replaces a definition (its name may change).
    pub async fn definition_update(
        &self,
        ctx: &OpCtx,
        namespace: &str,
        kind: DefinitionKind,
        name: &str,
        d: Definition,
    ) -> Result<Definition> {
        write_policy(ctx, Action::Modify)?;
        check_definition(kind, &d)?;
        let ns = self.namespace_row(ctx, namespace).await?;
        let mut conn = self.db.conn().await?;
        let mut row = db::metadefs::definition(&mut conn, &ns.id, kind.as_str(), name)
            .await?
            .ok_or_else(|| not_found(kind, name))?;
        row.name = d.name.clone();
        row.body = Value::Object(d.body).to_string();
        row.updated_at = now();
        db::save(&mut conn, &row)
            .await
            .map_err(|e| duplicate(e, &d.name))?;
        definition(row)
    }

    /// Deletes one definition, or every one of its kind when `name` is `None`.
    pub async fn definition_delete(
        &self,
        ctx: &OpCtx,
        namespace: &str,
        kind: DefinitionKind,
        name: Option<&str>,
    ) -> Result<()> {
        write_policy(ctx, Action::Delete)?;
        let ns = self.namespace_row(ctx, namespace).await?;
        check_unprotected(&ns)?;
        let mut conn = self.db.conn().await?;
        match name {
            None => db::metadefs::definitions_delete(&mut conn, &ns.id, kind.as_str()).await?,
            Some(name) => {
                let row = db::metadefs::definition(&mut conn, &ns.id, kind.as_str(), name)
                    .await?
                    .ok_or_else(|| not_found(kind, name))?;
                db::delete::<DefinitionRow>(&mut conn, &row.id).await?;
            }
        }
        Ok(())
    }

    /// The resource types namespaces may apply to.
    pub async fn resource_type_list(&self, ctx: &OpCtx) -> Result<Vec<(String, i64, i64)>> {
        authorize(ctx, Action::List, Resource::Catalog)?;
        let mut conn = self.db.conn().await?;
        Ok(db::metadefs::resource_types(&mut conn)
            .await?
            .into_iter()
            .map(|r| (r.name, r.created_at, r.updated_at))
            .collect())
    }

    async fn check_resource_type(&self, c: &mut db::C, name: &str) -> Result<()> {
        check_name(name)?;
        let known = db::metadefs::resource_types(c)
            .await?
            .into_iter()
            .any(|r| r.name == name);
        if !known {
            // Glance makes a resource type on its first association (once, however many
            // ask at the same moment).
            let t = now();
            db::insert_new(
                c,
                &db::metadefs::ResourceTypeRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    name: name.to_string(),
                    protected: 0,
                    created_at: t,
                    updated_at: t,
                },
                Some("name"),
            )
            .await?;
        }
        Ok(())
    }

    pub async fn association_list(&self, ctx: &OpCtx, namespace: &str) -> Result<Vec<Association>> {
        authorize(ctx, Action::List, Resource::Catalog)?;
        let ns = self.namespace_row(ctx, namespace).await?;
        let mut conn = self.db.conn().await?;
        Ok(db::metadefs::associations(&mut conn, Some(&ns.id))
            .await?
            .into_iter()
            .map(association)
            .collect())
    }

    pub async fn association_create(
        &self,
        ctx: &OpCtx,
        namespace: &str,
        a: Association,
    ) -> Result<Association> {
        write_policy(ctx, Action::Create)?;
        let ns = self.namespace_row(ctx, namespace).await?;
        let t = now();
        let mut tx = self.db.begin().await?;
        self.check_resource_type(&mut tx, &a.resource_type).await?;
        let row = association_row(&ns.id, &a, t);
        db::insert(&mut tx, &row).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                let (name, ns) = (&a.resource_type, namespace);
                Error::Conflict(msg!(
                    "Resource type {name} is already associated with namespace {ns}.",
                    name,
                    ns
                ))
            } else {
                e.into()
            }
        })?;
        tx.commit().await?;
        Ok(association(row))
    }

    pub async fn association_delete(
        &self,
        ctx: &OpCtx,
        namespace: &str,
        resource_type: &str,
    ) -> Result<()> {
        write_policy(ctx, Action::Delete)?;
        let ns = self.namespace_row(ctx, namespace).await?;
        let mut conn = self.db.conn().await?;
        if !db::metadefs::association_delete(&mut conn, &ns.id, resource_type).await? {
            return Err(Error::not_found(
                "resource type association",
                format!("{resource_type} of namespace {namespace}"),
            ));
        }
        Ok(())
    }
}

fn not_found(kind: DefinitionKind, name: &str) -> Error {
    Error::NotFound {
        kind: match kind {
            DefinitionKind::Object => "metadata definition object",
            DefinitionKind::Property => "metadata definition property",
            DefinitionKind::Tag => "metadata definition tag",
        },
        id: name.to_string(),
    }
}

fn duplicate(e: db::DbError, name: &str) -> Error {
    if db::is_unique_violation(&e) {
        Error::Conflict(msg!(
            "A metadata definition named {name} already exists in this namespace.",
            name
        ))
    } else {
        e.into()
    }
}

fn association(r: AssociationRow) -> Association {
    Association {
        resource_type: r.resource_type,
        prefix: r.prefix,
        properties_target: r.properties_target,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

fn association_row(namespace_id: &str, a: &Association, t: i64) -> AssociationRow {
    AssociationRow {
        id: uuid::Uuid::new_v4().to_string(),
        namespace_id: namespace_id.to_string(),
        resource_type: a.resource_type.clone(),
        prefix: a.prefix.clone(),
        properties_target: a.properties_target.clone(),
        created_at: t,
        updated_at: t,
    }
}

fn definition(r: DefinitionRow) -> Result<Definition> {
    let body = match serde_json::from_str(&r.body) {
        Ok(Value::Object(m)) => m,
        Ok(_) => Map::new(),
        Err(e) => return Err(Error::internal("reading a metadata definition", e)),
    };
    Ok(Definition {
        name: r.name,
        body,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

fn definition_row(
    namespace_id: &str,
    kind: DefinitionKind,
    d: &Definition,
    t: i64,
) -> DefinitionRow {
    DefinitionRow {
        id: uuid::Uuid::new_v4().to_string(),
        namespace_id: namespace_id.to_string(),
        kind: kind.as_str().to_string(),
        name: d.name.clone(),
        body: Value::Object(d.body.clone()).to_string(),
        created_at: t,
        updated_at: t,
    }
}
