//! Offline evaluation: seeded splits and ranking metrics defined exactly as `implicit.evaluation`
//! (0.7) defines them, so figures are comparable with published `implicit` results.

mod metrics;
mod split;

pub use metrics::{
    RankingMetrics, auc_at_k, mean_average_precision_at_k, ndcg_at_k, precision_at_k,
    ranking_metrics_at_k,
};
pub use split::{leave_k_out_split, newest_split, sample_users, train_test_split};
