//! Operations: liveness, readiness, a detailed health report and Prometheus metrics.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "operations", responses((status = 200, body = Status)))]
pub async fn live() -> axum::Json<Status> {
    axum::Json(Status { status: "ok" })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub database: bool,
    pub model_loaded: bool,
}

/// Ready for traffic: the database answers and a model is loaded (503 otherwise).
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, axum::Json<Readiness>) {
    let database = state.store.ping().await.is_ok();
    let model_loaded = state.models.current().is_some();
    let ok = database && model_loaded;
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        axum::Json(Readiness {
            status: if ok { "ready" } else { "not_ready" },
            database,
            model_loaded,
        }),
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseHealth {
    pub backend: &'static str,
    pub reachable: bool,
    pub ping_ms: f64,
    pub pool_size: u32,
    pub pool_idle: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelHealth {
    pub name: String,
    pub version: i64,
    pub kind: String,
    pub created_at: i64,
    pub loaded_seconds_ago: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProcessHealth {
    pub cpu_seconds: f64,
    pub memory_rss_bytes: u64,
    pub uptime_seconds: f64,
    pub disk_free_bytes: Option<u64>,
    pub disk_total_bytes: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthReport {
    pub status: &'static str,
    pub version: &'static str,
    pub database: DatabaseHealth,
    pub models: Vec<ModelHealth>,
    pub process: ProcessHealth,
    pub catalog_products: usize,
}

/// Database with pool stats, each model's version and age, process CPU, memory and disk.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = HealthReport)))]
pub async fn health(State(state): State<AppState>) -> axum::Json<HealthReport> {
    let t = std::time::Instant::now();
    let reachable = state.store.ping().await.is_ok();
    let ping_ms = t.elapsed().as_secs_f64() * 1000.0;
    let (pool_size, pool_idle) = state.store.pool_stats();
    let models = state
        .models
        .current()
        .map(|s| ModelHealth {
            name: s.version.name.clone(),
            version: s.version.version,
            kind: s.version.kind.clone(),
            created_at: s.version.created_at,
            loaded_seconds_ago: s.loaded_at.elapsed().as_secs_f64(),
        })
        .into_iter()
        .collect();
    let (disk_free, disk_total) = disk(&state.settings);
    axum::Json(HealthReport {
        status: if reachable { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        database: DatabaseHealth {
            backend: state.backend_name(),
            reachable,
            ping_ms,
            pool_size,
            pool_idle,
        },
        models,
        process: ProcessHealth {
            cpu_seconds: cpu_seconds(),
            memory_rss_bytes: rss_bytes(),
            uptime_seconds: state.started.elapsed().as_secs_f64(),
            disk_free_bytes: disk_free,
            disk_total_bytes: disk_total,
        },
        catalog_products: state.catalog.snapshot().products.len(),
    })
}

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let (size, idle) = state.store.pool_stats();
    metrics::gauge!("recsys_db_pool_connections").set(size as f64);
    metrics::gauge!("recsys_db_pool_idle").set(idle as f64);
    if let Some(s) = state.models.current() {
        metrics::gauge!("recsys_model_active_version", "model" => s.version.name.clone())
            .set(s.version.version as f64);
    }
    metrics::gauge!("recsys_process_memory_rss_bytes").set(rss_bytes() as f64);
    metrics::gauge!("recsys_process_cpu_seconds").set(cpu_seconds());
    state.metrics.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// User + system CPU time of this process (Linux /proc; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // the fields after the command name, which is in parentheses and may hold spaces
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name
    // SAFETY: sysconf has no preconditions
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (ticks(11) + ticks(12)) / hz
}

/// Resident memory of this process (Linux /proc; 0 elsewhere).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Free and total bytes of the file system holding the SQLite database (the working folder
/// for Postgres).
fn disk(settings: &crate::config::Settings) -> (Option<u64>, Option<u64>) {
    let path = settings
        .sqlite_file()
        .and_then(|f| f.parent().map(std::path::Path::to_path_buf))
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let Ok(c) = std::ffi::CString::new(path.to_string_lossy().as_bytes()) else {
        return (None, None);
    };
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is a valid C string and s a valid out-parameter
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return (None, None);
    }
    let block = s.f_frsize as u64;
    (
        Some(s.f_bavail as u64 * block),
        Some(s.f_blocks as u64 * block),
    )
}
