//! The Rust side of the bindings' overhead benchmark (`scripts/bench-node.sh`): the same
//! work `benches/node/bench.mjs` does through the Node binding, timed here on the crate
//! directly. Prints JSON: the milliseconds of each repetition of each step.
//!
//! `binding_bench DATA.inter REPS`: reads MovieLens-100K's TSV, then REPS times fits ALS
//! (64 factors, 15 iterations, 3 CG steps, alpha 1 as implicit, seed 42) and, 10 times after
//! each fit, recommends the top 10 (seen items filtered) for every user in one batch.

use std::time::Instant;

use recsys_core::als::{AlsParams, Solver};
use recsys_core::{CsvOptions, Interactions, RecommendOptions, Recommender};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, reps] = args.as_slice() else {
        return Err("usage: binding_bench DATA.inter REPS".into());
    };
    let reps: usize = reps.parse()?;
    let data = Interactions::from_csv_path(path, &CsvOptions::tsv())?;
    let users: Vec<_> = data.users().iter().collect();
    let params = AlsParams::new()
        .factors(64)
        .iterations(15)
        .solver(Solver::ConjugateGradient { steps: 3 })
        .alpha(1.0)
        .seed(42);
    let (mut fit_ms, mut batch_ms) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        let model = params.fit(&data)?;
        fit_ms.push(t.elapsed().as_secs_f64() * 1e3);
        for _ in 0..10 {
            let t = Instant::now();
            let lists = model.recommend_batch(&users, &data, 10, &RecommendOptions::default())?;
            batch_ms.push(t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(lists.len(), users.len());
        }
    }
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    println!(
        "{{\"fit_ms\":[{}],\"batch_ms\":[{}]}}",
        list(&fit_ms),
        list(&batch_ms)
    );
    Ok(())
}
