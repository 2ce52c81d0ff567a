"""Splits with implicit.evaluation's signatures: shapes, disjointness, determinism, errors."""

import numpy as np
import pytest

from recsys import evaluation

from conftest import planted_clusters


def test_train_test_split_partitions_every_interaction():
    data = planted_clusters(seed=3)
    train, test = evaluation.train_test_split(data, train_percentage=0.8, random_state=1)
    assert train.shape == test.shape == data.shape
    assert train.nnz + test.nnz == data.nnz
    assert (train + test != data).nnz == 0
    assert train.multiply(test).nnz == 0
    assert 0.75 < train.nnz / data.nnz < 0.85
    again, _ = evaluation.train_test_split(data, train_percentage=0.8, random_state=1)
    assert (again != train).nnz == 0, "same seed, same split"


def test_leave_k_out_moves_k_items_per_user():
    data = planted_clusters(seed=4)
    train, test = evaluation.leave_k_out_split(data, K=2, random_state=1)
    assert train.nnz + test.nnz == data.nnz
    per_user = np.diff(test.indptr)
    assert set(per_user.tolist()) <= {0, 2}
    assert (per_user == 2).sum() > 0.9 * data.shape[0]


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5, -0.1])
def test_bad_fractions_raise_value_error(fraction):
    with pytest.raises(ValueError, match="train_fraction"):
        evaluation.train_test_split(planted_clusters(), train_percentage=fraction)


def test_metrics_need_a_recsys_model():
    data = planted_clusters()
    with pytest.raises(TypeError, match="recsys recommender"):
        evaluation.ndcg_at_k(object(), data, data)
