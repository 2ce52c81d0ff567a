"""Clustering, a drop-in for scikit-learn's ``KMeans``."""

from __future__ import annotations

import numpy as np

from . import _native
from ._convert import integer, number, seed
from ._estimator import Estimator
from ._sklearn import ClusterMixin, TransformerMixin, check_sample_weight, check_X

__all__ = ["KMeans"]


class KMeans(ClusterMixin, TransformerMixin, Estimator):
    """K-Means with greedy k-means++ seeding, as scikit-learn's ``KMeans`` (Lloyd's algorithm,
    accelerated with Hamerly's bounds; exact).

    Same parameters and defaults; ``algorithm`` may be ``"lloyd"`` or ``"elkan"`` (both give
    Lloyd's exact result here), ``verbose`` and ``copy_x`` are accepted and change nothing (the
    data is never modified). Explicit initial centers (an array or a callable as ``init``) are
    not supported. With ``random_state`` set, results are deterministic whatever the number of
    threads, but not the same clusters as scikit-learn draws for that seed.
    """

    _native_class = _native.KMeans

    def __init__(
        self, n_clusters: int = 8, *, init: str = "k-means++", n_init="auto", max_iter: int = 300, tol: float = 1e-4,
        verbose: int = 0, random_state=None, copy_x: bool = True, algorithm: str = "lloyd",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # densified (the core clusters dense rows)
        return tags

    def _make_native(self):
        if not isinstance(self.init, str):
            raise ValueError("init must be 'k-means++' or 'random'; explicit initial centers are not supported")
        if self.algorithm not in ("lloyd", "elkan"):
            raise ValueError(f"algorithm must be 'lloyd' or 'elkan', got {self.algorithm!r}")
        # scikit-learn's "auto": one run of k-means++, ten of random
        n_init = (1 if self.init == "k-means++" else 10) if self.n_init == "auto" else integer("n_init", self.n_init)
        return _native.KMeans(
            integer("n_clusters", self.n_clusters), self.init, n_init, integer("max_iter", self.max_iter),
            number("tol", self.tol), seed(self.random_state),
        )

    def fit(self, X, y=None, sample_weight=None):
        native = self._make_native()  # the settings first: they fail without looking at X
        X = check_X(self, X, reset=True)
        native.fit(X, check_sample_weight(sample_weight, X))
        self._native = native
        self._after_load()
        return self

    def _after_load(self) -> None:
        self.labels_ = self._native.labels
        self.cluster_centers_ = self._native.cluster_centers
        self.inertia_ = self._native.inertia
        self.n_iter_ = self._native.n_iter
        self.n_features_in_ = self.cluster_centers_.shape[1]
        self._n_features_out = self.cluster_centers_.shape[0]

    def _checked(self, X):
        native = self._fitted_native()
        return native, check_X(self, X, reset=False)

    def predict(self, X) -> np.ndarray:
        """The nearest centroid of every row."""
        native, X = self._checked(X)
        return native.predict(X)

    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X) -> np.ndarray:
        """The distance of every row to every centroid, ``(n_samples, n_clusters)``."""
        native, X = self._checked(X)
        return native.transform(X)

    def fit_transform(self, X, y=None, sample_weight=None) -> np.ndarray:
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X, y=None, sample_weight=None) -> float:
        """The opposite of the (weighted) sum of squared distances of ``X`` to its nearest
        centroids, as scikit-learn's (higher is better)."""
        native, X = self._checked(X)
        d2 = native.score_samples(X)
        w = check_sample_weight(sample_weight, X)
        return float(-(d2.sum() if w is None else np.dot(d2, w)))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``kmeans0``, ``kmeans1``, ...: the columns ``transform`` gives, as scikit-learn names them."""
        self._fitted_native()
        return np.asarray([f"kmeans{i}" for i in range(self._n_features_out)], dtype=object)
