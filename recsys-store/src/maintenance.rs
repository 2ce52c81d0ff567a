//! Keeping a database safe: an online backup of an embedded (SQLite) database while the shop
//! keeps serving, and an integrity check of what a shop cannot lose (every order adds up from
//! its lines, no stock below zero, the database file itself sound). A PostgreSQL database is
//! backed up with `pg_dump` ([`POSTGRES_BACKUP`]); the check runs on both.

use std::path::Path;

use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::store::{Backend, Store, with_pool};

/// How a PostgreSQL database is backed up and restored (the same flags the deploy guide gives).
pub const POSTGRES_BACKUP: &str = "pg_dump --format=custom --no-owner --no-privileges \
     --file=shop.dump \"$RECSYS_DATABASE_URL\"   # restore into an empty database: \
     pg_restore --no-owner --no-privileges --exit-on-error --dbname=\"$NEW_DATABASE_URL\" shop.dump";

/// What an integrity check found. Each count is of records that are wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IntegrityReport {
    pub orders: i64,
    pub products: i64,
    /// Orders with no lines, or whose total or item count is not their lines' sum.
    pub orders_not_adding_up: i64,
    /// Products with stock below zero.
    pub negative_stock: i64,
    /// What the database engine's own check reported (SQLite's `integrity_check` and
    /// `foreign_key_check`), empty when sound.
    pub engine_problems: Vec<String>,
}

impl IntegrityReport {
    pub fn is_sound(&self) -> bool {
        self.orders_not_adding_up == 0
            && self.negative_stock == 0
            && self.engine_problems.is_empty()
    }
}

impl Store {
    /// Writes a consistent copy of this SQLite database to `to` while others keep reading and
    /// writing (`VACUUM INTO`: one read transaction, so the copy is the database at one moment,
    /// compacted). `to` must not exist. PostgreSQL: `Config` error naming `pg_dump`.
    pub async fn backup_to(&self, to: &Path) -> Result<()> {
        let Backend::Sqlite(pool) = &self.backend else {
            return Err(StoreError::Config(format!(
                "a PostgreSQL database is backed up with pg_dump: {POSTGRES_BACKUP}"
            )));
        };
        if to.exists() {
            return Err(StoreError::invalid(
                "to",
                format!("{} exists already: a backup never overwrites", to.display()),
            ));
        }
        let target = to.to_str().ok_or_else(|| {
            StoreError::invalid("to", format!("{} is not a UTF-8 path", to.display()))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Checks what a shop cannot lose; see [`IntegrityReport`].
    pub async fn check_integrity(&self) -> Result<IntegrityReport> {
        let orders: i64 = with_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM orders")
            .fetch_one(pool).await)?;
        let products: i64 = with_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM products")
            .fetch_one(pool).await)?;
        let orders_not_adding_up: i64 = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM orders o LEFT JOIN \
               (SELECT order_id, SUM(unit_price_cents * quantity) AS total, SUM(quantity) AS units \
                  FROM order_lines GROUP BY order_id) l ON l.order_id = o.id \
             WHERE l.order_id IS NULL OR l.total <> o.total_cents OR l.units <> o.item_count")
            .fetch_one(pool).await)?;
        let negative_stock: i64 = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM products WHERE stock < 0")
            .fetch_one(pool).await)?;
        let mut engine_problems = Vec::new();
        if let Backend::Sqlite(pool) = &self.backend {
            let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(pool)
                .await?;
            engine_problems.extend(rows.into_iter().filter(|r| r != "ok"));
            let broken: Vec<(String, Option<i64>, String)> =
                sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
                    .fetch_all(pool)
                    .await?;
            engine_problems.extend(broken.into_iter().map(|(table, row, parent)| {
                format!("{table} row {row:?} refers to a missing {parent}")
            }));
        }
        Ok(IntegrityReport {
            orders,
            products,
            orders_not_adding_up,
            negative_stock,
            engine_problems,
        })
    }
}
