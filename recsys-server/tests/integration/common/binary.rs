//! The real `recsys-server` binary as a child process: started on a database and called over
//! HTTP/1.1, or run to its exit as a subcommand.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A free port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    pub fn start(database_url: &str) -> Server {
        Server::start_with(database_url, &[])
    }

    /// Started with these arguments added.
    pub fn start_with(database_url: &str, args: &[&str]) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_recsys-server"))
            .args([
                "--database-url",
                database_url,
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .args(["--web-dir", "/nonexistent", "--model-poll", "0.2"])
            .args(args)
            .env("RECSYS_JWT_SECRET", "s".repeat(40))
            .env("RECSYS_LOG_LEVEL", "warn")
            .env("RECSYS_ARGON2_MEMORY_KIB", "8")
            .env("RECSYS_ARGON2_ITERATIONS", "1")
            .stdout(Stdio::null())
            .spawn()
            .expect("start recsys-server");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok((200, _)) = server.try_call("GET", "/health/live", None, None) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("recsys-server did not start on port {port}");
    }

    /// One HTTP/1.1 request with `Connection: close`: (status, JSON body or null).
    pub fn try_call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> std::io::Result<(u16, Value)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !body.is_empty() {
            request.push_str("Content-Type: application/json\r\n");
        }
        if let Some(t) = token {
            request.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        stream.write_all(request.as_bytes())?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let text = String::from_utf8_lossy(&response);
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let rest = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(rest)
        } else {
            rest.to_string()
        };
        Ok((status, serde_json::from_str(&rest).unwrap_or(Value::Null)))
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.try_call(method, path, token, body.as_ref()).unwrap()
    }

    /// Signs in with a password: the access token.
    pub fn sign_in(&self, email: &str, password: &str) -> String {
        let (status, login) = self.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"email": email, "password": password})),
        );
        assert_eq!(status, 200, "{login}");
        login["access_token"].as_str().unwrap().to_string()
    }

    pub fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: kill with a valid pid of our own child and a valid signal number
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// The binary run to its exit with these arguments on `database_url`: (exit code, stderr).
pub fn run_to_exit(database_url: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_recsys-server"))
        .args(["--database-url", database_url, "--web-dir", "/nonexistent"])
        .args(args)
        .env("RECSYS_JWT_SECRET", "s".repeat(40))
        .env("RECSYS_LOG_LEVEL", "error")
        .env("RECSYS_ARGON2_MEMORY_KIB", "8")
        .env("RECSYS_ARGON2_ITERATIONS", "1")
        .stdout(Stdio::null())
        .output()
        .expect("run recsys-server");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
