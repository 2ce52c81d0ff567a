//! A shop's own records under its own keys: what an import reads, the service API receives and
//! an export writes. Categories are keyed by slug (`key`), products by `sku`, customers by
//! `external_id` (their e-mail where they have none), orders by `external_id`; an event is
//! identified by what it says (customer, product, kind and time).
//!
//! Every write is an upsert: a record whose key is new is created, one whose fields differ from
//! the stored row updates what changed, and one equal to it changes nothing; [`Counts`] says
//! which. A call is one transaction (all of its records or none), so a caller that writes a
//! large file in batches can be stopped at any moment and run again to the same end.
//!
//! The records check themselves ([`ProductRecord::check`], ...) with the same rules and the
//! same messages as the store's own writes, naming the field: an importer or an HTTP handler
//! says "line 1204: price_cents: must be >= 0, got -5" without checking anything twice.

mod read;
mod write;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::ml::events::EventKind;
use crate::shop::catalog::categories::check_slug;
use crate::shop::catalog::products::check_product_fields;
use crate::shop::orders::OrderStatus;
use crate::shop::users::PasswordHash;
use crate::time::Millis;
use crate::validate;

pub use read::ExportedOrder;

/// What a bulk write did with its records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Records whose key was new.
    pub created: u64,
    /// Records that changed a stored row.
    pub updated: u64,
    /// Records equal to what was stored.
    pub unchanged: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

impl Counts {
    /// All records counted.
    pub fn total(&self) -> u64 {
        self.created + self.updated + self.unchanged
    }
}

/// The kinds of records that have a key, for [`crate::Store::existing_keys`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// A category's slug.
    Category,
    /// A product's sku.
    Product,
    /// A customer's external id, or the e-mail of one without.
    Customer,
    /// An order's external id.
    Order,
}

/// A category under the shop's key (stored as its slug).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRecord {
    /// Lower-case letters, digits and '-': the category's slug.
    pub key: String,
    pub name: String,
    /// The parent's key; `None` for a top-level category.
    pub parent: Option<String>,
}

impl CategoryRecord {
    /// The field rules of a category (its parent is checked when written).
    pub fn check(&self) -> Result<()> {
        check_slug(&self.key).map_err(|e| rename_field(e, "key"))?;
        validate::text("name", &self.name, validate::MAX_NAME, true)?;
        if let Some(parent) = &self.parent {
            check_slug(parent).map_err(|e| rename_field(e, "parent"))?;
            if parent == &self.key {
                return Err(StoreError::invalid(
                    "parent",
                    format!("category '{parent}' cannot be its own parent"),
                ));
            }
        }
        Ok(())
    }
}

/// A product under its sku.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductRecord {
    pub sku: String,
    pub name: String,
    pub description: String,
    /// The category's key.
    pub category: Option<String>,
    pub price_cents: i64,
    pub stock: i64,
    pub active: bool,
    /// A JSON object: brand, colour, size, ...
    pub attributes: serde_json::Value,
    /// Its picture: `/images/<sha256>.<ext>` (stored by the server) or the shop's https address;
    /// `None` keeps the stored one (a catalog file from another platform does not erase the
    /// pictures uploaded here).
    pub image_url: Option<String>,
    /// When the product was first listed; `None`: now (for a new product) or as stored.
    pub created_at: Option<Millis>,
}

impl ProductRecord {
    pub fn check(&self) -> Result<()> {
        check_product_fields(
            Some(&self.sku),
            Some(&self.name),
            Some(&self.description),
            Some(self.price_cents),
            Some(self.stock),
            Some(&self.attributes),
            self.image_url.as_deref(),
        )?;
        if let Some(category) = &self.category {
            check_slug(category).map_err(|e| rename_field(e, "category"))?;
        }
        check_time("created_at", self.created_at)
    }
}

/// A customer under the shop's id (or, without one, the e-mail address). A record without an
/// external id leaves a stored customer's external id as it is.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CustomerRecord {
    pub external_id: Option<String>,
    /// `None` (only with an external id, as the service API sends customers): a stored
    /// customer keeps its address, a new one gets [`placeholder_email`].
    pub email: Option<String>,
    pub name: String,
    /// A hash from the shop's old platform (bcrypt `$2a$`/`$2b$`/`$2y$` or an argon2 PHC
    /// string); `None`: the customer cannot sign in until an admin sets a password. Applied when
    /// the customer is created or has no password yet, never over one it has (a bcrypt hash is
    /// replaced by argon2id at the first sign-in, and an import must not undo that).
    pub password_hash: Option<PasswordHash>,
    pub active: bool,
    /// When the account was opened; `None`: now (for a new customer) or as stored.
    pub created_at: Option<Millis>,
}

/// The address of a customer the shop sent without one: unique per external id, under the
/// reserved domain `customers.invalid` (RFC 2606: no mail is ever delivered there). Every
/// account has an address; this one only says the shop did not give it.
pub fn placeholder_email(external_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(external_id.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}@customers.invalid")
}

impl CustomerRecord {
    /// The key other records name this customer by.
    pub fn key(&self) -> String {
        match (&self.external_id, &self.email) {
            (Some(id), _) => id.clone(),
            (None, Some(email)) => email.trim().to_lowercase(),
            (None, None) => String::new(),
        }
    }

    pub fn check(&self) -> Result<()> {
        match (&self.external_id, &self.email) {
            (Some(id), _) => check_key("external_id", id)?,
            (None, None) => {
                return Err(StoreError::invalid(
                    "email",
                    "is required for a customer without an external_id",
                ));
            }
            (None, Some(_)) => {}
        }
        if let Some(email) = &self.email {
            validate::email(email)?;
        }
        validate::text("name", &self.name, validate::MAX_NAME, false)?;
        if let Some(hash) = &self.password_hash
            && !matches!(
                hash.scheme(),
                "2a" | "2b" | "2y" | "argon2id" | "argon2i" | "argon2d"
            )
        {
            return Err(StoreError::invalid(
                "password_hash",
                format!(
                    "the scheme '{}' is not one this server verifies (bcrypt $2a$/$2b$/$2y$ or argon2)",
                    hash.scheme()
                ),
            ));
        }
        check_time("created_at", self.created_at)
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineRecord {
    pub sku: String,
    pub quantity: i64,
    /// The price paid per unit; `None`: the product's current price.
    pub unit_price_cents: Option<i64>,
}

/// A historic order under the shop's id. Creating one stores a `purchase` event per line at the
/// order's time (what the models learn from); stock is not touched (those units were sold
/// before). A stored order's status follows the record; its lines cannot change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub external_id: String,
    /// The customer's key.
    pub customer: String,
    pub status: OrderStatus,
    pub created_at: Millis,
    pub lines: Vec<OrderLineRecord>,
}

impl OrderRecord {
    pub fn check(&self) -> Result<()> {
        check_key("external_id", &self.external_id)?;
        check_key("customer", &self.customer)?;
        check_time("created_at", Some(self.created_at))?;
        if self.lines.is_empty() {
            return Err(StoreError::invalid(
                "lines",
                "an order needs at least one line",
            ));
        }
        for line in &self.lines {
            validate::text("sku", &line.sku, validate::MAX_SKU, true)?;
            crate::shop::cart::check_quantity(line.quantity)?;
            if let Some(price) = line.unit_price_cents {
                validate::at_least("unit_price_cents", price, 0)?;
            }
        }
        Ok(())
    }
}

/// An interaction event under the shop's keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The customer's key.
    pub customer: String,
    pub sku: String,
    pub kind: EventKind,
    /// 1 for a view or click, the quantity for a cart add or purchase, the rating for a rating.
    pub value: f64,
    pub at: Millis,
}

impl EventRecord {
    pub fn check(&self) -> Result<()> {
        check_key("customer", &self.customer)?;
        validate::text("sku", &self.sku, validate::MAX_SKU, true)?;
        validate::finite_at_least("value", self.value, 0.0)?;
        check_time("at", Some(self.at))
    }
}

/// How far in the future a time may lie (clocks differ; a day more is a mistake in the data).
pub const MAX_FUTURE_MS: Millis = 86_400_000;

fn check_time(field: &'static str, at: Option<Millis>) -> Result<()> {
    let Some(at) = at else { return Ok(()) };
    validate::at_least(field, at, 0)?;
    let limit = crate::time::now_ms() + MAX_FUTURE_MS;
    if at > limit {
        return Err(StoreError::invalid(
            field,
            format!(
                "{} is more than a day in the future",
                crate::time::format_timestamp(at)
            ),
        ));
    }
    Ok(())
}

/// A shop's key: 1 to 200 characters, not only white space, no NUL.
fn check_key(field: &'static str, key: &str) -> Result<()> {
    validate::text(field, key, validate::MAX_NAME, true)?;
    if key.trim() != key {
        return Err(StoreError::invalid(
            field,
            format!("'{key}' begins or ends with white space"),
        ));
    }
    Ok(())
}

fn rename_field(e: StoreError, field: &'static str) -> StoreError {
    match e {
        StoreError::Invalid { reason, .. } => StoreError::Invalid { field, reason },
        other => other,
    }
}
