//! What the routes orchestrate: the serving model, the catalog cache, recommendation lists,
//! training and its worker, the analytics queue and the demo shop.

pub mod catalog;
pub mod demo;
pub mod experiments;
pub mod list_cache;
pub mod models;
pub mod recommend;
pub mod recorder;
pub mod training;
pub mod worker;
