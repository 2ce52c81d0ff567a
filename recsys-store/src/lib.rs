//! # recsys-store
//!
//! Persistence for recsys behind one [`Store`] API with two backends, chosen by URL:
//! PostgreSQL + pgvector (`postgres://...`, production; embeddings searched with HNSW) and
//! SQLite (`sqlite://file.db`, the embedded default: no server needed). Both run the same
//! numbered migrations (`migrations/{postgres,sqlite}/`) on connect, return the same domain types
//! and the same [`StoreError`]s, and pass one conformance suite.
//!
//! What it keeps, grouped as the modules are:
//! - [`shop`]: users, categories and products, carts, orders (checkout is one transaction that
//!   can never oversell);
//! - [`ml`]: interaction events (the training data), model configs and versions (activate and
//!   roll back atomically), training runs, recommendation impressions and clicks, user segments,
//!   item embeddings with nearest-neighbour search;
//! - [`analytics`]: the audit log, search analytics and daily per-user rollups;
//! - [`bulk`]: the shop's own records under its own keys (sku, external ids): upserts for an
//!   import or the service API, and the pages an export reads;
//! - [`maintenance`]: an online backup of a SQLite database and the integrity check.
//!
//! Times are milliseconds since the Unix epoch ([`Millis`]), days are UTC calendar days
//! ([`Day`]), money is integer cents.

mod error;
mod page;
mod store;
mod time;
mod validate;

pub mod analytics;
pub mod bulk;
pub mod maintenance;
pub mod ml;
pub mod shop;
pub mod testing;

pub use error::{Result, StoreError};
pub use maintenance::{IntegrityReport, POSTGRES_BACKUP};
pub use page::{Page, Paged};
pub use store::{BackendKind, Store, StoreOptions, postgres_url_with_database};
pub use time::{Day, Millis, format_timestamp, now_ms, parse_timestamp};
pub use validate::{IMAGE_EXTENSIONS, is_image_name};

pub use analytics::audit::{AuditEntry, AuditFilter, NewAuditEntry};
pub use analytics::daily::{Activity, DailyTotals, DailyUserMetrics};
pub use analytics::overview::{Overview, PurchaseLine, RecMetricsDay, TopProduct};
pub use analytics::search::SearchStat;
pub use ml::embeddings::{EmbeddingSpace, Metric};
pub use ml::events::{EventKind, EventWeights, NewEvent, StoredEvent};
pub use ml::experiments::{
    Arm, ArmCounts, Experiment, ExperimentEvent, ExperimentEventKind, ExperimentStatus,
    MAX_ATTRIBUTION_WINDOW_MS, NewExperiment,
};
pub use ml::models::{ModelConfig, ModelVersion, NewModelConfig, NewModelVersion};
pub use ml::rec_metrics::RecMetrics;
pub use ml::segments::{SegmentSize, UserSegment};
pub use ml::training::{RunStatus, TrainingRun};
pub use shop::api_keys::{ApiKey, NewApiKey};
pub use shop::cart::{Cart, CartLine};
pub use shop::catalog::{
    Category, CategoryUpdate, NewCategory, NewProduct, Product, ProductQuery, ProductSort,
    ProductUpdate,
};
pub use shop::orders::{
    BoughtWith, Checkout, ImportedOrder, MAX_IDEMPOTENCY_KEY, Order, OrderFilter, OrderLine,
    OrderLineRequest, OrderStatus,
};
pub use shop::refresh_tokens::{NewRefreshToken, Rotation};
pub use shop::users::{NewUser, PasswordHash, Role, User, UserFilter, UserUpdate};

/// `docs/rust.md`'s examples (the core's quickstart and this crate's), compiled by
/// `cargo test --doc` (`no_run`: they write files).
#[doc = include_str!("../../docs/rust.md")]
#[cfg(doctest)]
pub struct RustGuideDoctests;
