//! Shared pieces of the benchmarks: synthetic data and the file format the comparison scripts
//! use to hand identical data to recsys and to the reference libraries.

use std::path::Path;

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

fn read_le<T, const N: usize>(path: &Path, conv: fn([u8; N]) -> T) -> std::io::Result<Vec<T>> {
    let bytes = std::fs::read(path)?;
    if bytes.len() % N != 0 {
        return Err(std::io::Error::other(format!(
            "{} is not a whole number of {N}-byte values",
            path.display()
        )));
    }
    Ok(bytes
        .chunks_exact(N)
        .map(|c| conv(c.try_into().expect("N bytes")))
        .collect())
}

/// Reads a matrix the comparison scripts wrote as `NAME.shape` ("rows cols"), `NAME.rows.u32`,
/// `NAME.cols.u32` and `NAME.vals.f32` (little-endian COO arrays).
pub fn read_coo(dir: &Path, name: &str) -> Result<Interactions, Box<dyn std::error::Error>> {
    let shape = std::fs::read_to_string(dir.join(format!("{name}.shape")))?;
    let dims: Vec<usize> = shape
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let [n_users, n_items] = dims[..] else {
        return Err(format!("{name}.shape must hold two numbers").into());
    };
    let rows = read_le(&dir.join(format!("{name}.rows.u32")), u32::from_le_bytes)?;
    let cols = read_le(&dir.join(format!("{name}.cols.u32")), u32::from_le_bytes)?;
    let vals = read_le(&dir.join(format!("{name}.vals.f32")), f32::from_le_bytes)?;
    Ok(Interactions::from_indices(
        n_users, n_items, &rows, &cols, &vals,
    )?)
}

/// Resident set size of this process in bytes (Linux), for memory figures.
pub fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
