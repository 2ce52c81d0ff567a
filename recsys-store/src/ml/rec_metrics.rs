//! Recommendation impressions and clicks, counted per model version, placement and day, so the
//! click-through rate of each model version can be compared where it was shown.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::store::{Store, with_pool};
use crate::time::{Day, Millis};
use crate::validate;

/// Impressions and clicks of one model version at one placement over a range of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecMetrics {
    pub model_version_id: i64,
    pub model_name: String,
    pub version: i64,
    pub placement: String,
    pub impressions: i64,
    pub clicks: i64,
    /// clicks / impressions (0 when nothing was shown).
    pub ctr: f64,
}

/// Clicks per impression; 0 with no impressions.
pub(crate) fn ctr(clicks: i64, impressions: i64) -> f64 {
    if impressions > 0 {
        clicks as f64 / impressions as f64
    } else {
        0.0
    }
}

impl Store {
    /// Counts `count` recommended items shown at `placement` ("home", "product_page", ...).
    pub async fn record_impressions(
        &self,
        model_version_id: i64,
        placement: &str,
        count: i64,
        at: Millis,
    ) -> Result<()> {
        validate::at_least("count", count, 1)?;
        self.bump_rec_metrics(model_version_id, placement, count, 0, at)
            .await
    }

    /// Counts clicks on recommended items shown at `placement`.
    pub async fn record_clicks(
        &self,
        model_version_id: i64,
        placement: &str,
        count: i64,
        at: Millis,
    ) -> Result<()> {
        validate::at_least("count", count, 1)?;
        self.bump_rec_metrics(model_version_id, placement, 0, count, at)
            .await
    }

    async fn bump_rec_metrics(
        &self,
        model_version_id: i64,
        placement: &str,
        impressions: i64,
        clicks: i64,
        at: Millis,
    ) -> Result<()> {
        validate::label("placement", placement)?;
        validate::at_least("at", at, 0)?;
        let day = Day::of(at).to_string();
        let done = with_pool!(self, pool => sqlx::query(
            "INSERT INTO rec_metrics (model_version_id, placement, day, impressions, clicks) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (model_version_id, placement, day) DO UPDATE SET \
             impressions = rec_metrics.impressions + excluded.impressions, clicks = rec_metrics.clicks + excluded.clicks")
            .bind(model_version_id).bind(placement).bind(&day).bind(impressions).bind(clicks)
            .execute(pool).await.map(|_| ()));
        match done {
            Err(sqlx_error) => match StoreError::from(sqlx_error) {
                StoreError::Invalid {
                    field: "reference", ..
                } => Err(StoreError::not_found("model version", model_version_id)),
                other => Err(other),
            },
            Ok(()) => Ok(()),
        }
    }

    /// Impressions, clicks and CTR per model version and placement over the days `from..=to`,
    /// for one model name or all, ordered by name, version and placement.
    pub async fn rec_metrics(
        &self,
        model_name: Option<&str>,
        from: Day,
        to: Day,
    ) -> Result<Vec<RecMetrics>> {
        let rows: Vec<(i64, String, i64, String, i64, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT m.model_version_id, v.name, v.version, m.placement, \
                    CAST(SUM(m.impressions) AS BIGINT), CAST(SUM(m.clicks) AS BIGINT) \
             FROM rec_metrics m JOIN model_versions v ON v.id = m.model_version_id \
             WHERE m.day >= $1 AND m.day <= $2 AND ($3 IS NULL OR v.name = $3) \
             GROUP BY m.model_version_id, v.name, v.version, m.placement \
             ORDER BY v.name, v.version, m.placement")
            .bind(from.to_string()).bind(to.to_string()).bind(model_name)
            .fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|r| RecMetrics {
                model_version_id: r.0,
                model_name: r.1,
                version: r.2,
                placement: r.3,
                impressions: r.4,
                clicks: r.5,
                ctr: ctr(r.5, r.4),
            })
            .collect())
    }
}
