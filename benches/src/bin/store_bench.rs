//! Store benchmark: event ingest rate on both backends, and nearest-neighbour queries over item
//! embeddings (Postgres HNSW and SQLite exact): latency percentiles and recall@10 against the
//! exact answer. Prints a markdown report.
//!
//!   scripts/bench-store.sh                      # starts Postgres, runs this in release mode
//!   store_bench POSTGRES_ADMIN_URL [--events N] [--vectors N] [--dims D] [--queries Q]
//!
//! Postgres gets a fresh database `recsys_bench` (dropped first), SQLite a fresh temp file. The
//! vectors are ALS item factors (see `als_item_vectors`), the queries mixes of two items'
//! vectors, and recall@10 compares each answer with the exact top 10 computed here.

use std::collections::HashSet;
use std::time::Instant;

use recsys_core::SplitMix64;
use recsys_core::als::AlsParams;
use recsys_store::{
    EventKind, Metric, NewEvent, NewProduct, NewUser, PasswordHash, Role, Store, StoreOptions,
};
use sqlx::Connection;

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

struct Settings {
    events: usize,
    batch: usize,
    vectors: usize,
    dims: usize,
    queries: usize,
}

fn normal(rng: &mut SplitMix64) -> f32 {
    let (u, v) = (rng.next_f64().max(1e-12), rng.next_f64());
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}

/// Real learned embeddings: the item factors of implicit ALS (64 factors by default, 5
/// iterations) fitted on a synthetic power-law set with taste clusters, one item per product.
fn als_item_vectors(n_items: usize, dims: usize) -> Fallible<Vec<Vec<f32>>> {
    let data = recsys_benches::power_law(n_items * 2, n_items, n_items * 20, 3);
    let als = AlsParams::new()
        .factors(dims)
        .iterations(5)
        .regularization(0.05)
        .seed(5)
        .fit(&data)?;
    let factors = als.item_factors();
    // the fitted model's item ids are the generated ones, 0..n_items in index order; items the
    // generator never drew have no row, so fill those with their own seeded vectors
    let mut rng = SplitMix64::new(17);
    let mut out: Vec<Vec<f32>> = (0..n_items)
        .map(|_| (0..dims).map(|_| 0.01 * normal(&mut rng)).collect())
        .collect();
    for row in 0..factors.rows() {
        if let recsys_core::Id::Int(item) = data.items().id(row as u32) {
            out[item as usize] = factors.row(row).to_vec();
        }
    }
    Ok(out)
}

/// Queries: the factors of users the model would recommend for, i.e. points near the items.
fn queries_near(vectors: &[Vec<f32>], n: usize) -> Vec<Vec<f32>> {
    let mut rng = SplitMix64::new(99);
    (0..n)
        .map(|_| {
            let (a, b) = (
                &vectors[(rng.next_u64() % vectors.len() as u64) as usize],
                &vectors[(rng.next_u64() % vectors.len() as u64) as usize],
            );
            a.iter().zip(b).map(|(x, y)| 0.7 * x + 0.3 * y).collect()
        })
        .collect()
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    sorted_ms[((sorted_ms.len() - 1) as f64 * p).round() as usize]
}

fn exact_top_k(ids: &[i64], vectors: &[Vec<f32>], q: &[f32], k: usize, metric: Metric) -> Vec<i64> {
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let qn = norm(q);
    let mut scored: Vec<(f32, i64)> = vectors
        .iter()
        .zip(ids)
        .map(|(v, &id)| {
            let ip: f32 = v.iter().zip(q).map(|(a, b)| a * b).sum();
            (
                if metric == Metric::Cosine {
                    ip / (qn * norm(v))
                } else {
                    ip
                },
                id,
            )
        })
        .collect();
    scored.select_nth_unstable_by(k, |a, b| b.0.total_cmp(&a.0));
    scored.truncate(k);
    scored.into_iter().map(|(_, id)| id).collect()
}

async fn seed_catalog(
    store: &Store,
    users: usize,
    products: usize,
) -> Fallible<(Vec<i64>, Vec<i64>)> {
    let mut user_ids = Vec::with_capacity(users);
    for i in 0..users {
        user_ids.push(
            store
                .create_user(&NewUser::new(
                    format!("bench{i}@example.com"),
                    PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")?,
                    Role::User,
                ))
                .await?
                .id,
        );
    }
    let new: Vec<NewProduct> = (0..products)
        .map(|i| NewProduct::new(format!("SKU{i:07}"), format!("Item {i}"), 100, 10))
        .collect();
    let product_ids = store
        .create_products(&new)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    Ok((user_ids, product_ids))
}

async fn ingest(store: &Store, s: &Settings, users: &[i64], products: &[i64]) -> Fallible<f64> {
    let mut rng = SplitMix64::new(7);
    let kinds = [
        EventKind::View,
        EventKind::View,
        EventKind::View,
        EventKind::Click,
        EventKind::AddToCart,
        EventKind::Purchase,
    ];
    let events: Vec<NewEvent> = (0..s.events)
        .map(|i| {
            let u = users[(rng.next_u64() % users.len() as u64) as usize];
            let p = products[(rng.next_u64() % products.len() as u64) as usize];
            NewEvent::new(u, p, kinds[(rng.next_u64() % 6) as usize], 1.0)
                .at(1_700_000_000_000 + i as i64)
        })
        .collect();
    let start = Instant::now();
    for batch in events.chunks(s.batch) {
        store.record_events(batch).await?;
    }
    Ok(s.events as f64 / start.elapsed().as_secs_f64())
}

struct NearestReport {
    load_s: f64,
    rows: Vec<(String, f64, f64, f64, f64)>, // label, p50, p95, p99, recall
}

async fn nearest(
    store: &Store,
    s: &Settings,
    products: &[i64],
    ef_searches: &[Option<u32>],
    url: &str,
) -> Fallible<NearestReport> {
    let vectors = als_item_vectors(s.vectors, s.dims)?;
    let items: Vec<(i64, Vec<f32>)> = products
        .iter()
        .copied()
        .zip(vectors.iter().cloned())
        .collect();
    store.create_embedding_space("bench", s.dims as i64).await?;
    let start = Instant::now();
    store.replace_embeddings("bench", &items).await?;
    let load_s = start.elapsed().as_secs_f64();

    let queries = queries_near(&vectors, s.queries);
    let mut rows = Vec::new();
    for metric in [Metric::Cosine, Metric::InnerProduct] {
        let truth: Vec<Vec<i64>> = queries
            .iter()
            .map(|q| exact_top_k(products, &vectors, q, 10, metric))
            .collect();
        for &ef in ef_searches {
            // one store per setting: ef_search is a store option
            let probe = match ef {
                Some(ef) => {
                    Store::connect_with(
                        url,
                        StoreOptions {
                            hnsw_ef_search: ef,
                            ..StoreOptions::default()
                        },
                    )
                    .await?
                }
                None => store.clone(),
            };
            let mut latencies = Vec::with_capacity(queries.len());
            let mut hits = 0;
            for (q, want) in queries.iter().zip(&truth) {
                let t = Instant::now();
                let got = probe.nearest_items("bench", q, 10, metric, &[]).await?;
                latencies.push(t.elapsed().as_secs_f64() * 1e3);
                let want: HashSet<i64> = want.iter().copied().collect();
                hits += got.iter().filter(|(id, _)| want.contains(id)).count();
            }
            latencies.sort_by(f64::total_cmp);
            let label = match ef {
                Some(ef) => format!("{metric:?}, HNSW ef_search {ef}"),
                None => format!("{metric:?}, exact scan"),
            };
            let recall = hits as f64 / (10 * queries.len()) as f64;
            rows.push((
                label,
                percentile(&latencies, 0.5),
                percentile(&latencies, 0.95),
                percentile(&latencies, 0.99),
                recall,
            ));
        }
    }
    Ok(NearestReport { load_s, rows })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().collect();
    let admin_url = args.get(1).ok_or(
        "usage: store_bench POSTGRES_ADMIN_URL [--events N] [--vectors N] [--dims D] [--queries Q]",
    )?;
    let mut s = Settings {
        events: 1_000_000,
        batch: 10_000,
        vectors: 100_000,
        dims: 64,
        queries: 1000,
    };
    let mut i = 2;
    while i + 1 < args.len() {
        let v: usize = args[i + 1].parse()?;
        match args[i].as_str() {
            "--events" => s.events = v,
            "--vectors" => s.vectors = v,
            "--dims" => s.dims = v,
            "--queries" => s.queries = v,
            other => return Err(format!("unknown option {other}").into()),
        }
        i += 2;
    }

    let mut admin = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query("DROP DATABASE IF EXISTS recsys_bench WITH (FORCE)")
        .execute(&mut admin)
        .await?;
    sqlx::query("CREATE DATABASE recsys_bench")
        .execute(&mut admin)
        .await?;
    // the server's own versions: the test server is PostgreSQL 18 + pgvector 0.8 or, on CPUs
    // without AVX-512, PostgreSQL 16 + pgvector 0.6 (scripts/start-postgres.sh)
    let pg_name: String = sqlx::query_scalar(
        "SELECT 'PostgreSQL ' || current_setting('server_version') || ' + pgvector ' || extversion \
         FROM pg_extension WHERE extname = 'vector'",
    )
    .fetch_one(&mut admin)
    .await?;
    let pg_url = recsys_store::postgres_url_with_database(admin_url, "recsys_bench");
    let sqlite_path = std::env::temp_dir().join(format!("recsys_bench_{}.db", std::process::id()));
    let sqlite_url = format!("sqlite://{}", sqlite_path.display());

    println!(
        "Store benchmark: {} events in batches of {}, {} x {} embeddings, {} queries (top 10)\n",
        s.events, s.batch, s.vectors, s.dims, s.queries
    );
    let mut reports = Vec::new();
    for (name, url) in [
        (pg_name.as_str(), pg_url.as_str()),
        ("SQLite (bundled)", sqlite_url.as_str()),
    ] {
        let store = Store::connect(url).await?;
        let (users, products) = seed_catalog(&store, 10_000, s.vectors).await?;
        let rate = ingest(&store, &s, &users, &products).await?;
        let efs: &[Option<u32>] = if name.starts_with("Postgre") {
            &[Some(40), Some(100), Some(200)]
        } else {
            &[None]
        };
        let report = nearest(&store, &s, &products, efs, url).await?;
        store.close().await;
        reports.push((name, rate, report));
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_path.display()));
    }
    sqlx::query("DROP DATABASE IF EXISTS recsys_bench WITH (FORCE)")
        .execute(&mut admin)
        .await?;

    println!("| backend | events ingested / s | embeddings load s |");
    println!("| --- | ---: | ---: |");
    for (name, rate, report) in &reports {
        println!("| {name} | {:.0} | {:.1} |", rate, report.load_s);
    }
    println!("\n| backend | query | p50 ms | p95 ms | p99 ms | recall@10 |");
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    for (name, _, report) in &reports {
        for (label, p50, p95, p99, recall) in &report.rows {
            println!("| {name} | {label} | {p50:.2} | {p95:.2} | {p99:.2} | {recall:.3} |");
        }
    }
    Ok(())
}
