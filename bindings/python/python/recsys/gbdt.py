"""Gradient-boosted trees with LightGBM's scikit-learn names and defaults:
``GBDTRanker`` (LambdaMART, like ``LGBMRanker``), ``GBDTClassifier`` (binary, like
``LGBMClassifier``) and ``GBDTRegressor`` (L2, like ``LGBMRegressor``)."""

from __future__ import annotations

import numpy as np

from . import _native
from ._convert import as_matrix, as_vector, integer, read_file, seed, write_file
from ._estimator import Estimator

__all__ = ["GBDTRanker", "GBDTClassifier", "GBDTRegressor", "from_lightgbm"]


def _groups(group, n_rows: int, name: str):
    if group is None:
        return None
    sizes = np.asarray(group)
    if sizes.ndim != 1 or sizes.dtype.kind not in "iu":
        raise TypeError(f"{name} must be a 1-D array of integer group sizes")
    if (sizes <= 0).any():
        raise ValueError(f"{name} sizes must be >= 1")
    if int(sizes.sum()) != n_rows:
        raise ValueError(f"{name} sizes sum to {int(sizes.sum())}, but there are {n_rows} rows")
    return [int(s) for s in sizes]


class _GBDT(Estimator):
    _native_class = _native.Gbdt
    _objective = "regression"

    def __init__(
        self,
        *,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 20,
        min_child_weight: float = 1e-3,
        min_split_gain: float = 0.0,
        reg_lambda: float = 0.0,
        subsample: float = 1.0,
        subsample_freq: int = 0,
        colsample_bytree: float = 1.0,
        max_bin: int = 255,
        random_state=None,
        importance_type: str = "split",
        label_gain=None,
        lambdarank_truncation_level: int = 30,
    ):
        for name in ("n_estimators", "num_leaves", "min_child_samples", "subsample_freq", "max_bin", "lambdarank_truncation_level"):
            integer(name, locals()[name])
        integer("max_depth", max_depth, minimum=None)
        if importance_type not in ("split", "gain"):
            raise ValueError(f"importance_type must be 'split' or 'gain', got {importance_type!r}")
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.min_child_weight = min_child_weight
        self.min_split_gain = min_split_gain
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.subsample_freq = subsample_freq
        self.colsample_bytree = colsample_bytree
        self.max_bin = max_bin
        self.random_state = random_state
        self.importance_type = importance_type
        self.label_gain = label_gain
        self.lambdarank_truncation_level = lambdarank_truncation_level
        self._seed = seed(random_state) if random_state is not None else 0
        # built here so that bad settings fail at construction, rebuilt by fit with its arguments
        self._native = self._make_native((1, 2, 3, 4, 5), None)

    def _make_native(self, eval_at, early_stopping_rounds):
        return _native.Gbdt(
            self._objective, int(self.n_estimators), float(self.learning_rate), int(self.num_leaves), int(self.max_depth),
            int(self.min_child_samples), float(self.min_child_weight), float(self.min_split_gain), float(self.reg_lambda),
            float(self.subsample), int(self.subsample_freq), float(self.colsample_bytree), int(self.max_bin), self._seed,
            [int(k) for k in eval_at], None if early_stopping_rounds is None else int(early_stopping_rounds),
            None if self.label_gain is None else [float(g) for g in self.label_gain], int(self.lambdarank_truncation_level),
        )

    def _labels(self, y, n):
        return as_vector(y, n, "y")

    def _fit(self, X, y, sample_weight, group, eval_set, eval_group, eval_at, early_stopping_rounds):
        X = as_matrix(X)
        n = X.shape[0]
        y = self._labels(y, n)
        weight = None if sample_weight is None else as_vector(sample_weight, n, "sample_weight")
        groups = _groups(group, n, "group")
        valid = None
        if eval_set is not None:
            if len(eval_set) != 1:
                raise ValueError("eval_set must hold exactly one (X, y) pair")
            vx, vy = eval_set[0]
            vx = as_matrix(vx, "eval_set X")
            vgroup = None
            if eval_group is not None:
                if len(eval_group) != 1:
                    raise ValueError("eval_group must hold exactly one array of group sizes")
                vgroup = _groups(eval_group[0], vx.shape[0], "eval_group")
            valid = (vx, self._labels(vy, vx.shape[0]), vgroup)
        elif early_stopping_rounds is not None:
            raise ValueError("early_stopping_rounds needs an eval_set")
        native = self._make_native(eval_at, early_stopping_rounds)
        native.fit(X, y, weight, groups, valid)
        self._native = native
        self._after_load()
        return self

    def _after_load(self) -> None:
        self.n_features_in_ = self._native.n_features
        best = self._native.best_iteration
        self.best_iteration_ = 0 if best is None else best + 1
        self.evals_result_ = {}
        for iteration, metric, value in self._native.evals:
            self.evals_result_.setdefault(metric, []).append(value)

    @property
    def feature_importances_(self) -> np.ndarray:
        return self._fitted_native().feature_importance(self.importance_type)

    @property
    def n_estimators_(self) -> int:
        return self._fitted_native().n_trees

    def predict(self, X) -> np.ndarray:
        return self._fitted_native().predict(as_matrix(X))

    def to_lightgbm(self, path=None) -> str:
        """The model in LightGBM's text format (written to ``path`` too, if given):
        ``lightgbm.Booster(model_file=path)`` or ``lightgbm.Booster(model_str=text)`` loads it and
        predicts as this model does. LightGBM's ``pred_contrib`` needs per-node row counts,
        which recsys does not keep."""
        text = self._fitted_native().to_lightgbm_text()
        if path is not None:
            write_file(path, text.encode("utf-8"))
        return text


class GBDTRegressor(_GBDT):
    """L2 regression (``LGBMRegressor``)."""

    _objective = "regression"

    def fit(self, X, y, sample_weight=None, eval_set=None, early_stopping_rounds=None):
        return self._fit(X, y, sample_weight, None, eval_set, None, (1,), early_stopping_rounds)


class GBDTClassifier(_GBDT):
    """Binary classification with log loss (``LGBMClassifier`` for two classes)."""

    _objective = "binary"

    def _labels(self, y, n):
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(f"y must be 1-D with {n} entries")
        unseen = ~np.isin(y, self.classes_)
        if unseen.any():
            raise ValueError(f"y holds classes {np.unique(y[unseen])} not seen in training")
        return (y == self.classes_[-1]).astype(np.float32)

    def fit(self, X, y, sample_weight=None, eval_set=None, early_stopping_rounds=None):
        classes = np.unique(np.asarray(y))
        if len(classes) != 2:
            raise ValueError(f"GBDTClassifier needs exactly two classes in y, got {len(classes)}")
        self.classes_ = classes
        return self._fit(X, y, sample_weight, None, eval_set, None, (1,), early_stopping_rounds)

    def _extra_state(self) -> dict:
        return {"classes_": self.__dict__.get("classes_")}

    def _restore_extra(self, extra: dict) -> None:
        self.classes_ = extra.get("classes_")

    def predict_proba(self, X) -> np.ndarray:
        p = self._fitted_native().predict_proba(as_matrix(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        p = self._fitted_native().predict_proba(as_matrix(X))
        classes = self.__dict__.get("classes_")
        if classes is None:
            classes = np.array([0, 1])
        return np.where(p > 0.5, classes[-1], classes[0])


class GBDTRanker(_GBDT):
    """LambdaMART (``LGBMRanker``): NDCG-driven pairwise lambdas, label gains ``2^l - 1``,
    truncation level 30, normalization as LightGBM."""

    _objective = "lambdarank"

    def fit(self, X, y, group=None, eval_set=None, eval_group=None, eval_at=(10,), early_stopping_rounds=None, sample_weight=None):
        if group is None:
            raise ValueError("GBDTRanker.fit needs group (the sizes of the query groups, in row order)")
        if eval_set is not None and eval_group is None:
            raise ValueError("eval_set needs eval_group for ranking")
        return self._fit(X, y, sample_weight, group, eval_set, eval_group, eval_at, early_stopping_rounds)


def from_lightgbm(model_file=None, *, model_str: str | None = None, booster=None):
    """A model LightGBM trained, read from its text format for prediction: what
    ``Booster.save_model`` writes (``model_file``, a path), what ``Booster.model_to_string``
    returns (``model_str``), or a ``lightgbm.Booster`` itself (``booster``, also an ``LGBM*``
    estimator's ``booster_``). Give exactly one.

    Returns a fitted ``GBDTRegressor``, ``GBDTClassifier`` or ``GBDTRanker``, by the model's
    objective (``regression``, ``binary``, ``lambdarank``); its ``predict`` gives LightGBM's raw
    scores for the same rows (``predict_proba`` of a classifier its probabilities). It can be
    saved in recsys's format and pickled like a model recsys trained. Numerical splits (every
    missing-value mode) and categorical splits are read; linear trees, multiclass models and
    other objectives raise ``ValueError`` naming them.
    """
    given = [x is not None for x in (model_file, model_str, booster)]
    if sum(given) != 1:
        raise TypeError("give exactly one of model_file, model_str or booster")
    if booster is not None:
        if not hasattr(booster, "model_to_string"):
            raise TypeError(f"booster must be a lightgbm.Booster, got {type(booster).__name__}")
        model_str = booster.model_to_string()
    elif model_file is not None:
        model_str = read_file(model_file).decode("utf-8", errors="replace")
    if not isinstance(model_str, str):
        raise TypeError(f"model_str must be a str, got {type(model_str).__name__}")
    native = _native.Gbdt.from_lightgbm_text(model_str)
    cls = {"regression": GBDTRegressor, "binary": GBDTClassifier, "lambdarank": GBDTRanker}[native.objective]
    return cls._from_native(native, {"n_estimators": native.n_trees})
