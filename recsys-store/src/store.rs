//! The `Store` handle: connecting, migrating, and running one piece of SQL on either backend.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::{Result, StoreError};

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// PostgreSQL with the pgvector extension (production).
    Postgres,
    /// SQLite in a local file (the embedded default).
    Sqlite,
}

#[derive(Debug, Clone)]
pub(crate) enum Backend {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Pool size (default 10 for Postgres, 4 for SQLite, whose writers take turns anyway).
    pub max_connections: Option<u32>,
    /// How long a caller waits for a pooled connection (default 30 s).
    pub acquire_timeout: Duration,
    /// HNSW candidate list size for nearest-neighbour queries on Postgres (pgvector's
    /// `hnsw.ef_search`; default 100). Larger is slower and closer to exact.
    pub hnsw_ef_search: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: None,
            acquire_timeout: Duration::from_secs(30),
            hnsw_ef_search: 100,
        }
    }
}

/// One handle to the shop's database, cheap to clone (it is a connection pool).
///
/// The backend is chosen by the URL: `postgres://...` (PostgreSQL + pgvector) or
/// `sqlite://path/to/file.db` (created on first use; `sqlite::memory:` for a private in-memory
/// database). Migrations are applied on connect. Every method behaves the same on both backends;
/// the shared conformance suite (`tests/conformance/`) checks it.
///
/// ```no_run
/// # async fn demo() -> recsys_store::Result<()> {
/// use recsys_store::{NewUser, PasswordHash, Role, Store};
/// let store = Store::connect("sqlite://shop.db").await?;
/// let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")?;
/// let ann = store.create_user(&NewUser::new("ann@example.com", hash, Role::User)).await?;
/// assert_eq!(store.user(ann.id).await?.email, "ann@example.com");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    pub(crate) options: StoreOptions,
    pub(crate) embedding_cache: crate::ml::embeddings::EmbeddingCache,
}

impl Store {
    /// Connects with default options and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, StoreOptions::default()).await
    }

    /// Connects with explicit options and applies pending migrations.
    pub async fn connect_with(url: &str, options: StoreOptions) -> Result<Store> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
            let connect = libpq_tls_modes(connect, url);
            let mode = connect.get_ssl_mode();
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.unwrap_or(10))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await
                .map_err(|e| tls_explained(e, mode))?;
            Backend::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("bad SQLite URL: {e}")))?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30));
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let mut pool = SqlitePoolOptions::new()
                .max_connections(options.max_connections.unwrap_or(4))
                .acquire_timeout(options.acquire_timeout);
            if in_memory {
                // a private in-memory database lives and dies with its one connection: keep
                // exactly one, and never let the pool retire it
                pool = pool
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
            let pool = pool.connect_with(connect).await?;
            Backend::Sqlite(pool)
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL '{}': use postgres://... or sqlite://path",
                url.split('@').next_back().unwrap_or(url)
            )));
        };
        let store = Store {
            backend,
            options,
            embedding_cache: Default::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The backend this store talks to.
    pub fn backend_kind(&self) -> BackendKind {
        match self.backend {
            Backend::Postgres(_) => BackendKind::Postgres,
            Backend::Sqlite(_) => BackendKind::Sqlite,
        }
    }

    /// Applies the migrations not yet applied (also done by `connect`).
    pub async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await?,
            Backend::Sqlite(pool) => migrator(SQLITE_MIGRATIONS).run(pool).await?,
        }
        Ok(())
    }

    /// One round trip to the database (`SELECT 1`): what a readiness check asks.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// The pool's connections now: (open, idle).
    pub fn pool_stats(&self) -> (u32, usize) {
        match &self.backend {
            Backend::Postgres(pool) => (pool.size(), pool.num_idle()),
            Backend::Sqlite(pool) => (pool.size(), pool.num_idle()),
        }
    }

    /// Waits for every connection to be returned and closes the pool. Data written before is
    /// durable (Postgres commits, SQLite's WAL is checkpointed on close).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Postgres(pool) => pool.close().await,
            Backend::Sqlite(pool) => pool.close().await,
        }
    }
}

/// The TLS modes with libpq's meaning where sqlx's differs (libpq's "SSL Support" chapter):
/// `require` with a root certificate (`sslrootcert` in the URL or `PGSSLROOTCERT`) verifies the
/// server's certificate against it, as `verify-ca` does; `allow` (which sqlx reads as `disable`)
/// tries TLS first and falls back to plain, as `prefer` does: the same servers are reached, with
/// encryption where the server offers it.
fn libpq_tls_modes(options: PgConnectOptions, url: &str) -> PgConnectOptions {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let root_cert = query.split('&').any(|pair| {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        matches!(key, "sslrootcert" | "ssl-root-cert" | "ssl-ca")
    }) || std::env::var_os("PGSSLROOTCERT").is_some_and(|v| !v.is_empty());
    match options.get_ssl_mode() {
        PgSslMode::Require if root_cert => options.ssl_mode(PgSslMode::VerifyCa),
        PgSslMode::Allow => options.ssl_mode(PgSslMode::Prefer),
        _ => options,
    }
}

/// A failed TLS handshake with PostgreSQL as a configuration error that says what the mode checks.
fn tls_explained(error: sqlx::Error, mode: PgSslMode) -> StoreError {
    // rustls refusing the server's certificate surfaces as an I/O error of kind InvalidData
    let tls = match &error {
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Io(e) => {
            e.kind() == std::io::ErrorKind::InvalidData && !matches!(mode, PgSslMode::Disable)
        }
        _ => false,
    };
    if !tls {
        return error.into();
    }
    let checks = match mode {
        PgSslMode::VerifyFull => {
            "verify-full checks that the server's certificate is signed by a CA in sslrootcert \
             (or a public CA when none is given) and names the host of the URL"
        }
        PgSslMode::VerifyCa => {
            "verify-ca (and require with sslrootcert) checks that the server's certificate is \
             signed by a CA in sslrootcert (or a public CA when none is given)"
        }
        _ => "require encrypts without checking the server's certificate",
    };
    StoreError::Config(format!("TLS to PostgreSQL failed: {error}; {checks}"))
}

/// Integer ids as the inside of an SQL `IN (...)` list. Safe to splice into SQL: the text is
/// digits, minus signs and commas formatted here, never caller text.
pub(crate) fn sql_id_list(ids: impl IntoIterator<Item = i64>) -> String {
    ids.into_iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The same PostgreSQL URL naming another database (`postgres://u@h:p/old?x=y` ->
/// `postgres://u@h:p/new?x=y`): what a harness that creates a database per test or benchmark
/// connects to.
pub fn postgres_url_with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    // the server is everything up to the path after "scheme://host:port"
    let server = match base.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)),
        None => base.to_string(),
    };
    match query {
        Some(q) => format!("{server}/{database}?{q}"),
        None => format!("{server}/{database}"),
    }
}

/// Numbered migrations per backend, embedded in the binary. Never edit one that has landed.
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "checkout_keys",
        include_str!("../migrations/postgres/0002_checkout_keys.sql"),
    ),
    (
        3,
        "refresh_tokens",
        include_str!("../migrations/postgres/0003_refresh_tokens.sql"),
    ),
    (
        4,
        "order_lines_by_product",
        include_str!("../migrations/postgres/0004_order_lines_by_product.sql"),
    ),
    (
        5,
        "lifecycle",
        include_str!("../migrations/postgres/0005_lifecycle.sql"),
    ),
    (
        6,
        "shop_keys",
        include_str!("../migrations/postgres/0006_shop_keys.sql"),
    ),
    (
        7,
        "listing_indexes",
        include_str!("../migrations/postgres/0007_listing_indexes.sql"),
    ),
    (
        8,
        "api_keys",
        include_str!("../migrations/postgres/0008_api_keys.sql"),
    ),
    (
        9,
        "audit_client_addr",
        include_str!("../migrations/postgres/0009_audit_client_addr.sql"),
    ),
    (
        10,
        "product_images",
        include_str!("../migrations/postgres/0010_product_images.sql"),
    ),
];
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "checkout_keys",
        include_str!("../migrations/sqlite/0002_checkout_keys.sql"),
    ),
    (
        3,
        "refresh_tokens",
        include_str!("../migrations/sqlite/0003_refresh_tokens.sql"),
    ),
    (
        4,
        "order_lines_by_product",
        include_str!("../migrations/sqlite/0004_order_lines_by_product.sql"),
    ),
    (
        5,
        "lifecycle",
        include_str!("../migrations/sqlite/0005_lifecycle.sql"),
    ),
    (
        6,
        "shop_keys",
        include_str!("../migrations/sqlite/0006_shop_keys.sql"),
    ),
    (
        7,
        "listing_indexes",
        include_str!("../migrations/sqlite/0007_listing_indexes.sql"),
    ),
    (
        8,
        "api_keys",
        include_str!("../migrations/sqlite/0008_api_keys.sql"),
    ),
    (
        9,
        "audit_client_addr",
        include_str!("../migrations/sqlite/0009_audit_client_addr.sql"),
    ),
    (
        10,
        "product_images",
        include_str!("../migrations/sqlite/0010_product_images.sql"),
    ),
];

fn migrator(list: &[(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        list.iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// Runs `$body` with `$pool` bound to the backend's pool. The body is written once and compiled
/// for each backend, so both run the same SQL (placeholders are `$1`, `$2`, ... in both).
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Postgres($pool) => $body,
            $crate::store::Backend::Sqlite($pool) => $body,
        }
    };
}

/// Runs `$body` (an expression of type `Result<T>`) in one transaction bound to `$tx`; commits
/// when it returns `Ok`, rolls back otherwise. SQLite transactions begin IMMEDIATE: a deferred
/// one that reads and then writes fails with SQLITE_BUSY when another writer got in between,
/// whereas IMMEDIATE waits for the write lock up front (bounded by the busy timeout).
macro_rules! with_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out: $crate::Result<_> = async { $body }.await;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                out
            }
            $crate::store::Backend::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out: $crate::Result<_> = async { $body }.await;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                out
            }
        }
    };
}

pub(crate) use {with_pool, with_tx};

#[cfg(test)]
mod tests {
    use super::{PgConnectOptions, PgSslMode, libpq_tls_modes, postgres_url_with_database};
    use std::str::FromStr;

    #[test]
    fn postgres_urls_get_the_new_database_and_keep_the_rest() {
        assert_eq!(
            postgres_url_with_database(
                "postgres://u@127.0.0.1:5432/postgres?sslmode=disable",
                "t1"
            ),
            "postgres://u@127.0.0.1:5432/t1?sslmode=disable"
        );
        assert_eq!(
            postgres_url_with_database("postgres://u:p@h/db", "t2"),
            "postgres://u:p@h/t2"
        );
    }

    #[test]
    fn tls_modes_mean_what_libpq_says() {
        let mode = |url: &str| {
            libpq_tls_modes(PgConnectOptions::from_str(url).unwrap(), url).get_ssl_mode()
        };
        let base = "postgres://u@db.example.com/shop?sslmode=";
        assert!(matches!(
            mode(&format!("{base}require")),
            PgSslMode::Require
        ));
        assert!(matches!(
            mode(&format!("{base}require&sslrootcert=/etc/ca.pem")),
            PgSslMode::VerifyCa
        ));
        assert!(matches!(mode(&format!("{base}allow")), PgSslMode::Prefer));
        assert!(matches!(
            mode(&format!("{base}verify-full&sslrootcert=/etc/ca.pem")),
            PgSslMode::VerifyFull
        ));
        assert!(matches!(
            mode(&format!("{base}disable")),
            PgSslMode::Disable
        ));
    }
}
