//! Model configs (named training settings) and model versions (the trained bytes, with their
//! params and metrics). At most one version per model name is active; activation and rollback
//! swap it in one transaction.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::types::Json;

use crate::error::{Result, StoreError};
use crate::store::{Store, with_pool, with_tx};
use crate::time::{Millis, now_ms};
use crate::validate;

/// Named training settings (what `recsys_core::factory::RecommenderConfig` serializes to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub params: serde_json::Value,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A config to create or replace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewModelConfig {
    pub name: String,
    pub kind: String,
    pub params: serde_json::Value,
}

/// A trained model version, without its bytes (see [`Store::model_blob`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelVersion {
    pub id: i64,
    /// The model slot it belongs to ("als", "content", ...).
    pub name: String,
    /// 1, 2, 3, ... per name.
    pub version: i64,
    pub kind: String,
    pub config_id: Option<i64>,
    pub params: serde_json::Value,
    pub metrics: serde_json::Value,
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub checksum: String,
    pub created_at: Millis,
    pub active: bool,
    pub activated_at: Option<Millis>,
}

/// A version to save.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewModelVersion {
    pub name: String,
    pub kind: String,
    pub config_id: Option<i64>,
    pub params: serde_json::Value,
    pub metrics: serde_json::Value,
    /// The model file (`recsys_core::Persist::to_bytes`).
    pub blob: Vec<u8>,
}

type ConfigRow = (i64, String, String, Json<serde_json::Value>, i64, i64);
pub(crate) type VersionRow = (
    i64,
    String,
    i64,
    String,
    Option<i64>,
    Json<serde_json::Value>,
    Json<serde_json::Value>,
    i64,
    String,
    i64,
    bool,
    Option<i64>,
);

macro_rules! config_columns {
    () => {
        "id, name, kind, params, created_at, updated_at"
    };
}
macro_rules! version_columns {
    () => {
        "id, name, version, kind, config_id, params, metrics, size_bytes, checksum, created_at, active, activated_at"
    };
}
pub(crate) use version_columns;

fn config_from_row(r: ConfigRow) -> ModelConfig {
    ModelConfig {
        id: r.0,
        name: r.1,
        kind: r.2,
        params: r.3.0,
        created_at: r.4,
        updated_at: r.5,
    }
}

pub(crate) fn version_from_row(r: VersionRow) -> ModelVersion {
    ModelVersion {
        id: r.0,
        name: r.1,
        version: r.2,
        kind: r.3,
        config_id: r.4,
        params: r.5.0,
        metrics: r.6.0,
        size_bytes: r.7,
        checksum: r.8,
        created_at: r.9,
        active: r.10,
        activated_at: r.11,
    }
}

/// Inserts `$model` (checked by `check_new_version`) as the next version of its name inside the
/// transaction `$tx`; evaluates to the `ModelVersion`. A macro because the transaction's type
/// differs per backend (as `write_order!`).
macro_rules! insert_version {
    ($tx:ident, $model:expr) => {{
        let model: &$crate::ml::models::NewModelVersion = $model;
        let checksum = $crate::ml::models::sha256_hex(&model.blob);
        let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = $1")
            .bind(&model.name).fetch_one(&mut *$tx).await?;
        let row: $crate::ml::models::VersionRow = sqlx::query_as(concat!(
            "INSERT INTO model_versions (name, version, kind, config_id, params, metrics, blob, size_bytes, checksum, created_at, active) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, FALSE) RETURNING ",
            $crate::ml::models::version_columns!()))
            .bind(&model.name).bind(next).bind(&model.kind).bind(model.config_id)
            .bind(sqlx::types::Json(&model.params)).bind(sqlx::types::Json(&model.metrics)).bind(&model.blob)
            .bind(model.blob.len() as i64).bind(&checksum).bind($crate::time::now_ms())
            .fetch_one(&mut *$tx).await?;
        $crate::ml::models::version_from_row(row)
    }};
}
pub(crate) use insert_version;

/// Makes version `$id` of model `$name` the active one (and no other) inside the transaction
/// `$tx`; evaluates to the activated `ModelVersion`, or returns `NotFound` from the enclosing
/// block when no version `$id` of `$name` exists. A macro for the reason `insert_version!` is.
macro_rules! activate_version {
    ($tx:ident, $name:expr, $id:expr) => {{
        let (name, id): (&str, i64) = ($name, $id);
        sqlx::query("UPDATE model_versions SET active = FALSE WHERE name = $1 AND active AND id <> $2")
            .bind(name).bind(id).execute(&mut *$tx).await?;
        let row: Option<$crate::ml::models::VersionRow> = sqlx::query_as(concat!(
            "UPDATE model_versions SET active = TRUE, activated_at = $3 WHERE id = $1 AND name = $2 RETURNING ",
            $crate::ml::models::version_columns!()))
            .bind(id).bind(name).bind($crate::time::now_ms()).fetch_optional(&mut *$tx).await?;
        match row {
            Some(row) => $crate::ml::models::version_from_row(row),
            None => return Err($crate::StoreError::not_found("model version", id)),
        }
    }};
}
pub(crate) use activate_version;

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Creates the config with this name, or replaces its kind and params.
    pub async fn upsert_model_config(&self, config: &NewModelConfig) -> Result<ModelConfig> {
        validate::label("name", &config.name)?;
        validate::label("kind", &config.kind)?;
        validate::json("params", &config.params, true)?;
        let sql = concat!(
            "INSERT INTO model_configs (name, kind, params, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ",
            "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, params = excluded.params, updated_at = excluded.updated_at ",
            "RETURNING ",
            config_columns!()
        );
        let row: ConfigRow = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(&config.name).bind(&config.kind).bind(Json(&config.params)).bind(now_ms())
            .fetch_one(pool).await)?;
        Ok(config_from_row(row))
    }

    /// The config with this name.
    pub async fn model_config(&self, name: &str) -> Result<ModelConfig> {
        let sql = concat!(
            "SELECT ",
            config_columns!(),
            " FROM model_configs WHERE name = $1"
        );
        let row: Option<ConfigRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(name).fetch_optional(pool).await)?;
        row.map(config_from_row)
            .ok_or_else(|| StoreError::not_found("model config", name))
    }

    /// Every config, by name.
    pub async fn list_model_configs(&self) -> Result<Vec<ModelConfig>> {
        let sql = concat!(
            "SELECT ",
            config_columns!(),
            " FROM model_configs ORDER BY name"
        );
        let rows: Vec<ConfigRow> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(config_from_row).collect())
    }

    /// Saves a trained model as the next version of its name (inactive until activated).
    pub async fn save_model_version(&self, model: &NewModelVersion) -> Result<ModelVersion> {
        self.check_new_version(model)?;
        with_tx!(self, tx => Ok(insert_version!(tx, model)))
    }

    pub(crate) fn check_new_version(&self, model: &NewModelVersion) -> Result<()> {
        validate::label("name", &model.name)?;
        validate::label("kind", &model.kind)?;
        validate::json("params", &model.params, false)?;
        validate::json("metrics", &model.metrics, false)?;
        if model.blob.is_empty() {
            return Err(StoreError::invalid("blob", "a model file cannot be empty"));
        }
        Ok(())
    }

    /// The version with this id (without its bytes).
    pub async fn model_version(&self, id: i64) -> Result<ModelVersion> {
        let sql = concat!(
            "SELECT ",
            version_columns!(),
            " FROM model_versions WHERE id = $1"
        );
        let row: Option<VersionRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
        row.map(version_from_row)
            .ok_or_else(|| StoreError::not_found("model version", id))
    }

    /// The bytes of a version, checked against their SHA-256: a mismatch is `Corrupt`.
    pub async fn model_blob(&self, id: i64) -> Result<Vec<u8>> {
        let row: Option<(Vec<u8>, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT blob, checksum FROM model_versions WHERE id = $1").bind(id).fetch_optional(pool).await)?;
        let (blob, checksum) = row.ok_or_else(|| StoreError::not_found("model version", id))?;
        let actual = sha256_hex(&blob);
        if actual != checksum {
            return Err(StoreError::Corrupt {
                what: format!("model version {id}"),
                reason: format!("SHA-256 is {actual}, stored checksum {checksum}"),
            });
        }
        Ok(blob)
    }

    /// Every version of a model name, newest first.
    pub async fn list_model_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let sql = concat!(
            "SELECT ",
            version_columns!(),
            " FROM model_versions WHERE name = $1 ORDER BY version DESC"
        );
        let rows: Vec<VersionRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(name).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(version_from_row).collect())
    }

    /// The active version of a model name, if one is active.
    pub async fn active_model_version(&self, name: &str) -> Result<Option<ModelVersion>> {
        let sql = concat!(
            "SELECT ",
            version_columns!(),
            " FROM model_versions WHERE name = $1 AND active"
        );
        let row: Option<VersionRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(name).fetch_optional(pool).await)?;
        Ok(row.map(version_from_row))
    }

    /// Every active version, one per model name that has one, by name.
    pub async fn active_model_versions(&self) -> Result<Vec<ModelVersion>> {
        let sql = concat!(
            "SELECT ",
            version_columns!(),
            " FROM model_versions WHERE active ORDER BY name"
        );
        let rows: Vec<VersionRow> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(version_from_row).collect())
    }

    /// Makes this version the active one of its name; the previously active version (if any) is
    /// deactivated in the same transaction.
    pub async fn activate_model_version(&self, id: i64) -> Result<ModelVersion> {
        let name = self.model_version(id).await?.name;
        self.swap_active(&name, id).await
    }

    /// Activates the version before the active one (the newest version older than it). With no
    /// active version, or none older, this is `InvalidState` and nothing changes.
    pub async fn rollback_model(&self, name: &str) -> Result<ModelVersion> {
        let active =
            self.active_model_version(name)
                .await?
                .ok_or_else(|| StoreError::InvalidState {
                    entity: "model",
                    id: name.to_string(),
                    reason: "has no active version to roll back from".into(),
                })?;
        let previous: Option<i64> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT id FROM model_versions WHERE name = $1 AND version < $2 ORDER BY version DESC LIMIT 1")
            .bind(name).bind(active.version).fetch_optional(pool).await)?;
        let previous = previous.ok_or_else(|| StoreError::InvalidState {
            entity: "model",
            id: name.to_string(),
            reason: format!("has no version before {} to roll back to", active.version),
        })?;
        self.swap_active(name, previous).await
    }

    async fn swap_active(&self, name: &str, id: i64) -> Result<ModelVersion> {
        with_tx!(self, tx => Ok(activate_version!(tx, name, id)))
    }
}
