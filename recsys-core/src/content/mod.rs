//! Content-based recommendation: TF-IDF text vectors (scikit-learn compatible), cosine
//! similarity between items, text search, and user profiles built from the items they chose.
//!
//! - [`TfidfParams`] / [`TfidfModel`]: the vectorizer.
//! - [`Catalog`] / [`ContentRecommender`]: items with weighted text fields; similar items,
//!   search, user profiles; implements [`Recommender`](crate::Recommender).
//! - [`top_k_cosine`]: every row's nearest rows of a sparse matrix, block-wise in parallel.
//! - `tokenize`: the tokenizer and n-grams; `stop_words`: scikit-learn's English list.

mod recommender;
mod similarity;
mod stop_words;
mod tfidf;
mod tokenize;

pub use recommender::{COMPLETIONS, Catalog, ContentParams, ContentRecommender};
pub use similarity::top_k_cosine;
pub use tfidf::{DocumentFrequency, Norm, StopWords, TfidfModel, TfidfParams};
