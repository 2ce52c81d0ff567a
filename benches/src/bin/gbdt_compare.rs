//! The recsys side of `benches/compare/compare_gbdt.py`: trains with LightGBM's default
//! settings, writes the test predictions (little-endian f64) for the script to score, and prints
//! the training time as JSON.
//!
//! - `gbdt_compare rank TRAIN.txt TEST.txt OUT [ROUNDS MIN_DATA_IN_LEAF]`: LambdaMART on LETOR
//!   files.
//! - `gbdt_compare binary|regression X.f32 Y.f32 N_FEATURES TEST_X.f32 OUT`: on raw matrices.

use std::io::Write;
use std::time::Instant;

use recsys_core::gbdt::{Dataset, GbdtParams, Objective};

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

fn floats(path: &str) -> Fallible<Vec<f32>> {
    Ok(std::fs::read(path)?
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn letor(path: &str, n_features: Option<usize>) -> Fallible<Dataset> {
    Ok(Dataset::from_svmlight(
        std::io::BufReader::new(std::fs::File::open(path)?),
        n_features,
    )?)
}

fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (params, train, test, out) = match args.first().map(String::as_str) {
        Some("rank") => {
            let train = letor(&args[1], None)?;
            let test = letor(&args[2], Some(train.n_features()))?;
            let mut params = GbdtParams::new(Objective::lambdarank());
            if let [rounds, min_data] = &args[4..] {
                params = params
                    .num_iterations(rounds.parse()?)
                    .min_data_in_leaf(min_data.parse()?);
            }
            (params, train, test, &args[3])
        }
        Some(kind @ ("binary" | "regression")) => {
            let d: usize = args[3].parse()?;
            let y = floats(&args[2])?;
            let train = Dataset::new(floats(&args[1])?, d, y)?;
            let test_x = floats(&args[4])?;
            let n_test = test_x.len() / d;
            let test = Dataset::new(test_x, d, vec![0.0; n_test])?;
            let objective = if kind == "binary" {
                Objective::Binary
            } else {
                Objective::Regression
            };
            (GbdtParams::new(objective), train, test, &args[5])
        }
        _ => return Err("usage: gbdt_compare rank|binary|regression ...".into()),
    };
    let start = Instant::now();
    let model = params.fit(&train)?;
    let seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let pred = model.predict(&test)?;
    let predict_seconds = start.elapsed().as_secs_f64();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    for p in &pred {
        file.write_all(&p.to_le_bytes())?;
    }
    println!(
        "{{\"seconds\": {seconds}, \"predict_seconds\": {predict_seconds}, \"trees\": {}}}",
        model.n_trees()
    );
    Ok(())
}
