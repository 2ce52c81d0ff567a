//! Evaluation metrics of GBDT models (LightGBM's definitions).

use super::objective::{discount, max_dcg};

/// The mean over queries of `per_query(scores, labels, order)`, where `order` ranks the
/// query's documents by descending score.
fn mean_over_queries(
    scores: &[f64],
    labels: &[f32],
    group_bounds: &[usize],
    per_query: impl Fn(&[f32], &[usize]) -> f64,
) -> f64 {
    let queries = group_bounds.len().saturating_sub(1);
    if queries == 0 {
        return 0.0;
    }
    let total: f64 = (0..queries)
        .map(|q| {
            let (s, e) = (group_bounds[q], group_bounds[q + 1]);
            let sc = &scores[s..e];
            let mut order: Vec<usize> = (0..sc.len()).collect();
            order.sort_by(|&a, &b| sc[b].total_cmp(&sc[a]));
            per_query(&labels[s..e], &order)
        })
        .sum();
    total / queries as f64
}

/// NDCG@k averaged over queries; a query whose labels are all 0 counts as 1 (LightGBM).
pub fn ndcg_at_k(
    scores: &[f64],
    labels: &[f32],
    group_bounds: &[usize],
    gains: &[f64],
    k: usize,
) -> f64 {
    mean_over_queries(scores, labels, group_bounds, |lb, order| {
        let ideal = max_dcg(lb, gains, k);
        if ideal <= 0.0 {
            return 1.0;
        }
        let dcg: f64 = order
            .iter()
            .take(k)
            .enumerate()
            .map(|(i, &d)| gains[lb[d] as usize] * discount(i))
            .sum();
        dcg / ideal
    })
}

/// MAP@k over queries (relevant = label > 0; a query without relevant documents counts as 1,
/// as LightGBM).
pub fn map_at_k(scores: &[f64], labels: &[f32], group_bounds: &[usize], k: usize) -> f64 {
    mean_over_queries(scores, labels, group_bounds, |lb, order| {
        let relevant = lb.iter().filter(|&&l| l > 0.0).count();
        if relevant == 0 {
            return 1.0;
        }
        let (mut hits, mut ap) = (0usize, 0f64);
        for (i, &d) in order.iter().take(k).enumerate() {
            if lb[d] > 0.0 {
                hits += 1;
                ap += hits as f64 / (i + 1) as f64;
            }
        }
        ap / relevant.min(k) as f64
    })
}

/// Area under the ROC curve of `scores` for labels > 0 vs the rest (ties count half).
pub fn auc(scores: &[f64], labels: &[f32]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut positives) = (0f64, 0f64);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid_rank = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            if labels[o] > 0.0 {
                rank_sum += mid_rank;
                positives += 1.0;
            }
        }
        i = j + 1;
    }
    let negatives = scores.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return 0.5;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

/// Mean log loss of probabilities `p` for 0/1 labels.
pub fn log_loss(p: &[f64], labels: &[f32]) -> f64 {
    let total: f64 = p
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if y > 0.5 { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    total / p.len().max(1) as f64
}

/// Root mean squared error.
pub fn rmse(pred: &[f64], labels: &[f32]) -> f64 {
    let total: f64 = pred
        .iter()
        .zip(labels)
        .map(|(&p, &y)| (p - f64::from(y)).powi(2))
        .sum();
    (total / pred.len().max(1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gbdt::objective::default_label_gain;

    #[test]
    fn ndcg_perfect_and_reversed() {
        let gains = default_label_gain();
        let labels = [2.0, 1.0, 0.0];
        let bounds = [0, 3];
        assert!((ndcg_at_k(&[3.0, 2.0, 1.0], &labels, &bounds, &gains, 3) - 1.0).abs() < 1e-12);
        let reversed = ndcg_at_k(&[1.0, 2.0, 3.0], &labels, &bounds, &gains, 3);
        let want = (0.0 + 1.0 / 3f64.log2() + 3.0 / 4f64.log2()) / (3.0 + 1.0 / 3f64.log2());
        assert!((reversed - want).abs() < 1e-12);
        assert_eq!(ndcg_at_k(&[1.0, 2.0], &[0.0, 0.0], &[0, 2], &gains, 2), 1.0);
    }

    #[test]
    fn auc_logloss_rmse_map() {
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[0.0, 0.0, 1.0, 1.0]), 0.75);
        assert_eq!(auc(&[0.5, 0.5], &[0.0, 1.0]), 0.5);
        assert!((log_loss(&[0.5], &[1.0]) - 2f64.ln()).abs() < 1e-12);
        assert!((rmse(&[1.0, 3.0], &[2.0, 2.0]) - 1.0).abs() < 1e-12);
        assert!(
            (map_at_k(&[3.0, 2.0, 1.0], &[0.0, 1.0, 1.0], &[0, 3], 3) - (0.5 + 2.0 / 3.0) / 2.0)
                .abs()
                < 1e-12
        );
    }
}
