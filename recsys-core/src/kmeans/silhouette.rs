//! The silhouette coefficient (Rousseeuw 1987), as `sklearn.metrics.silhouette_score` defines
//! it with Euclidean distances: for each point, `(b - a) / max(a, b)` with `a` its mean distance
//! to its own cluster and `b` to the nearest other cluster; 0 for a point alone in its
//! cluster. Exact over at most `max_samples` points (a seeded sample beyond that).

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::rng::SplitMix64;

/// The mean silhouette of `labels` over the rows of `data` (`n_features` per row). Needs 2 to
/// n - 1 distinct labels.
pub fn silhouette_score(
    data: &[f32],
    n_features: usize,
    labels: &[u32],
    max_samples: usize,
    seed: u64,
) -> Result<f64> {
    if n_features == 0 || data.len() != labels.len() * n_features {
        return Err(Error::Shape(format!(
            "{} values are not {} rows of {n_features} features",
            data.len(),
            labels.len()
        )));
    }
    let mut rows: Vec<usize> = (0..labels.len()).collect();
    if rows.len() > max_samples.max(2) {
        SplitMix64::new(seed).shuffle(&mut rows);
        rows.truncate(max_samples.max(2));
    }
    let n_labels = labels.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut distinct = vec![0usize; n_labels];
    for &r in &rows {
        distinct[labels[r] as usize] += 1;
    }
    let used = distinct.iter().filter(|&&c| c > 0).count();
    if used < 2 || used >= rows.len() {
        return Err(Error::Shape(format!(
            "the silhouette needs 2 to n - 1 clusters among the {} points, got {used}",
            rows.len()
        )));
    }
    let row = |r: usize| &data[r * n_features..(r + 1) * n_features];
    let total: f64 = rows
        .par_iter()
        .map(|&i| {
            let mut sums = vec![0.0f64; n_labels];
            for &j in &rows {
                if i != j {
                    let d: f32 = row(i)
                        .iter()
                        .zip(row(j))
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum();
                    sums[labels[j] as usize] += (d as f64).sqrt();
                }
            }
            let own = labels[i] as usize;
            if distinct[own] <= 1 {
                return 0.0;
            }
            let a = sums[own] / (distinct[own] - 1) as f64;
            let b = (0..n_labels)
                .filter(|&l| l != own && distinct[l] > 0)
                .map(|l| sums[l] / distinct[l] as f64)
                .fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            if m > 0.0 { (b - a) / m } else { 0.0 }
        })
        .sum();
    Ok(total / rows.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scikit_learns_value_on_a_small_case() {
        // sklearn.metrics.silhouette_score([[0,0],[0,1],[5,5],[5,6],[6,5]], [0,0,1,1,1])
        // = 0.8249...
        let data = [0., 0., 0., 1., 5., 5., 5., 6., 6., 5.];
        let s = silhouette_score(&data, 2, &[0, 0, 1, 1, 1], 100, 1).unwrap();
        let expected = {
            let d =
                |a: [f64; 2], b: [f64; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
            let p = [[0., 0.], [0., 1.], [5., 5.], [5., 6.], [6., 5.]];
            let l = [0, 0, 1, 1, 1];
            let mut total = 0.0;
            for i in 0..5 {
                let mean = |c: i32| {
                    let others: Vec<usize> = (0..5).filter(|&j| j != i && l[j] == c).collect();
                    others.iter().map(|&j| d(p[i], p[j])).sum::<f64>() / others.len() as f64
                };
                let (a, b) = (mean(l[i]), mean(1 - l[i]));
                total += (b - a) / a.max(b);
            }
            total / 5.0
        };
        assert!((s - expected).abs() < 1e-6, "{s} vs {expected}");
        assert!(s > 0.8);
        assert!(silhouette_score(&data, 2, &[0, 0, 0, 0, 0], 100, 1).is_err());
        assert!(silhouette_score(&data, 3, &[0, 1, 0, 1, 0], 100, 1).is_err());
    }
}
