//! The one place where core errors become Python exceptions. Every `recsys_core::Error` variant
//! has its mapping; the message is the core's, which names the problem.

use pyo3::exceptions::{
    PyIndexError, PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError,
};
use pyo3::{PyErr, Python, import_exception, pyfunction};

// `recsys.NotFittedError` is defined in Python (`recsys/_errors.py`): when scikit-learn is
// installed it subclasses scikit-learn's `NotFittedError`, which a compiled class cannot do
// without importing scikit-learn here. The native module raises that one class.
import_exception!(recsys._errors, NotFittedError);

/// Translates a core error into the exception the error table in `docs/architecture.md`
/// gives its kind (what a user of the mirrored library expects), with the core error's causes
/// chained as `__cause__`.
pub fn to_py(error: recsys_core::Error) -> PyErr {
    use recsys_core::ErrorKind as K;
    let message = error.to_string();
    let raised = match error.kind() {
        K::InvalidArgument | K::CorruptModel => PyValueError::new_err(message),
        // implicit raises IndexError for a row or column outside the model
        K::UnknownId => PyIndexError::new_err(message),
        K::NotFitted => NotFittedError::new_err(message),
        // what Python raises for a computation its user stopped
        K::Cancelled => PyKeyboardInterrupt::new_err(message),
        K::Io => match &error {
            recsys_core::Error::Io { source, .. } => {
                PyOSError::new_err((source.raw_os_error().unwrap_or(0), message))
            }
            _ => PyOSError::new_err(message),
        },
    };
    if let Some(cause) = std::error::Error::source(&error) {
        Python::attach(|py| raised.set_cause(py, Some(cause_of(cause))));
    }
    raised
}

/// One link of a cause chain as an exception (an OS error as `OSError` with its errno), with
/// the rest of the chain as its own `__cause__`.
fn cause_of(error: &(dyn std::error::Error + 'static)) -> PyErr {
    let exception = match error.downcast_ref::<std::io::Error>() {
        Some(io) => PyOSError::new_err((io.raw_os_error().unwrap_or(0), io.to_string())),
        None => PyRuntimeError::new_err(error.to_string()),
    };
    if let Some(next) = error.source() {
        Python::attach(|py| exception.set_cause(py, Some(cause_of(next))));
    }
    exception
}

/// `(variant, exception)` for one core error of every variant (`recsys_core::Error::examples`),
/// for the test that checks the error table.
#[pyfunction]
pub fn _error_examples() -> Vec<(&'static str, PyErr)> {
    recsys_core::Error::examples()
        .into_iter()
        .map(|e| (e.variant(), to_py(e)))
        .collect()
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
