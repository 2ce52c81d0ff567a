//! Shopping carts: one per user, a quantity per product.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::shop::orders::order_total;
use crate::store::{Store, with_pool, with_tx};
use crate::time::{Millis, now_ms};

/// The most units of one product in one cart line or order line.
pub const MAX_QUANTITY: i64 = 10_000;

/// One product in a cart, with its current price and stock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartLine {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub line_total_cents: i64,
    /// Units in stock now (checkout fails if this is below `quantity`).
    pub stock: i64,
    pub active: bool,
    pub added_at: Millis,
}

/// A user's cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    pub user_id: i64,
    pub lines: Vec<CartLine>,
    pub item_count: i64,
    pub total_cents: i64,
}

type CartRow = (i64, String, String, i64, i64, i64, bool, i64);

pub(crate) fn check_quantity(quantity: i64) -> Result<()> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(StoreError::invalid(
            "quantity",
            format!("must be between 1 and {MAX_QUANTITY}, got {quantity}"),
        ));
    }
    Ok(())
}

impl Store {
    /// The user's cart, lines in the order they were added.
    pub async fn cart(&self, user_id: i64) -> Result<Cart> {
        self.user(user_id).await?;
        let rows: Vec<CartRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT c.product_id, p.sku, p.name, p.price_cents, c.quantity, p.stock, p.active, c.added_at \
             FROM cart_items c JOIN products p ON p.id = c.product_id \
             WHERE c.user_id = $1 ORDER BY c.added_at, c.product_id")
            .bind(user_id).fetch_all(pool).await)?;
        let lines: Vec<CartLine> = rows
            .into_iter()
            .map(|r| {
                Ok(CartLine {
                    product_id: r.0,
                    sku: r.1,
                    name: r.2,
                    unit_price_cents: r.3,
                    quantity: r.4,
                    line_total_cents: order_total([(r.3, r.4)])?,
                    stock: r.5,
                    active: r.6,
                    added_at: r.7,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Cart {
            user_id,
            item_count: lines.iter().map(|l| l.quantity).sum(),
            total_cents: order_total(lines.iter().map(|l| (l.unit_price_cents, l.quantity)))?,
            lines,
        })
    }

    /// Adds units of a product to the cart (on top of what is there) and returns the line's new
    /// quantity. The product must be active and have that many units in stock now; checkout checks
    /// again. Records an `add_to_cart` interaction event in the same transaction.
    pub async fn add_to_cart(&self, user_id: i64, product_id: i64, quantity: i64) -> Result<i64> {
        check_quantity(quantity)?;
        self.user(user_id).await?;
        with_tx!(self, tx => {
            let product: Option<(bool, i64, i64)> = sqlx::query_as("SELECT active, stock, price_cents FROM products WHERE id = $1")
                .bind(product_id).fetch_optional(&mut *tx).await?;
            let (active, stock, price) = product.ok_or_else(|| StoreError::not_found("product", product_id))?;
            if !active {
                return Err(StoreError::InvalidState { entity: "product", id: product_id.to_string(), reason: "is not for sale (inactive)".into() });
            }
            let now = now_ms();
            let total: i64 = sqlx::query_scalar(
                "INSERT INTO cart_items (user_id, product_id, quantity, added_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
                 ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity, \
                 updated_at = excluded.updated_at RETURNING quantity")
                .bind(user_id).bind(product_id).bind(quantity).bind(now)
                .fetch_one(&mut *tx).await?;
            check_quantity(total)?;
            order_total([(price, total)])?;
            if total > stock {
                return Err(StoreError::InsufficientStock { product_id, requested: total, available: stock });
            }
            sqlx::query("INSERT INTO events (user_id, product_id, kind, value, at) VALUES ($1, $2, 'add_to_cart', $3, $4)")
                .bind(user_id).bind(product_id).bind(quantity as f64).bind(now)
                .execute(&mut *tx).await?;
            Ok(total)
        })
    }

    /// Sets a line's quantity; 0 removes the line.
    pub async fn set_cart_quantity(
        &self,
        user_id: i64,
        product_id: i64,
        quantity: i64,
    ) -> Result<()> {
        if quantity == 0 {
            return self.remove_from_cart(user_id, product_id).await;
        }
        check_quantity(quantity)?;
        let changed = with_pool!(self, pool => sqlx::query(
            "UPDATE cart_items SET quantity = $3, updated_at = $4 WHERE user_id = $1 AND product_id = $2")
            .bind(user_id).bind(product_id).bind(quantity).bind(now_ms())
            .execute(pool).await.map(|r| r.rows_affected()))?;
        if changed == 0 {
            return Err(StoreError::not_found("cart line for product", product_id));
        }
        Ok(())
    }

    /// Removes a product from the cart.
    pub async fn remove_from_cart(&self, user_id: i64, product_id: i64) -> Result<()> {
        let removed = with_pool!(self, pool => sqlx::query("DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2")
            .bind(user_id).bind(product_id).execute(pool).await.map(|r| r.rows_affected()))?;
        if removed == 0 {
            return Err(StoreError::not_found("cart line for product", product_id));
        }
        Ok(())
    }

    /// Empties the cart.
    pub async fn clear_cart(&self, user_id: i64) -> Result<()> {
        with_pool!(self, pool => sqlx::query("DELETE FROM cart_items WHERE user_id = $1").bind(user_id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }
}
