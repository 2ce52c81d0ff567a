//! `recsys-server`: reads the configuration, opens (and migrates) the database, prepares the
//! demo shop if asked, loads the models and serves until SIGTERM or ctrl-c; then in-flight
//! requests finish and queued analytics are written before it exits.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use recsys_server::config::{Command, Config, LogFormat, Settings};
use recsys_server::services::{demo, models, training, worker};
use recsys_server::{AppState, app};

mod commands;

/// mimalloc: a request allocates and frees many small buffers (headers, JSON, lists); glibc's
/// malloc spent about 8% of a cached recommendation request in a profile, mimalloc less.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_logs(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::new(&settings.log_level);
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match settings.log {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Pretty => builder.init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    match &config.command {
        Some(Command::Import(args)) => return commands::import(&config, args).await,
        Some(Command::Export(args)) => return commands::export(&config, args).await,
        Some(Command::Backup(args)) => return commands::backup(&config, args).await,
        Some(Command::Restore(args)) => return commands::restore(&config, args).await,
        Some(Command::Check) => return commands::check(&config).await,
        Some(Command::Serve) | None => {}
    }
    let settings = match config.check() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("recsys-server: {e}");
            return ExitCode::from(2);
        }
    };
    init_logs(&settings);
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("recsys-server: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(mut settings: Settings) -> Result<(), String> {
    let demo_mode = settings.demo;
    if demo_mode && settings.admin.is_none() {
        settings.admin = Some((demo::DEMO_ADMIN.0.into(), demo::DEMO_ADMIN.1.into()));
    }
    let bind = settings.bind;
    let poll = settings.model_poll;
    let (state, recorder) = AppState::build(settings.clone()).await?;
    if demo_mode {
        let admin = settings.admin.as_ref().map(|(email, _)| email.as_str());
        demo::check_can_host(&state.store, admin)
            .await
            .map_err(|e| e.to_string())?;
    }

    if let Some((email, password)) = &settings.admin
        && let Some(admin) = state
            .auth
            .ensure_admin(email, password)
            .await
            .map_err(|e| format!("admin account: {e}"))?
    {
        tracing::info!(admin = %admin.email, "admin account created");
    }
    if demo_mode {
        prepare_demo(&state, &settings).await?;
    }
    if demo::published_admin_password_works(&state.store, &state.auth.passwords)
        .await
        .map_err(|e| format!("checking the demo admin: {e}"))?
    {
        let (email, _) = demo::DEMO_ADMIN;
        tracing::warn!(
            admin = email,
            "the demo admin's published password still signs in: never serve real customers \
             like this (change that password or deactivate the account)"
        );
        if !demo_mode {
            eprintln!(
                "warning: {email} still has the demo's published password; change it or \
                 deactivate the account before serving real customers"
            );
        }
    }

    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("RECSYS_BIND: cannot listen on {bind}: {e}"))?;
    let background = spawn_background(state.clone(), poll);
    let trainer = settings
        .train_worker
        .then(|| tokio::spawn(worker::run(state.clone(), Duration::from_secs(1))));
    let router = app(state.clone());
    if demo_mode {
        let (email, password) = settings.admin.clone().unwrap_or_default();
        println!("recsys demo shop: http://{bind}/   (API docs: http://{bind}/docs)");
        println!("  admin:    {email} / {password}");
        println!(
            "  customer: {} / {}",
            demo::first_customer_email(),
            demo::DEMO_PASSWORD
        );
    }
    println!("database: {}", describe_database(&settings));
    println!(
        "{}",
        recsys_server::web::Pages::choose(settings.web_dir.as_ref())
            .describe(settings.web_dir.as_ref())
    );
    println!("listening on http://{bind}");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| format!("server: {e}"))?;

    tracing::info!("shutting down: writing queued analytics");
    background.abort();
    if let Some(trainer) = trainer {
        trainer.abort();
        state.abandon_current_run().await;
    }
    recorder.finish().await;
    state.store.close().await;
    Ok(())
}

/// The database for the start-up message: the full path of a SQLite file; a Postgres URL
/// without its password.
fn describe_database(settings: &Settings) -> String {
    if let Some(file) = settings.sqlite_file() {
        let full = std::path::absolute(&file).unwrap_or(file);
        return format!("SQLite {}", full.display());
    }
    let url = &settings.database_url;
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.clone(),
    }
}

/// Imports the demo shop into an empty database and trains the first model; a database that
/// has it already is used as it is.
async fn prepare_demo(state: &AppState, settings: &Settings) -> Result<(), String> {
    let started = std::time::Instant::now();
    if !demo::imported(&state.store)
        .await
        .map_err(|e| e.to_string())?
    {
        eprintln!(
            "importing the MovieLens-100K demo shop from {} ...",
            std::path::absolute(&settings.demo_data)
                .unwrap_or_else(|_| settings.demo_data.clone())
                .display()
        );
        let hash = state
            .auth
            .passwords
            .hash(demo::DEMO_PASSWORD.to_string())
            .await
            .map_err(|e| e.to_string())?;
        let shop = demo::import(&state.store, &settings.demo_data, hash)
            .await
            .map_err(|e| format!("demo import: {e}"))?;
        eprintln!(
            "  {} products, {} customers, {} events, {} orders in {:.1} s",
            shop.products,
            shop.customers,
            shop.events,
            shop.orders,
            started.elapsed().as_secs_f64()
        );
        state.catalog.reload().await.map_err(|e| e.to_string())?;
        // the dashboard's daily charts show the imported history, not only what follows it
        let today = recsys_store::Day::today();
        recsys_server::routes::analytics::roll_up(
            state,
            recsys_store::Day::of(shop.first_event_at)
                .max(recsys_store::Day::of(today.start_ms() - 365 * 86_400_000)),
            today,
        )
        .await
        .map_err(|e| format!("demo analytics rollup: {e}"))?;
    }
    if state
        .store
        .active_model_version(models::SERVING_MODEL)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        eprintln!("training the recommenders (ALS, content, popularity, blended) ...");
        let done = state
            .train_now(models::SERVING_MODEL, &training::default_config())
            .await
            .map_err(|e| format!("training: {e}"))?;
        let version_id = done
            .model_version_id
            .ok_or_else(|| format!("training: {}", done.error.unwrap_or_default()))?;
        let version = state
            .models
            .activate(version_id)
            .await
            .map_err(|e| e.to_string())?;
        eprintln!(
            "  {}@v{} trained in {:.1} s, NDCG@10 {:.4} on the newest 20% of interactions",
            version.name,
            version.version,
            version.metrics["train_seconds"]
                .as_f64()
                .unwrap_or(f64::NAN),
            version.metrics["ndcg_at_10"].as_f64().unwrap_or(f64::NAN)
        );
    }
    state.models.sync().await.map_err(|e| e.to_string())?;
    eprintln!("demo ready in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Keeps the in-process caches following the database: the active model version and the
/// running experiments (so an activation through any replica is served here within `poll`),
/// and the catalog; rolls up today's and yesterday's analytics every ten minutes.
fn spawn_background(state: AppState, poll: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut model_tick = tokio::time::interval(poll);
        let mut catalog_tick = tokio::time::interval(std::time::Duration::from_secs(5));
        let mut rollup_tick = tokio::time::interval(std::time::Duration::from_secs(600));
        model_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        catalog_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut catalog_ticks = 0u64;
        loop {
            tokio::select! {
                _ = model_tick.tick() => {
                    if let Err(e) = state.models.sync().await {
                        tracing::error!(error = %e, "the active model version could not be loaded; the current one keeps serving");
                    }
                    if let Err(e) = state.experiments.sync(&state.store, &state.models).await {
                        tracing::error!(error = %e, "the running experiments could not be loaded");
                    }
                }
                _ = rollup_tick.tick() => {
                    let today = recsys_store::Day::today();
                    let yesterday = recsys_store::Day::of(today.start_ms() - 86_400_000);
                    if let Err(e) = recsys_server::routes::analytics::roll_up(&state, yesterday, today).await {
                        tracing::warn!(error = %e, "daily rollup failed");
                    }
                }
                _ = catalog_tick.tick() => {
                    // what changed since the last look; the whole catalog every ten minutes
                    // (a product deleted while another was created leaves the count equal)
                    catalog_ticks += 1;
                    let read = if catalog_ticks.is_multiple_of(120) {
                        state.catalog.reload().await
                    } else {
                        state.catalog.catch_up().await
                    };
                    if let Err(e) = read {
                        tracing::warn!(error = %e, "catalog reload failed");
                    }
                }
            }
        }
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
