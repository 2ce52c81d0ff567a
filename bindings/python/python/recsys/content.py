"""Text features, a drop-in for scikit-learn's ``TfidfVectorizer``."""

from __future__ import annotations

import numpy as np

from . import _native
from ._convert import as_csr, to_scipy
from ._base import RecommenderBase
from ._estimator import Estimator
from ._sklearn import TransformerMixin

__all__ = ["TfidfVectorizer", "ContentRecommender", "cosine_neighbours"]

_DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def _documents(raw_documents, name: str = "raw_documents") -> list[str]:
    if isinstance(raw_documents, str):
        raise ValueError(f"Iterable over raw text documents expected, string object received.")
    docs = list(raw_documents)
    for i, d in enumerate(docs):
        if not isinstance(d, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(d).__name__}")
    return docs


class TfidfVectorizer(TransformerMixin, Estimator):
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # documents, not a 2-D array (as scikit-learn's)
        tags.input_tags.two_d_array = False
        return tags

    def _make_native(self):
        """The native vectorizer of these settings; the core's builder checks them."""
        if self.token_pattern != _DEFAULT_TOKEN_PATTERN:
            raise ValueError(f"token_pattern must be scikit-learn's default {_DEFAULT_TOKEN_PATTERN!r}; other patterns are not supported")
        for name in ("max_df", "min_df"):
            df = getattr(self, name)
            if isinstance(df, (bool, np.bool_)) or not isinstance(df, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name} must be an int (a count) or a float (a fraction), got {type(df).__name__}")
        if self.max_features is not None and (not isinstance(self.max_features, (int, np.integer)) or self.max_features < 1):
            raise ValueError(f"max_features must be None or an int >= 1, got {self.max_features!r}")
        df = lambda v: int(v) if isinstance(v, (int, np.integer)) else float(v)  # noqa: E731
        stop = self.stop_words
        stop = list(stop) if stop is not None and not isinstance(stop, str) else stop
        return _native.Tfidf(
            bool(self.lowercase), stop, tuple(int(n) for n in self.ngram_range), df(self.min_df), df(self.max_df),
            None if self.max_features is None else int(self.max_features), self.norm, bool(self.use_idf),
            bool(self.smooth_idf), bool(self.sublinear_tf),
        )

    def _matrix(self, parts):
        m = to_scipy(parts)
        return m.astype(self.dtype, copy=False) if m.dtype != self.dtype else m

    def fit(self, raw_documents, y=None):
        native = self._make_native()
        native.fit(_documents(raw_documents))
        self._native, self._vocabulary = native, None
        return self

    def fit_transform(self, raw_documents, y=None):
        native = self._make_native()
        parts = native.fit_transform(_documents(raw_documents))
        self._native, self._vocabulary = native, None
        return self._matrix(parts)

    def transform(self, raw_documents):
        return self._matrix(self._fitted_native().transform(_documents(raw_documents)))

    @property
    def vocabulary_(self) -> dict[str, int]:
        if self.__dict__.get("_vocabulary") is None:
            self._vocabulary = {term: i for i, term in enumerate(self._fitted_native().vocabulary)}
        return self._vocabulary

    @property
    def idf_(self) -> np.ndarray:
        return self._fitted_native().idf

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(self._fitted_native().vocabulary, dtype=object)


class ContentRecommender(RecommenderBase):
    """Items described by text fields, compared by TF-IDF cosine: similar items (also for items
    nobody has interacted with), text search over the catalog, and recommendations from the
    profile of the items a user chose (``recommend`` with the user's row of interactions).

    ``field_weights`` weighs fields by name (unnamed fields weigh 1, 0 ignores one); the other
    keyword arguments are ``TfidfVectorizer``'s and apply to every field.
    """

    _kind = "content"

    def __init__(self, field_weights=None, **tfidf_options):
        self.field_weights = {str(k): float(v) for k, v in (field_weights or {}).items()}
        self.tfidf_options = dict(tfidf_options)
        self._vectorizer = TfidfVectorizer(**tfidf_options)
        self._vectorizer._make_native()  # checks the options now
        self.fields = None
        self._model = None

    def _params(self) -> dict:
        return {"field_weights": self.field_weights, **self.tfidf_options}

    def fit(self, items, show_progress: bool = False):
        """Indexes the catalog. ``items`` is ``{item_id: text}``, ``{item_id: {field: text}}``,
        a list of texts or a list of ``{field: text}`` dicts (ids 0..n-1)."""
        ids, fields, texts = self._catalog(items)
        self._model = _native.Recommender.content(
            self._vectorizer._make_native(), fields, self.field_weights, ids, texts
        )
        self.fields = fields
        return self

    @staticmethod
    def _catalog(items):
        """(ids, fields, texts) of the accepted item formats."""
        if isinstance(items, dict):
            ids = list(items.keys())
            values = list(items.values())
        elif isinstance(items, (list, tuple)):
            ids = list(range(len(items)))
            values = list(items)
        else:
            raise TypeError(f"items must be a dict or a list, got {type(items).__name__}")
        for i in ids:
            if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
                raise TypeError(f"item ids must be integers, got {i!r}")
        if values and all(isinstance(v, str) for v in values):
            fields, texts = ["text"], [[v] for v in values]
        elif values and all(isinstance(v, dict) for v in values):
            fields = list(dict.fromkeys(k for v in values for k in v))
            texts = []
            for i, v in zip(ids, values):
                row = []
                for f in fields:
                    t = v.get(f, "")
                    if not isinstance(t, str):
                        raise TypeError(f"item {i}: field {f!r} must be a str, got {type(t).__name__}")
                    row.append(t)
                texts.append(row)
        else:
            raise TypeError("items must map ids to texts, or to {field: text} dicts (all the same kind)")
        return [int(i) for i in ids], fields, texts

    def _restore_params(self) -> None:
        p = self._model.params
        self.fields = p["fields"]
        self.field_weights = dict(p["field_weights"])
        self.tfidf_options = p["tfidf"]
        self._vectorizer = TfidfVectorizer(**self.tfidf_options)

    def search(self, query: str, N: int = 10):
        """Items whose text best matches ``query``, best first: ``(ids, scores)``; only items
        sharing a term with the query are returned."""
        from ._base import _check_n

        if not isinstance(query, str):
            raise TypeError(f"query must be a str, got {type(query).__name__}")
        ids, scores, offsets = self._native_model().search(query, _check_n(N))
        return ids, scores


def cosine_neighbours(X, k: int = 10):
    """Every row's ``k`` nearest rows of ``X`` (sparse, weights >= 0) by cosine similarity, best
    first, the row itself included as scikit-learn's ``cosine_similarity`` ranks it: ``(ids,
    scores)`` of shape (n_rows, k), padded with -1 / -inf where a row shares a column with fewer
    than ``k`` rows. Never forms the rows x rows product."""
    from ._base import _check_n, _unflatten

    ids, scores, offsets = _native.cosine_neighbours(as_csr(X, "X"), _check_n(k, "k"))
    return _unflatten(ids, scores, offsets, False)
