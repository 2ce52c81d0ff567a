"""The interface every recsys recommender shares, shaped like ``implicit``'s RecommenderBase."""

from __future__ import annotations


import numpy as np

from . import _native
from ._convert import Csr, as_csr, as_ids, optional_ids, read_file, write_file
from ._errors import NotFittedError


def _unflatten(ids, scores, offsets, single: bool):
    """Native flat lists as implicit returns them: 1-D for one id, 2-D (padded) for a batch.
    Ids are int32, the dtype implicit returns (and its Cython evaluation code requires), when
    they fit, as row and column indices always do; catalog ids beyond int32 stay int64."""
    if ids.size == 0 or (ids.min() >= np.iinfo(np.int32).min and ids.max() <= np.iinfo(np.int32).max):
        ids = ids.astype(np.int32)
    if single:
        return ids[offsets[0] : offsets[1]], scores[offsets[0] : offsets[1]]
    lengths = np.diff(offsets)
    rows = len(lengths)
    width = int(lengths.max(initial=0))
    if rows and (lengths == width).all():
        return ids.reshape(rows, width), scores.reshape(rows, width)
    out_ids = np.full((rows, width), -1, dtype=ids.dtype)
    out_scores = np.full((rows, width), -np.inf, dtype=np.float32)
    for r in range(rows):
        start, end = offsets[r], offsets[r + 1]
        out_ids[r, : end - start] = ids[start:end]
        out_scores[r, : end - start] = scores[start:end]
    return out_ids, out_scores


def _rank_liked_last(ids, scores, offsets, candidates, excluded, n: int):
    """``recommend(items=...)`` ranks the given items as implicit does: every one comes back
    (but those in ``excluded``), the user's already liked ones (filtered from the ranking)
    after the others with score -inf, in id order, up to ``n`` per user."""
    candidates = np.setdiff1d(candidates, excluded)
    n = min(n, len(candidates))
    out_ids, out_scores, out_offsets = [], [], [0]
    for r in range(len(offsets) - 1):
        ranked = ids[offsets[r] : offsets[r + 1]]
        liked = np.setdiff1d(candidates, ranked)[: max(n - len(ranked), 0)]
        out_ids += [ranked, liked]
        out_scores += [scores[offsets[r] : offsets[r + 1]], np.full(len(liked), -np.inf, dtype=np.float32)]
        out_offsets.append(out_offsets[-1] + len(ranked) + len(liked))
    return np.concatenate(out_ids), np.concatenate(out_scores), np.array(out_offsets, dtype=np.int64)


def _check_n(N, name: str = "N") -> int:
    """A list length: 0 asks for an empty list (as in the core, Node and implicit); negative is
    an error."""
    if isinstance(N, (bool, np.bool_)) or not isinstance(N, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(N).__name__}")
    if N < 0:
        raise ValueError(f"{name} must be >= 0, got {N}")
    return int(N)


class RecommenderBase:
    """Shared methods: recommend, similar_items, save/load, pickling.

    Subclasses set ``self._model`` (a ``recsys._native.Recommender``) in ``__init__``.
    """

    _model: _native.Recommender | None = None
    # whether recommend scores from user_items (content, hybrid) rather than from what the model
    # learnt about the user (a factor model, which reads user_items only to filter or recalculate)
    _scores_from_history: bool = True
    # settings that live in Python only (not in the model file): kept across pickling
    _python_params: tuple[str, ...] = ()

    def _native_model(self) -> _native.Recommender:
        if self._model is None:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
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
        if self._scores_from_history or filter_already_liked_items or recalculate_user:
            rows = as_csr(user_items)
            if rows.shape[0] != len(users):
                raise ValueError(
                    f"user_items must contain 1 row for every user in userid: {rows.shape[0]} rows for {len(users)} id(s)"
                )
        else:
            # as implicit's factor models: user_items is not read when nothing is filtered or
            # recalculated
            rows = Csr((len(users), 0), np.zeros(len(users) + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))
        unique, first, inverse = np.unique(users, return_index=True, return_inverse=True)
        if len(unique) != len(users):
            # the same user twice: answer once, from the user's first row
            import scipy.sparse as sp

            m = sp.csr_matrix((rows.data, rows.indices, rows.indptr), shape=rows.shape)[first]
            rows = as_csr(m)
        else:
            unique, inverse = users, None
        candidates = optional_ids(items, "items")
        if candidates is not None:
            unknown = candidates[~np.asarray(self._native_model().known_items(candidates), dtype=bool)]
            if len(unknown):
                # as implicit: ranking an item the model does not have is an IndexError
                raise IndexError(f"items holds ids the model does not know: {unknown[:10].tolist()}")
        excluded = optional_ids(filter_items, "filter_items")
        ids, scores, offsets = self._native_model().recommend(
            unique, rows, n, bool(filter_already_liked_items), excluded, bool(recalculate_user), candidates,
        )
        if candidates is not None and filter_already_liked_items:
            excluded = np.zeros(0, np.int64) if excluded is None else excluded
            ids, scores, offsets = _rank_liked_last(ids, scores, offsets, candidates, excluded, n)
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
        """Writes the model in recsys's versioned, checksummed format (readable from Rust too)
        to a path or an open binary file; an unfitted model saves its settings."""
        write_file(path, self._native_model().to_bytes())

    @classmethod
    def load(cls, path):
        """Reads a model written by ``save`` from a path or an open binary file; corrupt or
        foreign files raise ValueError."""
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
        for name in self._python_params:
            setattr(self, name, state["params"][name])
        self._restore_params()

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict:
        return {}
