//! The entities of a shop file, their fields, and how a row of text fields becomes the store's
//! record (`recsys_store::bulk`) or comes from one. `docs/import.md` documents every field; the
//! service API reads the same fields, so its messages are the importer's.

use std::borrow::Cow;

use recsys_store::bulk::{
    CategoryRecord, CustomerRecord, EventRecord, OrderLineRecord, OrderRecord, ProductRecord,
};
use recsys_store::{EventKind, OrderStatus, PasswordHash, StoreError, format_timestamp};
use serde_json::{Value, json};

use super::formats::Row;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Entity {
    Categories,
    Products,
    Customers,
    Orders,
    Events,
}

impl Entity {
    /// In the order an import writes them: everything a record names comes before it.
    pub const ALL: [Entity; 5] = [
        Entity::Categories,
        Entity::Products,
        Entity::Customers,
        Entity::Orders,
        Entity::Events,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Entity::Categories => "categories",
            Entity::Products => "products",
            Entity::Customers => "customers",
            Entity::Orders => "orders",
            Entity::Events => "events",
        }
    }

    /// The fields of its rows, in the order an export writes them.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Entity::Categories => &["key", "name", "parent"],
            Entity::Products => &[
                "sku",
                "name",
                "description",
                "category",
                "price_cents",
                "stock",
                "active",
                "attributes",
                "image_url",
                "created_at",
            ],
            Entity::Customers => &[
                "external_id",
                "email",
                "name",
                "password_hash",
                "active",
                "created_at",
            ],
            Entity::Orders => &[
                "external_id",
                "customer",
                "status",
                "created_at",
                "sku",
                "quantity",
                "unit_price_cents",
            ],
            Entity::Events => &["customer", "sku", "kind", "value", "at"],
        }
    }

    /// Fields an import reads besides those an export writes (another spelling of one).
    fn alternatives(self) -> &'static [&'static str] {
        match self {
            Entity::Products => &["price"],
            Entity::Orders => &["unit_price"],
            _ => &[],
        }
    }

    /// The first field of `names` that this entity does not have, with the message for it.
    pub fn unknown_field(self, names: &[&str]) -> Option<FieldError> {
        let name = names
            .iter()
            .find(|n| !self.fields().contains(n) && !self.alternatives().contains(n))?;
        let message = if self == Entity::Customers && name.eq_ignore_ascii_case("password") {
            "passwords in clear are not accepted: give password_hash (bcrypt or argon2), or \
             leave it out and an admin sets a password"
                .to_string()
        } else {
            let mut known: Vec<&str> = self.fields().to_vec();
            known.extend(self.alternatives());
            format!(
                "is not a field of {} (known: {})",
                self.name(),
                known.join(", ")
            )
        };
        Some(FieldError {
            field: name.to_string(),
            message,
        })
    }
}

/// A field that cannot be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for FieldError {
    fn from(e: StoreError) -> FieldError {
        match e {
            StoreError::Invalid { field, reason } => FieldError::new(field, reason),
            other => FieldError::new("record", other.to_string()),
        }
    }
}

type Parsed<T> = Result<T, FieldError>;

fn required<'r>(row: &'r Row, field: &str) -> Parsed<Cow<'r, str>> {
    row.get(field)
        .ok_or_else(|| FieldError::new(field, "is required"))
}

fn text(row: &Row, field: &str) -> String {
    row.get(field).map(Cow::into_owned).unwrap_or_default()
}

fn integer(field: &str, value: &str, what: &str) -> Parsed<i64> {
    value
        .trim()
        .parse()
        .map_err(|_| FieldError::new(field, format!("\"{value}\" is not {what}")))
}

fn boolean(row: &Row, field: &str, default: bool) -> Parsed<bool> {
    let Some(v) = row.get(field) else {
        return Ok(default);
    };
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(FieldError::new(
            field,
            format!("\"{v}\" is not true or false (also 1/0, yes/no)"),
        )),
    }
}

fn time(field: &str, value: &str) -> Parsed<i64> {
    recsys_store::parse_timestamp(value).map_err(|m| FieldError::new(field, m))
}

fn optional_time(row: &Row, field: &str) -> Parsed<Option<i64>> {
    row.get(field).map(|v| time(field, &v)).transpose()
}

/// Money: `<cents>` as a whole number of cents, or `<decimal>` as a number with a dot and at
/// most two decimals (`12.50`, `12`).
fn money(row: &Row, cents_field: &str, decimal_field: &str) -> Parsed<Option<i64>> {
    match (row.get(cents_field), row.get(decimal_field)) {
        (Some(_), Some(_)) => Err(FieldError::new(
            decimal_field,
            format!("give {cents_field} or {decimal_field}, not both"),
        )),
        (Some(c), None) => integer(cents_field, &c, "a whole number of cents").map(Some),
        (None, Some(d)) => decimal_cents(decimal_field, &d).map(Some),
        (None, None) => Ok(None),
    }
}

fn decimal_cents(field: &str, value: &str) -> Parsed<i64> {
    let bad = || {
        FieldError::new(
            field,
            format!(
                "\"{value}\" is not a price (a decimal with a dot and at most two decimals, \
                 such as 12.50; or give the cents as a whole number in {field}_cents)"
            ),
        )
    };
    let v = value.trim();
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 {
        return Err(bad());
    }
    let frac = format!("{frac:0<2}");
    whole
        .parse::<i64>()
        .ok()
        .and_then(|w| w.checked_mul(100)?.checked_add(frac.parse().ok()?))
        .ok_or_else(bad)
}

/// Checks a record with the store's rules, naming the field.
fn checked<T>(record: T, check: impl FnOnce(&T) -> recsys_store::Result<()>) -> Parsed<T> {
    check(&record)?;
    Ok(record)
}

pub fn category(row: &Row) -> Parsed<CategoryRecord> {
    checked(
        CategoryRecord {
            key: required(row, "key")?.into_owned(),
            name: required(row, "name")?.into_owned(),
            parent: row.get("parent").map(Cow::into_owned),
        },
        CategoryRecord::check,
    )
}

pub fn product(row: &Row) -> Parsed<ProductRecord> {
    let price_cents = money(row, "price_cents", "price")?
        .ok_or_else(|| FieldError::new("price_cents", "is required (or price)"))?;
    let attributes = match row.get("attributes") {
        None => json!({}),
        Some(a) => serde_json::from_str(&a)
            .map_err(|e| FieldError::new("attributes", format!("is not a JSON object: {e}")))?,
    };
    checked(
        ProductRecord {
            sku: required(row, "sku")?.into_owned(),
            name: required(row, "name")?.into_owned(),
            description: text(row, "description"),
            category: row.get("category").map(Cow::into_owned),
            price_cents,
            stock: integer("stock", &required(row, "stock")?, "a whole number")?,
            active: boolean(row, "active", true)?,
            attributes,
            image_url: row.get("image_url").map(Cow::into_owned),
            created_at: optional_time(row, "created_at")?,
        },
        ProductRecord::check,
    )
}

pub fn customer(row: &Row) -> Parsed<CustomerRecord> {
    customer_record(row, true)
}

/// A customer of the service API: the e-mail address may be left out (the customer keeps the
/// stored one, or gets a placeholder; `recsys_store::bulk::placeholder_email`).
pub fn customer_email_optional(row: &Row) -> Parsed<CustomerRecord> {
    customer_record(row, false)
}

fn customer_record(row: &Row, email_required: bool) -> Parsed<CustomerRecord> {
    let password_hash = row
        .get("password_hash")
        .map(|h| PasswordHash::new(h.into_owned()))
        .transpose()?;
    let email = if email_required {
        Some(required(row, "email")?.into_owned())
    } else {
        row.get("email").map(Cow::into_owned)
    };
    checked(
        CustomerRecord {
            external_id: row.get("external_id").map(Cow::into_owned),
            email,
            name: text(row, "name"),
            password_hash,
            active: boolean(row, "active", true)?,
            created_at: optional_time(row, "created_at")?,
        },
        CustomerRecord::check,
    )
}

/// One row of an order file: the order's fields and one of its lines.
pub fn order_row(row: &Row) -> Parsed<OrderRecord> {
    let status = match row.get("status") {
        None => OrderStatus::Delivered,
        Some(s) => OrderStatus::from_name(s.trim()).ok_or_else(|| {
            FieldError::new(
                "status",
                format!("\"{s}\" is not a status (pending, paid, shipped, delivered, cancelled)"),
            )
        })?,
    };
    let line = OrderLineRecord {
        sku: required(row, "sku")?.into_owned(),
        quantity: integer("quantity", &required(row, "quantity")?, "a whole number")?,
        unit_price_cents: money(row, "unit_price_cents", "unit_price")?,
    };
    checked(
        OrderRecord {
            external_id: required(row, "external_id")?.into_owned(),
            customer: required(row, "customer")?.into_owned(),
            status,
            created_at: time("created_at", &required(row, "created_at")?)?,
            lines: vec![line],
        },
        OrderRecord::check,
    )
}

pub fn event(row: &Row) -> Parsed<EventRecord> {
    let kind = required(row, "kind")?;
    let kind = EventKind::from_name(kind.trim()).ok_or_else(|| {
        FieldError::new(
            "kind",
            format!("\"{kind}\" is not a kind (view, click, add_to_cart, purchase, rating)"),
        )
    })?;
    let value = match row.get("value") {
        None => 1.0,
        Some(v) => v
            .trim()
            .parse::<f64>()
            .map_err(|_| FieldError::new("value", format!("\"{v}\" is not a number")))?,
    };
    checked(
        EventRecord {
            customer: required(row, "customer")?.into_owned(),
            sku: required(row, "sku")?.into_owned(),
            kind,
            value,
            at: time("at", &required(row, "at")?)?,
        },
        EventRecord::check,
    )
}

fn opt(v: Option<&str>) -> Value {
    v.map_or(Value::Null, |s| Value::String(s.to_string()))
}

/// The values of an export row, in [`Entity::fields`]' order.
pub fn category_values(r: &CategoryRecord) -> Vec<Value> {
    vec![json!(r.key), json!(r.name), opt(r.parent.as_deref())]
}

pub fn product_values(r: &ProductRecord) -> Vec<Value> {
    vec![
        json!(r.sku),
        json!(r.name),
        json!(r.description),
        opt(r.category.as_deref()),
        json!(r.price_cents),
        json!(r.stock),
        json!(r.active),
        r.attributes.clone(),
        opt(r.image_url.as_deref()),
        r.created_at
            .map_or(Value::Null, |t| json!(format_timestamp(t))),
    ]
}

pub fn customer_values(r: &CustomerRecord) -> Vec<Value> {
    vec![
        opt(r.external_id.as_deref()),
        json!(r.email),
        json!(r.name),
        opt(r.password_hash.as_ref().map(PasswordHash::as_str)),
        json!(r.active),
        r.created_at
            .map_or(Value::Null, |t| json!(format_timestamp(t))),
    ]
}

/// One export row per line of the order.
pub fn order_values(r: &OrderRecord) -> Vec<Vec<Value>> {
    r.lines
        .iter()
        .map(|l| {
            vec![
                json!(r.external_id),
                json!(r.customer),
                json!(r.status.as_str()),
                json!(format_timestamp(r.created_at)),
                json!(l.sku),
                json!(l.quantity),
                l.unit_price_cents.map_or(Value::Null, |p| json!(p)),
            ]
        })
        .collect()
}

pub fn event_values(r: &EventRecord) -> Vec<Value> {
    vec![
        json!(r.customer),
        json!(r.sku),
        json!(r.kind.as_str()),
        json!(r.value),
        json!(format_timestamp(r.at)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_read_as_decimals_with_a_dot_or_whole_cents() {
        for (text, cents) in [
            ("12.50", 1250),
            ("12", 1200),
            ("12.", 1200),
            ("0.5", 50),
            ("0.05", 5),
        ] {
            assert_eq!(decimal_cents("price", text), Ok(cents), "{text}");
        }
        for bad in [
            "12,50",
            "1.234",
            "-3",
            ".5",
            "",
            "1e3",
            "99999999999999999999",
        ] {
            let e = decimal_cents("price", bad).unwrap_err();
            assert_eq!(e.field, "price");
            assert!(
                e.message.contains(&format!("\"{bad}\" is not a price")),
                "{e:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_named_and_a_password_column_is_refused() {
        let e = Entity::Products.unknown_field(&["sku", "prcie"]).unwrap();
        assert_eq!(e.field, "prcie");
        assert!(e.message.contains("known: sku, name"), "{}", e.message);
        assert!(Entity::Products.unknown_field(&["sku", "price"]).is_none());
        let e = Entity::Customers
            .unknown_field(&["email", "password"])
            .unwrap();
        assert!(e.message.contains("passwords in clear are not accepted"));
    }
}
