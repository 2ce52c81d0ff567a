//! What the routes orchestrate: the serving model, the catalog cache, recommendation lists,
//! training and its worker, the analytics queue, the demo shop, the shop's own files (import
//! and export) and its product pictures.

pub mod backup;
pub mod catalog;
pub mod demo;
pub mod experiments;
pub mod images;
pub mod list_cache;
pub mod memory;
pub mod models;
pub mod recommend;
pub mod recorder;
pub mod shop_files;
pub mod training;
pub mod worker;
