//! Item embeddings (ALS item factors, content vectors, ...) in named spaces of fixed dimension,
//! and nearest-neighbour search over them.
//!
//! Postgres keeps them in a pgvector column and answers with HNSW: each space gets two partial
//! indexes over its rows cast to its dimension (`vector_cosine_ops` and `vector_ip_ops`), which is
//! how pgvector indexes a column that holds vectors of several dimensions. SQLite keeps them as
//! blobs of little-endian f32 and answers exactly in Rust, from an in-memory copy of the space
//! (one contiguous matrix with the norms) that is reloaded when the space's `generation` moved.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use pgvector::Vector;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::store::{Backend, Store, with_pool};
use crate::time::{Millis, now_ms};
use crate::validate;

/// How nearness is scored. Higher scores are nearer in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Cosine similarity, in [-1, 1].
    Cosine,
    /// Inner product (the score ALS ranks by).
    InnerProduct,
}

/// A named set of item vectors of one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingSpace {
    pub id: i64,
    pub name: String,
    pub dimensions: i64,
    /// Counts the writes to the space's vectors.
    pub generation: i64,
    pub created_at: Millis,
}

type SpaceRow = (i64, String, i64, i64, i64);

fn space_from_row(r: SpaceRow) -> EmbeddingSpace {
    EmbeddingSpace {
        id: r.0,
        name: r.1,
        dimensions: r.2,
        generation: r.3,
        created_at: r.4,
    }
}

/// A space's vectors in memory for exact search: row-major, with their norms.
#[derive(Debug)]
struct SpaceMatrix {
    generation: i64,
    ids: Vec<i64>,
    data: Vec<f32>,
    norms: Vec<f32>,
}

/// The in-process copies of SQLite spaces, by space id (shared by clones of a `Store`).
#[derive(Debug, Default, Clone)]
pub(crate) struct EmbeddingCache(Arc<Mutex<HashMap<i64, Arc<SpaceMatrix>>>>);

const BUMP_GENERATION: &str =
    "UPDATE embedding_spaces SET generation = generation + 1 WHERE id = $1";

/// pgvector's limit for an indexed `vector`.
pub const MAX_DIMENSIONS: i64 = 2000;

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(bytes: &[u8], dimensions: usize) -> Result<Vec<f32>> {
    if bytes.len() != dimensions * 4 {
        return Err(StoreError::Corrupt {
            what: "item_embeddings.embedding".into(),
            reason: format!(
                "{} bytes for a {dimensions}-dimensional vector",
                bytes.len()
            ),
        });
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Dot product in eight independent lanes, so that LLVM vectorizes it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Checks one vector against the space: right length, finite, not all zeros.
fn check_vector(space: &EmbeddingSpace, what: &str, v: &[f32]) -> Result<()> {
    if v.len() as i64 != space.dimensions {
        return Err(StoreError::invalid(
            "embedding",
            format!(
                "{what} has {} dimensions, space '{}' has {}",
                v.len(),
                space.name,
                space.dimensions
            ),
        ));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(StoreError::invalid(
            "embedding",
            format!("{what} has a non-finite value at position {i}"),
        ));
    }
    if v.iter().all(|&x| x == 0.0) {
        return Err(StoreError::invalid(
            "embedding",
            format!("{what} is all zeros (it has no direction)"),
        ));
    }
    Ok(())
}

impl Store {
    /// Creates a space for vectors of `dimensions` (1 to 2000); on Postgres also its HNSW indexes.
    pub async fn create_embedding_space(
        &self,
        name: &str,
        dimensions: i64,
    ) -> Result<EmbeddingSpace> {
        validate::label("name", name)?;
        if !(1..=MAX_DIMENSIONS).contains(&dimensions) {
            return Err(StoreError::invalid(
                "dimensions",
                format!("must be between 1 and {MAX_DIMENSIONS}, got {dimensions}"),
            ));
        }
        let row: SpaceRow = with_pool!(self, pool => sqlx::query_as(
            "INSERT INTO embedding_spaces (name, dimensions, generation, created_at) \
             VALUES ($1, $2, 0, $3) RETURNING id, name, dimensions, generation, created_at")
            .bind(name).bind(dimensions).bind(now_ms()).fetch_one(pool).await)?;
        let space = space_from_row(row);
        if let Backend::Postgres(pool) = &self.backend {
            for sql in hnsw_indexes(&space) {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
            }
        }
        Ok(space)
    }

    /// The space with this name.
    pub async fn embedding_space(&self, name: &str) -> Result<EmbeddingSpace> {
        let row: Option<SpaceRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, dimensions, generation, created_at FROM embedding_spaces WHERE name = $1")
            .bind(name).fetch_optional(pool).await)?;
        row.map(space_from_row)
            .ok_or_else(|| StoreError::not_found("embedding space", name))
    }

    /// Inserts or replaces the vectors of these products in the space.
    pub async fn put_embeddings(&self, space: &str, items: &[(i64, Vec<f32>)]) -> Result<u64> {
        self.write_embeddings(space, items, false).await
    }

    /// Replaces every vector of the space with these, atomically (what a retrained model does).
    /// On Postgres the space's HNSW indexes are dropped and rebuilt around the bulk insert, which
    /// is several times faster than inserting into them; the table is locked meanwhile.
    pub async fn replace_embeddings(&self, space: &str, items: &[(i64, Vec<f32>)]) -> Result<u64> {
        self.write_embeddings(space, items, true).await
    }

    async fn write_embeddings(
        &self,
        space: &str,
        items: &[(i64, Vec<f32>)],
        replace: bool,
    ) -> Result<u64> {
        let space = self.embedding_space(space).await?;
        let mut products = BTreeSet::new();
        for (product, v) in items {
            check_vector(&space, &format!("the vector of product {product}"), v)?;
            if !products.insert(*product) {
                return Err(StoreError::invalid(
                    "items",
                    format!("product {product} appears twice"),
                ));
            }
        }
        self.check_ids_exist("products", "product", &products)
            .await?;
        match &self.backend {
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                if replace {
                    for index in [
                        format!("item_embeddings_cos_{}", space.id),
                        format!("item_embeddings_ip_{}", space.id),
                    ] {
                        sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX IF EXISTS {index}")))
                            .execute(&mut *tx)
                            .await?;
                    }
                    sqlx::query("DELETE FROM item_embeddings WHERE space_id = $1")
                        .bind(space.id)
                        .execute(&mut *tx)
                        .await?;
                }
                for chunk in items.chunks(20_000) {
                    let ids: Vec<i64> = chunk.iter().map(|(p, _)| *p).collect();
                    let vectors: Vec<Vector> =
                        chunk.iter().map(|(_, v)| Vector::from(v.clone())).collect();
                    sqlx::query(
                        "INSERT INTO item_embeddings (space_id, product_id, embedding) \
                         SELECT $1, * FROM UNNEST($2::BIGINT[], $3::vector[]) \
                         ON CONFLICT (space_id, product_id) DO UPDATE SET embedding = excluded.embedding")
                        .bind(space.id).bind(&ids).bind(&vectors)
                        .execute(&mut *tx).await?;
                }
                if replace {
                    for sql in hnsw_indexes(&space) {
                        sqlx::query(sqlx::AssertSqlSafe(sql))
                            .execute(&mut *tx)
                            .await?;
                    }
                    // fresh statistics: with the row counts of an empty table, PostgreSQL 16's
                    // planner (and pgvector 0.6's cost model) sorts the whole space instead of
                    // reading the HNSW index
                    sqlx::query("ANALYZE item_embeddings")
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(BUMP_GENERATION)
                    .bind(space.id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Backend::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                if replace {
                    sqlx::query("DELETE FROM item_embeddings WHERE space_id = $1")
                        .bind(space.id)
                        .execute(&mut *tx)
                        .await?;
                }
                for chunk in items.chunks(1000) {
                    let mut insert = sqlx::QueryBuilder::new(
                        "INSERT INTO item_embeddings (space_id, product_id, embedding) ",
                    );
                    insert.push_values(chunk, |mut row, (product, v)| {
                        row.push_bind(space.id)
                            .push_bind(*product)
                            .push_bind(to_blob(v));
                    });
                    insert.push(" ON CONFLICT (space_id, product_id) DO UPDATE SET embedding = excluded.embedding");
                    insert.build().execute(&mut *tx).await?;
                }
                sqlx::query(BUMP_GENERATION)
                    .bind(space.id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
        }
        Ok(items.len() as u64)
    }

    /// The vector of a product in the space, if it has one.
    pub async fn embedding(&self, space: &str, product_id: i64) -> Result<Option<Vec<f32>>> {
        let space = self.embedding_space(space).await?;
        match &self.backend {
            Backend::Postgres(pool) => {
                let v: Option<Vector> = sqlx::query_scalar(
                    "SELECT embedding FROM item_embeddings WHERE space_id = $1 AND product_id = $2",
                )
                .bind(space.id)
                .bind(product_id)
                .fetch_optional(pool)
                .await?;
                Ok(v.map(|v| v.to_vec()))
            }
            Backend::Sqlite(pool) => {
                let v: Option<Vec<u8>> = sqlx::query_scalar(
                    "SELECT embedding FROM item_embeddings WHERE space_id = $1 AND product_id = $2",
                )
                .bind(space.id)
                .bind(product_id)
                .fetch_optional(pool)
                .await?;
                v.map(|b| from_blob(&b, space.dimensions as usize))
                    .transpose()
            }
        }
    }

    /// The `k` products whose vectors are nearest to `query`, best first, as (product id, score),
    /// leaving out the products in `exclude`. Postgres answers from the HNSW index (approximate;
    /// `StoreOptions::hnsw_ef_search` trades speed for recall), SQLite exactly.
    pub async fn nearest_items(
        &self,
        space: &str,
        query: &[f32],
        k: usize,
        metric: Metric,
        exclude: &[i64],
    ) -> Result<Vec<(i64, f32)>> {
        if k == 0 || k > 1000 {
            return Err(StoreError::invalid(
                "k",
                format!("must be between 1 and 1000, got {k}"),
            ));
        }
        let space = self.embedding_space(space).await?;
        check_vector(&space, "the query vector", query)?;
        let exclude: BTreeSet<i64> = exclude.iter().copied().collect();
        let fetch = k + exclude.len();
        let mut found = match &self.backend {
            Backend::Postgres(pool) => {
                let (sql, to_score) = nearest_sql(&space, metric);
                let ef_search = (self.options.hnsw_ef_search as usize).max(fetch).min(1000);
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT set_config('hnsw.ef_search', $1, true)")
                    .bind(ef_search.to_string())
                    .execute(&mut *tx)
                    .await?;
                let rows: Vec<(i64, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(Vector::from(query.to_vec()))
                    .bind(fetch as i64)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows.into_iter()
                    .map(|(p, d)| (p, to_score(d) as f32))
                    .collect::<Vec<_>>()
            }
            Backend::Sqlite(pool) => {
                let matrix = self.space_matrix(pool, &space).await?;
                let query_norm = dot(query, query).sqrt();
                let mut scored: Vec<(i64, f32)> = matrix
                    .data
                    .chunks_exact(space.dimensions as usize)
                    .zip(&matrix.ids)
                    .zip(&matrix.norms)
                    .filter(|((_, id), _)| !exclude.contains(id))
                    .map(|((row, &id), &norm)| {
                        let ip = dot(query, row);
                        (
                            id,
                            if metric == Metric::Cosine {
                                ip / (query_norm * norm)
                            } else {
                                ip
                            },
                        )
                    })
                    .collect();
                let best_first =
                    |a: &(i64, f32), b: &(i64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
                if k < scored.len() {
                    scored.select_nth_unstable_by(k, best_first);
                    scored.truncate(k);
                }
                scored.sort_by(best_first);
                scored
            }
        };
        found.retain(|(p, _)| !exclude.contains(p));
        found.truncate(k);
        Ok(found)
    }

    /// The in-memory copy of a SQLite space, reloaded when its generation moved on.
    async fn space_matrix(
        &self,
        pool: &sqlx::SqlitePool,
        space: &EmbeddingSpace,
    ) -> Result<Arc<SpaceMatrix>> {
        let cached = self
            .embedding_cache
            .0
            .lock()
            .ok()
            .and_then(|c| c.get(&space.id).cloned());
        if let Some(m) = cached.filter(|m| m.generation == space.generation) {
            return Ok(m);
        }
        // read after the generation: the rows are never older than the tag says
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT product_id, embedding FROM item_embeddings WHERE space_id = $1")
                .bind(space.id)
                .fetch_all(pool)
                .await?;
        let dims = space.dimensions as usize;
        let mut m = SpaceMatrix {
            generation: space.generation,
            ids: Vec::with_capacity(rows.len()),
            data: Vec::with_capacity(rows.len() * dims),
            norms: Vec::with_capacity(rows.len()),
        };
        for (id, blob) in rows {
            let v = from_blob(&blob, dims)?;
            m.norms.push(dot(&v, &v).sqrt());
            m.ids.push(id);
            m.data.extend_from_slice(&v);
        }
        let m = Arc::new(m);
        if let Ok(mut cache) = self.embedding_cache.0.lock() {
            cache.insert(space.id, Arc::clone(&m));
        }
        Ok(m)
    }

    /// How Postgres runs [`Store::nearest_items`] for this space and metric (`EXPLAIN` output:
    /// it should name the space's HNSW index); `None` on SQLite, which always scans exactly.
    pub async fn nearest_items_plan(&self, space: &str, metric: Metric) -> Result<Option<String>> {
        let space = self.embedding_space(space).await?;
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(None);
        };
        let (sql, _) = nearest_sql(&space, metric);
        let probe = Vector::from(vec![1.0; space.dimensions as usize]);
        let lines: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
            .bind(probe)
            .bind(10_i64)
            .fetch_all(pool)
            .await?;
        Ok(Some(lines.join("\n")))
    }

    /// The `k` products nearest to a product's own vector, the product itself left out.
    pub async fn similar_items_by_embedding(
        &self,
        space: &str,
        product_id: i64,
        k: usize,
        metric: Metric,
    ) -> Result<Vec<(i64, f32)>> {
        let v = self
            .embedding(space, product_id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "embedding of product",
                id: format!("{product_id} in space '{space}'"),
            })?;
        self.nearest_items(space, &v, k, metric, &[product_id])
            .await
    }
}

/// The Postgres query for the nearest items of a space ($1 the query vector, $2 how many) and
/// how its distances become scores. The space's id and dimension are inlined (integers from our
/// own table) so that the planner can match the partial index's predicate and expression.
fn nearest_sql(space: &EmbeddingSpace, metric: Metric) -> (String, fn(f64) -> f64) {
    let (operator, to_score): (&str, fn(f64) -> f64) = match metric {
        Metric::Cosine => ("<=>", |d| 1.0 - d),
        Metric::InnerProduct => ("<#>", |d| -d),
    };
    let cast = format!("embedding::vector({})", space.dimensions);
    let sql = format!(
        "SELECT product_id, {cast} {operator} $1 FROM item_embeddings WHERE space_id = {} \
         ORDER BY {cast} {operator} $1 LIMIT $2",
        space.id
    );
    (sql, to_score)
}

/// The DDL of a space's two HNSW indexes: m = 16 (pgvector's default) and ef_construction = 128
/// (twice its default): on 100,000 ALS item vectors the default graph tops out near 0.92 cosine
/// recall@10 at ef_search 100, this one reaches 0.96 (`scripts/bench-store.sh`).
fn hnsw_indexes(space: &EmbeddingSpace) -> [String; 2] {
    let (id, dims) = (space.id, space.dimensions);
    [("cos", "vector_cosine_ops"), ("ip", "vector_ip_ops")].map(|(short, ops)| {
        format!(
            "CREATE INDEX IF NOT EXISTS item_embeddings_{short}_{id} ON item_embeddings \
             USING hnsw ((embedding::vector({dims})) {ops}) WITH (m = 16, ef_construction = 128) \
             WHERE space_id = {id}"
        )
    })
}
