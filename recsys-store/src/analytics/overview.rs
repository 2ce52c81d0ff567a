//! The dashboard's first numbers, read live from the shop's tables: customers, active users,
//! orders, revenue, best sellers, and recommendation impressions and clicks per day.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ml::rec_metrics::{RecMetrics, ctr};
use crate::store::{Store, with_pool};
use crate::time::{Day, Millis};

/// The shop at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub users: i64,
    /// Users with an event since the start of today (UTC).
    pub active_users_today: i64,
    /// Users with an event in the last 7 days.
    pub active_users_7d: i64,
    /// Orders not cancelled.
    pub orders: i64,
    pub revenue_cents: i64,
    pub top_products: Vec<TopProduct>,
}

/// One line of an order that was not cancelled, as customer segmentation reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseLine {
    pub user_id: i64,
    pub ordered_at: Millis,
    /// Quantity times unit price.
    pub cents: i64,
    pub category_id: Option<i64>,
}

/// A best seller: units in orders that were not cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopProduct {
    pub product_id: i64,
    pub name: String,
    pub units: i64,
    pub revenue_cents: i64,
}

/// Recommendation traffic of one model version in one placement on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecMetricsDay {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2026-12-01"))]
    pub day: Day,
    #[serde(flatten)]
    pub metrics: RecMetrics,
}

impl Store {
    /// The overview at `now`, with the `top` best sellers.
    pub async fn overview(&self, now: Millis, top: i64) -> Result<Overview> {
        let today = Day::of(now).start_ms();
        let week = now - 7 * 24 * 3600 * 1000;
        let (users, active_today, active_week, orders, revenue, rows) = with_pool!(self, pool => {
            let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?;
            let active_today: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT user_id) FROM events WHERE at >= $1")
                .bind(today).fetch_one(pool).await?;
            let active_week: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT user_id) FROM events WHERE at >= $1")
                .bind(week).fetch_one(pool).await?;
            let (orders, revenue): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), CAST(COALESCE(SUM(total_cents), 0) AS BIGINT) FROM orders WHERE status <> 'cancelled'")
                .fetch_one(pool).await?;
            let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
                "SELECT l.product_id, MAX(l.name), CAST(SUM(l.quantity) AS BIGINT), \
                        CAST(SUM(l.quantity * l.unit_price_cents) AS BIGINT) \
                 FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.status <> 'cancelled' \
                 GROUP BY l.product_id ORDER BY 3 DESC, l.product_id LIMIT $1")
                .bind(top).fetch_all(pool).await?;
            Ok::<_, crate::StoreError>((users, active_today, active_week, orders, revenue, rows))
        })?;
        Ok(Overview {
            users,
            active_users_today: active_today,
            active_users_7d: active_week,
            orders,
            revenue_cents: revenue,
            top_products: rows
                .into_iter()
                .map(|(product_id, name, units, revenue_cents)| TopProduct {
                    product_id,
                    name,
                    units,
                    revenue_cents,
                })
                .collect(),
        })
    }

    /// Impressions, clicks and CTR per day, model version and placement over `from..=to`.
    pub async fn rec_metrics_daily(&self, from: Day, to: Day) -> Result<Vec<RecMetricsDay>> {
        let rows: Vec<(String, i64, String, i64, String, i64, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT m.day, m.model_version_id, v.name, v.version, m.placement, m.impressions, m.clicks \
             FROM rec_metrics m JOIN model_versions v ON v.id = m.model_version_id \
             WHERE m.day >= $1 AND m.day <= $2 ORDER BY m.day, v.name, v.version, m.placement LIMIT 10000")
            .bind(from.to_string()).bind(to.to_string()).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| {
                Ok(RecMetricsDay {
                    day: r.0.parse()?,
                    metrics: RecMetrics {
                        model_version_id: r.1,
                        model_name: r.2,
                        version: r.3,
                        placement: r.4,
                        impressions: r.5,
                        clicks: r.6,
                        ctr: ctr(r.6, r.5),
                    },
                })
            })
            .collect()
    }

    /// The distinct model names that have versions, by name.
    pub async fn model_names(&self) -> Result<Vec<String>> {
        Ok(with_pool!(self, pool => sqlx::query_scalar(
            "SELECT DISTINCT name FROM model_versions ORDER BY name").fetch_all(pool).await)?)
    }
}

impl Store {
    /// Every line of every order that was not cancelled: what customer segmentation clusters.
    pub async fn purchase_activity(&self) -> Result<Vec<PurchaseLine>> {
        let rows: Vec<(i64, Millis, i64, Option<i64>)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT o.user_id, o.created_at, l.quantity * l.unit_price_cents, p.category_id \
             FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id \
             WHERE o.status <> 'cancelled' ORDER BY o.id")
            .fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(user_id, ordered_at, cents, category_id)| PurchaseLine {
                user_id,
                ordered_at,
                cents,
                category_id,
            })
            .collect())
    }
}
