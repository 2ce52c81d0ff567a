//! Items described by text fields, compared by TF-IDF cosine: similar items (also for items
//! nobody has bought yet), catalog search, and recommendations from the profile of the items a
//! user chose.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::similarity::{accumulate, accumulate_dense, l2_normalized};
use super::tfidf::{TfidfModel, TfidfParams};
use crate::error::{Error, Result};
use crate::ids::{Id, IdMap};
use crate::interactions::{Csr, Interactions};
use crate::persist::Persist;
use crate::recommender::{
    ItemFilter, RecommendOptions, Recommender, ResolvedFilter, Scored, history_in_model_space,
    require_item, to_scored,
};
use crate::topk::{TopK, top_k};

/// The text of every item, field by field (title, description, category, tags, ...).
#[derive(Clone, Debug)]
pub struct Catalog {
    fields: Vec<String>,
    ids: IdMap,
    /// `texts[item][field]`
    texts: Vec<Vec<String>>,
}

impl Catalog {
    /// An empty catalog whose items will have these fields, in this order.
    pub fn new<S: AsRef<str>>(fields: &[S]) -> Self {
        Catalog {
            fields: fields.iter().map(|f| f.as_ref().to_owned()).collect(),
            ids: IdMap::new(),
            texts: Vec::new(),
        }
    }

    /// Adds an item with one text per field.
    pub fn push<S: AsRef<str>>(&mut self, id: impl Into<Id>, texts: &[S]) -> Result<()> {
        let id = id.into();
        let row = self.texts.len() + 1;
        if texts.len() != self.fields.len() {
            return Err(Error::InvalidInput {
                row,
                reason: format!(
                    "item '{id}' has {} texts for {} fields",
                    texts.len(),
                    self.fields.len()
                ),
            });
        }
        if self.ids.index(&id).is_some() {
            return Err(Error::InvalidInput {
                row,
                reason: format!("item '{id}' is already in the catalog"),
            });
        }
        self.ids.insert(id);
        self.texts
            .push(texts.iter().map(|t| t.as_ref().to_owned()).collect());
        Ok(())
    }

    /// The field names.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// True when the catalog holds no item.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

/// Settings of [`ContentRecommender`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentParams {
    /// The vectorizer settings, shared by every field.
    pub tfidf: TfidfParams,
    /// Weight of each field by name (fields not named weigh 1; 0 ignores a field).
    pub field_weights: BTreeMap<String, f32>,
}

impl ContentParams {
    /// Default vectorizer, every field weighing 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the weight of one field.
    pub fn field_weight(mut self, field: &str, weight: f32) -> Self {
        self.field_weights.insert(field.to_owned(), weight);
        self
    }

    /// Sets the vectorizer settings.
    pub fn tfidf(mut self, tfidf: TfidfParams) -> Self {
        self.tfidf = tfidf;
        self
    }

    /// Checks the settings against the catalog's fields; returns each field's weight.
    fn weights(&self, fields: &[String]) -> Result<Vec<f32>> {
        self.tfidf.validate()?;
        for (name, &w) in &self.field_weights {
            if !fields.contains(name) {
                return Err(Error::param(
                    "field_weights",
                    "names of catalog fields",
                    name,
                ));
            }
            if !(w.is_finite() && w >= 0.0) {
                return Err(Error::param(
                    "field_weights",
                    "finite weights >= 0",
                    format!("{name} = {w}"),
                ));
            }
        }
        let weights: Vec<f32> = fields
            .iter()
            .map(|f| self.field_weights.get(f).copied().unwrap_or(1.0))
            .collect();
        if !weights.iter().any(|&w| w > 0.0) {
            return Err(Error::param(
                "field_weights",
                "at least one weight > 0",
                "all zero",
            ));
        }
        Ok(weights)
    }
}

/// Recommends by text similarity. [`ContentParams::fit`] indexes the catalog (interactions are
/// not needed: each request brings the user's history).
///
/// ```
/// use recsys_core::content::{Catalog, ContentParams};
///
/// let mut catalog = Catalog::new(&["title", "tags"]);
/// catalog.push("b1", &["Rust in Action", "programming systems"]).unwrap();
/// catalog.push("b2", &["Programming Rust", "programming"]).unwrap();
/// catalog.push("b3", &["Bread Baking", "cooking"]).unwrap();
/// let model = ContentParams::new().field_weight("title", 2.0).fit(catalog).unwrap();
/// let hits = model.search("rust programming", 5);
/// assert_eq!(hits.len(), 2);
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContentRecommender {
    params: ContentParams,
    #[serde(skip)]
    catalog: Option<Arc<Catalog>>,
    #[serde(with = "crate::persist::fitted")]
    state: ContentIndex,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ContentIndex {
    items: Arc<IdMap>,
    /// One vectorizer per field with the field's weight.
    fields: Vec<(TfidfModel, f32)>,
    /// items x all fields' terms, rows L2-normalized.
    matrix: Csr,
    #[serde(skip)]
    by_term: std::sync::OnceLock<Csr>,
}

impl ContentIndex {
    fn by_term(&self) -> &Csr {
        self.by_term.get_or_init(|| self.matrix.transpose())
    }

    /// The weighted, concatenated, L2-normalized vector of one text per field.
    fn vectorize<S: AsRef<str> + Sync>(&self, texts: &[S]) -> (Vec<u32>, Vec<f32>) {
        let (mut cols, mut vals) = (Vec::new(), Vec::new());
        let mut offset = 0u32;
        for ((model, w), text) in self.fields.iter().zip(texts) {
            let m = model.transform(std::slice::from_ref(text));
            let (c, v) = m.row(0);
            cols.extend(c.iter().map(|c| c + offset));
            vals.extend(v.iter().map(|v| v * w));
            offset += model.vocabulary().len() as u32;
        }
        let norm = vals.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            vals.iter_mut().for_each(|v| *v /= norm);
        }
        (cols, vals)
    }

    /// The query vector of a search as you type: the words before the last as [`vectorize`]
    /// makes them, and the last word (perhaps unfinished) spread over the indexed words it
    /// begins, rarer ones weighing more, together weighing as much as one finished word. So
    /// "star wa" ranks an item with "star" and any "wa..." word above one with only one of them.
    ///
    /// [`vectorize`]: Self::vectorize
    fn vectorize_prefix(&self, query: &str) -> (Vec<u32>, Vec<f32>) {
        let (mut cols, mut vals) = (Vec::new(), Vec::new());
        let mut offset = 0u32;
        for (model, w) in &self.fields {
            let (head, completions) = model.completions(query, COMPLETIONS);
            let m = model.transform(std::slice::from_ref(&head));
            let (c, v) = m.row(0);
            // the head's words and the unfinished one share the field's unit weight
            let words = c.len() as f32;
            let (head_share, word_share) = if completions.is_empty() {
                (1.0, 0.0)
            } else {
                ((words / (words + 1.0)).sqrt(), (words + 1.0).sqrt().recip())
            };
            cols.extend(c.iter().map(|c| c + offset));
            vals.extend(v.iter().map(|v| v * w * head_share));
            let total: f64 = completions.iter().map(|&(_, idf)| idf).sum();
            for (col, idf) in completions {
                cols.push(col + offset);
                vals.push((idf / total) as f32 * word_share * w);
            }
            offset += model.vocabulary().len() as u32;
        }
        let norm = vals.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            vals.iter_mut().for_each(|v| *v /= norm);
        }
        (cols, vals)
    }

    /// The best `n` items by cosine with a unit query vector, honouring exclusions (sorted) and
    /// candidates. Every item is scored, in this thread's dense buffer (allocating and zeroing
    /// one per call, and noting which items a query touched, took half of the time at 150,000
    /// items).
    fn best(
        &self,
        cols: &[u32],
        vals: &[f32],
        n: usize,
        exclude: &[u32],
        candidates: Option<&[u32]>,
    ) -> Vec<(u32, f32)> {
        SCORING.with_borrow_mut(|(buf, _)| {
            let items = self.items.len();
            if buf.len() < items {
                buf.resize(items, 0.0);
            }
            let scores = &mut buf[..items];
            accumulate_dense(self.by_term(), cols, vals, scores);
            for &i in exclude {
                scores[i as usize] = f32::NEG_INFINITY;
            }
            let best = match candidates {
                Some(c) => top_k(c.iter().map(|&i| (i, scores[i as usize])), n),
                None => {
                    let mut top = TopK::new(n);
                    top.offer_dense(0, scores);
                    top.into_sorted()
                }
            };
            scores.fill(0.0);
            best
        })
    }

    /// The user's profile: the sum of their items' vectors weighted by strength, normalized;
    /// its terms in order. Summed in a dense buffer per thread (a map of terms took half of a
    /// computed list's time in the server).
    fn profile(&self, items: &[u32], strengths: &[f32]) -> (Vec<u32>, Vec<f32>) {
        PROFILE.with_borrow_mut(|(acc, seen)| {
            let terms = self.matrix.ncols();
            if acc.len() < terms {
                acc.resize(terms, 0.0);
                seen.resize(terms, false);
            }
            let mut cols = Vec::new();
            for (&i, &s) in items.iter().zip(strengths) {
                let (c, v) = self.matrix.row(i as usize);
                for (&c, &v) in c.iter().zip(v) {
                    let t = c as usize;
                    if !seen[t] {
                        seen[t] = true;
                        cols.push(c);
                    }
                    acc[t] += s.max(f32::MIN_POSITIVE) * v;
                }
            }
            cols.sort_unstable();
            let vals: Vec<f32> = cols
                .iter()
                .map(|&c| {
                    let t = c as usize;
                    seen[t] = false;
                    std::mem::take(&mut acc[t])
                })
                .collect();
            let norm = vals.iter().map(|v| v * v).sum::<f32>().sqrt();
            let vals = if norm > 0.0 {
                vals.into_iter().map(|v| v / norm).collect()
            } else {
                vals
            };
            (cols, vals)
        })
    }
}

impl ContentParams {
    /// Indexes `catalog` (a [`Catalog`] or a shared `Arc<Catalog>`, which needs items and some
    /// words) with these settings.
    pub fn fit(&self, catalog: impl Into<Arc<Catalog>>) -> Result<ContentRecommender> {
        let catalog: Arc<Catalog> = catalog.into();
        if catalog.is_empty() {
            return Err(Error::Shape("cannot fit on an empty catalog".into()));
        }
        let weights = self.weights(&catalog.fields)?;
        let mut fields = Vec::new();
        let mut blocks = Vec::new();
        for (f, &w) in weights.iter().enumerate() {
            if w == 0.0 {
                continue;
            }
            let texts: Vec<&str> = catalog.texts.iter().map(|t| t[f].as_str()).collect();
            // a field with no usable words in any item contributes nothing
            match self.tfidf.fit_transform(&texts) {
                Ok((model, m)) => {
                    blocks.push((m, w));
                    fields.push((model, w));
                }
                Err(Error::EmptyVocabulary(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        if fields.is_empty() {
            return Err(Error::EmptyVocabulary(
                "no field of the catalog has any words to index",
            ));
        }
        let matrix = l2_normalized(&hstack(&blocks, catalog.len()));
        Ok(ContentRecommender {
            params: self.clone(),
            state: ContentIndex {
                items: Arc::new(catalog.ids.clone()),
                fields,
                matrix,
                by_term: std::sync::OnceLock::new(),
            },
            catalog: Some(catalog),
        })
    }
}

impl ContentRecommender {
    /// The settings it was built with.
    pub fn params(&self) -> &ContentParams {
        &self.params
    }

    /// The item ids and their texts, field by field (`None` for a model read from a file,
    /// which keeps the index but not the texts).
    pub fn catalog(&self) -> Option<&Catalog> {
        self.catalog.as_deref()
    }

    /// Items whose text best matches `query` (cosine over every indexed field), best first; only
    /// items sharing a word with the query are returned.
    pub fn search(&self, query: &str, n: usize) -> Vec<Scored> {
        let idx = &self.state;
        let (c, v) = idx.vectorize(&vec![query; idx.fields.len()]);
        self.search_vector(idx, &c, &v, n)
    }

    /// Search as you type: like [`search`](Self::search), but the query's last word may be
    /// unfinished, so it also matches the indexed words it begins ("star wa" finds "Star
    /// Wars"; up to [`COMPLETIONS`] of them per field).
    pub fn search_prefix(&self, query: &str, n: usize) -> Vec<Scored> {
        let idx = &self.state;
        let (c, v) = idx.vectorize_prefix(query);
        self.search_vector(idx, &c, &v, n)
    }

    /// The `n` items with the highest cosine to a unit query vector, among those sharing a term.
    fn search_vector(&self, idx: &ContentIndex, c: &[u32], v: &[f32], n: usize) -> Vec<Scored> {
        let pairs = SCORING.with_borrow_mut(|(scores, seen)| {
            let n_items = idx.items.len();
            if scores.len() < n_items {
                scores.resize(n_items, 0.0);
            }
            if seen.len() < n_items {
                seen.resize(n_items, false);
            }
            let mut touched = Vec::new();
            accumulate(idx.by_term(), c, v, scores, seen, &mut touched);
            let pairs = top_k(touched.iter().map(|&i| (i, scores[i as usize])), n);
            for &i in &touched {
                scores[i as usize] = 0.0;
                seen[i as usize] = false;
            }
            pairs
        });
        to_scored(pairs, &idx.items)
    }

    /// The item x term matrix the similarities are computed on (rows L2-normalized).
    pub fn matrix(&self) -> &Csr {
        &self.state.matrix
    }
}

std::thread_local! {
    /// [`ContentIndex::profile`]'s sums by term and which terms it touched, all zero between
    /// calls.
    static PROFILE: std::cell::RefCell<(Vec<f32>, Vec<bool>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
    /// The scores of every item and which items a search touched, all zero between calls
    /// ([`ContentIndex::best`], [`ContentRecommender::search`]).
    static SCORING: std::cell::RefCell<(Vec<f32>, Vec<bool>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// How many indexed words an unfinished last word of a [`ContentRecommender::search_prefix`]
/// query stands for, at most (the most common ones, when it begins more).
pub const COMPLETIONS: usize = 256;

/// Concatenates weighted blocks of columns.
fn hstack(blocks: &[(Csr, f32)], rows: usize) -> Csr {
    let ncols: usize = blocks.iter().map(|b| b.0.ncols()).sum();
    let mut indptr = vec![0usize];
    let (mut indices, mut values) = (Vec::new(), Vec::new());
    for r in 0..rows {
        let mut offset = 0u32;
        for (m, w) in blocks {
            let (c, v) = m.row(r);
            indices.extend(c.iter().map(|c| c + offset));
            values.extend(v.iter().map(|v| v * w));
            offset += m.ncols() as u32;
        }
        indptr.push(indices.len());
    }
    Csr::from_raw(rows, ncols, indptr, indices, values).expect("blocks stacked in column order")
}

impl Recommender for ContentRecommender {
    fn kind(&self) -> &'static str {
        "content"
    }

    fn item_ids(&self) -> &IdMap {
        &self.state.items
    }

    /// Users are described by the items they interacted with in `user_items`; a user with no
    /// known item there is `UnknownUser` (the hybrid recommender falls back to popularity).
    fn recommend_batch(
        &self,
        users: &[Id],
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Vec<Scored>>> {
        let idx = &self.state;
        let filter = ResolvedFilter::new(&options.items, &idx.items);
        crate::parallel::map(users, |user| {
            let (items, strengths) = history_in_model_space(user, user_items, &idx.items);
            if items.is_empty() {
                return Err(Error::UnknownUser(user.clone()));
            }
            let (c, v) = idx.profile(&items, &strengths);
            let exclude = if options.filter_seen {
                filter.exclusions_with(&items)
            } else {
                filter.exclude.clone()
            };
            let pairs = idx.best(&c, &v, n, &exclude, filter.candidates.as_deref());
            Ok(to_scored(pairs, &idx.items))
        })
        .into_iter()
        .collect()
    }

    fn similar_items(&self, item: &Id, n: usize, filter: &ItemFilter) -> Result<Vec<Scored>> {
        let idx = &self.state;
        let i = require_item(&idx.items, item)?;
        let filter = ResolvedFilter::new(filter, &idx.items);
        let (c, v) = idx.matrix.row(i as usize);
        let pairs = idx.best(c, v, n, &filter.exclude, filter.candidates.as_deref());
        Ok(to_scored(pairs, &idx.items))
    }
}

impl Persist for ContentRecommender {
    const KIND: &'static str = "content";
    const VERSION: u32 = 1;

    fn check_loaded(&self) -> Result<()> {
        self.params.tfidf.validate()?;
        {
            let idx = &self.state;
            let terms: usize = idx.fields.iter().map(|f| f.0.vocabulary().len()).sum();
            if idx.matrix.nrows() != idx.items.len() || idx.matrix.ncols() != terms {
                return Err(Error::CorruptModel(
                    "content matrix disagrees with its items and fields".into(),
                ));
            }
        }
        Ok(())
    }
}
