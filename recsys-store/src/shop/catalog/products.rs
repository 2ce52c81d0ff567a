//! Products: the catalog's items, listed and filtered (a category's whole subtree, text,
//! price, stock), and written so that no write ever sets a stock it did not change.

use serde::{Deserialize, Serialize};
use sqlx::types::Json;

use crate::error::{Result, StoreError};
use crate::page::{Page, Paged};
use crate::store::{Store, sql_id_list, with_pool, with_tx};
use crate::time::{Millis, now_ms};
use crate::validate;

/// A product in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    /// Unique stock-keeping unit.
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category_id: Option<i64>,
    pub price_cents: i64,
    pub stock: i64,
    /// Inactive products stay in orders and history but are not sold or recommended.
    pub active: bool,
    /// Free-form attributes (a JSON object): brand, colour, size, ...
    pub attributes: serde_json::Value,
    /// Its picture: `/images/<sha256>.<ext>` (stored by the server) or the shop's https address.
    pub image_url: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A product to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category_id: Option<i64>,
    pub price_cents: i64,
    pub stock: i64,
    pub attributes: serde_json::Value,
    /// Its picture (see [`Product::image_url`]).
    #[serde(default)]
    pub image_url: Option<String>,
}

impl NewProduct {
    /// A product with no description, category or attributes.
    pub fn new(
        sku: impl Into<String>,
        name: impl Into<String>,
        price_cents: i64,
        stock: i64,
    ) -> NewProduct {
        NewProduct {
            sku: sku.into(),
            name: name.into(),
            description: String::new(),
            category_id: None,
            price_cents,
            stock,
            attributes: serde_json::json!({}),
            image_url: None,
        }
    }
}

/// Product fields to change; `None` leaves a field as it is, `category_id: Some(None)` removes
/// the category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductUpdate {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<Option<i64>>,
    pub price_cents: Option<i64>,
    pub stock: Option<i64>,
    pub active: Option<bool>,
    pub attributes: Option<serde_json::Value>,
    /// `Some(None)` removes the picture.
    pub image_url: Option<Option<String>>,
}

/// Order of a product listing. Ties are broken by id, so pages never overlap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProductSort {
    #[default]
    Newest,
    Oldest,
    PriceAsc,
    PriceDesc,
    Name,
}

impl ProductSort {
    fn order_by(self) -> &'static str {
        match self {
            ProductSort::Newest => "created_at DESC, id DESC",
            ProductSort::Oldest => "created_at ASC, id ASC",
            ProductSort::PriceAsc => "price_cents ASC, id ASC",
            ProductSort::PriceDesc => "price_cents DESC, id ASC",
            ProductSort::Name => "name ASC, id ASC",
        }
    }
}

/// Which products to list. Every condition that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductQuery {
    /// In this category or any category below it.
    pub category_id: Option<i64>,
    /// Case-insensitive substring of the sku, name or description.
    pub text: Option<String>,
    pub min_price_cents: Option<i64>,
    pub max_price_cents: Option<i64>,
    pub active: Option<bool>,
    /// Only products with stock > 0.
    pub in_stock: bool,
    pub sort: ProductSort,
}

pub(crate) type ProductRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    i64,
    i64,
    bool,
    Json<serde_json::Value>,
    Option<String>,
    i64,
    i64,
);

macro_rules! product_columns {
    () => {
        "id, sku, name, description, category_id, price_cents, stock, active, attributes, image_url, created_at, updated_at"
    };
}
pub(crate) use product_columns;

pub(crate) fn product_from_row(r: ProductRow) -> Product {
    Product {
        id: r.0,
        sku: r.1,
        name: r.2,
        description: r.3,
        category_id: r.4,
        price_cents: r.5,
        stock: r.6,
        active: r.7,
        attributes: r.8.0,
        image_url: r.9,
        created_at: r.10,
        updated_at: r.11,
    }
}

pub(crate) fn search_text(sku: &str, name: &str, description: &str) -> String {
    format!("{sku}\n{name}\n{description}").to_lowercase()
}

fn check_new_product(p: &NewProduct) -> Result<()> {
    check_product_fields(
        Some(&p.sku),
        Some(&p.name),
        Some(&p.description),
        Some(p.price_cents),
        Some(p.stock),
        Some(&p.attributes),
        p.image_url.as_deref(),
    )
}

pub(crate) fn check_product_fields(
    sku: Option<&str>,
    name: Option<&str>,
    description: Option<&str>,
    price_cents: Option<i64>,
    stock: Option<i64>,
    attributes: Option<&serde_json::Value>,
    image_url: Option<&str>,
) -> Result<()> {
    if let Some(sku) = sku {
        validate::text("sku", sku, validate::MAX_SKU, true)?;
    }
    if let Some(name) = name {
        validate::text("name", name, validate::MAX_NAME, true)?;
    }
    if let Some(description) = description {
        validate::text("description", description, validate::MAX_DESCRIPTION, false)?;
    }
    if let Some(price) = price_cents {
        validate::at_least("price_cents", price, 0)?;
    }
    if let Some(stock) = stock {
        validate::at_least("stock", stock, 0)?;
    }
    if let Some(attributes) = attributes {
        validate::json("attributes", attributes, true)?;
    }
    if let Some(url) = image_url {
        validate::image_url(url)?;
    }
    Ok(())
}

impl Store {
    /// Creates a product; `Conflict { field: "sku" }` when the sku is taken.
    pub async fn create_product(&self, product: &NewProduct) -> Result<Product> {
        check_new_product(product)?;
        if let Some(category) = product.category_id {
            self.category(category).await?;
        }
        let sql = concat!(
            "INSERT INTO products (sku, name, description, category_id, price_cents, stock, active, attributes, ",
            "image_url, search_text, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $9, $10, $10) RETURNING ",
            product_columns!()
        );
        let text = search_text(&product.sku, &product.name, &product.description);
        let row: ProductRow = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(&product.sku).bind(&product.name).bind(&product.description).bind(product.category_id)
            .bind(product.price_cents).bind(product.stock).bind(Json(&product.attributes)).bind(&product.image_url)
            .bind(&text).bind(now_ms())
            .fetch_one(pool).await)?;
        Ok(product_from_row(row))
    }

    /// Creates many products in one transaction (a catalog import): all of them or, on any
    /// error, none. Returned in the order given.
    pub async fn create_products(&self, products: &[NewProduct]) -> Result<Vec<Product>> {
        let mut categories = std::collections::BTreeSet::new();
        for p in products {
            check_new_product(p)?;
            categories.extend(p.category_id);
        }
        self.check_ids_exist("categories", "category", &categories)
            .await?;
        let now = now_ms();
        let rows: Vec<ProductRow> = with_tx!(self, tx => {
            let mut rows = Vec::with_capacity(products.len());
            // 11 parameters a row: 1000 rows stay under both backends' parameter limits
            for chunk in products.chunks(1000) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO products (sku, name, description, category_id, price_cents, stock, active, \
                     attributes, image_url, search_text, created_at, updated_at) ");
                insert.push_values(chunk, |mut row, p| {
                    row.push_bind(&p.sku).push_bind(&p.name).push_bind(&p.description).push_bind(p.category_id)
                        .push_bind(p.price_cents).push_bind(p.stock).push("TRUE").push_bind(Json(&p.attributes))
                        .push_bind(&p.image_url)
                        .push_bind(search_text(&p.sku, &p.name, &p.description)).push_bind(now).push_bind(now);
                });
                insert.push(concat!(" RETURNING ", product_columns!()));
                rows.extend(insert.build_query_as::<ProductRow>().fetch_all(&mut *tx).await?);
            }
            Ok(rows)
        })?;
        // RETURNING follows the VALUES order on both backends, but match by sku to be sure
        let mut by_sku: std::collections::HashMap<String, Product> = rows
            .into_iter()
            .map(|r| (r.1.clone(), product_from_row(r)))
            .collect();
        products
            .iter()
            .map(|p| {
                by_sku.remove(&p.sku).ok_or_else(|| StoreError::Conflict {
                    entity: "product",
                    field: "sku",
                })
            })
            .collect()
    }

    /// The product with this id.
    pub async fn product(&self, id: i64) -> Result<Product> {
        let sql = concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE id = $1"
        );
        let row: Option<ProductRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
        row.map(product_from_row)
            .ok_or_else(|| StoreError::not_found("product", id))
    }

    /// The product with this sku, if any.
    pub async fn product_by_sku(&self, sku: &str) -> Result<Option<Product>> {
        let sql = concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE sku = $1"
        );
        let row: Option<ProductRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(sku).fetch_optional(pool).await)?;
        Ok(row.map(product_from_row))
    }

    /// The products with these ids, in the order asked (ids that do not exist are left out):
    /// what turns a list of recommended ids into products.
    pub async fn products_by_ids(&self, ids: &[i64]) -> Result<Vec<Product>> {
        let mut found = std::collections::HashMap::with_capacity(ids.len());
        // one query per chunk of ids
        for chunk in ids.chunks(500) {
            let list = sql_id_list(chunk.iter().copied());
            let sql = format!(
                "SELECT {} FROM products WHERE id IN ({list})",
                product_columns!()
            );
            let rows: Vec<ProductRow> = with_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await)?;
            found.extend(rows.into_iter().map(|r| (r.0, product_from_row(r))));
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Every product, in id order, read in pages of 5,000 by id (each page one indexed range
    /// read: no OFFSET and no count, so reading a catalog of 150,000 products costs what reading
    /// its rows costs). What an in-memory copy of the catalog or a model's item texts are built
    /// from.
    pub async fn all_products(&self) -> Result<Vec<Product>> {
        let mut products: Vec<Product> = Vec::new();
        loop {
            let after = products.last().map_or(i64::MIN, |p| p.id);
            let page = self.products_after(after, 5_000).await?;
            let n = page.len();
            products.extend(page);
            if n < 5_000 {
                return Ok(products);
            }
        }
    }

    /// Every product written (created or changed: `updated_at`) at or after `since`, in id
    /// order: what a catalog cache reads to follow the database without reading all of it.
    pub async fn products_updated_since(&self, since: Millis) -> Result<Vec<Product>> {
        let sql = concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE updated_at >= $1 ORDER BY id"
        );
        let rows: Vec<ProductRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(since).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(product_from_row).collect())
    }

    /// How many products there are (active or not).
    pub async fn count_products(&self) -> Result<i64> {
        Ok(
            with_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM products").fetch_one(pool).await)?,
        )
    }

    /// Up to `limit` products with an id above `after`, in id order.
    async fn products_after(&self, after: i64, limit: i64) -> Result<Vec<Product>> {
        let sql = concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE id > $1 ORDER BY id LIMIT $2"
        );
        let rows: Vec<ProductRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(after).bind(limit).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(product_from_row).collect())
    }

    /// Products matching the query, in the query's order.
    pub async fn list_products(&self, query: &ProductQuery, page: Page) -> Result<Paged<Product>> {
        let page = page.check()?;
        if let Some(text) = &query.text {
            validate::text("text", text, validate::MAX_QUERY, false)?;
        }
        let pattern = query.text.as_deref().map(validate::like_pattern);
        let condition = "($1 IS NULL OR category_id IN ( \
               WITH RECURSIVE below(id) AS ( \
                 SELECT id FROM categories WHERE id = $1 \
                 UNION ALL SELECT c.id FROM categories c JOIN below ON c.parent_id = below.id) \
               SELECT id FROM below)) \
             AND ($2 IS NULL OR search_text LIKE $2 ESCAPE '\\') \
             AND ($3 IS NULL OR price_cents >= $3) AND ($4 IS NULL OR price_cents <= $4) \
             AND ($5 IS NULL OR active = $5) AND ($6 = FALSE OR stock > 0)";
        let list = format!(
            "SELECT {} FROM products WHERE {condition} ORDER BY {} LIMIT $7 OFFSET $8",
            product_columns!(),
            query.sort.order_by()
        );
        let count = format!("SELECT COUNT(*) FROM products WHERE {condition}");
        let (rows, total): (Vec<ProductRow>, i64) = with_pool!(self, pool => {
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(list))
                .bind(query.category_id).bind(&pattern).bind(query.min_price_cents).bind(query.max_price_cents)
                .bind(query.active).bind(query.in_stock).bind(page.limit).bind(page.offset)
                .fetch_all(pool).await?;
            let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count))
                .bind(query.category_id).bind(&pattern).bind(query.min_price_cents).bind(query.max_price_cents)
                .bind(query.active).bind(query.in_stock)
                .fetch_one(pool).await?;
            Ok::<_, StoreError>((rows, total))
        })?;
        Ok(Paged::new(
            rows.into_iter().map(product_from_row).collect(),
            total,
            page,
        ))
    }

    /// Changes the given fields of a product and returns the result.
    pub async fn update_product(&self, id: i64, update: &ProductUpdate) -> Result<Product> {
        check_product_fields(
            update.sku.as_deref(),
            update.name.as_deref(),
            update.description.as_deref(),
            update.price_cents,
            update.stock,
            update.attributes.as_ref(),
            update.image_url.as_ref().and_then(|url| url.as_deref()),
        )?;
        if let Some(Some(category)) = update.category_id {
            self.category(category).await?;
        }
        let row: ProductRow = with_tx!(self, tx => {
            // Take the row's lock before reading it (a no-op write; SQLite's writers already take
            // turns), so no checkout or other edit can commit between this read and the write
            // below. Stock is never written back from the read: a checkout's decrement must not
            // be undone by an edit of the name.
            sqlx::query("UPDATE products SET updated_at = updated_at WHERE id = $1")
                .bind(id).execute(&mut *tx).await?;
            let current: Option<ProductRow> = sqlx::query_as(concat!("SELECT ", product_columns!(), " FROM products WHERE id = $1"))
                .bind(id).fetch_optional(&mut *tx).await?;
            let p = product_from_row(current.ok_or_else(|| StoreError::not_found("product", id))?);
            let sku = update.sku.as_ref().unwrap_or(&p.sku);
            let name = update.name.as_ref().unwrap_or(&p.name);
            let description = update.description.as_ref().unwrap_or(&p.description);
            let row = sqlx::query_as(concat!(
                "UPDATE products SET sku = $2, name = $3, description = $4, category_id = $5, price_cents = $6, ",
                "stock = COALESCE($7, stock), active = $8, attributes = $9, search_text = $10, updated_at = $11, image_url = $12 ",
                "WHERE id = $1 RETURNING ",
                product_columns!()))
                .bind(id).bind(sku).bind(name).bind(description)
                .bind(update.category_id.unwrap_or(p.category_id))
                .bind(update.price_cents.unwrap_or(p.price_cents))
                .bind(update.stock)
                .bind(update.active.unwrap_or(p.active))
                .bind(Json(update.attributes.as_ref().unwrap_or(&p.attributes)))
                .bind(search_text(sku, name, description))
                .bind(now_ms())
                .bind(update.image_url.as_ref().unwrap_or(&p.image_url))
                .fetch_one(&mut *tx).await?;
            Ok(row)
        })?;
        Ok(product_from_row(row))
    }

    /// Adds `delta` (negative to remove) to a product's stock and returns the new stock. Stock
    /// never goes below zero: a larger removal is `InsufficientStock`.
    pub async fn adjust_stock(&self, id: i64, delta: i64) -> Result<i64> {
        let updated: Option<i64> = with_pool!(self, pool => sqlx::query_scalar(
            "UPDATE products SET stock = stock + $2, updated_at = $3 WHERE id = $1 AND stock + $2 >= 0 RETURNING stock")
            .bind(id).bind(delta).bind(now_ms()).fetch_optional(pool).await)?;
        match updated {
            Some(stock) => Ok(stock),
            None => {
                let available = self.product(id).await?.stock;
                Err(StoreError::InsufficientStock {
                    product_id: id,
                    requested: -delta,
                    available,
                })
            }
        }
    }

    /// Deletes a product nobody has ordered or interacted with (it leaves carts and embeddings
    /// with it). A product with history is `InUse`: deactivate it instead, so history stays whole.
    pub async fn delete_product(&self, id: i64) -> Result<()> {
        with_tx!(self, tx => {
            for (sql, label) in [
                ("SELECT COUNT(*) FROM order_lines WHERE product_id = $1", "orders"),
                ("SELECT COUNT(*) FROM events WHERE product_id = $1", "interaction events"),
            ] {
                let n: i64 = sqlx::query_scalar(sql).bind(id).fetch_one(&mut *tx).await?;
                if n > 0 {
                    return Err(StoreError::InUse { entity: "product", id: id.to_string(), referenced_by: label });
                }
            }
            sqlx::query("DELETE FROM cart_items WHERE product_id = $1").bind(id).execute(&mut *tx).await?;
            sqlx::query(
                "UPDATE embedding_spaces SET generation = generation + 1 \
                 WHERE id IN (SELECT space_id FROM item_embeddings WHERE product_id = $1)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM item_embeddings WHERE product_id = $1").bind(id).execute(&mut *tx).await?;
            let deleted = sqlx::query("DELETE FROM products WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if deleted == 0 {
                return Err(StoreError::not_found("product", id));
            }
            Ok(())
        })
    }
}
