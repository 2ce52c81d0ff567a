"""Splits and ranking metrics with ``implicit.evaluation``'s signatures and definitions."""

from __future__ import annotations

import numpy as np

from ._base import RecommenderBase
from . import _native
from ._convert import as_csr, seed, to_scipy

__all__ = [
    "train_test_split",
    "leave_k_out_split",
    "precision_at_k",
    "mean_average_precision_at_k",
    "ndcg_at_k",
    "AUC_at_k",
    "ranking_metrics_at_k",
]


def train_test_split(ratings, train_percentage: float = 0.8, random_state=None):
    """Each interaction goes to train with probability ``train_percentage``; (train, test) CSR."""
    train, test = _native.train_test_split(as_csr(ratings, "ratings"), float(train_percentage), seed(random_state))
    return to_scipy(train), to_scipy(test)


def leave_k_out_split(ratings, K: int = 1, train_only_size: float = 0.0, random_state=None):
    """For users with more than K + 1 interactions, K random ones go to test; (train, test) CSR."""
    # the settings first, as implicit checks them (before looking at ratings)
    if isinstance(K, (bool, np.bool_)) or not isinstance(K, (int, np.integer)) or K < 1:
        raise ValueError(f"K must be an integer >= 1, got {K!r}")
    if not 0.0 <= train_only_size < 1.0:
        raise ValueError(f"train_only_size must be in [0, 1), got {train_only_size!r}")
    train, test = _native.leave_k_out_split(as_csr(ratings, "ratings"), int(K), float(train_only_size), seed(random_state))
    return to_scipy(train), to_scipy(test)


def ranking_metrics_at_k(model, train_user_items, test_user_items, K: int = 10, show_progress: bool = True, num_threads: int = 1):
    """precision, map, ndcg and auc at K (implicit's definitions) plus catalog coverage.

    ``num_threads`` is accepted for compatibility; the work uses recsys's thread pool.
    """
    if not isinstance(model, RecommenderBase):
        raise TypeError(f"model must be a recsys recommender, got {type(model).__name__}")
    precision, map_, ndcg, auc, coverage, _users = _native.ranking_metrics_at_k(
        model._model, as_csr(train_user_items, "train_user_items"), as_csr(test_user_items, "test_user_items"), int(K)
    )
    return {"precision": precision, "map": map_, "ndcg": ndcg, "auc": auc, "coverage": coverage}


def precision_at_k(model, train_user_items, test_user_items, K: int = 10, show_progress: bool = True, num_threads: int = 1):
    return ranking_metrics_at_k(model, train_user_items, test_user_items, K)["precision"]


def mean_average_precision_at_k(model, train_user_items, test_user_items, K: int = 10, show_progress: bool = True, num_threads: int = 1):
    return ranking_metrics_at_k(model, train_user_items, test_user_items, K)["map"]


def ndcg_at_k(model, train_user_items, test_user_items, K: int = 10, show_progress: bool = True, num_threads: int = 1):
    return ranking_metrics_at_k(model, train_user_items, test_user_items, K)["ndcg"]


def AUC_at_k(model, train_user_items, test_user_items, K: int = 10, show_progress: bool = True, num_threads: int = 1):
    return ranking_metrics_at_k(model, train_user_items, test_user_items, K)["auc"]
