//! The settings of a TF-IDF vectorizer, scikit-learn's names and defaults.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A document-frequency bound: an absolute count of documents or a fraction of them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum DocumentFrequency {
    /// At least / at most this many documents.
    Count(usize),
    /// At least / at most this fraction of the documents (0 ..= 1).
    Fraction(f64),
}

impl DocumentFrequency {
    pub(super) fn documents(&self, n_docs: usize) -> f64 {
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

/// A named list: `"english"` (scikit-learn's) or `"none"`. A list of your own is
/// [`StopWords::Custom`].
impl std::str::FromStr for StopWords {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "english" => Ok(StopWords::English),
            "none" => Ok(StopWords::None),
            other => Err(Error::param(
                "stop_words",
                "'english', a list of words or None",
                format!("'{other}'"),
            )),
        }
    }
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

impl Norm {
    /// scikit-learn's name, as [`FromStr`](std::str::FromStr) reads it.
    pub fn name(&self) -> &'static str {
        match self {
            Norm::L2 => "l2",
            Norm::L1 => "l1",
            Norm::None => "none",
        }
    }
}

/// scikit-learn's names: `"l2"`, `"l1"`, or `"none"` for no scaling.
impl std::str::FromStr for Norm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "l2" => Ok(Norm::L2),
            "l1" => Ok(Norm::L1),
            "none" => Ok(Norm::None),
            other => Err(Error::param("norm", "'l2', 'l1' or 'none'", other)),
        }
    }
}

/// Settings of [`TfidfModel`](super::TfidfModel); defaults are scikit-learn's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TfidfParams {
    /// Lower-case text before tokenizing.
    pub lowercase: bool,
    /// Tokens to leave out.
    pub stop_words: StopWords,
    /// Smallest and largest n-gram length, in tokens.
    pub ngram_range: (usize, usize),
    /// Terms in fewer documents are left out.
    pub min_df: DocumentFrequency,
    /// Terms in more documents are left out.
    pub max_df: DocumentFrequency,
    /// Keep only the most frequent terms, at most this many.
    pub max_features: Option<usize>,
    /// Term frequency `1 + ln(tf)` instead of `tf`.
    pub sublinear_tf: bool,
    /// Add one to document frequencies, as if one document held every term.
    pub smooth_idf: bool,
    /// Weigh terms by inverse document frequency.
    pub use_idf: bool,
    /// Row normalization.
    pub norm: Norm,
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
}
