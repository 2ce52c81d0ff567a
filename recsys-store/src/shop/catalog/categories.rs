//! Categories: the catalog's hierarchy (`parent_id`), each write checked (an existing parent,
//! no cycle, nothing deleted that products or sub-categories still use).

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::store::{Store, with_pool, with_tx};
use crate::time::{Millis, now_ms};
use crate::validate;

/// A product category; `parent_id` makes the hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub id: i64,
    pub name: String,
    /// Unique; lower-case letters, digits and '-'.
    pub slug: String,
    pub parent_id: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A category to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCategory {
    pub name: String,
    pub slug: String,
    pub parent_id: Option<i64>,
}

/// Category fields to change; `parent_id: Some(None)` makes it a top-level category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryUpdate {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub parent_id: Option<Option<i64>>,
}

type CategoryRow = (i64, String, String, Option<i64>, i64, i64);

macro_rules! category_columns {
    () => {
        "id, name, slug, parent_id, created_at, updated_at"
    };
}

fn category_from_row(r: CategoryRow) -> Category {
    Category {
        id: r.0,
        name: r.1,
        slug: r.2,
        parent_id: r.3,
        created_at: r.4,
        updated_at: r.5,
    }
}

/// The ids of category `$1` and of every category above it.
pub(crate) const ANCESTORS: &str = "WITH RECURSIVE up(id, parent_id) AS ( \
       SELECT id, parent_id FROM categories WHERE id = $1 \
       UNION ALL SELECT c.id, c.parent_id FROM categories c JOIN up ON c.id = up.parent_id) \
     SELECT id FROM up";

pub(crate) fn check_slug(slug: &str) -> Result<()> {
    validate::text("slug", slug, validate::MAX_NAME, true)?;
    if !slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(StoreError::invalid(
            "slug",
            format!("'{slug}' may hold only a-z, 0-9 and '-'"),
        ));
    }
    Ok(())
}

impl Store {
    /// Creates a category; its parent must exist.
    pub async fn create_category(&self, category: &NewCategory) -> Result<Category> {
        validate::text("name", &category.name, validate::MAX_NAME, true)?;
        check_slug(&category.slug)?;
        if let Some(parent) = category.parent_id {
            self.category(parent).await?;
        }
        let sql = concat!(
            "INSERT INTO categories (name, slug, parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING ",
            category_columns!()
        );
        let row: CategoryRow = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(&category.name).bind(&category.slug).bind(category.parent_id).bind(now_ms())
            .fetch_one(pool).await)?;
        Ok(category_from_row(row))
    }

    /// The category with this id.
    pub async fn category(&self, id: i64) -> Result<Category> {
        let sql = concat!(
            "SELECT ",
            category_columns!(),
            " FROM categories WHERE id = $1"
        );
        let row: Option<CategoryRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
        row.map(category_from_row)
            .ok_or_else(|| StoreError::not_found("category", id))
    }

    /// Every category, ordered by name (a catalog has few; build the tree from `parent_id`).
    pub async fn list_categories(&self) -> Result<Vec<Category>> {
        let sql = concat!(
            "SELECT ",
            category_columns!(),
            " FROM categories ORDER BY name, id"
        );
        let rows: Vec<CategoryRow> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(category_from_row).collect())
    }

    /// Changes a category. Moving it under itself or under one of its descendants is rejected.
    pub async fn update_category(&self, id: i64, update: &CategoryUpdate) -> Result<Category> {
        if let Some(name) = &update.name {
            validate::text("name", name, validate::MAX_NAME, true)?;
        }
        if let Some(slug) = &update.slug {
            check_slug(slug)?;
        }
        let row: CategoryRow = with_tx!(self, tx => {
            let current: Option<CategoryRow> = sqlx::query_as(concat!("SELECT ", category_columns!(), " FROM categories WHERE id = $1"))
                .bind(id).fetch_optional(&mut *tx).await?;
            let current = current.ok_or_else(|| StoreError::not_found("category", id))?;
            let parent = update.parent_id.unwrap_or(current.3);
            if let Some(parent) = parent {
                // the new parent's ancestors (itself included) must not contain this category
                let ancestors: Vec<i64> = sqlx::query_scalar(ANCESTORS)
                    .bind(parent).fetch_all(&mut *tx).await?;
                if ancestors.is_empty() {
                    return Err(StoreError::not_found("category", parent));
                }
                if ancestors.contains(&id) {
                    return Err(StoreError::invalid("parent_id", format!("category {parent} is {id} itself or below it: that would make a cycle")));
                }
            }
            let row = sqlx::query_as(concat!(
                "UPDATE categories SET name = $2, slug = $3, parent_id = $4, updated_at = $5 WHERE id = $1 RETURNING ",
                category_columns!()))
                .bind(id)
                .bind(update.name.as_ref().unwrap_or(&current.1))
                .bind(update.slug.as_ref().unwrap_or(&current.2))
                .bind(parent)
                .bind(now_ms())
                .fetch_one(&mut *tx).await?;
            Ok(row)
        })?;
        Ok(category_from_row(row))
    }

    /// Deletes a category that has neither sub-categories nor products.
    pub async fn delete_category(&self, id: i64) -> Result<()> {
        with_tx!(self, tx => {
            for (sql, label) in [
                ("SELECT COUNT(*) FROM categories WHERE parent_id = $1", "sub-categories"),
                ("SELECT COUNT(*) FROM products WHERE category_id = $1", "products"),
            ] {
                let n: i64 = sqlx::query_scalar(sql).bind(id).fetch_one(&mut *tx).await?;
                if n > 0 {
                    return Err(StoreError::InUse { entity: "category", id: id.to_string(), referenced_by: label });
                }
            }
            let deleted = sqlx::query("DELETE FROM categories WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if deleted == 0 {
                return Err(StoreError::not_found("category", id));
            }
            Ok(())
        })
    }
}
