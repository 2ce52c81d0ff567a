//! The non-personalized baseline: items ranked by how many users interacted with them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{Id, IdMap};
use crate::interactions::Interactions;
use crate::persist::Persist;
use crate::recommender::{
    ItemFilter, RecommendOptions, Recommender, ResolvedFilter, Scored, history_in_model_space,
    require_item, to_scored,
};

/// Recommends the items with the most distinct users, the same list for everyone (minus what
/// each user has seen). Unknown users get the plain popular list: this is the fallback for
/// cold-start users. It has no settings, so it is trained by its type:
/// `Popularity::fit(&data)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Popularity {
    #[serde(with = "crate::persist::fitted")]
    state: Ranked,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Ranked {
    items: Arc<IdMap>,
    /// Distinct users per item, by item index.
    counts: Vec<f32>,
    /// Item indices, most popular first (ties: lower index first).
    order: Vec<u32>,
}

impl Popularity {
    /// Counts the distinct users of every item in `data` (which needs entries).
    pub fn fit(data: &Interactions) -> Result<Popularity> {
        if data.nnz() == 0 {
            return Err(Error::Shape(
                "cannot fit on interactions with no entries".into(),
            ));
        }
        let by_item = data.by_item();
        let counts: Vec<f32> = (0..data.n_items())
            .map(|i| by_item.row(i).0.len() as f32)
            .collect();
        let mut order: Vec<u32> = (0..data.n_items() as u32).collect();
        order.sort_by(|&a, &b| {
            counts[b as usize]
                .total_cmp(&counts[a as usize])
                .then(a.cmp(&b))
        });
        Ok(Popularity {
            state: Ranked {
                items: data.items().clone(),
                counts,
                order,
            },
        })
    }

    /// Distinct users of every item, in item index order.
    pub fn counts(&self) -> &[f32] {
        &self.state.counts
    }

    /// The `n` most popular items `filter` allows (no one's history left out): what it
    /// recommends to anyone.
    pub fn top_items(&self, n: usize, filter: &ItemFilter) -> Vec<Scored> {
        let st = &self.state;
        let filter = ResolvedFilter::new(filter, &st.items);
        to_scored(st.top(n, &filter, &filter.exclude), &st.items)
    }
}

impl Ranked {
    /// The first `n` items of the popularity order that pass the filter and are not excluded.
    fn top(&self, n: usize, filter: &ResolvedFilter, exclude: &[u32]) -> Vec<(u32, f32)> {
        let allowed = |i: &u32| {
            exclude.binary_search(i).is_err()
                && filter
                    .candidates
                    .as_ref()
                    .is_none_or(|c| c.binary_search(i).is_ok())
        };
        self.order
            .iter()
            .copied()
            .filter(allowed)
            .take(n)
            .map(|i| (i, self.counts[i as usize]))
            .collect()
    }
}

impl Recommender for Popularity {
    fn kind(&self) -> &'static str {
        "popular"
    }

    fn item_ids(&self) -> &IdMap {
        &self.state.items
    }

    fn recommend_batch(
        &self,
        users: &[Id],
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Vec<Scored>>> {
        let st = &self.state;
        let filter = ResolvedFilter::new(&options.items, &st.items);
        Ok(users
            .iter()
            .map(|user| {
                let exclude = if options.filter_seen {
                    filter.exclusions_with(&history_in_model_space(user, user_items, &st.items).0)
                } else {
                    filter.exclude.clone()
                };
                to_scored(st.top(n, &filter, &exclude), &st.items)
            })
            .collect())
    }

    /// Without item features, the items "similar" to any item are the most popular other items.
    fn similar_items(&self, item: &Id, n: usize, filter: &ItemFilter) -> Result<Vec<Scored>> {
        let st = &self.state;
        let i = require_item(&st.items, item)?;
        let filter = ResolvedFilter::new(filter, &st.items);
        let exclude = filter.exclusions_with(&[i]);
        Ok(to_scored(st.top(n, &filter, &exclude), &st.items))
    }
}

impl Persist for Popularity {
    const KIND: &'static str = "popularity";
    const VERSION: u32 = 1;

    fn check_loaded(&self) -> Result<()> {
        {
            let st = &self.state;
            let n = st.items.len();
            // lengths first: an id map claiming more items than the file holds allocates nothing
            let permutation = st.order.len() == n && st.counts.len() == n && {
                let mut seen = vec![false; n];
                st.order
                    .iter()
                    .all(|&i| (i as usize) < n && !std::mem::replace(&mut seen[i as usize], true))
            };
            if !permutation || st.counts.iter().any(|c| !c.is_finite()) {
                return Err(Error::CorruptModel(
                    "popularity table disagrees with its item ids".into(),
                ));
            }
            // the order is what lists are read from: most popular first, as fit wrote it
            let count = |i: u32| st.counts[i as usize];
            if st.order.windows(2).any(|w| {
                count(w[0])
                    .total_cmp(&count(w[1]))
                    .then(w[1].cmp(&w[0]))
                    .is_lt()
            }) {
                return Err(Error::CorruptModel(
                    "the popularity order is not by the counts".into(),
                ));
            }
        }
        Ok(())
    }
}
