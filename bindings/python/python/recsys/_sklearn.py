"""scikit-learn when it is installed, stand-ins when it is not (the way LightGBM's ``compat.py``
does it): the estimator base class and mixins the estimators derive from, and the one input
check every ``fit`` / ``predict`` / ``transform`` goes through.

With scikit-learn the estimators are its estimators (``BaseEstimator`` and the right mixins,
``validate_data`` with its messages, ``n_features_in_`` and ``feature_names_in_``), so
``Pipeline``, ``clone``, ``cross_val_score`` and ``GridSearchCV`` work. Without it they keep the
same methods and checks, with messages worded the same way; scikit-learn stays optional.
"""

from __future__ import annotations

import inspect

import numpy as np
import scipy.sparse as sp

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, ClusterMixin, RegressorMixin, TransformerMixin
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import _check_sample_weight, validate_data

    SKLEARN_INSTALLED = True
except ImportError:
    SKLEARN_INSTALLED = False

    class BaseEstimator:  # type: ignore[no-redef]
        """Stand-in for scikit-learn's: parameters are the constructor's arguments, kept as
        attributes of the same names."""

        @classmethod
        def _get_param_names(cls) -> list[str]:
            sig = inspect.signature(cls.__init__)
            return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

        def get_params(self, deep: bool = True) -> dict:
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            valid = set(self._get_param_names())
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(f"Invalid parameter {key!r} for estimator {type(self).__name__}. Valid parameters are: {sorted(valid)!r}.")
                setattr(self, key, value)
            return self

        def __repr__(self) -> str:
            defaults = inspect.signature(type(self).__init__).parameters
            changed = {k: v for k, v in self.get_params().items() if not _same(v, defaults[k].default)}
            return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    class RegressorMixin:  # type: ignore[no-redef]
        def score(self, X, y, sample_weight=None) -> float:
            """R² of the predictions."""
            y = np.asarray(y, dtype=np.float64)
            w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
            residual = np.sum(w * (y - self.predict(X)) ** 2)
            total = np.sum(w * (y - np.average(y, weights=w)) ** 2)
            return float(1.0 - residual / total) if total > 0 else (1.0 if residual == 0 else 0.0)

    class ClassifierMixin:  # type: ignore[no-redef]
        def score(self, X, y, sample_weight=None) -> float:
            """Accuracy of the predictions."""
            return float(np.average(self.predict(X) == np.asarray(y), weights=sample_weight))

    class ClusterMixin:  # type: ignore[no-redef]
        def fit_predict(self, X, y=None, **kwargs):
            return self.fit(X, **kwargs).labels_

    class TransformerMixin:  # type: ignore[no-redef]
        def fit_transform(self, X, y=None, **fit_params):
            return self.fit(X, y, **fit_params).transform(X)

    def check_classification_targets(y) -> None:  # type: ignore[no-redef]
        if np.asarray(y).dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
            raise ValueError("Unknown label type: continuous. Maybe you are trying to fit a classifier, which expects discrete classes on a regression target with continuous values.")


def _same(a, b) -> bool:
    try:
        return bool(a == b) if not isinstance(a, np.ndarray) else False
    except Exception:
        return False


def _feature_names(X):
    """The column names of a DataFrame whose columns are all strings, as scikit-learn reads them."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "iloc"):
        return None
    names = np.asarray(columns, dtype=object)
    return names if len(names) and all(isinstance(c, str) for c in names) else None


def _fallback_check(estimator, X, reset: bool, finite, min_samples: int) -> np.ndarray:
    """What ``validate_data`` checks, without scikit-learn."""
    name = type(estimator).__name__
    names = _feature_names(X)
    if sp.issparse(X):
        X = X.toarray()
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__") and not hasattr(X, "__array__"):
        raise TypeError(f"X must be a 2-D array, got {type(X).__name__}")
    try:
        array = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"X is not a rectangular array: {exc}") from exc
    if array.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {array.ndim}D array instead. Reshape your data either using array.reshape(-1, 1) "
            "if your data has a single feature or array.reshape(1, -1) if it contains a single sample."
        )
    if array.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    if array.dtype.kind not in "biuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"X must hold numbers: {exc}") from exc
    n, d = array.shape
    if n < min_samples:
        raise ValueError(f"Found array with {n} sample(s) (shape={array.shape}) while a minimum of {min_samples} is required by {name}.")
    if d < 1:
        raise ValueError(f"Found array with 0 feature(s) (shape={array.shape}) while a minimum of 1 is required by {name}.")
    if finite is True and np.isnan(array).any():
        raise ValueError("Input X contains NaN.")
    if finite is not False and np.isinf(array).any():
        raise ValueError("Input X contains infinity.")
    if reset:
        estimator.n_features_in_ = d
        if names is not None:
            estimator.feature_names_in_ = names
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    else:
        expected = estimator.n_features_in_
        if d != expected:
            raise ValueError(f"X has {d} features, but {name} is expecting {expected} features as input.")
        fitted_names = getattr(estimator, "feature_names_in_", None)
        if fitted_names is not None and names is not None and list(names) != list(fitted_names):
            raise ValueError("The feature names should match those that were passed during fit.")
    return array


def _validate_options(finite, min_samples: int) -> dict:
    return {
        "accept_sparse": ("csr", "csc", "coo"), "dtype": (np.float32, np.float64),
        "ensure_all_finite": finite, "ensure_min_samples": min_samples,
    }


def _dense32(X) -> np.ndarray:
    if sp.issparse(X):
        X = X.toarray()
    return np.ascontiguousarray(X, dtype=np.float32)


def check_X(estimator, X, *, reset: bool, finite=True, min_samples: int = 1) -> np.ndarray:
    """``X`` as the dense, C-contiguous float32 matrix the native models take, checked as
    scikit-learn checks it (2-D, numbers, at least one feature and `min_samples` rows; `finite`
    is scikit-learn's ``ensure_all_finite``: True, ``"allow-nan"`` or False). With `reset` (in ``fit``) it sets ``n_features_in_`` and,
    for a DataFrame with string column names, ``feature_names_in_``; otherwise it checks that
    ``X`` has the features the model was fitted with."""
    if SKLEARN_INSTALLED:
        return _dense32(validate_data(estimator, X, reset=reset, **_validate_options(finite, min_samples)))
    return _dense32(_fallback_check(estimator, X, reset, finite, min_samples))


def check_X_y(estimator, X, y, *, numeric: bool, finite=True, min_samples: int = 1):
    """``check_X`` for ``fit`` with targets: ``y`` 1-D with one entry per row (a column vector
    is flattened with scikit-learn's ``DataConversionWarning``), finite numbers when `numeric`."""
    if SKLEARN_INSTALLED:
        X, y = validate_data(estimator, X, y, reset=True, y_numeric=numeric, **_validate_options(finite, min_samples))
        return _dense32(X), y
    X = _dense32(_fallback_check(estimator, X, True, finite, min_samples))
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None.")
    return X, check_y(y, X.shape[0], numeric=numeric)


def check_y(y, n: int, *, numeric: bool, name: str = "y") -> np.ndarray:
    """Targets of `n` rows: 1-D (a column vector is flattened, with scikit-learn's
    ``DataConversionWarning`` when it is installed), finite numbers when `numeric`."""
    if y is None:
        raise ValueError(f"{name} is None; targets are required")
    if SKLEARN_INSTALLED:
        from sklearn.utils import assert_all_finite, check_consistent_length, column_or_1d

        array = column_or_1d(y, warn=True)
        check_consistent_length(np.empty((n, 0)), array)
    else:
        array = np.asarray(y)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array.ravel()
        if array.ndim != 1:
            raise ValueError(f"{name} should be a 1d array, got an array of shape {array.shape} instead.")
        if len(array) != n:
            raise ValueError(f"Found input variables with inconsistent numbers of samples: [{n}, {len(array)}]")
    if numeric:
        if array.dtype.kind not in "biuf":
            try:
                array = array.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must hold numbers: {exc}") from exc
        if not np.isfinite(array).all():
            raise ValueError(f"Input {name} contains NaN or infinity.")
    return array


def check_sample_weight(sample_weight, X: np.ndarray) -> np.ndarray | None:
    """One finite weight >= 0 per row as float32 (None stays None)."""
    if sample_weight is None:
        return None
    if SKLEARN_INSTALLED:
        w = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    else:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.ndim != 1 or w.shape[0] != X.shape[0]:
            raise ValueError(f"sample_weight.shape == {w.shape}, expected {(X.shape[0],)}!")
        if not np.isfinite(w).all():
            raise ValueError("Input sample_weight contains NaN or infinity.")
        if (w < 0).any():
            raise ValueError("Negative values in data passed to `sample_weight`")
    return np.ascontiguousarray(w, dtype=np.float32)
