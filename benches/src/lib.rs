//! Shared pieces of the benchmarks: synthetic interaction and gradient-boosting data.

use recsys_core::gbdt::Dataset;
use recsys_core::{Interactions, SplitMix64};

/// A power-law users x items set with planted taste clusters, about `nnz` distinct pairs:
/// item popularity ~ 1/(rank + 10)^0.9, user activity log-normal, 70% of a user's picks from
/// their cluster. Values are small counts (1..=4).
pub fn power_law(n_users: usize, n_items: usize, nnz: usize, seed: u64) -> Interactions {
    const CLUSTERS: usize = 20;
    let mut rng = SplitMix64::new(seed);
    let weights: Vec<f64> = (0..n_items)
        .map(|i| 1.0 / ((i + 10) as f64).powf(0.9))
        .collect();
    // cumulative popularity, globally and per cluster (item i is in cluster i % CLUSTERS)
    let cumulative = |items: &mut dyn Iterator<Item = usize>| -> Vec<(f64, u32)> {
        let mut acc = 0.0;
        items
            .map(|i| {
                acc += weights[i];
                (acc, i as u32)
            })
            .collect()
    };
    let global = cumulative(&mut (0..n_items));
    let clusters: Vec<Vec<(f64, u32)>> = (0..CLUSTERS)
        .map(|c| cumulative(&mut (c..n_items).step_by(CLUSTERS)))
        .collect();
    let draw = |table: &[(f64, u32)], rng: &mut SplitMix64| -> u32 {
        let x = rng.next_f64() * table.last().map_or(0.0, |t| t.0);
        table[table.partition_point(|t| t.0 < x).min(table.len() - 1)].1
    };
    // log-normal activity scaled to the target total
    let activity: Vec<f64> = (0..n_users)
        .map(|_| {
            let (u1, u2) = (rng.next_f64().max(1e-12), rng.next_f64());
            ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()).exp()
        })
        .collect();
    let total: f64 = activity.iter().sum();
    let (mut users, mut items, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for (u, a) in activity.iter().enumerate() {
        let count = ((a / total * nnz as f64 * 1.21).round() as usize).max(1);
        let table = &clusters[u % CLUSTERS];
        for _ in 0..count {
            let item = if rng.next_f64() < 0.7 {
                draw(table, &mut rng)
            } else {
                draw(&global, &mut rng)
            };
            users.push(u as u32);
            items.push(item);
            values.push(1.0 + rng.below(4) as f32);
        }
    }
    Interactions::from_indices(n_users, n_items, &users, &items, &values)
        .expect("generated indices are in range")
}

/// Gradient-boosting data: `n` rows of `d` uniform features in [-1, 1); the target is a
/// non-linear function of the first six plus noise. With `per_query`, rows form queries of that
/// many and the target becomes a relevance label 0-4 within each query.
pub fn boosting_data(n: usize, d: usize, per_query: Option<usize>, seed: u64) -> Dataset<'static> {
    assert!(d >= 6, "the target uses six features");
    let mut rng = SplitMix64::new(seed);
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let row: Vec<f32> = (0..d).map(|_| 2.0 * rng.next_f32() - 1.0).collect();
        let f = row[0] + 0.5 * row[1] * row[2] - (row[3].abs() - 0.5)
            + (3.0 * row[4]).sin() * 0.5
            + 0.3 * row[5] * row[5];
        x.extend_from_slice(&row);
        y.push(f + 0.3 * (rng.next_f32() - 0.5));
    }
    if let Some(q) = per_query {
        for query in y.chunks_mut(q) {
            let mut sorted = query.to_vec();
            sorted.sort_by(f32::total_cmp);
            let cut = |p: f64| sorted[((sorted.len() - 1) as f64 * p) as usize];
            let cuts = [cut(0.5), cut(0.75), cut(0.9), cut(0.97)];
            for v in query.iter_mut() {
                *v = cuts.iter().filter(|&&c| *v > c).count() as f32;
            }
        }
        let sizes = vec![q as u32; n / q];
        return Dataset::new(x, d, y)
            .and_then(|ds| ds.with_groups(sizes))
            .expect("well-formed by construction");
    }
    Dataset::new(x, d, y).expect("well-formed by construction")
}
