//! The catalog in memory: every product's summary, the category tree and what may be
//! recommended, so a recommendation list costs no database round trip per item.
//!
//! It follows the database: this replica's own catalog writes and checkouts refresh the products
//! they touched at once, and a background task catches up every few seconds with what was
//! written since its last look (products by `updated_at`, so a catalog of 150,000 products is
//! not read again and again), which is how other replicas' writes arrive. The snapshot is
//! swapped atomically (readers never wait), and only when something changed.
//!
//! The public product listing (a category's subtree, price range, in stock, sorted) is answered
//! from the snapshot: each (category, sort) list is sorted once when first asked for and kept
//! while no product's place in it changes (a stock change keeps every list).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use recsys_core::{Id, ItemSet};
use recsys_store::{Category, Millis, Page, Paged, Product, ProductQuery, ProductSort, Store};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::ttl_cache::TtlCache;

/// What a list of products shows of each one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProductSummary {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub price_cents: i64,
    /// ISO 4217 code of the price.
    pub currency: String,
    pub category_id: Option<i64>,
    pub stock: i64,
    pub in_stock: bool,
    pub active: bool,
    /// Free-form attributes (for the demo shop: year, genres).
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    /// Its picture (`/images/...` from this server, or the shop's https address); none: `null`.
    pub image_url: Option<String>,
    /// When it was first listed (the "newest" sort).
    #[serde(skip)]
    created_at: Millis,
    /// When it was last written: a product page kept in memory is served while the snapshot
    /// has this version ([`CatalogCache::product`]).
    #[serde(skip)]
    updated_at: Millis,
    /// This summary as JSON, written once when the catalog is read instead of in every list
    /// that shows it ([`Recommendations`](crate::services::recommend::Recommendations) copies it).
    #[serde(skip)]
    json: Box<str>,
}

impl ProductSummary {
    pub fn of(p: &Product, currency: &str) -> ProductSummary {
        let mut summary = ProductSummary {
            id: p.id,
            sku: p.sku.clone(),
            name: p.name.clone(),
            price_cents: p.price_cents,
            currency: currency.to_string(),
            category_id: p.category_id,
            stock: p.stock,
            in_stock: p.stock > 0,
            active: p.active,
            attributes: p.attributes.clone(),
            image_url: p.image_url.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            json: Box::default(),
        };
        summary.json = serde_json::to_string(&summary)
            .expect("plain fields and a JSON value (string keys only) always serialize")
            .into_boxed_str();
        summary
    }

    /// This summary as serde writes it.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// Whether it may be recommended: active and in stock.
    pub fn recommendable(&self) -> bool {
        self.active && self.stock > 0
    }

    /// Whether it sits in the same place of every listing as `other`: everything but the stock
    /// is the same.
    fn listed_alike(&self, other: &ProductSummary) -> bool {
        self.active == other.active
            && self.category_id == other.category_id
            && self.price_cents == other.price_cents
            && self.created_at == other.created_at
            && self.name == other.name
    }
}

/// One consistent view of the catalog.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub products: HashMap<i64, Arc<ProductSummary>>,
    pub categories: Vec<Category>,
    /// Each category's id with every category below it.
    subtree: HashMap<i64, Vec<i64>>,
    /// Products that may not be recommended (inactive or out of stock), as a set of model ids
    /// each model resolves once (shared by the snapshots after this one while it stays the same).
    pub unavailable: Arc<ItemSet>,
    /// The same products by id, for the listing's in-stock filter (one cheap probe per listed
    /// product instead of a lookup of its summary).
    unavailable_ids: UnavailableIds,
    /// The sorted lists of the public listing, shared with the snapshots before and after this
    /// one while no product changes its place in them.
    listings: Arc<Listings>,
    /// Part of a cached recommendation list's key: it changes when a list computed on an
    /// earlier snapshot may differ from one computed now in a way serving it would not see (see
    /// `may_change_lists`). A product going out of stock or inactive does not change it:
    /// a kept list is checked against the snapshot it is served from
    /// ([`Snapshot::any_unavailable`]), so a checkout does not make every list new.
    pub generation: u64,
}

/// Whether recommendation lists computed with `old` as a product's state may differ from lists
/// computed with `new` (`None`: not in the catalog) beyond the product going out of what may be
/// recommended, which a kept list checks when it is served: the product came back (in stock,
/// active again), was added or removed, or moved to another category (lists by category).
fn may_change_lists(old: Option<&ProductSummary>, new: Option<&ProductSummary>) -> bool {
    match (old, new) {
        (None, None) => false,
        (None, Some(_)) | (Some(_), None) => true,
        (Some(old), Some(new)) => {
            old.category_id != new.category_id || (!old.recommendable() && new.recommendable())
        }
    }
}

/// The next snapshot generation.
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Each category's id with every category below it.
fn subtrees(categories: &[Category]) -> HashMap<i64, Vec<i64>> {
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for c in categories {
        if let Some(parent) = c.parent_id {
            children.entry(parent).or_default().push(c.id);
        }
    }
    let mut subtree = HashMap::new();
    for c in categories {
        let mut all = vec![c.id];
        let mut i = 0;
        let mut seen = HashSet::from([c.id]);
        while i < all.len() {
            for &child in children.get(&all[i]).map(Vec::as_slice).unwrap_or(&[]) {
                if seen.insert(child) {
                    all.push(child);
                }
            }
            i += 1;
        }
        subtree.insert(c.id, all);
    }
    subtree
}

/// One product of a sorted list: its id and price (the filter that needs no lookup).
#[derive(Debug, Clone, Copy)]
struct Listed {
    id: i64,
    price_cents: i64,
}

/// The active products of a category's subtree (or of the whole catalog) in each sort's order,
/// each list sorted when it is first asked for.
#[derive(Debug, Default)]
struct Listings {
    lists: Mutex<ListsByKey>,
    /// The active products by category, what each list is made from.
    by_category: std::sync::OnceLock<HashMap<Option<i64>, Vec<Arc<ProductSummary>>>>,
}

/// The sorted lists by (category, sort).
type ListsByKey = HashMap<(Option<i64>, ProductSort), Arc<[Listed]>>;

impl Listings {
    fn lists(&self) -> std::sync::MutexGuard<'_, ListsByKey> {
        // a panic while the lock was held leaves at worst a list missing: use the map
        self.lists
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Snapshot {
    fn build(products: Vec<Product>, categories: Vec<Category>, currency: &str) -> Snapshot {
        let products: HashMap<i64, Arc<ProductSummary>> = products
            .iter()
            .map(|p| (p.id, Arc::new(ProductSummary::of(p, currency))))
            .collect();
        let (unavailable_ids, unavailable) = unavailable(&products, None);
        Snapshot {
            unavailable,
            unavailable_ids,
            products,
            subtree: subtrees(&categories),
            categories,
            listings: Arc::default(),
            generation: next_generation(),
        }
    }

    /// This snapshot with `changed` products replaced (or added) and `removed` ones left out;
    /// the listings are kept if no product changed its place in them.
    fn with_products(&self, changed: Vec<Arc<ProductSummary>>, removed: &[i64]) -> Snapshot {
        let mut products = self.products.clone();
        let mut same_places = true;
        let mut lists_change = false;
        for id in removed {
            let old = products.remove(id);
            lists_change |= may_change_lists(old.as_deref(), None);
            same_places &= old.is_none_or(|p| !p.active);
        }
        for p in changed {
            let old = products.get(&p.id);
            lists_change |= may_change_lists(old.map(|o| &**o), Some(&p));
            same_places &= match old {
                Some(old) => old.listed_alike(&p),
                None => !p.active,
            };
            products.insert(p.id, p);
        }
        let (unavailable_ids, unavailable) = unavailable(&products, Some(self));
        Snapshot {
            unavailable,
            unavailable_ids,
            products,
            categories: self.categories.clone(),
            subtree: self.subtree.clone(),
            listings: if same_places {
                Arc::clone(&self.listings)
            } else {
                Arc::default()
            },
            generation: if lists_change {
                next_generation()
            } else {
                self.generation
            },
        }
    }

    /// Whether any of these products may not be recommended now (inactive or out of stock).
    pub fn any_unavailable(&self, ids: &[i64]) -> bool {
        ids.iter().any(|id| self.unavailable_ids.contains(id))
    }

    /// The category and every category below it (empty if unknown).
    pub fn subtree(&self, category: i64) -> &[i64] {
        self.subtree.get(&category).map_or(&[], Vec::as_slice)
    }

    /// Products in a category's subtree, as model ids.
    pub fn products_in(&self, category: i64) -> Vec<Id> {
        let cats: HashSet<i64> = self.subtree(category).iter().copied().collect();
        self.products
            .values()
            .filter(|p| p.category_id.is_some_and(|c| cats.contains(&c)))
            .map(|p| Id::Int(p.id))
            .collect()
    }

    /// The active products of a category's subtree (all with `None`) in `sort`'s order, ties by
    /// id as the store orders them.
    fn listed(&self, category: Option<i64>, sort: ProductSort) -> Arc<[Listed]> {
        let key = (category, sort);
        if let Some(list) = self.listings.lists().get(&key) {
            return Arc::clone(list);
        }
        // the active products of each category, grouped once for all the lists (shared as they
        // are: a list only reads what places a product, which is the same in every snapshot
        // that shares these listings)
        let groups = self.listings.by_category.get_or_init(|| {
            let mut groups: HashMap<Option<i64>, Vec<Arc<ProductSummary>>> = HashMap::new();
            for p in self.products.values().filter(|p| p.active) {
                groups.entry(p.category_id).or_default().push(Arc::clone(p));
            }
            groups
        });
        let mut members: Vec<&ProductSummary> = match category {
            None => groups.values().flatten().map(Arc::as_ref).collect(),
            Some(c) => self
                .subtree(c)
                .iter()
                .filter_map(|&c| groups.get(&Some(c)))
                .flatten()
                .map(Arc::as_ref)
                .collect(),
        };
        match sort {
            ProductSort::Newest => {
                members.sort_unstable_by_key(|p| std::cmp::Reverse((p.created_at, p.id)))
            }
            ProductSort::Oldest => members.sort_unstable_by_key(|p| (p.created_at, p.id)),
            ProductSort::PriceAsc => members.sort_unstable_by_key(|p| (p.price_cents, p.id)),
            ProductSort::PriceDesc => {
                members.sort_unstable_by_key(|p| (std::cmp::Reverse(p.price_cents), p.id))
            }
            ProductSort::Name => {
                members.sort_unstable_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)))
            }
        }
        let list: Arc<[Listed]> = members
            .iter()
            .map(|p| Listed {
                id: p.id,
                price_cents: p.price_cents,
            })
            .collect();
        self.listings.lists().insert(key, Arc::clone(&list));
        list
    }

    /// A page of the public listing: active products matching `query` (its category, price
    /// range and stock; its text is the store's to match), in its order, and how many match.
    pub fn list(&self, query: &ProductQuery, page: Page) -> Paged<Arc<ProductSummary>> {
        let list = self.listed(query.category_id, query.sort);
        let (min, max) = (
            query.min_price_cents.unwrap_or(i64::MIN),
            query.max_price_cents.unwrap_or(i64::MAX),
        );
        let filtered = min != i64::MIN || max != i64::MAX || query.in_stock;
        let start = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(usize::try_from(page.limit).unwrap_or(0));
        if !filtered {
            let items = list
                .get(start.min(list.len())..end.min(list.len()))
                .unwrap_or(&[])
                .iter()
                .filter_map(|l| self.products.get(&l.id).cloned())
                .collect();
            return Paged {
                items,
                total: list.len() as i64,
                limit: page.limit,
                offset: page.offset,
            };
        }
        let mut items = Vec::new();
        let mut total = 0usize;
        for l in list.iter() {
            if l.price_cents < min || l.price_cents > max {
                continue;
            }
            // stock changes without moving anything in a list: a listed (active) product out
            // of stock is one of the unavailable ones of this snapshot
            if query.in_stock && self.unavailable_ids.contains(&l.id) {
                continue;
            }
            if (start..end).contains(&total) {
                let Some(p) = self.products.get(&l.id) else {
                    continue;
                };
                items.push(Arc::clone(p));
            }
            total += 1;
        }
        Paged {
            items,
            total: total as i64,
            limit: page.limit,
            offset: page.offset,
        }
    }
}

/// The products that may not be recommended (inactive or out of stock): as a set of ids, and
/// as model ids, sorted; the `previous` snapshot's model ids when they are the same (a stock
/// change that leaves a product in stock), so the models' resolutions of them are kept.
type UnavailableIds = HashSet<i64, foldhash::fast::RandomState>;

fn unavailable(
    products: &HashMap<i64, Arc<ProductSummary>>,
    previous: Option<&Snapshot>,
) -> (UnavailableIds, Arc<ItemSet>) {
    let set: UnavailableIds = products
        .values()
        .filter(|p| !p.recommendable())
        .map(|p| p.id)
        .collect();
    if let Some(previous) = previous
        && previous.unavailable_ids == set
    {
        return (set, Arc::clone(&previous.unavailable));
    }
    let mut ids: Vec<i64> = set.iter().copied().collect();
    ids.sort_unstable();
    (set, Arc::new(ItemSet::new(ids.into_iter().map(Id::Int))))
}

/// How far back a catch-up reads again: a write's `updated_at` is taken before its transaction
/// commits, and replicas' clocks differ a little; re-reading the last minute's writes is cheap.
const CATCH_UP_OVERLAP_MS: Millis = 60_000;

/// How long a product read for its page is kept (checked against the snapshot on every use;
/// this only bounds the memory to the products viewed in the last minute or two).
const PRODUCT_PAGE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The catalog cache.
#[derive(Debug)]
pub struct CatalogCache {
    store: Store,
    currency: String,
    snapshot: ArcSwap<Snapshot>,
    /// When the last read of the database started (a full reload or a catch-up).
    read_at: std::sync::atomic::AtomicI64,
    /// Products as their pages show them (with the description the snapshot does not hold),
    /// read from the database once per version.
    pages: TtlCache<Arc<Product>>,
}

impl CatalogCache {
    pub async fn load(store: Store, currency: &str) -> ApiResult<CatalogCache> {
        let cache = CatalogCache {
            store,
            currency: currency.to_string(),
            snapshot: ArcSwap::from_pointee(Snapshot::default()),
            read_at: std::sync::atomic::AtomicI64::new(0),
            pages: TtlCache::new(PRODUCT_PAGE_TTL),
        };
        cache.reload().await?;
        Ok(cache)
    }

    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// The current view.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// An active product for its page, or `NotFound`. Served from memory while the snapshot
    /// holds the version that was read (its `updated_at`, stock and price: every write of a
    /// product renews `updated_at`, and this replica's writes and checkouts refresh the snapshot
    /// at once), so an edit shows as soon as the snapshot has it, as in the listings; read from
    /// the database otherwise (a product newer than the snapshot included). Two writes of one
    /// product in the same millisecond that differ only in the description are one version:
    /// the first is shown until the next write or `PRODUCT_PAGE_TTL`.
    pub async fn product(&self, id: i64) -> ApiResult<Arc<Product>> {
        let not_found = || ApiError::NotFound(format!("product {id} not found"));
        let snapshot = self.snapshot();
        let listed = snapshot.products.get(&id);
        if let Some(summary) = listed {
            if !summary.active {
                return Err(not_found());
            }
            if let Some(page) = self.pages.get(&id)
                && page.updated_at == summary.updated_at
                && page.stock == summary.stock
                && page.price_cents == summary.price_cents
            {
                return Ok(page);
            }
        }
        let product = Arc::new(self.store.product(id).await?);
        if !product.active {
            return Err(not_found());
        }
        if listed.is_some() {
            self.pages.put(id, Arc::clone(&product));
        }
        Ok(product)
    }

    /// Reads the whole catalog again.
    pub async fn reload(&self) -> ApiResult<()> {
        let started = recsys_store::now_ms();
        let products = self.store.all_products().await?;
        let categories = self.store.list_categories().await?;
        let mut next = Snapshot::build(products, categories, &self.currency);
        let current = self.snapshot();
        let lists_change = next.categories != current.categories
            || current
                .products
                .iter()
                .any(|(id, old)| may_change_lists(Some(old), next.products.get(id).map(|p| &**p)))
            || next
                .products
                .keys()
                .any(|id| !current.products.contains_key(id));
        if !lists_change {
            next.generation = current.generation;
        }
        self.snapshot.store(Arc::new(next));
        self.read_at
            .store(started, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Reads what was written since the last read (with an overlap, see
    /// `CATCH_UP_OVERLAP_MS`): the products changed since, and the category tree. Deleted
    /// products are noticed by the count and mean a full reload. The snapshot is replaced only
    /// if something changed, so cached lists stay valid while nothing does.
    pub async fn catch_up(&self) -> ApiResult<()> {
        let started = recsys_store::now_ms();
        let since = self.read_at.load(std::sync::atomic::Ordering::Relaxed) - CATCH_UP_OVERLAP_MS;
        let fresh = self.store.products_updated_since(since).await?;
        let categories = self.store.list_categories().await?;
        let count = self.store.count_products().await?;
        let current = self.snapshot();
        if categories != current.categories {
            return self.reload().await;
        }
        let changed: Vec<Arc<ProductSummary>> = fresh
            .iter()
            .map(|p| Arc::new(ProductSummary::of(p, &self.currency)))
            .filter(|p| current.products.get(&p.id).is_none_or(|old| **old != **p))
            .collect();
        let known = current.products.len()
            + changed
                .iter()
                .filter(|p| !current.products.contains_key(&p.id))
                .count();
        if known as i64 != count {
            return self.reload().await;
        }
        if !changed.is_empty() {
            self.snapshot
                .store(Arc::new(current.with_products(changed, &[])));
        }
        self.read_at
            .store(started, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Reads these products again (after a write or checkout that changed them).
    pub async fn refresh_products(&self, ids: &[i64]) -> ApiResult<()> {
        let fresh = self.store.products_by_ids(ids).await?;
        let found: HashSet<i64> = fresh.iter().map(|p| p.id).collect();
        let removed: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !found.contains(id))
            .collect();
        let changed = fresh
            .iter()
            .map(|p| Arc::new(ProductSummary::of(p, &self.currency)))
            .collect();
        let next = self.snapshot().with_products(changed, &removed);
        self.snapshot.store(Arc::new(next));
        Ok(())
    }
}
