//! The recsys side of `benches/compare/compare_content.py`. Prints one JSON object.
//!
//! - `content_compare tfidf DOCS OUT [--stop-words english] [--ngram MIN MAX] [--min-df N]
//!   [--sublinear]`: fits TF-IDF on DOCS (one document per line), times fit + transform, and
//!   writes the vocabulary and the CSR matrix to OUT.{vocab,indptr,indices,data}.
//! - `content_compare neighbours DOCS K`: TF-IDF (defaults), then every document's K nearest
//!   documents by cosine; times the neighbour search and writes nothing.
//! - `content_compare kmeans DATA N_FEATURES K SEED`: K-Means (k-means++, one run) on the
//!   little-endian f32 matrix in DATA; prints time and inertia.

use std::io::Write;
use std::time::Instant;

use recsys_core::content::{DocumentFrequency, StopWords, TfidfParams, top_k_cosine};
use recsys_core::kmeans::KMeansParams;

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

fn documents(path: &str) -> Fallible<Vec<String>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .map(str::to_owned)
        .collect())
}

fn tfidf_params(flags: &[String]) -> Fallible<TfidfParams> {
    let mut p = TfidfParams::new();
    let mut i = 0;
    while i < flags.len() {
        match flags[i].as_str() {
            "--stop-words" => {
                p = p.stop_words(StopWords::English);
                i += 2;
            }
            "--ngram" => {
                p = p.ngram_range(flags[i + 1].parse()?, flags[i + 2].parse()?);
                i += 3;
            }
            "--min-df" => {
                p = p.min_df(DocumentFrequency::Count(flags[i + 1].parse()?));
                i += 2;
            }
            "--sublinear" => {
                p = p.sublinear_tf(true);
                i += 1;
            }
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(p)
}

fn write_le<T: Copy>(path: String, values: &[T], to_bytes: impl Fn(T) -> Vec<u8>) -> Fallible<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for &v in values {
        out.write_all(&to_bytes(v))?;
    }
    Ok(())
}

fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("tfidf") => {
            let docs = documents(&args[1])?;
            let params = tfidf_params(&args[3..])?;
            let start = Instant::now();
            let (model, m) = params.fit_transform(&docs)?;
            let seconds = start.elapsed().as_secs_f64();
            let out = &args[2];
            std::fs::write(format!("{out}.vocab"), model.vocabulary().join("\n"))?;
            write_le(format!("{out}.indptr"), m.indptr(), |v| {
                (v as u64).to_le_bytes().to_vec()
            })?;
            write_le(format!("{out}.indices"), m.indices(), |v| {
                v.to_le_bytes().to_vec()
            })?;
            write_le(format!("{out}.data"), m.values(), |v| {
                v.to_le_bytes().to_vec()
            })?;
            println!(
                "{{\"seconds\": {seconds}, \"terms\": {}, \"nnz\": {}}}",
                model.vocabulary().len(),
                m.nnz()
            );
        }
        Some("neighbours") => {
            let docs = documents(&args[1])?;
            let k: usize = args[2].parse()?;
            let (_, m) = TfidfParams::new().fit_transform(&docs)?;
            let start = Instant::now();
            let lists = top_k_cosine(&m, k);
            let seconds = start.elapsed().as_secs_f64();
            let mean_top: f64 = lists
                .iter()
                .filter_map(|l| l.get(1))
                .map(|p| f64::from(p.1))
                .sum::<f64>()
                / lists.len() as f64;
            println!(
                "{{\"seconds\": {seconds}, \"rows\": {}, \"mean_second_score\": {mean_top}}}",
                lists.len()
            );
        }
        Some("kmeans") => {
            let bytes = std::fs::read(&args[1])?;
            let data: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let (d, k, seed): (usize, usize, u64) =
                (args[2].parse()?, args[3].parse()?, args[4].parse()?);
            let start = Instant::now();
            let model = KMeansParams::new(k).seed(seed).fit(&data, d)?;
            let seconds = start.elapsed().as_secs_f64();
            println!(
                "{{\"seconds\": {seconds}, \"inertia\": {}, \"n_iter\": {}}}",
                model.inertia(),
                model.n_iter()
            );
        }
        _ => return Err("usage: content_compare tfidf|neighbours|kmeans ...".into()),
    }
    Ok(())
}
