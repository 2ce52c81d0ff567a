//! The catalog: a hierarchy of categories (`categories.rs`) and the products in them
//! (`products.rs`).

pub(crate) mod categories;
pub(crate) mod products;

pub use categories::{Category, CategoryUpdate, NewCategory};
pub use products::{NewProduct, Product, ProductQuery, ProductSort, ProductUpdate};
