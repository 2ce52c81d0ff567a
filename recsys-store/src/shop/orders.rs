//! Orders: placed from a list of lines or from the user's cart, in one transaction that takes the
//! units out of stock and can never oversell.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::page::{Page, Paged};
use crate::shop::cart::check_quantity;
use crate::store::{Store, sql_id_list, with_pool, with_tx};
use crate::time::{Millis, now_ms};

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Every status, in the order of an order's life.
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    /// The status with this name (`pending`, `paid`, ...), if any.
    pub fn from_name(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn parse(s: &str) -> Result<OrderStatus> {
        OrderStatus::from_name(s).ok_or_else(|| StoreError::Corrupt {
            what: "orders.status".into(),
            reason: format!("unknown status '{s}'"),
        })
    }

    /// Whether an order may move from `self` to `next`: pending -> paid | cancelled,
    /// paid -> shipped | cancelled, shipped -> delivered.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Pending, Paid | Cancelled) | (Paid, Shipped | Cancelled) | (Shipped, Delivered)
        )
    }
}

/// A product bought in the same orders as another, and in how many of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoughtWith {
    pub product_id: i64,
    pub orders: i64,
}

/// One product of an order, with the price and names it was sold at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub line_total_cents: i64,
}

/// A stored order with its lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: i64,
    pub user_id: i64,
    pub status: OrderStatus,
    pub total_cents: i64,
    pub item_count: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// The shop's own id of an imported order (`None` for an order placed here).
    pub external_id: Option<String>,
    pub lines: Vec<OrderLine>,
}

/// A line to order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineRequest {
    pub product_id: i64,
    pub quantity: i64,
}

/// A historic order to import ([`Store::import_orders`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedOrder {
    pub user_id: i64,
    pub status: OrderStatus,
    pub at: Millis,
    pub lines: Vec<OrderLineRequest>,
}

/// Which orders to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderFilter {
    pub user_id: Option<i64>,
    pub status: Option<OrderStatus>,
    pub since: Option<Millis>,
    pub until: Option<Millis>,
}

type OrderRow = (i64, i64, String, i64, i64, i64, i64, Option<String>);
type LineRow = (i64, i64, String, String, i64, i64);

macro_rules! order_columns {
    () => {
        "id, user_id, status, total_cents, item_count, created_at, updated_at, external_id"
    };
}
macro_rules! line_select {
    () => {
        "SELECT order_id, product_id, sku, name, unit_price_cents, quantity FROM order_lines"
    };
}

fn order_from_rows(r: OrderRow, lines: Vec<LineRow>) -> Result<Order> {
    Ok(Order {
        id: r.0,
        user_id: r.1,
        status: OrderStatus::parse(&r.2)?,
        total_cents: r.3,
        item_count: r.4,
        created_at: r.5,
        updated_at: r.6,
        external_id: r.7,
        lines: lines
            .into_iter()
            .map(|l| OrderLine {
                product_id: l.1,
                sku: l.2,
                name: l.3,
                unit_price_cents: l.4,
                quantity: l.5,
                line_total_cents: l.4.saturating_mul(l.5),
            })
            .collect(),
    })
}

/// Lines merged by product (quantities summed) and sorted by product id. Taking stock in one
/// global order is what keeps concurrent orders over the same products from deadlocking.
fn merge_lines(lines: impl IntoIterator<Item = (i64, i64)>) -> Result<BTreeMap<i64, i64>> {
    let mut merged = BTreeMap::new();
    for (product_id, quantity) in lines {
        check_quantity(quantity)?;
        *merged.entry(product_id).or_insert(0) += quantity;
    }
    for &quantity in merged.values() {
        check_quantity(quantity)?;
    }
    Ok(merged)
}

/// `price * quantity` summed over lines, or `Invalid` where it leaves the range of cents an
/// order can hold (i64): never a wrapped or a panicking total.
pub(crate) fn order_total(lines: impl IntoIterator<Item = (i64, i64)>) -> Result<i64> {
    let mut total: i64 = 0;
    for (price, quantity) in lines {
        total = price
            .checked_mul(quantity)
            .and_then(|line| total.checked_add(line))
            .ok_or_else(|| {
                StoreError::invalid(
                    "total_cents",
                    format!(
                        "the total exceeds the largest amount an order can hold ({} cents)",
                        i64::MAX
                    ),
                )
            })?;
    }
    Ok(total)
}

/// The longest `Idempotency-Key` a checkout accepts.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

fn check_idempotency_key(key: &str) -> Result<()> {
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.bytes().all(|b| (0x21..0x7f).contains(&b))
    {
        return Err(StoreError::invalid(
            "idempotency_key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
        ));
    }
    Ok(())
}

/// Writes an order with its lines (`(product_id, sku, name, unit price, quantity)`, the names
/// and prices it is sold at) and a `purchase` event per line, in transaction `$tx`; evaluates to
/// the order's id. The one place orders are written, for checkouts and imports alike.
macro_rules! write_order {
    ($tx:ident, $user_id:expr, $status:expr, $at:expr, $lines:expr) => {{
        let (user_id, at): (i64, Millis) = ($user_id, $at);
        let lines: &[(i64, String, String, i64, i64)] = $lines;
        let total = order_total(lines.iter().map(|l| (l.3, l.4)))?;
        let count: i64 = lines.iter().map(|l| l.4).sum();
        let order_id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO orders (user_id, status, total_cents, item_count, created_at, updated_at) \
             SELECT $1, $2, $3, $4, $5, $5 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) RETURNING id")
            .bind(user_id).bind($status.as_str()).bind(total).bind(count).bind(at)
            .fetch_optional(&mut *$tx).await?;
        let order_id = order_id.ok_or_else(|| StoreError::not_found("user", user_id))?;
        for (product_id, sku, name, price, quantity) in lines {
            sqlx::query("INSERT INTO order_lines (order_id, product_id, sku, name, unit_price_cents, quantity) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(order_id).bind(product_id).bind(sku).bind(name).bind(price).bind(quantity)
                .execute(&mut *$tx).await?;
            sqlx::query("INSERT INTO events (user_id, product_id, kind, value, at) VALUES ($1, $2, 'purchase', $3, $4)")
                .bind(user_id).bind(product_id).bind(*quantity as f64).bind(at)
                .execute(&mut *$tx).await?;
        }
        order_id
    }};
}
pub(crate) use write_order;

/// Where the lines of a new order come from.
enum Source<'a> {
    Lines(&'a [OrderLineRequest]),
    Cart,
}

/// What a checkout with an idempotency key did.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkout {
    pub order: Order,
    /// True when the key had been used before: `order` is the one that checkout created, and
    /// nothing was changed now.
    pub replayed: bool,
}

impl Store {
    /// Places an order for these lines (a product named twice counts once, quantities summed).
    pub async fn place_order(&self, user_id: i64, lines: &[OrderLineRequest]) -> Result<Order> {
        if lines.is_empty() {
            return Err(StoreError::invalid(
                "lines",
                "an order needs at least one line",
            ));
        }
        Ok(self
            .create_order(user_id, Source::Lines(lines), None)
            .await?
            .order)
    }

    /// Turns the user's cart into an order and empties the cart, in one transaction: either the
    /// order exists, every unit is out of stock and the cart is empty, or nothing changed. A line
    /// with too few units in stock is `InsufficientStock`; an empty cart is `Invalid`.
    ///
    /// The cart is claimed in the transaction's first write (its lines are deleted and returned
    /// by one statement): of two checkouts of one cart at once, one gets the lines and the other
    /// finds the cart empty, and a line added meanwhile stays in the cart for the next order.
    pub async fn checkout(&self, user_id: i64) -> Result<Order> {
        Ok(self.create_order(user_id, Source::Cart, None).await?.order)
    }

    /// [`checkout`](Self::checkout) under an idempotency key chosen by the client: the first
    /// checkout with a key creates the order; every later one with the same user and key returns
    /// that order (`replayed`) and changes nothing, also when they run at the same time. A
    /// checkout that fails leaves the key unused.
    pub async fn checkout_idempotent(&self, user_id: i64, key: &str) -> Result<Checkout> {
        check_idempotency_key(key)?;
        self.create_order(user_id, Source::Cart, Some(key)).await
    }

    /// The one body behind `place_order` and `checkout`. Records a `purchase` interaction event
    /// per line (value = quantity) in the same transaction, so training data matches the orders.
    async fn create_order(
        &self,
        user_id: i64,
        source: Source<'_>,
        key: Option<&str>,
    ) -> Result<Checkout> {
        let user = self.user(user_id).await?;
        if !user.active {
            return Err(StoreError::InvalidState {
                entity: "user",
                id: user_id.to_string(),
                reason: "is deactivated".into(),
            });
        }
        let (order_id, replayed): (i64, bool) = with_tx!(self, tx => {
            let now = now_ms();
            if let Some(key) = key {
                // claim the key first: a concurrent checkout with the same key waits here for
                // this transaction and then finds the key taken (or free again, if this failed)
                let claimed: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO checkout_keys (user_id, key, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (user_id, key) DO NOTHING RETURNING user_id")
                    .bind(user_id).bind(key).bind(now).fetch_optional(&mut *tx).await?;
                if claimed.is_none() {
                    let order: Option<i64> = sqlx::query_scalar("SELECT order_id FROM checkout_keys WHERE user_id = $1 AND key = $2")
                        .bind(user_id).bind(key).fetch_one(&mut *tx).await?;
                    let order = order.ok_or_else(|| StoreError::Corrupt {
                        what: "checkout_keys.order_id".into(),
                        reason: format!("key '{key}' of user {user_id} names no order"),
                    })?;
                    return Ok((order, true));
                }
            }
            let requested = match source {
                Source::Lines(lines) => merge_lines(lines.iter().map(|l| (l.product_id, l.quantity)))?,
                Source::Cart => {
                    let cart: Vec<(i64, i64)> = sqlx::query_as("DELETE FROM cart_items WHERE user_id = $1 RETURNING product_id, quantity")
                        .bind(user_id).fetch_all(&mut *tx).await?;
                    if cart.is_empty() {
                        return Err(StoreError::invalid("cart", "is empty: nothing to check out"));
                    }
                    merge_lines(cart)?
                }
            };
            let mut sold = Vec::with_capacity(requested.len());
            for (&product_id, &quantity) in &requested {
                // the stock test and the decrement are one statement: under concurrency Postgres
                // re-checks `stock >= $2` after waiting for the row lock, SQLite runs writers
                // one at a time, so no two orders can take the same last unit
                let taken: Option<(String, String, i64)> = sqlx::query_as(
                    "UPDATE products SET stock = stock - $2, updated_at = $3 \
                     WHERE id = $1 AND active AND stock >= $2 RETURNING sku, name, price_cents")
                    .bind(product_id).bind(quantity).bind(now)
                    .fetch_optional(&mut *tx).await?;
                let Some((sku, name, price)) = taken else {
                    let product: Option<(bool, i64)> = sqlx::query_as("SELECT active, stock FROM products WHERE id = $1")
                        .bind(product_id).fetch_optional(&mut *tx).await?;
                    return Err(match product {
                        None => StoreError::not_found("product", product_id),
                        Some((false, _)) => StoreError::InvalidState { entity: "product", id: product_id.to_string(), reason: "is not for sale (inactive)".into() },
                        Some((true, available)) => StoreError::InsufficientStock { product_id, requested: quantity, available },
                    });
                };
                sold.push((product_id, sku, name, price, quantity));
            }
            let order_id = write_order!(tx, user_id, OrderStatus::Pending, now, &sold);
            if let Some(key) = key {
                sqlx::query("UPDATE checkout_keys SET order_id = $3 WHERE user_id = $1 AND key = $2")
                    .bind(user_id).bind(key).bind(order_id).execute(&mut *tx).await?;
            }
            Ok((order_id, false))
        })?;
        Ok(Checkout {
            order: self.order(order_id).await?,
            replayed,
        })
    }

    /// Imports historic orders (a shop moving its history in, the demo shop): each is stored as
    /// given, with its time and status, at the products' current prices and names, with a
    /// `purchase` event per line at the order's time. Stock is not touched (these units were
    /// sold before). All or nothing; returns the number of orders stored.
    pub async fn import_orders(&self, orders: &[ImportedOrder]) -> Result<u64> {
        for o in orders {
            if o.lines.is_empty() {
                return Err(StoreError::invalid(
                    "lines",
                    "an order needs at least one line",
                ));
            }
            crate::validate::at_least("at", o.at, 0)?;
        }
        with_tx!(self, tx => {
            for o in orders {
                let merged = merge_lines(o.lines.iter().map(|l| (l.product_id, l.quantity)))?;
                let mut lines = Vec::with_capacity(merged.len());
                for (&product_id, &quantity) in &merged {
                    let row: Option<(String, String, i64)> = sqlx::query_as("SELECT sku, name, price_cents FROM products WHERE id = $1")
                        .bind(product_id).fetch_optional(&mut *tx).await?;
                    let (sku, name, price) = row.ok_or_else(|| StoreError::not_found("product", product_id))?;
                    lines.push((product_id, sku, name, price, quantity));
                }
                write_order!(tx, o.user_id, o.status, o.at, &lines);
            }
            Ok(orders.len() as u64)
        })
    }

    /// The products a user has ordered (orders not cancelled), smallest id first: what a shop
    /// no longer recommends to them.
    pub async fn purchased_products(&self, user_id: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT DISTINCT l.product_id FROM order_lines l JOIN orders o ON o.id = l.order_id \
             WHERE o.user_id = $1 AND o.status <> 'cancelled' ORDER BY l.product_id")
            .bind(user_id).fetch_all(pool).await)?;
        Ok(ids)
    }

    /// The products most often in the same order as `product_id` (orders not cancelled), most
    /// first.
    pub async fn bought_together(&self, product_id: i64, limit: i64) -> Result<Vec<BoughtWith>> {
        crate::validate::at_least("limit", limit, 1)?;
        let rows: Vec<(i64, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT other.product_id, COUNT(*) AS n FROM order_lines this \
             JOIN order_lines other ON other.order_id = this.order_id AND other.product_id <> this.product_id \
             JOIN orders o ON o.id = this.order_id \
             WHERE this.product_id = $1 AND o.status <> 'cancelled' \
             GROUP BY other.product_id ORDER BY n DESC, other.product_id LIMIT $2")
            .bind(product_id).bind(limit.min(1000)).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(product_id, orders)| BoughtWith { product_id, orders })
            .collect())
    }

    /// The order with this id, with its lines.
    pub async fn order(&self, id: i64) -> Result<Order> {
        let (row, lines): (Option<OrderRow>, Vec<LineRow>) = with_pool!(self, pool => {
            let row = sqlx::query_as(concat!("SELECT ", order_columns!(), " FROM orders WHERE id = $1"))
                .bind(id).fetch_optional(pool).await?;
            let lines = sqlx::query_as(concat!(line_select!(), " WHERE order_id = $1 ORDER BY product_id"))
                .bind(id).fetch_all(pool).await?;
            Ok::<_, StoreError>((row, lines))
        })?;
        order_from_rows(
            row.ok_or_else(|| StoreError::not_found("order", id))?,
            lines,
        )
    }

    /// Orders matching the filter, newest first, with their lines.
    pub async fn list_orders(&self, filter: &OrderFilter, page: Page) -> Result<Paged<Order>> {
        let page = page.check()?;
        let condition = "($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR status = $2) \
                         AND ($3 IS NULL OR created_at >= $3) AND ($4 IS NULL OR created_at < $4)";
        let status = filter.status.map(OrderStatus::as_str);
        let list = format!(
            "SELECT {} FROM orders WHERE {condition} ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6",
            order_columns!()
        );
        let count = format!("SELECT COUNT(*) FROM orders WHERE {condition}");
        let (rows, total): (Vec<OrderRow>, i64) = with_pool!(self, pool => {
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(list))
                .bind(filter.user_id).bind(status).bind(filter.since).bind(filter.until).bind(page.limit).bind(page.offset)
                .fetch_all(pool).await?;
            let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count))
                .bind(filter.user_id).bind(status).bind(filter.since).bind(filter.until)
                .fetch_one(pool).await?;
            Ok::<_, StoreError>((rows, total))
        })?;
        let mut lines_by_order: BTreeMap<i64, Vec<LineRow>> = BTreeMap::new();
        if !rows.is_empty() {
            let ids = sql_id_list(rows.iter().map(|r| r.0));
            let sql = format!(
                "{} WHERE order_id IN ({ids}) ORDER BY order_id, product_id",
                line_select!()
            );
            let lines: Vec<LineRow> = with_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await)?;
            for line in lines {
                lines_by_order.entry(line.0).or_default().push(line);
            }
        }
        let items = rows
            .into_iter()
            .map(|r| {
                let lines = lines_by_order.remove(&r.0).unwrap_or_default();
                order_from_rows(r, lines)
            })
            .collect::<Result<_>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// Moves an order to a new status (see [`OrderStatus::can_become`]). Cancelling puts the
    /// units back in stock, in the same transaction.
    pub async fn update_order_status(&self, id: i64, status: OrderStatus) -> Result<Order> {
        with_tx!(self, tx => {
            let current: Option<String> = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
                .bind(id).fetch_optional(&mut *tx).await?;
            let current = OrderStatus::parse(&current.ok_or_else(|| StoreError::not_found("order", id))?)?;
            if !current.can_become(status) {
                return Err(StoreError::InvalidState {
                    entity: "order",
                    id: id.to_string(),
                    reason: format!("cannot go from {} to {}", current.as_str(), status.as_str()),
                });
            }
            let changed = sqlx::query("UPDATE orders SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4")
                .bind(id).bind(status.as_str()).bind(now_ms()).bind(current.as_str())
                .execute(&mut *tx).await?.rows_affected();
            if changed == 0 {
                return Err(StoreError::InvalidState { entity: "order", id: id.to_string(), reason: "changed status concurrently; retry".into() });
            }
            if status == OrderStatus::Cancelled {
                // one row at a time in product-id order, the order in which checkouts take their
                // row locks: a multi-row UPDATE locks in whatever order its plan visits the rows
                // and can deadlock against a checkout of the same products
                let lines: Vec<(i64, i64)> = sqlx::query_as("SELECT product_id, quantity FROM order_lines WHERE order_id = $1 ORDER BY product_id")
                    .bind(id).fetch_all(&mut *tx).await?;
                let now = now_ms();
                for (product_id, quantity) in lines {
                    sqlx::query("UPDATE products SET stock = stock + $2, updated_at = $3 WHERE id = $1")
                        .bind(product_id).bind(quantity).bind(now).execute(&mut *tx).await?;
                }
            }
            Ok(())
        })?;
        self.order(id).await
    }
}
