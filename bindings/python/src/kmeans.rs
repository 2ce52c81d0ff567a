//! `recsys._native.KMeans`: the core's K-Means (greedy k-means++, Hamerly-accelerated Lloyd).

use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use recsys_core::kmeans::{Init, KMeans as CoreKMeans, KMeansParams};

use crate::error::{IntoPy, bad_argument, shape};
use crate::fitted::Fitted;
use crate::task;

#[pyclass(module = "recsys._native", name = "KMeans")]
pub struct KMeans {
    params: KMeansParams,
    model: Fitted<CoreKMeans>,
}

fn contiguous<'a>(x: &'a PyReadonlyArray2<'_, f32>) -> PyResult<(&'a [f32], usize)> {
    let n_features = x.shape()[1];
    let data = x
        .as_slice()
        .map_err(|_| bad_argument("X must be C-contiguous"))?;
    Ok((data, n_features))
}

impl KMeans {
    fn fitted(&self) -> PyResult<&CoreKMeans> {
        self.model.get()
    }
}

#[pymethods]
impl KMeans {
    #[new]
    fn new(
        n_clusters: usize,
        init: &str,
        n_init: usize,
        max_iter: usize,
        tol: f64,
        seed: u64,
    ) -> PyResult<Self> {
        let init: Init = init.parse().py_err()?;
        let params = KMeansParams::new(n_clusters)
            .init(init)
            .n_init(n_init)
            .max_iter(max_iter)
            .tol(tol)
            .seed(seed);
        params.validate().py_err()?;
        Ok(KMeans {
            params,
            model: Fitted::empty("KMeans"),
        })
    }

    #[pyo3(signature = (x, sample_weight=None))]
    fn fit(
        &mut self,
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f32>,
        sample_weight: Option<PyReadonlyArray1<'_, f32>>,
    ) -> PyResult<()> {
        let (data, n_features) = contiguous(&x)?;
        let weights = match &sample_weight {
            Some(w) => Some(
                w.as_slice()
                    .map_err(|_| bad_argument("sample_weight must be contiguous"))?,
            ),
            None => None,
        };
        let (params, pool) = (&self.params, task::pool()?);
        // Ctrl-C stops the fit before its next iteration and raises KeyboardInterrupt
        let stop = std::sync::atomic::AtomicBool::new(false);
        let control = recsys_core::FitControl::none().with_stop(&stop);
        self.model.set(
            task::interruptible(py, &stop, || {
                pool.install(|| params.fit_controlled(data, n_features, weights, &control))
            })?
            .py_err()?,
        );
        Ok(())
    }

    /// Distances of every row to every centroid.
    fn transform<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f32>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let (data, _) = contiguous(&x)?;
        let model = self.fitted()?;
        let pool = task::pool()?;
        let distances = py
            .detach(|| pool.install(|| model.transform(data)))
            .py_err()?;
        let rows = distances.len() / model.n_clusters();
        let array = numpy::ndarray::Array2::from_shape_vec((rows, model.n_clusters()), distances)
            .map_err(shape)?;
        Ok(PyArray2::from_owned_array(py, array))
    }

    /// Squared distance of every row to its nearest centroid.
    fn score_samples<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (data, _) = contiguous(&x)?;
        let model = self.fitted()?;
        let pool = task::pool()?;
        let d2 = py
            .detach(|| pool.install(|| model.score_samples(data)))
            .py_err()?;
        Ok(PyArray1::from_vec(py, d2))
    }

    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f32>,
    ) -> PyResult<Bound<'py, PyArray1<i32>>> {
        let (data, n_features) = contiguous(&x)?;
        let model = self.fitted()?;
        if n_features != model.n_features() {
            return Err(shape(format!(
                "X has {n_features} features, but KMeans was fitted with {}",
                model.n_features()
            )));
        }
        let pool = task::pool()?;
        let labels = py
            .detach(|| pool.install(|| model.predict(data)))
            .py_err()?;
        Ok(PyArray1::from_vec(
            py,
            labels.into_iter().map(|l| l as i32).collect(),
        ))
    }

    #[getter]
    fn cluster_centers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let m = self.fitted()?;
        let centers = numpy::ndarray::Array2::from_shape_vec(
            (m.n_clusters(), m.n_features()),
            m.centroids().to_vec(),
        )
        .map_err(shape)?;
        Ok(PyArray2::from_owned_array(py, centers))
    }

    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<i32>>> {
        Ok(PyArray1::from_vec(
            py,
            self.fitted()?.labels().iter().map(|&l| l as i32).collect(),
        ))
    }

    #[getter]
    fn inertia(&self) -> PyResult<f64> {
        Ok(self.fitted()?.inertia())
    }

    #[getter]
    fn n_iter(&self) -> PyResult<usize> {
        Ok(self.fitted()?.n_iter())
    }

    #[getter]
    fn is_fitted(&self) -> bool {
        self.model.is_fitted()
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.model.to_bytes(py)
    }

    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<KMeans> {
        let model = Fitted::<CoreKMeans>::decode("KMeans", data)?;
        Ok(KMeans {
            params: model.get()?.params().clone(),
            model,
        })
    }
}
