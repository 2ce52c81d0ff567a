"""Text features, a drop-in for scikit-learn's ``TfidfVectorizer``."""

from __future__ import annotations

import numpy as np

from . import _native
from ._convert import to_scipy
from ._estimator import Estimator

__all__ = ["TfidfVectorizer"]

_DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def _documents(raw_documents, name: str = "raw_documents") -> list[str]:
    if isinstance(raw_documents, str):
        raise ValueError(f"Iterable over raw text documents expected, string object received.")
    docs = list(raw_documents)
    for i, d in enumerate(docs):
        if not isinstance(d, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(d).__name__}")
    return docs


class TfidfVectorizer(Estimator):
    """TF-IDF features of text, with scikit-learn's semantics and defaults.

    Same vocabulary (order and terms), idf and weights as ``sklearn.feature_extraction.text.
    TfidfVectorizer`` for the options below; the token pattern is scikit-learn's default.
    """

    _native_class = _native.Tfidf

    def __init__(
        self,
        *,
        lowercase: bool = True,
        stop_words=None,
        token_pattern: str = _DEFAULT_TOKEN_PATTERN,
        ngram_range: tuple[int, int] = (1, 1),
        max_df=1.0,
        min_df=1,
        max_features=None,
        norm="l2",
        use_idf: bool = True,
        smooth_idf: bool = True,
        sublinear_tf: bool = False,
        dtype=np.float64,
    ):
        if token_pattern != _DEFAULT_TOKEN_PATTERN:
            raise ValueError(f"token_pattern must be scikit-learn's default {_DEFAULT_TOKEN_PATTERN!r}; other patterns are not supported")
        for name, df in (("max_df", max_df), ("min_df", min_df)):
            if isinstance(df, (bool, np.bool_)) or not isinstance(df, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name} must be an int (a count) or a float (a fraction), got {type(df).__name__}")
        if max_features is not None and (not isinstance(max_features, (int, np.integer)) or max_features < 1):
            raise ValueError(f"max_features must be None or an int >= 1, got {max_features!r}")
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.token_pattern = token_pattern
        self.ngram_range = ngram_range
        self.max_df = max_df
        self.min_df = min_df
        self.max_features = max_features
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf
        self.dtype = dtype
        df = lambda v: int(v) if isinstance(v, (int, np.integer)) else float(v)  # noqa: E731
        stop = list(stop_words) if stop_words is not None and not isinstance(stop_words, str) else stop_words
        self._native = _native.Tfidf(
            bool(lowercase), stop, tuple(int(n) for n in ngram_range), df(min_df), df(max_df),
            None if max_features is None else int(max_features), norm, bool(use_idf), bool(smooth_idf), bool(sublinear_tf),
        )
        self._vocabulary = None

    def _matrix(self, parts):
        m = to_scipy(parts)
        return m.astype(self.dtype, copy=False) if m.dtype != self.dtype else m

    def fit(self, raw_documents, y=None):
        self._native.fit(_documents(raw_documents))
        self._vocabulary = None
        return self

    def fit_transform(self, raw_documents, y=None):
        parts = self._native.fit_transform(_documents(raw_documents))
        self._vocabulary = None
        return self._matrix(parts)

    def transform(self, raw_documents):
        return self._matrix(self._fitted_native().transform(_documents(raw_documents)))

    @property
    def vocabulary_(self) -> dict[str, int]:
        if self._vocabulary is None:
            self._vocabulary = {term: i for i, term in enumerate(self._fitted_native().vocabulary)}
        return self._vocabulary

    @property
    def idf_(self) -> np.ndarray:
        return self._fitted_native().idf

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(self._fitted_native().vocabulary, dtype=object)
