//! Analytics: the audit log of admin actions, search analytics, and daily per-user rollups.

pub mod audit;
pub mod daily;
pub mod overview;
pub mod search;
