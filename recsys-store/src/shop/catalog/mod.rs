//! The catalog: a hierarchy of categories (`categories.rs`) and the products in them
//! (`products.rs`).

mod categories;
mod products;

pub use categories::{Category, CategoryUpdate, NewCategory};
pub use products::{NewProduct, Product, ProductQuery, ProductSort, ProductUpdate};
