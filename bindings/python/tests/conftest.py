"""Small data generated in code, shared by the tests."""

import numpy as np
import pytest
import scipy.sparse as sp


def planted_clusters(n_users=600, n_items=300, clusters=6, per_user=20, noise=0.15, seed=0):
    """Implicit feedback with taste clusters: a user's picks come from their cluster's items,
    except for a `noise` share drawn from anywhere. Values are small counts."""
    rng = np.random.default_rng(seed)
    item_cluster = np.arange(n_items) % clusters
    rows, cols, vals = [], [], []
    for u in range(n_users):
        c = u % clusters
        own = np.flatnonzero(item_cluster == c)
        k_own = int(per_user * (1 - noise))
        picks = np.concatenate([rng.choice(own, k_own, replace=False), rng.choice(n_items, per_user - k_own, replace=False)])
        picks = np.unique(picks)
        rows.extend([u] * len(picks))
        cols.extend(picks.tolist())
        vals.extend(rng.integers(1, 4, len(picks)).tolist())
    return sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(n_users, n_items))


@pytest.fixture(scope="session")
def user_items():
    return planted_clusters()
