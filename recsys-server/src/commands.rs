//! The binary's `import`, `export`, `backup`, `restore` and `check` commands: their arguments to the services, the outcome
//! to the terminal (a summary for a person, one JSON line for a script) and to an exit code.

use std::process::ExitCode;

use recsys_server::config::{BackupArgs, Config, ExportArgs, ImportArgs, RestoreArgs, ShopFiles};
use recsys_server::services::backup::{self, CheckReport};
use recsys_server::services::shop_files::export::{self, ExportFile};
use recsys_server::services::shop_files::formats::Location;
use recsys_server::services::shop_files::import::{
    self, ImportError, ImportFile, ImportOptions, format_of, stderr_is_terminal,
};
use recsys_store::{Store, StoreOptions};

const USAGE: u8 = 2;
const FAILED: u8 = 1;

async fn connect(config: &Config) -> Result<Store, ImportError> {
    let url = &config.database_url();
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        return Err(ImportError::Usage(
            "RECSYS_DATABASE_URL: must start with sqlite:// or postgres://".into(),
        ));
    }
    Store::connect_with(
        url,
        StoreOptions {
            max_connections: config.db_pool,
            ..StoreOptions::default()
        },
    )
    .await
    .map_err(|source| ImportError::Store {
        context: "database".into(),
        source,
    })
}

fn files<T>(
    files: &ShopFiles,
    make: impl Fn(
        recsys_server::services::shop_files::records::Entity,
        Location,
        recsys_server::services::shop_files::formats::Format,
    ) -> T,
) -> Result<Vec<T>, ImportError> {
    files
        .named()
        .into_iter()
        .map(|(entity, name)| {
            let location = Location::parse(name);
            let format = format_of(&location, files.format)?;
            Ok(make(entity, location, format))
        })
        .collect()
}

fn exit(e: &ImportError) -> ExitCode {
    eprintln!("recsys-server: {e}");
    ExitCode::from(match e {
        ImportError::Usage(_) => USAGE,
        _ => FAILED,
    })
}

pub async fn import(config: &Config, args: &ImportArgs) -> ExitCode {
    let terminal = stderr_is_terminal();
    let outcome = async {
        let files = files(&args.files, |entity, location, format| ImportFile {
            entity,
            location,
            format,
        })?;
        let store = connect(config).await?;
        let options = ImportOptions {
            dry_run: args.dry_run,
            skip_invalid: args.skip_invalid.clone(),
            deactivate_missing: args.deactivate_missing,
            progress: terminal,
        };
        let report = import::run(&store, &files, &options).await;
        store.close().await;
        report
    }
    .await;
    let report = match outcome {
        Ok(report) => report,
        Err(e) => return exit(&e),
    };
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    if report.problems_found > report.problems.len() as u64 {
        eprintln!(
            "... {} problems in all (the first {} are listed)",
            report.problems_found,
            report.problems.len()
        );
    }
    if terminal {
        let verb = match report.status {
            "refused" => {
                "refused: nothing was written (fix the rows above, or --skip-invalid FILE to write the good rows)"
            }
            "dry_run" => "checked (--dry-run): nothing was written",
            _ => "done",
        };
        eprintln!("import {verb} in {:.1} s", report.seconds);
        for (entity, e) in &report.entities {
            eprintln!(
                "  {entity:<10} {:>9} rows: {} created, {} updated, {} unchanged, {} refused{}",
                e.rows,
                e.created,
                e.updated,
                e.unchanged,
                e.refused,
                e.deactivated
                    .map(|n| format!(", {n} unlisted"))
                    .unwrap_or_default()
            );
        }
    } else {
        println!(
            "{}",
            serde_json::to_string(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
        );
    }
    if report.status == "refused" {
        ExitCode::from(FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

pub async fn export(config: &Config, args: &ExportArgs) -> ExitCode {
    let outcome = async {
        let files = files(&args.files, |entity, location, format| ExportFile {
            entity,
            location,
            format,
        })?;
        let store = connect(config).await?;
        let written = export::run(&store, &files).await;
        store.close().await;
        written
    }
    .await;
    match outcome {
        Ok(written) => {
            let to_stdout = args.files.named().iter().any(|(_, f)| *f == "-");
            let summary = serde_json::json!({ "status": "done", "rows": written });
            if to_stdout {
                eprintln!("{summary}");
            } else {
                println!("{summary}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => exit(&e),
    }
}

/// The outcome of a backup, restore or check: the report as one JSON line on stdout, a summary
/// on stderr; 0 when sound.
fn reported(what: &str, outcome: Result<CheckReport, String>) -> ExitCode {
    match outcome {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report).unwrap_or_default());
            eprintln!("{what}: {} ({:.1} s)", report.summary(), report.seconds);
            for problem in report
                .integrity
                .engine_problems
                .iter()
                .chain(&report.model_problems)
            {
                eprintln!("  {problem}");
            }
            if report.is_sound() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(FAILED)
            }
        }
        Err(e) => {
            eprintln!("recsys-server {what}: {e}");
            ExitCode::from(FAILED)
        }
    }
}

pub async fn backup(config: &Config, args: &BackupArgs) -> ExitCode {
    let store = match connect(config).await {
        Ok(s) => s,
        Err(e) => return exit(&e),
    };
    let outcome = backup::backup(&store, &args.to).await;
    store.close().await;
    reported(&format!("backup to {}", args.to.display()), outcome)
}

pub async fn restore(config: &Config, args: &RestoreArgs) -> ExitCode {
    let outcome = backup::restore(&args.from, &config.database_url()).await;
    reported(&format!("restore from {}", args.from.display()), outcome)
}

pub async fn check(config: &Config) -> ExitCode {
    let store = match connect(config).await {
        Ok(s) => s,
        Err(e) => return exit(&e),
    };
    let outcome = backup::check(&store).await;
    store.close().await;
    reported("check", outcome)
}
