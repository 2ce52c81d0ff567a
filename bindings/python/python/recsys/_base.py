"""The interface every recsys recommender shares, shaped like ``implicit``'s RecommenderBase."""

from __future__ import annotations


import numpy as np

from . import _native
from ._convert import as_csr, as_ids, optional_ids, read_file, write_file


def _unflatten(ids, scores, offsets, single: bool):
    """Native flat lists as implicit returns them: 1-D for one id, 2-D (padded) for a batch."""
    if single:
        return ids[offsets[0] : offsets[1]], scores[offsets[0] : offsets[1]]
    lengths = np.diff(offsets)
    rows = len(lengths)
    width = int(lengths.max(initial=0))
    if rows and (lengths == width).all():
        return ids.reshape(rows, width), scores.reshape(rows, width)
    out_ids = np.full((rows, width), -1, dtype=np.int64)
    out_scores = np.full((rows, width), -np.inf, dtype=np.float32)
    for r in range(rows):
        start, end = offsets[r], offsets[r + 1]
        out_ids[r, : end - start] = ids[start:end]
        out_scores[r, : end - start] = scores[start:end]
    return out_ids, out_scores


def _check_n(N, name: str = "N") -> int:
    if isinstance(N, (bool, np.bool_)) or not isinstance(N, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(N).__name__}")
    if N < 1:
        raise ValueError(f"{name} must be >= 1, got {N}")
    return int(N)


class RecommenderBase:
    """Shared methods: recommend, similar_items, save/load, pickling.

    Subclasses set ``self._model`` (a ``recsys._native.Recommender``) in ``__init__``.
    """

    _model: _native.Recommender | None = None

    def _native_model(self) -> _native.Recommender:
        if self._model is None:
            raise _native.NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        return self._model

    # ---- training ------------------------------------------------------------------------------

    def fit(self, user_items, show_progress: bool = True, callback=None):
        """Trains on a users x items sparse matrix of interaction strengths."""
        self._model.fit(as_csr(user_items))
        return self

    # ---- queries -------------------------------------------------------------------------------

    def recommend(
        self,
        userid,
        user_items,
        N: int = 10,
        filter_already_liked_items: bool = True,
        filter_items=None,
        recalculate_user: bool = False,
        items=None,
    ):
        """The top ``N`` items for ``userid`` (an id or an array of ids), best first.

        ``user_items`` holds the users' current interactions, one row per id in ``userid`` (as in
        implicit 0.7). Returns ``(ids, scores)``: 1-D arrays for one id; 2-D arrays for a batch,
        where rows with fewer than ``N`` items left are padded with id -1 and score -inf.
        """
        n = _check_n(N)
        users, single = as_ids(userid, "userid")
        rows = as_csr(user_items)
        if rows.shape[0] != len(users):
            raise ValueError(
                f"user_items must contain 1 row for every user in userid: {rows.shape[0]} rows for {len(users)} id(s)"
            )
        unique, first, inverse = np.unique(users, return_index=True, return_inverse=True)
        if len(unique) != len(users):
            # the same user twice: answer once, from the user's first row
            import scipy.sparse as sp

            m = sp.csr_matrix((rows.data, rows.indices, rows.indptr), shape=rows.shape)[first]
            rows = as_csr(m)
        else:
            unique, inverse = users, None
        ids, scores, offsets = self._native_model().recommend(
            unique, rows, n, bool(filter_already_liked_items), optional_ids(filter_items, "filter_items"),
            bool(recalculate_user), optional_ids(items, "items"),
        )
        out_ids, out_scores = _unflatten(ids, scores, offsets, single)
        if inverse is not None and not single:
            out_ids, out_scores = out_ids[inverse.ravel()], out_scores[inverse.ravel()]
        return out_ids, out_scores

    def similar_items(self, itemid, N: int = 10, recalculate_item: bool = False, item_users=None, filter_items=None, items=None):
        """The ``N`` items most similar to ``itemid`` (an id or an array of ids), best first.

        Factor models rank by cosine of the item factors and include the item itself, as
        implicit does.
        """
        if recalculate_item or item_users is not None:
            raise NotImplementedError("recalculate_item is not supported: fold new items in with partial_fit_items")
        n = _check_n(N)
        ids_in, single = as_ids(itemid, "itemid")
        ids, scores, offsets = self._native_model().similar_items(
            ids_in, n, optional_ids(filter_items, "filter_items"), optional_ids(items, "items")
        )
        return _unflatten(ids, scores, offsets, single)

    # ---- persistence ---------------------------------------------------------------------------

    def save(self, path) -> None:
        """Writes the model in recsys's versioned, checksummed format (readable from Rust too)."""
        write_file(path, self._native_model().to_bytes())

    @classmethod
    def load(cls, path):
        """Reads a model written by ``save``; corrupt or foreign files raise ValueError."""
        data = read_file(path)
        return cls._from_native(_native.Recommender.from_bytes(data))

    @classmethod
    def _from_native(cls, model: _native.Recommender):
        expected = cls._kind
        if model.kind != expected:
            raise ValueError(f"this file holds a '{model.kind}' model, not a '{expected}' model")
        self = cls.__new__(cls)
        self._model = model
        self._restore_params()
        return self

    def _restore_params(self) -> None:
        """Sets the Python-side settings from the native model (after load or unpickling)."""

    def __getstate__(self):
        return {"model": None if self._model is None else self._model.to_bytes(), "params": self._params()}

    def __setstate__(self, state):
        if state["model"] is None:
            self.__init__(**state["params"])
            return
        self._model = _native.Recommender.from_bytes(state["model"])
        self._restore_params()

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict:
        return {}
