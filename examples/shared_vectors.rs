//! The shared test vectors of the bindings: one small data set and one seed, from which Rust,
//! Python and Node must produce the same ALS factors bit for bit and the same top-10 lists, and
//! read each other's model files. `bindings/node/test/shared-vectors.test.ts` runs this program
//! and `bindings/python/tests/shared_vectors.py` and compares their answers with Node's.
//!
//! ```text
//! shared_vectors fit MODEL_OUT   # fit, save, answer
//! shared_vectors load MODEL_IN   # load, answer
//! shared_vectors [FILTER...]     # (as `cargo test` runs it) fit, save, load: the same answer
//! ```
//!
//! It is an integration test of `recsys-examples` without the test harness, so that
//! `cargo test --workspace` builds the program the Node suite runs.
//!
//! The data (the same formula in every language): users 0..97, each with the 12 items
//! `(7u + 3k^2 + k) mod 61` for k in 0..12, value `1 + (u + 3k) mod 4`, repeated pairs summed,
//! as a CSR matrix over items 0..61. The model: ALS with 16 factors, regularization 0.05,
//! alpha 2 (implicit's confidence `alpha * value`), 8 iterations of 3 CG steps, seed 42.
//! The answer (JSON on stdout): both factor matrices as the bit patterns of their floats, and
//! the top 10 (seen items filtered) of users 0..10 with their scores' bits.

use recsys_core::als::{AlsParams, ImplicitAls, Solver};
use recsys_core::factory::AnyRecommender;
use recsys_core::{Id, Interactions, Persist, RecommendOptions, Recommender};

const USERS: usize = 97;
const ITEMS: usize = 61;

fn data() -> Interactions {
    let mut rows = vec![std::collections::BTreeMap::<u32, f32>::new(); USERS];
    for (u, row) in rows.iter_mut().enumerate() {
        for k in 0..12 {
            let item = (7 * u + 3 * k * k + k) % ITEMS;
            *row.entry(item as u32).or_default() += (1 + (u + 3 * k) % 4) as f32;
        }
    }
    let (mut indptr, mut indices, mut values) = (vec![0], Vec::new(), Vec::new());
    for row in rows {
        indices.extend(row.keys());
        values.extend(row.values());
        indptr.push(indices.len());
    }
    Interactions::from_csr_arrays(USERS, ITEMS, indptr, indices, values).expect("valid CSR")
}

fn bits(values: &[f32]) -> String {
    let list: Vec<String> = values.iter().map(|v| v.to_bits().to_string()).collect();
    format!("[{}]", list.join(","))
}

fn answer(model: &ImplicitAls, data: &Interactions) -> recsys_core::Result<String> {
    let mut top = Vec::new();
    for u in 0..10 {
        let recs = model.recommend(&Id::Int(u), data, 10, &RecommendOptions::default())?;
        let ids: Vec<String> = recs.iter().map(|s| s.id.to_string()).collect();
        let scores: Vec<f32> = recs.iter().map(|s| s.score).collect();
        top.push(format!(
            "{{\"ids\":[{}],\"scores\":{}}}",
            ids.join(","),
            bits(&scores)
        ));
    }
    Ok(format!(
        "{{\"user_factors\":{},\"item_factors\":{},\"top10\":[{}]}}",
        bits(model.user_factors().as_slice()),
        bits(model.item_factors().as_slice()),
        top.join(",")
    ))
}

/// Fits, saves, loads, and checks that the loaded model answers the same.
fn round_trip(data: &Interactions) -> Result<(), Box<dyn std::error::Error>> {
    let model = fit(data)?;
    let path = std::env::temp_dir().join(format!(
        "recsys-shared-vectors-{}.model",
        std::process::id()
    ));
    AnyRecommender::Als(model.clone()).save(&path)?;
    let loaded = AnyRecommender::load(&path);
    std::fs::remove_file(&path)?;
    let AnyRecommender::Als(loaded) = loaded?.expect_kind("als")? else {
        unreachable!("expect_kind checked it")
    };
    if answer(&model, data)? != answer(&loaded, data)? {
        return Err("the loaded model answers differently".into());
    }
    println!("shared_vectors: the fitted and the loaded model answer the same");
    Ok(())
}

fn fit(data: &Interactions) -> recsys_core::Result<ImplicitAls> {
    let params = AlsParams::new()
        .factors(16)
        .regularization(0.05)
        // `alpha` as in Python and Node (`alpha * r`): the vectors agree only if it means the same
        .alpha(2.0)
        .iterations(8)
        .solver(Solver::ConjugateGradient { steps: 3 })
        .seed(42);
    params.fit(data)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = data();
    let model = match args.as_slice() {
        [mode, path] if mode == "fit" => {
            let model = fit(&data)?;
            // the file kind every binding reads and writes: any recommender
            AnyRecommender::Als(model.clone()).save(path)?;
            model
        }
        [mode, path] if mode == "load" => match AnyRecommender::load(path)?.expect_kind("als")? {
            AnyRecommender::Als(model) => model,
            _ => unreachable!("expect_kind checked it"),
        },
        // what `cargo test` passes: nothing, or its test-name filters (`-- postgres`)
        _ => return round_trip(&data),
    };
    println!("{}", answer(&model, &data)?);
    Ok(())
}
