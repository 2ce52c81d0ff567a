//! Upserts of records under the shop's keys, each call one transaction.

use std::collections::{HashMap, HashSet};

use sqlx::types::Json;

use super::{
    CategoryRecord, Counts, CustomerRecord, EventRecord, KeyKind, OrderRecord, ProductRecord,
};
use crate::error::{Result, StoreError};
use crate::shop::catalog::categories::ANCESTORS;
use crate::shop::catalog::products::{
    Product, ProductRow, product_columns, product_from_row, search_text,
};
use crate::shop::orders::{order_total, write_order};
use crate::shop::users::{Role, User, UserRow, user_columns, user_from_row};
use crate::store::{Store, with_pool, with_tx};
use crate::time::{Millis, now_ms};

/// Keys per `IN (...)` list: well under both backends' parameter limits.
const KEYS_PER_QUERY: usize = 1000;
/// Event rows per INSERT (5 parameters each).
const EVENTS_PER_INSERT: usize = 1000;
/// The key under which an order without a shop key is exported (and found again on import).
pub(crate) const OWN_ORDER_PREFIX: &str = "recsys-";

/// `SELECT <select> FROM <from> WHERE <column> IN (<keys>)` in chunks, the keys bound as
/// parameters; `$from`, `$column` and `$select` are SQL from this module, never caller text.
macro_rules! rows_by_keys {
    ($conn:expr, $row:ty, $select:expr, $from:expr, $column:expr, $keys:expr) => {{
        let mut rows: Vec<$row> = Vec::new();
        let keys: Vec<&str> = $keys;
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT {} FROM {} WHERE {} IN (",
                $select, $from, $column
            ));
            let mut list = q.separated(", ");
            for key in chunk {
                list.push_bind(*key);
            }
            q.push(")");
            rows.extend(q.build_query_as::<$row>().fetch_all(&mut *$conn).await?);
        }
        rows
    }};
}

/// The first key that appears twice among `keys`, as an `Invalid` error on `field`.
fn no_repeats<'a>(field: &'static str, keys: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashSet::new();
    for key in keys {
        if !seen.insert(key) {
            return Err(StoreError::invalid(
                field,
                format!("'{key}' appears more than once"),
            ));
        }
    }
    Ok(())
}

fn distinct<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    keys.filter(|k| seen.insert(*k)).collect()
}

/// Ids of the customers these keys name: a key is a customer's external id or, where no
/// customer has it as one, an e-mail address (compared lower-cased). Only customers (not
/// admins) are found.
macro_rules! customer_ids {
    ($conn:expr, $keys:expr) => {{
        let keys: Vec<&str> = $keys;
        let lowered: Vec<String> = keys.iter().map(|k| k.trim().to_lowercase()).collect();
        let by_external: Vec<(String, i64)> = rows_by_keys!(
            $conn,
            (String, i64),
            "external_id, id",
            "users",
            "role = 'user' AND external_id",
            keys.clone()
        );
        let by_email: Vec<(String, i64)> = rows_by_keys!(
            $conn,
            (String, i64),
            "email, id",
            "users",
            "role = 'user' AND email",
            lowered.iter().map(String::as_str).collect()
        );
        let by_external: HashMap<String, i64> = by_external.into_iter().collect();
        let by_email: HashMap<String, i64> = by_email.into_iter().collect();
        let mut ids: HashMap<String, i64> = HashMap::with_capacity(keys.len());
        for (key, low) in keys.iter().zip(&lowered) {
            if let Some(&id) = by_external.get(*key).or_else(|| by_email.get(low)) {
                ids.insert(key.to_string(), id);
            }
        }
        ids
    }};
}

/// Stored orders by the keys given: key -> (id, status). A key `recsys-<id>` names an order of
/// the shop's own checkout (which has no external id), as exports write it.
macro_rules! order_ids {
    ($conn:expr, $keys:expr) => {{
        let keys: Vec<&str> = $keys;
        let rows: Vec<(String, i64, String)> = rows_by_keys!(
            $conn,
            (String, i64, String),
            "external_id, id, status",
            "orders",
            "external_id",
            keys.clone()
        );
        let mut found: HashMap<String, (i64, String)> =
            rows.into_iter().map(|r| (r.0, (r.1, r.2))).collect();
        let own: Vec<String> = keys
            .iter()
            .filter(|k| !found.contains_key(**k))
            .filter_map(|k| k.strip_prefix(OWN_ORDER_PREFIX)?.parse::<i64>().ok())
            .map(|id| id.to_string())
            .collect();
        let rows: Vec<(i64, String)> = rows_by_keys!(
            $conn,
            (i64, String),
            "id, status",
            "orders",
            "external_id IS NULL AND CAST(id AS TEXT)",
            own.iter().map(String::as_str).collect()
        );
        found.extend(
            rows.into_iter()
                .map(|r| (format!("{OWN_ORDER_PREFIX}{}", r.0), r)),
        );
        found
    }};
}

impl Store {
    /// Which of these keys name a stored record of this kind.
    pub async fn existing_keys(&self, kind: KeyKind, keys: &[&str]) -> Result<HashSet<String>> {
        Ok(self.ids_by_keys(kind, keys).await?.into_keys().collect())
    }

    /// The ids of the stored records these keys name (keys that name none are left out).
    pub async fn ids_by_keys(&self, kind: KeyKind, keys: &[&str]) -> Result<HashMap<String, i64>> {
        let keys = distinct(keys.iter().copied());
        with_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            let found: Result<HashMap<String, i64>> = async {
                Ok(match kind {
                    KeyKind::Category => rows_by_keys!(conn, (String, i64), "slug, id", "categories", "slug", keys.clone())
                        .into_iter().collect(),
                    KeyKind::Product => rows_by_keys!(conn, (String, i64), "sku, id", "products", "sku", keys.clone())
                        .into_iter().collect(),
                    KeyKind::Customer => customer_ids!(conn, keys.clone()),
                    KeyKind::Order => order_ids!(conn, keys.clone()).into_iter().map(|(k, (id, _))| (k, id)).collect(),
                })
            }.await;
            found
        })
    }

    /// Creates or updates categories by key, in the order given: a parent must be stored
    /// already or come earlier in `records`. Moving a category under itself or one of its
    /// descendants is refused.
    pub async fn upsert_categories(&self, records: &[CategoryRecord]) -> Result<Counts> {
        for r in records {
            r.check()?;
        }
        no_repeats("key", records.iter().map(|r| r.key.as_str()))?;
        let now = now_ms();
        with_tx!(self, tx => {
            let mut counts = Counts::default();
            for r in records {
                let parent_id: Option<i64> = match &r.parent {
                    None => None,
                    Some(parent) => Some(
                        sqlx::query_scalar("SELECT id FROM categories WHERE slug = $1")
                            .bind(parent).fetch_optional(&mut *tx).await?
                            .ok_or_else(|| StoreError::invalid("parent", format!("no category has the key '{parent}'")))?,
                    ),
                };
                let current: Option<(i64, String, Option<i64>)> =
                    sqlx::query_as("SELECT id, name, parent_id FROM categories WHERE slug = $1")
                        .bind(&r.key).fetch_optional(&mut *tx).await?;
                match current {
                    None => {
                        sqlx::query("INSERT INTO categories (name, slug, parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
                            .bind(&r.name).bind(&r.key).bind(parent_id).bind(now).execute(&mut *tx).await?;
                        counts.created += 1;
                    }
                    Some((_, name, parent)) if name == r.name && parent == parent_id => counts.unchanged += 1,
                    Some((id, _, _)) => {
                        if let Some(parent) = parent_id {
                            let ancestors: Vec<i64> = sqlx::query_scalar(ANCESTORS)
                                .bind(parent).fetch_all(&mut *tx).await?;
                            if ancestors.contains(&id) {
                                return Err(StoreError::invalid("parent", format!(
                                    "'{}' is '{}' itself or below it: that would make a cycle",
                                    r.parent.as_deref().unwrap_or_default(), r.key)));
                            }
                        }
                        sqlx::query("UPDATE categories SET name = $2, parent_id = $3, updated_at = $4 WHERE id = $1")
                            .bind(id).bind(&r.name).bind(parent_id).bind(now).execute(&mut *tx).await?;
                        counts.updated += 1;
                    }
                }
            }
            Ok(counts)
        })
    }

    /// Creates or updates products by sku. Every category named must be stored. A stored
    /// product takes every field of its record (stock too: the shop's number is the truth);
    /// `created_at` only where the record has one.
    pub async fn upsert_products(&self, records: &[ProductRecord]) -> Result<Counts> {
        for r in records {
            r.check()?;
        }
        no_repeats("sku", records.iter().map(|r| r.sku.as_str()))?;
        let now = now_ms();
        with_tx!(self, tx => {
            let categories: HashMap<String, i64> = rows_by_keys!(tx, (String, i64), "slug, id", "categories", "slug",
                distinct(records.iter().filter_map(|r| r.category.as_deref()))).into_iter().collect();
            let stored: HashMap<String, Product> = rows_by_keys!(tx, ProductRow, product_columns!(),
                "products", "sku", records.iter().map(|r| r.sku.as_str()).collect())
                .into_iter().map(|r| (r.1.clone(), product_from_row(r))).collect();
            let mut counts = Counts::default();
            let mut new = Vec::new();
            for r in records {
                let category_id = match &r.category {
                    None => None,
                    Some(key) => Some(*categories.get(key).ok_or_else(|| {
                        StoreError::invalid("category", format!("no category has the key '{key}'"))
                    })?),
                };
                let Some(s) = stored.get(&r.sku) else {
                    new.push((r, category_id));
                    continue;
                };
                let created_at = r.created_at.unwrap_or(s.created_at);
                let image_url = r.image_url.as_ref().or(s.image_url.as_ref());
                if (&s.name, &s.description, s.category_id, s.price_cents, s.stock, s.active, &s.attributes, s.image_url.as_ref(), s.created_at)
                    == (&r.name, &r.description, category_id, r.price_cents, r.stock, r.active, &r.attributes, image_url, created_at)
                {
                    counts.unchanged += 1;
                    continue;
                }
                sqlx::query(
                    "UPDATE products SET name = $2, description = $3, category_id = $4, price_cents = $5, stock = $6, \
                     active = $7, attributes = $8, search_text = $9, created_at = $10, updated_at = $11, image_url = $12 WHERE id = $1")
                    .bind(s.id).bind(&r.name).bind(&r.description).bind(category_id).bind(r.price_cents).bind(r.stock)
                    .bind(r.active).bind(Json(&r.attributes)).bind(search_text(&r.sku, &r.name, &r.description))
                    .bind(created_at).bind(now).bind(image_url)
                    .execute(&mut *tx).await?;
                counts.updated += 1;
            }
            // 12 parameters a row
            for chunk in new.chunks(KEYS_PER_QUERY / 2) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO products (sku, name, description, category_id, price_cents, stock, active, \
                     attributes, image_url, search_text, created_at, updated_at) ");
                insert.push_values(chunk, |mut row, (r, category_id)| {
                    row.push_bind(&r.sku).push_bind(&r.name).push_bind(&r.description).push_bind(*category_id)
                        .push_bind(r.price_cents).push_bind(r.stock).push_bind(r.active).push_bind(Json(&r.attributes))
                        .push_bind(&r.image_url).push_bind(search_text(&r.sku, &r.name, &r.description))
                        .push_bind(r.created_at.unwrap_or(now)).push_bind(now);
                });
                insert.build().execute(&mut *tx).await?;
            }
            counts.created += new.len() as u64;
            Ok(counts)
        })
    }

    /// Unlists (deactivates) every active product whose sku is not in `keep`: what a full
    /// catalog file says about the products it leaves out. Returns how many were unlisted.
    pub async fn deactivate_products_except(&self, keep: &HashSet<String>) -> Result<u64> {
        let active: Vec<String> = with_pool!(self, pool => sqlx::query_scalar("SELECT sku FROM products WHERE active")
            .fetch_all(pool).await)?;
        let gone: Vec<&str> = active
            .iter()
            .map(String::as_str)
            .filter(|s| !keep.contains(*s))
            .collect();
        let now = now_ms();
        with_tx!(self, tx => {
            let mut n = 0;
            for chunk in gone.chunks(KEYS_PER_QUERY) {
                let mut q = sqlx::QueryBuilder::new("UPDATE products SET active = FALSE, updated_at = ");
                q.push_bind(now).push(" WHERE active AND sku IN (");
                let mut list = q.separated(", ");
                for sku in chunk {
                    list.push_bind(*sku);
                }
                q.push(")");
                n += q.build().execute(&mut *tx).await?.rows_affected();
            }
            Ok(n)
        })
    }

    /// Creates or updates customers by key (external id, or e-mail where the record has none).
    /// A record with an external id that no customer has yet takes over the customer with its
    /// e-mail address if that one has no external id (a customer who signed up in the shop
    /// before the import); an address that belongs to another customer is a conflict. A record
    /// without an address keeps the stored one (a new customer gets [`super::placeholder_email`]).
    pub async fn upsert_customers(&self, records: &[CustomerRecord]) -> Result<Counts> {
        for r in records {
            r.check()?;
        }
        let keys: Vec<String> = records.iter().map(CustomerRecord::key).collect();
        let emails: Vec<Option<String>> = records
            .iter()
            .map(|r| r.email.as_ref().map(|e| e.trim().to_lowercase()))
            .collect();
        no_repeats("external_id", keys.iter().map(String::as_str))?;
        no_repeats("email", emails.iter().flatten().map(String::as_str))?;
        let now = now_ms();
        with_tx!(self, tx => {
            let by_external: HashMap<String, User> = rows_by_keys!(tx, UserRow, user_columns!(), "users", "external_id",
                records.iter().filter_map(|r| r.external_id.as_deref()).collect())
                .into_iter().map(|r| user_from_row(r).map(|u| (u.external_id.clone().unwrap_or_default(), u)))
                .collect::<Result<_>>()?;
            let by_email: HashMap<String, User> = rows_by_keys!(tx, UserRow, user_columns!(), "users", "email",
                emails.iter().flatten().map(String::as_str).collect())
                .into_iter().map(|r| user_from_row(r).map(|u| (u.email.clone(), u))).collect::<Result<_>>()?;
            let name = |u: &User| u.external_id.clone().unwrap_or_else(|| u.email.clone());
            let mut counts = Counts::default();
            let mut new = Vec::new();
            for (r, email) in records.iter().zip(&emails) {
                let holder = email.as_ref().and_then(|e| by_email.get(e));
                let stored = match &r.external_id {
                    Some(id) => by_external.get(id).or_else(|| holder.filter(|s| s.external_id.is_none())),
                    None => holder,
                };
                let Some(s) = stored else {
                    if let (Some(other), Some(email)) = (holder, email) {
                        return Err(StoreError::invalid("email", format!(
                            "'{email}' belongs to the customer '{}'", name(other))));
                    }
                    let email = match (email, &r.external_id) {
                        (Some(e), _) => e.clone(),
                        (None, Some(id)) => super::placeholder_email(id),
                        (None, None) => unreachable!("checked: a customer has a key"),
                    };
                    new.push((r, email));
                    continue;
                };
                if s.role != Role::User {
                    return Err(StoreError::invalid("email", format!("'{}' is an admin account, not a customer", s.email)));
                }
                if let (Some(other), Some(email)) = (holder.filter(|o| o.id != s.id), email) {
                    return Err(StoreError::invalid("email", format!(
                        "'{email}' belongs to another customer ('{}')", name(other))));
                }
                let email = email.as_deref().unwrap_or(&s.email);
                // a stored password is never replaced by the file's
                let hash = s.password_hash.as_ref().or(r.password_hash.as_ref()).map_or("", |h| h.as_str());
                let created_at = r.created_at.unwrap_or(s.created_at);
                // a record keyed by e-mail leaves the customer's external id as it is
                let external_id = r.external_id.as_ref().or(s.external_id.as_ref());
                let stored_hash = s.password_hash.as_ref().map_or("", |h| h.as_str());
                if (s.external_id.as_ref(), s.email.as_str(), stored_hash, s.display_name.as_str(), s.active, s.created_at)
                    == (external_id, email, hash, r.name.as_str(), r.active, created_at)
                {
                    counts.unchanged += 1;
                    continue;
                }
                sqlx::query("UPDATE users SET external_id = $2, email = $3, password_hash = $4, display_name = $5, \
                             active = $6, created_at = $7, updated_at = $8 WHERE id = $1")
                    .bind(s.id).bind(external_id).bind(email).bind(hash).bind(&r.name).bind(r.active)
                    .bind(created_at).bind(now)
                    .execute(&mut *tx).await?;
                counts.updated += 1;
            }
            // 8 parameters a row
            for chunk in new.chunks(KEYS_PER_QUERY / 2) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO users (email, password_hash, display_name, role, active, created_at, updated_at, external_id) ");
                insert.push_values(chunk, |mut row, (r, email)| {
                    row.push_bind(email.as_str())
                        .push_bind(r.password_hash.as_ref().map_or("", |h| h.as_str()))
                        .push_bind(&r.name).push("'user'").push_bind(r.active)
                        .push_bind(r.created_at.unwrap_or(now)).push_bind(now).push_bind(&r.external_id);
                });
                insert.build().execute(&mut *tx).await?;
            }
            counts.created += new.len() as u64;
            Ok(counts)
        })
    }

    /// Creates or updates orders by external id. A new order is stored with its time, status
    /// and lines (at the record's unit prices, or the products' current ones), a `purchase`
    /// event per line at the order's time, and no change to stock. A stored order takes the
    /// record's status; its lines must be the stored ones.
    pub async fn upsert_orders(&self, records: &[OrderRecord]) -> Result<Counts> {
        for r in records {
            r.check()?;
        }
        no_repeats(
            "external_id",
            records.iter().map(|r| r.external_id.as_str()),
        )?;
        let now = now_ms();
        with_tx!(self, tx => {
            let stored = order_ids!(tx, records.iter().map(|r| r.external_id.as_str()).collect());
            let customers = customer_ids!(tx, distinct(records.iter().map(|r| r.customer.as_str())));
            type ProductRow = (String, i64, String, i64);
            let products: HashMap<String, ProductRow> = rows_by_keys!(tx, ProductRow, "sku, id, name, price_cents", "products", "sku",
                distinct(records.iter().flat_map(|r| r.lines.iter().map(|l| l.sku.as_str()))))
                .into_iter().map(|r| (r.0.clone(), r)).collect();
            // the lines of the stored orders among them, in one query per thousand orders
            // (not one per order: a re-import of a year of orders reads them all)
            let stored_ids: Vec<i64> = stored.values().map(|(id, _)| *id).collect();
            let mut held_lines: HashMap<i64, Vec<(i64, i64, i64, i64)>> = HashMap::new();
            for chunk in stored_ids.chunks(KEYS_PER_QUERY) {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT l.order_id, l.product_id, l.unit_price_cents, l.quantity, o.user_id \
                     FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.order_id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(")");
                let rows: Vec<(i64, i64, i64, i64, i64)> = q.build_query_as().fetch_all(&mut *tx).await?;
                for (order, product, price, quantity, user) in rows {
                    held_lines.entry(order).or_default().push((product, price, quantity, user));
                }
            }
            for lines in held_lines.values_mut() {
                lines.sort_unstable();
            }
            let mut counts = Counts::default();
            for r in records {
                let user_id = *customers.get(&r.customer).ok_or_else(|| {
                    StoreError::invalid("customer", format!("no customer has the key '{}'", r.customer))
                })?;
                // (product id, sku, name, unit price, quantity), one line per product, and
                // whether the record gave that price (a line without one matches any paid price)
                let mut lines: Vec<(i64, String, String, i64, i64)> = Vec::with_capacity(r.lines.len());
                let mut priced: Vec<bool> = Vec::with_capacity(r.lines.len());
                for l in &r.lines {
                    let (_, id, name, price) = products.get(&l.sku).ok_or_else(|| {
                        StoreError::invalid("sku", format!("no product has the sku '{}'", l.sku))
                    })?;
                    let price = l.unit_price_cents.unwrap_or(*price);
                    match lines.iter().position(|x| x.0 == *id) {
                        Some(i) if lines[i].3 == price => {
                            lines[i].4 += l.quantity;
                            priced[i] &= l.unit_price_cents.is_some();
                        }
                        Some(_) => return Err(StoreError::invalid("unit_price_cents", format!(
                            "order '{}' has the sku '{}' twice at different prices", r.external_id, l.sku))),
                        None => {
                            lines.push((*id, l.sku.clone(), name.clone(), price, l.quantity));
                            priced.push(l.unit_price_cents.is_some());
                        }
                    }
                }
                let mut order: Vec<usize> = (0..lines.len()).collect();
                order.sort_by_key(|&i| lines[i].0);
                let lines: Vec<_> = order.iter().map(|&i| lines[i].clone()).collect();
                let priced: Vec<bool> = order.iter().map(|&i| priced[i]).collect();
                match stored.get(&r.external_id) {
                    Some((id, status)) => {
                        let held = held_lines.get(id).map_or(&[][..], Vec::as_slice);
                        let same_lines = held.len() == lines.len()
                            && held.iter().zip(&lines).zip(&priced).all(|((h, l), &priced)| {
                                h.0 == l.0 && h.2 == l.4 && (!priced || h.1 == l.3)
                            });
                        if !same_lines {
                            return Err(StoreError::invalid("lines", format!(
                                "order '{}' is stored with other lines; the lines of a stored order cannot change", r.external_id)));
                        }
                        if held.iter().any(|h| h.3 != user_id) {
                            return Err(StoreError::invalid("customer", format!(
                                "order '{}' is stored for another customer", r.external_id)));
                        }
                        if status == r.status.as_str() {
                            counts.unchanged += 1;
                        } else {
                            sqlx::query("UPDATE orders SET status = $2, updated_at = $3 WHERE id = $1")
                                .bind(id).bind(r.status.as_str()).bind(now).execute(&mut *tx).await?;
                            counts.updated += 1;
                        }
                    }
                    None => {
                        let order_id = write_order!(tx, user_id, r.status, r.created_at, &lines);
                        sqlx::query("UPDATE orders SET external_id = $2 WHERE id = $1")
                            .bind(order_id).bind(&r.external_id).execute(&mut *tx).await?;
                        counts.created += 1;
                    }
                }
            }
            Ok(counts)
        })
    }

    /// Stores events under the shop's keys. An event equal in customer, product, kind and time
    /// to a stored one is not stored again (counted unchanged), so a file imported twice, or
    /// an export imported back, adds nothing; its value is not compared.
    pub async fn import_events(&self, records: &[EventRecord]) -> Result<Counts> {
        for r in records {
            r.check()?;
        }
        with_tx!(self, tx => {
            let customers = customer_ids!(tx, distinct(records.iter().map(|r| r.customer.as_str())));
            let products: HashMap<String, i64> = rows_by_keys!(tx, (String, i64), "sku, id", "products", "sku",
                distinct(records.iter().map(|r| r.sku.as_str()))).into_iter().collect();
            let mut seen = HashSet::with_capacity(records.len());
            let mut rows = Vec::with_capacity(records.len());
            for r in records {
                let user = *customers.get(&r.customer).ok_or_else(|| {
                    StoreError::invalid("customer", format!("no customer has the key '{}'", r.customer))
                })?;
                let product = *products.get(&r.sku).ok_or_else(|| {
                    StoreError::invalid("sku", format!("no product has the sku '{}'", r.sku))
                })?;
                if seen.insert((user, product, r.kind, r.at)) {
                    rows.push((user, product, r.kind.as_str(), r.value, r.at));
                }
            }
            let mut created = 0;
            for chunk in rows.chunks(EVENTS_PER_INSERT) {
                let mut q = sqlx::QueryBuilder::new("WITH v(user_id, product_id, kind, value, at) AS (");
                q.push_values(chunk, |mut row, e| {
                    row.push_bind(e.0).push_bind(e.1).push_bind(e.2).push_bind(e.3).push_bind(e.4);
                });
                q.push(") INSERT INTO events (user_id, product_id, kind, value, at) \
                        SELECT v.user_id, v.product_id, v.kind, v.value, v.at FROM v WHERE NOT EXISTS ( \
                          SELECT 1 FROM events e WHERE e.user_id = v.user_id AND e.at = v.at \
                          AND e.product_id = v.product_id AND e.kind = v.kind)");
                created += q.build().execute(&mut *tx).await?.rows_affected();
            }
            Ok(Counts { created, updated: 0, unchanged: records.len() as u64 - created })
        })
    }
}
