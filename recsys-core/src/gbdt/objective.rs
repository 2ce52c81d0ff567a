//! Gradients and hessians of the objectives, and their starting scores.

use rayon::prelude::*;

use super::params::Objective;

/// Label gains of LambdaRank: `2^l - 1` for l in 0..=30, as LightGBM.
pub(crate) fn default_label_gain() -> Vec<f64> {
    (0..31).map(|l| (1u64 << l) as f64 - 1.0).collect()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// DCG discount of 0-based position `i`: `1 / log2(i + 2)`.
pub(crate) fn discount(i: usize) -> f64 {
    1.0 / ((i + 2) as f64).log2()
}

/// The constant every model starts from (LightGBM's `boost_from_average`).
pub(crate) fn initial_score(objective: &Objective, labels: &[f32], weights: Option<&[f32]>) -> f64 {
    let (mut sum, mut total) = (0f64, 0f64);
    for (i, &y) in labels.iter().enumerate() {
        let w = weights.map_or(1.0, |w| f64::from(w[i]));
        sum += w * f64::from(y);
        total += w;
    }
    let mean = if total > 0.0 { sum / total } else { 0.0 };
    match objective {
        Objective::Regression => mean,
        Objective::Binary => {
            let p = mean.clamp(1e-15, 1.0 - 1e-15);
            (p / (1.0 - p)).ln()
        }
        Objective::LambdaRank { .. } => 0.0,
    }
}

/// What the scores are fitted to.
pub(crate) struct Targets<'a> {
    pub labels: &'a [f32],
    pub weights: Option<&'a [f32]>,
    /// Query group bounds (ranking).
    pub groups: Option<&'a [usize]>,
    /// Label gains (ranking).
    pub gains: &'a [f64],
}

/// Fills `grad` and `hess` for the current `scores`.
pub(crate) fn gradients(
    objective: &Objective,
    scores: &[f64],
    targets: &Targets<'_>,
    grad: &mut [f32],
    hess: &mut [f32],
) {
    let Targets {
        labels,
        weights,
        groups,
        gains,
    } = *targets;
    match objective {
        Objective::Regression | Objective::Binary => {
            let binary = matches!(objective, Objective::Binary);
            grad.par_iter_mut()
                .zip(hess.par_iter_mut())
                .enumerate()
                .for_each(|(i, (g, h))| {
                    let w = weights.map_or(1.0, |w| f64::from(w[i]));
                    let y = f64::from(labels[i]);
                    let (gi, hi) = if binary {
                        let p = sigmoid(scores[i]);
                        (p - y, (p * (1.0 - p)).max(1e-16))
                    } else {
                        (scores[i] - y, 1.0)
                    };
                    *g = (w * gi) as f32;
                    *h = (w * hi) as f32;
                });
        }
        Objective::LambdaRank {
            truncation_level,
            norm,
            ..
        } => {
            let bounds = groups.expect("checked: lambdarank has groups");
            let mut pieces: Vec<(&mut [f32], &mut [f32], usize)> = Vec::with_capacity(bounds.len());
            let (mut g_rest, mut h_rest) = (grad, hess);
            for q in 0..bounds.len() - 1 {
                let len = bounds[q + 1] - bounds[q];
                let (g, gt) = g_rest.split_at_mut(len);
                let (h, ht) = h_rest.split_at_mut(len);
                pieces.push((g, h, bounds[q]));
                g_rest = gt;
                h_rest = ht;
            }
            pieces.into_par_iter().for_each(|(g, h, start)| {
                let n = g.len();
                lambdas_for_query(
                    &scores[start..start + n],
                    &labels[start..start + n],
                    gains,
                    *truncation_level,
                    *norm,
                    g,
                    h,
                );
            });
        }
    }
}

/// `1 / (1 + exp(x))` as LightGBM's lambdarank reads it from its table: 2^20 steps over
/// [-25, 25] (its `sigmoid` 1), the input rounded down to its step, clamped outside. The
/// quantization keeps the gradients equal to LightGBM's; the table (8 MB, built once per
/// process on first use) saves an `exp` per document pair.
fn pair_sigmoid(x: f64) -> f64 {
    const BINS: usize = 1 << 20;
    const MIN: f64 = -25.0;
    const MAX: f64 = 25.0;
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let factor = BINS as f64 / (MAX - MIN);
    let table = TABLE.get_or_init(|| {
        (0..BINS)
            .map(|i| 1.0 / (1.0 + (i as f64 / factor + MIN).exp()))
            .collect()
    });
    let index = if x <= MIN {
        0
    } else if x >= MAX {
        BINS - 1
    } else {
        (((x - MIN) * factor) as usize).min(BINS - 1)
    };
    table[index]
}

/// The ideal DCG of a query at `k`, for the labels' gains.
pub(crate) fn max_dcg(labels: &[f32], gains: &[f64], k: usize) -> f64 {
    let mut g: Vec<f64> = labels.iter().map(|&l| gains[l as usize]).collect();
    g.sort_by(|a, b| b.total_cmp(a));
    g.iter()
        .take(k)
        .enumerate()
        .map(|(i, v)| v * discount(i))
        .sum()
}

/// LambdaMART gradients of one query, as LightGBM's `GetGradientsForOneQuery`: pairs with
/// different labels where the higher-ranked one is within the truncation level, each weighted
/// by the NDCG change of swapping them (normalized by the score gap when `norm`), then the
/// query's lambdas scaled by `log2(1 + sum) / sum`.
fn lambdas_for_query(
    scores: &[f64],
    labels: &[f32],
    gains: &[f64],
    truncation: usize,
    norm: bool,
    grad: &mut [f32],
    hess: &mut [f32],
) {
    let n = scores.len();
    // LightGBM accumulates in its gradient type (f32): the same rounding keeps the same splits
    let (mut lambdas, mut hessians) = (vec![0f32; n], vec![0f32; n]);
    let best_dcg = max_dcg(labels, gains, truncation);
    if n > 1 && best_dcg > 0.0 {
        let inverse_max_dcg = 1.0 / best_dcg;
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let (best, worst) = (scores[order[0]], scores[order[n - 1]]);
        let discounts: Vec<f64> = (0..n).map(discount).collect();
        let mut sum_lambdas = 0.0;
        for i in 0..(n - 1).min(truncation) {
            for j in i + 1..n {
                let (a, b) = (order[i], order[j]);
                if labels[a] == labels[b] {
                    continue;
                }
                let ((high, high_rank), (low, low_rank)) = if labels[a] > labels[b] {
                    ((a, i), (b, j))
                } else {
                    ((b, j), (a, i))
                };
                let delta_score = scores[high] - scores[low];
                let dcg_gap = gains[labels[high] as usize] - gains[labels[low] as usize];
                let paired_discount = (discounts[high_rank] - discounts[low_rank]).abs();
                let mut delta_ndcg = dcg_gap * paired_discount * inverse_max_dcg;
                if norm && best != worst {
                    // LightGBM's constant is the float 0.01f
                    delta_ndcg /= f64::from(0.01f32) + delta_score.abs();
                }
                let p = pair_sigmoid(delta_score);
                let p_lambda = -p * delta_ndcg;
                let p_hessian = p * (1.0 - p) * delta_ndcg;
                lambdas[low] -= p_lambda as f32;
                hessians[low] += p_hessian as f32;
                lambdas[high] += p_lambda as f32;
                hessians[high] += p_hessian as f32;
                sum_lambdas -= 2.0 * p_lambda;
            }
        }
        if norm && sum_lambdas > 0.0 {
            let factor = (1.0 + sum_lambdas).log2() / sum_lambdas;
            lambdas
                .iter_mut()
                .for_each(|l| *l = (f64::from(*l) * factor) as f32);
            hessians
                .iter_mut()
                .for_each(|h| *h = (f64::from(*h) * factor) as f32);
        }
    }
    grad.copy_from_slice(&lambdas);
    hess.copy_from_slice(&hessians);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_sigmoid_reads_lightgbms_table() {
        let step = 50.0 / (1u64 << 20) as f64;
        for x in [-3.0, -0.7, 0.0, 1e-9, 0.123456, 2.5, 24.9] {
            let at = ((x + 25.0) / step).floor() * step - 25.0;
            let want = 1.0 / (1.0 + f64::exp(at));
            assert!((pair_sigmoid(x) - want).abs() < 1e-12, "{x}");
            assert!(
                (pair_sigmoid(x) - 1.0 / (1.0 + f64::exp(x))).abs() < step,
                "{x}"
            );
        }
        // clamped at the table's ends
        assert_eq!(pair_sigmoid(-100.0), 1.0 / (1.0 + f64::exp(-25.0)));
        assert_eq!(pair_sigmoid(100.0), pair_sigmoid(25.0));
    }
}
