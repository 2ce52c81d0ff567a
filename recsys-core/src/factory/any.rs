//! One value for any recommender.

use serde::{Deserialize, Serialize};

use crate::als::ImplicitAls;
use crate::content::ContentRecommender;
use crate::error::{Error, Result};
use crate::hybrid::{Blended, BlendedList, Hybrid};
use crate::ids::{Id, IdMap};
use crate::interactions::Interactions;
use crate::persist::Persist;
use crate::popularity::Popularity;
use crate::recommender::{FitControl, ItemFilter, RecommendOptions, Recommender, Scored};

/// Any recommender of this crate; implements [`Recommender`] by forwarding, and [`Persist`] as
/// one file kind (`recommender`) whatever the model inside.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum AnyRecommender {
    /// Implicit ALS.
    Als(ImplicitAls),
    /// TF-IDF content similarity.
    Content(ContentRecommender),
    /// Popularity.
    Popular(Popularity),
    /// A blend of others.
    Hybrid(Box<Hybrid>),
}

/// How many items of a visitor's context [`AnyRecommender::recommend_for_visitor`] reads.
pub const MAX_CONTEXT: usize = 20;

impl AnyRecommender {
    /// [`recommend`](Recommender::recommend), each item with where it came from (a hybrid's
    /// member, else the model's kind), and the candidates the list was chosen from.
    pub fn recommend_explained(
        &self,
        user: &Id,
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<BlendedList> {
        match self {
            AnyRecommender::Hybrid(h) => Ok(h
                .recommend_batch_explained(std::slice::from_ref(user), user_items, n, options)?
                .pop()
                .unwrap_or_default()),
            other => Ok(of_one_model(
                other.recommend(user, user_items, n, options)?,
                other.kind(),
            )),
        }
    }

    /// [`similar_items`](Recommender::similar_items), each item with where it came from.
    pub fn similar_items_explained(
        &self,
        item: &Id,
        n: usize,
        filter: &ItemFilter,
    ) -> Result<Vec<Blended>> {
        match self {
            AnyRecommender::Hybrid(h) => h.similar_items_explained(item, n, filter),
            other => Ok(sourced(other.similar_items(item, n, filter)?, other.kind())),
        }
    }

    /// What the model recommends to anyone, a visitor it knows nothing about: a popularity
    /// model's list, a hybrid's blend of its popularity members; empty for a model that needs
    /// a user or a history (ALS, content).
    pub fn recommend_to_anyone(&self, n: usize, filter: &ItemFilter) -> BlendedList {
        match self {
            AnyRecommender::Hybrid(h) => h.recommend_to_anyone_explained(n, filter),
            AnyRecommender::Popular(p) => of_one_model(p.top_items(n, filter), self.kind()),
            AnyRecommender::Als(_) | AnyRecommender::Content(_) => BlendedList::default(),
        }
    }

    /// A visitor's list from what they looked at (`context`, most relevant first; the first
    /// [`MAX_CONTEXT`] count): the items most similar to any of them, each once at its best
    /// score, then [`recommend_to_anyone`](Self::recommend_to_anyone)'s; `n` items at most,
    /// none of `context` and only what `filter` allows. Context items the model does not know
    /// are passed over.
    pub fn recommend_for_visitor(
        &self,
        context: &[Id],
        n: usize,
        filter: &ItemFilter,
    ) -> Result<BlendedList> {
        let context = &context[..context.len().min(MAX_CONTEXT)];
        let filter = filter.clone().exclude(context.iter().cloned());
        let mut similar: Vec<Blended> = Vec::new();
        for item in context {
            match self.similar_items_explained(item, n, &filter) {
                Ok(list) => similar.extend(list),
                Err(Error::UnknownItem(_)) => {}
                Err(e) => return Err(e),
            }
        }
        similar.sort_by(|a, b| b.item.score.total_cmp(&a.item.score));
        let mut seen = std::collections::HashSet::new();
        similar.retain(|b| seen.insert(b.item.id.clone()));
        let anyone = self.recommend_to_anyone(n, &filter);
        let mut candidates: Vec<Id> = similar.iter().map(|b| b.item.id.clone()).collect();
        candidates.extend(
            anyone
                .candidates
                .into_iter()
                .filter(|id| !seen.contains(id)),
        );
        similar.extend(
            anyone
                .items
                .into_iter()
                .filter(|b| seen.insert(b.item.id.clone())),
        );
        similar.truncate(n);
        Ok(BlendedList {
            items: similar,
            candidates,
        })
    }

    /// This model if it is a `kind` model (`"als"`, `"content"`, `"popular"`, `"hybrid"`),
    /// otherwise [`Error::WrongModelKind`]: what a typed loader (`ALS.load` in the bindings)
    /// checks after reading a `recommender` file.
    pub fn expect_kind(self, kind: &'static str) -> Result<Self> {
        if self.kind() == kind {
            Ok(self)
        } else {
            Err(Error::WrongModelKind {
                expected: kind,
                found: self.kind().to_owned(),
            })
        }
    }

    fn inner(&self) -> &dyn Recommender {
        match self {
            AnyRecommender::Als(m) => m,
            AnyRecommender::Content(m) => m,
            AnyRecommender::Popular(m) => m,
            AnyRecommender::Hybrid(m) => m.as_ref(),
        }
    }

    /// A model of the same settings trained on `data`: ALS and popularity learn again, a
    /// content model keeps its index (it is built from the catalog, not from interactions) and
    /// a hybrid retrains each member. What a binding's `fit` on a fitted model does.
    pub fn refit(&self, data: &Interactions, control: &FitControl<'_>) -> Result<AnyRecommender> {
        control.check()?;
        Ok(match self {
            AnyRecommender::Als(m) => {
                AnyRecommender::Als(m.params().fit_controlled(data, control)?)
            }
            AnyRecommender::Content(m) => AnyRecommender::Content(m.clone()),
            AnyRecommender::Popular(_) => AnyRecommender::Popular(Popularity::fit(data)?),
            AnyRecommender::Hybrid(h) => {
                let members = h
                    .members()
                    .iter()
                    .map(|(m, w)| Ok((m.refit(data, control)?, *w)))
                    .collect::<Result<Vec<_>>>()?;
                AnyRecommender::Hybrid(Box::new(Hybrid::new(members)?))
            }
        })
    }
}

impl Recommender for AnyRecommender {
    fn kind(&self) -> &'static str {
        self.inner().kind()
    }
    fn item_ids(&self) -> &IdMap {
        self.inner().item_ids()
    }
    fn recommend_batch(
        &self,
        users: &[Id],
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Vec<Scored>>> {
        self.inner().recommend_batch(users, user_items, n, options)
    }
    fn recommend(
        &self,
        user: &Id,
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Scored>> {
        self.inner().recommend(user, user_items, n, options)
    }
    fn similar_items(&self, item: &Id, n: usize, filter: &ItemFilter) -> Result<Vec<Scored>> {
        self.inner().similar_items(item, n, filter)
    }
}

impl Persist for AnyRecommender {
    const KIND: &'static str = "recommender";
    const VERSION: u32 = 1;

    fn check_loaded(&self) -> Result<()> {
        match self {
            AnyRecommender::Als(m) => m.check_loaded(),
            AnyRecommender::Content(m) => m.check_loaded(),
            AnyRecommender::Popular(m) => m.check_loaded(),
            AnyRecommender::Hybrid(h) => h.check_loaded(),
        }
    }
}

/// The list one model chose (not a blend): every item from `source`, the list its own
/// candidates.
fn of_one_model(list: Vec<Scored>, source: &'static str) -> BlendedList {
    BlendedList {
        candidates: list.iter().map(|s| s.id.clone()).collect(),
        items: sourced(list, source),
    }
}

/// A list whose items all came from `source`.
fn sourced(list: Vec<Scored>, source: &'static str) -> Vec<Blended> {
    list.into_iter()
        .map(|item| Blended { item, source })
        .collect()
}
