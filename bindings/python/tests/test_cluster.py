"""KMeans against scikit-learn 1.9: inertia within 1% (mean over seeds), same API."""

import pickle

import numpy as np
import pytest

import recsys
from recsys.cluster import KMeans

sklearn_cluster = pytest.importorskip("sklearn.cluster")


def blobs(n=3000, k=6, d=5, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6, size=(k, d))
    return centres[rng.integers(0, k, n)] + rng.normal(size=(n, d))


def test_inertia_within_one_percent_of_scikit_learn():
    # single runs land in different local optima (the libraries draw different random numbers):
    # compare the best of 5 initializations, averaged over seeds
    X = blobs(k=8)
    ours = np.mean([KMeans(8, n_init=5, random_state=s).fit(X).inertia_ for s in range(4)])
    theirs = np.mean([sklearn_cluster.KMeans(8, n_init=5, random_state=s).fit(X).inertia_ for s in range(4)])
    assert abs(ours - theirs) / theirs <= 0.01, (ours, theirs)


def test_attributes_predict_and_input_kinds():
    X = blobs(600)
    km = KMeans(4, random_state=1).fit(X)
    assert km.cluster_centers_.shape == (4, 5) and km.labels_.shape == (600,)
    assert km.n_iter_ >= 1 and km.inertia_ > 0
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    np.testing.assert_array_equal(KMeans(4, random_state=1).fit_predict(X), km.labels_)
    for other in (np.asfortranarray(X), X.astype(np.float32), X.tolist()):
        np.testing.assert_array_equal(KMeans(4, random_state=1).fit(other).labels_, km.labels_)
    # the assignment is the nearest centre
    d = ((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(-1)
    assert (d.argmin(1) == km.labels_).mean() > 0.999


def test_errors_name_the_problem():
    X = blobs(100)
    with pytest.raises(recsys.NotFittedError):
        KMeans(3).predict(X)
    # settings are checked by fit, as scikit-learn's contract has it (construction never fails)
    with pytest.raises(ValueError, match="n_clusters"):
        KMeans(0).fit(X)
    with pytest.raises(ValueError, match="init"):
        KMeans(3, init="nearest").fit(X)
    with pytest.raises(ValueError, match="X has 2 features, but KMeans is expecting 5 features as input"):
        KMeans(3, random_state=0).fit(X).predict(X[:, :2])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array instead"):
        KMeans(3).fit(X[0])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError):
        KMeans(3).fit(bad)
    with pytest.raises(ValueError):
        KMeans(200).fit(X)


def test_pickle_and_save_load(tmp_path):
    X = blobs(300)
    km = KMeans(3, random_state=2).fit(X)
    copy = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(copy.cluster_centers_, km.cluster_centers_)
    km.save(tmp_path / "km.recsys")
    np.testing.assert_array_equal(KMeans.load(tmp_path / "km.recsys").predict(X), km.labels_)
