//! The README's quickstart: fit ALS on a few interactions, recommend, evaluate, save and load.
//! `cargo run -p recsys-examples --bin quickstart`

use recsys_core::als::{AlsParams, ImplicitAls};
use recsys_core::eval::{ranking_metrics_at_k, train_test_split};
use recsys_core::{Id, Interactions, ItemFilter, Persist, RecommendOptions, Recommender};

fn main() -> Result<(), recsys_core::Error> {
    // (user, item, strength) in your own ids; duplicates are summed
    let data = Interactions::from_triples([
        ("ann", "espresso", 3.0),
        ("ann", "croissant", 1.0),
        ("bob", "espresso", 1.0),
        ("bob", "bagel", 2.0),
        ("cat", "croissant", 2.0),
        ("cat", "tea", 4.0),
    ])?;

    let model = AlsParams::new()
        .factors(8)
        .regularization(0.1)
        .alpha(2.0)
        .seed(7)
        .fit(&data)?;

    // seen items are filtered by default; `data` supplies each user's history
    for rec in model.recommend(&Id::from("ann"), &data, 2, &RecommendOptions::default())? {
        println!("ann might like {} ({:.3})", rec.id, rec.score);
    }
    let similar = model.similar_items(&Id::from("espresso"), 2, &ItemFilter::default())?;
    println!(
        "like espresso: {:?}",
        similar.iter().map(|s| s.id.to_string()).collect::<Vec<_>>()
    );

    // offline evaluation with implicit's metric definitions
    let (train, test) = train_test_split(&data, 0.8, 1)?;
    let held_out = model.params().fit(&train)?;
    let metrics = ranking_metrics_at_k(&held_out, &train, &test, 10)?;
    println!("ndcg@10 {:.3} on {} users", metrics.ndcg, metrics.users);

    // versioned, checksummed model files; loading is bit-exact
    let path = std::env::temp_dir().join("quickstart.recsys");
    model.save(&path)?;
    let loaded = ImplicitAls::load(&path)?;
    assert_eq!(loaded.item_factors(), model.item_factors());
    Ok(())
}
