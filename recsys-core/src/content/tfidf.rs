//! TF-IDF weighting with scikit-learn's `TfidfVectorizer` semantics, so that for the same
//! settings the vocabulary order and the weights are the same.
//!
//! - vocabulary: every term kept after the `min_df` / `max_df` / `max_features` pruning, in
//!   sorted order (`max_features` keeps the most frequent terms over the corpus; ties at the cut
//!   are broken alphabetically, where numpy's unstable sort may choose differently);
//! - `tf` = the count of the term in the document, or `1 + ln(count)` with `sublinear_tf`;
//! - `idf` = `ln((1 + n) / (1 + df)) + 1` with `smooth_idf` (default), else `ln(n / df) + 1`;
//! - each row is then scaled to unit L2 (default) or L1 norm.

use std::borrow::Cow;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::tokenize::{for_each_term, normalize};
use crate::error::{Error, Result};
use crate::interactions::Csr;
use crate::persist::Persist;

/// A document-frequency bound: an absolute count of documents or a fraction of them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum DocumentFrequency {
    /// At least / at most this many documents.
    Count(usize),
    /// At least / at most this fraction of the documents (0 ..= 1).
    Fraction(f64),
}

impl DocumentFrequency {
    fn documents(&self, n_docs: usize) -> f64 {
        match *self {
            DocumentFrequency::Count(c) => c as f64,
            DocumentFrequency::Fraction(f) => f * n_docs as f64,
        }
    }

    fn validate(&self, param: &'static str) -> Result<()> {
        match *self {
            DocumentFrequency::Count(0) => Err(Error::param(
                param,
                "a count >= 1 or a fraction in [0, 1]",
                0,
            )),
            DocumentFrequency::Fraction(f) if !(0.0..=1.0).contains(&f) => Err(Error::param(
                param,
                "a count >= 1 or a fraction in [0, 1]",
                f,
            )),
            _ => Ok(()),
        }
    }
}

/// Which stop words to drop before counting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum StopWords {
    /// Keep every token (the default).
    #[default]
    None,
    /// scikit-learn's built-in English list.
    English,
    /// Your own list (compared after lowercasing, if that is on).
    Custom(Vec<String>),
}

/// Row normalization.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Norm {
    /// Unit Euclidean length (the default).
    #[default]
    L2,
    /// Unit sum of absolute values.
    L1,
    /// No scaling.
    None,
}

/// Settings of [`TfidfModel`]; defaults are scikit-learn's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TfidfParams {
    pub(crate) lowercase: bool,
    pub(crate) stop_words: StopWords,
    pub(crate) ngram_range: (usize, usize),
    pub(crate) min_df: DocumentFrequency,
    pub(crate) max_df: DocumentFrequency,
    pub(crate) max_features: Option<usize>,
    pub(crate) sublinear_tf: bool,
    pub(crate) smooth_idf: bool,
    pub(crate) use_idf: bool,
    pub(crate) norm: Norm,
}

impl Default for TfidfParams {
    fn default() -> Self {
        TfidfParams {
            lowercase: true,
            stop_words: StopWords::None,
            ngram_range: (1, 1),
            min_df: DocumentFrequency::Count(1),
            max_df: DocumentFrequency::Fraction(1.0),
            max_features: None,
            sublinear_tf: false,
            smooth_idf: true,
            use_idf: true,
            norm: Norm::L2,
        }
    }
}

impl TfidfParams {
    /// scikit-learn's defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Lowercase before tokenizing (default true).
    pub fn lowercase(mut self, v: bool) -> Self {
        self.lowercase = v;
        self
    }
    /// Stop words to drop.
    pub fn stop_words(mut self, mut v: StopWords) -> Self {
        if let StopWords::Custom(list) = &mut v {
            list.sort();
            list.dedup();
        }
        self.stop_words = v;
        self
    }
    /// Word n-gram lengths `min..=max` (default 1, 1).
    pub fn ngram_range(mut self, min: usize, max: usize) -> Self {
        self.ngram_range = (min, max);
        self
    }
    /// Drop terms in fewer documents than this (default 1 document).
    pub fn min_df(mut self, v: DocumentFrequency) -> Self {
        self.min_df = v;
        self
    }
    /// Drop terms in more documents than this (default all of them).
    pub fn max_df(mut self, v: DocumentFrequency) -> Self {
        self.max_df = v;
        self
    }
    /// Keep only this many of the most frequent terms.
    pub fn max_features(mut self, v: Option<usize>) -> Self {
        self.max_features = v;
        self
    }
    /// Use `1 + ln(tf)` instead of the raw count.
    pub fn sublinear_tf(mut self, v: bool) -> Self {
        self.sublinear_tf = v;
        self
    }
    /// Add one to document frequencies, as if a document held every term once (default true).
    pub fn smooth_idf(mut self, v: bool) -> Self {
        self.smooth_idf = v;
        self
    }
    /// Weight by inverse document frequency (default true).
    pub fn use_idf(mut self, v: bool) -> Self {
        self.use_idf = v;
        self
    }
    /// Row normalization (default L2).
    pub fn norm(mut self, v: Norm) -> Self {
        self.norm = v;
        self
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<()> {
        let (lo, hi) = self.ngram_range;
        if lo == 0 || lo > hi {
            return Err(Error::param(
                "ngram_range",
                "(min, max) with 1 <= min <= max",
                format!("({lo}, {hi})"),
            ));
        }
        self.min_df.validate("min_df")?;
        self.max_df.validate("max_df")?;
        if self.max_features == Some(0) {
            return Err(Error::param(
                "max_features",
                ">= 1 (or None for no limit)",
                0,
            ));
        }
        Ok(())
    }

    /// Learns the vocabulary and idf of `docs`.
    pub fn fit<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<TfidfModel> {
        Ok(self.fit_transform(docs)?.0)
    }

    /// Learns the vocabulary and idf of `docs` and returns their weights (one row per document).
    pub fn fit_transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<(TfidfModel, Csr)> {
        self.validate()?;
        let n_docs = docs.len();
        let texts: Vec<Cow<'_, str>> = docs
            .par_iter()
            .map(|d| normalize(d.as_ref(), self))
            .collect();
        let counts: Vec<Vec<(Cow<'_, str>, u32)>> =
            texts.par_iter().map(|t| count_terms(t, self)).collect();

        // document and corpus frequencies of every term
        let stats: FxHashMap<&str, (u32, u64)> = counts
            .par_iter()
            .fold(
                FxHashMap::default,
                |mut m: FxHashMap<&str, (u32, u64)>, doc| {
                    for (term, c) in doc {
                        let e = m.entry(term.as_ref()).or_default();
                        e.0 += 1;
                        e.1 += u64::from(*c);
                    }
                    m
                },
            )
            .reduce(FxHashMap::default, |mut a, b| {
                let (mut big, small) = if a.len() >= b.len() {
                    (a, b)
                } else {
                    (b, std::mem::take(&mut a))
                };
                for (term, (df, tf)) in small {
                    let e = big.entry(term).or_default();
                    e.0 += df;
                    e.1 += tf;
                }
                big
            });
        if stats.is_empty() {
            return Err(Error::EmptyVocabulary(
                "the documents hold no tokens, or only stop words",
            ));
        }
        let max_docs = self.max_df.documents(n_docs);
        let min_docs = self.min_df.documents(n_docs);
        if max_docs < min_docs {
            return Err(Error::param(
                "max_df",
                "at least as many documents as min_df",
                max_docs,
            ));
        }
        let mut kept: Vec<(&str, u32, u64)> = stats
            .into_iter()
            .filter(|(_, (df, _))| f64::from(*df) <= max_docs && f64::from(*df) >= min_docs)
            .map(|(t, (df, tf))| (t, df, tf))
            .collect();
        kept.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
        if let Some(limit) = self.max_features
            && kept.len() > limit
        {
            // most frequent first; a stable sort keeps alphabetical order among ties
            let mut by_freq: Vec<usize> = (0..kept.len()).collect();
            by_freq.sort_by(|&a, &b| kept[b].2.cmp(&kept[a].2));
            let mut keep = vec![false; kept.len()];
            for &i in &by_freq[..limit] {
                keep[i] = true;
            }
            let mut k = keep.iter();
            kept.retain(|_| *k.next().expect("one flag per term"));
        }
        if kept.is_empty() {
            return Err(Error::EmptyVocabulary(
                "after pruning, no terms remain: try a lower min_df or a higher max_df",
            ));
        }
        let idf: Vec<f64> = kept
            .iter()
            .map(|&(_, df, _)| {
                if !self.use_idf {
                    1.0
                } else if self.smooth_idf {
                    ((1.0 + n_docs as f64) / (1.0 + f64::from(df))).ln() + 1.0
                } else {
                    (n_docs as f64 / f64::from(df)).ln() + 1.0
                }
            })
            .collect();
        let index: FxHashMap<&str, u32> = kept
            .iter()
            .enumerate()
            .map(|(i, t)| (t.0, i as u32))
            .collect();
        let rows: Vec<(Vec<u32>, Vec<f32>)> = counts
            .par_iter()
            .map(|doc| weigh(doc, |t| index.get(t).copied(), &idf, self))
            .collect();
        let matrix = assemble(rows, kept.len());
        let model = TfidfModel::new(
            self.clone(),
            kept.iter().map(|t| t.0.to_owned()).collect(),
            idf,
        );
        Ok((model, matrix))
    }
}

/// Term counts of one normalized document, in first-seen order.
fn count_terms<'a>(text: &'a str, params: &TfidfParams) -> Vec<(Cow<'a, str>, u32)> {
    let mut at: FxHashMap<Cow<'a, str>, usize> = FxHashMap::default();
    let mut out: Vec<(Cow<'a, str>, u32)> = Vec::new();
    for_each_term(text, params, |term| match at.get(&term) {
        Some(&i) => out[i].1 += 1,
        None => {
            at.insert(term.clone(), out.len());
            out.push((term, 1));
        }
    });
    out
}

/// One document's sorted, normalized tf-idf row.
fn weigh<K: AsRef<str>>(
    doc: &[(K, u32)],
    lookup: impl Fn(&str) -> Option<u32>,
    idf: &[f64],
    params: &TfidfParams,
) -> (Vec<u32>, Vec<f32>) {
    let mut entries: Vec<(u32, f64)> = doc
        .iter()
        .filter_map(|(term, count)| {
            lookup(term.as_ref()).map(|i| {
                let tf = if params.sublinear_tf {
                    1.0 + f64::from(*count).ln()
                } else {
                    f64::from(*count)
                };
                (i, tf * idf[i as usize])
            })
        })
        .collect();
    entries.sort_unstable_by_key(|e| e.0);
    let norm = match params.norm {
        Norm::L2 => entries.iter().map(|e| e.1 * e.1).sum::<f64>().sqrt(),
        Norm::L1 => entries.iter().map(|e| e.1.abs()).sum::<f64>(),
        Norm::None => 1.0,
    };
    let scale = if norm > 0.0 { 1.0 / norm } else { 1.0 };
    entries
        .into_iter()
        .map(|(i, w)| (i, (w * scale) as f32))
        .unzip()
}

fn assemble(rows: Vec<(Vec<u32>, Vec<f32>)>, n_terms: usize) -> Csr {
    let mut indptr = Vec::with_capacity(rows.len() + 1);
    indptr.push(0);
    let nnz: usize = rows.iter().map(|r| r.0.len()).sum();
    let (mut indices, mut values) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz));
    let n_rows = rows.len();
    for (i, v) in rows {
        indices.extend(i);
        values.extend(v);
        indptr.push(indices.len());
    }
    Csr::from_raw(n_rows, n_terms, indptr, indices, values)
        .expect("rows are sorted and within the vocabulary")
}

/// A fitted TF-IDF vocabulary: turns any text (documents, search queries) into weight vectors.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(from = "StoredTfidf", into = "StoredTfidf")]
pub struct TfidfModel {
    params: TfidfParams,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    index: FxHashMap<String, u32>,
}

#[derive(Serialize, Deserialize)]
struct StoredTfidf {
    params: TfidfParams,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
}

impl From<StoredTfidf> for TfidfModel {
    fn from(s: StoredTfidf) -> Self {
        TfidfModel::new(s.params, s.vocabulary, s.idf)
    }
}

impl From<TfidfModel> for StoredTfidf {
    fn from(m: TfidfModel) -> Self {
        StoredTfidf {
            params: m.params,
            vocabulary: m.vocabulary,
            idf: m.idf,
        }
    }
}

impl TfidfModel {
    fn new(params: TfidfParams, vocabulary: Vec<String>, idf: Vec<f64>) -> Self {
        let index = vocabulary
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        TfidfModel {
            params,
            vocabulary,
            idf,
            index,
        }
    }

    /// The terms, in column order (sorted).
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// The column of `term`, if it is in the vocabulary.
    pub fn term_index(&self, term: &str) -> Option<u32> {
        self.index.get(term).copied()
    }

    /// Inverse document frequency of every term, in column order.
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// The settings it was fitted with.
    pub fn params(&self) -> &TfidfParams {
        &self.params
    }

    /// Weights of `docs` (one row each) over the fitted vocabulary; unseen terms are ignored
    /// and a document with none of the known terms is an all-zero row.
    pub fn transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Csr {
        let rows = docs
            .par_iter()
            .map(|d| {
                let text = normalize(d.as_ref(), &self.params);
                let lookup = |t: &str| self.index.get(t).copied();
                weigh(
                    &count_terms(&text, &self.params),
                    lookup,
                    &self.idf,
                    &self.params,
                )
            })
            .collect();
        assemble(rows, self.vocabulary.len())
    }
}

impl Persist for TfidfModel {
    const KIND: &'static str = "tfidf";
    const VERSION: u32 = 1;

    fn check_loaded(&self) -> Result<()> {
        self.params.validate()?;
        let sorted = self.vocabulary.windows(2).all(|w| w[0] < w[1]);
        if self.idf.len() != self.vocabulary.len()
            || !sorted
            || self.idf.iter().any(|v| !v.is_finite())
        {
            return Err(Error::CorruptModel(
                "tf-idf vocabulary and idf disagree".into(),
            ));
        }
        Ok(())
    }
}
