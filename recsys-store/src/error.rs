//! The one error type of the store. Database errors are translated here, once: unique and
//! foreign-key violations become domain errors that name the field, never the database's text.

use sqlx::error::{DatabaseError, ErrorKind};

/// Result of every store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row the call names does not exist.
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// A unique field clashed with an existing row.
    #[error("a {entity} with this {field} already exists")]
    Conflict {
        entity: &'static str,
        field: &'static str,
    },
    /// A checkout or order asked for more units than are in stock.
    #[error(
        "insufficient stock for product {product_id}: requested {requested}, available {available}"
    )]
    InsufficientStock {
        product_id: i64,
        requested: i64,
        available: i64,
    },
    /// Input that cannot be stored: the field and why.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The row exists but is not in a state that allows the operation (an order that has shipped
    /// cannot be cancelled, a model with no earlier version cannot be rolled back, ...).
    #[error("{entity} {id}: {reason}")]
    InvalidState {
        entity: &'static str,
        id: String,
        reason: String,
    },
    /// The row cannot be deleted while other rows refer to it.
    #[error("{entity} {id} is still referenced by {referenced_by}")]
    InUse {
        entity: &'static str,
        id: String,
        referenced_by: &'static str,
    },
    /// Stored bytes failed their checksum.
    #[error("corrupt data in {what}: {reason}")]
    Corrupt { what: String, reason: String },
    /// The connection URL or options are unusable.
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// Applying the schema migrations failed.
    #[error("migrations failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// Building a training matrix from stored events failed in the core.
    #[error(transparent)]
    Core(#[from] recsys_core::Error),
    /// The database cannot be reached now (connection refused or lost, no pooled connection
    /// within the acquire timeout, the server shutting down): worth retrying later, unlike
    /// [`StoreError::Database`]. A write that met it on its commit may or may not have happened.
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database failure. The cause is kept as the source; servers should log it, not
    /// show it.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }
}

/// Unique constraints by their Postgres name and SQLite's "table.column" wording, with the domain
/// names they are reported under.
const UNIQUE_KEYS: &[(&str, &str, &str, &str)] = &[
    ("users_email_key", "users.email", "user", "email"),
    ("categories_slug_key", "categories.slug", "category", "slug"),
    ("products_sku_key", "products.sku", "product", "sku"),
    (
        "api_keys_key_hash_key",
        "api_keys.key_hash",
        "api key",
        "key_hash",
    ),
    (
        "model_configs_name_key",
        "model_configs.name",
        "model config",
        "name",
    ),
    (
        "model_versions_name_version_key",
        "model_versions.name, model_versions.version",
        "model version",
        "version",
    ),
    (
        "model_versions_one_active",
        "model_versions.name",
        "active model version",
        "name",
    ),
    (
        "experiments_one_running",
        "experiments.placement",
        "running experiment",
        "placement",
    ),
    (
        "embedding_spaces_name_key",
        "embedding_spaces.name",
        "embedding space",
        "name",
    ),
];

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        let db = match &error {
            sqlx::Error::Io(e) if connection_lost(e.kind()) => {
                return StoreError::Unavailable(error);
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                return StoreError::Unavailable(error);
            }
            sqlx::Error::Database(db) => db,
            _ => return StoreError::Database(error),
        };
        // PostgreSQL's connection exceptions (class 08) and the server shutting down or starting
        // (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now)
        if let Some(code) = db.code()
            && (code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03"))
        {
            return StoreError::Unavailable(error);
        }
        match db.kind() {
            ErrorKind::UniqueViolation => {
                unique_violation(db.as_ref()).unwrap_or(StoreError::Conflict {
                    entity: "row",
                    field: "key",
                })
            }
            ErrorKind::ForeignKeyViolation => StoreError::invalid(
                "reference",
                "it refers to a row that does not exist, or the row is still referred to",
            ),
            ErrorKind::CheckViolation | ErrorKind::NotNullViolation => StoreError::invalid(
                "value",
                format!(
                    "violates the constraint {}",
                    db.constraint().unwrap_or("of the schema")
                ),
            ),
            _ => StoreError::Database(error),
        }
    }
}

/// I/O failures that mean the database cannot be reached now (not a bad answer or a refused
/// certificate, which arrive as `InvalidData`).
fn connection_lost(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        kind,
        ConnectionRefused
            | ConnectionReset
            | ConnectionAborted
            | NotConnected
            | BrokenPipe
            | UnexpectedEof
            | TimedOut
            | HostUnreachable
            | NetworkUnreachable
            | AddrNotAvailable
    )
}

fn unique_violation(db: &dyn DatabaseError) -> Option<StoreError> {
    let by_name = db.constraint();
    let message = db.message();
    UNIQUE_KEYS
        .iter()
        .find(|(pg, sqlite, _, _)| {
            by_name == Some(*pg)
                || message.strip_prefix("UNIQUE constraint failed: ") == Some(*sqlite)
                || message.ends_with(&format!("index '{pg}'"))
        })
        .map(|&(_, _, entity, field)| StoreError::Conflict { entity, field })
}
