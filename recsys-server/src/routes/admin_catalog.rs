//! Admin writes to the catalog (`/api/v1/admin/products`, `/api/v1/admin/categories`), each
//! recorded in the audit log with the record before and after, and the order status.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use recsys_store::{
    CategoryUpdate, NewCategory, NewProduct, OrderFilter, OrderStatus, ProductQuery, ProductSort,
    ProductUpdate,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::{Admin, perm};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::audit;
use crate::routes::catalog::{CategoryNode, ProductPage, ProductView, product_page, product_view};
use crate::routes::orders::{OrderPage, OrderView, order_page, order_view};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/products",
            get(list_products).post(create_product),
        )
        .route(
            "/api/v1/admin/products/{id}",
            patch(update_product).delete(delete_product),
        )
        .route("/api/v1/admin/categories", post(create_category))
        .route(
            "/api/v1/admin/categories/{id}",
            patch(update_category).delete(delete_category),
        )
        .route("/api/v1/admin/orders", get(list_orders))
        .route("/api/v1/admin/orders/{id}", patch(update_order))
}

/// `null` and absent differ: `Some(None)` clears the field, `None` leaves it.
fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductIn {
    pub sku: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub category_id: Option<i64>,
    /// Integer cents, >= 0.
    #[schema(minimum = 0)]
    pub price_cents: i64,
    /// >= 0.
    #[schema(minimum = 0)]
    pub stock: i64,
    /// A JSON object.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub attributes: Value,
    /// Its picture: `/images/<sha256>.<jpg|png|webp>` (what `POST /api/v1/admin/images`
    /// answers) or an `https://` address.
    pub image_url: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `null` removes the category.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub category_id: Option<Option<i64>>,
    pub price_cents: Option<i64>,
    pub stock: Option<i64>,
    pub active: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Value>,
    /// `null` removes the picture.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub image_url: Option<Option<String>>,
}

fn json<T: Serialize>(v: &T) -> Option<Value> {
    serde_json::to_value(v).ok()
}

/// Adds a product.
#[utoipa::path(post, path = "/api/v1/admin/products", tag = "admin", security(("bearer" = [])), request_body = ProductIn,
    responses((status = 201, body = ProductView), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, description = "unknown category", body = Problem),
              (status = 409, description = "sku taken", body = Problem), (status = 422, body = Problem)))]
pub async fn create_product(
    State(state): State<AppState>,
    admin: Admin<perm::Catalog>,
    ApiJson(p): ApiJson<ProductIn>,
) -> ApiResult<(StatusCode, axum::Json<ProductView>)> {
    let mut new = NewProduct::new(p.sku, p.name, p.price_cents, p.stock);
    new.description = p.description;
    new.category_id = p.category_id;
    new.attributes = p.attributes;
    new.image_url = p.image_url;
    let created = state.store.create_product(&new).await?;
    audit(
        &state,
        admin.user.id,
        "product.create",
        "product",
        created.id,
        None,
        json(&created),
    )
    .await?;
    state.catalog.refresh_products(&[created.id]).await?;
    let snapshot = state.catalog.snapshot();
    Ok((
        StatusCode::CREATED,
        axum::Json(product_view(
            &created,
            &snapshot.categories,
            state.catalog.currency(),
        )),
    ))
}

/// Changes the given fields of a product (a stock that is not sent is never written).
#[utoipa::path(patch, path = "/api/v1/admin/products/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ProductPatch,
    responses((status = 200, body = ProductView), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_product(
    State(state): State<AppState>,
    admin: Admin<perm::Catalog>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(p): ApiJson<ProductPatch>,
) -> ApiResult<axum::Json<ProductView>> {
    let before = state.store.product(id).await?;
    let after = state
        .store
        .update_product(
            id,
            &ProductUpdate {
                sku: p.sku,
                name: p.name,
                description: p.description,
                category_id: p.category_id,
                price_cents: p.price_cents,
                stock: p.stock,
                active: p.active,
                attributes: p.attributes,
                image_url: p.image_url,
            },
        )
        .await?;
    audit(
        &state,
        admin.user.id,
        "product.update",
        "product",
        id,
        json(&before),
        json(&after),
    )
    .await?;
    state.catalog.refresh_products(&[id]).await?;
    let snapshot = state.catalog.snapshot();
    Ok(axum::Json(product_view(
        &after,
        &snapshot.categories,
        state.catalog.currency(),
    )))
}

/// Deletes a product nobody ordered or interacted with (others: deactivate with `active: false`).
#[utoipa::path(delete, path = "/api/v1/admin/products/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204, description = "deleted"), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, description = "has history", body = Problem)))]
pub async fn delete_product(
    State(state): State<AppState>,
    admin: Admin<perm::Catalog>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let before = state.store.product(id).await?;
    state.store.delete_product(id).await?;
    audit(
        &state,
        admin.user.id,
        "product.delete",
        "product",
        id,
        json(&before),
        None,
    )
    .await?;
    state.catalog.refresh_products(&[id]).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryIn {
    pub name: String,
    /// Lower-case letters, digits and '-'; unique.
    pub slug: String,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    /// `null` makes it a top-level category.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
}

fn node(c: &recsys_store::Category) -> CategoryNode {
    CategoryNode {
        id: c.id,
        name: c.name.clone(),
        slug: c.slug.clone(),
        parent_id: c.parent_id,
        children: Vec::new(),
    }
}

/// Adds a category.
#[utoipa::path(post, path = "/api/v1/admin/categories", tag = "admin", security(("bearer" = [])), request_body = CategoryIn,
    responses((status = 201, body = CategoryNode), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, description = "unknown parent", body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_category(
    State(state): State<AppState>,
    admin: Admin<perm::Catalog>,
    ApiJson(c): ApiJson<CategoryIn>,
) -> ApiResult<(StatusCode, axum::Json<CategoryNode>)> {
    let created = state
        .store
        .create_category(&NewCategory {
            name: c.name,
            slug: c.slug,
            parent_id: c.parent_id,
        })
        .await?;
    audit(
        &state,
        admin.user.id,
        "category.create",
        "category",
        created.id,
        None,
        json(&created),
    )
    .await?;
    state.catalog.reload().await?;
    Ok((StatusCode::CREATED, axum::Json(node(&created))))
}

/// Changes a category (a move that would make a cycle is refused).
#[utoipa::path(patch, path = "/api/v1/admin/categories/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CategoryPatch,
    responses((status = 200, body = CategoryNode), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_category(
    State(state): State<AppState>,
    admin: Admin<perm::Catalog>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(c): ApiJson<CategoryPatch>,
) -> ApiResult<axum::Json<CategoryNode>> {
    let before = state.store.category(id).await?;
    let after = state
        .store
        .update_category(
            id,
            &CategoryUpdate {
                name: c.name,
                slug: c.slug,
                parent_id: c.parent_id,
            },
        )
        .await?;
    audit(
        &state,
        admin.user.id,
        "category.update",
        "category",
        id,
        json(&before),
        json(&after),
    )
    .await?;
    state.catalog.reload().await?;
    Ok(axum::Json(node(&after)))
}

/// Deletes a category with no products or subcategories.
#[utoipa::path(delete, path = "/api/v1/admin/categories/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204, description = "deleted"), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, description = "in use", body = Problem)))]
pub async fn delete_category(
    State(state): State<AppState>,
    admin: Admin<perm::Catalog>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let before = state.store.category(id).await?;
    state.store.delete_category(id).await?;
    audit(
        &state,
        admin.user.id,
        "category.delete",
        "category",
        id,
        json(&before),
        None,
    )
    .await?;
    state.catalog.reload().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderPatch {
    /// pending -> paid | cancelled, paid -> shipped | cancelled, shipped -> delivered.
    pub status: recsys_store::OrderStatus,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminProductParams {
    /// Case-insensitive text in the sku, name or description.
    pub q: Option<String>,
    /// In this category or any below it.
    pub category: Option<i64>,
    /// Only listed (`true`) or only unlisted (`false`) products; default both.
    pub active: Option<bool>,
    #[serde(default)]
    pub sort: ProductSort,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// Every product, listed or not (the public list shows only listed ones).
#[utoipa::path(get, path = "/api/v1/admin/products", tag = "admin", security(("bearer" = [])), params(AdminProductParams),
    responses((status = 200, body = ProductPage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_products(
    State(state): State<AppState>,
    _admin: Admin<perm::Catalog>,
    ApiQuery(p): ApiQuery<AdminProductParams>,
) -> ApiResult<axum::Json<ProductPage>> {
    let query = ProductQuery {
        category_id: p.category,
        text: p.q,
        active: p.active,
        sort: p.sort,
        ..Default::default()
    };
    product_page(&state, query, p.limit, p.offset)
        .await
        .map(axum::Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminOrderParams {
    /// Only this customer's orders.
    pub user_id: Option<i64>,
    pub status: Option<OrderStatus>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// Every customer's orders, newest first, by customer and status.
#[utoipa::path(get, path = "/api/v1/admin/orders", tag = "admin", security(("bearer" = [])), params(AdminOrderParams),
    responses((status = 200, body = OrderPage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_orders(
    State(state): State<AppState>,
    _admin: Admin<perm::Orders>,
    ApiQuery(p): ApiQuery<AdminOrderParams>,
) -> ApiResult<axum::Json<OrderPage>> {
    let filter = OrderFilter {
        user_id: p.user_id,
        status: p.status,
        ..Default::default()
    };
    order_page(&state, &filter, p.limit, p.offset)
        .await
        .map(axum::Json)
}

/// Moves an order to a new status (cancelling restores its stock).
#[utoipa::path(patch, path = "/api/v1/admin/orders/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = OrderPatch,
    responses((status = 200, body = OrderView), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, description = "not allowed from its status", body = Problem), (status = 422, body = Problem)))]
pub async fn update_order(
    State(state): State<AppState>,
    admin: Admin<perm::Orders>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(p): ApiJson<OrderPatch>,
) -> ApiResult<axum::Json<OrderView>> {
    let before = state.store.order(id).await?;
    let after = state.store.update_order_status(id, p.status).await?;
    state.purchases.forget(&after.user_id);
    state.histories.forget(&after.user_id);
    audit(
        &state,
        admin.user.id,
        "order.status",
        "order",
        id,
        json(&before.status),
        json(&after.status),
    )
    .await?;
    let ids: Vec<i64> = after.lines.iter().map(|l| l.product_id).collect();
    state.catalog.refresh_products(&ids).await?;
    Ok(axum::Json(order_view(after, state.catalog.currency())))
}
