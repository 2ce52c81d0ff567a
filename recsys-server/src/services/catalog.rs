//! The catalog in memory: every product's summary, the category tree and what may be
//! recommended, so a recommendation list costs no database round trip per item.
//!
//! It follows the database: this replica's own catalog writes and checkouts refresh the products
//! they touched at once, and a background task reloads everything every few seconds, which is how
//! other replicas' writes arrive. The snapshot is swapped atomically (readers never wait).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arc_swap::ArcSwap;
use recsys_core::Id;
use recsys_store::{Category, Product, ProductQuery, Store};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiResult;

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
}

/// One consistent view of the catalog.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub products: HashMap<i64, Arc<ProductSummary>>,
    pub categories: Vec<Category>,
    /// Each category's id with every category below it.
    subtree: HashMap<i64, Vec<i64>>,
    /// Products that may not be recommended (inactive or out of stock), as model ids.
    pub unavailable: Vec<Id>,
    /// A number no other snapshot of this process has: what was unavailable is part of a
    /// cached recommendation list's key through it.
    pub generation: u64,
}

/// The next snapshot generation.
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Snapshot {
    fn build(products: Vec<Product>, categories: Vec<Category>, currency: &str) -> Snapshot {
        let products: HashMap<i64, Arc<ProductSummary>> = products
            .iter()
            .map(|p| (p.id, Arc::new(ProductSummary::of(p, currency))))
            .collect();
        let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
        for c in &categories {
            if let Some(parent) = c.parent_id {
                children.entry(parent).or_default().push(c.id);
            }
        }
        let mut subtree = HashMap::new();
        for c in &categories {
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
        Snapshot {
            unavailable: unavailable(&products),
            products,
            categories,
            subtree,
            generation: next_generation(),
        }
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
}

/// The products that may not be recommended, as model ids, sorted.
fn unavailable(products: &HashMap<i64, Arc<ProductSummary>>) -> Vec<Id> {
    let mut ids: Vec<Id> = products
        .values()
        .filter(|p| !p.recommendable())
        .map(|p| Id::Int(p.id))
        .collect();
    ids.sort();
    ids
}

/// The catalog cache.
#[derive(Debug)]
pub struct CatalogCache {
    store: Store,
    currency: String,
    snapshot: ArcSwap<Snapshot>,
}

impl CatalogCache {
    pub async fn load(store: Store, currency: &str) -> ApiResult<CatalogCache> {
        let cache = CatalogCache {
            store,
            currency: currency.to_string(),
            snapshot: ArcSwap::from_pointee(Snapshot::default()),
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

    /// Reads the whole catalog again.
    pub async fn reload(&self) -> ApiResult<()> {
        let products = self.store.all_products(&ProductQuery::default()).await?;
        let categories = self.store.list_categories().await?;
        self.snapshot.store(Arc::new(Snapshot::build(
            products,
            categories,
            &self.currency,
        )));
        Ok(())
    }

    /// Reads these products again (after a write or checkout that changed them).
    pub async fn refresh_products(&self, ids: &[i64]) -> ApiResult<()> {
        let fresh = self.store.products_by_ids(ids).await?;
        let current = self.snapshot();
        // the current summaries (cheap to share) without the products asked about, then the
        // fresh rows of those that still exist
        let asked: HashSet<i64> = ids.iter().copied().collect();
        let mut products: HashMap<i64, Arc<ProductSummary>> = current
            .products
            .iter()
            .filter(|(id, _)| !asked.contains(id))
            .map(|(id, p)| (*id, Arc::clone(p)))
            .collect();
        for p in &fresh {
            products.insert(p.id, Arc::new(ProductSummary::of(p, &self.currency)));
        }
        let next = Snapshot {
            unavailable: unavailable(&products),
            products,
            categories: current.categories.clone(),
            subtree: current.subtree.clone(),
            generation: next_generation(),
        };
        self.snapshot.store(Arc::new(next));
        Ok(())
    }
}
