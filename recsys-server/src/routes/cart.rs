//! `/api/v1/cart`: the signed-in customer's cart.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, put};
use recsys_store::{Cart, ExperimentEventKind, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::extract::CurrentUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::services::experiments;
use crate::services::recorder::Record;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/cart", get(cart)).route(
        "/api/v1/cart/items/{product_id}",
        put(set_item).delete(remove_item),
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartLineView {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub line_total_cents: i64,
    pub stock: i64,
    pub available: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartView {
    pub lines: Vec<CartLineView>,
    pub item_count: i64,
    pub total_cents: i64,
    pub currency: String,
}

fn view(cart: Cart, currency: &str) -> CartView {
    CartView {
        lines: cart
            .lines
            .into_iter()
            .map(|l| CartLineView {
                available: l.active && l.stock >= l.quantity,
                product_id: l.product_id,
                sku: l.sku,
                name: l.name,
                unit_price_cents: l.unit_price_cents,
                quantity: l.quantity,
                line_total_cents: l.line_total_cents,
                stock: l.stock,
            })
            .collect(),
        item_count: cart.item_count,
        total_cents: cart.total_cents,
        currency: currency.to_string(),
    }
}

/// The signed-in customer's cart.
#[utoipa::path(get, path = "/api/v1/cart", tag = "cart", security(("bearer" = [])),
    responses((status = 200, body = CartView), (status = 401, body = Problem)))]
pub async fn cart(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<axum::Json<CartView>> {
    let cart = state.store.cart(user.id).await?;
    Ok(axum::Json(view(cart, state.catalog.currency())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQuantity {
    /// 1 to 10,000 (0 removes the line).
    #[schema(minimum = 0, maximum = 10000)]
    pub quantity: i64,
}

/// Sets how many units of a product the cart holds (adding the line if needed). The product
/// must be for sale and have that many units in stock now; checkout checks again.
#[utoipa::path(put, path = "/api/v1/cart/items/{product_id}", tag = "cart", security(("bearer" = [])),
    params(("product_id" = i64, Path)), request_body = SetQuantity,
    responses((status = 200, body = CartView), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 409, description = "not enough stock, or not for sale", body = Problem), (status = 422, body = Problem)))]
pub async fn set_item(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(product_id): ApiPath<i64>,
    ApiJson(req): ApiJson<SetQuantity>,
) -> ApiResult<axum::Json<CartView>> {
    if req.quantity == 0 {
        match state.store.remove_from_cart(user.id, product_id).await {
            Ok(()) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    } else {
        let current = state
            .store
            .cart(user.id)
            .await?
            .lines
            .iter()
            .find(|l| l.product_id == product_id)
            .map_or(0, |l| l.quantity);
        if req.quantity > current {
            // the store checks the product, its stock and the total quantity, and records the
            // add-to-cart event
            state
                .store
                .add_to_cart(user.id, product_id, req.quantity - current)
                .await?;
            // attribution is one more write per cart add or order: only while an experiment runs
            if state.experiments.any_running() {
                state.recorder.record(Record::Attribution {
                    subject: experiments::user_subject(user.id),
                    kind: ExperimentEventKind::AddToCart,
                    value_cents: 0,
                });
            }
        } else if req.quantity < current {
            state
                .store
                .set_cart_quantity(user.id, product_id, req.quantity)
                .await?;
        }
    }
    cart(State(state), user).await
}

/// Removes a product from the cart.
#[utoipa::path(delete, path = "/api/v1/cart/items/{product_id}", tag = "cart", security(("bearer" = [])),
    params(("product_id" = i64, Path)),
    responses((status = 200, body = CartView), (status = 401, body = Problem), (status = 404, description = "not in the cart", body = Problem)))]
pub async fn remove_item(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(product_id): ApiPath<i64>,
) -> ApiResult<axum::Json<CartView>> {
    state
        .store
        .remove_from_cart(user.id, product_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => {
                ApiError::NotFound(format!("product {product_id} is not in the cart"))
            }
            other => other.into(),
        })?;
    cart(State(state), user).await
}
