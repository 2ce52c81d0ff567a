//! A shop's own files: `recsys-server import` reads its catalog, customers, orders and events
//! (CSV or JSON Lines, gzip or not) under the shop's keys into the store, `export` writes them
//! back in the same formats. `records.rs` says which fields each entity has; `docs/import.md`
//! documents them.

pub mod export;
pub mod formats;
pub mod import;
pub mod records;
