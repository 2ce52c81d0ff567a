//! Machine-learning bookkeeping: interaction events (the training data), model configs and
//! versions, training runs, recommendation impressions and clicks, user segments and item
//! embeddings.

pub mod embeddings;
pub mod events;
pub mod experiments;
pub mod models;
pub mod rec_metrics;
pub mod segments;
pub mod training;
