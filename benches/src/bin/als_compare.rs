//! The recsys side of `benches/compare/compare_als.py`: trains ALS on the COO files the script
//! wrote, with the script's settings, and prints one JSON object of timings, metrics and memory.
//!
//! `als_compare DIR TRAIN TEST --factors 64 --regularization 0.01 --alpha 1 --iterations 15
//!  --cg-steps 3 --threads 2 --seed 0 --recommend-users 10000 --k 10`

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use recsys_benches::read_coo;
use recsys_core::als::{AlsParams, ImplicitAls, Solver};
use recsys_core::eval::ranking_metrics_at_k;
use recsys_core::{Id, RecommendOptions, Recommender};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, train, test, rest @ ..] = &args[..] else {
        return Err("usage: als_compare DIR TRAIN TEST [--name value]...".into());
    };
    let mut opt: HashMap<&str, f64> = HashMap::from([
        ("--factors", 64.0),
        ("--regularization", 0.01),
        ("--alpha", 1.0),
        ("--iterations", 15.0),
        ("--cg-steps", 3.0),
        ("--threads", 2.0),
        ("--seed", 0.0),
        ("--recommend-users", 10000.0),
        ("--k", 10.0),
    ]);
    for pair in rest.chunks(2) {
        let [name, value] = pair else {
            return Err(format!("{} needs a value", pair[0]).into());
        };
        let slot = opt
            .get_mut(name.as_str())
            .ok_or_else(|| format!("unknown option {name}"))?;
        *slot = value.parse()?;
    }
    let int = |k: &str| opt[k] as usize;
    let dir = PathBuf::from(dir);
    let train = read_coo(&dir, train)?;
    let test = read_coo(&dir, test)?;

    let params = AlsParams::new()
        .factors(int("--factors"))
        .regularization(opt["--regularization"] as f32)
        .alpha(opt["--alpha"] as f32)
        .iterations(int("--iterations"))
        .solver(Solver::ConjugateGradient {
            steps: int("--cg-steps"),
        })
        .seed(opt["--seed"] as u64)
        .num_threads(Some(int("--threads")));
    let mut model = ImplicitAls::new(params);
    let mut per_iteration = Vec::new();
    let start = Instant::now();
    model.fit_with_progress(&train, |p| per_iteration.push(p.elapsed.as_secs_f64()))?;
    let fit_s = start.elapsed().as_secs_f64();

    let n_rec = int("--recommend-users").min(train.n_users());
    let users: Vec<Id> = (0..n_rec as i64).map(Id::Int).collect();
    let start = Instant::now();
    let lists = model.recommend_batch(&users, &train, int("--k"), &RecommendOptions::default())?;
    let rec_s = start.elapsed().as_secs_f64();
    assert_eq!(lists.len(), n_rec);

    let metrics = ranking_metrics_at_k(&model, &train, &test, int("--k"))?;
    let factors = model.user_factors()?.heap_bytes() + model.item_factors()?.heap_bytes();
    let id_maps = model.user_ids()?.heap_bytes() + model.item_ids()?.heap_bytes();
    let raw = (model.user_factors()?.rows() + model.item_factors()?.rows()) * int("--factors") * 4;
    println!(
        "{{\"fit_s\": {fit_s}, \"ms_per_iteration\": {}, \"recommend_users_per_s\": {}, \"precision\": {}, \"ndcg\": {}, \
         \"map\": {}, \"auc\": {}, \"model_bytes\": {}, \"raw_bytes\": {}, \"factor_bytes\": {factors}, \"id_map_bytes\": {id_maps}}}",
        1000.0 * per_iteration.iter().sum::<f64>() / per_iteration.len() as f64,
        n_rec as f64 / rec_s,
        metrics.precision,
        metrics.ndcg,
        metrics.map,
        metrics.auc,
        model.heap_bytes(),
        raw + id_maps,
    );
    Ok(())
}
