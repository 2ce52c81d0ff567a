//! MovieLens-100K end to end: load, split, train ALS and the popularity baseline, evaluate both,
//! and print recommendations and similar movies by title.
//!
//! Run `scripts/demo.sh` (fetches the data first), or:
//! `cargo run --release -p recsys-examples --bin movielens -- [DATA_DIR]`
//! where DATA_DIR holds `ml-100k.inter` and `ml-100k.item` (default `data/ml-100k`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use recsys_core::als::AlsParams;
use recsys_core::eval::{RankingMetrics, ranking_metrics_at_k, train_test_split};
use recsys_core::popularity::Popularity;
use recsys_core::{CsvOptions, Id, Interactions, ItemFilter, RecommendOptions, Recommender};

const K: usize = 10;

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("data/ml-100k"));
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("(fetch the data with scripts/fetch-data.sh ml-100k)");
            ExitCode::FAILURE
        }
    }
}

/// `item_id -> "Title (year)"` from `ml-100k.item`.
fn titles(path: &Path) -> Result<HashMap<Id, String>, Box<dyn std::error::Error>> {
    let text = String::from_utf8_lossy(&std::fs::read(path)?).into_owned();
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split('\t');
            let id = f.next()?.parse::<i64>().ok()?;
            let title = f.next()?;
            let year = f.next().unwrap_or("");
            Some((Id::Int(id), format!("{title} ({year})")))
        })
        .collect())
}

fn row(name: &str, m: &RankingMetrics) {
    println!(
        "{name:<12} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>9.1}%",
        m.precision,
        m.map,
        m.ndcg,
        m.auc,
        100.0 * m.coverage
    );
}

fn run(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // Ratings >= 4 are the positives, each with strength 1.
    let options = CsvOptions {
        min_value: Some(4.0),
        ..CsvOptions::tsv()
    };
    let data =
        Interactions::from_csv_path(dir.join("ml-100k.inter"), &options)?.map_values(|_| 1.0);
    let titles = titles(&dir.join("ml-100k.item"))?;
    let name = |id: &Id| {
        titles
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("item {id}"))
    };
    println!(
        "MovieLens-100K: {} users x {} movies, {} positive ratings (>= 4)",
        data.n_users(),
        data.n_items(),
        data.nnz()
    );

    let (train, test) = train_test_split(&data, 0.8, 42)?;
    let params = AlsParams::new()
        .factors(64)
        .regularization(20.0)
        .alpha(2.0)
        .iterations(15)
        .seed(42);
    let start = Instant::now();
    let als = params.fit(&train)?;
    println!(
        "ALS (64 factors, regularization 20, alpha 2, 15 iterations) fitted in {:.2?}",
        start.elapsed()
    );
    let popular = Popularity::fit(&train)?;

    let als_metrics = ranking_metrics_at_k(&als, &train, &test, K)?;
    let popular_metrics = ranking_metrics_at_k(&popular, &train, &test, K)?;
    println!(
        "\n{K}-item lists on a seeded 80/20 split ({} test users):",
        als_metrics.users
    );
    println!(
        "{:<12} {:>8} {:>8} {:>8} {:>8} {:>10}",
        "model", "P@10", "MAP@10", "NDCG@10", "AUC@10", "coverage"
    );
    row("ALS", &als_metrics);
    row("popularity", &popular_metrics);

    // Final model on all the data for the examples below.
    let als = als.params().fit(&data)?;
    for user in [Id::Int(1), Id::Int(200), Id::Int(900)] {
        let Some(mut liked) = data.user_items(&user) else {
            continue;
        };
        let n_liked = liked.len();
        let Some((first, _)) = liked.next() else {
            continue;
        };
        println!(
            "\nuser {user} liked {n_liked} movies, e.g. {}",
            name(&first)
        );
        for (rank, rec) in als
            .recommend(&user, &data, 5, &RecommendOptions::default())?
            .iter()
            .enumerate()
        {
            println!(
                "  {}. {:<55} score {:.3}",
                rank + 1,
                name(&rec.id),
                rec.score
            );
        }
    }
    let toy_story = Id::Int(1);
    println!("\nmovies like {}:", name(&toy_story));
    let others = ItemFilter::new().exclude([toy_story.clone()]);
    for rec in als.similar_items(&toy_story, 5, &others)? {
        println!("  {:<55} cosine {:.3}", name(&rec.id), rec.score);
    }
    Ok(())
}
