//! Search analytics: every search with its result count, and what people search for most.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::{Store, with_pool};
use crate::time::{Millis, now_ms};
use crate::validate;

/// How often a query (normalized: trimmed, lower-cased, inner white space folded) was searched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchStat {
    pub query: String,
    pub searches: i64,
    pub mean_results: f64,
    /// Searches that found nothing: what the catalog is missing.
    pub zero_result_searches: i64,
}

fn normalize(query: &str) -> String {
    query
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Store {
    /// Records a search, by a user or anonymous.
    pub async fn record_search(
        &self,
        query: &str,
        results_count: i64,
        user_id: Option<i64>,
    ) -> Result<()> {
        validate::text("query", query, validate::MAX_QUERY, false)?;
        validate::at_least("results_count", results_count, 0)?;
        if let Some(user) = user_id {
            self.user(user).await?;
        }
        with_pool!(self, pool => sqlx::query(
            "INSERT INTO search_queries (query, normalized, results_count, user_id, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(query).bind(normalize(query)).bind(results_count).bind(user_id).bind(now_ms())
            .execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// The `limit` most frequent queries in `[since, until)`, most searched first; with
    /// `zero_results_only`, only queries that at least once found nothing, by how often.
    pub async fn top_searches(
        &self,
        since: Millis,
        until: Millis,
        limit: i64,
        zero_results_only: bool,
    ) -> Result<Vec<SearchStat>> {
        crate::page::Page::new(limit, 0).check()?;
        let rows: Vec<(String, i64, f64, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT normalized, COUNT(*), CAST(AVG(results_count) AS DOUBLE PRECISION), \
                    CAST(SUM(CASE WHEN results_count = 0 THEN 1 ELSE 0 END) AS BIGINT) AS zero \
             FROM search_queries WHERE at >= $1 AND at < $2 \
             GROUP BY normalized \
             HAVING ($3 = FALSE OR SUM(CASE WHEN results_count = 0 THEN 1 ELSE 0 END) > 0) \
             ORDER BY CASE WHEN $3 THEN CAST(SUM(CASE WHEN results_count = 0 THEN 1 ELSE 0 END) AS BIGINT) ELSE COUNT(*) END DESC, \
                      normalized \
             LIMIT $4")
            .bind(since).bind(until).bind(zero_results_only).bind(limit)
            .fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|r| SearchStat {
                query: r.0,
                searches: r.1,
                mean_results: r.2,
                zero_result_searches: r.3,
            })
            .collect())
    }
}
