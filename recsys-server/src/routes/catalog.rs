//! The public catalog: categories, products with filters and paging, one product, search.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use recsys_store::{Category, Page, Product, ProductQuery, ProductSort};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::MaybeUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::services::catalog::ProductSummary;
use crate::services::recorder::Record;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/categories", get(categories))
        .route("/api/v1/products", get(list_products))
        .route("/api/v1/products/{id}", get(product))
        .route("/api/v1/search", get(search))
}

/// A category with the categories below it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryNode {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub parent_id: Option<i64>,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

pub fn category_tree(categories: &[Category]) -> Vec<CategoryNode> {
    fn below(all: &[Category], parent: Option<i64>, depth: usize) -> Vec<CategoryNode> {
        if depth > 64 {
            return Vec::new();
        }
        all.iter()
            .filter(|c| c.parent_id == parent)
            .map(|c| CategoryNode {
                id: c.id,
                name: c.name.clone(),
                slug: c.slug.clone(),
                parent_id: c.parent_id,
                children: below(all, Some(c.id), depth + 1),
            })
            .collect()
    }
    below(categories, None, 0)
}

/// The category tree, top-level categories first.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog",
    responses((status = 200, body = Vec<CategoryNode>)))]
pub async fn categories(State(state): State<AppState>) -> axum::Json<Vec<CategoryNode>> {
    axum::Json(category_tree(&state.catalog.snapshot().categories))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductFilter {
    /// In this category or any below it.
    pub category: Option<i64>,
    /// Case-insensitive text in the sku, name or description.
    pub q: Option<String>,
    /// Lowest price, in cents.
    pub min_price: Option<i64>,
    /// Highest price, in cents.
    pub max_price: Option<i64>,
    /// Only products with stock.
    #[serde(default)]
    pub in_stock: bool,
    #[serde(default)]
    pub sort: ProductSort,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// One page of products.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<Arc<ProductSummary>>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Checks and fills in `limit` / `offset` (limit 1..=max, offset >= 0).
pub fn page(limit: Option<i64>, offset: Option<i64>, default: i64, max: i64) -> ApiResult<Page> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            format!("must be between 1 and {max}, got {limit}"),
        ));
    }
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::field(
            "offset",
            format!("must be >= 0, got {offset}"),
        ));
    }
    Ok(Page::new(limit, offset))
}

/// Products for sale, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(ProductFilter),
    responses((status = 200, body = ProductPage), (status = 422, body = Problem)))]
pub async fn list_products(
    State(state): State<AppState>,
    ApiQuery(f): ApiQuery<ProductFilter>,
) -> ApiResult<axum::Json<ProductPage>> {
    let query = ProductQuery {
        category_id: f.category,
        text: f.q,
        min_price_cents: f.min_price,
        max_price_cents: f.max_price,
        active: Some(true),
        in_stock: f.in_stock,
        sort: f.sort,
    };
    product_page(&state, query, f.limit, f.offset)
        .await
        .map(axum::Json)
}

/// The longest text filter of a product listing (the store's limit, named by the parameter).
const MAX_LISTING_QUERY: usize = 500;

/// One page of the products `query` selects (20 by default, at most 100); blank text is no
/// text filter.
pub async fn product_page(
    state: &AppState,
    mut query: ProductQuery,
    limit: Option<i64>,
    offset: Option<i64>,
) -> ApiResult<ProductPage> {
    let page = page(limit, offset, 20, 100)?;
    query.text = query.text.filter(|q| !q.trim().is_empty());
    if let Some(q) = &query.text
        && q.chars().count() > MAX_LISTING_QUERY
    {
        return Err(ApiError::field(
            "q",
            format!("must be at most {MAX_LISTING_QUERY} characters"),
        ));
    }
    // the storefront's listing (active products, no text) comes from the catalog in memory;
    // a text filter and the admin's listing (inactive products too, fresh) from the store
    if query.text.is_none() && query.active == Some(true) {
        let found = state.catalog.snapshot().list(&query, page);
        return Ok(ProductPage {
            items: found.items,
            total: found.total,
            limit: found.limit,
            offset: found.offset,
        });
    }
    let found = state.store.list_products(&query, page).await?;
    let currency = state.catalog.currency();
    Ok(ProductPage {
        items: found
            .items
            .iter()
            .map(|p| Arc::new(ProductSummary::of(p, currency)))
            .collect(),
        total: found.total,
        limit: found.limit,
        offset: found.offset,
    })
}

/// A product with everything the product page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    #[serde(flatten)]
    pub summary: ProductSummary,
    pub description: String,
    /// The category and its parents, top first.
    pub category_path: Vec<CategoryRef>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryRef {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

pub fn product_view(p: &Product, categories: &[Category], currency: &str) -> ProductView {
    let mut path = Vec::new();
    let mut at = p.category_id;
    while let Some(id) = at {
        let Some(c) = categories.iter().find(|c| c.id == id) else {
            break;
        };
        if path.len() > 64 {
            break;
        }
        path.push(CategoryRef {
            id: c.id,
            name: c.name.clone(),
            slug: c.slug.clone(),
        });
        at = c.parent_id;
    }
    path.reverse();
    ProductView {
        summary: ProductSummary::of(p, currency),
        description: p.description.clone(),
        category_path: path,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// One product (inactive products are 404 here; admins see them in the admin API).
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses((status = 200, body = ProductView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn product(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<ProductView>> {
    let p = state.catalog.product(id).await?;
    let snapshot = state.catalog.snapshot();
    Ok(axum::Json(product_view(
        &p,
        &snapshot.categories,
        state.catalog.currency(),
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The words to look for (1 to 200 characters).
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Results as you type: the last word may be unfinished, so it also matches the words it
    /// begins. Such searches are not counted in the search analytics (only finished ones are).
    #[serde(default)]
    pub prefix: bool,
}

/// A search hit: the product and how well its text matches.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub product: Arc<ProductSummary>,
    pub score: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub query: String,
    pub items: Vec<SearchHit>,
}

/// Ranked text search over the catalog (the content model's TF-IDF; every indexed field), for
/// products for sale. Every finished search (not `prefix`) is recorded in the search analytics with
/// its result count.
#[utoipa::path(get, path = "/api/v1/search", tag = "catalog", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 422, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    user: MaybeUser,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<axum::Json<SearchResults>> {
    let q = params.q.trim().to_string();
    if q.is_empty() || q.chars().count() > 200 || q.contains('\0') {
        return Err(ApiError::field("q", "must be 1 to 200 characters"));
    }
    let n = page(params.limit, None, 20, 100)?.limit as usize;
    let items = state.search(&q, n, params.prefix)?;
    if !params.prefix {
        state.recorder.record(Record::Search {
            query: q.clone(),
            results: items.len() as i64,
            user_id: user.0.map(|u| u.id),
        });
    }
    Ok(axum::Json(SearchResults { query: q, items }))
}

impl AppState {
    /// The content model's search over active products; with no model yet, the catalog's own
    /// text match on names.
    fn search(&self, q: &str, n: usize, prefix: bool) -> ApiResult<Vec<SearchHit>> {
        use recsys_core::factory::AnyRecommender;
        let catalog = self.catalog.snapshot();
        let run = |c: &recsys_core::content::ContentRecommender| {
            let wanted = n * 3 + 10;
            if prefix {
                c.search_prefix(q, wanted)
            } else {
                c.search(q, wanted)
            }
        };
        let content = self.models.current().and_then(|s| match &s.model {
            AnyRecommender::Content(c) => Some(run(c)),
            AnyRecommender::Hybrid(h) => h.members().iter().find_map(|(m, _)| match m {
                AnyRecommender::Content(c) => Some(run(c)),
                _ => None,
            }),
            _ => None,
        });
        let hits = match content {
            Some(found) => found
                .into_iter()
                .filter_map(|s| match s.id {
                    recsys_core::Id::Int(id) => {
                        catalog.products.get(&id).map(|p| (Arc::clone(p), s.score))
                    }
                    recsys_core::Id::Str(_) => None,
                })
                .filter(|(p, _)| p.active)
                .take(n)
                .map(|(product, score)| SearchHit { product, score })
                .collect(),
            None => {
                let needle = q.to_lowercase();
                let mut found: Vec<&Arc<ProductSummary>> = catalog
                    .products
                    .values()
                    .filter(|p| p.active && p.name.to_lowercase().contains(&needle))
                    .collect();
                found.sort_by_key(|p| p.id);
                found
                    .into_iter()
                    .take(n)
                    .map(|p| SearchHit {
                        product: Arc::clone(p),
                        score: 1.0,
                    })
                    .collect()
            }
        };
        Ok(hits)
    }
}
