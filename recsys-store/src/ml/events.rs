//! Interaction events: the implicit feedback (views, clicks, cart adds, purchases, ratings) the
//! models train on. Ingest is in batches; training reads them back as weighted triples.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::store::{Backend, Store, sql_id_list, with_pool};
use crate::time::{Millis, now_ms};
use crate::validate;

/// What the user did with the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    View,
    Click,
    AddToCart,
    Purchase,
    Rating,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::View,
        EventKind::Click,
        EventKind::AddToCart,
        EventKind::Purchase,
        EventKind::Rating,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::View => "view",
            EventKind::Click => "click",
            EventKind::AddToCart => "add_to_cart",
            EventKind::Purchase => "purchase",
            EventKind::Rating => "rating",
        }
    }

    /// The kind with this name (`view`, `add_to_cart`, ...), if any.
    pub fn from_name(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub(crate) fn parse(s: &str) -> Result<EventKind> {
        EventKind::from_name(s).ok_or_else(|| StoreError::Corrupt {
            what: "events.kind".into(),
            reason: format!("unknown kind '{s}'"),
        })
    }
}

/// An event to record. `value` is 1 for a plain view or click, the quantity for cart adds and
/// purchases, the rating for ratings; `at` defaults to now.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub user_id: i64,
    pub product_id: i64,
    pub kind: EventKind,
    pub value: f64,
    pub at: Option<Millis>,
}

impl NewEvent {
    pub fn new(user_id: i64, product_id: i64, kind: EventKind, value: f64) -> NewEvent {
        NewEvent {
            user_id,
            product_id,
            kind,
            value,
            at: None,
        }
    }

    pub fn at(mut self, at: Millis) -> NewEvent {
        self.at = Some(at);
        self
    }
}

/// A recorded event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub id: i64,
    pub user_id: i64,
    pub product_id: i64,
    pub kind: EventKind,
    pub value: f64,
    pub at: Millis,
}

/// How much each kind of event counts towards a (user, product) training strength:
/// `strength = sum over events of weight(kind) * value`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EventWeights {
    pub view: f64,
    pub click: f64,
    pub add_to_cart: f64,
    pub purchase: f64,
    pub rating: f64,
}

impl Default for EventWeights {
    /// view 1, click 2, add to cart 4, purchase 8, rating 1 (times the rating).
    fn default() -> Self {
        EventWeights {
            view: 1.0,
            click: 2.0,
            add_to_cart: 4.0,
            purchase: 8.0,
            rating: 1.0,
        }
    }
}

impl EventWeights {
    fn check(&self) -> Result<()> {
        for (field, w) in [
            ("weights.view", self.view),
            ("weights.click", self.click),
            ("weights.add_to_cart", self.add_to_cart),
            ("weights.purchase", self.purchase),
            ("weights.rating", self.rating),
        ] {
            validate::finite_at_least(field, w, 0.0)?;
        }
        Ok(())
    }
}

/// Rows per multi-row INSERT on SQLite (5 parameters each, well under its 32,766 limit).
const SQLITE_ROWS_PER_INSERT: usize = 1000;
/// Ids per existence check.
const IDS_PER_CHECK: usize = 1000;

/// The SQL of a (user, product) pair's strength: its events' values weighted by kind, the
/// weights bound as `$1` to `$5` (view, click, add_to_cart, purchase, rating), in the order
/// [`EventWeights`] lists them. One text for every query that weighs events.
macro_rules! weighted_strength {
    () => {
        "CAST(SUM(value * CASE kind \
         WHEN 'view' THEN $1 WHEN 'click' THEN $2 WHEN 'add_to_cart' THEN $3 \
         WHEN 'purchase' THEN $4 ELSE $5 END) AS DOUBLE PRECISION)"
    };
}

impl Store {
    /// Records a batch of events atomically: all of them or, on any error, none. Every user and
    /// product must exist (the first unknown id is named); values must be finite and >= 0.
    /// Returns the number of events stored. Postgres takes the batch in one `COPY` (a single
    /// statement, so atomic); SQLite as multi-row inserts in one transaction.
    pub async fn record_events(&self, events: &[NewEvent]) -> Result<u64> {
        if events.is_empty() {
            return Ok(0);
        }
        let now = now_ms();
        for (i, e) in events.iter().enumerate() {
            if !e.value.is_finite() || e.value < 0.0 {
                return Err(StoreError::invalid(
                    "value",
                    format!("event {i}: must be a finite number >= 0, got {}", e.value),
                ));
            }
            if let Some(at) = e.at
                && at < 0
            {
                return Err(StoreError::invalid(
                    "at",
                    format!("event {i}: must be >= 0 ms since the epoch, got {at}"),
                ));
            }
        }
        let users: BTreeSet<i64> = events.iter().map(|e| e.user_id).collect();
        let products: BTreeSet<i64> = events.iter().map(|e| e.product_id).collect();
        self.check_ids_exist("users", "user", &users).await?;
        self.check_ids_exist("products", "product", &products)
            .await?;

        match &self.backend {
            Backend::Postgres(pool) => {
                // COPY is Postgres's bulk path: one stream, no per-row statement or parameters
                let mut data = String::with_capacity(events.len() * 40);
                for e in events {
                    use std::fmt::Write as _;
                    let _ = writeln!(
                        data,
                        "{}\t{}\t{}\t{}\t{}",
                        e.user_id,
                        e.product_id,
                        e.kind.as_str(),
                        e.value,
                        e.at.unwrap_or(now)
                    );
                }
                let mut conn = pool.acquire().await?;
                let mut copy = conn
                    .copy_in_raw("COPY events (user_id, product_id, kind, value, at) FROM STDIN")
                    .await?;
                copy.send(data.into_bytes()).await?;
                copy.finish().await?;
            }
            Backend::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                for chunk in events.chunks(SQLITE_ROWS_PER_INSERT) {
                    let mut builder = sqlx::QueryBuilder::new(
                        "INSERT INTO events (user_id, product_id, kind, value, at) ",
                    );
                    builder.push_values(chunk, |mut row, e| {
                        row.push_bind(e.user_id)
                            .push_bind(e.product_id)
                            .push_bind(e.kind.as_str())
                            .push_bind(e.value)
                            .push_bind(e.at.unwrap_or(now));
                    });
                    builder.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(events.len() as u64)
    }

    /// Fails with `NotFound` naming the first id in `ids` that has no row in `table`.
    pub(crate) async fn check_ids_exist(
        &self,
        table: &'static str,
        entity: &'static str,
        ids: &BTreeSet<i64>,
    ) -> Result<()> {
        let ids: Vec<i64> = ids.iter().copied().collect();
        for chunk in ids.chunks(IDS_PER_CHECK) {
            // a table name from our own code and integer ids
            let list = sql_id_list(chunk.iter().copied());
            let sql = format!("SELECT id FROM {table} WHERE id IN ({list})");
            let found: Vec<i64> = with_pool!(self, pool => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await)?;
            if found.len() != chunk.len() {
                let found: BTreeSet<i64> = found.into_iter().collect();
                if let Some(missing) = chunk.iter().find(|id| !found.contains(id)) {
                    return Err(StoreError::not_found(entity, missing));
                }
            }
        }
        Ok(())
    }

    /// A user's events, newest first.
    pub async fn user_events(&self, user_id: i64, limit: i64) -> Result<Vec<StoredEvent>> {
        crate::page::Page::new(limit, 0).check()?;
        let rows: Vec<(i64, i64, i64, String, f64, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, user_id, product_id, kind, value, at FROM events WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
            .bind(user_id).bind(limit).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| {
                Ok(StoredEvent {
                    id: r.0,
                    user_id: r.1,
                    product_id: r.2,
                    kind: EventKind::parse(&r.3)?,
                    value: r.4,
                    at: r.5,
                })
            })
            .collect()
    }

    /// The number of events stored at or after `since`.
    pub async fn count_events_since(&self, since: Millis) -> Result<i64> {
        Ok(
            with_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE at >= $1")
            .bind(since).fetch_one(pool).await)?,
        )
    }

    /// The number of stored events.
    pub async fn count_events(&self) -> Result<i64> {
        Ok(
            with_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(pool).await)?,
        )
    }

    /// Every (user, product) pair with events at or after `since` (all when `None`), with its
    /// weighted strength, ordered by user and product. Pairs whose strength is 0 are left out.
    pub async fn interaction_triples(
        &self,
        weights: &EventWeights,
        since: Option<Millis>,
    ) -> Result<Vec<(i64, i64, f32)>> {
        weights.check()?;
        let rows: Vec<(i64, i64, f64)> = with_pool!(self, pool => sqlx::query_as(
            concat!("SELECT user_id, product_id, ", weighted_strength!(), " AS strength \
             FROM events WHERE ($6 IS NULL OR at >= $6) \
             GROUP BY user_id, product_id ORDER BY user_id, product_id"))
            .bind(weights.view).bind(weights.click).bind(weights.add_to_cart).bind(weights.purchase).bind(weights.rating)
            .bind(since)
            .fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .filter(|r| r.2 > 0.0)
            .map(|(u, p, s)| (u, p, s as f32))
            .collect())
    }

    /// One user's interactions, weighed as [`Store::interaction_triples`] weighs them: each
    /// product with its strength, by product id, those with a strength of 0 left out. What a
    /// recommendation for this user filters and builds a profile from (one indexed read, so
    /// no replica keeps every customer's history in memory).
    pub async fn user_interactions(
        &self,
        user_id: i64,
        weights: &EventWeights,
    ) -> Result<Vec<(i64, f32)>> {
        weights.check()?;
        let rows: Vec<(i64, f64)> = with_pool!(self, pool => sqlx::query_as(
            concat!("SELECT product_id, ", weighted_strength!(), " AS strength \
             FROM events WHERE user_id = $6 GROUP BY product_id ORDER BY product_id"))
            .bind(weights.view).bind(weights.click).bind(weights.add_to_cart).bind(weights.purchase).bind(weights.rating)
            .bind(user_id)
            .fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .filter(|r| r.1 > 0.0)
            .map(|(p, s)| (p, s as f32))
            .collect())
    }

    /// The training matrix of [`Store::interactions`] (all events) and, for each of its
    /// `(user, product)` pairs, the time of the pair's newest event: what a hold-out of the
    /// newest interactions (`recsys_core::eval::newest_split`) needs.
    pub async fn timed_interactions(
        &self,
        weights: &EventWeights,
    ) -> Result<(recsys_core::Interactions, Vec<(i64, i64, Millis)>)> {
        weights.check()?;
        let rows: Vec<(i64, i64, f64, i64)> = with_pool!(self, pool => sqlx::query_as(
            concat!("SELECT user_id, product_id, ", weighted_strength!(), " AS strength, MAX(at) \
             FROM events GROUP BY user_id, product_id ORDER BY user_id, product_id"))
            .bind(weights.view).bind(weights.click).bind(weights.add_to_cart).bind(weights.purchase).bind(weights.rating)
            .fetch_all(pool).await)?;
        let rows: Vec<(i64, i64, f64, i64)> = rows.into_iter().filter(|r| r.2 > 0.0).collect();
        let data = recsys_core::Interactions::from_triples(
            rows.iter().map(|&(u, p, s, _)| (u, p, s as f32)),
        )?;
        let times = rows.into_iter().map(|(u, p, _, at)| (u, p, at)).collect();
        Ok((data, times))
    }

    /// The training matrix: [`Store::interaction_triples`] as core `Interactions`, with the
    /// store's user and product ids as the model's ids.
    pub async fn interactions(
        &self,
        weights: &EventWeights,
        since: Option<Millis>,
    ) -> Result<recsys_core::Interactions> {
        let triples = self.interaction_triples(weights, since).await?;
        Ok(recsys_core::Interactions::from_triples(triples)?)
    }
}
