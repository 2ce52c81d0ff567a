//! `recsys._native`: the compiled half of the `recsys` Python package. Thin by design: it
//! converts arrays, forwards to `recsys-core`, releases the GIL around the work and maps errors
//! in `error.rs`. The Python layer (`python/recsys/`) gives it the mirrored libraries' names.

mod error;
mod eval;
mod fitted;
mod gbdt;
mod interactions;
mod kmeans;
mod recommender;
mod task;
mod tfidf;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<recommender::Recommender>()?;
    m.add_class::<tfidf::Tfidf>()?;
    m.add_class::<kmeans::KMeans>()?;
    m.add_class::<gbdt::Gbdt>()?;
    m.add_function(wrap_pyfunction!(tfidf::cosine_neighbours, m)?)?;
    m.add_function(wrap_pyfunction!(eval::train_test_split, m)?)?;
    m.add_function(wrap_pyfunction!(eval::leave_k_out_split, m)?)?;
    m.add_function(wrap_pyfunction!(eval::ranking_metrics_at_k, m)?)?;
    m.add_function(wrap_pyfunction!(error::_error_examples, m)?)?;
    Ok(())
}
