//! TLS to PostgreSQL as libpq documents `sslmode` and `sslrootcert`, checked against the test
//! Postgres behind a TLS side whose certificate authority is made in the test.
//!
//! The PostgreSQL + pgvector builds the tests install are compiled without OpenSSL (and Debian's
//! PostgreSQL, which has it, has no pgvector), so the TLS side is a front in this file that speaks
//! PostgreSQL's own negotiation (the SSLRequest, `S`, the TLS handshake) and hands the decrypted
//! stream to the test server: what a server with `ssl = on` and only `hostssl` lines in
//! `pg_hba.conf` does, a plain start-up refused with PostgreSQL's error. What is under test is the
//! recsys side: which certificates and names it accepts in each mode, and what it says when not.

use crate::common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::binary::{Server, run_to_exit};
use common::{Backend, TestApp};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority: its certificate (PEM, what `sslrootcert` names) and its signer.
struct Authority {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn authority(name: &str) -> Authority {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    Authority {
        pem,
        issuer: Issuer::new(params, key),
    }
}

/// A server certificate for these DNS names, signed by `ca`: (chain, private key).
fn server_certificate(
    ca: &Authority,
    names: &[&str],
) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

/// PostgreSQL's TLS side in front of a plain server (see the module's comment).
struct TlsFront {
    port: u16,
    /// TLS handshakes completed: a connection that should be encrypted was.
    handshakes: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

impl TlsFront {
    async fn start(
        upstream: SocketAddr,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> TlsFront {
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn({
            let handshakes = handshakes.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let (acceptor, handshakes) = (acceptor.clone(), handshakes.clone());
                    tokio::spawn(async move {
                        let _ = relay(client, upstream, acceptor, handshakes).await;
                    });
                }
            }
        });
        TlsFront {
            port,
            handshakes,
            task,
        }
    }

    fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One client connection: TLS when asked for, then the bytes both ways; a plain start-up gets
/// the error a `hostssl`-only server sends.
async fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    acceptor: TlsAcceptor,
    handshakes: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    loop {
        let mut head = [0u8; 8];
        client.read_exact(&mut head).await?;
        let length = u32::from_be_bytes(head[..4].try_into().unwrap());
        let code = u32::from_be_bytes(head[4..].try_into().unwrap());
        match (length, code) {
            (8, SSL_REQUEST) => {
                client.write_all(b"S").await?;
                let mut tls = acceptor.accept(client).await?;
                handshakes.fetch_add(1, Ordering::SeqCst);
                let mut server = TcpStream::connect(upstream).await?;
                tokio::io::copy_bidirectional(&mut tls, &mut server).await?;
                return Ok(());
            }
            (8, GSSENC_REQUEST) => client.write_all(b"N").await?,
            _ => {
                let mut fields = Vec::new();
                for (tag, value) in [
                    (b'S', "FATAL"),
                    (b'V', "FATAL"),
                    (b'C', "28000"),
                    (
                        b'M',
                        "no pg_hba.conf entry for host \"127.0.0.1\", no encryption",
                    ),
                ] {
                    fields.push(tag);
                    fields.extend_from_slice(value.as_bytes());
                    fields.push(0);
                }
                fields.push(0);
                let mut message = vec![b'E'];
                message.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
                message.extend_from_slice(&fields);
                client.write_all(&message).await?;
                return Ok(());
            }
        }
    }
}

/// The test server's address and the database of `url` (`postgres://user@host:port/db?...`).
fn address_and_database(url: &str) -> (SocketAddr, String) {
    let rest = url.split_once('@').map_or(url, |(_, r)| r);
    let (address, path) = rest.split_once('/').unwrap();
    let database = path.split('?').next().unwrap().to_string();
    let address = address.replace("localhost", "127.0.0.1").parse().unwrap();
    (address, database)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `check` (connect, migrate, the integrity check) run by the binary on `url`.
async fn check(url: String) -> (i32, String) {
    tokio::task::spawn_blocking(move || run_to_exit(&url, &["check"]))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres: RECSYS_TEST_POSTGRES_URL, run with --include-ignored (scripts/test.sh does)"]
async fn tls_to_postgres_accepts_what_each_sslmode_allows_and_refuses_the_rest_clearly() {
    let app = TestApp::new(Backend::Postgres).await;
    let dir = std::env::temp_dir().join(recsys_store::testing::unique_name("tls"));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = authority("recsys test CA");
    let ca_file = write(&dir, "ca.pem", &ca.pem);
    let other_file = write(&dir, "other-ca.pem", &authority("someone else's CA").pem);
    // the certificate names localhost only: 127.0.0.1 is the right server under a wrong name
    let (chain, key) = server_certificate(&ca, &["localhost"]);
    let (upstream, database) = address_and_database(&app.url);
    let front = TlsFront::start(upstream, chain, key).await;
    let url = |host: &str, mode: &str, root: Option<&Path>| {
        let root = root.map_or(String::new(), |r| format!("&sslrootcert={}", r.display()));
        format!(
            "postgres://postgres@{host}:{}/{database}?sslmode={mode}{root}",
            front.port
        )
    };

    // verify-full with the CA and the certificate's name: connects, encrypted
    let (code, stderr) = check(url("localhost", "verify-full", Some(&ca_file))).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(front.handshakes() >= 1);

    // verify-full refuses a wrong host name, a missing CA and another CA, and says why
    let refusals = [
        (
            url("127.0.0.1", "verify-full", Some(&ca_file)),
            "not valid for name",
        ),
        (url("localhost", "verify-full", None), "UnknownIssuer"),
        (
            url("localhost", "verify-full", Some(&other_file)),
            "UnknownIssuer",
        ),
        // require with a root certificate checks the CA, as libpq's require does
        (
            url("localhost", "require", Some(&other_file)),
            "UnknownIssuer",
        ),
    ];
    for (url, cause) in refusals {
        let (code, stderr) = check(url.clone()).await;
        assert_eq!(code, 1, "{url} is refused: {stderr}");
        assert!(
            stderr.contains("TLS to PostgreSQL failed") && stderr.contains(cause),
            "{url}: {stderr}"
        );
        assert!(
            stderr.contains("sslrootcert"),
            "says what is checked: {stderr}"
        );
    }

    // verify-ca checks the CA but not the name; require and prefer encrypt without checking
    for url in [
        url("127.0.0.1", "verify-ca", Some(&ca_file)),
        url("127.0.0.1", "require", None),
        url("localhost", "prefer", None),
        url("localhost", "allow", None),
    ] {
        let before = front.handshakes();
        let (code, stderr) = check(url.clone()).await;
        assert_eq!(code, 0, "{url}: {stderr}");
        assert!(front.handshakes() > before, "{url} was encrypted");
    }

    // disable against a server that takes only TLS: its refusal, passed on
    let (code, stderr) = check(url("localhost", "disable", None)).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("no encryption"), "{stderr}");

    // and the binary serves the shop over verify-full
    let served = url("localhost", "verify-full", Some(&ca_file));
    let status = tokio::task::spawn_blocking(move || {
        let server = Server::start(&served);
        let (status, body) = server.call("GET", "/api/v1/products?limit=2", None, None);
        assert_eq!(body["items"].as_array().map(Vec::len), Some(2), "{body}");
        assert!(server.terminate().success());
        status
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    drop(front);
    let _ = std::fs::remove_dir_all(&dir);
    app.finish().await;
}
