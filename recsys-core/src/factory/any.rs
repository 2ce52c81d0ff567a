//! One value for any recommender.

use serde::{Deserialize, Serialize};

use crate::als::ImplicitAls;
use crate::content::ContentRecommender;
use crate::error::{Error, Result};
use crate::hybrid::Hybrid;
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

impl AnyRecommender {
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
