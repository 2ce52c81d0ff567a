//! Configuration: flags, each with an environment variable (`recsys-server --help` lists all).
//! Bad configuration is a one-line error naming the setting (exit code 2), never a panic.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (for log collectors).
    Json,
    /// Human-readable lines.
    Pretty,
}

/// The recsys shop server. Without a command it serves the shop; `import` and `export` move a
/// shop's own files in and out of the same database.
#[derive(Debug, Clone, Parser)]
#[command(name = "recsys-server", version, about, long_about = None)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Folder for what the server keeps on disk when no setting of its own names a place: the
    /// embedded database (`shop.db`, with its `shop.jwt-secret`) and the demo data (`ml-100k/`).
    /// Created if missing; relative to the working directory; the start-up message prints the
    /// full paths.
    #[arg(
        long = "data-dir",
        env = "RECSYS_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Database: `sqlite://path/to/shop.db` (embedded; default `sqlite://<data-dir>/shop.db`) or
    /// `postgres://...`.
    #[arg(long = "database-url", env = "RECSYS_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Address to listen on.
    #[arg(long, env = "RECSYS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// HS256 secret for access tokens (at least 32 bytes). Required with Postgres, where every
    /// replica must share it; on SQLite one is generated on first start and kept beside the
    /// database file.
    #[arg(long = "jwt-secret", env = "RECSYS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// E-mail of the admin account created on first start if no admin exists.
    #[arg(long = "admin-email", env = "RECSYS_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// Password of that admin account (at least 8 characters).
    #[arg(
        long = "admin-password",
        env = "RECSYS_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,

    /// Origins allowed by CORS, comma-separated (`*` for any; none by default: same origin only).
    #[arg(
        long = "cors-origins",
        env = "RECSYS_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Log format.
    #[arg(long, env = "RECSYS_LOG", value_enum, default_value = "json")]
    pub log: LogFormat,

    /// Log filter (tracing's EnvFilter syntax).
    #[arg(long = "log-level", env = "RECSYS_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Largest request body in bytes.
    #[arg(long = "body-limit", env = "RECSYS_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,

    /// Seconds a request may take before it is answered 408.
    #[arg(
        long = "request-timeout",
        env = "RECSYS_REQUEST_TIMEOUT",
        default_value_t = 30
    )]
    pub request_timeout_s: u64,

    /// Requests per second allowed per client address (0 = no limit).
    #[arg(long = "rate-limit", env = "RECSYS_RATE_LIMIT", default_value_t = 0)]
    pub rate_limit_per_s: u32,

    /// Burst of requests allowed above the rate per client address.
    #[arg(long = "rate-burst", env = "RECSYS_RATE_BURST", default_value_t = 100)]
    pub rate_burst: u32,

    /// Requests per second allowed per service API key, with bursts of ten times that (0 = no
    /// limit). Each replica counts on its own.
    #[arg(
        long = "api-key-rate",
        env = "RECSYS_API_KEY_RATE",
        default_value_t = 100
    )]
    pub api_key_rate_per_s: u32,

    /// Failed logins for one account from one client address within the lockout window before
    /// that pair is refused (429) until the window passes.
    #[arg(
        long = "login-max-failures",
        env = "RECSYS_LOGIN_MAX_FAILURES",
        default_value_t = 5
    )]
    pub login_max_failures: u32,

    /// Failed logins for one account from all addresses within the lockout window before the
    /// account is refused (429) until the window passes.
    #[arg(
        long = "login-account-max-failures",
        env = "RECSYS_LOGIN_ACCOUNT_MAX_FAILURES",
        default_value_t = 20
    )]
    pub login_account_max_failures: u32,

    /// Failed logins from one client address (any accounts) within the lockout window after
    /// which every login from that address waits one second first. It slows, never refuses:
    /// behind a NAT or a proxy many customers share an address.
    #[arg(
        long = "login-address-slow-after",
        env = "RECSYS_LOGIN_ADDRESS_SLOW_AFTER",
        default_value_t = 100
    )]
    pub login_address_slow_after: u32,

    /// Seconds of the failed-login window.
    #[arg(
        long = "login-lockout",
        env = "RECSYS_LOGIN_LOCKOUT",
        default_value_t = 300
    )]
    pub login_lockout_s: u64,

    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client, as addresses or
    /// networks, comma-separated (`10.0.0.0/8,::1`). Requests from any other peer are that
    /// peer, whatever they send. Empty (the default): every request is its peer.
    #[arg(
        long = "trusted-proxies",
        env = "RECSYS_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,

    /// Send `Strict-Transport-Security` (one year, subdomains): only when the shop is served
    /// over HTTPS (by a proxy in front or otherwise), as browsers then refuse plain HTTP.
    #[arg(long, env = "RECSYS_HSTS")]
    pub hsts: bool,

    /// Argon2id memory cost in KiB.
    #[arg(long = "argon2-memory-kib", env = "RECSYS_ARGON2_MEMORY_KIB", default_value_t = 19 * 1024)]
    pub argon2_memory_kib: u32,

    /// Argon2id iterations.
    #[arg(
        long = "argon2-iterations",
        env = "RECSYS_ARGON2_ITERATIONS",
        default_value_t = 2
    )]
    pub argon2_iterations: u32,

    /// Import the MovieLens-100K demo shop (from `--demo-data`) into an empty database and train.
    #[arg(long, env = "RECSYS_DEMO")]
    pub demo: bool,

    /// Allow `--demo` on PostgreSQL (refused without it: the demo creates accounts with
    /// published passwords, and a Postgres database is usually a real one).
    #[arg(long = "demo-on-postgres", env = "RECSYS_DEMO_ON_POSTGRES")]
    pub demo_on_postgres: bool,

    /// Folder with MovieLens-100K (`ml-100k.inter`, `ml-100k.item`; scripts/fetch-data.sh);
    /// default `<data-dir>/ml-100k`.
    #[arg(long = "demo-data", env = "RECSYS_DEMO_DATA")]
    pub demo_data: Option<PathBuf>,

    /// Where product pictures are kept: a directory, or `s3://bucket[/prefix]` of an
    /// S3-compatible store (credentials, region and endpoint from the standard `AWS_*`
    /// variables: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
    /// `AWS_ALLOW_HTTP=true` for a plain-http endpoint); default `<data-dir>/images`.
    #[arg(long = "image-store", env = "RECSYS_IMAGE_STORE")]
    pub image_store: Option<String>,

    /// Largest picture an upload may send, in bytes.
    #[arg(
        long = "image-max-bytes",
        env = "RECSYS_IMAGE_MAX_BYTES",
        default_value_t = 5 << 20
    )]
    pub image_max_bytes: usize,

    /// Folder of built web pages to serve at `/` instead of the ones embedded in the binary
    /// (for front-end work: `recsys-server/web/dist`); a folder without `index.html`: API only.
    #[arg(long = "web-dir", env = "RECSYS_WEB_DIR")]
    pub web_dir: Option<PathBuf>,

    /// Database pool size (default: 10 on Postgres, 4 on SQLite).
    #[arg(long = "db-pool", env = "RECSYS_DB_POOL", global = true)]
    pub db_pool: Option<u32>,

    /// Seconds a request waits for a database connection before it is answered 503 (while the
    /// database is down or every connection is busy); less than `--request-timeout`.
    #[arg(
        long = "db-acquire-timeout",
        env = "RECSYS_DB_ACQUIRE_TIMEOUT",
        default_value_t = 5.0,
        global = true
    )]
    pub db_acquire_timeout_s: f64,

    /// Seconds a user's role, active flag and bought products are trusted from memory (0 to 60):
    /// a deactivated user's access tokens and a revoked API key stop working within this time on
    /// every replica.
    #[arg(
        long = "user-cache-ttl",
        env = "RECSYS_USER_CACHE_TTL",
        default_value_t = 30
    )]
    pub user_cache_ttl_s: u64,

    /// Recommendation lists kept in memory, by everything that decides them (model version,
    /// catalog state, user, length, category, products left out), so a customer's next page
    /// does not score the catalog again; an entry is never stale. 0 turns it off.
    #[arg(
        long = "list-cache-entries",
        env = "RECSYS_LIST_CACHE_ENTRIES",
        default_value_t = 50_000
    )]
    pub list_cache_entries: usize,

    /// Memory the kept recommendation lists may take, in MiB (about: a list's key, the products
    /// it leaves out and its products are counted); whichever of this and
    /// `--list-cache-entries` is reached first bounds the cache.
    #[arg(
        long = "list-cache-mib",
        env = "RECSYS_LIST_CACHE_MIB",
        default_value_t = 64
    )]
    pub list_cache_mib: usize,

    /// ISO 4217 code of the shop's prices.
    #[arg(long, env = "RECSYS_CURRENCY", default_value = "USD")]
    pub currency: String,

    /// Seconds between checks for a newly activated model version in the database.
    #[arg(long = "model-poll", env = "RECSYS_MODEL_POLL", default_value_t = 1.0)]
    pub model_poll_s: f64,

    /// Whether this process runs queued training jobs (one at a time). Replicas that only
    /// serve can say false; some replica must say true.
    #[arg(long = "train-worker", env = "RECSYS_TRAIN_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub train_worker: bool,

    /// Activate a newly trained version when its NDCG@10 beats the active version's on the
    /// same hold-out by this relative margin (0.02 = 2% better); unset: never automatically.
    #[arg(long = "auto-activate-margin", env = "RECSYS_AUTO_ACTIVATE_MARGIN")]
    pub auto_activate_margin: Option<f64>,

    /// Queue a retraining of the serving model every this many hours (unset: no schedule).
    #[arg(long = "retrain-every-hours", env = "RECSYS_RETRAIN_EVERY_HOURS")]
    pub retrain_every_hours: Option<f64>,

    /// Queue a retraining of the serving model once this many events arrived since the last
    /// run was queued (unset: no such trigger).
    #[arg(long = "retrain-after-events", env = "RECSYS_RETRAIN_AFTER_EVENTS")]
    pub retrain_after_events: Option<u64>,
}

/// What the binary does.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Serve the shop (what runs without a command).
    Serve,
    /// Import a shop's categories, products, customers, orders and events from CSV or JSON Lines
    /// files (docs/import.md lists every field).
    ///
    /// Every record carries the shop's own key (category `key`, product `sku`, customer
    /// `external_id` or e-mail, order `external_id`): a record with a new key is created, a
    /// changed one updates what changed, and importing the same file again changes nothing.
    /// All files are checked first; by default a file with any bad row is refused whole and
    /// nothing is written. Gzip-compressed files are read decompressed; `-` reads standard input.
    ///
    /// Exit codes: 0 done (or checked, with --dry-run), 1 refused or failed, 2 usage.
    #[command(
        after_help = "Example:\n  recsys-server import --database-url sqlite://data/shop.db \\\n    --categories categories.csv --products products.csv --customers customers.csv \\\n    --orders orders.csv --events events.jsonl.gz"
    )]
    Import(ImportArgs),
    /// Export the shop's categories, products, customers, orders and events in the formats
    /// `import` reads (imported into an empty database, they export to the same bytes).
    ///
    /// Exit codes: 0 done, 1 failed, 2 usage.
    Export(ExportArgs),
    /// Copy the database to a new file while the shop keeps serving (SQLite: one consistent
    /// moment, compacted), then check the copy as `check` does. A PostgreSQL database is backed
    /// up with pg_dump instead (the exact command is in the error and docs/deploy.md).
    ///
    /// Exit codes: 0 a sound copy written, 1 failed or the copy is not sound, 2 usage.
    Backup(BackupArgs),
    /// Make a backup file the database named by --database-url (a SQLite file that must not
    /// exist yet): the backup is copied beside it, migrated forward if it is older, checked,
    /// and moved into place only when sound. The backup file itself is never changed.
    ///
    /// Exit codes: 0 restored, 1 refused or failed (nothing restored), 2 usage.
    Restore(RestoreArgs),
    /// Check the database: every order adds up from its lines, no stock below zero, the
    /// database file sound (SQLite's own checks), every active model version loads. Prints the
    /// report as one JSON line.
    ///
    /// Exit codes: 0 sound, 1 not sound or failed.
    Check,
}

/// `recsys-server backup`.
#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// The file to write (must not exist).
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

/// `recsys-server restore`.
#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    /// The backup file (made by `recsys-server backup`).
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
}

/// The files of an import or export, one per entity, written or read in dependency order.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ShopFiles {
    /// Categories: key, name, parent.
    #[arg(long, value_name = "FILE")]
    pub categories: Option<String>,
    /// Products: sku, name, description, category, price_cents (or price), stock, active,
    /// attributes, image_url, created_at.
    #[arg(long, value_name = "FILE")]
    pub products: Option<String>,
    /// Customers: external_id, email, name, password_hash, active, created_at.
    #[arg(long, value_name = "FILE")]
    pub customers: Option<String>,
    /// Orders, one row per line: external_id, customer, status, created_at, sku, quantity,
    /// unit_price_cents (or unit_price).
    #[arg(long, value_name = "FILE")]
    pub orders: Option<String>,
    /// Events: customer, sku, kind, value, at.
    #[arg(long, value_name = "FILE")]
    pub events: Option<String>,
    /// The files' format, where the names do not say it (.csv, .jsonl, .ndjson; `-` always
    /// needs it).
    #[arg(long, value_enum)]
    pub format: Option<crate::services::shop_files::formats::Format>,
}

impl ShopFiles {
    /// (entity, file) for each file named.
    pub fn named(&self) -> Vec<(crate::services::shop_files::records::Entity, &str)> {
        use crate::services::shop_files::records::Entity;
        [
            (Entity::Categories, &self.categories),
            (Entity::Products, &self.products),
            (Entity::Customers, &self.customers),
            (Entity::Orders, &self.orders),
            (Entity::Events, &self.events),
        ]
        .into_iter()
        .filter_map(|(e, f)| Some((e, f.as_deref()?)))
        .collect()
    }
}

/// `recsys-server import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub files: ShopFiles,
    /// Check every file and row, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the good rows and put each bad one, with its reason, in FILE (JSON Lines) instead
    /// of refusing the import.
    #[arg(long, value_name = "FILE")]
    pub skip_invalid: Option<std::path::PathBuf>,
    /// Unlist (deactivate) the active products that the products file does not name: for a
    /// file that is the whole catalog.
    #[arg(long, requires = "products")]
    pub deactivate_missing: bool,
}

/// `recsys-server export`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub files: ShopFiles,
}

/// A setting that cannot be used: names the setting and says why.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {setting}: {reason}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub reason: String,
}

fn bad(setting: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        setting,
        reason: reason.into(),
    }
}

/// Settings checked and in the types the server uses.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    pub jwt_secret: Option<Vec<u8>>,
    pub admin: Option<(String, String)>,
    pub cors_origins: Vec<String>,
    pub log: LogFormat,
    pub log_level: String,
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub rate_limit_per_s: u32,
    pub rate_burst: u32,
    pub api_key_rate_per_s: u32,
    pub login_max_failures: u32,
    pub login_account_max_failures: u32,
    pub login_address_slow_after: u32,
    pub login_lockout: Duration,
    pub trusted_proxies: crate::client::TrustedProxies,
    pub hsts: bool,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub demo: bool,
    pub demo_data: PathBuf,
    pub image_store: crate::services::images::ImageLocation,
    pub image_max_bytes: usize,
    pub web_dir: Option<PathBuf>,
    pub db_pool: Option<u32>,
    pub db_acquire_timeout: Duration,
    pub model_poll: Duration,
    pub user_cache_ttl: Duration,
    pub list_cache_entries: usize,
    pub list_cache_bytes: usize,
    pub currency: String,
    pub train_worker: bool,
    pub auto_activate_margin: Option<f64>,
    pub retrain_every: Option<Duration>,
    pub retrain_after_events: Option<u64>,
}

impl Config {
    /// The database URL: the one given, else the embedded database in the data folder.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("shop.db").display()))
    }

    /// Checks every setting; the first bad one is the error.
    pub fn check(self) -> Result<Settings, ConfigError> {
        let database_url = self.database_url();
        let postgres =
            database_url.starts_with("postgres://") || database_url.starts_with("postgresql://");
        if !postgres && !database_url.starts_with("sqlite:") {
            return Err(bad(
                "RECSYS_DATABASE_URL",
                "must start with sqlite:// or postgres://",
            ));
        }
        if self.demo && postgres && !self.demo_on_postgres {
            return Err(bad(
                "RECSYS_DEMO",
                "refuses PostgreSQL: the demo creates accounts with published passwords; \
                 add --demo-on-postgres if this database is for the demo only",
            ));
        }
        let bind: SocketAddr = self.bind.parse().map_err(|_| {
            bad(
                "RECSYS_BIND",
                format!("'{}' is not an address like 127.0.0.1:8080", self.bind),
            )
        })?;
        let jwt_secret = match self.jwt_secret {
            Some(s) if s.len() < 32 => {
                return Err(bad(
                    "RECSYS_JWT_SECRET",
                    format!("must be at least 32 bytes, got {}", s.len()),
                ));
            }
            Some(s) => Some(s.into_bytes()),
            None if postgres => {
                return Err(bad(
                    "RECSYS_JWT_SECRET",
                    "is required with Postgres (every replica must share it)",
                ));
            }
            None => None,
        };
        let admin = match (self.admin_email, self.admin_password) {
            (Some(e), Some(p)) => {
                if !e.contains('@') {
                    return Err(bad(
                        "RECSYS_ADMIN_EMAIL",
                        format!("'{e}' is not an e-mail address"),
                    ));
                }
                if p.chars().count() < 8 {
                    return Err(bad(
                        "RECSYS_ADMIN_PASSWORD",
                        "must be at least 8 characters",
                    ));
                }
                Some((e, p))
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(bad(
                    "RECSYS_ADMIN_PASSWORD",
                    "is required with RECSYS_ADMIN_EMAIL",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "RECSYS_ADMIN_EMAIL",
                    "is required with RECSYS_ADMIN_PASSWORD",
                ));
            }
        };
        for origin in &self.cors_origins {
            if origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(bad(
                    "RECSYS_CORS_ORIGINS",
                    format!("'{origin}' is not an origin like https://shop.example.com"),
                ));
            }
        }
        if self.body_limit < 1024 {
            return Err(bad("RECSYS_BODY_LIMIT", "must be at least 1024 bytes"));
        }
        if self.request_timeout_s == 0 {
            return Err(bad("RECSYS_REQUEST_TIMEOUT", "must be at least 1 second"));
        }
        if self.login_max_failures == 0 {
            return Err(bad("RECSYS_LOGIN_MAX_FAILURES", "must be at least 1"));
        }
        if self.login_account_max_failures < self.login_max_failures {
            return Err(bad(
                "RECSYS_LOGIN_ACCOUNT_MAX_FAILURES",
                "must be at least RECSYS_LOGIN_MAX_FAILURES (an account counts every address)",
            ));
        }
        if self.login_address_slow_after == 0 {
            return Err(bad("RECSYS_LOGIN_ADDRESS_SLOW_AFTER", "must be at least 1"));
        }
        let trusted_proxies = crate::client::TrustedProxies(
            self.trusted_proxies
                .iter()
                .filter(|c| !c.trim().is_empty())
                .map(|c| c.parse())
                .collect::<Result<_, String>>()
                .map_err(|e| bad("RECSYS_TRUSTED_PROXIES", e))?,
        );
        if self.argon2_memory_kib < 8 || self.argon2_iterations == 0 {
            return Err(bad(
                "RECSYS_ARGON2_MEMORY_KIB",
                "argon2 needs at least 8 KiB and 1 iteration",
            ));
        }
        if !(self.model_poll_s.is_finite()
            && self.model_poll_s > 0.0
            && self.model_poll_s <= 3600.0)
        {
            return Err(bad(
                "RECSYS_MODEL_POLL",
                "must be between 0 and 3600 seconds",
            ));
        }
        if self.db_pool == Some(0) {
            return Err(bad("RECSYS_DB_POOL", "must be at least 1"));
        }
        if !(self.db_acquire_timeout_s.is_finite()
            && self.db_acquire_timeout_s >= 0.1
            && self.db_acquire_timeout_s < self.request_timeout_s as f64)
        {
            return Err(bad(
                "RECSYS_DB_ACQUIRE_TIMEOUT",
                "must be at least 0.1 seconds and less than RECSYS_REQUEST_TIMEOUT (a request \
                 waiting for the database is answered 503 before it times out)",
            ));
        }
        if self.user_cache_ttl_s > 60 {
            return Err(bad("RECSYS_USER_CACHE_TTL", "must be at most 60 seconds"));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(bad(
                "RECSYS_CURRENCY",
                format!("'{}' is not an ISO 4217 code like USD", self.currency),
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .map_err(|e| bad("RECSYS_LOG_LEVEL", e.to_string()))?;
        if let Some(m) = self.auto_activate_margin
            && !(m.is_finite() && (-1.0..=10.0).contains(&m))
        {
            return Err(bad(
                "RECSYS_AUTO_ACTIVATE_MARGIN",
                "must be a relative margin between -1 and 10 (0.02 = 2% better)",
            ));
        }
        if let Some(h) = self.retrain_every_hours
            && !(h.is_finite() && (0.01..=24.0 * 365.0).contains(&h))
        {
            return Err(bad(
                "RECSYS_RETRAIN_EVERY_HOURS",
                "must be between 0.01 and 8760 hours",
            ));
        }
        if self.retrain_after_events == Some(0) {
            return Err(bad("RECSYS_RETRAIN_AFTER_EVENTS", "must be at least 1"));
        }
        let demo_data = self
            .demo_data
            .unwrap_or_else(|| self.data_dir.join("ml-100k"));
        let image_store = match &self.image_store {
            Some(value) => crate::services::images::ImageLocation::parse(value)
                .map_err(|e| bad("RECSYS_IMAGE_STORE", e))?,
            None => crate::services::images::ImageLocation::Disk(self.data_dir.join("images")),
        };
        if self.image_max_bytes < 1024 {
            return Err(bad("RECSYS_IMAGE_MAX_BYTES", "must be at least 1024 bytes"));
        }
        Ok(Settings {
            database_url,
            bind,
            jwt_secret,
            admin,
            cors_origins: self.cors_origins,
            log: self.log,
            log_level: self.log_level,
            body_limit: self.body_limit,
            request_timeout: Duration::from_secs(self.request_timeout_s),
            rate_limit_per_s: self.rate_limit_per_s,
            rate_burst: self.rate_burst.max(1),
            api_key_rate_per_s: self.api_key_rate_per_s,
            login_max_failures: self.login_max_failures,
            login_account_max_failures: self.login_account_max_failures,
            login_address_slow_after: self.login_address_slow_after,
            trusted_proxies,
            hsts: self.hsts,
            login_lockout: Duration::from_secs(self.login_lockout_s.max(1)),
            argon2_memory_kib: self.argon2_memory_kib,
            argon2_iterations: self.argon2_iterations,
            demo: self.demo,
            demo_data,
            image_store,
            image_max_bytes: self.image_max_bytes,
            web_dir: self.web_dir,
            db_pool: self.db_pool,
            db_acquire_timeout: Duration::from_secs_f64(self.db_acquire_timeout_s),
            model_poll: Duration::from_secs_f64(self.model_poll_s),
            user_cache_ttl: Duration::from_secs(self.user_cache_ttl_s),
            list_cache_entries: self.list_cache_entries,
            list_cache_bytes: self.list_cache_mib.saturating_mul(1 << 20),
            currency: self.currency,
            train_worker: self.train_worker,
            auto_activate_margin: self.auto_activate_margin,
            retrain_every: self
                .retrain_every_hours
                .map(|h| Duration::from_secs_f64(h * 3600.0)),
            retrain_after_events: self.retrain_after_events,
        })
    }
}

/// The file of a SQLite database URL (`None` for Postgres and in-memory databases).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

impl Settings {
    /// The SQLite database file, if the database is one (`None` for Postgres and for an
    /// in-memory SQLite database).
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        sqlite_file(&self.database_url)
    }

    /// Settings for tests and embedding: an explicit database and secret, defaults elsewhere,
    /// argon2 at its cheapest (tests hash many passwords).
    pub fn for_tests(database_url: &str) -> Settings {
        let mut s = Config::parse_from(["recsys-server", "--jwt-secret", &"t".repeat(32)])
            .check()
            .expect("the defaults are valid");
        s.database_url = database_url.to_string();
        s.argon2_memory_kib = 8;
        s.argon2_iterations = 1;
        s.log = LogFormat::Pretty;
        // pictures in a folder of this settings' own, not in ./data
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        s.image_store = crate::services::images::ImageLocation::Disk(
            std::env::temp_dir().join(format!("recsys-test-images-{}-{n}", std::process::id())),
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn deploy_file(name: &str) -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/");
        std::fs::read_to_string(format!("{path}{name}")).unwrap()
    }

    /// The systemd unit's `ExecStart` parses and checks with the example environment's database
    /// (docs/deploy.md); every variable of the example environment is one the server reads.
    #[test]
    fn the_deploy_examples_are_settings_the_server_accepts() {
        let unit = deploy_file("recsys-server.service");
        let exec = unit
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .expect("an ExecStart line");
        let args: Vec<&str> = exec.split_whitespace().collect();
        assert!(args[0].ends_with("/recsys-server"), "{exec}");
        let config = Config::try_parse_from(
            args.iter()
                .copied()
                .chain(["--jwt-secret", &"x".repeat(32)]),
        )
        .unwrap_or_else(|e| panic!("ExecStart does not parse: {e}"));
        let settings = config.check().unwrap();
        assert_eq!(settings.database_url, "sqlite:///var/lib/recsys/shop.db");
        assert!(settings.hsts && settings.trusted_proxies.0.len() == 2);

        let known: Vec<String> = Config::command()
            .get_arguments()
            .filter_map(|a| a.get_env())
            .map(|e| e.to_string_lossy().into_owned())
            .collect();
        let env = deploy_file("recsys-server.env");
        let mut seen = 0;
        for line in env.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, _) = line.split_once('=').expect("NAME=value");
            assert!(known.iter().any(|k| k == name), "{name} is not a setting");
            seen += 1;
        }
        assert!(seen >= 5, "the example sets the settings that matter");
    }

    #[test]
    fn the_default_database_and_demo_data_live_in_the_data_folder() {
        let s = Config::try_parse_from(["recsys-server", "--data-dir", "/srv/shop"])
            .unwrap()
            .check()
            .unwrap();
        assert_eq!(s.database_url, "sqlite:///srv/shop/shop.db");
        assert_eq!(s.demo_data, PathBuf::from("/srv/shop/ml-100k"));
        let s = Config::try_parse_from([
            "recsys-server",
            "--data-dir",
            "/srv/shop",
            "--database-url",
            "sqlite:///elsewhere/x.db",
        ])
        .unwrap()
        .check()
        .unwrap();
        assert_eq!(s.database_url, "sqlite:///elsewhere/x.db");
    }

    #[test]
    fn bad_proxies_and_demo_on_postgres_are_refused_by_name() {
        let e = Config::try_parse_from(["recsys-server", "--trusted-proxies", "10.0.0.0/40"])
            .unwrap()
            .check()
            .unwrap_err();
        assert_eq!(e.setting, "RECSYS_TRUSTED_PROXIES");
        let e = Config::try_parse_from([
            "recsys-server",
            "--demo",
            "--database-url",
            "postgres://x@db/shop",
        ])
        .unwrap()
        .check()
        .unwrap_err();
        assert_eq!(e.setting, "RECSYS_DEMO");
        let e = Config::try_parse_from([
            "recsys-server",
            "--login-max-failures",
            "10",
            "--login-account-max-failures",
            "5",
        ])
        .unwrap()
        .check()
        .unwrap_err();
        assert_eq!(e.setting, "RECSYS_LOGIN_ACCOUNT_MAX_FAILURES");
    }
}
