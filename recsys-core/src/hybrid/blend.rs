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

/// A weighted blend of recommenders; see the [module docs](super). Its members are single
/// models: a hybrid inside a hybrid is refused (and a model file nesting them is corrupt, found
/// before decoding recurses into it).
#[derive(Clone, Debug, Serialize)]
pub struct Hybrid {
    members: Vec<(AnyRecommender, f32)>,
    /// Every member's items.
    #[serde(with = "crate::persist::fitted")]
    items: Arc<IdMap>,
}

/// A hybrid's fields as a file holds them.
#[derive(Deserialize)]
struct StoredHybrid {
    members: Vec<(AnyRecommender, f32)>,
    #[serde(with = "crate::persist::fitted")]
    items: Arc<IdMap>,
}

std::thread_local! {
    /// Set while a hybrid is being decoded on this thread: a member that is a hybrid again is
    /// refused at once, so a crafted file nesting hybrids cannot exhaust the stack.
    static DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl<'de> Deserialize<'de> for Hybrid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        if DECODING.with(|f| f.replace(true)) {
            return Err(serde::de::Error::custom("a hybrid inside a hybrid"));
        }
        let stored = StoredHybrid::deserialize(d);
        DECODING.with(|f| f.set(false));
        let stored = stored?;
        Ok(Hybrid {
            members: stored.members,
            items: stored.items,
        })
    }
}

/// Every member's items, in member order (a blend's item list).
fn items_of(members: &[(AnyRecommender, f32)]) -> IdMap {
    let mut items = IdMap::new();
    for (m, _) in members {
        for id in m.item_ids().iter() {
            items.insert(id);
        }
    }
    items
}

/// The members `Hybrid::new` accepts: single models with finite weights >= 0, one of them > 0.
fn check_members(members: &[(AnyRecommender, f32)]) -> Result<()> {
    if members
        .iter()
        .any(|(m, _)| matches!(m, AnyRecommender::Hybrid(_)))
    {
        return Err(crate::hybrid::nested_hybrid());
    }
    check_weights(&members.iter().map(|(_, w)| *w).collect::<Vec<_>>())
}

/// The error for a hybrid given as a member of a hybrid.
pub(crate) fn nested_hybrid() -> Error {
    Error::param(
        "members",
        "single models (a hybrid cannot be a member of a hybrid)",
        "a hybrid",
    )
}

/// Blend weights a hybrid accepts: finite, >= 0, one of them > 0.
pub(crate) fn check_weights(weights: &[f32]) -> Result<()> {
    if weights.is_empty() {
        return Err(Error::param("members", "at least one recommender", 0));
    }
    if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
        return Err(Error::param("weight", "a finite number >= 0", w));
    }
    if !weights.iter().any(|w| *w > 0.0) {
        return Err(Error::param("weight", "> 0 for at least one member", 0));
    }
    Ok(())
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

/// One item of a blended list and the member it came from: the one whose weighted, normalized
/// score contributed most to it, or the member whose own list filled it in.
#[derive(Clone, Debug, PartialEq)]
pub struct Blended {
    /// The item and its blended score.
    pub item: Scored,
    /// The [`kind`](Recommender::kind) of the member it came from (`"als"`, `"content"`, ...).
    pub source: &'static str,
}

/// A blended list and the candidates it was chosen from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlendedList {
    /// The list, best first, each item with the member it came from.
    pub items: Vec<Blended>,
    /// Every item a member proposed for it (the list's own among them), each once. The list
    /// depends on which items may be recommended only through these: ruling out any other item
    /// (it went out of stock, say) leaves the list as it is, so a cache of lists needs to check
    /// only these.
    pub candidates: Vec<Id>,
}

/// A blended list before its sources are named (each item with the index of its member), and
/// its candidates.
type Blend = (Vec<(Scored, usize)>, Vec<Id>);

/// What the blend keeps per item: the total, the order in which it was first seen (ties), and the
/// best single contribution with the index of the member that made it.
type Tally = (f32, usize, (f32, usize));

/// Blends `lists` (one per member, `None` where the member could not serve) into the best `n`,
/// then fills from the lists in member order. Each item comes with the index of its source.
fn blend(lists: &[(Option<Vec<Scored>>, f32)], n: usize) -> Vec<(Scored, usize)> {
    blend_with_candidates(lists, n).0
}

/// [`blend`], and every item of `lists`, each once, in the order first seen.
fn blend_with_candidates(lists: &[(Option<Vec<Scored>>, f32)], n: usize) -> Blend {
    let mut total: HashMap<&Id, Tally> = HashMap::new();
    let mut order = 0usize;
    for (member, (list, w)) in lists.iter().enumerate() {
        for (id, s) in normalized(list.as_deref().unwrap_or(&[])) {
            let e = total.entry(id).or_insert_with(|| {
                order += 1;
                (0.0, order, (f32::NEG_INFINITY, member))
            });
            e.0 += w * s;
            if w * s > e.2.0 {
                e.2 = (w * s, member);
            }
        }
    }
    let mut candidates: Vec<(&Id, usize)> = total.iter().map(|(id, t)| (*id, t.1)).collect();
    candidates.sort_unstable_by_key(|c| c.1);
    let candidates: Vec<Id> = candidates.into_iter().map(|(id, _)| id.clone()).collect();
    let mut ranked: Vec<(&Id, Tally)> = total
        .into_iter()
        .filter(|(_, (s, _, _))| *s > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    let mut out: Vec<(Scored, usize)> = ranked
        .into_iter()
        .take(n)
        .map(|(id, (score, _, (_, member)))| {
            (
                Scored {
                    id: id.clone(),
                    score,
                },
                member,
            )
        })
        .collect();
    // fill: members in order, their own ranking, score 0 (below every blended item)
    for (member, (list, _)) in lists.iter().enumerate() {
        for s in list.as_deref().unwrap_or(&[]) {
            if out.len() >= n {
                return (out, candidates);
            }
            if !out.iter().any(|(o, _)| o.id == s.id) {
                out.push((
                    Scored {
                        id: s.id.clone(),
                        score: 0.0,
                    },
                    member,
                ));
            }
        }
    }
    (out, candidates)
}

impl Hybrid {
    /// A blend of trained `members` with their weights (>= 0, at least one > 0), in fallback
    /// order. [`RecommenderConfig::fit`](crate::factory::RecommenderConfig::fit) trains the
    /// members of a hybrid from settings.
    pub fn new(members: Vec<(AnyRecommender, f32)>) -> Result<Self> {
        check_members(&members)?;
        let items = items_of(&members);
        Ok(Hybrid {
            members,
            items: Arc::new(items),
        })
    }

    /// Checks a decoded blend: the members [`new`](Self::new) accepts, each with its own
    /// invariants.
    pub(crate) fn check_loaded(&self) -> Result<()> {
        use crate::persist::Persist;
        check_members(&self.members)
            .map_err(|e| Error::CorruptModel(format!("hybrid members: {e}")))?;
        self.members
            .iter()
            .try_for_each(|(m, _)| m.check_loaded())?;
        // the file keeps the blend's item list beside the members': a list that is not theirs
        // would answer with ids no member has
        let expected = items_of(&self.members);
        if expected.len() != self.items.len() || !expected.iter().eq(self.items.iter()) {
            return Err(Error::CorruptModel(
                "the hybrid's item ids are not its members' items".into(),
            ));
        }
        Ok(())
    }

    /// The members and their weights.
    pub fn members(&self) -> &[(AnyRecommender, f32)] {
        &self.members
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

    fn explain(&self, list: Vec<(Scored, usize)>) -> Vec<Blended> {
        list.into_iter()
            .map(|(item, member)| Blended {
                item,
                source: self.members[member].0.kind(),
            })
            .collect()
    }

    /// [`recommend_batch`](Recommender::recommend_batch), each item with the member it came
    /// from (what a shop shows as "because you watched ..." or "popular"), and each list with
    /// the candidates it was chosen from.
    pub fn recommend_batch_explained(
        &self,
        users: &[Id],
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<BlendedList>> {
        Ok(self
            .blend_batch(users, user_items, n, options)?
            .into_iter()
            .map(|(list, candidates)| BlendedList {
                items: self.explain(list),
                candidates,
            })
            .collect())
    }

    /// What the blend recommends to anyone (a visitor it knows nothing about): its members that
    /// can answer without a user (popularity) blended with their weights, each item with the
    /// member it came from; empty when none can.
    pub fn recommend_to_anyone_explained(&self, n: usize, filter: &ItemFilter) -> BlendedList {
        let m = n.saturating_mul(OVERSAMPLE).max(n);
        let lists: Vec<(Option<Vec<Scored>>, f32)> = self
            .members
            .iter()
            .map(|(member, w)| match member {
                AnyRecommender::Popular(p) => (Some(p.top_items(m, filter)), *w),
                _ => (None, *w),
            })
            .collect();
        let (list, candidates) = blend_with_candidates(&lists, n);
        BlendedList {
            items: self.explain(list),
            candidates,
        }
    }

    /// [`similar_items`](Recommender::similar_items), each item with the member it came from.
    pub fn similar_items_explained(
        &self,
        item: &Id,
        n: usize,
        filter: &ItemFilter,
    ) -> Result<Vec<Blended>> {
        Ok(self.explain(self.blend_similar(item, n, filter)?))
    }

    fn blend_batch(
        &self,
        users: &[Id],
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Blend>> {
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
                Ok(blend_with_candidates(&lists, n))
            })
            .collect()
    }

    fn blend_similar(
        &self,
        item: &Id,
        n: usize,
        filter: &ItemFilter,
    ) -> Result<Vec<(Scored, usize)>> {
        let m = n.saturating_mul(OVERSAMPLE).max(n);
        let lists = self.gather(|member| member.similar_items(item, m, filter))?;
        if lists.iter().all(|(l, _)| l.is_none()) {
            return Err(Error::UnknownItem(item.clone()));
        }
        Ok(blend(&lists, n))
    }

    /// One member's lists for `users`: `None` for each user it cannot serve (`UnknownUser`).
    /// A user with no history in `user_items` is new, whatever a member learned of them in
    /// training (an ALS user whose interactions all came later has a vector fitted to
    /// nothing): only members that need no history (popularity) serve them, as they serve a
    /// user never seen.
    fn member_lists(
        member: &AnyRecommender,
        users: &[Id],
        user_items: &Interactions,
        m: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Option<Vec<Scored>>>> {
        let mut lists = Self::member_lists_of_all(member, users, user_items, m, options)?;
        if !matches!(member, AnyRecommender::Popular(_)) {
            for (list, user) in lists.iter_mut().zip(users) {
                if user_items
                    .user_row(user)
                    .is_none_or(|(items, _)| items.is_empty())
                {
                    *list = None;
                }
            }
        }
        Ok(lists)
    }

    fn member_lists_of_all(
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

    fn item_ids(&self) -> &IdMap {
        &self.items
    }

    fn recommend_batch(
        &self,
        users: &[Id],
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Vec<Scored>>> {
        Ok(self
            .blend_batch(users, user_items, n, options)?
            .into_iter()
            .map(|(l, _)| l.into_iter().map(|(s, _)| s).collect())
            .collect())
    }

    fn similar_items(&self, item: &Id, n: usize, filter: &ItemFilter) -> Result<Vec<Scored>> {
        Ok(self
            .blend_similar(item, n, filter)?
            .into_iter()
            .map(|(s, _)| s)
            .collect())
    }
}
