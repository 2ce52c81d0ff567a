//! A PostgreSQL server of one test's own: the build `scripts/start-postgres.sh` runs for the
//! shared test server, with a cluster and a port of its own, for a test that stops and starts the
//! database under load (the shared server serves every other test at the same time).

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    pub port: u16,
}

/// The unprivileged user the script runs the servers as when the tests run as root.
const OS_USER: &str = "recsys-pg";

fn script() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/start-postgres.sh").to_string()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions
    unsafe { libc::geteuid() == 0 }
}

/// `program args` as the server's user.
fn as_server(program: &Path, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", OS_USER, "--"]).arg(program).args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    }
}

fn run(mut command: Command, what: &str) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl PrivatePostgres {
    /// A new cluster, started (its binaries are the test server's: `RECSYS_TEST_POSTGRES_URL`
    /// must name one).
    pub fn start() -> Option<PrivatePostgres> {
        recsys_store::testing::postgres_admin_url();
        let mut current = Command::new("bash");
        current.args([&script(), "current"]);
        let build = run(current, "start-postgres.sh current");
        let mut install = Command::new("bash");
        install.args([&script(), "install", &build]);
        let bin = PathBuf::from(run(install, "start-postgres.sh install").lines().last()?);
        let home = std::env::var("RECSYS_PG_HOME").unwrap_or("/var/tmp/recsys-postgres".into());
        let name = recsys_store::testing::unique_name("private");
        let data = Path::new(&home).join(&name);
        let log = Path::new(&home).join(format!("{name}.log"));
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(&log, "").unwrap();
        if is_root() {
            let mut chown = Command::new("chown");
            chown.arg(OS_USER).arg(&data).arg(&log);
            run(chown, "chown");
        }
        let mut chmod = Command::new("chmod");
        chmod.arg("700").arg(&data);
        run(chmod, "chmod");
        let pgdata = format!("--pgdata={}", data.display());
        run(
            as_server(
                &bin.join("initdb"),
                &[
                    &pgdata,
                    "--username=postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
            ),
            "initdb",
        );
        let port = super::binary::free_port();
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = ''\n\
             max_connections = 60\nshared_buffers = 32MB\n"
        );
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap();
        std::io::Write::write_all(&mut file, conf.as_bytes()).unwrap();
        let pg = PrivatePostgres {
            bin,
            data,
            log,
            port,
        };
        pg.start_server();
        Some(pg)
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let pgdata = format!("--pgdata={}", self.data.display());
        let mut all = vec![pgdata.as_str()];
        all.extend_from_slice(args);
        as_server(&self.bin.join("pg_ctl"), &all)
    }

    pub fn start_server(&self) {
        let log = format!("--log={}", self.log.display());
        run(
            self.pg_ctl(&["start", &log, "--wait", "--timeout=60"]),
            "pg_ctl start",
        );
    }

    /// A fast shutdown: every client is disconnected, then the server exits.
    pub fn stop_server(&self) {
        run(
            self.pg_ctl(&["stop", "--mode=fast", "--wait", "--timeout=60"]),
            "pg_ctl stop",
        );
    }

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .pg_ctl(&["stop", "--mode=immediate", "--wait"])
            .output();
        let _ = std::fs::remove_dir_all(&self.data);
        let _ = std::fs::remove_file(&self.log);
    }
}
