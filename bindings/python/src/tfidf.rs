//! `recsys._native.Tfidf`: the core's scikit-learn compatible TF-IDF.

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use recsys_core::content::{DocumentFrequency, Norm, StopWords, TfidfModel, TfidfParams};

use crate::error::IntoPy;
use crate::fitted::Fitted;
use crate::interactions::{CsrArrays, CsrOut, Lists, csr_out_raw, flatten};
use crate::task;

/// A document-frequency bound as scikit-learn takes it: an int is a count, a float a fraction.
#[derive(FromPyObject)]
pub enum Df {
    Count(usize),
    Fraction(f64),
}

impl From<Df> for DocumentFrequency {
    fn from(df: Df) -> Self {
        match df {
            Df::Count(c) => DocumentFrequency::Count(c),
            Df::Fraction(f) => DocumentFrequency::Fraction(f),
        }
    }
}

/// `stop_words` as scikit-learn takes it: "english" or a list of words.
#[derive(FromPyObject)]
pub enum StopWordsArg {
    Named(String),
    List(Vec<String>),
}

#[pyclass(module = "recsys._native", name = "Tfidf")]
pub struct Tfidf {
    params: TfidfParams,
    model: Fitted<TfidfModel>,
}

/// `TfidfVectorizer`'s keyword arguments for `params`, in scikit-learn's spelling (what
/// `Tfidf(...)` takes back).
pub(crate) fn tfidf_options<'py>(
    py: Python<'py>,
    params: &TfidfParams,
) -> PyResult<Bound<'py, PyDict>> {
    let df = |d: &DocumentFrequency| -> PyResult<Bound<'py, PyAny>> {
        Ok(match *d {
            DocumentFrequency::Count(c) => c.into_pyobject(py)?.into_any(),
            DocumentFrequency::Fraction(f) => f.into_pyobject(py)?.into_any(),
        })
    };
    let o = PyDict::new(py);
    o.set_item("lowercase", params.lowercase)?;
    match &params.stop_words {
        StopWords::None => o.set_item("stop_words", py.None())?,
        StopWords::English => o.set_item("stop_words", "english")?,
        StopWords::Custom(words) => o.set_item("stop_words", words.clone())?,
    }
    o.set_item("ngram_range", params.ngram_range)?;
    o.set_item("min_df", df(&params.min_df)?)?;
    o.set_item("max_df", df(&params.max_df)?)?;
    o.set_item("max_features", params.max_features)?;
    // scikit-learn spells "no scaling" None
    match params.norm {
        Norm::None => o.set_item("norm", py.None())?,
        norm => o.set_item("norm", norm.name())?,
    }
    o.set_item("use_idf", params.use_idf)?;
    o.set_item("smooth_idf", params.smooth_idf)?;
    o.set_item("sublinear_tf", params.sublinear_tf)?;
    Ok(o)
}

impl Tfidf {
    pub(crate) fn params(&self) -> &TfidfParams {
        &self.params
    }

    fn fitted(&self) -> PyResult<&TfidfModel> {
        self.model.get()
    }
}

#[pymethods]
impl Tfidf {
    #[new]
    #[pyo3(signature = (lowercase, stop_words, ngram_range, min_df, max_df, max_features, norm, use_idf, smooth_idf, sublinear_tf))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        lowercase: bool,
        stop_words: Option<StopWordsArg>,
        ngram_range: (usize, usize),
        min_df: Df,
        max_df: Df,
        max_features: Option<usize>,
        norm: Option<String>,
        use_idf: bool,
        smooth_idf: bool,
        sublinear_tf: bool,
    ) -> PyResult<Self> {
        let stop_words = match stop_words {
            None => StopWords::None,
            Some(StopWordsArg::Named(name)) => name.parse().py_err()?,
            Some(StopWordsArg::List(list)) => StopWords::Custom(list),
        };
        // scikit-learn spells "no scaling" None
        let norm = match norm.as_deref() {
            None => Norm::None,
            Some(name) => name.parse().py_err()?,
        };
        let params = TfidfParams::new()
            .lowercase(lowercase)
            .stop_words(stop_words)
            .ngram_range(ngram_range.0, ngram_range.1)
            .min_df(min_df.into())
            .max_df(max_df.into())
            .max_features(max_features)
            .norm(norm)
            .use_idf(use_idf)
            .smooth_idf(smooth_idf)
            .sublinear_tf(sublinear_tf);
        params.validate().py_err()?;
        Ok(Tfidf {
            params,
            model: Fitted::empty("TfidfVectorizer"),
        })
    }

    fn fit(&mut self, py: Python<'_>, docs: Vec<String>) -> PyResult<()> {
        let (params, pool) = (&self.params, task::pool()?);
        self.model
            .set(py.detach(|| pool.install(|| params.fit(&docs))).py_err()?);
        Ok(())
    }

    fn fit_transform<'py>(&mut self, py: Python<'py>, docs: Vec<String>) -> PyResult<CsrOut<'py>> {
        let (params, pool) = (&self.params, task::pool()?);
        let (model, matrix) = py
            .detach(|| pool.install(|| params.fit_transform(&docs)))
            .py_err()?;
        self.model.set(model);
        Ok(csr_out_raw(py, &matrix))
    }

    fn transform<'py>(&self, py: Python<'py>, docs: Vec<String>) -> PyResult<CsrOut<'py>> {
        let (model, pool) = (self.fitted()?, task::pool()?);
        let matrix = py.detach(|| pool.install(|| model.transform(&docs)));
        Ok(csr_out_raw(py, &matrix))
    }

    /// Terms in column order.
    #[getter]
    fn vocabulary(&self) -> PyResult<Vec<String>> {
        Ok(self.fitted()?.vocabulary().to_vec())
    }

    #[getter]
    fn idf<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(PyArray1::from_slice(py, self.fitted()?.idf()))
    }

    #[getter]
    fn is_fitted(&self) -> bool {
        self.model.is_fitted()
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.model.to_bytes(py)
    }

    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Tfidf> {
        let model = Fitted::<TfidfModel>::decode("TfidfVectorizer", data)?;
        Ok(Tfidf {
            params: model.get()?.params().clone(),
            model,
        })
    }
}

/// Every row's `k` nearest rows of a sparse matrix by cosine similarity (itself included), best
/// first, computed block-wise in parallel without the rows x rows product. Weights must be
/// finite and >= 0 (TF-IDF, counts).
#[pyfunction]
pub fn cosine_neighbours<'py>(
    py: Python<'py>,
    matrix: CsrArrays<'_>,
    k: usize,
) -> PyResult<Lists<'py>> {
    let rows = matrix.interactions()?;
    let pool = task::pool()?;
    let lists = py.detach(|| pool.install(|| recsys_core::content::top_k_cosine(rows.csr(), k)));
    let lists = lists
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|(i, score)| recsys_core::Scored {
                    id: recsys_core::Id::Int(i64::from(i)),
                    score,
                })
                .collect()
        })
        .collect();
    flatten(py, lists)
}
