"""Clustering, a drop-in for scikit-learn's ``KMeans``."""

from __future__ import annotations

import numpy as np

from . import _native
from ._convert import as_matrix, integer, seed
from ._estimator import Estimator

__all__ = ["KMeans"]


class KMeans(Estimator):
    """K-Means with greedy k-means++ seeding, as scikit-learn's ``KMeans`` (Lloyd's algorithm,
    accelerated with Hamerly's bounds; exact)."""

    _native_class = _native.KMeans

    def __init__(self, n_clusters: int = 8, *, init: str = "k-means++", n_init=1, max_iter: int = 300, tol: float = 1e-4, random_state=None):
        integer("n_clusters", n_clusters)
        integer("max_iter", max_iter)
        if n_init == "auto":
            n_init = 1
        if isinstance(init, np.ndarray) or not isinstance(init, str):
            raise ValueError("init must be 'k-means++' or 'random'; explicit initial centers are not supported")
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self._native = _native.KMeans(int(n_clusters), init, int(n_init), int(max_iter), float(tol), seed(random_state))

    def fit(self, X, y=None, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported")
        self._native.fit(as_matrix(X))
        self._after_load()
        return self

    def _after_load(self) -> None:
        self.labels_ = self._native.labels
        self.cluster_centers_ = self._native.cluster_centers
        self.inertia_ = self._native.inertia
        self.n_iter_ = self._native.n_iter
        self.n_features_in_ = self.cluster_centers_.shape[1]

    def predict(self, X) -> np.ndarray:
        return self._fitted_native().predict(as_matrix(X))

    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        return self.fit(X, sample_weight=sample_weight).labels_
