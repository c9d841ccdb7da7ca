//! Allocations: what each consumer holds of which providers, checked against the
//! providers' inventories when written; usages per provider and per project; and
//! allocation candidates (the providers a request fits on).

use std::collections::{BTreeMap, BTreeSet};

use super::{
    concurrent, fits, known_class, known_trait, policy, PlacementService, Provider, ProviderFilter,
};
use crate::server::authz::{authorize, Action};
use crate::server::context::OpCtx;
use crate::server::db::placement::ProviderRow;
use crate::server::db::{self, placement::AllocationRow, placement::ConsumerRow};
use crate::server::error::{Error, Result};
use crate::server::services::now;

/// Per provider: class → amount.
pub type Resources = BTreeMap<String, i64>;

/// What a consumer holds: per provider, its generation and the amounts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConsumerAllocations {
    pub project_id: Option<String>,
    pub user_id: Option<String>,
    pub generation: Option<i64>,
    pub allocations: BTreeMap<String, (i64, Resources)>,
}

/// A consumer's allocations as a writer wants them to be (none: it lets go of all).
#[derive(Clone, Debug)]
pub struct ConsumerWrite {
    pub consumer_id: String,
    pub project_id: String,
    pub user_id: String,
    pub allocations: BTreeMap<String, Resources>,
}

/// What an allocation candidates query asks for.
#[derive(Clone, Debug, Default)]
pub struct CandidateRequest {
    pub resources: Resources,
    pub required: Vec<String>,
    pub forbidden: Vec<String>,
    pub member_of: Vec<Vec<String>>,
    pub limit: Option<usize>,
}

/// A provider in a candidates answer: capacity and use of each of its classes, and its
/// traits.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub resources: BTreeMap<String, (i64, i64)>,
    pub traits: Vec<String>,
    pub parent_id: Option<String>,
    pub root_id: String,
}

/// The allocations that would satisfy a request (each on one provider), and the providers
/// they name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Candidates {
    pub requests: Vec<(String, Resources)>,
    pub summaries: BTreeMap<String, Summary>,
}

/// What a write's amounts are checked against the providers' inventories for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Every amount (the API's writes, as in Placement).
    All,
    /// What grows beyond what the consumer held (compute's claims).
    Growth,
    /// Nothing: a record of what is (compute's instances as their rows say).
    Nothing,
}

fn compute_write(
    consumer: &str,
    project_id: &str,
    user_id: &str,
    provider: &str,
    resources: Resources,
) -> ConsumerWrite {
    let resources: Resources = resources.into_iter().filter(|(_, n)| *n > 0).collect();
    ConsumerWrite {
        consumer_id: consumer.to_string(),
        project_id: project_id.to_string(),
        user_id: user_id.to_string(),
        allocations: if resources.is_empty() {
            BTreeMap::new()
        } else {
            BTreeMap::from([(provider.to_string(), resources)])
        },
    }
}

impl PlacementService {
    /// Whether each consumer already holds exactly what it is written to hold.
    async fn unchanged(&self, writes: &[ConsumerWrite]) -> Result<bool> {
        let mut conn = self.db.conn().await?;
        for w in writes {
            let held: BTreeSet<(String, String, i64)> =
                db::placement::allocations_of_consumer(&mut conn, &w.consumer_id)
                    .await?
                    .into_iter()
                    .map(|a| (a.provider_id, a.resource_class, a.used))
                    .collect();
            let wanted: BTreeSet<(String, String, i64)> = w
                .allocations
                .iter()
                .flat_map(|(p, r)| r.iter().map(move |(c, n)| (p.clone(), c.clone(), *n)))
                .collect();
            if held != wanted {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A query's resource classes and traits must exist (Placement answers 400 otherwise).
pub(super) async fn check_names<'a>(
    c: &mut db::C,
    resources: &Resources,
    traits: impl Iterator<Item = &'a String>,
) -> Result<()> {
    let custom = db::placement::custom_classes(c).await?;
    for class in resources.keys() {
        if !known_class(class, &custom) {
            return Err(Error::invalid(msg!(
                "Invalid resource class in resources parameter: No such resource class {class}.",
                class
            )));
        }
    }
    let custom = db::placement::custom_traits(c).await?;
    let unknown: Vec<&str> = traits
        .filter(|t| !known_trait(t, &custom))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let names = unknown.join(", ");
        return Err(Error::invalid(msg!("No such trait(s): {names}", names)));
    }
    Ok(())
}

impl PlacementService {
    /// What a consumer holds (nothing, for a consumer Placement has not seen).
    pub async fn consumer_allocations(
        &self,
        ctx: &OpCtx,
        consumer: &str,
    ) -> Result<ConsumerAllocations> {
        authorize(ctx, Action::Read, policy("placement:allocations:list"))?;
        let mut conn = self.db.conn().await?;
        let mut out = ConsumerAllocations::default();
        if let Some(c) = db::get::<ConsumerRow>(&mut conn, consumer).await? {
            out.project_id = Some(c.project_id);
            out.user_id = Some(c.user_id);
            out.generation = Some(c.generation);
        }
        for a in db::placement::allocations_of_consumer(&mut conn, consumer).await? {
            if !out.allocations.contains_key(&a.provider_id) {
                let generation = db::get::<ProviderRow>(&mut conn, &a.provider_id)
                    .await?
                    .map_or(0, |p| p.generation);
                out.allocations
                    .insert(a.provider_id.clone(), (generation, Resources::new()));
            }
            if let Some((_, r)) = out.allocations.get_mut(&a.provider_id) {
                r.insert(a.resource_class, a.used);
            }
        }
        Ok(out)
    }

    /// A provider's generation and what each consumer holds of it.
    pub async fn provider_allocations(
        &self,
        ctx: &OpCtx,
        provider: &str,
    ) -> Result<(i64, BTreeMap<String, Resources>)> {
        authorize(
            ctx,
            Action::List,
            policy("placement:resource_providers:allocations:list"),
        )?;
        let mut conn = self.db.conn().await?;
        let row = self.provider_row(&mut conn, provider).await?;
        let mut out: BTreeMap<String, Resources> = BTreeMap::new();
        for a in db::placement::allocations_of_provider(&mut conn, provider).await? {
            out.entry(a.consumer_id)
                .or_default()
                .insert(a.resource_class, a.used);
        }
        Ok((row.generation, out))
    }

    /// Replaces the allocations of one or more consumers at once: all fit, or none is
    /// written.
    pub async fn allocations_write(&self, ctx: &OpCtx, writes: Vec<ConsumerWrite>) -> Result<()> {
        authorize(ctx, Action::Modify, policy("placement:allocations:update"))?;
        self.write(writes, Check::All).await
    }

    /// Lets go of everything a consumer holds.
    pub async fn allocations_delete(&self, ctx: &OpCtx, consumer: &str) -> Result<()> {
        authorize(ctx, Action::Delete, policy("placement:allocations:delete"))?;
        let mut conn = self.db.conn().await?;
        let held = db::placement::allocations_of_consumer(&mut conn, consumer).await?;
        drop(conn);
        if held.is_empty() {
            return Err(Error::not_found("allocations for consumer", consumer));
        }
        self.release(consumer).await
    }

    /// What a project's consumers hold of each class (a user's, when given).
    pub async fn project_usages(
        &self,
        ctx: &OpCtx,
        project_id: &str,
        user_id: Option<&str>,
    ) -> Result<Resources> {
        authorize(ctx, Action::Read, policy("placement:usages"))?;
        let mut conn = self.db.conn().await?;
        Ok(
            db::placement::usages_of_project(&mut conn, project_id, user_id)
                .await?
                .into_iter()
                .collect(),
        )
    }

    /// The providers a request fits on, each with the allocation it would make.
    pub async fn allocation_candidates(
        &self,
        ctx: &OpCtx,
        req: CandidateRequest,
    ) -> Result<Candidates> {
        authorize(
            ctx,
            Action::List,
            policy("placement:allocation_candidates:list"),
        )?;
        let mut conn = self.db.conn().await?;
        check_names(
            &mut conn,
            &req.resources,
            req.required.iter().chain(&req.forbidden),
        )
        .await?;
        let filter = ProviderFilter {
            resources: req.resources.clone(),
            required: req.required,
            forbidden: req.forbidden,
            member_of: req.member_of,
            ..ProviderFilter::default()
        };
        let mut providers = self.matching(&mut conn, &filter).await?;
        if let Some(limit) = req.limit {
            providers.truncate(limit);
        }
        let room = self.room(&mut conn).await?;
        let mut traits: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (p, t) in db::placement::provider_traits(&mut conn, None).await? {
            traits.entry(p).or_default().push(t);
        }
        let mut out = Candidates::default();
        for p in providers {
            let resources = room
                .iter()
                .filter(|((provider, _), _)| provider == &p.id)
                .map(|((_, class), (inv, used))| (class.clone(), (inv.capacity(), *used)))
                .collect();
            out.requests.push((p.id.clone(), req.resources.clone()));
            out.summaries.insert(
                p.id.clone(),
                Summary {
                    resources,
                    traits: traits.remove(&p.id).unwrap_or_default(),
                    parent_id: p.parent_id,
                    root_id: p.root_id,
                },
            );
        }
        Ok(out)
    }

    /// The providers that pass a filter, oldest first.
    pub(super) async fn matching(
        &self,
        c: &mut db::C,
        f: &ProviderFilter,
    ) -> Result<Vec<Provider>> {
        let rows = db::placement::provider_list(c).await?;
        let mut aggregates: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        if !f.member_of.is_empty() {
            for (p, a) in db::placement::provider_aggregates(c, None).await? {
                aggregates.entry(p).or_default().insert(a);
            }
        }
        let mut traits: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        if !f.required.is_empty() || !f.forbidden.is_empty() {
            for (p, t) in db::placement::provider_traits(c, None).await? {
                traits.entry(p).or_default().insert(t);
            }
        }
        let room = if f.resources.is_empty() {
            BTreeMap::new()
        } else {
            self.room(c).await?
        };
        // The tree of a provider that does not exist has no providers.
        let tree = f.in_tree.as_ref().map(|id| {
            rows.iter()
                .find(|r| &r.id == id)
                .map(|r| r.root_id.clone())
                .unwrap_or_default()
        });
        let empty = BTreeSet::new();
        Ok(rows
            .into_iter()
            .filter(|r| f.name.as_ref().is_none_or(|n| &r.name == n))
            .filter(|r| f.uuid.as_ref().is_none_or(|u| &r.id == u))
            .filter(|r| tree.as_ref().is_none_or(|root| &r.root_id == root))
            .filter(|r| {
                let mine = aggregates.get(&r.id).unwrap_or(&empty);
                f.member_of
                    .iter()
                    .all(|any| any.iter().any(|a| mine.contains(a)))
            })
            .filter(|r| {
                let mine = traits.get(&r.id).unwrap_or(&empty);
                f.required.iter().all(|t| mine.contains(t))
                    && !f.forbidden.iter().any(|t| mine.contains(t))
            })
            .filter(|r| {
                f.resources.iter().all(|(class, amount)| {
                    room.get(&(r.id.clone(), class.clone()))
                        .is_some_and(|(inv, used)| fits(inv, *used, *amount))
                })
            })
            .map(Provider::from)
            .collect())
    }

    /// Compute: an instance (or a migration) is to hold `resources` on a node's provider;
    /// what it holds more than before must fit (the scheduler's and a resize's claim).
    pub(crate) async fn claim(
        &self,
        consumer: &str,
        project_id: &str,
        user_id: &str,
        provider: &str,
        resources: Resources,
    ) -> Result<()> {
        self.write(
            vec![compute_write(
                consumer, project_id, user_id, provider, resources,
            )],
            Check::Growth,
        )
        .await
    }

    /// Compute: records what an instance holds as it is (its row is the truth: a running
    /// instance is not refused its place because the node's inventory shrank since).
    pub(crate) async fn record(
        &self,
        consumer: &str,
        project_id: &str,
        user_id: &str,
        provider: &str,
        resources: Resources,
    ) -> Result<()> {
        self.write(
            vec![compute_write(
                consumer, project_id, user_id, provider, resources,
            )],
            Check::Nothing,
        )
        .await
    }

    /// Compute: a consumer lets go of everything it holds (nothing happens when it holds
    /// nothing).
    pub(crate) async fn release(&self, consumer: &str) -> Result<()> {
        self.write(
            vec![ConsumerWrite {
                consumer_id: consumer.to_string(),
                project_id: String::new(),
                user_id: String::new(),
                allocations: BTreeMap::new(),
            }],
            Check::Nothing,
        )
        .await
    }

    async fn write(&self, mut writes: Vec<ConsumerWrite>, check: Check) -> Result<()> {
        // Compute records what every save of an instance holds, mostly unchanged: that is
        // seen on a plain read, without taking the write lock.
        if check == Check::Nothing && self.unchanged(&writes).await? {
            return Ok(());
        }
        let _w = self.writes.lock().await;
        let mut tx = self.db.begin().await?;
        if check == Check::Nothing {
            // A record names only providers that exist (a node's comes back when it
            // reports again).
            for w in &mut writes {
                let mut kept = BTreeMap::new();
                for (provider, resources) in std::mem::take(&mut w.allocations) {
                    if db::get::<ProviderRow>(&mut tx, &provider).await?.is_some() {
                        kept.insert(provider, resources);
                    } else {
                        tracing::warn!(consumer = %w.consumer_id, provider = %provider, "not recording allocations on a resource provider that does not exist");
                    }
                }
                w.allocations = kept;
            }
        }
        let writing: BTreeSet<&str> = writes.iter().map(|w| w.consumer_id.as_str()).collect();
        // What the writing consumers hold now: it is replaced, so it does not count.
        let mut before: Vec<AllocationRow> = Vec::new();
        for id in &writing {
            before.extend(db::placement::allocations_of_consumer(&mut tx, id).await?);
        }
        let desired: BTreeSet<(&str, &str, &str, i64)> = writes
            .iter()
            .flat_map(|w| {
                w.allocations.iter().flat_map(move |(p, r)| {
                    r.iter().map(move |(class, n)| {
                        (w.consumer_id.as_str(), p.as_str(), class.as_str(), *n)
                    })
                })
            })
            .collect();
        let held: BTreeSet<(&str, &str, &str, i64)> = before
            .iter()
            .map(|a| {
                (
                    a.consumer_id.as_str(),
                    a.provider_id.as_str(),
                    a.resource_class.as_str(),
                    a.used,
                )
            })
            .collect();
        if desired == held {
            // Nothing changes (compute's saves mostly): no new generation either.
            return Ok(());
        }
        let mut wanted: BTreeMap<(String, String), i64> = BTreeMap::new();
        // Every provider written to, with the generation it was read at here.
        let mut providers: BTreeMap<String, ProviderRow> = BTreeMap::new();
        for w in &writes {
            for (provider, resources) in &w.allocations {
                if !providers.contains_key(provider) {
                    let row = db::get::<ProviderRow>(&mut tx, provider)
                        .await?
                        .ok_or_else(|| {
                            Error::invalid(msg!(
                                "Allocation for resource provider {provider} that does not exist.",
                                provider
                            ))
                        })?;
                    providers.insert(provider.clone(), row);
                }
                for (class, amount) in resources {
                    *wanted.entry((provider.clone(), class.clone())).or_default() += amount;
                }
            }
        }
        let mut inventories: BTreeMap<(String, String), super::Inventory> = BTreeMap::new();
        let mut usages: BTreeMap<(String, String), i64> = BTreeMap::new();
        for provider in providers.keys() {
            for r in db::placement::inventories_of(&mut tx, provider).await? {
                inventories.insert(
                    (provider.clone(), r.resource_class.clone()),
                    super::inventory(&r),
                );
            }
            for (class, used) in db::placement::usages_of(&mut tx, provider).await? {
                usages.insert((provider.clone(), class), used);
            }
        }
        for a in &before {
            if let Some(u) = usages.get_mut(&(a.provider_id.clone(), a.resource_class.clone())) {
                *u -= a.used;
            }
        }
        // What the writing consumers held of each (provider, class) before.
        let mut had: BTreeMap<(String, String), i64> = BTreeMap::new();
        for a in &before {
            *had.entry((a.provider_id.clone(), a.resource_class.clone()))
                .or_default() += a.used;
        }
        for w in &writes {
            for (provider, resources) in &w.allocations {
                for (class, amount) in resources {
                    let key = (provider.clone(), class.clone());
                    if check == Check::Nothing {
                        continue;
                    }
                    let Some(inv) = inventories.get(&key) else {
                        return Err(Error::Conflict(msg!(
                            "Unable to allocate inventory: Inventory for {class} on resource provider {provider} invalid.",
                            class,
                            provider
                        )));
                    };
                    if *amount < inv.min_unit
                        || *amount > inv.max_unit
                        || amount % inv.step_size != 0
                    {
                        return Err(Error::Conflict(msg!(
                            "Unable to allocate inventory: Unable to create allocation for {class} on resource provider {provider}. The requested amount would violate inventory constraints.",
                            class,
                            provider
                        )));
                    }
                }
            }
        }
        for (key, amount) in &wanted {
            let grows = *amount > had.get(key).copied().unwrap_or(0);
            let Some(inv) = inventories.get(key) else {
                continue;
            };
            if check == Check::Nothing || (check == Check::Growth && !grows) {
                continue;
            }
            let used = usages.get(key).copied().unwrap_or(0);
            if used + amount > inv.capacity() {
                let (provider, class) = key;
                return Err(Error::Conflict(msg!(
                    "Unable to allocate inventory: Unable to create allocation for {class} on resource provider {provider}. The requested amount would exceed the capacity.",
                    class,
                    provider
                )));
            }
        }
        let t = now();
        for a in &before {
            if !providers.contains_key(&a.provider_id) {
                if let Some(row) = db::get::<ProviderRow>(&mut tx, &a.provider_id).await? {
                    providers.insert(a.provider_id.clone(), row);
                }
            }
        }
        for w in &writes {
            let rows: Vec<AllocationRow> = w
                .allocations
                .iter()
                .flat_map(|(provider, resources)| {
                    resources.iter().map(move |(class, used)| AllocationRow {
                        consumer_id: w.consumer_id.clone(),
                        provider_id: provider.clone(),
                        resource_class: class.clone(),
                        used: *used,
                    })
                })
                .collect();
            if !rows.is_empty() {
                match db::get::<ConsumerRow>(&mut tx, &w.consumer_id).await? {
                    Some(mut c) => {
                        c.project_id = w.project_id.clone();
                        c.user_id = w.user_id.clone();
                        c.generation += 1;
                        c.updated_at = t;
                        db::save(&mut tx, &c).await?;
                    }
                    None => {
                        let c = ConsumerRow {
                            id: w.consumer_id.clone(),
                            project_id: w.project_id.clone(),
                            user_id: w.user_id.clone(),
                            generation: 0,
                            created_at: t,
                            updated_at: t,
                        };
                        db::insert(&mut tx, &c).await?;
                    }
                }
            }
            db::placement::allocations_replace(&mut tx, &w.consumer_id, &rows).await?;
        }
        db::placement::consumers_purge_empty(&mut tx).await?;
        // From the generations read before the checks: a writer elsewhere (another
        // controller) that changed a provider since makes this one retry.
        for (provider, row) in &providers {
            if !db::placement::provider_bump(&mut tx, provider, row.generation, t).await? {
                return Err(concurrent(provider));
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
