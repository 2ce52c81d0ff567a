//! The one error type of `recsys-core`. Every message names what was wrong and what was expected.

use crate::ids::Id;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `recsys-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is outside its allowed range ("factors must be >= 1, got 0").
    #[error("{param} must be {expected}, got {got}")]
    InvalidParam {
        /// The parameter's name as the builder spells it.
        param: &'static str,
        /// The allowed range, in words.
        expected: &'static str,
        /// The value that was passed, formatted.
        got: String,
    },
    /// An input value (one interaction, one row of a file) is unusable.
    #[error("invalid input at row {row}: {reason}")]
    InvalidInput {
        /// 1-based row of the input (line number for files, position for arrays).
        row: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Shapes or lengths that must agree do not.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A user id the model has never seen.
    #[error("user id '{0}' is unknown to this model")]
    UnknownUser(Id),
    /// An item id the model has never seen.
    #[error("item id '{0}' is unknown to this model")]
    UnknownItem(Id),
    /// Text gave no terms to build a vocabulary from.
    #[error("empty vocabulary: {0}")]
    EmptyVocabulary(&'static str),
    /// A binding's handle was used before its fit (a core model value is always fitted).
    #[error("this {0} model is not fitted yet: call fit first")]
    NotFitted(&'static str),
    /// The linear system of a user or item has no unique solution.
    #[error("the normal equations are not positive definite ({0}); increase regularization")]
    NotPositiveDefinite(String),
    /// A model file or buffer is not a readable model.
    #[error("corrupt model data: {0}")]
    CorruptModel(String),
    /// A LightGBM text model that is malformed or uses what recsys does not evaluate.
    #[error("LightGBM model, line {line}: {reason}")]
    LightGbmModel {
        /// 1-based line of the model text.
        line: usize,
        /// What is wrong with it or not supported.
        reason: String,
    },
    /// A model file written by a newer (or unknown) format version.
    #[error("unsupported {what} version {found} (this build reads up to {supported})")]
    UnsupportedVersion {
        /// Which version field: the container format or the model payload.
        what: &'static str,
        /// The version found in the data.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A model file holds another kind of model than the one asked for.
    #[error("this file holds a '{found}' model, not a '{expected}' model")]
    WrongModelKind {
        /// The kind the caller asked for.
        expected: &'static str,
        /// The kind stored in the file.
        found: String,
    },
    /// A fit stopped because its caller asked it to (see `FitControl`).
    #[error("training was cancelled")]
    Cancelled,
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn param(param: &'static str, expected: &'static str, got: impl ToString) -> Self {
        Error::InvalidParam {
            param,
            expected,
            got: got.to_string(),
        }
    }
}
