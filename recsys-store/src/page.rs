//! Pagination of list queries.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

/// Which slice of a list to return: at most `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    /// The largest page a query returns.
    pub const MAX_LIMIT: i64 = 1000;

    pub fn new(limit: i64, offset: i64) -> Page {
        Page { limit, offset }
    }

    pub(crate) fn check(self) -> Result<Page> {
        if !(1..=Page::MAX_LIMIT).contains(&self.limit) {
            return Err(StoreError::invalid(
                "limit",
                format!(
                    "must be between 1 and {}, got {}",
                    Page::MAX_LIMIT,
                    self.limit
                ),
            ));
        }
        if self.offset < 0 {
            return Err(StoreError::invalid(
                "offset",
                format!("must be >= 0, got {}", self.offset),
            ));
        }
        Ok(self)
    }
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 50,
            offset: 0,
        }
    }
}

/// One page of results and the number of rows matching the query in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

impl<T> Paged<T> {
    pub(crate) fn new(items: Vec<T>, total: i64, page: Page) -> Paged<T> {
        Paged {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }
    }
}
