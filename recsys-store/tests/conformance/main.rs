//! The store's conformance suite: every test runs on SQLite and on a real PostgreSQL + pgvector
//! server, each on a fresh migrated database, and expects the same behaviour. One module per
//! area; `helpers.rs` holds what they share.

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod helpers;

mod analytics;
mod bulk;
mod catalog;
mod embeddings;
mod events;
mod maintenance;
mod models;
mod orders;
mod users;
