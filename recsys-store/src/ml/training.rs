//! Training runs: queued, running, then succeeded (with the version it produced) or failed (with
//! the error), with timings.

use serde::{Deserialize, Serialize};
use sqlx::types::Json;

use crate::error::{Result, StoreError};
use crate::page::{Page, Paged};
use crate::store::{Store, with_pool};
use crate::time::{Millis, now_ms};
use crate::validate;

/// Where a training run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<RunStatus> {
        [
            RunStatus::Queued,
            RunStatus::Running,
            RunStatus::Succeeded,
            RunStatus::Failed,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt {
            what: "training_runs.status".into(),
            reason: format!("unknown status '{s}'"),
        })
    }
}

/// One training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRun {
    pub id: i64,
    pub model_name: String,
    pub config_id: Option<i64>,
    pub status: RunStatus,
    pub params: serde_json::Value,
    pub created_at: Millis,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub error: Option<String>,
    pub model_version_id: Option<i64>,
}

type RunRow = (
    i64,
    String,
    Option<i64>,
    String,
    Json<serde_json::Value>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

macro_rules! run_columns {
    () => {
        "id, model_name, config_id, status, params, created_at, started_at, finished_at, error, model_version_id"
    };
}

fn run_from_row(r: RunRow) -> Result<TrainingRun> {
    Ok(TrainingRun {
        id: r.0,
        model_name: r.1,
        config_id: r.2,
        status: RunStatus::parse(&r.3)?,
        params: r.4.0,
        created_at: r.5,
        started_at: r.6,
        finished_at: r.7,
        error: r.8,
        model_version_id: r.9,
    })
}

impl Store {
    /// Queues a training run.
    pub async fn create_training_run(
        &self,
        model_name: &str,
        config_id: Option<i64>,
        params: &serde_json::Value,
    ) -> Result<TrainingRun> {
        validate::label("model_name", model_name)?;
        validate::json("params", params, false)?;
        let sql = concat!(
            "INSERT INTO training_runs (model_name, config_id, status, params, created_at) VALUES ($1, $2, 'queued', $3, $4) RETURNING ",
            run_columns!()
        );
        let row: RunRow = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(model_name).bind(config_id).bind(Json(params)).bind(now_ms()).fetch_one(pool).await)?;
        run_from_row(row)
    }

    /// Marks a queued run as running.
    pub async fn start_training_run(&self, id: i64) -> Result<TrainingRun> {
        self.move_run(id, RunStatus::Running, &[RunStatus::Queued], None, None)
            .await
    }

    /// Marks a running run as succeeded, producing this model version.
    pub async fn finish_training_run(&self, id: i64, model_version_id: i64) -> Result<TrainingRun> {
        self.model_version(model_version_id).await?;
        self.move_run(
            id,
            RunStatus::Succeeded,
            &[RunStatus::Running],
            Some(model_version_id),
            None,
        )
        .await
    }

    /// Marks a queued or running run as failed with the error's text.
    pub async fn fail_training_run(&self, id: i64, error: &str) -> Result<TrainingRun> {
        let error: String = error.replace('\0', "").chars().take(10_000).collect();
        self.move_run(
            id,
            RunStatus::Failed,
            &[RunStatus::Queued, RunStatus::Running],
            None,
            Some(error),
        )
        .await
    }

    /// Moves a run from one of the `from` states to `to`, stamping the start or finish time.
    async fn move_run(
        &self,
        id: i64,
        to: RunStatus,
        from: &[RunStatus],
        version: Option<i64>,
        error: Option<String>,
    ) -> Result<TrainingRun> {
        let current = self.training_run(id).await?;
        if !from.contains(&current.status) {
            return Err(StoreError::InvalidState {
                entity: "training run",
                id: id.to_string(),
                reason: format!("is {}", current.status.as_str()),
            });
        }
        let sql = concat!(
            "UPDATE training_runs SET status = $3, ",
            "started_at = CASE WHEN $3 = 'running' THEN $2 ELSE started_at END, ",
            "finished_at = CASE WHEN $3 IN ('succeeded', 'failed') THEN $2 ELSE finished_at END, ",
            "model_version_id = COALESCE($4, model_version_id), error = COALESCE($5, error) ",
            "WHERE id = $1 AND status = $6 RETURNING ",
            run_columns!()
        );
        let row: Option<RunRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(id).bind(now_ms()).bind(to.as_str()).bind(version).bind(&error).bind(current.status.as_str())
            .fetch_optional(pool).await)?;
        run_from_row(row.ok_or_else(|| StoreError::InvalidState {
            entity: "training run",
            id: id.to_string(),
            reason: "changed status concurrently".into(),
        })?)
    }

    /// The run with this id.
    pub async fn training_run(&self, id: i64) -> Result<TrainingRun> {
        let sql = concat!(
            "SELECT ",
            run_columns!(),
            " FROM training_runs WHERE id = $1"
        );
        let row: Option<RunRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
        run_from_row(row.ok_or_else(|| StoreError::not_found("training run", id))?)
    }

    /// Runs, newest first, of one model name or of all.
    pub async fn list_training_runs(
        &self,
        model_name: Option<&str>,
        page: Page,
    ) -> Result<Paged<TrainingRun>> {
        let page = page.check()?;
        let list = concat!(
            "SELECT ",
            run_columns!(),
            " FROM training_runs WHERE ($1 IS NULL OR model_name = $1) ORDER BY id DESC LIMIT $2 OFFSET $3"
        );
        let (rows, total): (Vec<RunRow>, i64) = with_pool!(self, pool => {
            let rows = sqlx::query_as(list).bind(model_name).bind(page.limit).bind(page.offset).fetch_all(pool).await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM training_runs WHERE ($1 IS NULL OR model_name = $1)")
                .bind(model_name).fetch_one(pool).await?;
            Ok::<_, StoreError>((rows, total))
        })?;
        Ok(Paged::new(
            rows.into_iter().map(run_from_row).collect::<Result<_>>()?,
            total,
            page,
        ))
    }
}
