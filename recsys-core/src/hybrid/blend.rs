//! The blending recommender.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::factory::AnyRecommender;
use crate::ids::{Id, IdMap};
use crate::interactions::Interactions;
use crate::recommender::{ItemFilter, RecommendOptions, Recommender, Scored};

/// How many candidates each member contributes per requested item.
const OVERSAMPLE: usize = 3;

/// A weighted blend of recommenders; see the [module docs](super).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Hybrid {
    members: Vec<(AnyRecommender, f32)>,
    items: Option<Arc<IdMap>>,
}

/// Scales a best-first list's scores to `[0, 1]` (all equal -> 1).
fn normalized(list: &[Scored]) -> impl Iterator<Item = (&Id, f32)> {
    let max = list.first().map_or(0.0, |s| s.score);
    let min = list.last().map_or(0.0, |s| s.score);
    let span = max - min;
    list.iter().map(move |s| {
        (
            &s.id,
            if span > 0.0 {
                (s.score - min) / span
            } else {
                1.0
            },
        )
    })
}

/// Blends `lists` (one per member, `None` where the member could not serve) into the best `n`,
/// then fills from the lists in member order.
fn blend(lists: &[(Option<Vec<Scored>>, f32)], n: usize) -> Vec<Scored> {
    let mut total: HashMap<&Id, (f32, usize)> = HashMap::new();
    let mut order = 0usize;
    for (list, w) in lists {
        for (id, s) in normalized(list.as_deref().unwrap_or(&[])) {
            let e = total.entry(id).or_insert_with(|| {
                order += 1;
                (0.0, order)
            });
            e.0 += w * s;
        }
    }
    let mut ranked: Vec<(&Id, (f32, usize))> =
        total.into_iter().filter(|(_, (s, _))| *s > 0.0).collect();
    ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    let mut out: Vec<Scored> = ranked
        .into_iter()
        .take(n)
        .map(|(id, (score, _))| Scored {
            id: id.clone(),
            score,
        })
        .collect();
    // fill: members in order, their own ranking, score 0 (below every blended item)
    for (list, _) in lists {
        for s in list.as_deref().unwrap_or(&[]) {
            if out.len() >= n {
                return out;
            }
            if !out.iter().any(|o| o.id == s.id) {
                out.push(Scored {
                    id: s.id.clone(),
                    score: 0.0,
                });
            }
        }
    }
    out
}

impl Hybrid {
    /// A blend of `members` with their weights (>= 0, at least one > 0), in fallback order.
    pub fn new(members: Vec<(AnyRecommender, f32)>) -> Result<Self> {
        if members.is_empty() {
            return Err(Error::param("members", "at least one recommender", 0));
        }
        if let Some((_, w)) = members.iter().find(|(_, w)| !(w.is_finite() && *w >= 0.0)) {
            return Err(Error::param("weight", "a finite number >= 0", w));
        }
        if !members.iter().any(|(_, w)| *w > 0.0) {
            return Err(Error::param("weight", "> 0 for at least one member", 0));
        }
        Ok(Hybrid {
            members,
            items: None,
        })
    }

    /// The members and their weights.
    pub fn members(&self) -> &[(AnyRecommender, f32)] {
        &self.members
    }

    fn fitted_items(&self) -> Result<&Arc<IdMap>> {
        self.items.as_ref().ok_or(Error::NotFitted("hybrid"))
    }

    /// Runs `ask` on every member; `UnknownItem` means the member cannot serve.
    fn gather<T>(
        &self,
        ask: impl Fn(&AnyRecommender) -> Result<T>,
    ) -> Result<Vec<(Option<T>, f32)>> {
        self.members
            .iter()
            .map(|(m, w)| match ask(m) {
                Ok(v) => Ok((Some(v), *w)),
                Err(Error::UnknownItem(_)) => Ok((None, *w)),
                Err(e) => Err(e),
            })
            .collect()
    }

    /// One member's lists for `users`: `None` for each user it cannot serve (`UnknownUser`).
    fn member_lists(
        member: &AnyRecommender,
        users: &[Id],
        user_items: &Interactions,
        m: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Option<Vec<Scored>>>> {
        match member.recommend_batch(users, user_items, m, options) {
            Ok(lists) => Ok(lists.into_iter().map(Some).collect()),
            // some user of the batch is unknown to it: ask user by user
            Err(Error::UnknownUser(_)) => users
                .iter()
                .map(|u| match member.recommend(u, user_items, m, options) {
                    Ok(l) => Ok(Some(l)),
                    Err(Error::UnknownUser(_)) => Ok(None),
                    Err(e) => Err(e),
                })
                .collect(),
            Err(e) => Err(e),
        }
    }
}

impl Recommender for Hybrid {
    fn kind(&self) -> &'static str {
        "hybrid"
    }

    fn fit(&mut self, data: &Interactions) -> Result<()> {
        self.items = None;
        let mut items = IdMap::new();
        for (m, _) in &mut self.members {
            m.fit(data)?;
            for id in m.item_ids()?.iter() {
                items.insert(id);
            }
        }
        self.items = Some(Arc::new(items));
        Ok(())
    }

    fn is_fitted(&self) -> bool {
        self.items.is_some()
    }

    fn item_ids(&self) -> Result<&IdMap> {
        Ok(self.fitted_items()?)
    }

    fn recommend_batch(
        &self,
        users: &[Id],
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Vec<Scored>>> {
        self.fitted_items()?;
        let m = n.saturating_mul(OVERSAMPLE).max(n);
        let mut per_member = Vec::with_capacity(self.members.len());
        for (member, w) in &self.members {
            per_member.push((
                Self::member_lists(member, users, user_items, m, options)?,
                *w,
            ));
        }
        users
            .iter()
            .enumerate()
            .map(|(u, user)| {
                let lists: Vec<(Option<Vec<Scored>>, f32)> = per_member
                    .iter_mut()
                    .map(|(lists, w)| (lists[u].take(), *w))
                    .collect();
                if lists.iter().all(|(l, _)| l.is_none()) {
                    return Err(Error::UnknownUser(user.clone()));
                }
                Ok(blend(&lists, n))
            })
            .collect()
    }

    fn similar_items(&self, item: &Id, n: usize, filter: &ItemFilter) -> Result<Vec<Scored>> {
        self.fitted_items()?;
        let m = n.saturating_mul(OVERSAMPLE).max(n);
        let lists = self.gather(|member| member.similar_items(item, m, filter))?;
        if lists.iter().all(|(l, _)| l.is_none()) {
            return Err(Error::UnknownItem(item.clone()));
        }
        Ok(blend(&lists, n))
    }
}
