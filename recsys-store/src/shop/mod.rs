//! The shop's own data: users, the catalog (categories and products), carts, orders, the refresh
//! tokens of signed-in sessions and the API keys of the service API.

pub mod api_keys;
pub mod cart;
pub mod catalog;
pub mod orders;
pub mod refresh_tokens;
pub mod users;
