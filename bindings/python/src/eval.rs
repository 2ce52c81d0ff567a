//! The native half of `recsys.evaluation`: the core's splits and ranking metrics.

use pyo3::prelude::*;
use recsys_core::eval;

use crate::error::IntoPy;
use crate::interactions::{CsrArrays, CsrOut, csr_out};
use crate::recommender::Recommender;
use crate::task;

#[pyfunction]
pub fn train_test_split<'py>(
    py: Python<'py>,
    ratings: CsrArrays<'_>,
    train_percentage: f64,
    seed: u64,
) -> PyResult<(CsrOut<'py>, CsrOut<'py>)> {
    let data = ratings.interactions()?;
    let (train, test) = py
        .detach(|| eval::train_test_split(&data, train_percentage, seed))
        .py_err()?;
    Ok((csr_out(py, &train), csr_out(py, &test)))
}

#[pyfunction]
pub fn leave_k_out_split<'py>(
    py: Python<'py>,
    ratings: CsrArrays<'_>,
    k: usize,
    train_only_size: f64,
    seed: u64,
) -> PyResult<(CsrOut<'py>, CsrOut<'py>)> {
    let data = ratings.interactions()?;
    let (train, test) = py
        .detach(|| eval::leave_k_out_split(&data, k, train_only_size, seed))
        .py_err()?;
    Ok((csr_out(py, &train), csr_out(py, &test)))
}

/// precision, map, ndcg, auc, coverage and the number of evaluated users, as a tuple.
#[pyfunction]
pub fn ranking_metrics_at_k(
    py: Python<'_>,
    model: PyRef<'_, Recommender>,
    train_user_items: CsrArrays<'_>,
    test_user_items: CsrArrays<'_>,
    k: usize,
) -> PyResult<(f64, f64, f64, f64, f64, usize)> {
    let train = train_user_items.interactions()?;
    let test = test_user_items.interactions()?;
    let pool = task::pool()?;
    let model = model.model()?;
    let metrics = py
        .detach(|| pool.install(|| eval::ranking_metrics_at_k(model, &train, &test, k)))
        .py_err()?;
    Ok((
        metrics.precision,
        metrics.map,
        metrics.ndcg,
        metrics.auc,
        metrics.coverage,
        metrics.users,
    ))
}
