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
    /// Settings given as text (JSON) that do not describe a recommender: a field unknown at
    /// `path`, a value of the wrong type.
    #[error("invalid config at {path}: {reason}")]
    InvalidConfig {
        /// Where: `config`, `config.members[1].model`, ...
        path: String,
        /// What is wrong there.
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

/// What kind of failure an [`Error`] is, which is all a face (the server's HTTP answer, a
/// Python exception, a Node error code) needs to choose its own way of saying it. The one
/// table of what each face says for each kind is in `docs/architecture.md` ("Errors"); each
/// face's tests check it row by row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The caller's settings or data cannot be used (including settings the data cannot be
    /// solved with): ask again with other ones.
    InvalidArgument,
    /// A user or item id the model has never seen.
    UnknownId,
    /// A model used before it was fitted.
    NotFitted,
    /// Bytes or text that are not a model this build can read.
    CorruptModel,
    /// A fit stopped because its caller asked it to.
    Cancelled,
    /// The operating system refused a read or a write.
    Io,
}

impl ErrorKind {
    /// The kind's name in the error table (`invalid_argument`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::UnknownId => "unknown_id",
            ErrorKind::NotFitted => "not_fitted",
            ErrorKind::CorruptModel => "corrupt_model",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Io => "io",
        }
    }
}

impl Error {
    /// What kind of failure this is (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Error::InvalidParam { .. }
            | Error::InvalidConfig { .. }
            | Error::InvalidInput { .. }
            | Error::Shape(_)
            | Error::EmptyVocabulary(_)
            | Error::NotPositiveDefinite(_) => K::InvalidArgument,
            Error::UnknownUser(_) | Error::UnknownItem(_) => K::UnknownId,
            Error::NotFitted(_) => K::NotFitted,
            Error::CorruptModel(_)
            | Error::LightGbmModel { .. }
            | Error::UnsupportedVersion { .. }
            | Error::WrongModelKind { .. } => K::CorruptModel,
            Error::Cancelled => K::Cancelled,
            Error::Io { .. } => K::Io,
        }
    }

    /// The variant's name, as the error table in `docs/architecture.md` lists it.
    pub fn variant(&self) -> &'static str {
        match self {
            Error::InvalidParam { .. } => "InvalidParam",
            Error::InvalidConfig { .. } => "InvalidConfig",
            Error::InvalidInput { .. } => "InvalidInput",
            Error::Shape(_) => "Shape",
            Error::UnknownUser(_) => "UnknownUser",
            Error::UnknownItem(_) => "UnknownItem",
            Error::EmptyVocabulary(_) => "EmptyVocabulary",
            Error::NotFitted(_) => "NotFitted",
            Error::NotPositiveDefinite(_) => "NotPositiveDefinite",
            Error::CorruptModel(_) => "CorruptModel",
            Error::LightGbmModel { .. } => "LightGbmModel",
            Error::UnsupportedVersion { .. } => "UnsupportedVersion",
            Error::WrongModelKind { .. } => "WrongModelKind",
            Error::Cancelled => "Cancelled",
            Error::Io { .. } => "Io",
        }
    }

    /// One error of every variant, for the faces' tests of the error table (a variant added
    /// to [`Error`] must be added here: the core's test counts them by [`variant`](Self::variant)).
    #[doc(hidden)]
    pub fn examples() -> Vec<Error> {
        vec![
            Error::param("factors", ">= 1", 0),
            Error::InvalidConfig {
                path: "config.factorz".into(),
                reason: "unknown field `factorz`".into(),
            },
            Error::InvalidInput {
                row: 3,
                reason: "the user id is empty".into(),
            },
            Error::Shape("2 ids for 3 rows".into()),
            Error::UnknownUser(Id::from("u9")),
            Error::UnknownItem(Id::Int(9)),
            Error::EmptyVocabulary("every document is a stop word"),
            Error::NotFitted("als"),
            Error::NotPositiveDefinite("user 'u1'".into()),
            Error::CorruptModel("the checksum does not match".into()),
            Error::LightGbmModel {
                line: 7,
                reason: "no tree".into(),
            },
            Error::UnsupportedVersion {
                what: "format",
                found: 9,
                supported: 1,
            },
            Error::WrongModelKind {
                expected: "als",
                found: "gbdt".into(),
            },
            Error::Cancelled,
            Error::Io {
                path: "/nonexistent/model.bin".into(),
                source: std::io::Error::from_raw_os_error(2),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_hold_every_variant_once() {
        let source = include_str!("error.rs");
        let start = source.find("pub enum Error {").unwrap();
        let end = start + source[start..].find("\n}\n").unwrap();
        // thiserror needs an `#[error]` on every variant
        let declared = source[start..end].matches("#[error(").count();
        let mut names: Vec<_> = Error::examples().iter().map(Error::variant).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            declared,
            "Error::examples() misses a variant: {names:?}"
        );
        for e in Error::examples() {
            assert!(!e.kind().name().is_empty());
        }
    }
}
