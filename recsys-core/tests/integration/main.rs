//! The core's integration suite, one test binary (a binary per file linked the core again for
//! each). One module per area; `common` holds the generated data they share.

mod common;

mod als;
mod conformance;
mod content;
mod gbdt;
mod hardening;
mod hybrid;
mod kmeans;
mod names;
mod text_formats;
mod tfidf;
