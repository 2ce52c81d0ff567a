//! The fitted state of a class whose model comes from a fit or a file, and the model-file
//! helpers every class shares (as Node's `fitted.rs`): one holder instead of an `Option` and
//! its checks in every class.

use pyo3::types::PyBytes;
use pyo3::{Bound, Python};
use recsys_core::Persist;

use crate::error::{IntoPy, PyResult, to_py};

/// A model that is there once a fit or a load put it there.
pub struct Fitted<M> {
    model: Option<M>,
    /// The estimator's name in `NotFittedError`s.
    name: &'static str,
}

impl<M: Persist> Fitted<M> {
    /// Not fitted yet.
    pub fn empty(name: &'static str) -> Self {
        Fitted { model: None, name }
    }

    /// Holding `model`.
    pub fn of(name: &'static str, model: M) -> Self {
        Fitted {
            model: Some(model),
            name,
        }
    }

    /// Holding `model` from now on (a fit's result).
    pub fn set(&mut self, model: M) {
        self.model = Some(model);
    }

    /// The fitted model, or `NotFittedError` naming the estimator.
    pub fn get(&self) -> PyResult<&M> {
        self.model
            .as_ref()
            .ok_or_else(|| to_py(recsys_core::Error::NotFitted(self.name)))
    }

    pub fn is_fitted(&self) -> bool {
        self.model.is_some()
    }

    /// The model in the core's file format.
    pub fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.get()?.to_bytes().py_err()?))
    }

    /// A model of this kind from the core's file format.
    pub fn decode(name: &'static str, data: &[u8]) -> PyResult<Self> {
        Ok(Fitted::of(name, M::from_bytes(data).py_err()?))
    }
}
