//! Arrays in, core types out: the CSR matrices the Python layer hands over (scipy's layout) and
//! id arrays. Only conversions live here; the core checks values and shapes.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use recsys_core::{Id, IdMap, Interactions};

use crate::error::{IntoPy, bad_argument};

/// A `scipy.sparse.csr_matrix` as its arrays: `indptr` int64, `indices` int32, `data` float32.
#[derive(FromPyObject)]
pub struct CsrArrays<'py> {
    pub shape: (usize, usize),
    pub indptr: PyReadonlyArray1<'py, i64>,
    pub indices: PyReadonlyArray1<'py, i32>,
    pub data: PyReadonlyArray1<'py, f32>,
}

impl CsrArrays<'_> {
    fn parts(&self) -> PyResult<(Vec<usize>, Vec<u32>, Vec<f32>)> {
        let indptr = self
            .indptr
            .as_slice()?
            .iter()
            .map(|&p| usize::try_from(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad_argument("indptr holds a negative offset"))?;
        let indices = self
            .indices
            .as_slice()?
            .iter()
            .map(|&i| u32::try_from(i))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad_argument("indices holds a negative column index"))?;
        Ok((indptr, indices, self.data.as_slice()?.to_vec()))
    }

    /// Rows are users `0..n_rows`, columns items `0..n_cols`.
    pub fn interactions(&self) -> PyResult<Interactions> {
        let (indptr, indices, data) = self.parts()?;
        Interactions::from_csr_arrays(self.shape.0, self.shape.1, indptr, indices, data).py_err()
    }

    /// Row `r` belongs to user `users[r]`; columns are items `0..n_cols`.
    pub fn interactions_of(&self, users: &[i64]) -> PyResult<Interactions> {
        if users.len() != self.shape.0 {
            return Err(bad_argument(format!(
                "user_items has {} rows for {} user ids: pass one row per user id",
                self.shape.0,
                users.len()
            )));
        }
        let mut map = IdMap::new();
        for &u in users {
            map.insert(Id::Int(u));
        }
        if map.len() != users.len() {
            return Err(bad_argument("user ids must be unique"));
        }
        let (indptr, indices, data) = self.parts()?;
        Interactions::from_csr_arrays_with_users(map, self.shape.1, indptr, indices, data).py_err()
    }
}

/// Integer ids as core ids.
pub fn ids(values: &[i64]) -> Vec<Id> {
    values.iter().map(|&v| Id::Int(v)).collect()
}

/// A core id that must be an integer (every model built from arrays has integer ids).
pub fn int_id(id: &Id) -> PyResult<i64> {
    match id {
        Id::Int(v) => Ok(*v),
        Id::Str(s) => Err(bad_argument(format!(
            "id '{s}' is a string; this model was built from arrays"
        ))),
    }
}

/// Ranked lists flattened for numpy: ids, scores, and the offset where each list starts.
pub type Lists<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f32>>,
    Bound<'py, PyArray1<i64>>,
);

pub fn flatten<'py>(py: Python<'py>, lists: Vec<Vec<recsys_core::Scored>>) -> PyResult<Lists<'py>> {
    let mut ids = Vec::new();
    let mut scores = Vec::new();
    let mut offsets = Vec::with_capacity(lists.len() + 1);
    offsets.push(0i64);
    for list in lists {
        for s in list {
            ids.push(int_id(&s.id)?);
            scores.push(s.score);
        }
        offsets.push(ids.len() as i64);
    }
    Ok((
        PyArray1::from_vec(py, ids),
        PyArray1::from_vec(py, scores),
        PyArray1::from_vec(py, offsets),
    ))
}

/// A users x items matrix as CSR arrays for `scipy.sparse.csr_matrix((data, indices, indptr), shape)`.
pub type CsrOut<'py> = (
    (usize, usize),
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray1<f32>>,
);

pub fn csr_out<'py>(py: Python<'py>, data: &Interactions) -> CsrOut<'py> {
    csr_out_raw(py, data.csr())
}

pub fn csr_out_raw<'py>(py: Python<'py>, m: &recsys_core::Csr) -> CsrOut<'py> {
    (
        (m.nrows(), m.ncols()),
        PyArray1::from_vec(py, m.indptr().iter().map(|&p| p as i64).collect()),
        PyArray1::from_vec(py, m.indices().iter().map(|&i| i as i32).collect()),
        PyArray1::from_slice(py, m.values()),
    )
}
