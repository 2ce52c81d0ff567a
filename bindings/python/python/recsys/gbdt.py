"""Gradient-boosted trees with LightGBM's scikit-learn names and defaults:
``GBDTRanker`` (LambdaMART, like ``LGBMRanker``), ``GBDTClassifier`` (binary, like
``LGBMClassifier``) and ``GBDTRegressor`` (L2, like ``LGBMRegressor``)."""

from __future__ import annotations

import numpy as np

from . import _native
from ._convert import integer, number, read_file, seed, write_file
from ._estimator import Estimator
from ._sklearn import ClassifierMixin, RegressorMixin, check_classification_targets, check_sample_weight, check_X, check_X_y, check_y

__all__ = ["GBDTRanker", "GBDTClassifier", "GBDTRegressor", "from_lightgbm"]


def _groups(group, n_rows: int, name: str):
    """Query group sizes as the native model takes them (the core checks that they are >= 1
    and cover every row)."""
    if group is None:
        return None
    sizes = np.asarray(group)
    if sizes.ndim != 1 or sizes.dtype.kind not in "iu":
        raise TypeError(f"{name} must be a 1-D array of integer group sizes")
    if (sizes < 0).any():
        raise ValueError(f"{name} sizes must be >= 1")
    return [int(s) for s in sizes]


def _groups_of_qid(qid, n_rows: int, name: str = "qid"):
    """Group sizes from per-row query ids, whose rows must be contiguous (as XGBoost's ``qid``)."""
    ids = np.asarray(qid)
    if ids.ndim != 1 or len(ids) != n_rows:
        raise ValueError(f"{name} must be 1-D with one query id per row ({n_rows}), got shape {ids.shape}")
    if n_rows == 0:
        return []
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    if len(np.unique(ids)) != len(starts):
        raise ValueError(f"the rows of each query must be contiguous in {name} (sort the rows by query id)")
    return [int(s) for s in np.diff(np.r_[starts, n_rows])]


def _category_codes(X, categories=None):
    """LightGBM's handling of a DataFrame's ``category`` columns: each becomes its category
    codes as numbers (NaN where missing), with the categories of training (`categories`, a
    list per column) set again at prediction, so that a code means the category it meant in
    training. Returns the frame (a copy if anything changed), the category columns' names and
    their categories."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns") or not hasattr(dtypes, "items"):
        return X, [], []
    import pandas as pd

    columns = [c for c, t in dtypes.items() if isinstance(t, pd.CategoricalDtype)]
    if categories is None:
        categories = [list(X[c].cat.categories) for c in columns]
    if not columns:
        return X, [], categories
    if len(columns) != len(categories):
        raise ValueError(f"X has {len(columns)} category column(s) {columns}; the model was trained with {len(categories)}")
    X = X.copy()
    for c, cats in zip(columns, categories):
        codes = X[c].cat.set_categories(cats).cat.codes.to_numpy()
        X[c] = np.where(codes < 0, np.nan, codes.astype(np.float64))
    return X, columns, categories


def _categorical_indices(categorical_feature, X, category_columns) -> list[int]:
    """Feature indices of LightGBM's ``categorical_feature``: ``"auto"`` (a DataFrame's
    ``category`` columns), or a list of column indices or of column names."""
    if isinstance(categorical_feature, str):
        if categorical_feature != "auto":
            raise ValueError(f"categorical_feature must be 'auto' or a list of column indices or names, got {categorical_feature!r}")
        names = category_columns
    else:
        names = list(categorical_feature)
    columns = list(getattr(X, "columns", []))
    indices = []
    for f in names:
        if isinstance(f, str):
            if f not in columns:
                raise ValueError(f"categorical_feature names {f!r}, which is not a column of X")
            indices.append(columns.index(f))
        else:
            indices.append(integer("categorical_feature", f))
    return indices


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
        cat_smooth: float = 10.0,
        cat_l2: float = 10.0,
        max_cat_threshold: int = 32,
        max_cat_to_onehot: int = 4,
        min_data_per_group: int = 100,
    ):
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
        self.cat_smooth = cat_smooth
        self.cat_l2 = cat_l2
        self.max_cat_threshold = max_cat_threshold
        self.max_cat_to_onehot = max_cat_to_onehot
        self.min_data_per_group = min_data_per_group

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN is a missing value, as in LightGBM
        tags.input_tags.sparse = True  # densified (the core trains on dense rows)
        return tags

    def _make_native(self, eval_at, early_stopping_rounds, categorical=()):
        """The native model of these settings; the core's builder checks every one."""
        ints = {
            name: integer(name, getattr(self, name))
            for name in (
                "n_estimators", "num_leaves", "min_child_samples", "subsample_freq", "max_bin", "lambdarank_truncation_level",
                "max_cat_threshold", "max_cat_to_onehot", "min_data_per_group",
            )
        }
        floats = {
            name: number(name, getattr(self, name))
            for name in ("learning_rate", "min_child_weight", "min_split_gain", "reg_lambda", "subsample", "colsample_bytree", "cat_smooth", "cat_l2")
        }
        if self.importance_type not in ("split", "gain"):
            raise ValueError(f"importance_type must be 'split' or 'gain', got {self.importance_type!r}")
        return _native.Gbdt(
            self._objective, ints["n_estimators"], floats["learning_rate"], ints["num_leaves"],
            integer("max_depth", self.max_depth, minimum=None), ints["min_child_samples"], floats["min_child_weight"],
            floats["min_split_gain"], floats["reg_lambda"], floats["subsample"], ints["subsample_freq"],
            floats["colsample_bytree"], ints["max_bin"], seed(self.random_state) if self.random_state is not None else 0,
            [integer("eval_at", k) for k in eval_at], None if early_stopping_rounds is None else integer("early_stopping_rounds", early_stopping_rounds),
            None if self.label_gain is None else [number("label_gain", g) for g in self.label_gain], ints["lambdarank_truncation_level"],
            categorical_features=list(categorical), max_cat_to_onehot=ints["max_cat_to_onehot"],
            max_cat_threshold=ints["max_cat_threshold"], cat_smooth=floats["cat_smooth"], cat_l2=floats["cat_l2"],
            min_data_per_group=ints["min_data_per_group"],
        )

    def _labels(self, y, fitting: bool = False):
        """Targets as the native model takes them (float32); `fitting` for the training set's."""
        return np.ascontiguousarray(y, dtype=np.float32)

    def fit(self, X, y, sample_weight=None, eval_set=None, early_stopping_rounds=None, categorical_feature="auto"):
        return self._fit(X, y, sample_weight, None, eval_set, None, (1,), early_stopping_rounds, categorical_feature)

    def _fit(self, X, y, sample_weight, groups, eval_set, eval_groups, eval_at, early_stopping_rounds, categorical_feature):
        """`groups(X)` gives the checked training rows' query group sizes and `eval_groups(vx)`
        those of the eval set's rows; both None without queries."""
        X, category_columns, categories = _category_codes(X)
        native = self._make_native(eval_at, early_stopping_rounds, _categorical_indices(categorical_feature, X, category_columns))
        self._pandas_categorical = categories
        X, y = check_X_y(self, X, y, numeric=self._objective != "binary", finite="allow-nan", min_samples=2)
        y = self._labels(y, fitting=True)
        weight = check_sample_weight(sample_weight, X)
        valid = None
        if eval_set is not None:
            if len(eval_set) != 1:
                raise ValueError("eval_set must hold exactly one (X, y) pair")
            vx, vy = eval_set[0]
            vx = check_X(self, _category_codes(vx, categories)[0], reset=False, finite="allow-nan")
            valid = (vx, self._labels(check_y(vy, vx.shape[0], numeric=self._objective != "binary", name="eval_set y")), eval_groups and eval_groups(vx))
        elif early_stopping_rounds is not None:
            raise ValueError("early_stopping_rounds needs an eval_set")
        native.fit(X, y, weight, groups and groups(X), valid)
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
        native = self._fitted_native()
        if self.importance_type not in ("split", "gain"):
            raise ValueError(f"importance_type must be 'split' or 'gain', got {self.importance_type!r}")
        return native.feature_importance(self.importance_type)

    @property
    def n_estimators_(self) -> int:
        return self._fitted_native().n_trees

    def _checked(self, X):
        native = self._fitted_native()
        X = _category_codes(X, self.__dict__.get("_pandas_categorical") or None)[0]
        # as LightGBM: NaN is missing, infinities compare with the thresholds
        return native, check_X(self, X, reset=False, finite=False)

    def predict(self, X) -> np.ndarray:
        native, X = self._checked(X)
        return native.predict(X)

    def to_lightgbm(self, path=None) -> str:
        """The model in LightGBM's text format (written to ``path`` too, if given):
        ``lightgbm.Booster(model_file=path)`` or ``lightgbm.Booster(model_str=text)`` loads it and
        predicts as this model does. LightGBM's ``pred_contrib`` needs per-node row counts,
        which recsys does not keep."""
        text = self._fitted_native().to_lightgbm_text()
        if path is not None:
            write_file(path, text.encode("utf-8"))
        return text


class GBDTRegressor(RegressorMixin, _GBDT):
    """L2 regression (``LGBMRegressor``)."""

    _objective = "regression"


class GBDTClassifier(ClassifierMixin, _GBDT):
    """Binary classification with log loss (``LGBMClassifier`` for two classes): any two
    labels (numbers or strings), ``classes_`` sorted as scikit-learn sorts them."""

    _objective = "binary"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _labels(self, y, fitting: bool = False):
        y = np.asarray(y)
        if fitting:
            check_classification_targets(y)
            classes = np.unique(y)
            if len(classes) > 2:
                raise ValueError(
                    f"Only binary classification is supported. The type of the target is multiclass ({len(classes)} classes): "
                    "GBDTClassifier is LightGBM's binary objective"
                )
            if len(classes) < 2:
                raise ValueError(f"y holds one class only ({classes[0]!r}): a binary classifier needs two")
            self.classes_ = classes
        unseen = ~np.isin(y, self.classes_)
        if unseen.any():
            raise ValueError(f"y holds classes {np.unique(y[unseen])} not seen in training")
        return (y == self.classes_[-1]).astype(np.float32)

    def predict_proba(self, X) -> np.ndarray:
        native, X = self._checked(X)
        p = native.predict_proba(X)
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X) -> np.ndarray:
        """The raw score (log-odds of the second class)."""
        native, X = self._checked(X)
        return native.predict(X)

    def predict(self, X) -> np.ndarray:
        native, X = self._checked(X)
        p = native.predict_proba(X)
        classes = self.__dict__.get("classes_")
        if classes is None:  # a model read from LightGBM or a recsys file: labels 0 and 1
            classes = np.array([0, 1])
        return np.where(p > 0.5, classes[-1], classes[0])


class GBDTRanker(_GBDT):
    """LambdaMART (``LGBMRanker``): NDCG-driven pairwise lambdas, label gains ``2^l - 1``,
    truncation level 30, normalization as LightGBM.

    Queries are given as ``group`` (the sizes of the query groups, in row order, as LightGBM)
    or as ``qid`` (a query id per row, rows of one query contiguous, as XGBoost): ``qid`` is
    what scikit-learn's splitters and metadata routing can cut along with the rows, so
    ``GridSearchCV(..., cv=GroupKFold()).fit(X, y, qid=qid, groups=qid)`` works once the
    ranker requests it (``set_fit_request(qid=True).set_score_request(qid=True)``)."""

    _objective = "lambdarank"

    def fit(
        self, X, y, group=None, eval_set=None, eval_group=None, eval_at=(10,), early_stopping_rounds=None, sample_weight=None, qid=None,
        categorical_feature="auto",
    ):
        if (group is None) == (qid is None):
            raise ValueError("GBDTRanker.fit needs the query groups: give group (their sizes, in row order) or qid (a query id per row)")
        if eval_set is not None and eval_group is None:
            raise ValueError("eval_set needs eval_group for ranking")

        def groups(X):
            return _groups(group, X.shape[0], "group") if qid is None else _groups_of_qid(qid, X.shape[0])

        def eval_groups(vx):
            if eval_group is None:
                return None
            if len(eval_group) != 1:
                raise ValueError("eval_group must hold exactly one array of group sizes")
            return _groups(eval_group[0], vx.shape[0], "eval_group")

        return self._fit(X, y, sample_weight, groups, eval_set, eval_groups, eval_at, early_stopping_rounds, categorical_feature)

    def score(self, X, y, group=None, qid=None, sample_weight=None) -> float:
        """NDCG at the first of the ``eval_at`` cut-offs ``fit`` was given (10 by default),
        averaged over the queries of ``X`` (``group`` sizes or per-row ``qid``; without either
        the rows are one query), with the model's label gains; higher is better.
        ``sample_weight`` must be None (it is there because scikit-learn's ``Pipeline.score``
        passes it): queries are not weighted."""
        if sample_weight is not None:
            raise ValueError("GBDTRanker.score does not weigh queries: sample_weight must be None")
        native, X = self._checked(X)
        y = check_y(y, X.shape[0], numeric=True)
        if group is not None and qid is not None:
            raise ValueError("give group or qid, not both")
        sizes = _groups(group, X.shape[0], "group") if qid is None else _groups_of_qid(qid, X.shape[0])
        if sizes is None:
            sizes = [X.shape[0]]
        metrics = native.evaluate(X, np.ascontiguousarray(y, dtype=np.float32), sizes)
        return next(value for metric, value in metrics if metric.startswith("ndcg@"))


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
