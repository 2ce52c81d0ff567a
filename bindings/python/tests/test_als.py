"""ALS against implicit 0.7.3 on the same data, and the behaviour implicit users rely on."""

import multiprocessing
import os
import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp

import recsys
from recsys import evaluation
from recsys.als import AlternatingLeastSquares

from conftest import planted_clusters

implicit_als = pytest.importorskip("implicit.als")
implicit_eval = pytest.importorskip("implicit.evaluation")
threadpoolctl = pytest.importorskip("threadpoolctl")


def test_ndcg_matches_implicit_on_the_same_split():
    data = planted_clusters(n_users=2000, n_items=800, clusters=10, per_user=30, seed=1)
    train, test = implicit_eval.train_test_split(data, train_percentage=0.8, random_state=3)
    settings = dict(factors=32, regularization=0.05, alpha=2.0, iterations=15, random_state=11)
    # as implicit asks (it checks when built): its own threads, not OpenBLAS's as well
    with threadpoolctl.threadpool_limits(1, "blas"):
        theirs = implicit_als.AlternatingLeastSquares(**settings, use_gpu=False)
        theirs.fit(train, show_progress=False)
    ours = AlternatingLeastSquares(**settings).fit(train, show_progress=False)
    their_ndcg = implicit_eval.ndcg_at_k(theirs, train, test, K=10, show_progress=False)
    our_ndcg = evaluation.ndcg_at_k(ours, train, test, K=10)
    baseline = evaluation.ndcg_at_k(recsys.Popularity().fit(train), train, test, K=10)
    assert our_ndcg > 5 * baseline, ("the planted clusters must be learned", our_ndcg, baseline)
    assert abs(our_ndcg - their_ndcg) <= 0.01, (our_ndcg, their_ndcg)


def test_metrics_equal_implicits_for_the_same_factors():
    """Give implicit's model our factors: both evaluation codes must then agree exactly."""
    data = planted_clusters(n_users=500, n_items=200, seed=2)
    train, test = implicit_eval.train_test_split(data, train_percentage=0.75, random_state=5)
    ours = AlternatingLeastSquares(factors=16, iterations=5, random_state=1).fit(train, show_progress=False)
    theirs = implicit_als.AlternatingLeastSquares(factors=16, use_gpu=False)
    theirs.user_factors = ours.user_factors.copy()
    theirs.item_factors = ours.item_factors.copy()
    expected = implicit_eval.ranking_metrics_at_k(theirs, train, test, K=10, show_progress=False)
    got = evaluation.ranking_metrics_at_k(ours, train, test, K=10)
    for key in ("precision", "map", "ndcg", "auc"):
        assert got[key] == pytest.approx(expected[key], abs=1e-6), key
    assert 0 < got["coverage"] <= 1


def test_recommendations_match_implicits_for_the_same_factors(user_items):
    ours = AlternatingLeastSquares(factors=16, iterations=5, random_state=1).fit(user_items, show_progress=False)
    theirs = implicit_als.AlternatingLeastSquares(factors=16, use_gpu=False)
    theirs.user_factors = ours.user_factors.copy()
    theirs.item_factors = ours.item_factors.copy()
    users = np.arange(20)
    a_ids, a_scores = ours.recommend(users, user_items[users], N=10)
    b_ids, b_scores = theirs.recommend(users, user_items[users], N=10)
    np.testing.assert_allclose(a_scores, b_scores, rtol=1e-4, atol=1e-5)
    assert (a_ids == b_ids).mean() > 0.98  # equal up to ties in the last digits
    s_ids, _ = ours.similar_items(3, N=5)
    t_ids, _ = theirs.similar_items(3, N=5)
    np.testing.assert_array_equal(s_ids, t_ids)


def test_same_seed_same_model_and_factors_are_float32(user_items):
    a = AlternatingLeastSquares(factors=8, iterations=3, random_state=4).fit(user_items, show_progress=False)
    b = AlternatingLeastSquares(factors=8, iterations=3, random_state=4).fit(user_items, show_progress=False)
    np.testing.assert_array_equal(a.item_factors, b.item_factors)
    assert a.user_factors.dtype == np.float32 and a.user_factors.shape == (user_items.shape[0], 8)
    assert a.item_factors.shape == (user_items.shape[1], 8)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(factors=0), "factors"),
        (dict(regularization=-1.0), "regularization"),
        (dict(alpha=0.0), "alpha"),
        (dict(alpha=float("nan")), "alpha"),
        (dict(iterations=0), "iterations"),
        (dict(cg_steps=0), "steps"),
    ],
)
def test_invalid_parameters_raise_value_error_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AlternatingLeastSquares(**kwargs)


def test_wrong_parameter_types_raise_type_error():
    with pytest.raises(TypeError, match="factors"):
        AlternatingLeastSquares(factors="64")
    with pytest.raises(TypeError, match="random_state"):
        AlternatingLeastSquares(random_state="seed")
    with pytest.raises(TypeError):
        AlternatingLeastSquares(factor=64)  # a typo is not silently accepted


def test_unknown_ids_raise_index_error(user_items):
    model = AlternatingLeastSquares(factors=8, iterations=2, random_state=1).fit(user_items, show_progress=False)
    with pytest.raises(IndexError, match="unknown"):
        model.similar_items(user_items.shape[1] + 5)
    with pytest.raises(IndexError, match="unknown"):
        model.similar_users(user_items.shape[0] + 5)
    with pytest.raises(IndexError):
        model.recommend(user_items.shape[0] + 5, user_items[0])


def test_recalculate_user_folds_in_a_new_user(user_items):
    model = AlternatingLeastSquares(factors=16, iterations=8, random_state=3).fit(user_items, show_progress=False)
    newcomer = user_items.shape[0] + 100
    history = user_items[6]  # behaves like user 6, in cluster 0
    ids, _ = model.recommend(newcomer, history, N=10, recalculate_user=True)
    assert len(ids) == 10
    assert np.mean(ids % 6 == 0) >= 0.7, "a fold-in user gets their cluster's items"


def test_partial_fit_users_adds_users(user_items):
    model = AlternatingLeastSquares(factors=8, iterations=4, random_state=3).fit(user_items, show_progress=False)
    n = user_items.shape[0]
    model.partial_fit_users(np.array([0, n, n + 1]), user_items[[0, 0, 1]])
    assert model.user_factors.shape[0] == n + 2
    # the same row solved exactly gives the same factors, old id or new
    np.testing.assert_allclose(model.user_factors[n], model.user_factors[0], rtol=1e-5, atol=1e-5)
    ids, _ = model.recommend(n + 1, user_items[1], N=5)
    assert len(ids) == 5
    model.partial_fit_items(np.array([0]), user_items.T.tocsr()[[0]])
    assert model.item_factors.shape[0] == user_items.shape[1]


def test_callback_and_training_loss(user_items):
    seen = []
    model = AlternatingLeastSquares(factors=8, iterations=4, calculate_training_loss=True, random_state=1)
    model.fit(user_items, show_progress=False, callback=lambda it, secs, loss: seen.append((it, secs, loss)))
    assert [s[0] for s in seen] == [0, 1, 2, 3]
    assert all(np.isfinite(s[2]) for s in seen)
    assert seen[-1][2] <= seen[0][2]


def test_a_failing_callback_stops_fit_with_its_exception(user_items):
    def boom(*_):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        AlternatingLeastSquares(factors=8, iterations=3).fit(user_items, show_progress=False, callback=boom)


def test_plain_progress_without_tqdm(user_items, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    AlternatingLeastSquares(factors=8, iterations=2).fit(user_items, show_progress=True)
    assert "ALS: 2/2" in capsys.readouterr().err


def test_fit_releases_the_gil():
    data = planted_clusters(n_users=4000, n_items=1500, per_user=40, seed=9)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    start = time.perf_counter()
    AlternatingLeastSquares(factors=64, iterations=10, random_state=1).fit(data, show_progress=False)
    end = time.perf_counter()
    stop.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    # a thread blocked by the GIL would not tick at all during the fit
    assert len(during) >= 5, (len(during), end - start)


def _fit_in_child(queue):
    data = planted_clusters(n_users=300, n_items=300, seed=4)
    model = AlternatingLeastSquares(factors=8, iterations=3, random_state=1).fit(data, show_progress=False)
    ids, _ = model.recommend(np.arange(5), data[:5], N=3)
    queue.put(ids.shape)


def test_fit_after_fork_does_not_deadlock(user_items):
    # use the thread pool in the parent first, so the child inherits a started one
    AlternatingLeastSquares(factors=8, iterations=2).fit(user_items, show_progress=False)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_fit_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child deadlocked")
    assert child.exitcode == 0
    assert queue.get(timeout=5) == (5, 3)


def test_thread_count_from_the_environment(user_items):
    code = (
        "import numpy as np, scipy.sparse as sp; from recsys.als import AlternatingLeastSquares as A;"
        "m = sp.random(50, 40, density=0.2, format='csr', random_state=1, dtype=np.float32);"
        "A(factors=4, iterations=1).fit(m, show_progress=False)"
    )
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-c", code], env={**os.environ, "RECSYS_NUM_THREADS": "1"}, capture_output=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([sys.executable, "-c", code], env={**os.environ, "RECSYS_NUM_THREADS": "many"}, capture_output=True, text=True)
    assert bad.returncode != 0 and "RECSYS_NUM_THREADS" in bad.stderr


def test_inputs_in_other_formats_give_the_same_model(user_items):
    a = AlternatingLeastSquares(factors=8, iterations=3, random_state=2).fit(user_items, show_progress=False)
    for other in (user_items.tocoo(), user_items.tocsc(), user_items.astype(np.float64), sp.csr_array(user_items)):
        b = AlternatingLeastSquares(factors=8, iterations=3, random_state=2).fit(other, show_progress=False)
        np.testing.assert_array_equal(a.item_factors, b.item_factors)
    # duplicates are summed, unsorted indices are fine
    coo = user_items.tocoo()
    doubled = sp.coo_matrix(
        (np.concatenate([coo.data, coo.data]) / 2, (np.concatenate([coo.row, coo.row]), np.concatenate([coo.col, coo.col]))),
        shape=coo.shape,
    )
    c = AlternatingLeastSquares(factors=8, iterations=3, random_state=2).fit(doubled, show_progress=False)
    np.testing.assert_allclose(a.item_factors, c.item_factors, rtol=1e-5, atol=1e-6)
