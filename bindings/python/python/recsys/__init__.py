"""recsys: a recommendation engine in Rust, driven from Python.

The modules mirror the libraries they replace, so that changing one import is enough:

- ``recsys.als.AlternatingLeastSquares``  like ``implicit.als.AlternatingLeastSquares``
- ``recsys.evaluation``                   like ``implicit.evaluation``
- ``recsys.content.TfidfVectorizer``      like scikit-learn's ``TfidfVectorizer``
- ``recsys.cluster.KMeans``               like scikit-learn's ``KMeans``
- ``recsys.gbdt.GBDTRanker`` / ``GBDTClassifier`` / ``GBDTRegressor``   like LightGBM's
- ``recsys.Popularity``                   the non-personalized baseline
- ``recsys.hybrid.Hybrid`` / ``from_config``  blends with cold-start fallback; the factory

Every model is one value of the Rust core (``recsys-core``); this package converts arrays,
releases the GIL around the work and raises the exceptions the mirrored libraries raise.
"""

from ._native import __version__
from ._errors import NotFittedError
from ._base import RecommenderBase
from ._convert import ParameterWarning
from .popularity import Popularity
from . import als, cluster, content, evaluation, gbdt, hybrid

__all__ = [
    "NotFittedError", "ParameterWarning", "Popularity", "RecommenderBase", "als", "cluster", "content", "evaluation", "gbdt", "hybrid", "__version__",
]
