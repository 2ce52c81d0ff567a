//! Blending several recommenders, with a cold-start fallback chain.
//!
//! [`Hybrid`] asks each member for a longer list than requested, scales each member's scores to
//! `[0, 1]` (min-max over its own list, so members with different score scales blend fairly),
//! adds them with the members' weights and keeps the best. Members that cannot serve a user
//! (`UnknownUser`: ALS for someone it never saw, content for someone with no history) are left
//! out of the blend; if the blend is short, the members fill the rest in their declared order.
//! With popularity last, every user, even a brand-new one, gets a full list.

mod blend;

pub use blend::{Blended, BlendedList, Hybrid};
pub(crate) use blend::{check_weights, nested_hybrid};
