//! Daily per-user rollups of activity: events by kind, orders, revenue and searches. A rollup of
//! a day recomputes it from the raw tables, so running it again (late events) is safe.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::{Store, with_pool, with_tx};
use crate::time::Day;

/// What happened in a day: events by kind, orders (not cancelled) with their revenue, searches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    pub views: i64,
    pub clicks: i64,
    pub cart_adds: i64,
    pub purchases: i64,
    pub ratings: i64,
    pub orders: i64,
    pub revenue_cents: i64,
    pub searches: i64,
}

/// One user's activity on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyUserMetrics {
    pub day: Day,
    pub user_id: i64,
    #[serde(flatten)]
    pub activity: Activity,
}

/// The whole shop's activity on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyTotals {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2026-12-01"))]
    pub day: Day,
    /// Users with any event, order or search that day.
    pub active_users: i64,
    #[serde(flatten)]
    pub activity: Activity,
}

/// day, then a user id or a user count, then the eight activity counts in `Activity`'s order.
type MetricsRow = (String, i64, i64, i64, i64, i64, i64, i64, i64, i64);

fn split_row(r: MetricsRow) -> Result<(Day, i64, Activity)> {
    let activity = Activity {
        views: r.2,
        clicks: r.3,
        cart_adds: r.4,
        purchases: r.5,
        ratings: r.6,
        orders: r.7,
        revenue_cents: r.8,
        searches: r.9,
    };
    Ok((r.0.parse()?, r.1, activity))
}

impl Store {
    /// Recomputes the rollup of `day` from events, orders (not cancelled) and searches; returns
    /// the number of users active that day.
    pub async fn rollup_day(&self, day: Day) -> Result<u64> {
        let (start, end, label) = (day.start_ms(), day.end_ms(), day.to_string());
        with_tx!(self, tx => {
            sqlx::query("DELETE FROM daily_user_metrics WHERE day = $1").bind(&label).execute(&mut *tx).await?;
            let inserted = sqlx::query(
                "INSERT INTO daily_user_metrics \
                   (day, user_id, views, clicks, cart_adds, purchases, ratings, orders, revenue_cents, searches) \
                 SELECT $1, user_id, CAST(SUM(views) AS BIGINT), CAST(SUM(clicks) AS BIGINT), CAST(SUM(cart_adds) AS BIGINT), \
                        CAST(SUM(purchases) AS BIGINT), CAST(SUM(ratings) AS BIGINT), CAST(SUM(orders) AS BIGINT), \
                        CAST(SUM(revenue) AS BIGINT), CAST(SUM(searches) AS BIGINT) \
                 FROM ( \
                   SELECT user_id, \
                          CASE WHEN kind = 'view' THEN 1 ELSE 0 END AS views, \
                          CASE WHEN kind = 'click' THEN 1 ELSE 0 END AS clicks, \
                          CASE WHEN kind = 'add_to_cart' THEN 1 ELSE 0 END AS cart_adds, \
                          CASE WHEN kind = 'purchase' THEN 1 ELSE 0 END AS purchases, \
                          CASE WHEN kind = 'rating' THEN 1 ELSE 0 END AS ratings, \
                          0 AS orders, CAST(0 AS BIGINT) AS revenue, 0 AS searches \
                   FROM events WHERE at >= $2 AND at < $3 \
                   UNION ALL \
                   SELECT user_id, 0, 0, 0, 0, 0, 1, total_cents, 0 \
                   FROM orders WHERE created_at >= $2 AND created_at < $3 AND status <> 'cancelled' \
                   UNION ALL \
                   SELECT user_id, 0, 0, 0, 0, 0, 0, 0, 1 \
                   FROM search_queries WHERE at >= $2 AND at < $3 AND user_id IS NOT NULL \
                 ) activity GROUP BY user_id")
                .bind(&label).bind(start).bind(end)
                .execute(&mut *tx).await?.rows_affected();
            Ok(inserted)
        })
    }

    /// A user's rollups over the days `from..=to`, oldest first.
    pub async fn daily_user_metrics(
        &self,
        user_id: i64,
        from: Day,
        to: Day,
    ) -> Result<Vec<DailyUserMetrics>> {
        let rows: Vec<MetricsRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT day, user_id, views, clicks, cart_adds, purchases, ratings, orders, revenue_cents, searches \
             FROM daily_user_metrics WHERE user_id = $1 AND day >= $2 AND day <= $3 ORDER BY day")
            .bind(user_id).bind(from.to_string()).bind(to.to_string())
            .fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| {
                let (day, user_id, activity) = split_row(r)?;
                Ok(DailyUserMetrics {
                    day,
                    user_id,
                    activity,
                })
            })
            .collect()
    }

    /// Shop-wide totals per rolled-up day over `from..=to`, oldest first.
    pub async fn daily_totals(&self, from: Day, to: Day) -> Result<Vec<DailyTotals>> {
        let rows: Vec<MetricsRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT day, COUNT(*), CAST(SUM(views) AS BIGINT), CAST(SUM(clicks) AS BIGINT), CAST(SUM(cart_adds) AS BIGINT), \
                    CAST(SUM(purchases) AS BIGINT), CAST(SUM(ratings) AS BIGINT), CAST(SUM(orders) AS BIGINT), \
                    CAST(SUM(revenue_cents) AS BIGINT), CAST(SUM(searches) AS BIGINT) \
             FROM daily_user_metrics WHERE day >= $1 AND day <= $2 GROUP BY day ORDER BY day")
            .bind(from.to_string()).bind(to.to_string())
            .fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| {
                let (day, active_users, activity) = split_row(r)?;
                Ok(DailyTotals {
                    day,
                    active_users,
                    activity,
                })
            })
            .collect()
    }
}
