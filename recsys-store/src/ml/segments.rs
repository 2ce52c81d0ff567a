//! User segments (K-Means over RFM features, `recsys_core::segments`): one segment per user,
//! replaced as a whole each time segmentation runs.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::store::{Store, with_pool, with_tx};
use crate::time::{Millis, now_ms};
use crate::validate;

/// A user's segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSegment {
    pub user_id: i64,
    pub segment: i64,
    pub model_version_id: Option<i64>,
    pub assigned_at: Millis,
}

/// How many users a segment has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentSize {
    pub segment: i64,
    pub users: i64,
}

/// Replaces the segment table with `$assignments` under `$version` inside the transaction
/// `$tx` (a macro: the transaction's type differs per backend).
macro_rules! write_segments {
    ($tx:ident, $assignments:expr, $version:expr) => {{
        let (assignments, version): (&[(i64, i64)], Option<i64>) = ($assignments, $version);
        let now = now_ms();
        sqlx::query("DELETE FROM user_segments")
            .execute(&mut *$tx)
            .await?;
        for chunk in assignments.chunks(1000) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO user_segments (user_id, segment, model_version_id, assigned_at) ",
            );
            insert.push_values(chunk, |mut row, &(user, segment)| {
                row.push_bind(user)
                    .push_bind(segment)
                    .push_bind(version)
                    .push_bind(now);
            });
            insert.build().execute(&mut *$tx).await?;
        }
    }};
}

impl Store {
    /// Replaces every user's segment with these `(user_id, segment)` assignments, atomically.
    pub async fn replace_user_segments(
        &self,
        model_version_id: Option<i64>,
        assignments: &[(i64, i64)],
    ) -> Result<u64> {
        self.check_assignments(assignments).await?;
        if let Some(version) = model_version_id {
            self.model_version(version).await?;
        }
        with_tx!(self, tx => {
            write_segments!(tx, assignments, model_version_id);
            Ok(())
        })?;
        Ok(assignments.len() as u64)
    }

    /// A segmentation put in service at once: `version` saved as the next version of its model,
    /// every user's segment replaced by `assignments` (`(user_id, segment)`) under that version,
    /// and the version activated, all in one transaction (a failure leaves the previous
    /// segmentation, its table and its active version as they were).
    pub async fn save_segmentation(
        &self,
        version: &crate::NewModelVersion,
        assignments: &[(i64, i64)],
    ) -> Result<crate::ModelVersion> {
        self.check_new_version(version)?;
        self.check_assignments(assignments).await?;
        let saved = with_tx!(self, tx => {
            let saved = crate::ml::models::insert_version!(tx, version);
            write_segments!(tx, assignments, Some(saved.id));
            Ok(crate::ml::models::activate_version!(tx, &saved.name, saved.id))
        })?;
        Ok(saved)
    }

    /// Segments of at least 0, each user once and existing.
    async fn check_assignments(&self, assignments: &[(i64, i64)]) -> Result<()> {
        let mut users = BTreeSet::new();
        for &(user, segment) in assignments {
            validate::at_least("segment", segment, 0)?;
            if !users.insert(user) {
                return Err(StoreError::invalid(
                    "assignments",
                    format!("user {user} is assigned twice"),
                ));
            }
        }
        self.check_ids_exist("users", "user", &users).await
    }

    /// The user's segment, if segmentation has assigned one.
    pub async fn user_segment(&self, user_id: i64) -> Result<Option<UserSegment>> {
        let row: Option<(i64, i64, Option<i64>, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT user_id, segment, model_version_id, assigned_at FROM user_segments WHERE user_id = $1")
            .bind(user_id).fetch_optional(pool).await)?;
        Ok(row.map(|r| UserSegment {
            user_id: r.0,
            segment: r.1,
            model_version_id: r.2,
            assigned_at: r.3,
        }))
    }

    /// Users per segment, by segment number.
    pub async fn segment_sizes(&self) -> Result<Vec<SegmentSize>> {
        let rows: Vec<(i64, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT segment, COUNT(*) FROM user_segments GROUP BY segment ORDER BY segment").fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(segment, users)| SegmentSize { segment, users })
            .collect())
    }
}
