"""The non-personalized baseline and cold-start fallback."""

from __future__ import annotations

from . import _native
from ._base import RecommenderBase


class Popularity(RecommenderBase):
    """Recommends the items most users interacted with (those a user has seen filtered out)."""

    _kind = "popular"

    def __init__(self):
        self._model = _native.Recommender.popular()
