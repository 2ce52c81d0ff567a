"""The hybrid recommender and the factory that builds any recommender from settings.

``Hybrid`` blends its members' min-max-normalized scores with weights; a member that cannot
serve a user (a user ALS never saw, a content model whose user has no known item) drops out and
the rest fill the list in fallback order, so even a brand-new user gets a full list.
"""

from __future__ import annotations

import json

import numpy as np

from . import _native
from ._base import RecommenderBase
from ._convert import as_csr

__all__ = ["Hybrid", "from_config"]


class Hybrid(RecommenderBase):
    """A weighted blend of recsys recommenders, in fallback order.

    ``members`` is a list of ``(model, weight)``. ``fit`` trains a copy of every member on the
    interactions (content members must already be fitted on their catalog: they keep its index);
    the member objects you passed stay as they are.
    """

    _kind = "hybrid"

    def __init__(self, members):
        if not isinstance(members, (list, tuple)) or not members:
            raise ValueError("members must be a non-empty list of (model, weight) pairs")
        for i, pair in enumerate(members):
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
                raise TypeError(f"members[{i}] must be a (model, weight) pair")
            model, weight = pair
            if not isinstance(model, RecommenderBase):
                raise TypeError(f"members[{i}] must hold a recsys recommender, got {type(model).__name__}")
            if model._model is None:
                raise ValueError(f"members[{i}] ({type(model).__name__}) must be fitted on its catalog before it joins a hybrid")
            if isinstance(weight, (bool, np.bool_)) or not isinstance(weight, (int, float, np.integer, np.floating)):
                raise TypeError(f"members[{i}] weight must be a number, got {type(weight).__name__}")
        self.members = list(members)
        self._model = _native.Recommender.hybrid([(m._model, float(w)) for m, w in members])

    def _params(self) -> dict:
        return {"members": self.members}

    def _restore_params(self) -> None:
        self.members = None  # the blend lives in the native model; the member objects are not kept

    def fit(self, user_items, show_progress: bool = False):
        self._model.fit(as_csr(user_items))
        return self


def _class_of(kind: str):
    from .als import AlternatingLeastSquares
    from .content import ContentRecommender
    from .popularity import Popularity

    return {"als": AlternatingLeastSquares, "content": ContentRecommender, "popular": Popularity, "hybrid": Hybrid}[kind]


def from_config(config, items=None) -> RecommenderBase:
    """Builds an unfitted recommender from the core factory's settings, a dict or JSON string
    tagged by ``kind``: ``{"kind": "als", "factors": 64}``, ``{"kind": "popular"}``,
    ``{"kind": "hybrid", "members": [{"weight": 0.7, "model": {"kind": "als"}}, ...]}``.
    Unknown fields are errors. Content models need ``items`` (as ``ContentRecommender.fit``
    takes them). ALS built this way weighs values as everywhere else, ``alpha * value`` (the
    core's default ``confidence``; ``{"confidence": {"Linear": {"alpha": 1}}}`` gives
    ``1 + alpha * value``)."""
    text = config if isinstance(config, str) else json.dumps(config)
    catalog = None
    if items is not None:
        from .content import ContentRecommender

        probe = ContentRecommender()
        ids, fields, texts = probe._catalog(items)
        catalog = (fields, ids, texts)
    native = _native.Recommender.from_config(text, catalog)
    return _class_of(native.kind)._from_native(native)
