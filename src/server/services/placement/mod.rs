//! Placement: resource providers (each compute node is one; operators and other services
//! add their own), what they have (inventories of resource classes), what they are
//! (traits) and which aggregates they belong to, and what consumers hold of them
//! (allocations). Compute records each node's inventory here and claims an instance's
//! flavor on its node when it schedules the instance.
//!
//! Every write to a provider's inventories, traits, aggregates or allocations moves it to
//! its next generation; a writer that names a generation it no longer has gets a conflict
//! (`placement.concurrent_update`), as in OpenStack.

mod allocations;
pub mod standard;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub use allocations::{CandidateRequest, Candidates, ConsumerAllocations, ConsumerWrite, Summary};

use crate::server::authz::{authorize, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, placement::InventoryRow, placement::ProviderRow, Db};
use crate::server::error::{Error, Result};
use crate::server::services::now;

/// The error codes Placement names its conflicts and bad queries with.
pub mod codes {
    pub const CONCURRENT_UPDATE: &str = "placement.concurrent_update";
    pub const DUPLICATE_NAME: &str = "placement.duplicate_name";
    pub const INVENTORY_IN_USE: &str = "placement.inventory.inuse";
    pub const PROVIDER_IN_USE: &str = "placement.resource_provider.inuse";
    pub const CANNOT_DELETE_PARENT: &str = "placement.resource_provider.cannot_delete_parent";
    pub const PROVIDER_NOT_FOUND: &str = "placement.resource_provider.not_found";
}

#[derive(Clone)]
pub struct PlacementService {
    db: Db,
    /// Serializes this controller's writes: a capacity check and the allocations it
    /// admits stay together.
    writes: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub generation: i64,
    pub parent_id: Option<String>,
    pub root_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<ProviderRow> for Provider {
    fn from(r: ProviderRow) -> Provider {
        Provider {
            id: r.id,
            name: r.name,
            generation: r.generation,
            parent_id: r.parent_id,
            root_id: r.root_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// What a provider has of one resource class. What consumers may hold of it in all is
/// `(total - reserved) * allocation_ratio`, each allocation between `min_unit` and
/// `max_unit` and a multiple of `step_size`.
#[derive(Clone, Debug, PartialEq)]
pub struct Inventory {
    pub total: i64,
    pub reserved: i64,
    pub min_unit: i64,
    pub max_unit: i64,
    pub step_size: i64,
    pub allocation_ratio: f64,
}

impl Inventory {
    /// An inventory of `total` with Placement's defaults for the rest.
    pub fn of(total: i64) -> Inventory {
        Inventory {
            total,
            reserved: 0,
            min_unit: 1,
            max_unit: i32::MAX as i64,
            step_size: 1,
            allocation_ratio: 1.0,
        }
    }

    pub fn capacity(&self) -> i64 {
        ((self.total - self.reserved) as f64 * self.allocation_ratio) as i64
    }
}

pub type Inventories = BTreeMap<String, Inventory>;

/// A provider listing's filters (all must hold).
#[derive(Clone, Debug, Default)]
pub struct ProviderFilter {
    pub name: Option<String>,
    pub uuid: Option<String>,
    /// Each entry: the provider is in one of these aggregates.
    pub member_of: Vec<Vec<String>>,
    /// Has room for these amounts.
    pub resources: BTreeMap<String, i64>,
    /// In the tree of this provider.
    pub in_tree: Option<String>,
    pub required: Vec<String>,
    pub forbidden: Vec<String>,
}

/// Trait listing filters: `in:` names or `startswith:` a prefix, and whether a provider
/// has them.
#[derive(Clone, Debug, Default)]
pub struct TraitFilter {
    pub names: Option<Vec<String>>,
    pub prefix: Option<String>,
    pub associated: Option<bool>,
}

fn policy(name: &'static str) -> Resource<'static> {
    Resource::ServiceApi(name)
}

fn concurrent(id: &str) -> Error {
    Error::Coded {
        code: codes::CONCURRENT_UPDATE,
        inner: Box::new(Error::Conflict(msg!(
            "resource provider generation conflict: resource provider {id} was changed by another request; read it again and retry.",
            id
        ))),
    }
}

fn known_class(name: &str, custom: &[String]) -> bool {
    standard::RESOURCE_CLASSES.contains(&name) || custom.iter().any(|c| c == name)
}

fn known_trait(name: &str, custom: &[String]) -> bool {
    standard::TRAITS.contains(&name) || custom.iter().any(|c| c == name)
}

impl PlacementService {
    pub fn new(db: Db) -> PlacementService {
        PlacementService {
            db,
            writes: Arc::default(),
        }
    }

    async fn provider_row(&self, c: &mut db::C, id: &str) -> Result<ProviderRow> {
        db::get::<ProviderRow>(c, id)
            .await?
            .ok_or_else(|| Error::Coded {
                code: codes::PROVIDER_NOT_FOUND,
                inner: Box::new(Error::not_found("resource provider", id)),
            })
    }

    /// Moves a provider past the generation the writer saw, or refuses the write.
    async fn bump(&self, c: &mut db::C, id: &str, seen: i64) -> Result<i64> {
        if !db::placement::provider_bump(c, id, seen, now()).await? {
            return Err(concurrent(id));
        }
        Ok(seen + 1)
    }

    pub async fn provider_list(&self, ctx: &OpCtx, f: ProviderFilter) -> Result<Vec<Provider>> {
        authorize(
            ctx,
            Action::List,
            policy("placement:resource_providers:list"),
        )?;
        let mut conn = self.db.conn().await?;
        allocations::check_names(
            &mut conn,
            &f.resources,
            f.required.iter().chain(&f.forbidden),
        )
        .await?;
        self.matching(&mut conn, &f).await
    }

    /// Every provider's inventories with what is used of them, by (provider, class).
    async fn room(&self, c: &mut db::C) -> Result<BTreeMap<(String, String), (Inventory, i64)>> {
        let mut room: BTreeMap<(String, String), (Inventory, i64)> =
            db::placement::inventories_all(c)
                .await?
                .into_iter()
                .map(|r| {
                    (
                        (r.provider_id.clone(), r.resource_class.clone()),
                        (inventory(&r), 0),
                    )
                })
                .collect();
        for (p, class, used) in db::placement::usages_all(c).await? {
            if let Some(entry) = room.get_mut(&(p, class)) {
                entry.1 = used;
            }
        }
        Ok(room)
    }

    pub async fn provider_get(&self, ctx: &OpCtx, id: &str) -> Result<Provider> {
        authorize(
            ctx,
            Action::Read,
            policy("placement:resource_providers:show"),
        )?;
        let mut conn = self.db.conn().await?;
        Ok(self.provider_row(&mut conn, id).await?.into())
    }

    /// Makes a provider, with the uuid asked for or a new one, under a parent when given.
    pub async fn provider_create(
        &self,
        ctx: &OpCtx,
        name: String,
        uuid: Option<String>,
        parent_id: Option<String>,
    ) -> Result<Provider> {
        authorize(
            ctx,
            Action::Create,
            policy("placement:resource_providers:create"),
        )?;
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        let id = uuid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let root_id = match &parent_id {
            Some(p) => match db::get::<ProviderRow>(&mut tx, p).await? {
                Some(parent) => parent.root_id,
                None => {
                    return Err(Error::invalid(msg!(
                        "parent provider UUID {p} does not exist.",
                        p
                    )))
                }
            },
            None => id.clone(),
        };
        if db::get::<ProviderRow>(&mut tx, &id).await?.is_some() {
            return Err(duplicate(msg!(
                "Conflicting resource provider uuid: {id} already exists.",
                id
            )));
        }
        if db::placement::provider_by_name(&mut tx, &name)
            .await?
            .is_some()
        {
            return Err(duplicate(msg!(
                "Conflicting resource provider name: {name} already exists.",
                name
            )));
        }
        let t = now();
        let row = ProviderRow {
            id,
            name,
            generation: 0,
            parent_id,
            root_id,
            created_at: t,
            updated_at: t,
        };
        db::insert(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// Renames a provider, and sets or changes its parent (it may not leave its tree or
    /// lose its parent: Placement refuses that too).
    pub async fn provider_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        name: String,
        parent_id: Option<Option<String>>,
    ) -> Result<Provider> {
        authorize(
            ctx,
            Action::Modify,
            policy("placement:resource_providers:update"),
        )?;
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        let mut row = self.provider_row(&mut tx, id).await?;
        if row.name != name {
            if db::placement::provider_by_name(&mut tx, &name)
                .await?
                .is_some()
            {
                return Err(duplicate(msg!(
                    "Conflicting resource provider name: {name} already exists.",
                    name
                )));
            }
            row.name = name;
        }
        match parent_id {
            Some(new) if new != row.parent_id => match (&row.parent_id, new) {
                (None, Some(p)) => {
                    let parent = match db::get::<ProviderRow>(&mut tx, &p).await? {
                        Some(parent) => parent,
                        None => {
                            return Err(Error::invalid(msg!(
                                "parent provider UUID {p} does not exist.",
                                p
                            )))
                        }
                    };
                    // A provider may not become its own descendant.
                    if parent.root_id == row.root_id {
                        return Err(Error::invalid(msg!(
                            "creating a loop in the resource provider tree is not allowed."
                        )));
                    }
                    db::placement::provider_set_root(&mut tx, &row.root_id, &parent.root_id)
                        .await?;
                    row.root_id = parent.root_id;
                    row.parent_id = Some(p);
                }
                _ => {
                    return Err(Error::invalid(msg!(
                        "Un-parenting a provider or moving it to another parent is not allowed."
                    )))
                }
            },
            _ => {}
        }
        row.updated_at = now();
        db::save(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    pub async fn provider_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            policy("placement:resource_providers:delete"),
        )?;
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        let row = self.provider_row(&mut tx, id).await?;
        if !db::placement::allocations_of_provider(&mut tx, id)
            .await?
            .is_empty()
        {
            return Err(Error::Coded {
                code: codes::PROVIDER_IN_USE,
                inner: Box::new(Error::Conflict(msg!(
                    "Unable to delete resource provider {id}: Resource provider has allocations.",
                    id
                ))),
            });
        }
        if db::placement::provider_child_count(&mut tx, id).await? > 0 {
            return Err(Error::Coded {
                code: codes::CANNOT_DELETE_PARENT,
                inner: Box::new(Error::Conflict(msg!(
                    "Unable to delete parent resource provider {id}: It has child resource providers.",
                    id
                ))),
            });
        }
        db::delete::<ProviderRow>(&mut tx, &row.id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A provider's generation and inventories.
    pub async fn inventories(&self, ctx: &OpCtx, id: &str) -> Result<(i64, Inventories)> {
        authorize(
            ctx,
            Action::List,
            policy("placement:resource_providers:inventories:list"),
        )?;
        let mut conn = self.db.conn().await?;
        let row = self.provider_row(&mut conn, id).await?;
        let inv = db::placement::inventories_of(&mut conn, id).await?;
        Ok((
            row.generation,
            inv.iter()
                .map(|r| (r.resource_class.clone(), inventory(r)))
                .collect(),
        ))
    }

    /// Changes a provider's inventories: `change` gets the current ones and returns the
    /// new. Refuses a generation other than the provider's, unknown classes, bad values,
    /// and taking away a class that consumers hold.
    pub async fn inventories_change(
        &self,
        ctx: &OpCtx,
        id: &str,
        generation: Option<i64>,
        change: impl FnOnce(Inventories) -> Result<Inventories> + Send,
    ) -> Result<(i64, Inventories)> {
        authorize(
            ctx,
            Action::Modify,
            policy("placement:resource_providers:inventories:update"),
        )?;
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        let row = self.provider_row(&mut tx, id).await?;
        let current: Inventories = db::placement::inventories_of(&mut tx, id)
            .await?
            .iter()
            .map(|r| (r.resource_class.clone(), inventory(r)))
            .collect();
        let seen = generation.unwrap_or(row.generation);
        if seen != row.generation {
            return Err(concurrent(id));
        }
        let next = change(current.clone())?;
        let custom = db::placement::custom_classes(&mut tx).await?;
        for (class, inv) in &next {
            if !known_class(class, &custom) {
                return Err(Error::invalid(msg!(
                    "Unknown resource class in inventory for resource provider {id}: {class}",
                    id,
                    class
                )));
            }
            check_inventory(class, inv)?;
        }
        let usages: BTreeMap<String, i64> = db::placement::usages_of(&mut tx, id)
            .await?
            .into_iter()
            .collect();
        for class in current.keys().filter(|c| !next.contains_key(*c)) {
            if usages.get(class).copied().unwrap_or(0) > 0 {
                return Err(Error::Coded {
                    code: codes::INVENTORY_IN_USE,
                    inner: Box::new(Error::Conflict(msg!(
                        "Inventory for {class} on resource provider {id} in use.",
                        class,
                        id
                    ))),
                });
            }
        }
        let rows: Vec<InventoryRow> = next
            .iter()
            .map(|(class, inv)| inventory_row(id, class, inv))
            .collect();
        db::placement::inventories_replace(&mut tx, id, &rows).await?;
        let generation = self.bump(&mut tx, id, seen).await?;
        tx.commit().await?;
        Ok((generation, next))
    }

    /// A provider's generation and what its consumers hold of each class.
    pub async fn usages(&self, ctx: &OpCtx, id: &str) -> Result<(i64, BTreeMap<String, i64>)> {
        authorize(
            ctx,
            Action::Read,
            policy("placement:resource_providers:usages"),
        )?;
        let mut conn = self.db.conn().await?;
        let row = self.provider_row(&mut conn, id).await?;
        let mut usages: BTreeMap<String, i64> = db::placement::inventories_of(&mut conn, id)
            .await?
            .into_iter()
            .map(|r| (r.resource_class, 0))
            .collect();
        usages.extend(db::placement::usages_of(&mut conn, id).await?);
        Ok((row.generation, usages))
    }

    pub async fn provider_aggregates(&self, ctx: &OpCtx, id: &str) -> Result<(i64, Vec<String>)> {
        authorize(
            ctx,
            Action::List,
            policy("placement:resource_providers:aggregates:list"),
        )?;
        let mut conn = self.db.conn().await?;
        let row = self.provider_row(&mut conn, id).await?;
        let list = db::placement::provider_aggregates(&mut conn, Some(id)).await?;
        Ok((row.generation, list.into_iter().map(|(_, a)| a).collect()))
    }

    /// Replaces a provider's aggregates (checking the generation when one is given).
    pub async fn provider_aggregates_set(
        &self,
        ctx: &OpCtx,
        id: &str,
        generation: Option<i64>,
        aggregates: Vec<String>,
    ) -> Result<(i64, Vec<String>)> {
        authorize(
            ctx,
            Action::Modify,
            policy("placement:resource_providers:aggregates:update"),
        )?;
        let mut list: Vec<String> = aggregates;
        list.sort();
        list.dedup();
        for a in &list {
            if uuid::Uuid::parse_str(a).is_err() {
                return Err(Error::invalid(msg!(
                    "Invalid aggregate {a}: it is not a UUID.",
                    a
                )));
            }
        }
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        let row = self.provider_row(&mut tx, id).await?;
        db::placement::provider_aggregates_set(&mut tx, id, &list).await?;
        // Before microversion 1.19 the writer names no generation, and none is taken.
        let generation = match generation {
            Some(seen) => self.bump(&mut tx, id, seen).await?,
            None => row.generation,
        };
        tx.commit().await?;
        Ok((generation, list))
    }

    pub async fn provider_traits(&self, ctx: &OpCtx, id: &str) -> Result<(i64, Vec<String>)> {
        authorize(
            ctx,
            Action::List,
            policy("placement:resource_providers:traits:list"),
        )?;
        let mut conn = self.db.conn().await?;
        let row = self.provider_row(&mut conn, id).await?;
        let list = db::placement::provider_traits(&mut conn, Some(id)).await?;
        Ok((row.generation, list.into_iter().map(|(_, t)| t).collect()))
    }

    /// Replaces a provider's traits; every one must exist.
    pub async fn provider_traits_set(
        &self,
        ctx: &OpCtx,
        id: &str,
        generation: i64,
        traits: Vec<String>,
    ) -> Result<(i64, Vec<String>)> {
        authorize(
            ctx,
            Action::Modify,
            policy("placement:resource_providers:traits:update"),
        )?;
        let mut list = traits;
        list.sort();
        list.dedup();
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        self.provider_row(&mut tx, id).await?;
        let custom = db::placement::custom_traits(&mut tx).await?;
        let unknown: Vec<&str> = list
            .iter()
            .filter(|t| !known_trait(t, &custom))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            let names = unknown.join(", ");
            return Err(Error::invalid(msg!("No such trait(s): {names}", names)));
        }
        db::placement::provider_traits_set(&mut tx, id, &list).await?;
        let generation = self.bump(&mut tx, id, generation).await?;
        tx.commit().await?;
        Ok((generation, list))
    }

    pub async fn provider_traits_clear(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            policy("placement:resource_providers:traits:delete"),
        )?;
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        let row = self.provider_row(&mut tx, id).await?;
        db::placement::provider_traits_set(&mut tx, id, &[]).await?;
        self.bump(&mut tx, id, row.generation).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The standard and custom traits that pass the filter, sorted.
    pub async fn traits(&self, ctx: &OpCtx, f: TraitFilter) -> Result<Vec<String>> {
        authorize(ctx, Action::List, policy("placement:traits:list"))?;
        let mut conn = self.db.conn().await?;
        let custom = db::placement::custom_traits(&mut conn).await?;
        let associated: BTreeSet<String> = match f.associated {
            Some(_) => db::placement::provider_traits(&mut conn, None)
                .await?
                .into_iter()
                .map(|(_, t)| t)
                .collect(),
            None => BTreeSet::new(),
        };
        let mut all: Vec<String> = standard::TRAITS
            .iter()
            .map(|t| t.to_string())
            .chain(custom)
            .filter(|t| f.names.as_ref().is_none_or(|names| names.contains(t)))
            .filter(|t| f.prefix.as_ref().is_none_or(|p| t.starts_with(p.as_str())))
            .filter(|t| f.associated.is_none_or(|a| associated.contains(t) == a))
            .collect();
        all.sort();
        all.dedup();
        Ok(all)
    }

    /// Whether the trait exists (404 when it does not).
    pub async fn trait_get(&self, ctx: &OpCtx, name: &str) -> Result<()> {
        authorize(ctx, Action::Read, policy("placement:traits:show"))?;
        let mut conn = self.db.conn().await?;
        let custom = db::placement::custom_traits(&mut conn).await?;
        if known_trait(name, &custom) {
            Ok(())
        } else {
            Err(Error::not_found("trait", name))
        }
    }

    /// Makes a custom trait; `false` when it existed already.
    pub async fn trait_put(&self, ctx: &OpCtx, name: &str) -> Result<bool> {
        authorize(ctx, Action::Create, policy("placement:traits:update"))?;
        if !standard::is_custom_name(name) {
            return Err(Error::invalid(msg!(
                "The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix CUSTOM_ and use only A-Z, 0-9 and _."
            )));
        }
        let mut conn = self.db.conn().await?;
        let row = db::placement::TraitRow {
            id: name.to_string(),
            created_at: now(),
        };
        Ok(db::insert_new(&mut conn, &row, None).await?)
    }

    pub async fn trait_delete(&self, ctx: &OpCtx, name: &str) -> Result<()> {
        authorize(ctx, Action::Delete, policy("placement:traits:delete"))?;
        if standard::TRAITS.contains(&name) {
            return Err(Error::invalid(msg!(
                "Cannot delete standard trait {name}.",
                name
            )));
        }
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        if db::get::<db::placement::TraitRow>(&mut tx, name)
            .await?
            .is_none()
        {
            return Err(Error::not_found("trait", name));
        }
        if db::placement::trait_in_use(&mut tx, name).await? {
            return Err(Error::Conflict(msg!(
                "The trait {name} is in use by a resource provider.",
                name
            )));
        }
        db::delete::<db::placement::TraitRow>(&mut tx, name).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The standard resource classes, then the custom ones.
    pub async fn classes(&self, ctx: &OpCtx) -> Result<Vec<String>> {
        authorize(ctx, Action::List, policy("placement:resource_classes:list"))?;
        let mut conn = self.db.conn().await?;
        let custom = db::placement::custom_classes(&mut conn).await?;
        Ok(standard::RESOURCE_CLASSES
            .iter()
            .map(|c| c.to_string())
            .chain(custom)
            .collect())
    }

    pub async fn class_get(&self, ctx: &OpCtx, name: &str) -> Result<()> {
        authorize(ctx, Action::Read, policy("placement:resource_classes:show"))?;
        let mut conn = self.db.conn().await?;
        let custom = db::placement::custom_classes(&mut conn).await?;
        if known_class(name, &custom) {
            Ok(())
        } else {
            Err(Error::not_found("resource class", name))
        }
    }

    /// Makes a custom class: `false` when it existed, or an error when `exists_is_error`.
    pub async fn class_create(
        &self,
        ctx: &OpCtx,
        name: &str,
        exists_is_error: bool,
    ) -> Result<bool> {
        authorize(
            ctx,
            Action::Create,
            policy("placement:resource_classes:create"),
        )?;
        check_custom_class(name)?;
        let mut conn = self.db.conn().await?;
        let made = db::insert_new(
            &mut conn,
            &db::placement::ResourceClassRow {
                id: name.to_string(),
                created_at: now(),
                updated_at: None,
            },
            None,
        )
        .await?;
        if !made && exists_is_error {
            return Err(duplicate(msg!(
                "Conflicting resource class already exists: {name}",
                name
            )));
        }
        Ok(made)
    }

    /// Renames a custom class (the API below microversion 1.7).
    pub async fn class_rename(&self, ctx: &OpCtx, from: &str, to: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Modify,
            policy("placement:resource_classes:update"),
        )?;
        if standard::RESOURCE_CLASSES.contains(&from) {
            return Err(Error::invalid(msg!(
                "Cannot update standard resource class {from}",
                from
            )));
        }
        check_custom_class(to)?;
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        let custom = db::placement::custom_classes(&mut tx).await?;
        if !custom.iter().any(|c| c == from) {
            return Err(Error::not_found("resource class", from));
        }
        if known_class(to, &custom) {
            return Err(duplicate(msg!(
                "Conflicting resource class already exists: {name}",
                name = to
            )));
        }
        if db::placement::class_in_use(&mut tx, from).await? {
            return Err(Error::Conflict(msg!(
                "The resource class {name} is in use in inventory or allocations.",
                name = from
            )));
        }
        db::placement::class_rename(&mut tx, from, to, now()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn class_delete(&self, ctx: &OpCtx, name: &str) -> Result<()> {
        authorize(
            ctx,
            Action::Delete,
            policy("placement:resource_classes:delete"),
        )?;
        if standard::RESOURCE_CLASSES.contains(&name) {
            return Err(Error::invalid(msg!(
                "Cannot delete standard resource class {name}",
                name
            )));
        }
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        if db::get::<db::placement::ResourceClassRow>(&mut tx, name)
            .await?
            .is_none()
        {
            return Err(Error::not_found("resource class", name));
        }
        if db::placement::class_in_use(&mut tx, name).await? {
            return Err(Error::Conflict(msg!(
                "The resource class {name} is in use in inventory or allocations.",
                name
            )));
        }
        db::delete::<db::placement::ResourceClassRow>(&mut tx, name).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Compute: Nova mirrors its host aggregates into Placement, so the node's provider
    /// joins (`member`) or leaves the aggregate of that id; its generation moves only when
    /// that changes something. A node with no provider yet has nothing to mirror.
    pub(crate) async fn node_aggregate(
        &self,
        node_id: &str,
        aggregate: &str,
        member: bool,
    ) -> Result<()> {
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        let Some(row) = db::get::<ProviderRow>(&mut tx, node_id).await? else {
            return Ok(());
        };
        let mut list: Vec<String> = db::placement::provider_aggregates(&mut tx, Some(node_id))
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        if list.iter().any(|a| a == aggregate) == member {
            return Ok(());
        }
        if member {
            list.push(aggregate.to_string());
            list.sort();
        } else {
            list.retain(|a| a != aggregate);
        }
        db::placement::provider_aggregates_set(&mut tx, node_id, &list).await?;
        self.bump(&mut tx, node_id, row.generation).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Compute: records a node as a provider (its id is the node's) with its VCPU,
    /// MEMORY_MB and DISK_GB, made or brought up to date on every start.
    pub(crate) async fn node_report(
        &self,
        node_id: &str,
        name: &str,
        inv: Inventories,
    ) -> Result<()> {
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        let t = now();
        let row = match db::get::<ProviderRow>(&mut tx, node_id).await? {
            Some(mut row) => {
                if row.name != name {
                    row.name = name.to_string();
                    row.updated_at = t;
                    db::save(&mut tx, &row).await?;
                }
                row
            }
            None => {
                let row = ProviderRow {
                    id: node_id.to_string(),
                    name: name.to_string(),
                    generation: 0,
                    parent_id: None,
                    root_id: node_id.to_string(),
                    created_at: t,
                    updated_at: t,
                };
                db::insert(&mut tx, &row).await?;
                row
            }
        };
        let current = db::placement::inventories_of(&mut tx, node_id).await?;
        let mut next: Vec<InventoryRow> = current
            .iter()
            .filter(|r| !inv.contains_key(&r.resource_class))
            .cloned()
            .collect();
        next.extend(
            inv.iter()
                .map(|(class, i)| inventory_row(node_id, class, i)),
        );
        next.sort_by(|a, b| a.resource_class.cmp(&b.resource_class));
        if next != current {
            db::placement::inventories_replace(&mut tx, node_id, &next).await?;
            self.bump(&mut tx, node_id, row.generation).await?;
        }
        let traits: Vec<String> = db::placement::provider_traits(&mut tx, Some(node_id))
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        if !traits.iter().any(|t| t == "COMPUTE_NODE") {
            let mut with = traits;
            with.push("COMPUTE_NODE".into());
            with.sort();
            db::placement::provider_traits_set(&mut tx, node_id, &with).await?;
            let generation = db::get::<ProviderRow>(&mut tx, node_id)
                .await?
                .map_or(0, |r| r.generation);
            self.bump(&mut tx, node_id, generation).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn duplicate(m: crate::message::Message) -> Error {
    Error::Coded {
        code: codes::DUPLICATE_NAME,
        inner: Box::new(Error::Conflict(m)),
    }
}

fn check_custom_class(name: &str) -> Result<()> {
    if standard::is_custom_name(name) {
        Ok(())
    } else {
        Err(Error::invalid(msg!(
            "A custom resource class name must start with CUSTOM_ and hold only A-Z, 0-9 and _, at most 255 characters: {name}",
            name
        )))
    }
}

/// Whether `amount` more fits in an inventory that has `used` taken.
fn fits(inv: &Inventory, used: i64, amount: i64) -> bool {
    used + amount <= inv.capacity()
        && amount >= inv.min_unit
        && amount <= inv.max_unit
        && amount % inv.step_size == 0
}

fn check_inventory(class: &str, inv: &Inventory) -> Result<()> {
    let bad = |what: crate::message::Message| Err(Error::invalid(what));
    if inv.total < 1 || inv.reserved < 0 || inv.min_unit < 1 || inv.step_size < 1 {
        return bad(msg!(
            "Bad inventory {class}: total, min_unit and step_size must be at least 1 and reserved at least 0.",
            class
        ));
    }
    if inv.max_unit < inv.min_unit || inv.allocation_ratio <= 0.0 {
        return bad(msg!(
            "Bad inventory {class}: max_unit must be at least min_unit and allocation_ratio above 0.",
            class
        ));
    }
    // Reserving all of it is allowed from microversion 1.26, above what is served.
    if inv.reserved >= inv.total {
        return bad(msg!(
            "Invalid inventory for {class}: the reserved value is greater than or equal to total.",
            class
        ));
    }
    Ok(())
}

fn inventory(r: &InventoryRow) -> Inventory {
    Inventory {
        total: r.total,
        reserved: r.reserved,
        min_unit: r.min_unit,
        max_unit: r.max_unit,
        step_size: r.step_size,
        allocation_ratio: r.allocation_ratio,
    }
}

fn inventory_row(provider: &str, class: &str, i: &Inventory) -> InventoryRow {
    InventoryRow {
        provider_id: provider.to_string(),
        resource_class: class.to_string(),
        total: i.total,
        reserved: i.reserved,
        min_unit: i.min_unit,
        max_unit: i.max_unit,
        step_size: i.step_size,
        allocation_ratio: i.allocation_ratio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allocation_fits_within_capacity_units_and_steps() {
        let inv = Inventory {
            total: 8,
            reserved: 2,
            min_unit: 1,
            max_unit: 4,
            step_size: 2,
            allocation_ratio: 2.0,
        };
        assert_eq!(inv.capacity(), 12);
        assert!(fits(&inv, 8, 4));
        assert!(!fits(&inv, 10, 4), "over capacity");
        assert!(!fits(&inv, 0, 3), "not a multiple of the step");
        assert!(!fits(&inv, 0, 6), "over max_unit");
    }
}
