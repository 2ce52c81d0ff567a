//! Synthetic data with planted structure, shared by the integration tests.
#![allow(dead_code)]

use recsys_core::content::Catalog;
use recsys_core::{Interactions, InteractionsBuilder, SplitMix64};

/// `n_users` x `n_items` interactions where user `u` belongs to taste group `u % groups` and item
/// `i` to group `i % groups`; 90% of each user's `per_user` interactions fall in their group.
/// Values are 1..=3. Ids are strings (`u17`, `i4`) so the id mapping is exercised.
pub fn planted(
    n_users: usize,
    n_items: usize,
    groups: usize,
    per_user: usize,
    seed: u64,
) -> Interactions {
    let mut rng = SplitMix64::new(seed);
    let mut b = InteractionsBuilder::new();
    let per_group = n_items / groups;
    for u in 0..n_users {
        let g = u % groups;
        for _ in 0..per_user {
            let item = if rng.next_f64() < 0.9 {
                g + groups * rng.below(per_group)
            } else {
                rng.below(n_items)
            };
            let value = 1.0 + rng.below(3) as f32;
            b.push(format!("u{u}"), format!("i{item}"), value).unwrap();
        }
    }
    b.build()
}

/// Texts for the items of [`planted`]: item `i` (group `i % groups`) has a title of words of its
/// group and a tag line mixing one group word with a shared word.
pub fn planted_catalog(n_items: usize, groups: usize, seed: u64) -> Catalog {
    let mut rng = SplitMix64::new(seed);
    let mut c = Catalog::new(&["title", "tags"]);
    for i in 0..n_items {
        let g = i % groups;
        let title: Vec<String> = (0..3).map(|_| format!("g{g}w{}", rng.below(6))).collect();
        let tags = format!("g{g}w{} shared{}", rng.below(6), rng.below(3));
        c.push(format!("i{i}"), &[title.join(" "), tags]).unwrap();
    }
    c
}

/// A temporary file path unique to this test process and `name`.
pub fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("recsys-test-{}-{name}", std::process::id()))
}
