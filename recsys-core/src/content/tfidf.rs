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

use super::tokenize::{for_each_term, is_word_char, normalize};
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
        let shard_ids: Vec<Vec<u8>> = counts
            .par_iter()
            .map(|doc| doc.iter().map(|(t, _)| shard_of(t)).collect())
            .collect();

        // Document and corpus frequencies, counted in shards by term hash: each shard owns its
        // terms outright (no maps to merge) and records, for every occurrence it owns, the
        // term's slot, so that the documents can be weighed later without looking terms up.
        let shards: Vec<Shard<'_>> = partition(&counts, &shard_ids)
            .into_par_iter()
            .map(|parts| Shard::count(&parts))
            .collect();
        let distinct: usize = shards.iter().map(|sh| sh.terms.len()).sum();
        if distinct == 0 {
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
        // (term, df, tf, shard, slot)
        let mut kept: Vec<(&str, u32, u64, usize, u32)> = shards
            .iter()
            .enumerate()
            .flat_map(|(s, sh)| {
                sh.terms
                    .iter()
                    .enumerate()
                    .map(move |(slot, t)| (t.0, t.1, t.2, s, slot as u32))
            })
            .filter(|t| f64::from(t.1) <= max_docs && f64::from(t.1) >= min_docs)
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
            .map(|t| {
                let df = f64::from(t.1);
                if !self.use_idf {
                    1.0
                } else if self.smooth_idf {
                    ((1.0 + n_docs as f64) / (1.0 + df)).ln() + 1.0
                } else {
                    (n_docs as f64 / df).ln() + 1.0
                }
            })
            .collect();
        // column of every shard slot (u32::MAX: pruned)
        let mut column: Vec<Vec<u32>> = shards
            .iter()
            .map(|sh| vec![u32::MAX; sh.terms.len()])
            .collect();
        for (col, t) in kept.iter().enumerate() {
            column[t.3][t.4 as usize] = col as u32;
        }
        // where each document's occurrences start in every shard's slot list
        let mut starts: Vec<[usize; SHARDS]> = vec![[0; SHARDS]; n_docs];
        let mut next = [0usize; SHARDS];
        for (doc, start) in shard_ids.iter().zip(starts.iter_mut()) {
            *start = next;
            for &s in doc {
                next[s as usize] += 1;
            }
        }
        let rows: Vec<(Vec<u32>, Vec<f32>)> = counts
            .par_iter()
            .zip(shard_ids.par_iter())
            .zip(starts.par_iter())
            .map(|((doc, ids), start)| {
                let mut at = *start;
                let cols: Vec<u32> = ids
                    .iter()
                    .map(|&s| {
                        let s = s as usize;
                        let slot = shards[s].slots[at[s]];
                        at[s] += 1;
                        column[s][slot as usize]
                    })
                    .collect();
                let mut k = 0;
                weigh(
                    doc,
                    |_| {
                        k += 1;
                        Some(cols[k - 1]).filter(|&c| c != u32::MAX)
                    },
                    &idf,
                    self,
                )
            })
            .collect();
        let kept: Vec<(&str, u32, u64)> = kept.into_iter().map(|t| (t.0, t.1, t.2)).collect();
        let matrix = assemble(rows, kept.len());
        let model = TfidfModel::new(
            self.clone(),
            kept.iter().map(|t| t.0.to_owned()).collect(),
            idf,
        );
        Ok((model, matrix))
    }
}

/// Term counts of one normalized document, sorted by term.
fn count_terms<'a>(text: &'a str, params: &TfidfParams) -> Vec<(Cow<'a, str>, u32)> {
    let mut terms: Vec<Cow<'a, str>> = Vec::new();
    for_each_term(text, params, |term| terms.push(term));
    terms.sort_unstable();
    let mut out: Vec<(Cow<'a, str>, u32)> = Vec::with_capacity(terms.len());
    for term in terms {
        match out.last_mut() {
            Some((last, c)) if *last == term => *c += 1,
            _ => out.push((term, 1)),
        }
    }
    out
}

/// Shards of the vocabulary count (a power of two).
const SHARDS: usize = 16;

fn shard_of(term: &str) -> u8 {
    use std::hash::BuildHasher;
    // the top bits of a multiplicative mix spread any hash evenly
    let h = rustc_hash::FxBuildHasher.hash_one(term);
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SHARDS.trailing_zeros())) as u8
}

/// The terms whose hash falls in one shard: their frequencies, and the slot of each of their
/// occurrences in corpus order.
struct Shard<'a> {
    /// (term, document frequency, corpus frequency)
    terms: Vec<(&'a str, u32, u64)>,
    slots: Vec<u32>,
}

/// Documents per block of [`partition`].
const DOC_BLOCK: usize = 2048;

/// Every occurrence `(term, count)` grouped by shard, in corpus order within a shard: one
/// parallel pass over blocks of documents, so each shard later reads only its own terms.
fn partition<'a>(
    docs: &'a [Vec<(Cow<'a, str>, u32)>],
    shard_ids: &[Vec<u8>],
) -> Vec<Vec<Vec<(&'a str, u32)>>> {
    let blocks: Vec<Vec<Vec<(&'a str, u32)>>> = docs
        .par_chunks(DOC_BLOCK)
        .zip(shard_ids.par_chunks(DOC_BLOCK))
        .map(|(docs, ids)| {
            let mut parts: Vec<Vec<(&'a str, u32)>> = vec![Vec::new(); SHARDS];
            for (doc, ids) in docs.iter().zip(ids) {
                for ((term, c), &s) in doc.iter().zip(ids) {
                    parts[s as usize].push((term.as_ref(), *c));
                }
            }
            parts
        })
        .collect();
    // regroup: shard -> its part of every block, in block order
    let mut by_shard: Vec<Vec<Vec<(&'a str, u32)>>> = (0..SHARDS)
        .map(|_| Vec::with_capacity(blocks.len()))
        .collect();
    for block in blocks {
        for (s, part) in block.into_iter().enumerate() {
            by_shard[s].push(part);
        }
    }
    by_shard
}

impl<'a> Shard<'a> {
    fn count(parts: &[Vec<(&'a str, u32)>]) -> Self {
        let mut index: FxHashMap<&'a str, u32> = FxHashMap::default();
        let (mut terms, mut slots) = (Vec::new(), Vec::new());
        for &(term, c) in parts.iter().flatten() {
            let slot = *index.entry(term).or_insert_with(|| {
                terms.push((term, 0u32, 0u64));
                (terms.len() - 1) as u32
            });
            let t = &mut terms[slot as usize];
            t.1 += 1;
            t.2 += u64::from(c);
            slots.push(slot);
        }
        Shard { terms, slots }
    }
}

/// One document's sorted, normalized tf-idf row.
fn weigh<K: AsRef<str>>(
    doc: &[(K, u32)],
    mut lookup: impl FnMut(&str) -> Option<u32>,
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

    /// `text` split for search as you type: the text before its last word (lowercased when
    /// the params lowercase), and the vocabulary's words that the last word begins, as (column,
    /// idf), the `max` found in the most documents when there are more. A text that ends in
    /// anything but a word character has no unfinished word: it is all head.
    pub fn completions(&self, text: &str, max: usize) -> (String, Vec<(u32, f64)>) {
        let text = normalize(text, &self.params);
        let start = text
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_word_char(c))
            .last()
            .map_or(text.len(), |(i, _)| i);
        let (head, partial) = text.split_at(start);
        if partial.is_empty() {
            return (text.into_owned(), Vec::new());
        }
        let from = self.vocabulary.partition_point(|t| t.as_str() < partial);
        let mut found: Vec<(u32, f64)> = self.vocabulary[from..]
            .iter()
            .take_while(|t| t.starts_with(partial))
            .enumerate()
            // unigrams only: an n-gram would repeat the words before it
            .filter(|(_, t)| !t.contains(' '))
            .map(|(i, _)| ((from + i) as u32, self.idf[from + i]))
            .collect();
        if found.len() > max {
            found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            found.truncate(max);
        }
        (head.to_string(), found)
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
