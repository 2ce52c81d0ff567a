//! What the routes orchestrate: the serving model, the catalog cache, recommendation lists,
//! training and its worker, the analytics queue, the demo shop, and the shop's own files
//! (import and export).

pub mod backup;
pub mod catalog;
pub mod demo;
pub mod experiments;
pub mod list_cache;
pub mod memory;
pub mod models;
pub mod recommend;
pub mod recorder;
pub mod shop_files;
pub mod training;
pub mod worker;
