//! A fitted TF-IDF vectorizer: its vocabulary and idf, transforming documents to weights.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::params::TfidfParams;
use super::vocabulary::{assemble, count_terms, weigh};
use crate::content::tokenize::{is_word_char, normalize};
use crate::error::{Error, Result};
use crate::interactions::Csr;
use crate::persist::Persist;

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
    pub(super) fn new(params: TfidfParams, vocabulary: Vec<String>, idf: Vec<f64>) -> Self {
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
        let rows = crate::parallel::map(docs, |d| {
            let text = normalize(d.as_ref(), &self.params);
            let lookup = |t: &str| self.index.get(t).copied();
            weigh(
                &count_terms(&text, &self.params),
                lookup,
                &self.idf,
                &self.params,
            )
        });
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
