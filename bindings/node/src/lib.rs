//! The native half of the `recsys` npm package. Thin by design: it converts JavaScript values,
//! forwards to `recsys-core`, runs long work on libuv's worker threads (`task.rs`) and maps
//! errors in `error.rs`. The TypeScript layer (`lib/`) gives it the API Node developers use.

// napi registers the exported functions for Node only: a test build of this crate (clippy
// --all-targets) sees them unused
#![cfg_attr(test, allow(dead_code))]

mod error;
mod eval;
mod fitted;
mod gbdt;
mod ids;
mod interactions;
mod kmeans;
mod options;
mod recommender;
mod task;
mod tfidf;
