//! The one place where core errors become Python exceptions. Every `recsys_core::Error` variant
//! has its mapping; the message is the core's, which names the problem.

use pyo3::exceptions::{PyIndexError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::{PyErr, import_exception};

// `recsys.NotFittedError` is defined in Python (`recsys/_errors.py`): when scikit-learn is
// installed it subclasses scikit-learn's `NotFittedError`, which a compiled class cannot do
// without importing scikit-learn here. The native module raises that one class.
import_exception!(recsys._errors, NotFittedError);

/// Translates a core error into the exception a user of the mirrored library expects.
pub fn to_py(error: recsys_core::Error) -> PyErr {
    use recsys_core::Error as E;
    let message = error.to_string();
    match error {
        E::InvalidParam { .. }
        | E::InvalidInput { .. }
        | E::Shape(_)
        | E::EmptyVocabulary(_)
        | E::NotPositiveDefinite(_)
        | E::CorruptModel(_)
        | E::UnsupportedVersion { .. }
        | E::WrongModelKind { .. }
        | E::LightGbmModel { .. } => PyValueError::new_err(message),
        // implicit raises IndexError for a row or column outside the model
        E::UnknownUser(_) | E::UnknownItem(_) => PyIndexError::new_err(message),
        E::NotFitted(_) => NotFittedError::new_err(message),
        E::Io { source, .. } => PyOSError::new_err((source.raw_os_error().unwrap_or(0), message)),
        // `Error` is non-exhaustive: a variant added later still arrives with its message
        _ => PyRuntimeError::new_err(message),
    }
}

/// An argument only the binding can see to be malformed (an array's memory layout, a negative
/// offset, an id of the wrong type, JSON that does not parse, an environment setting): a
/// `ValueError` naming it, as the core's `InvalidInput` is.
pub fn bad_argument(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

/// Shapes that disagree, as the core's `Shape` error says it.
pub fn shape(message: impl std::fmt::Display) -> PyErr {
    to_py(recsys_core::Error::Shape(message.to_string()))
}

/// A method the model's kind does not have (text search on an ALS model): a `TypeError`, as
/// calling a method an object lacks is in Python.
pub fn wrong_kind(kind: &str, cannot: &str, needs: &str) -> PyErr {
    pyo3::exceptions::PyTypeError::new_err(format!("a '{kind}' model {cannot}; this needs {needs}"))
}

/// The fitted model in `model`, or `NotFittedError` naming the estimator.
pub fn fitted<'a, M>(model: &'a Option<M>, estimator: &'static str) -> PyResult<&'a M> {
    model
        .as_ref()
        .ok_or_else(|| to_py(recsys_core::Error::NotFitted(estimator)))
}

/// `Result` of a binding call.
pub type PyResult<T> = Result<T, PyErr>;

/// Converts a core result.
pub trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for recsys_core::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}
