//! The shop's own data: users, the catalog (categories and products), carts and orders.

pub mod cart;
pub mod catalog;
pub mod orders;
pub mod users;
