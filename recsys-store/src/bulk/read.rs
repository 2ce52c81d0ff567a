//! Reading the shop back under its own keys, page by page in id order: what an export writes.
//! Imported into an empty database in that order, the records get the same order again, so
//! a second export is the same file.

use std::collections::HashMap;

use sqlx::types::Json;

use super::write::OWN_ORDER_PREFIX;
use super::{
    CategoryRecord, CustomerRecord, EventRecord, OrderLineRecord, OrderRecord, ProductRecord,
};
use crate::error::{Result, StoreError};
use crate::ml::events::EventKind;
use crate::shop::orders::OrderStatus;
use crate::shop::users::stored_password_hash;
use crate::store::{Store, with_pool};

/// An order as exported, with the id to continue after.
pub type ExportedOrder = (i64, OrderRecord);

/// The customer key of a user row: the external id, else the e-mail.
const CUSTOMER_KEY: &str = "COALESCE(u.external_id, u.email)";

impl Store {
    /// Every category, parents before their children (otherwise in id order).
    pub async fn export_categories(&self) -> Result<Vec<CategoryRecord>> {
        let rows: Vec<(i64, String, String, Option<i64>)> = with_pool!(self, pool =>
            sqlx::query_as("SELECT id, slug, name, parent_id FROM categories ORDER BY id").fetch_all(pool).await)?;
        let slug: HashMap<i64, String> = rows.iter().map(|r| (r.0, r.1.clone())).collect();
        // repeated passes in id order, each taking the categories whose parent is out already
        let mut out = Vec::with_capacity(rows.len());
        let mut written = std::collections::HashSet::new();
        let mut left = rows;
        while !left.is_empty() {
            let before = left.len();
            let mut next = Vec::new();
            for r in left {
                if r.3.is_none_or(|p| written.contains(&p)) {
                    written.insert(r.0);
                    out.push(CategoryRecord {
                        key: r.1,
                        name: r.2,
                        parent: r.3.and_then(|p| slug.get(&p).cloned()),
                    });
                } else {
                    next.push(r);
                }
            }
            if next.len() == before {
                return Err(StoreError::Corrupt {
                    what: "categories.parent_id".into(),
                    reason: "the categories make a cycle".into(),
                });
            }
            left = next;
        }
        Ok(out)
    }

    /// Up to `limit` products with ids above `after`, in id order, with their ids.
    pub async fn export_products(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, ProductRecord)>> {
        type Row = (
            i64,
            String,
            String,
            String,
            Option<String>,
            i64,
            i64,
            bool,
            Json<serde_json::Value>,
            Option<String>,
            i64,
        );
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(
            "SELECT p.id, p.sku, p.name, p.description, c.slug, p.price_cents, p.stock, p.active, p.attributes, p.image_url, p.created_at \
             FROM products p LEFT JOIN categories c ON c.id = p.category_id WHERE p.id > $1 ORDER BY p.id LIMIT $2")
            .bind(after).bind(limit).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.0,
                    ProductRecord {
                        sku: r.1,
                        name: r.2,
                        description: r.3,
                        category: r.4,
                        price_cents: r.5,
                        stock: r.6,
                        active: r.7,
                        attributes: r.8.0,
                        image_url: r.9,
                        created_at: Some(r.10),
                    },
                )
            })
            .collect())
    }

    /// Up to `limit` customers (not admins) with ids above `after`, in id order.
    pub async fn export_customers(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, CustomerRecord)>> {
        type Row = (i64, Option<String>, String, String, String, bool, i64);
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, external_id, email, display_name, password_hash, active, created_at FROM users \
             WHERE role = 'user' AND id > $1 ORDER BY id LIMIT $2")
            .bind(after).bind(limit).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| {
                let password_hash = stored_password_hash(r.4)?;
                Ok((
                    r.0,
                    CustomerRecord {
                        external_id: r.1,
                        email: Some(r.2),
                        name: r.3,
                        password_hash,
                        active: r.5,
                        created_at: Some(r.6),
                    },
                ))
            })
            .collect()
    }

    /// Up to `limit` orders with ids above `after`, in id order, with their lines (by sku). An
    /// order of the shop's own checkout, which has no external id, is keyed `recsys-<id>`.
    pub async fn export_orders(&self, after: i64, limit: i64) -> Result<Vec<ExportedOrder>> {
        let sql = format!(
            "SELECT o.id, o.external_id, {CUSTOMER_KEY}, o.status, o.created_at FROM orders o \
             JOIN users u ON u.id = o.user_id WHERE o.id > $1 ORDER BY o.id LIMIT $2"
        );
        // (id, external id, customer key, status, created at); (order id, sku, quantity, price)
        type OrderRow = (i64, Option<String>, String, String, i64);
        type LineRow = (i64, String, i64, i64);
        let (orders, lines): (Vec<OrderRow>, Vec<LineRow>) = with_pool!(self, pool => {
            let orders: Vec<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(after).bind(limit).fetch_all(pool).await?;
            let last = orders.last().map_or(after, |o| o.0);
            let lines = sqlx::query_as(
                "SELECT order_id, sku, quantity, unit_price_cents FROM order_lines \
                 WHERE order_id > $1 AND order_id <= $2 ORDER BY order_id, product_id")
                .bind(after).bind(last).fetch_all(pool).await?;
            Ok::<_, StoreError>((orders, lines))
        })?;
        let mut by_order: HashMap<i64, Vec<OrderLineRecord>> = HashMap::new();
        for (order, sku, quantity, price) in lines {
            by_order.entry(order).or_default().push(OrderLineRecord {
                sku,
                quantity,
                unit_price_cents: Some(price),
            });
        }
        orders
            .into_iter()
            .map(|o| {
                let status = OrderStatus::from_name(&o.3).ok_or_else(|| StoreError::Corrupt {
                    what: "orders.status".into(),
                    reason: format!("unknown status '{}'", o.3),
                })?;
                Ok((
                    o.0,
                    OrderRecord {
                        external_id: o.1.unwrap_or_else(|| format!("{OWN_ORDER_PREFIX}{}", o.0)),
                        customer: o.2,
                        status,
                        created_at: o.4,
                        lines: by_order.remove(&o.0).unwrap_or_default(),
                    },
                ))
            })
            .collect()
    }

    /// Up to `limit` events with ids above `after`, in id order, under the shop's keys.
    pub async fn export_events(&self, after: i64, limit: i64) -> Result<Vec<(i64, EventRecord)>> {
        let sql = format!(
            "SELECT e.id, {CUSTOMER_KEY}, p.sku, e.kind, e.value, e.at FROM events e \
             JOIN users u ON u.id = e.user_id JOIN products p ON p.id = e.product_id \
             WHERE e.id > $1 ORDER BY e.id LIMIT $2"
        );
        let rows: Vec<(i64, String, String, String, f64, i64)> = with_pool!(self, pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(after).bind(limit).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    r.0,
                    EventRecord {
                        customer: r.1,
                        sku: r.2,
                        kind: EventKind::parse(&r.3)?,
                        value: r.4,
                        at: r.5,
                    },
                ))
            })
            .collect()
    }
}
