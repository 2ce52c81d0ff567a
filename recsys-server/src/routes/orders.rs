//! `/api/v1/orders`: checkout (with `Idempotency-Key`), the customer's orders, cancel.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use recsys_store::{ExperimentEventKind, Order, OrderFilter, OrderStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Permission;
use crate::auth::extract::CurrentUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::catalog::page;
use crate::services::experiments;
use crate::services::recorder::Record;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders", post(checkout).get(list))
        .route("/api/v1/orders/{id}", get(one))
        .route("/api/v1/orders/{id}/cancel", post(cancel))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineView {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub line_total_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub user_id: i64,
    pub status: OrderStatus,
    pub total_cents: i64,
    pub currency: String,
    pub item_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub lines: Vec<OrderLineView>,
}

pub fn order_view(o: Order, currency: &str) -> OrderView {
    OrderView {
        id: o.id,
        user_id: o.user_id,
        status: o.status,
        total_cents: o.total_cents,
        currency: currency.to_string(),
        item_count: o.item_count,
        created_at: o.created_at,
        updated_at: o.updated_at,
        lines: o
            .lines
            .into_iter()
            .map(|l| OrderLineView {
                product_id: l.product_id,
                sku: l.sku,
                name: l.name,
                unit_price_cents: l.unit_price_cents,
                quantity: l.quantity,
                line_total_cents: l.line_total_cents,
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderPage {
    pub items: Vec<OrderView>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Checks out the cart: one order, stock taken, cart emptied, in one transaction. With an
/// `Idempotency-Key` header, repeating the request returns the same order (200) instead of a
/// second one (201 the first time).
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters")),
    responses((status = 201, body = OrderView), (status = 200, description = "replayed: the order of this key", body = OrderView),
              (status = 401, body = Problem), (status = 409, description = "not enough stock", body = Problem),
              (status = 422, description = "empty cart or bad key", body = Problem)))]
pub async fn checkout(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, axum::Json<OrderView>)> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "must be visible ASCII"))?
                .to_string(),
        ),
    };
    let (order, replayed) = match key {
        Some(key) => {
            let c = state.store.checkout_idempotent(user.id, &key).await?;
            (c.order, c.replayed)
        }
        None => (state.store.checkout(user.id).await?, false),
    };
    if !replayed {
        state.purchases.forget(&user.id);
        state.histories.forget(&user.id);
        let ids: Vec<i64> = order.lines.iter().map(|l| l.product_id).collect();
        state.catalog.refresh_products(&ids).await?;
        // attribution is one more write per cart add or order: only while an experiment runs
        if state.experiments.any_running() {
            state.recorder.record(Record::Attribution {
                subject: experiments::user_subject(user.id),
                kind: ExperimentEventKind::Purchase,
                value_cents: order.total_cents,
            });
        }
        metrics::counter!("recsys_orders_total").increment(1);
    }
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        axum::Json(order_view(order, state.catalog.currency())),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderListParams {
    pub status: Option<OrderStatus>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// The signed-in customer's orders, newest first (an admin's own orders; all orders are in the
/// admin API).
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])), params(OrderListParams),
    responses((status = 200, body = OrderPage), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<OrderListParams>,
) -> ApiResult<axum::Json<OrderPage>> {
    let filter = OrderFilter {
        user_id: Some(user.id),
        status: p.status,
        ..Default::default()
    };
    order_page(&state, &filter, p.limit, p.offset)
        .await
        .map(axum::Json)
}

/// One page of the orders `filter` selects, newest first (20 by default, at most 100).
pub async fn order_page(
    state: &AppState,
    filter: &OrderFilter,
    limit: Option<i64>,
    offset: Option<i64>,
) -> ApiResult<OrderPage> {
    let found = state
        .store
        .list_orders(filter, page(limit, offset, 20, 100)?)
        .await?;
    let currency = state.catalog.currency();
    Ok(OrderPage {
        items: found
            .items
            .into_iter()
            .map(|o| order_view(o, currency))
            .collect(),
        total: found.total,
        limit: found.limit,
        offset: found.offset,
    })
}

/// An order of the customer's own (an admin may see any).
async fn owned(state: &AppState, user: CurrentUser, id: i64) -> ApiResult<Order> {
    let order = state.store.order(id).await?;
    if order.user_id != user.id && !user.may(Permission::Orders) {
        // someone else's order is not found, not forbidden: ids reveal nothing
        return Err(ApiError::NotFound(format!("order {id} not found")));
    }
    Ok(order)
}

/// One order.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn one(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<OrderView>> {
    let order = owned(&state, user, id).await?;
    Ok(axum::Json(order_view(order, state.catalog.currency())))
}

/// Cancels an order that has not shipped; its units go back in stock.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 409, description = "already shipped or cancelled", body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<OrderView>> {
    owned(&state, user, id).await?;
    let order = state
        .store
        .update_order_status(id, OrderStatus::Cancelled)
        .await?;
    state.purchases.forget(&order.user_id);
    state.histories.forget(&order.user_id);
    let ids: Vec<i64> = order.lines.iter().map(|l| l.product_id).collect();
    state.catalog.refresh_products(&ids).await?;
    Ok(axum::Json(order_view(order, state.catalog.currency())))
}
