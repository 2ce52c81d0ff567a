//! The shop's own data: users, the catalog (categories and products), carts, orders, and the refresh tokens of signed-in sessions.

pub mod cart;
pub mod catalog;
pub mod orders;
pub mod refresh_tokens;
pub mod users;
